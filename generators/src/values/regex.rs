//! `pattern` support: ECMA-262 patterns translated to the `regex` crate's syntax, a string
//! generator over the parsed expression, and a matcher to check the result.
//!
//! Translation: `\d`, `\w`, `\s` get their ASCII ECMA meaning, `.` excludes the four ECMA line
//! terminators, `\uXXXX` and `\cX` become `\x{...}`, `[` and set operators inside classes and
//! stray `{`, `}`, `]` become literals (ECMA Annex B). Lookaround and backreferences have no
//! equivalent and are reported as [`UnsatisfiableKind::UnsupportedPattern`].
//!
//! Generation differs from `proptest::string::string_regex` in three ways: anchors (`^`, `$`)
//! and word boundaries generate nothing instead of failing, unbounded repetitions stop after a
//! few items, and large character classes draw mostly from printable ASCII so values stay
//! readable. The value builder checks every generated string against the compiled pattern
//! (search semantics, as JSON Schema uses), so an approximation never yields an invalid value.

use std::sync::Arc;

use proptest::collection::vec;
use proptest::prelude::*;
use regex_syntax::hir::{Class, Hir, HirKind, Look};

use super::error::{Unsatisfiable, UnsatisfiableKind};
use super::filter::{FuseExt, one_of};

/// How many extra items an unbounded (or very wide) repetition generates at most, unless a
/// longer span is asked for (to reach a `minLength`).
const REPEAT_SPAN: u32 = 8;

/// A pattern ready for generation and matching.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    /// The pattern in `regex` syntax.
    pub(crate) translated: String,
    hir: Hir,
    /// The compiled matcher; `None` when the regex engine refused it (size limits), in which
    /// case generated strings are trusted.
    matcher: Option<Arc<regex::Regex>>,
}

impl Pattern {
    /// Translates and parses an ECMA-262 pattern.
    pub(crate) fn parse(pattern: &str, pointer: &str) -> Result<Self, Unsatisfiable> {
        let unsupported =
            |why: String| Unsatisfiable::new(pointer, UnsatisfiableKind::UnsupportedPattern, why);
        let translated =
            translate(pattern).map_err(|why| unsupported(format!("pattern `{pattern}`: {why}")))?;
        let hir = regex_syntax::ParserBuilder::new()
            .build()
            .parse(&translated)
            .map_err(|e| unsupported(format!("pattern `{pattern}` does not parse: {e}")))?;
        // The matcher relaxes very long counted repetitions (`.{1,2097152}`, seen in real
        // specs) to unbounded ones: compiling them exactly takes the regex engine a tenth of a
        // second and megabytes, and generated strings are far shorter than such bounds anyway.
        let matcher = regex::RegexBuilder::new(&relax(&hir).to_string())
            .size_limit(1 << 23)
            .build()
            .ok()
            .map(Arc::new);
        Ok(Self {
            translated,
            hir,
            matcher,
        })
    }

    /// Whether `s` contains a match (JSON Schema `pattern` semantics).
    pub(crate) fn is_match(&self, s: &str) -> bool {
        self.matcher.as_ref().is_none_or(|m| m.is_match(s))
    }

    /// A strategy of strings that match the pattern, approximately: anchors and word
    /// boundaries generate nothing and are not enforced, so callers check the result with
    /// [`Pattern::is_match`] (the value builder does, together with lengths and formats).
    /// Unbounded repetitions generate up to `span` extra items (at least [`REPEAT_SPAN`]), so a
    /// caller that needs long strings (a `minLength`) can ask for them.
    pub(crate) fn strategy(
        &self,
        pointer: &str,
        span: u32,
    ) -> Result<SBoxedStrategy<String>, Unsatisfiable> {
        hir_strategy(&self.hir, span.max(REPEAT_SPAN)).map_err(|why| {
            Unsatisfiable::new(
                pointer,
                UnsatisfiableKind::UnsupportedPattern,
                format!("pattern `{}`: {why}", self.translated),
            )
        })
    }
}

/// Counted repetitions longer than this are matched as unbounded ones.
const RELAX_ABOVE: u32 = 1_000;

