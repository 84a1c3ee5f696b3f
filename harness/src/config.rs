//! The settings of a run, layered: defaults, then `TRESPASS_*` environment variables, then
//! the CLI flags or the [`Harness`](crate::Harness) builder (later layers win). One exception:
//! in the `cargo test` API, `TRESPASS_SEED` and `TRESPASS_CASES` override the builder's
//! `.seed()` and `.cases()`, so that CI can re-run or deepen a test suite without code changes.
//!
//! | field | default | environment |
//! | --- | --- | --- |
//! | [`Config::cases`] | [`DEFAULT_CASES`] unless a duration is given | `TRESPASS_CASES` |
//! | [`Config::seed`] | random, printed | `TRESPASS_SEED` |
//! | [`Config::duration`] | none (cases decide) | `TRESPASS_DURATION` (`30s`, `5m`, `1h`) |
//! | [`Config::workers`] | 2 | `TRESPASS_WORKERS` |
//! | [`Config::max_shrink_time`] | 60 s | `TRESPASS_MAX_SHRINK_TIME` |
//! | [`Config::shrink_share`] | 25 % | `TRESPASS_SHRINK_SHARE` |
//! | [`Config::confirmations`] | 3 | `TRESPASS_CONFIRMATIONS` |
//! | [`Config::request_timeout`] | 10 s | `TRESPASS_REQUEST_TIMEOUT` |
//! | [`Config::slow_threshold`] | 5 s | `TRESPASS_SLOW_THRESHOLD` |
//! | [`Config::max_body_bytes`] | 1 MiB | `TRESPASS_MAX_BODY_BYTES` |
//! | [`Config::attack_rate`] | 0.1 | `TRESPASS_ATTACK_RATE` (`0.05` or `5%`) |
//!
//! Cases and duration: whichever comes first. An explicit case count (`TRESPASS_CASES`,
//! `--cases`, `Harness::cases`) applies with a duration too; the default count applies only
//! when neither a count nor a duration is given; a duration alone runs until the time is up.
//!
//! `TRESPASS_LOG` (the log filter) is read by the binary. An unknown `TRESPASS_*` variable is
//! warned about (a typo would otherwise be silently ignored); a malformed value is an error
//! naming the variable.

use std::time::Duration;

/// Cases a run takes when neither a case count nor a duration is given.
pub const DEFAULT_CASES: u64 = 100;

/// The share (percent) of a `--duration` that shrinking may use in all, across every finding
/// of the campaign, unless set otherwise (`--shrink-share`, `TRESPASS_SHRINK_SHARE`).
pub const DEFAULT_SHRINK_SHARE: u8 = 25;

/// Names of the environment variables [`Config::from_env`] reads (plus `TRESPASS_LOG`).
pub const ENV_VARS: &[&str] = &[
    "TRESPASS_CASES",
    "TRESPASS_SEED",
    "TRESPASS_DURATION",
    "TRESPASS_WORKERS",
    "TRESPASS_MAX_SHRINK_TIME",
    "TRESPASS_SHRINK_SHARE",
    "TRESPASS_CONFIRMATIONS",
    "TRESPASS_REQUEST_TIMEOUT",
    "TRESPASS_SLOW_THRESHOLD",
    "TRESPASS_MAX_BODY_BYTES",
    "TRESPASS_ATTACK_RATE",
    "TRESPASS_LOG",
];

