//! The one clock of a campaign: cases or duration, whichever comes first.
//!
//! A [`Budget`] is started when the campaign starts. Workers take a new case only while it
//! [`allows`](Budget::allows_case) one; a new finding is confirmed, and shrunk, only before the
//! deadline, and shrinking gets at most the time left ([`Budget::shrink_budget`]). Without a
//! duration there is no deadline, and only the case count stops the run.

use std::time::{Duration, Instant};

use crate::config::DEFAULT_CASES;
#[cfg(test)]
use crate::config::DEFAULT_SHRINK_SHARE;
use crate::shrink::ShrinkBudget;

/// The most cases a run takes: the explicit count when given (a duration may stop it
/// earlier), none when only a duration is given, else [`DEFAULT_CASES`]. `None` means no
/// limit.
pub fn case_limit(cases: Option<u64>, duration: Option<Duration>) -> Option<u64> {
    match (cases, duration) {
        (Some(n), _) => Some(n),
        (None, Some(_)) => None,
        (None, None) => Some(DEFAULT_CASES),
    }
}

/// How far a running campaign may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Cases at most (`None`: until the deadline).
    cases: Option<u64>,
    /// When the run stops, if it has a duration.
    deadline: Option<Instant>,
}

impl Budget {
    /// The budget of a run of `cases` (explicit, or `None`) and `duration` starting at `now`.
    pub fn start(cases: Option<u64>, duration: Option<Duration>, now: Instant) -> Self {
        Self {
            cases: case_limit(cases, duration),
            deadline: duration.map(|d| now + d),
        }
    }

    /// The deadline, if the run has a duration.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Whether the deadline has passed at `now`.
    pub fn expired_at(&self, now: Instant) -> bool {
        self.deadline.is_some_and(|d| now >= d)
    }

    /// Whether the deadline has passed.
    pub fn expired(&self) -> bool {
        self.expired_at(Instant::now())
    }

    /// Whether case number `case` (counted from 0) may start at `now`.
    pub fn allows_case_at(&self, case: u64, now: Instant) -> bool {
        self.cases.is_none_or(|n| case < n) && !self.expired_at(now)
    }

    /// Whether case number `case` (counted from 0) may start now.
    pub fn allows_case(&self, case: u64) -> bool {
        self.allows_case_at(case, Instant::now())
    }

    /// `budget` cut to the time left at `now` and bound by the deadline (no confirmation
    /// starts after it), or `None` when the deadline has passed (no shrinking starts then).
    /// Unchanged without a deadline.
    pub fn shrink_budget_at(&self, budget: ShrinkBudget, now: Instant) -> Option<ShrinkBudget> {
        match self.deadline {
            None => Some(budget),
            Some(deadline) if now >= deadline => None,
            Some(deadline) => Some(ShrinkBudget {
                max_time: budget.max_time.min(deadline - now),
                deadline: Some(budget.deadline.map_or(deadline, |d| d.min(deadline))),
                ..budget
            }),
        }
    }

    /// [`Budget::shrink_budget_at`] now.
    pub fn shrink_budget(&self, budget: ShrinkBudget) -> Option<ShrinkBudget> {
        self.shrink_budget_at(budget, Instant::now())
    }
}

/// Shrinking's allowance in a campaign with a duration: `share` percent of it, spent across
/// all findings. A shrink is granted at most what is left ([`ShrinkShare::grant_at`]), and
/// the time is reserved while it runs, so that shrinks of several workers together stay
/// within the allowance; [`ShrinkShare::settle`] gives back what a shrink did not use. Without
/// a duration there is no allowance: every shrink gets its own budget.
#[derive(Debug)]
pub struct ShrinkShare {
    /// `None`: unbounded (no duration).
    allowance: Option<Duration>,
    /// Spent or reserved so far.
    taken: std::sync::Mutex<Duration>,
    /// Findings that were not shrunk because the allowance was spent.
    skipped: std::sync::atomic::AtomicU64,
}

/// Time granted to one shrink by [`ShrinkShare::grant_at`], to be settled when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    reserved: Duration,
}

