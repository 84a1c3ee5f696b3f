//! String formats: generators of well-formed values and checks of the formats that JSON
//! Schema validators assert.
//!
//! The checks follow the definitions the `jsonschema` crate applies with format validation on
//! (RFC 3339 dates and times with a mandatory offset, RFC 1123 host names, RFC 3986 URIs,
//! hyphenated UUIDs, ...), so a value this module accepts is accepted there too. Formats that
//! validators ignore (`byte`, `binary`, `int64`, `password`, ...) are still generated in their
//! usual shape, because servers parse them.

use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::collection::vec;
use proptest::prelude::*;

use super::filter::{FuseExt, one_of};

/// Whether JSON Schema validators assert `format` (and [`check`] decides it).
pub(crate) fn is_asserted(format: &str) -> bool {
    matches!(
        format,
        "date"
            | "date-time"
            | "time"
            | "duration"
            | "email"
            | "hostname"
            | "ipv4"
            | "ipv6"
            | "iri"
            | "iri-reference"
            | "json-pointer"
            | "regex"
            | "relative-json-pointer"
            | "uri"
            | "uri-reference"
            | "uri-template"
            | "uuid"
    )
}

/// Whether `s` is a well-formed value of `format`; `true` for formats that are not asserted.
pub(crate) fn check(format: &str, s: &str) -> bool {
    match format {
        "date" => is_date(s),
        "date-time" => is_date_time(s),
        "time" => is_time(s),
        "duration" => is_duration(s),
        "email" => is_email(s),
        "hostname" => is_hostname(s),
        "ipv4" => s.parse::<Ipv4Addr>().is_ok(),
        "ipv6" => s.parse::<Ipv6Addr>().is_ok(),
        "uri" => is_uri(s, true, false),
        "uri-reference" => is_uri(s, false, false),
        "iri" => is_uri(s, true, true),
        "iri-reference" => is_uri(s, false, true),
        "json-pointer" => is_json_pointer(s),
        "relative-json-pointer" => is_relative_json_pointer(s),
        "regex" => super::regex::translate(s).is_ok(),
        "uri-template" => is_uri_template(s),
        "uuid" => is_uuid(s),
        _ => true,
    }
}

/// A string that is clearly not a value of `format`, for negative values.
pub(crate) fn violation(format: &str) -> Option<&'static str> {
    Some(match format {
        "date" => "2024-13-45",
        "date-time" => "2024-01-01 25:61",
        "time" => "25:61:00",
        "duration" => "P1X",
        "email" => "not-an-email",
        "hostname" => "-bad-.host-",
        "ipv4" => "300.1.2.3",
        "ipv6" => "12345::zz",
        "uri" | "iri" => "not a uri",
        "uri-reference" | "iri-reference" => "\\\\bad uri",
        "json-pointer" => "no-leading-slash",
        "relative-json-pointer" => "/x",
        "regex" => "[unclosed",
        "uri-template" => "{unclosed",
        "uuid" => "not-a-uuid",
        _ => return None,
    })
}

