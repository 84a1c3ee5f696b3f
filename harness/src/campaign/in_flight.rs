//! How many sequences run at once on each lane: what tells a finding first seen while other
//! sequences were in flight on the same target (which may have caused it) from one seen alone
//! ([`crate::finding::Finding::in_flight`]).

use std::collections::HashMap;
use std::sync::Mutex;

/// The sequences running on each lane, and how many have started there.
#[derive(Debug, Default)]
pub(super) struct InFlight {
    lanes: Mutex<HashMap<usize, LaneCounts>>,
}

#[derive(Debug, Default, Clone, Copy)]
struct LaneCounts {
    running: u32,
    started: u64,
}

/// One sequence in flight on a lane; it lands when dropped.
#[derive(Debug)]
pub(super) struct Flight<'a> {
    counts: &'a InFlight,
    lane: usize,
    running_at_start: u32,
    started_at_start: u64,
}

impl InFlight {
    /// A sequence starts on `lane`: the gate of an endpoint ([`super::lane::Gate`]), which
    /// every worker's lane to that endpoint shares.
    pub(super) fn start<L>(&self, lane: &L) -> Flight<'_> {
        // A gate lives as long as the campaign's lanes, which outlive every flight: its
        // address names it.
        let key = std::ptr::from_ref(lane).addr();
        let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
        let counts = lanes.entry(key).or_default();
        let flight = Flight {
            counts: self,
            lane: key,
            running_at_start: counts.running,
            started_at_start: counts.started,
        };
        counts.running += 1;
        counts.started += 1;
        flight
    }
}

impl Flight<'_> {
    /// How many other sequences ran on the lane at some moment of this one so far: those
    /// running when it started, and those started since.
    pub(super) fn others(&self) -> u32 {
        let lanes = self.counts.lanes.lock().unwrap_or_else(|e| e.into_inner());
        let started = lanes.get(&self.lane).map_or(0, |c| c.started);
        let since = started.saturating_sub(self.started_at_start + 1);
        self.running_at_start
            .saturating_add(u32::try_from(since).unwrap_or(u32::MAX))
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        let mut lanes = self.counts.lanes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(counts) = lanes.get_mut(&self.lane) {
            counts.running = counts.running.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn others_counts_sequences_that_overlapped() {
        // Two lanes stand for two targets: flights on one do not count on the other.
        let lanes = [1u8, 2u8];
        let (a, b) = (&lanes[0], &lanes[1]);
        let counts = InFlight::default();
        let alone = counts.start(a);
        assert_eq!(alone.others(), 0);
        drop(alone);
        let first = counts.start(a);
        let elsewhere = counts.start(b);
        assert_eq!(first.others(), 0, "another lane's sequence does not count");
        assert_eq!(elsewhere.others(), 0);
        let second = counts.start(a);
        assert_eq!(second.others(), 1, "the first was running when it started");
        let third = counts.start(a);
        drop(third);
        assert_eq!(
            first.others(),
            2,
            "two started while it ran, one of them already done"
        );
        drop(first);
        drop(second);
        assert_eq!(counts.start(a).others(), 0, "all landed");
    }
}