/// The settings of a run.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// Number of generated sequences (cases) to run, when given; `TRESPASS_CASES`. `None`
    /// runs [`DEFAULT_CASES`], or until the time is up when there is a `duration`.
    pub cases: Option<u64>,
    /// Seed of the generators; `None` picks one at random (and reports it). `TRESPASS_SEED`.
    pub seed: Option<u64>,
    /// Wall-clock budget; when set, the run stops at whichever of `cases` and `duration` comes
    /// first. `TRESPASS_DURATION`.
    pub duration: Option<Duration>,
    /// Sequences run concurrently (steps inside a sequence stay ordered). Default 2;
    /// `TRESPASS_WORKERS`.
    pub workers: usize,
    /// Time budget for shrinking one finding. Default 60 s; `TRESPASS_MAX_SHRINK_TIME`.
    pub max_shrink_time: Duration,
    /// With a duration: the percentage of it that shrinking may use in all, across every
    /// finding (0 to 100). Default 25; `TRESPASS_SHRINK_SHARE` (`25` or `25%`).
    pub shrink_share: u8,
    /// Replays that must reproduce a minimized finding before it is reported as confirmed
    /// (otherwise it is flaky). Default 3; `TRESPASS_CONFIRMATIONS`.
    pub confirmations: u32,
    /// Time allowed for one request. Default 10 s; `TRESPASS_REQUEST_TIMEOUT`.
    pub request_timeout: Duration,
    /// Answers slower than this are reported by the `slow-response` oracle. Default 5 s;
    /// `TRESPASS_SLOW_THRESHOLD`.
    pub slow_threshold: Duration,
    /// Response bodies are cut at this size. Default 1 MiB; `TRESPASS_MAX_BODY_BYTES`.
    pub max_body_bytes: usize,
    /// The chance that a generated argument whose schema admits attack payloads (SQL, NoSQL,
    /// traversal, template, CRLF, unicode, JSON-breaking, long strings) carries one. Default
    /// 0.1; `TRESPASS_ATTACK_RATE` (`0.05` or `5%`); 0 turns payloads off.
    pub attack_rate: f64,
    /// `TRESPASS_*` variables of the environment that are no setting, in the order seen:
    /// typos, or credentials the identities file uses ([`Config::warn_unknown_vars`]).
    pub unknown_vars: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            cases: None,
            seed: None,
            duration: None,
            workers: 2,
            max_shrink_time: Duration::from_secs(60),
            shrink_share: DEFAULT_SHRINK_SHARE,
            confirmations: 3,
            request_timeout: Duration::from_secs(10),
            slow_threshold: Duration::from_secs(5),
            max_body_bytes: 1024 * 1024,
            attack_rate: trespass_generators::sequence::SequenceConfig::DEFAULT_ATTACK_RATE,
            unknown_vars: Vec::new(),
        }
    }
}

/// A `TRESPASS_*` variable with a value that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid value for environment variable {var}={value:?}: {reason}")]
pub struct ConfigError {
    /// The variable.
    pub var: String,
    /// Its value.
    pub value: String,
    /// What was expected.
    pub reason: String,
}

impl Config {
    /// Warns (through `tracing`) about each unknown `TRESPASS_*` variable that `used` (the
    /// variables the identities file substitutes) does not name: a typo would otherwise be
    /// silently ignored, and a credential variable is not a typo.
    pub fn warn_unknown_vars(&self, used: &std::collections::BTreeSet<String>) {
        for unknown in self.unknown_vars.iter().filter(|v| !used.contains(*v)) {
            tracing::warn!(
                "ignoring unknown environment variable {unknown} (known: {})",
                ENV_VARS.join(", ")
            );
        }
    }

    /// Defaults overlaid with the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::default().overlay_env(std::env::vars())
    }

    /// `self` overlaid with the `TRESPASS_*` variables among `vars`. Unknown `TRESPASS_*` names
    /// are kept in [`Config::unknown_vars`], for [`Config::warn_unknown_vars`] once it is known
    /// which ones the identities file uses.
    pub fn overlay_env(
        mut self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        for (var, value) in vars {
            if !var.starts_with("TRESPASS_") {
                continue;
            }
            let err = |reason: &str| ConfigError {
                var: var.clone(),
                value: value.clone(),
                reason: reason.to_string(),
            };
            let v = value.trim();
            match var.as_str() {
                "TRESPASS_CASES" => {
                    self.cases = Some(v.parse().map_err(|_| err("a whole number"))?)
                }
                "TRESPASS_SEED" => self.seed = Some(v.parse().map_err(|_| err("a whole number"))?),
                "TRESPASS_DURATION" => {
                    self.duration = Some(parse_duration(v).map_err(|e| err(&e))?)
                }
                "TRESPASS_WORKERS" => {
                    self.workers = match v.parse() {
                        Ok(n) if n > 0 => n,
                        _ => return Err(err("a whole number of at least 1")),
                    }
                }
                "TRESPASS_MAX_SHRINK_TIME" => {
                    self.max_shrink_time = parse_duration(v).map_err(|e| err(&e))?
                }
                "TRESPASS_SHRINK_SHARE" => {
                    self.shrink_share = parse_share(v).map_err(|e| err(&e))?
                }
                "TRESPASS_CONFIRMATIONS" => {
                    self.confirmations = v.parse().map_err(|_| err("a whole number"))?
                }
                "TRESPASS_REQUEST_TIMEOUT" => {
                    self.request_timeout = parse_duration(v).map_err(|e| err(&e))?
                }
                "TRESPASS_SLOW_THRESHOLD" => {
                    self.slow_threshold = parse_duration(v).map_err(|e| err(&e))?
                }
                "TRESPASS_MAX_BODY_BYTES" => {
                    self.max_body_bytes = v.parse().map_err(|_| err("a number of bytes"))?
                }
                "TRESPASS_ATTACK_RATE" => self.attack_rate = parse_rate(v).map_err(|e| err(&e))?,
                known if ENV_VARS.contains(&known) => {}
                unknown => self.unknown_vars.push(unknown.to_string()),
            }
        }
        Ok(self)
    }
}

