//! The built-in oracles by name, and the `--oracles` selection language.
//!
//! A selection is a comma-separated list, applied left to right:
//!
//! | item | meaning |
//! | --- | --- |
//! | `all` | every built-in oracle |
//! | `default` | every built-in oracle except those off by default ([`OFF_BY_DEFAULT`]) |
//! | `NAME` or `+NAME` | add one oracle |
//! | `-NAME` | remove one oracle |
//!
//! A list whose first item adds or removes (`+negative-acceptance`, `-slow-response`) starts
//! from `default`; otherwise it starts empty (`bola,bfla` is those two only). The result is in
//! report order ([`BUILT_IN`]), each oracle once.

use std::collections::BTreeSet;

use super::{
    AccountTakeover, BUILT_IN, Bfla, Bola, CONFORMANCE, DataExposure, ErrorDisclosure, IgnoredAuth,
    Injection, ListLeak, MassAssignment, NegativeAcceptance, OFF_BY_DEFAULT, Oracle, Redos,
    ResourceHierarchy, SECURITY, SchemaConformance, ServerError, SlowResponse, StatusConformance,
    TARGET_CRASH, TransportError, UseAfterDelete, UserEnumeration,
};

/// A new instance of the built-in oracle called `name` (`bola`), if there is one.
pub fn built_in(name: &str) -> Option<Box<dyn Oracle>> {
    Some(match name {
        ServerError::NAME => Box::new(ServerError),
        StatusConformance::NAME => Box::new(StatusConformance),
        SchemaConformance::NAME => Box::new(SchemaConformance::new()),
        Bola::NAME => Box::new(Bola),
        ListLeak::NAME => Box::new(ListLeak),
        Bfla::NAME => Box::new(Bfla),
        IgnoredAuth::NAME => Box::new(IgnoredAuth),
        AccountTakeover::NAME => Box::new(AccountTakeover),
        MassAssignment::NAME => Box::new(MassAssignment),
        UseAfterDelete::NAME => Box::new(UseAfterDelete),
        ResourceHierarchy::NAME => Box::new(ResourceHierarchy),
        Injection::NAME => Box::new(Injection),
        Redos::NAME => Box::new(Redos),
        UserEnumeration::NAME => Box::new(UserEnumeration),
        DataExposure::NAME => Box::new(DataExposure),
        ErrorDisclosure::NAME => Box::new(ErrorDisclosure),
        SlowResponse::NAME => Box::new(SlowResponse),
        TransportError::NAME => Box::new(TransportError),
        NegativeAcceptance::NAME => Box::new(NegativeAcceptance::new()),
        _ => return None,
    })
}

/// The oracles a run uses unless told otherwise: every built-in one except
/// [`OFF_BY_DEFAULT`], in report order.
pub fn defaults() -> Vec<Box<dyn Oracle>> {
    default_names().filter_map(built_in).collect()
}

fn default_names() -> impl Iterator<Item = &'static str> {
    BUILT_IN
        .iter()
        .copied()
        .filter(|n| !OFF_BY_DEFAULT.contains(n))
}

/// Why an `--oracles` value selects nothing usable. Each message lists the valid names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SelectError {
    /// The value names no oracle at all (empty, or only commas).
    #[error("no oracle given; {valid}", valid = valid_names())]
    NoOracle,
    /// A name that is no built-in oracle.
    #[error("unknown oracle `{0}`; {valid}", valid = valid_names())]
    Unknown(String),
    /// The value removes every oracle it adds.
    #[error("`{0}` selects no oracle; {valid}", valid = valid_names())]
    NoneSelected(String),
    /// A `--fail-on` item that is neither a class nor a built-in oracle.
    #[error(
        "unknown oracle or class `{0}` in --fail-on; the classes are all, security and \
         conformance; {valid}",
        valid = valid_names()
    )]
    UnknownFailOn(String),
}

