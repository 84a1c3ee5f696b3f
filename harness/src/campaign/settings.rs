//! The budget and knobs of a campaign.

use std::time::Duration;

use crate::shrink::ShrinkBudget;

/// The budget and knobs of a campaign.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Settings {
    /// Most sequences to run; with a `duration` the run stops at whichever comes first.
    /// `None`: until the time is up when there is a duration, else
    /// [`DEFAULT_CASES`](crate::config::DEFAULT_CASES).
    pub cases: Option<u64>,
    /// Wall-clock budget of the whole run: generation, confirmation and shrinking.
    pub duration: Option<Duration>,
    /// The seed; case `n` is a function of `(seed, n)`.
    pub seed: u64,
    /// Sequences run at once.
    pub workers: usize,
    /// Answers slower than this are slow (`slow-response`).
    pub slow_threshold: Duration,
    /// Time allowed for one request.
    pub request_timeout: Duration,
    /// Response bodies are cut at this size.
    pub max_body_bytes: usize,
    /// Replay each new signature alone to confirm it (default on).
    pub confirm: bool,
    /// Shrink each confirmed finding against the target within this budget (cut to the time
    /// the run has left); `None` keeps findings as generated.
    pub shrink: Option<ShrinkBudget>,
    /// With a `duration`: the percentage of it that shrinking may use in all, across every
    /// finding ([`super::ShrinkShare`]); findings past it are saved as found (not shrunk),
    /// for `trespass shrink FILE` to shrink later.
    pub shrink_share: u8,
    /// Run only this part of the case space ([`super::Shard`]): the cases `n < cases` with
    /// `n mod N = K - 1`. `None`: every case.
    pub shard: Option<super::Shard>,
    /// Request starts per second at most, across all workers (`--rate`); `None`: unlimited.
    pub rate: Option<f64>,
    /// Requests in flight at most, across all workers (`--max-in-flight`); `None`: unlimited.
    pub max_in_flight: Option<usize>,
    /// How 429 and 503-with-`Retry-After` answers are waited for and sent again.
    pub retry: crate::http::RetryPolicy,
    /// The chance that a generated argument whose schema admits attack payloads carries one
    /// ([`Config::attack_rate`](crate::config::Config::attack_rate)).
    pub attack_rate: f64,
    /// The share of cases (0 to 1) that extend their fresh sequence with moves aimed at an
    /// operation the campaign has rarely sent (`--feedback`; 0: off; default
    /// [`DEFAULT_FEEDBACK`](super::DEFAULT_FEEDBACK)). See [`super::feedback`].
    pub feedback: f64,
}

impl Settings {
    /// Settings from the run configuration (`TRESPASS_*` defaults), with `seed` chosen.
    pub fn from_config(config: &crate::config::Config, seed: u64) -> Self {
        Self {
            cases: config.cases,
            duration: config.duration,
            seed,
            workers: config.workers.max(1),
            slow_threshold: config.slow_threshold,
            request_timeout: config.request_timeout,
            max_body_bytes: config.max_body_bytes,
            confirm: true,
            shrink: Some(ShrinkBudget {
                max_time: config.max_shrink_time,
                confirmations: config.confirmations,
                ..ShrinkBudget::default()
            }),
            shrink_share: config.shrink_share,
            shard: None,
            rate: None,
            max_in_flight: None,
            retry: crate::http::RetryPolicy::default(),
            attack_rate: config.attack_rate,
            feedback: super::feedback::DEFAULT_FEEDBACK,
        }
    }

    /// The most cases the run takes (`None`: until the time is up); see
    /// [`super::budget::case_limit`].
    pub fn case_limit(&self) -> Option<u64> {
        super::budget::case_limit(self.cases, self.duration)
    }

    /// How many cases this run takes (its shard's share of [`Settings::case_limit`]).
    pub fn own_case_limit(&self) -> Option<u64> {
        let limit = self.case_limit()?;
        Some(self.shard.map_or(limit, |shard| shard.cases_below(limit)))
    }

    /// `12 cases`, `for 30s`, `up to 12 cases or 30s`: the budget as the CLI shows it.
    pub fn describe_budget(&self) -> String {
        let budget = self.describe_whole_budget();
        match self.shard {
            None => budget,
            Some(shard) => format!("shard {shard} of {budget}"),
        }
    }

    fn describe_whole_budget(&self) -> String {
        match (self.cases, self.duration) {
            (Some(n), Some(d)) => format!("up to {n} cases or {d:?}"),
            (Some(n), None) => format!("{n} cases"),
            (None, Some(d)) => format!("for {d:?}"),
            (None, None) => format!("{} cases", crate::config::DEFAULT_CASES),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, DEFAULT_CASES};

    fn settings(vars: &[(&str, &str)]) -> Settings {
        let config = Config::default()
            .overlay_env(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
            .unwrap();
        Settings::from_config(&config, 1)
    }

    #[test]
    fn the_default_case_count_applies_only_when_neither_is_given() {
        let none = settings(&[]);
        assert_eq!((none.cases, none.duration), (None, None));
        assert_eq!(none.case_limit(), Some(DEFAULT_CASES));
        assert_eq!(none.describe_budget(), format!("{DEFAULT_CASES} cases"));

        let duration = settings(&[("TRESPASS_DURATION", "30s")]);
        assert_eq!(duration.case_limit(), None, "until the time is up");
        assert_eq!(duration.describe_budget(), "for 30s");
    }

    #[test]
    fn explicit_cases_and_a_duration_both_apply() {
        let both = settings(&[("TRESPASS_CASES", "12"), ("TRESPASS_DURATION", "30s")]);
        assert_eq!(both.cases, Some(12));
        assert_eq!(both.duration, Some(Duration::from_secs(30)));
        assert_eq!(both.case_limit(), Some(12));
        assert_eq!(both.describe_budget(), "up to 12 cases or 30s");
    }
}
