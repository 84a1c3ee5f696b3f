//! The fingerprint of an error answer: what tells two 5xx answers of one operation apart by
//! their cause, and stays the same when the same bug answers again with other ids.
//!
//! A fingerprint is `STATUS MEDIA-TYPE: TITLE` (`500 application/json: internal error: cannot
//! price <v>`), where the title is
//! - of a JSON body: the first string among the fields `title`, `error`, `message`, `detail`,
//!   ... (looked up in nested `error` objects and `errors` lists too), after the string of a
//!   `code` or `type` field; else the body's top-level field names;
//! - of an HTML body: its `<title>` (or first `<h1>`);
//! - of any other text: its first non-empty line (the last one of a Python traceback, which
//!   names the exception);
//!
//! and is then normalised: quoted values become `<v>`, the names of the trace's identities
//! `<identity>`, numbers `<n>`, words with digits in them (ids, UUIDs, hex, timestamps) and long
//! hex words `<id>`; white space is collapsed and the whole cut at [`MAX_TITLE`] characters.

use serde_json::Value;

use crate::http::{Response, ResponseBody};

/// Most characters of a fingerprint's title.
pub const MAX_TITLE: usize = 120;

/// Fields of a JSON error body that hold its title, most telling first.
const TITLE_FIELDS: &[&str] = &[
    "title",
    "error",
    "message",
    "detail",
    "error_description",
    "errorMessage",
    "msg",
    "reason",
    "description",
    "errors",
];

/// Fields of a JSON error body that hold a machine-readable kind of error.
const CODE_FIELDS: &[&str] = &["code", "type", "error_code", "errorCode"];

/// The fingerprint of `response`, with the names in `identities` taken out of its title.
pub fn of_response(response: &Response, identities: &[&str]) -> String {
    let media = response
        .media_type()
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "no content type".into());
    let title = normalise(&title(&response.body), identities);
    if title.is_empty() {
        format!("{} {media}", response.status)
    } else {
        format!("{} {media}: {title}", response.status)
    }
}

/// The title of a body, before normalisation.
fn title(body: &ResponseBody) -> String {
    match body {
        ResponseBody::Empty => String::new(),
        ResponseBody::Binary(_) => "binary body".into(),
        ResponseBody::Json(value) => json_title(value),
        ResponseBody::Text(text) => text_title(text),
    }
}

fn json_title(value: &Value) -> String {
    match value {
        Value::String(s) => text_title(s),
        Value::Object(fields) => {
            let code = CODE_FIELDS
                .iter()
                .find_map(|k| fields.get(*k).and_then(Value::as_str));
            let title = json_field_title(value, 0);
            match (code, title) {
                (Some(code), Some(title)) => format!("{code}: {title}"),
                (Some(code), None) => code.to_string(),
                (None, Some(title)) => title,
                (None, None) => {
                    let mut names: Vec<&str> = fields.keys().map(String::as_str).collect();
                    names.sort_unstable();
                    format!("fields {}", names.join(", "))
                }
            }
        }
        Value::Array(items) => items.first().map(json_title).unwrap_or_default(),
        _ => String::new(),
    }
}

/// The first title field of `value` (an object, or a list whose first item is one), looked up
/// at most three levels down.
fn json_field_title(value: &Value, depth: usize) -> Option<String> {
    if depth > 3 {
        return None;
    }
    match value {
        Value::Object(fields) => TITLE_FIELDS.iter().find_map(|k| match fields.get(*k)? {
            Value::String(s) if !s.trim().is_empty() => Some(text_title(s)),
            nested @ (Value::Object(_) | Value::Array(_)) => json_field_title(nested, depth + 1),
            _ => None,
        }),
        Value::Array(items) => items.first().and_then(|v| json_field_title(v, depth + 1)),
        Value::String(s) if !s.trim().is_empty() => Some(text_title(s)),
        _ => None,
    }
}