/// `hir` with every repetition bounded above [`RELAX_ABOVE`] made unbounded.
fn relax(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Repetition(rep) => {
            let mut rep = rep.clone();
            rep.sub = Box::new(relax(&rep.sub));
            if rep.max.is_some_and(|m| m > RELAX_ABOVE) {
                rep.max = None;
            }
            Hir::repetition(rep)
        }
        HirKind::Capture(cap) => {
            let mut cap = cap.clone();
            cap.sub = Box::new(relax(&cap.sub));
            Hir::capture(cap)
        }
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(relax).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(relax).collect()),
        _ => hir.clone(),
    }
}

/// Rewrites an ECMA-262 pattern into `regex` syntax, or says why it cannot.
pub(crate) fn translate(pattern: &str) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let Some(&e) = chars.get(i + 1) else {
                    return Err("ends with a lone backslash".into());
                };
                i += 2;
                translate_escape(e, &chars, &mut i, in_class, &mut out)?;
                continue;
            }
            '[' if in_class => out.push_str("\\["),
            '[' => {
                in_class = true;
                out.push('[');
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                    if chars.get(i + 1) == Some(&']') {
                        // `[^]` matches any character.
                        out.truncate(out.len() - 2);
                        out.push_str("[\\s\\S]");
                        in_class = false;
                        i += 2;
                        continue;
                    }
                } else if chars.get(i + 1) == Some(&']') {
                    return Err("the empty class `[]` matches nothing".into());
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            ']' => out.push_str("\\]"),
            '&' | '~' if in_class => push_literal(&mut out, c),
            '-' if in_class && chars.get(i + 1) == Some(&'-') => {
                out.push_str("\\-");
            }
            '.' if !in_class => out.push_str("[^\\n\\r\\x{2028}\\x{2029}]"),
            '(' if !in_class && chars.get(i + 1) == Some(&'?') => {
                let rest: String = chars.iter().skip(i + 2).take(3).collect();
                if rest.starts_with('=') || rest.starts_with('!') {
                    return Err("lookahead is not supported".into());
                }
                if rest.starts_with("<=") || rest.starts_with("<!") {
                    return Err("lookbehind is not supported".into());
                }
                if rest.starts_with('<') {
                    // Named group `(?<name>` : same syntax in `regex`.
                    out.push_str("(?");
                    i += 2;
                    continue;
                }
                out.push('(');
            }
            '{' if !in_class => {
                let end = chars[i..].iter().position(|&ch| ch == '}');
                let quantifier = end.and_then(|end| {
                    let body: String = chars[i + 1..i + end].iter().collect();
                    is_quantifier_body(&body).then_some((end, body))
                });
                match quantifier {
                    Some((end, body)) if !out.is_empty() => {
                        out.push('{');
                        out.push_str(&body);
                        out.push('}');
                        i += end + 1;
                        continue;
                    }
                    _ => out.push_str("\\{"),
                }
            }
            '}' if !in_class => out.push_str("\\}"),
            other => out.push(other),
        }
        i += 1;
    }
    if in_class {
        return Err("unterminated character class".into());
    }
    Ok(out)
}