/// Parses a rate from 0 to 1: `0.05`, or a percentage `5%`.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let rate = match t.strip_suffix('%') {
        Some(pct) => pct.trim().parse::<f64>().map(|p| p / 100.0),
        None => t.parse::<f64>(),
    };
    match rate {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(format!(
            "`{text}` is not a rate from 0 to 1 (`0.05`) or a percentage (`5%`)"
        )),
    }
}

/// Parses a percentage from 0 to 100: `25` or `25%`.
pub fn parse_share(text: &str) -> Result<u8, String> {
    let number = text.trim().trim_end_matches('%').trim();
    match number.parse::<u8>() {
        Ok(n) if n <= 100 => Ok(n),
        _ => Err(format!("`{text}` is not a percentage from 0 to 100")),
    }
}

/// Parses `250ms`, `30s`, `5m`, `1h`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (use e.g. 250ms, 30s, 5m, 1h)"))?;
    let seconds = match unit.trim() {
        "ms" => number / 1000.0,
        "" | "s" => number,
        "m" | "min" => number * 60.0,
        "h" => number * 3600.0,
        other => return Err(format!("unknown unit `{other}` (use ms, s, m or h)")),
    };
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(format!("`{text}` is not a duration"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn env_overrides_defaults() {
        let c = Config::default()
            .overlay_env(vars(&[
                ("TRESPASS_CASES", "7"),
                ("TRESPASS_SEED", "42"),
                ("TRESPASS_DURATION", "2m"),
                ("TRESPASS_MAX_SHRINK_TIME", "1500ms"),
                ("TRESPASS_SHRINK_SHARE", "40%"),
                ("TRESPASS_ATTACK_RATE", "2.5%"),
                ("PATH", "/bin"),
            ]))
            .unwrap();
        assert!((c.attack_rate - 0.025).abs() < 1e-9, "{}", c.attack_rate);
        assert_eq!(parse_rate("0"), Ok(0.0));
        assert_eq!(parse_rate("1"), Ok(1.0));
        for bad in ["1.5", "-0.1", "150%", "often", "NaN"] {
            let e = parse_rate(bad).unwrap_err();
            assert!(e.contains(bad), "{e}");
        }
        assert_eq!(c.cases, Some(7));
        assert_eq!(c.seed, Some(42));
        assert_eq!(c.duration, Some(Duration::from_secs(120)));
        assert_eq!(c.max_shrink_time, Duration::from_millis(1500));
        assert_eq!(c.shrink_share, 40);
        assert_eq!(Config::default().shrink_share, DEFAULT_SHRINK_SHARE);
        assert_eq!(parse_share(" 0 "), Ok(0));
        assert_eq!(parse_share("100%"), Ok(100));
        assert!(parse_share("101").is_err() && parse_share("-1").is_err());
        let bad = Config::default()
            .overlay_env(vars(&[("TRESPASS_SHRINK_SHARE", "half")]))
            .unwrap_err();
        assert_eq!(bad.var, "TRESPASS_SHRINK_SHARE");
        assert_eq!(c.workers, Config::default().workers);
    }

    #[test]
    fn cases_are_unset_unless_given() {
        assert_eq!(Config::default().cases, None);
        let c = Config::default()
            .overlay_env(vars(&[("TRESPASS_DURATION", "5s")]))
            .unwrap();
        assert_eq!((c.cases, c.duration), (None, Some(Duration::from_secs(5))));
    }

    #[test]
    fn malformed_values_name_the_variable() {
        for (var, value) in [
            ("TRESPASS_CASES", "many"),
            ("TRESPASS_WORKERS", "0"),
            ("TRESPASS_DURATION", "5 fortnights"),
            ("TRESPASS_SEED", "-1"),
        ] {
            let err = Config::default()
                .overlay_env(vars(&[(var, value)]))
                .unwrap_err();
            assert_eq!(err.var, var);
            assert!(err.to_string().contains(var), "{err}");
        }
    }

    #[test]
    fn unknown_variables_are_not_errors() {
        let c = Config::default()
            .overlay_env(vars(&[
                ("TRESPASS_CASSES", "5"),
                ("TRESPASS_ALICE_TOKEN", "t"),
            ]))
            .unwrap();
        assert_eq!(c.cases, None, "the typo sets nothing");
        assert_eq!(c.unknown_vars, ["TRESPASS_CASSES", "TRESPASS_ALICE_TOKEN"]);
        assert_eq!(
            Config {
                unknown_vars: Vec::new(),
                ..c
            },
            Config::default()
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("3 weeks").is_err());
    }
}