fn text_title(text: &str) -> String {
    if let Some(inner) = element_text(text, "title").or_else(|| element_text(text, "h1")) {
        return inner;
    }
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or_default();
    if first.starts_with("Traceback (most recent call last)") {
        return lines.next_back().unwrap_or(first).to_string();
    }
    strip_tags(first)
}

/// The text inside the first `<tag>` element of `html`, tags stripped, if it has any.
fn element_text(html: &str, tag: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let open = lower.find(&format!("<{tag}"))?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find(&format!("</{tag}"))?;
    let inner = strip_tags(html.get(start..end)?);
    let inner = inner.split_whitespace().collect::<Vec<_>>().join(" ");
    (!inner.is_empty()).then_some(inner)
}

fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// `text` with everything that changes between answers of the same cause taken out (see the
/// module's documentation).
pub fn normalise(text: &str, identities: &[&str]) -> String {
    let unquoted = replace_quoted(text);
    let mut out: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut rest = String::new();
    let flush = |word: &mut String, rest: &mut String| {
        if !word.is_empty() {
            rest.push_str(&normalise_word(word, identities));
            word.clear();
        }
    };
    for c in unquoted.chars() {
        if c.is_alphanumeric() || c == '_' || c == '-' {
            word.push(c);
        } else {
            flush(&mut word, &mut rest);
            if c.is_whitespace() {
                if !rest.is_empty() {
                    out.push(std::mem::take(&mut rest));
                }
            } else {
                rest.push(c);
            }
        }
    }
    flush(&mut word, &mut rest);
    if !rest.is_empty() {
        out.push(rest);
    }
    let joined = out.join(" ");
    match joined.char_indices().nth(MAX_TITLE) {
        Some((at, _)) => format!("{}…", &joined[..at]),
        None => joined,
    }
}

/// One word (letters, digits, `_`, `-`) normalised.
fn normalise_word(word: &str, identities: &[&str]) -> String {
    if identities.contains(&word) {
        return "<identity>".into();
    }
    if word.chars().any(|c| c.is_ascii_digit()) {
        let numeric = word
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == '_');
        return if numeric { "<n>" } else { "<id>" }.into();
    }
    if word.len() >= 16 && word.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return "<id>".into();
    }
    word.to_string()
}