/// A generator of well-formed values of `format`, or `None` for a format without a known
/// shape (those get plain strings).
pub(crate) fn strategy(format: &str) -> Option<SBoxedStrategy<String>> {
    Some(match format {
        "date" => date().fused(),
        "date-time" => (date(), time())
            .prop_map(|(d, t)| format!("{d}T{t}"))
            .fused(),
        "time" => time().fused(),
        "duration" => one_of(vec![
            (1, (1u32..=30).prop_map(|d| format!("P{d}D")).fused()),
            (
                1,
                (1u32..=23, 0u32..=59)
                    .prop_map(|(h, m)| format!("PT{h}H{m}M"))
                    .fused(),
            ),
            (
                1,
                (1u32..=5, 1u32..=11)
                    .prop_map(|(y, m)| format!("P{y}Y{m}M"))
                    .fused(),
            ),
        ]),
        "email" | "idn-email" => (word(1, 8), prop::option::of(word(1, 4)).fused(), domain())
            .prop_map(|(local, tag, domain)| match tag {
                Some(tag) => format!("{local}.{tag}@{domain}"),
                None => format!("{local}@{domain}"),
            })
            .fused(),
        "hostname" | "idn-hostname" => one_of(vec![
            (1, domain().fused()),
            (
                1,
                (word(1, 10), domain())
                    .prop_map(|(h, d)| format!("{h}.{d}"))
                    .fused(),
            ),
        ]),
        "ipv4" => any::<[u8; 4]>()
            .prop_map(|b| Ipv4Addr::from(b).to_string())
            .fused(),
        "ipv6" => any::<[u16; 8]>()
            .prop_map(|s| Ipv6Addr::from(s).to_string())
            .fused(),
        "uri" | "url" | "iri" | "uri-reference" | "iri-reference" => {
            (domain(), vec(word(1, 8), 0..=3).fused())
                .prop_map(|(host, segments)| format!("https://{host}/{}", segments.join("/")))
                .fused()
        }
        "uri-template" => (domain(), word(1, 8))
            .prop_map(|(host, name)| format!("https://{host}/{name}/{{id}}"))
            .fused(),
        "json-pointer" => vec(word(1, 6), 0..=3)
            .prop_map(|tokens| tokens.iter().map(|t| format!("/{t}")).collect())
            .fused(),
        "relative-json-pointer" => (0u32..3, vec(word(1, 6), 0..=2).fused())
            .prop_map(|(up, tokens)| {
                let tail: String = tokens.iter().map(|t| format!("/{t}")).collect();
                format!("{up}{tail}")
            })
            .fused(),
        "regex" => one_of(vec![
            (1, Just("^[a-z]+$".to_string()).fused()),
            (1, Just("[0-9]{3}".to_string()).fused()),
            (1, Just(".*".to_string()).fused()),
        ]),
        "uuid" | "guid" => any::<u128>().prop_map(uuid_v4).fused(),
        "byte" | "base64" => vec(any::<u8>(), 0..=12)
            .prop_map(|bytes| base64(&bytes))
            .fused(),
        "binary" | "password" => word(1, 12).fused(),
        "int32" => any::<i32>().prop_map(|n| n.to_string()).fused(),
        "int64" | "long" => one_of(vec![
            (1, (0i64..1000).prop_map(|n| n.to_string()).fused()),
            (1, any::<i64>().prop_map(|n| n.to_string()).fused()),
        ]),
        "uint32" => any::<u32>().prop_map(|n| n.to_string()).fused(),
        "uint64" => any::<u64>().prop_map(|n| n.to_string()).fused(),
        "float" | "double" | "decimal" | "number" => (-10_000i64..10_000, 0u32..100)
            .prop_map(|(i, f)| format!("{i}.{f:02}"))
            .fused(),
        _ => return None,
    })
}

fn word(min: usize, max: usize) -> SBoxedStrategy<String> {
    vec(prop::char::range('a', 'z'), min..=max)
        .prop_map(|c| c.into_iter().collect())
        .fused()
}

fn domain() -> SBoxedStrategy<String> {
    prop::sample::select(vec![
        "example.com",
        "example.org",
        "example.net",
        "api.example.com",
    ])
    .prop_map(str::to_string)
    .fused()
}