/// Appends the `regex` form of the escape `\e` (inside a class or not) to `out`; `*i` is just
/// past `e` and moves past what the escape takes after it (`\x41`, `\u{...}`, `\cJ`).
fn translate_escape(
    e: char,
    chars: &[char],
    i: &mut usize,
    in_class: bool,
    out: &mut String,
) -> Result<(), String> {
    match e {
        'd' => out.push_str(if in_class { "0-9" } else { "[0-9]" }),
        'D' => out.push_str(if in_class { "\\D" } else { "[^0-9]" }),
        'w' => out.push_str(if in_class {
            "A-Za-z0-9_"
        } else {
            "[A-Za-z0-9_]"
        }),
        'W' => out.push_str(if in_class { "\\W" } else { "[^A-Za-z0-9_]" }),
        's' => out.push_str(if in_class {
            "\\t\\n\\x0B\\x0C\\r \\x{A0}\\x{FEFF}"
        } else {
            "[\\t\\n\\x0B\\x0C\\r \\x{A0}\\x{FEFF}]"
        }),
        'S' => out.push_str("\\S"),
        'b' if in_class => out.push_str("\\x08"),
        'b' | 'B' | 'n' | 'r' | 't' | 'f' | 'v' => {
            out.push('\\');
            out.push(e);
        }
        '0' => out.push_str("\\x00"),
        '1'..='9' => return Err("backreferences are not supported".into()),
        'k' if chars.get(*i) == Some(&'<') => {
            return Err("named backreferences are not supported".into());
        }
        'c' => match chars.get(*i) {
            Some(&l) if l.is_ascii_alphabetic() => {
                out.push_str(&format!("\\x{{{:X}}}", (l as u32) % 32));
                *i += 1;
            }
            _ => out.push_str("\\\\c"),
        },
        'x' => match hex_digits(&chars[*i..], 2) {
            Some(hex) => {
                out.push_str(&format!("\\x{{{hex}}}"));
                *i += 2;
            }
            None => out.push('x'),
        },
        'u' => {
            if chars.get(*i) == Some(&'{') {
                let end = chars[*i..].iter().position(|&ch| ch == '}');
                let Some(end) = end else {
                    return Err("unterminated \\u{...} escape".into());
                };
                let hex: String = chars[*i + 1..*i + end].iter().collect();
                out.push_str(&format!("\\x{{{hex}}}"));
                *i += end + 1;
            } else if let Some(hex) = hex_digits(&chars[*i..], 4) {
                out.push_str(&format!("\\x{{{hex}}}"));
                *i += 4;
            } else {
                out.push('u');
            }
        }
        'p' | 'P' => {
            // Unicode property escapes: same syntax in both dialects.
            out.push('\\');
            out.push(e);
        }
        other if other.is_ascii_alphanumeric() => {
            // An identity escape of a letter (`\a`, `\e`, ...) is that letter in
            // ECMA (Annex B).
            out.push(other);
        }
        other => push_literal(out, other),
    }
    Ok(())
}

/// The `n` hex digits that `chars` starts with, if it does.
fn hex_digits(chars: &[char], n: usize) -> Option<String> {
    let digits = chars.get(..n)?;
    digits
        .iter()
        .all(char::is_ascii_hexdigit)
        .then(|| digits.iter().collect())
}

fn is_quantifier_body(body: &str) -> bool {
    let (lo, hi) = match body.split_once(',') {
        Some((lo, hi)) => (lo, Some(hi)),
        None => (body, None),
    };
    !lo.is_empty()
        && lo.chars().all(|c| c.is_ascii_digit())
        && hi.is_none_or(|h| h.chars().all(|c| c.is_ascii_digit()))
}

fn push_literal(out: &mut String, c: char) {
    out.push_str(&format!("\\x{{{:X}}}", c as u32));
}

/// A strategy over strings matching `hir` (anchors ignored).
fn hir_strategy(hir: &Hir, span: u32) -> Result<SBoxedStrategy<String>, String> {
    Ok(match hir.kind() {
        HirKind::Empty => Just(String::new()).fused(),
        HirKind::Literal(lit) => Just(String::from_utf8_lossy(&lit.0).into_owned()).fused(),
        HirKind::Class(Class::Unicode(class)) => {
            let ranges: Vec<(char, char)> = class.iter().map(|r| (r.start(), r.end())).collect();
            char_class(&ranges)?.prop_map(String::from).fused()
        }
        HirKind::Class(Class::Bytes(class)) => {
            let ranges: Vec<(char, char)> = class
                .iter()
                .filter(|r| r.start() < 0x80)
                .map(|r| (char::from(r.start()), char::from(r.end().min(0x7F))))
                .collect();
            char_class(&ranges)?.prop_map(String::from).fused()
        }
        HirKind::Look(look) => match look {
            Look::Start
            | Look::End
            | Look::StartLF
            | Look::EndLF
            | Look::StartCRLF
            | Look::EndCRLF
            | Look::WordAscii
            | Look::WordAsciiNegate
            | Look::WordUnicode
            | Look::WordUnicodeNegate => Just(String::new()).fused(),
            _ => return Err("this assertion is not supported".into()),
        },
        HirKind::Repetition(rep) => {
            let sub = hir_strategy(&rep.sub, span)?;
            let min = rep.min;
            let max = rep
                .max
                .map_or(min.saturating_add(span), |m| {
                    m.min(min.saturating_add(span))
                })
                .max(min);
            if max > 10_000 {
                return Err(format!("repetition of {min} items is too long to generate"));
            }
            vec(sub, min as usize..=max as usize)
                .prop_map(|parts| parts.concat())
                .fused()
        }
        HirKind::Capture(cap) => hir_strategy(&cap.sub, span)?,
        HirKind::Concat(subs) => {
            let parts = subs
                .iter()
                .map(|sub| hir_strategy(sub, span))
                .collect::<Result<Vec<_>, _>>()?;
            parts.prop_map(|parts| parts.concat()).fused()
        }
        HirKind::Alternation(subs) => {
            let alternatives = subs
                .iter()
                .map(|sub| hir_strategy(sub, span))
                .collect::<Result<Vec<_>, _>>()?;
            one_of(alternatives.into_iter().map(|s| (1, s)).collect())
        }
    })
}