/// `text` with quoted values (`'x'`, `"x"`, `` `x` ``, `“x”`) replaced by `<v>`. A quote
/// inside a word (`can't`) opens nothing; a quote that is never closed is kept.
fn replace_quoted(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let close = match c {
            '\'' | '"' | '`' => Some(c),
            '“' => Some('”'),
            '‘' => Some('’'),
            _ => None,
        };
        let opens = close.is_some() && (i == 0 || !chars[i - 1].is_alphanumeric());
        if let (true, Some(close)) = (opens, close) {
            let end = (i + 1..chars.len()).find(|&j| {
                chars[j] == close && chars.get(j + 1).is_none_or(|n| !n.is_alphanumeric())
            });
            if let Some(end) = end {
                out.push_str("<v>");
                i = end + 1;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn response(status: u16, content_type: Option<&str>, body: ResponseBody) -> Response {
        Response {
            status,
            headers: content_type
                .map(|ct| vec![("content-type".to_string(), ct.to_string())])
                .unwrap_or_default(),
            body,
            truncated: false,
        }
    }

    fn json_500(body: Value) -> String {
        of_response(
            &response(
                500,
                Some("application/json; charset=utf-8"),
                ResponseBody::Json(body),
            ),
            &["alice", "bob"],
        )
    }

    #[test]
    fn two_causes_give_two_fingerprints_and_one_cause_one() {
        let pricing = json_500(json!({"error": "internal error: cannot price an empty order"}));
        assert_eq!(
            pricing,
            "500 application/json: internal error: cannot price an empty order"
        );
        let database = json_500(json!({"error": "database is locked"}));
        assert_ne!(pricing, database, "two causes, two fingerprints");

        // One cause, answered with other ids, numbers, names and quoted values each time.
        let a = json_500(json!({
            "error": "order 17 of user 'alice@example.com' failed: null total (request 0f8e2c1a-77b4-4a8e-9d23-1f0c6a2b3c4d)",
            "requestId": "0f8e2c1a",
        }));
        let b = json_500(json!({
            "error": "order 4242 of user 'bob@example.com' failed: null total (request 9a1b2c3d-0000-4fff-8aaa-123456789abc)",
            "requestId": "77aa",
        }));
        assert_eq!(a, b);
        assert_eq!(
            a,
            "500 application/json: order <n> of user <v> failed: null total (request <id>)"
        );

        // The status and the content type are part of it.
        let text = of_response(
            &response(
                500,
                Some("text/plain"),
                ResponseBody::Text("database is locked".into()),
            ),
            &[],
        );
        assert_eq!(text, "500 text/plain: database is locked");
        let unavailable = of_response(
            &response(
                503,
                Some("text/plain"),
                ResponseBody::Text("database is locked".into()),
            ),
            &[],
        );
        assert_ne!(text, unavailable);
    }

    #[test]
    fn titles_of_problem_details_html_tracebacks_and_empty_bodies() {
        assert_eq!(
            json_500(json!({
                "type": "https://example.com/probs/db",
                "title": "Database unavailable",
                "status": 500,
                "instance": "/orders/12",
            })),
            "500 application/json: https://example.com/probs/db: Database unavailable"
        );
        assert_eq!(
            json_500(json!({"error": {"code": "E_DB", "message": "deadlock on row 12"}})),
            "500 application/json: deadlock on row <n>"
        );
        assert_eq!(
            json_500(json!({"errors": [{"message": "x is nil"}]})),
            "500 application/json: x is nil"
        );
        assert_eq!(
            json_500(json!({"ok": false, "trace": 3})),
            "500 application/json: fields ok, trace"
        );
        let html = "<!doctype html>\n<html><head><title>ZeroDivisionError: division by zero // Werkzeug Debugger</title></head><body>...</body></html>";
        assert_eq!(
            of_response(
                &response(500, Some("text/html"), ResponseBody::Text(html.into())),
                &[]
            ),
            "500 text/html: ZeroDivisionError: division by zero // Werkzeug Debugger"
        );
        let traceback = "Traceback (most recent call last):\n  File \"app.py\", line 12, in f\n    x = 1 / 0\nZeroDivisionError: division by zero\n";
        assert_eq!(
            of_response(
                &response(500, None, ResponseBody::Text(traceback.into())),
                &[]
            ),
            "500 no content type: ZeroDivisionError: division by zero"
        );
        assert_eq!(
            of_response(&response(502, None, ResponseBody::Empty), &[]),
            "502 no content type"
        );
    }

    #[test]
    fn normalising_keeps_words_and_drops_what_varies() {
        let ids = ["carol"];
        assert_eq!(
            normalise("can't load carol's cart", &ids),
            "can't load <identity>'s cart"
        );
        assert_eq!(
            normalise("key `a1` missing at 0x7ffd12 on 2026-12-03T04:00:00Z", &ids),
            "key <v> missing at <id> on <id>:<n>:<id>"
        );
        assert_eq!(
            normalise("token deadbeefcafebabe0 and deadbeefcafebabe", &ids),
            "token <id> and <id>"
        );
        assert_eq!(
            normalise("unclosed \"quote here", &ids),
            "unclosed \"quote here"
        );
        assert_eq!(normalise("  spaced \n out  ", &ids), "spaced out");
        let long = "word ".repeat(100);
        let cut = normalise(&long, &ids);
        assert_eq!(cut.chars().count(), MAX_TITLE + 1, "{cut}");
        assert!(cut.ends_with('…'));
    }
}
