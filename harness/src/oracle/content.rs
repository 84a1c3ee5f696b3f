//! What the content oracles look for in answers and requests: stack traces and debug pages,
//! database and interpreter errors, fields named like secrets, and attack payloads among the
//! values a step sent.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use serde_json::Value;
use trespass_generators::values::payload::{self, Family};

use crate::exec::TraceStep;
use crate::http::{Body, ResponseBody};

/// Markers of a stack trace or a framework's debug page, each with what it shows. A marker is
/// matched case-sensitively in the answer's text; each is specific enough not to occur in
/// ordinary prose or data.
const TRACE_MARKERS: &[(&str, &str)] = &[
    ("Traceback (most recent call last)", "a Python traceback"),
    ("Werkzeug Debugger", "the Werkzeug debugger"),
    ("<title>DisallowedHost", "a Django debug page"),
    (
        "You're seeing this error because you have <code>DEBUG = True</code>",
        "a Django debug page",
    ),
    ("Django Version:", "a Django debug page"),
    ("Action Controller: Exception caught", "a Rails debug page"),
    ("ActionController::RoutingError", "a Rails debug page"),
    ("Exception in thread \"", "a Java stack trace"),
    ("java.lang.", "a Java stack trace"),
    ("\tat java.", "a Java stack trace"),
    ("\tat org.springframework.", "a Java stack trace"),
    ("Whitelabel Error Page", "a Spring Boot error page"),
    ("System.NullReferenceException", "a .NET stack trace"),
    ("   at System.", "a .NET stack trace"),
    ("Server Error in '/' Application", "an ASP.NET error page"),
    ("panicked at ", "a Rust panic"),
    ("stack backtrace:", "a Rust backtrace"),
    ("goroutine 1 [running]", "a Go stack trace"),
    ("panic: runtime error", "a Go panic"),
    ("<b>Fatal error</b>:", "a PHP error"),
    ("<b>Warning</b>:", "a PHP warning"),
    ("PHP Fatal error:", "a PHP error"),
    ("PHP Warning:", "a PHP warning"),
    ("Stack trace:\n#0 ", "a PHP stack trace"),
    ("    at Object.<anonymous>", "a Node.js stack trace"),
    ("    at Module._compile", "a Node.js stack trace"),
];

/// Markers of a database or interpreter error that a request's value caused: SQL syntax
/// errors of the common engines, NoSQL and template engine errors. Matched without case.
const DATABASE_MARKERS: &[(&str, &str)] = &[
    ("syntax error at or near", "a PostgreSQL syntax error"),
    ("unterminated quoted string", "a PostgreSQL syntax error"),
    (
        "you have an error in your sql syntax",
        "a MySQL syntax error",
    ),
    ("warning: mysql", "a MySQL error"),
    (
        "unclosed quotation mark after the character string",
        "an SQL Server syntax error",
    ),
    (
        "quoted string not properly terminated",
        "an Oracle syntax error",
    ),
    ("ora-00933", "an Oracle syntax error"),
    ("sqlite3.operationalerror", "an SQLite error"),
    ("sqlite_error", "an SQLite error"),
    ("unrecognized token:", "an SQLite error"),
    ("sqlstate[", "an SQL error"),
    ("psycopg2.errors", "a PostgreSQL error"),
    ("mongoerror", "a MongoDB error"),
    ("unknown operator: $", "a MongoDB error"),
    ("jinja2.exceptions", "a template engine error"),
    ("freemarker.core", "a template engine error"),
];

/// The text of an answer's body, JSON included, for marker searches.
pub(crate) fn body_text(body: &ResponseBody) -> Option<String> {
    match body {
        ResponseBody::Json(value) => Some(json_strings(value)),
        ResponseBody::Text(text) => Some(text.clone()),
        ResponseBody::Empty | ResponseBody::Binary(_) => None,
    }
}

/// Every string of a JSON value (keys and values), one a line, so that a stack trace kept in
/// a field reads as it would on its own.
fn json_strings(value: &Value) -> String {
    let mut out = String::new();
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) => {
                out.push_str(s);
                out.push('\n');
            }
            Value::Array(items) => stack.extend(items.iter().rev()),
            Value::Object(map) => {
                for (k, v) in map {
                    out.push_str(k);
                    out.push('\n');
                    stack.push(v);
                }
            }
            _ => {}
        }
    }
    out
}

/// What stack trace or debug page `text` shows, if any (`a Python traceback`).
pub(crate) fn stack_trace(text: &str) -> Option<&'static str> {
    static SEARCHER: LazyLock<AhoCorasick> = LazyLock::new(|| searcher(TRACE_MARKERS, false));
    first_marker(&SEARCHER, TRACE_MARKERS, text)
}