fn date() -> SBoxedStrategy<String> {
    (1970u32..=2037, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
        .fused()
}

fn time() -> SBoxedStrategy<String> {
    let offset = one_of(vec![
        (3, Just("Z".to_string()).fused()),
        (
            1,
            (0u32..=14, prop::bool::ANY.fused())
                .prop_map(|(h, east)| format!("{}{h:02}:00", if east { '+' } else { '-' }))
                .fused(),
        ),
    ]);
    (
        0u32..24,
        0u32..60,
        0u32..60,
        prop::option::weighted(0.2, 0u32..1000).fused(),
        offset,
    )
        .prop_map(|(h, m, s, millis, offset)| match millis {
            Some(ms) => format!("{h:02}:{m:02}:{s:02}.{ms:03}{offset}"),
            None => format!("{h:02}:{m:02}:{s:02}{offset}"),
        })
        .fused()
}

/// A version-4 UUID built from 128 random bits.
fn uuid_v4(n: u128) -> String {
    let h = format!("{n:032x}");
    let variant = ['8', '9', 'a', 'b'][(n % 4) as usize];
    format!(
        "{}-{}-4{}-{variant}{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// Standard base64 with padding.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn two_digits(b: &[u8]) -> Option<u32> {
    match b {
        [a, c] if a.is_ascii_digit() && c.is_ascii_digit() => {
            Some(u32::from(a - b'0') * 10 + u32::from(c - b'0'))
        }
        _ => None,
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !b[..4].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let year: u32 = s[..4].parse().unwrap_or(0);
    let (Some(month), Some(day)) = (two_digits(&b[5..7]), two_digits(&b[8..10])) else {
        return false;
    };
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 9 || b[2] != b':' || b[5] != b':' {
        return false;
    }
    let (Some(h), Some(m), Some(sec)) = (
        two_digits(&b[0..2]),
        two_digits(&b[3..5]),
        two_digits(&b[6..8]),
    ) else {
        return false;
    };
    // Leap seconds are valid only at 23:59 UTC; generated values never use them.
    if h > 23 || m > 59 || sec > 59 {
        return false;
    }
    let mut i = 8;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match &b[i..] {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', rest @ ..] if rest.len() == 5 && rest[2] == b':' => {
            matches!(
                (two_digits(&rest[0..2]), two_digits(&rest[3..5])),
                (Some(oh), Some(om)) if oh <= 23 && om <= 59
            )
        }
        _ => false,
    }
}

fn is_date_time(s: &str) -> bool {
    match s.find(['T', 't']) {
        Some(10) => is_date(&s[..10]) && is_time(&s[11..]),
        _ => false,
    }
}

fn is_duration(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('P') else {
        return false;
    };
    if rest.is_empty() {
        return false;
    }
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => {
            if t.is_empty() {
                return false;
            }
            (d, Some(t))
        }
        None => (rest, None),
    };
    let units_ok = |part: &str, units: &[char]| -> bool {
        let mut last = None::<usize>;
        let mut digits = 0;
        for c in part.chars() {
            if c.is_ascii_digit() {
                digits += 1;
                continue;
            }
            let Some(pos) = units.iter().position(|&u| u == c) else {
                return false;
            };
            if digits == 0 || last.is_some_and(|l| pos <= l) {
                return false;
            }
            last = Some(pos);
            digits = 0;
        }
        digits == 0
    };
    if let Some(weeks) = date.strip_suffix('W') {
        return time.is_none() && !weeks.is_empty() && weeks.chars().all(|c| c.is_ascii_digit());
    }
    units_ok(date, &['Y', 'M', 'D']) && time.is_none_or(|t| units_ok(t, &['H', 'M', 'S']))
}

fn is_hostname(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 253 || b[b.len() - 1] == b'.' {
        return false;
    }
    s.split('.').all(|label| {
        let l = label.as_bytes();
        !l.is_empty()
            && l.len() <= 63
            && l[0] != b'-'
            && l[l.len() - 1] != b'-'
            && l.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
            && !(l.len() >= 4 && l[2] == b'-' && l[3] == b'-')
    })
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| atext(c) || c == '.')
        && is_hostname(domain)
}