/// Below this, what is left of the allowance is not worth starting a shrink with.
const MIN_GRANT: Duration = Duration::from_millis(50);

impl ShrinkShare {
    /// `share` percent (at most 100) of `duration`; unbounded without one.
    pub fn new(duration: Option<Duration>, share: u8) -> Self {
        Self {
            allowance: duration.map(|d| d.mul_f64(f64::from(share.min(100)) / 100.0)),
            taken: std::sync::Mutex::new(Duration::ZERO),
            skipped: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The allowance (`None`: unbounded).
    pub fn allowance(&self) -> Option<Duration> {
        self.allowance
    }

    /// What is left of the allowance (`None`: unbounded).
    pub fn left(&self) -> Option<Duration> {
        let taken = *self.taken.lock().unwrap_or_else(|e| e.into_inner());
        self.allowance.map(|a| a.saturating_sub(taken))
    }

    /// `budget` cut to what is left of the allowance, with that time reserved, and its
    /// deadline brought forward so that nothing of the shrink (candidates nor confirmations)
    /// starts after it; `None` (counted as skipped) when the allowance is spent.
    pub fn grant_at(&self, budget: ShrinkBudget, now: Instant) -> Option<(ShrinkBudget, Grant)> {
        let Some(allowance) = self.allowance else {
            return Some((
                budget,
                Grant {
                    reserved: Duration::ZERO,
                },
            ));
        };
        let mut taken = self.taken.lock().unwrap_or_else(|e| e.into_inner());
        let left = allowance.saturating_sub(*taken);
        if left < MIN_GRANT {
            self.skipped
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return None;
        }
        let reserved = budget.max_time.min(left);
        *taken += reserved;
        let end = now + reserved;
        Some((
            ShrinkBudget {
                max_time: reserved,
                deadline: Some(budget.deadline.map_or(end, |d| d.min(end))),
                ..budget
            },
            Grant { reserved },
        ))
    }

    /// [`ShrinkShare::grant_at`] now.
    pub fn grant(&self, budget: ShrinkBudget) -> Option<(ShrinkBudget, Grant)> {
        self.grant_at(budget, Instant::now())
    }

    /// Ends a shrink granted `grant` that took `used`: its reservation becomes what it used
    /// (a replay in flight at its deadline may overrun it a little).
    pub fn settle(&self, grant: Grant, used: Duration) {
        if self.allowance.is_none() {
            return;
        }
        let mut taken = self.taken.lock().unwrap_or_else(|e| e.into_inner());
        *taken = taken.saturating_sub(grant.reserved) + used;
    }

    /// Findings not shrunk because the allowance was spent.
    pub fn skipped(&self) -> u64 {
        self.skipped.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn shrinking_shares_a_quarter_of_the_duration_across_findings() {
        let now = Instant::now();
        let share = ShrinkShare::new(Some(60 * SECOND), DEFAULT_SHRINK_SHARE);
        assert_eq!(share.allowance(), Some(15 * SECOND));
        let wanted = ShrinkBudget {
            max_time: 10 * SECOND,
            ..ShrinkBudget::default()
        };
        // A first shrink gets its own budget, reserved whole while it runs.
        let (first, g1) = share.grant_at(wanted, now).unwrap();
        assert_eq!(first.max_time, 10 * SECOND);
        assert_eq!(first.deadline, Some(now + 10 * SECOND));
        assert_eq!(share.left(), Some(5 * SECOND));
        // A concurrent one gets only what is left, so that both stay within the share.
        let (second, g2) = share.grant_at(wanted, now).unwrap();
        assert_eq!(second.max_time, 5 * SECOND);
        assert_eq!(share.left(), Some(Duration::ZERO));
        assert!(share.grant_at(wanted, now).is_none(), "spent");
        assert_eq!(share.skipped(), 1);
        // What a shrink did not use comes back.
        share.settle(g1, 4 * SECOND);
        assert_eq!(share.left(), Some(6 * SECOND));
        share.settle(g2, 5 * SECOND);
        assert_eq!(share.left(), Some(6 * SECOND));
        let (last, g3) = share.grant_at(wanted, now).unwrap();
        assert_eq!(last.max_time, 6 * SECOND);
        // A replay in flight at the grant's end may overrun it; the overrun is charged.
        share.settle(g3, 7 * SECOND);
        assert_eq!(share.left(), Some(Duration::ZERO));
        assert!(share.grant_at(wanted, now).is_none());
        assert_eq!(share.skipped(), 2);
    }

    #[test]
    fn the_run_deadline_still_bounds_a_grant_and_no_duration_means_no_share() {
        let now = Instant::now();
        let share = ShrinkShare::new(Some(100 * SECOND), 50);
        let early = ShrinkBudget {
            deadline: Some(now + SECOND),
            ..ShrinkBudget::default()
        };
        let (granted, _) = share.grant_at(early, now).unwrap();
        assert_eq!(granted.deadline, Some(now + SECOND), "the run ends first");
        assert_eq!(granted.max_time, 50 * SECOND);

        let none = ShrinkShare::new(Some(100 * SECOND), 0);
        assert!(none.grant_at(early, now).is_none(), "0 % never shrinks");
        let all = ShrinkShare::new(Some(SECOND), 250);
        assert_eq!(
            all.allowance(),
            Some(SECOND),
            "the share is capped at 100 %"
        );

        let unbounded = ShrinkShare::new(None, 25);
        let (same, grant) = unbounded.grant_at(early, now).unwrap();
        assert_eq!(same, early);
        unbounded.settle(grant, 1000 * SECOND);
        assert_eq!(unbounded.left(), None);
        assert!(unbounded.grant_at(early, now).is_some());
    }

    #[test]
    fn cases_or_duration_whichever_comes_first() {
        assert_eq!(case_limit(None, None), Some(DEFAULT_CASES));
        assert_eq!(case_limit(Some(5), None), Some(5));
        assert_eq!(case_limit(None, Some(SECOND)), None, "a duration alone");
        assert_eq!(
            case_limit(Some(5), Some(SECOND)),
            Some(5),
            "explicit cases still apply with a duration"
        );

        let now = Instant::now();
        let both = Budget::start(Some(2), Some(10 * SECOND), now);
        assert!(both.allows_case_at(1, now));
        assert!(!both.allows_case_at(2, now), "the cases ran out first");
        assert!(
            !both.allows_case_at(0, now + 10 * SECOND),
            "the time ran out first"
        );
        let time_only = Budget::start(None, Some(SECOND), now);
        assert!(time_only.allows_case_at(1_000_000, now));
        assert!(!time_only.allows_case_at(0, now + SECOND));
    }

    #[test]
    fn without_a_duration_there_is_no_deadline() {
        let now = Instant::now();
        let budget = Budget::start(None, None, now);
        assert_eq!(budget.deadline(), None);
        assert!(!budget.expired_at(now + 1000 * SECOND));
        assert!(budget.allows_case_at(DEFAULT_CASES - 1, now + 1000 * SECOND));
        assert!(!budget.allows_case_at(DEFAULT_CASES, now));
        let shrink = ShrinkBudget::default();
        assert_eq!(budget.shrink_budget_at(shrink, now), Some(shrink));
    }

    #[test]
    fn shrinking_gets_at_most_the_time_left_and_none_past_the_deadline() {
        let now = Instant::now();
        let budget = Budget::start(None, Some(10 * SECOND), now);
        let shrink = ShrinkBudget::default();
        assert_eq!(
            budget.shrink_budget_at(shrink, now + 4 * SECOND),
            Some(ShrinkBudget {
                max_time: 6 * SECOND,
                deadline: Some(now + 10 * SECOND),
                ..shrink
            })
        );
        let short = ShrinkBudget {
            max_time: SECOND,
            ..shrink
        };
        assert_eq!(
            budget.shrink_budget_at(short, now),
            Some(ShrinkBudget {
                deadline: Some(now + 10 * SECOND),
                ..short
            })
        );
        assert_eq!(budget.shrink_budget_at(shrink, now + 10 * SECOND), None);
        assert!(budget.expired_at(now + 10 * SECOND));
    }
}