/// Which findings make a run fail (exit 1), from `--fail-on`: a comma list of oracle names
/// and the classes `security` ([`SECURITY`]), `conformance` ([`CONFORMANCE`]) and `all`.
/// Findings of other oracles are still reported and saved; they only do not decide the exit
/// code, so a CI gate can fail on security bugs alone while the spec's known mismatches stay
/// visible.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum FailOn {
    /// Every finding fails the run (the default).
    #[default]
    All,
    /// Only findings of these oracles do.
    Oracles(BTreeSet<String>),
}

impl FailOn {
    /// Parses a `--fail-on` value (`security`, `bola,server-error`, `conformance,bfla`).
    pub fn parse(spec: &str) -> Result<Self, SelectError> {
        let mut oracles = BTreeSet::new();
        let mut any = false;
        for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            any = true;
            let item = item.to_ascii_lowercase();
            match item.as_str() {
                "all" => return Ok(Self::All),
                "security" => {
                    oracles.extend(SECURITY.iter().map(|n| n.to_string()));
                    // A request that brings the target down is a denial of service.
                    oracles.insert(TARGET_CRASH.to_string());
                }
                "conformance" => oracles.extend(CONFORMANCE.iter().map(|n| n.to_string())),
                name if BUILT_IN.contains(&name) || name == TARGET_CRASH => {
                    oracles.insert(name.to_string());
                }
                other => return Err(SelectError::UnknownFailOn(other.to_string())),
            }
        }
        if !any {
            return Err(SelectError::NoOracle);
        }
        Ok(Self::Oracles(oracles))
    }

    /// Whether a finding of `oracle` fails the run.
    pub fn counts(&self, oracle: &str) -> bool {
        match self {
            Self::All => true,
            Self::Oracles(names) => names.contains(oracle),
        }
    }
}

impl std::str::FromStr for FailOn {
    type Err = SelectError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The message, for callers that keep errors as text.
impl From<SelectError> for String {
    fn from(e: SelectError) -> String {
        e.to_string()
    }
}

/// The oracles an `--oracles` value selects (see the module documentation). Unknown names and
/// an empty result are errors that list the valid names.
pub fn select(spec: &str) -> Result<Vec<Box<dyn Oracle>>, SelectError> {
    let items: Vec<&str> = spec
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let Some(first) = items.first() else {
        return Err(SelectError::NoOracle);
    };
    let mut chosen: Vec<&'static str> = if first.starts_with(['+', '-']) {
        default_names().collect()
    } else {
        Vec::new()
    };
    for item in &items {
        let (add, name) = match item.strip_prefix('-') {
            Some(rest) => (false, rest.trim()),
            None => (true, item.strip_prefix('+').unwrap_or(item).trim()),
        };
        let names: Vec<&'static str> = match name {
            "all" => BUILT_IN.to_vec(),
            "default" => default_names().collect(),
            _ => match BUILT_IN.iter().find(|n| n.eq_ignore_ascii_case(name)) {
                Some(n) => vec![*n],
                None => {
                    return Err(SelectError::Unknown(name.to_string()));
                }
            },
        };
        for n in names {
            if add {
                if !chosen.contains(&n) {
                    chosen.push(n);
                }
            } else {
                chosen.retain(|c| *c != n);
            }
        }
    }
    if chosen.is_empty() {
        return Err(SelectError::NoneSelected(spec.to_string()));
    }
    Ok(BUILT_IN
        .iter()
        .filter(|n| chosen.contains(n))
        .filter_map(|n| built_in(n))
        .collect())
}