/// Characters from `ranges`, mostly printable ASCII when the class has some.
pub(crate) fn char_class(ranges: &[(char, char)]) -> Result<SBoxedStrategy<char>, String> {
    if ranges.is_empty() {
        return Err("a character class matches nothing".into());
    }
    let full: Vec<_> = ranges.iter().map(|&(a, b)| a..=b).collect();
    let ascii: Vec<_> = ranges
        .iter()
        .filter_map(|&(a, b)| {
            let lo = a.max(' ');
            let hi = b.min('~');
            (lo <= hi).then_some(lo..=hi)
        })
        .collect();
    let full = proptest::char::ranges(full.into());
    if ascii.is_empty() {
        return Ok(full.fused());
    }
    let ascii = proptest::char::ranges(ascii.into());
    Ok(one_of(vec![(9, ascii.fused()), (1, full.fused())]))
}

#[cfg(test)]
mod tests {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    use super::*;

    #[test]
    fn translation_handles_ecma_isms() {
        assert_eq!(translate(r"^\d{3}$").unwrap(), "^[0-9]{3}$");
        assert_eq!(translate(r"[\w.-]+").unwrap(), "[A-Za-z0-9_.-]+");
        assert_eq!(translate(r"\u00e9").unwrap(), r"\x{00e9}");
        assert_eq!(translate(r"a{").unwrap(), r"a\{");
        assert_eq!(translate(r"[^]").unwrap(), r"[\s\S]");
        assert_eq!(translate(r"[[a]").unwrap(), r"[\[a]");
        assert!(translate(r"(?=a)b").unwrap_err().contains("lookahead"));
        assert!(translate(r"(?<!a)b").unwrap_err().contains("lookbehind"));
        assert!(translate(r"(a)\1").unwrap_err().contains("backreference"));
        assert!(translate(r"[a").is_err());
    }

    #[test]
    fn generated_strings_match() {
        let mut runner = TestRunner::deterministic();
        for pattern in [
            r"^\d{3}-\d{4}$",
            r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$",
            r"^(?:[a-z0-9!#$%&'*+/=?^_`{|}~-]+)@example\.com$",
            r"\bfoo\b",
            r"^[^\s]+$",
            r"^(?<year>\d{4})-(?<month>0[1-9]|1[0-2])$",
            r"^.{2,5}$",
        ] {
            let p = Pattern::parse(pattern, "#/p").unwrap();
            let s = p.strategy("#/p", 0).unwrap();
            let mut matched = 0;
            for _ in 0..50 {
                let v = s.new_tree(&mut runner).unwrap().current();
                matched += usize::from(p.is_match(&v));
            }
            // Anchors and boundaries are approximated; nearly everything still matches.
            assert!(matched >= 45, "{matched}/50 match {pattern}");
        }
    }

    #[test]
    fn huge_counted_repetitions_compile_quickly() {
        let start = std::time::Instant::now();
        let p = Pattern::parse("^.{1,2097152}", "#/p").unwrap();
        assert!(p.matcher.is_some());
        assert!(p.is_match("abc") && !p.is_match(""));
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn unsupported_patterns_are_reported_not_panicked() {
        let e = Pattern::parse(r"^(?!admin).*$", "#/x").unwrap_err();
        assert_eq!(e.kind, UnsatisfiableKind::UnsupportedPattern);
        assert!(e.to_string().contains("lookahead"), "{e}");
        assert!(Pattern::parse(r"[]", "#/x").is_err());
    }
}