fn is_uri(s: &str, absolute: bool, international: bool) -> bool {
    let allowed = |c: char| {
        c.is_ascii_alphanumeric()
            || "-._~:/?#[]@!$&'()*+,;=".contains(c)
            || (international && !c.is_ascii() && !c.is_control() && !c.is_whitespace())
    };
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if !(i + 2 < b.len() && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit()) {
                return false;
            }
            i += 3;
            continue;
        }
        i += 1;
    }
    if !s.chars().all(|c| allowed(c) || c == '%') {
        return false;
    }
    let scheme = s
        .split_once(':')
        .map(|(scheme, _)| scheme)
        .filter(|scheme| !scheme.contains(['/', '?', '#']));
    match scheme {
        Some(scheme) => {
            let mut chars = scheme.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        }
        None => !absolute,
    }
}

fn is_json_pointer(s: &str) -> bool {
    if s.is_empty() {
        return true;
    }
    if !s.starts_with('/') {
        return false;
    }
    let b = s.as_bytes();
    b.iter()
        .enumerate()
        .all(|(i, &c)| c != b'~' || matches!(b.get(i + 1), Some(b'0' | b'1')))
}

fn is_relative_json_pointer(s: &str) -> bool {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || (digits > 1 && s.starts_with('0')) {
        return false;
    }
    let rest = &s[digits..];
    rest == "#" || is_json_pointer(rest)
}

fn is_uri_template(s: &str) -> bool {
    let mut open = false;
    for c in s.chars() {
        match c {
            '{' if open => return false,
            '{' => open = true,
            '}' if !open => return false,
            '}' => open = false,
            _ => {}
        }
    }
    !open
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    use super::*;

    #[test]
    fn generated_values_pass_their_checks() {
        let mut runner = TestRunner::deterministic();
        for format in [
            "date",
            "date-time",
            "time",
            "duration",
            "email",
            "hostname",
            "ipv4",
            "ipv6",
            "uri",
            "uri-reference",
            "iri",
            "json-pointer",
            "relative-json-pointer",
            "regex",
            "uri-template",
            "uuid",
        ] {
            let s = strategy(format).unwrap();
            for _ in 0..100 {
                let v = s.new_tree(&mut runner).unwrap().current();
                assert!(check(format, &v), "{format}: {v:?}");
            }
            let bad = violation(format).unwrap();
            assert!(!check(format, bad), "{format}: {bad:?} passes");
            assert!(is_asserted(format));
        }
    }

    #[test]
    fn checks_reject_near_misses() {
        assert!(is_date("2024-02-29") && !is_date("2023-02-29") && !is_date("2024-1-01"));
        assert!(is_date_time("2024-01-01T10:00:00.5+02:00"));
        assert!(!is_date_time("2024-01-01T10:00:00"));
        assert!(!is_time("10:00:00") && is_time("10:00:00z"));
        assert!(is_uuid("123e4567-e89b-12d3-a456-426614174000"));
        assert!(!is_email("a@b@") && is_email("a.b@example.com"));
        assert!(!is_uri("/relative", true, false) && is_uri("/relative", false, false));
        assert!(!is_uri("http://a b", true, false));
        assert!(
            is_duration("P1Y2M")
                && is_duration("PT1H")
                && !is_duration("PT")
                && !is_duration("P1M1Y")
        );
        assert_eq!(base64(b"hello"), "aGVsbG8=");
        assert_eq!(base64(b""), "");
        assert!(check("int64", "whatever"));
        assert!(!is_asserted("int64"));
    }

    #[test]
    fn number_like_formats_parse() {
        let mut runner = TestRunner::deterministic();
        for format in ["int32", "int64", "uint32", "uint64", "double"] {
            let s = strategy(format).unwrap();
            for _ in 0..50 {
                let v = s.new_tree(&mut runner).unwrap().current();
                assert!(v.parse::<f64>().is_ok(), "{format}: {v}");
            }
        }
        let byte = strategy("byte").unwrap();
        let v = byte.new_tree(&mut runner).unwrap().current();
        assert_eq!(v.len() % 4, 0, "{v}");
    }
}