fn valid_names() -> String {
    format!(
        "valid: all, default, {} (prefix + to add, - to remove)",
        BUILT_IN.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(oracles: &[Box<dyn Oracle>]) -> Vec<&'static str> {
        oracles.iter().map(|o| o.name()).collect()
    }

    #[test]
    fn every_built_in_name_has_its_oracle() {
        for name in BUILT_IN {
            let oracle = built_in(name).unwrap_or_else(|| panic!("no oracle {name}"));
            assert_eq!(oracle.name(), *name);
        }
        assert!(built_in("nope").is_none());
    }

    #[test]
    fn defaults_leave_out_the_off_by_default_ones() {
        let d = names(&defaults());
        assert_eq!(d.len(), BUILT_IN.len() - OFF_BY_DEFAULT.len());
        assert!(!d.contains(&"negative-acceptance"));
        assert_eq!(d[0], "server-error");
        assert!(d.contains(&"slow-response"));
    }

    #[test]
    fn selections() {
        let sel = |s: &str| names(&select(s).unwrap_or_else(|e| panic!("{s}: {e}")));
        assert_eq!(sel("all"), BUILT_IN.to_vec());
        assert_eq!(sel("default"), names(&defaults()));
        assert_eq!(sel("bfla, bola"), ["bola", "bfla"], "report order, trimmed");
        assert_eq!(sel("bola,bola"), ["bola"]);

        let without_slow = sel("default,-slow-response");
        assert!(!without_slow.contains(&"slow-response"));
        assert_eq!(without_slow.len(), names(&defaults()).len() - 1);
        assert_eq!(sel("-slow-response"), without_slow, "starts from default");

        let plus = sel("+negative-acceptance");
        assert_eq!(plus, BUILT_IN.to_vec(), "default plus the only one off");
        assert_eq!(sel("all,-bola,-bfla").len(), BUILT_IN.len() - 2);
        assert_eq!(sel("Server-Error"), ["server-error"]);
    }

    #[test]
    fn bad_selections_name_the_valid_oracles() {
        let err = select("bola,bolla").err().expect("unknown name");
        assert_eq!(err, SelectError::Unknown("bolla".into()));
        let err = String::from(err);
        assert!(err.contains("unknown oracle `bolla`"), "{err}");
        assert!(
            err.contains("negative-acceptance") && err.contains("default"),
            "{err}"
        );
        let err = select(" , ").err().expect("nothing given").to_string();
        assert!(err.contains("no oracle given"), "{err}");
        let err = select("bola,-bola")
            .err()
            .expect("empty result")
            .to_string();
        assert!(err.contains("selects no oracle"), "{err}");
        assert!(select("-nope").is_err());
    }

    #[test]
    fn fail_on_takes_classes_and_names() {
        assert_eq!(FailOn::parse("all").unwrap(), FailOn::All);
        assert_eq!(FailOn::default(), FailOn::All);
        let security = FailOn::parse("security").unwrap();
        assert!(security.counts("bola") && security.counts("mass-assignment"));
        assert!(!security.counts("server-error") && !security.counts("status-conformance"));
        let mixed: FailOn = "conformance, BFLA".parse().unwrap();
        assert!(mixed.counts("bfla") && mixed.counts("schema-conformance"));
        assert!(!mixed.counts("bola"));
        assert_eq!(FailOn::parse("bola,all").unwrap(), FailOn::All);
    }

    #[test]
    fn every_built_in_oracle_is_in_exactly_one_fail_on_class() {
        for name in BUILT_IN {
            let classes = [SECURITY.contains(name), CONFORMANCE.contains(name)];
            assert_eq!(classes.iter().filter(|c| **c).count(), 1, "{name}");
        }
        assert_eq!(SECURITY.len() + CONFORMANCE.len(), BUILT_IN.len());
    }

    #[test]
    fn bad_fail_on_values_name_the_classes() {
        let err = FailOn::parse("security,bolla").unwrap_err();
        assert_eq!(err, SelectError::UnknownFailOn("bolla".into()));
        let text = err.to_string();
        assert!(text.contains("all, security and conformance"), "{text}");
        assert!(text.contains("bola"), "{text}");
        assert_eq!(FailOn::parse(" , ").unwrap_err(), SelectError::NoOracle);
    }
}