/// What database or interpreter error `text` carries, if any (`a PostgreSQL syntax error`).
pub(crate) fn database_error(text: &str) -> Option<&'static str> {
    static SEARCHER: LazyLock<AhoCorasick> = LazyLock::new(|| searcher(DATABASE_MARKERS, true));
    first_marker(&SEARCHER, DATABASE_MARKERS, text)
}

/// One searcher for all of `markers` (one pass over an answer, not one a marker), matching
/// ASCII letters in any case when `any_case`.
fn searcher(markers: &[(&str, &str)], any_case: bool) -> AhoCorasick {
    AhoCorasick::builder()
        .ascii_case_insensitive(any_case)
        .build(markers.iter().map(|(marker, _)| marker))
        .expect("a few dozen short markers make a searcher")
}

/// What the first of `markers` (in their order) that `text` holds shows.
fn first_marker(
    searcher: &AhoCorasick,
    markers: &[(&str, &'static str)],
    text: &str,
) -> Option<&'static str> {
    searcher
        .find_overlapping_iter(text)
        .map(|m| m.pattern().as_usize())
        .min()
        .map(|i| markers[i].1)
}

/// The stack trace or debug page a step's answer shows, if any.
pub(crate) fn step_stack_trace(step: &TraceStep) -> Option<&'static str> {
    let response = step.exchange.outcome.response()?;
    stack_trace(&body_text(&response.body)?)
}

/// The database error, or else the stack trace, a step's answer carries, if any.
pub(crate) fn step_error_marker(step: &TraceStep) -> Option<&'static str> {
    let response = step.exchange.outcome.response()?;
    let text = body_text(&response.body)?;
    database_error(&text).or_else(|| stack_trace(&text))
}

/// An attack payload a step sent: its family and where (`query q`, `body /name`, `path
/// title`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SentPayload {
    pub(crate) family: Family,
    pub(crate) at: String,
}

/// The attack payloads among the values `step` sent: path parameters, query parameters, and
/// the strings of its JSON or form body.
pub(crate) fn payloads_sent(step: &TraceStep) -> Vec<SentPayload> {
    let mut out = Vec::new();
    let mut add = |text: &str, at: String| {
        if let Some(family) = payload::classify(text) {
            out.push(SentPayload { family, at });
        }
    };
    for (name, value) in &step.path_params {
        if let Some(text) = value.as_str() {
            add(text, format!("path {name}"));
        }
    }
    for (name, value) in &step.exchange.request.query {
        add(value, format!("query {name}"));
    }
    match (&step.body, &step.exchange.request.body) {
        (Some(body), _) => strings_at(body, String::new(), &mut |text, at| {
            add(
                text,
                format!("body {}", if at.is_empty() { "/" } else { &at }),
            )
        }),
        (None, Some(Body::Form(pairs))) => {
            for (name, value) in pairs {
                add(value, format!("body /{name}"));
            }
        }
        _ => {}
    }
    out
}

/// Calls `f` with every string of `value` and its JSON pointer.
fn strings_at(value: &Value, at: String, f: &mut dyn FnMut(&str, String)) {
    match value {
        Value::String(s) => f(s, at),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                strings_at(v, format!("{at}/{i}"), f);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let token = k.replace('~', "~0").replace('/', "~1");
                strings_at(v, format!("{at}/{token}"), f);
            }
        }
        _ => {}
    }
}

/// The kind of secret a field name says it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SecretField {
    /// A password or a password hash: in no answer to anyone.
    Password,
    /// An API key, a client secret, a private key: its owner's only.
    Key,
    /// A session or access token: issued to its owner (a login answer), nobody else's.
    Token,
}

/// The kind of secret a field named `name` holds (`passwordHash`, `api_key`, `accessToken`),
/// if its name says one. Names are compared without case, `_` or `-`.
pub(crate) fn secret_field(name: &str) -> Option<SecretField> {
    let n: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    const PASSWORD: &[&str] = &[
        "password",
        "passwordhash",
        "passwordhashed",
        "hashedpassword",
        "passwd",
        "pwd",
        "pwhash",
        "passhash",
        "passwordsalt",
    ];
    const KEY: &[&str] = &[
        "secret",
        "apisecret",
        "clientsecret",
        "secretkey",
        "apikey",
        "privatekey",
        "accesskey",
        "secretaccesskey",
        "signingkey",
        "otpsecret",
        "totpsecret",
        "mfasecret",
    ];
    const TOKEN: &[&str] = &[
        "token",
        "accesstoken",
        "refreshtoken",
        "idtoken",
        "authtoken",
        "sessiontoken",
        "sessionid",
        "jwt",
        "resettoken",
        "passwordresettoken",
        "bearertoken",
    ];
    if PASSWORD.contains(&n.as_str()) {
        Some(SecretField::Password)
    } else if KEY.contains(&n.as_str()) {
        Some(SecretField::Key)
    } else if TOKEN.contains(&n.as_str()) {
        Some(SecretField::Token)
    } else {
        None
    }
}

