//! The one clock of a campaign: cases or duration, whichever comes first.
//!
//! A [`Budget`] is started when the campaign starts. Workers take a new case only while it
//! [`allows`](Budget::allows_case) one; a new finding is confirmed, and shrunk, only before the
//! deadline, and shrinking gets at most the time left ([`Budget::shrink_budget`]). Without a
//! duration there is no deadline, and only the case count stops the run.

use std::time::{Duration, Instant};

use crate::config::DEFAULT_CASES;
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

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

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
