//! Snippets, keyed by their `title`. The create answers `{"status": "success"}` without the
//! key; the list shows every snippet (seeded ones too) with its author's username; the detail
//! carries the owner's `secretNote`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::api::{self, NewSnippetIn, Object, SnippetOut, SnippetSummaryOut, StatusOut};
use super::auth::{Caller, not_yours};
use super::store::{Shared, Snippet};
use crate::common::{ApiError, PathParams, QueryParams};

/// `POST /api/v2/snippets`.
pub(crate) async fn create(
    State(forum): State<Shared>,
    caller: Caller,
    Object(body): Object<NewSnippetIn>,
) -> Result<(StatusCode, Json<StatusOut>), ApiError> {
    api::key("title", &body.title)?;
    api::text("code", &body.code, 0, 2000)?;
    // PLANTED forum-redos-snippet-title: the vulnerable build checks whether the title is a
    // URL slug with a hand-written backtracking matcher of `^([a-z0-9]+-?)+$`, exponential on
    // `aaa…a!` (it only picks the log line; a step budget, like PCRE's backtrack limit, keeps
    // one request from running for hours).
    if !forum.secure() {
        let slug = is_slug(body.title.as_bytes());
        tracing::debug!(slug = ?slug, "snippet title checked");
    }
    let mut db = forum.db();
    if db.snippets.contains_key(&body.title) {
        return Err(ApiError::new(StatusCode::CONFLICT, "title taken"));
    }
    let secret_note = db.secret("note-", &body.title);
    db.snippets.insert(
        body.title.clone(),
        Snippet {
            title: body.title,
            code: body.code,
            author: caller.username,
            secret_note,
        },
    );
    Ok((StatusCode::CREATED, Json(StatusOut::success(None))))
}

/// Query of `GET /api/v2/snippets`.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct SnippetQuery {
    author: Option<String>,
}

/// `GET /api/v2/snippets`: every snippet's title and author, or one author's.
pub(crate) async fn list(
    State(forum): State<Shared>,
    _caller: Caller,
    QueryParams(query): QueryParams<SnippetQuery>,
) -> Result<Json<Vec<SnippetSummaryOut>>, ApiError> {
    let db = forum.db();
    let Some(author) = query.author else {
        return Ok(Json(
            db.snippets.values().map(SnippetSummaryOut::from).collect(),
        ));
    };
    // PLANTED forum-injection-snippets: the vulnerable build pastes the author into its query
    // text, so a quote ends the literal and the database rejects what follows.
    let wanted = if forum.secure() {
        author
    } else {
        where_author(&format!("author = '{author}'"))?
    };
    Ok(Json(
        db.snippets
            .values()
            .filter(|s| s.author == wanted)
            .map(SnippetSummaryOut::from)
            .collect(),
    ))
}

/// The author a concatenated `author = '...'` condition selects, as a database would read it:
/// a quote inside the value ends the literal early, and what is left after it is a syntax
/// error (`''` is an escaped quote, as in SQL).
fn where_author(condition: &str) -> Result<String, ApiError> {
    let syntax = |near: &str| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "ERROR: syntax error at or near \"{near}\" LINE 1: SELECT title, author FROM \
                 snippets WHERE {condition}"
            ),
        )
    };
    let literal = condition
        .strip_prefix("author = '")
        .ok_or_else(|| syntax("author"))?;
    let mut value = String::new();
    let mut chars = literal.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\'' {
            value.push(c);
        } else if chars.peek() == Some(&'\'') {
            chars.next();
            value.push('\'');
        } else {
            let rest: String = chars.collect();
            if rest.is_empty() {
                return Ok(value);
            }
            return Err(syntax(rest.trim().get(..1).unwrap_or("'")));
        }
    }
    Err(syntax("'"))
}

/// `GET /api/v2/snippets/{title}`: the author's (or an admin's) read.
pub(crate) async fn get(
    State(forum): State<Shared>,
    caller: Caller,
    PathParams(title): PathParams<String>,
) -> Result<Json<SnippetOut>, ApiError> {
    let db = forum.db();
    let snippet = db
        .snippets
        .get(&title)
        .ok_or_else(|| ApiError::not_found("snippet"))?;
    // PLANTED forum-bola-read-snippet: the vulnerable build returns any snippet, secret note
    // included, to any signed-in user.
    if forum.secure() && snippet.author != caller.username && !caller.is_admin() {
        return Err(not_yours());
    }
    Ok(Json(SnippetOut::from(snippet)))
}

/// `DELETE /api/v2/snippets/{title}`: the author only.
pub(crate) async fn delete(
    State(forum): State<Shared>,
    caller: Caller,
    PathParams(title): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    let mut db = forum.db();
    let snippet = db
        .snippets
        .get(&title)
        .ok_or_else(|| ApiError::not_found("snippet"))?;
    if snippet.author != caller.username {
        return Err(not_yours());
    }
    db.snippets.remove(&title);
    Ok(StatusCode::NO_CONTENT)
}

/// Steps the slug matcher may take before it gives up (`None`).
const SLUG_BUDGET: u64 = 1 << 22;

/// Whether `title` matches `^([a-z0-9]+-?)+$` (ASCII letters of either case), by naive
/// backtracking: every split of a run of letters into groups is tried, so a run followed by a
/// character no group takes costs 2^(run length) steps. `None` when the budget ran out.
fn is_slug(title: &[u8]) -> Option<bool> {
    let mut steps = 0;
    groups_from(title, 0, &mut steps)
}

/// Whether one or more groups match `title[at..]` to its end.
fn groups_from(title: &[u8], at: usize, steps: &mut u64) -> Option<bool> {
    let run = title[at..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    // The group's letters, longest first (greedy), then its optional hyphen.
    for end in (at + 1..=at + run).rev() {
        *steps += 1;
        if *steps > SLUG_BUDGET {
            return None;
        }
        let after_hyphen = (title.get(end) == Some(&b'-')).then_some(end + 1);
        for next in after_hyphen.into_iter().chain([end]) {
            if next == title.len() || groups_from(title, next, steps)? {
                return Some(true);
            }
        }
    }
    Some(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slug_matcher_matches_its_pattern_and_gives_up_on_long_runs() {
        assert_eq!(is_slug(b"my-first-snippet"), Some(true));
        assert_eq!(is_slug(b"Rust2024"), Some(true));
        assert_eq!(is_slug(b"not a slug"), Some(false));
        assert_eq!(is_slug(b"-leading"), Some(false));
        assert_eq!(is_slug(b""), Some(false));
        assert_eq!(
            is_slug(b"aaaaaaaaaaaa!"),
            Some(false),
            "2^12 steps: within budget"
        );
        let long = format!("{}!", "a".repeat(63));
        assert_eq!(is_slug(long.as_bytes()), None, "2^63 steps: gives up");
    }
}