/// Whether `value` is a secret that is really there: a string of at least four characters
/// that is not a mask (`****`, `••••`, `<redacted>`, `xxxx`).
pub(crate) fn holds_secret(value: &Value) -> bool {
    let Some(text) = value.as_str().map(str::trim) else {
        return false;
    };
    if text.chars().count() < 4 {
        return false;
    }
    let lower = text.to_ascii_lowercase();
    let masked = text
        .chars()
        .all(|c| matches!(c, '*' | '•' | 'x' | 'X' | '#' | '.' | '-'));
    !(masked || lower.contains("redacted") || lower == "hidden" || lower == "null")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn markers_name_what_they_show_and_leave_prose_alone() {
        let py = "Traceback (most recent call last):\n  File \"app.py\", line 3\nKeyError: 'x'";
        assert_eq!(stack_trace(py), Some("a Python traceback"));
        let rust = "thread 'main' panicked at src/main.rs:3:5:\nboom\nstack backtrace:";
        assert_eq!(stack_trace(rust), Some("a Rust panic"));
        assert_eq!(
            stack_trace("Exception in thread \"main\" java.lang.NullPointerException"),
            Some("a Java stack trace")
        );
        assert_eq!(
            stack_trace("<b>Fatal error</b>: Uncaught Error"),
            Some("a PHP error")
        );
        assert_eq!(stack_trace("invalid username or password"), None);
        assert_eq!(stack_trace("the trace of a hike at Java island"), None);
        assert_eq!(
            database_error("ERROR: syntax error at or near \"'\""),
            Some("a PostgreSQL syntax error")
        );
        assert_eq!(
            database_error("You have an error in your SQL syntax; check the manual"),
            Some("a MySQL syntax error")
        );
        assert_eq!(database_error("no such snippet"), None);
        let body = ResponseBody::Json(json!({"error": "x", "debug": {"trace": [py]}}));
        assert_eq!(
            body_text(&body).as_deref().and_then(stack_trace),
            Some("a Python traceback")
        );
    }

    #[test]
    fn the_one_pass_search_finds_what_a_search_a_marker_finds() {
        // What the searches were: each marker in turn, the first found wins.
        let naive = |markers: &[(&str, &'static str)], text: &str| {
            markers
                .iter()
                .find(|(marker, _)| text.contains(marker))
                .map(|(_, what)| *what)
        };
        let mut texts: Vec<String> = vec![String::new(), "plain prose".into()];
        for (i, (marker, _)) in TRACE_MARKERS.iter().chain(DATABASE_MARKERS).enumerate() {
            texts.push(format!("before {marker} after"));
            texts.push(marker.to_ascii_uppercase());
            // Two markers, the later one in the list first in the text.
            let (other, _) = TRACE_MARKERS[(i * 7 + 3) % TRACE_MARKERS.len()];
            texts.push(format!("{other}\n{marker}"));
            texts.push(format!("{marker}{other}"));
            texts.push(marker[..marker.len() - 1].to_string());
        }
        for text in &texts {
            assert_eq!(stack_trace(text), naive(TRACE_MARKERS, text), "{text:?}");
            let lower = text.to_ascii_lowercase();
            assert_eq!(
                database_error(text),
                naive(DATABASE_MARKERS, &lower),
                "{text:?}"
            );
        }
    }

    #[test]
    fn secret_fields_by_name_and_masks() {
        assert_eq!(secret_field("passwordHash"), Some(SecretField::Password));
        assert_eq!(secret_field("password_hash"), Some(SecretField::Password));
        assert_eq!(secret_field("apiSecret"), Some(SecretField::Key));
        assert_eq!(secret_field("API-KEY"), Some(SecretField::Key));
        assert_eq!(secret_field("accessToken"), Some(SecretField::Token));
        assert_eq!(secret_field("tokenType"), None);
        assert_eq!(secret_field("secretNote"), None);
        assert_eq!(secret_field("username"), None);
        assert!(holds_secret(&json!("sha256$9f86d081884c7d65")));
        assert!(!holds_secret(&json!("********")));
        assert!(!holds_secret(&json!("<redacted>")));
        assert!(!holds_secret(&json!("")));
        assert!(!holds_secret(&json!(null)));
        assert!(!holds_secret(&json!(12345)));
    }
}
