//! JSON Pointer ([RFC 6901](https://www.rfc-editor.org/rfc/rfc6901)) tokens: escaping,
//! unescaping, building and splitting pointers.
//!
//! A token is escaped by writing `~` as `~0` and `/` as `~1` (in that order), and unescaped by
//! the reverse (`~1` first, then `~0`), so `~01` stands for the token `~1`, not `/`.
//!
//! ```
//! use trespass_generators::pointer;
//!
//! assert_eq!(pointer::escape("a/b~c"), "a~1b~0c");
//! assert_eq!(pointer::unescape("a~1b~0c"), "a/b~c");
//! assert_eq!(pointer::join(["paths", "/users/{id}", "get"]), "/paths/~1users~1{id}/get");
//! assert_eq!(pointer::split("/paths/~1users/get"), ["paths", "/users", "get"]);
//! ```

use std::borrow::Cow;

/// Escapes one token (`~` -> `~0`, `/` -> `~1`); borrowed when there is nothing to escape.
pub fn escape(token: &str) -> Cow<'_, str> {
    if token.contains(['~', '/']) {
        Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(token)
    }
}

/// Unescapes one token (`~1` -> `/`, then `~0` -> `~`); borrowed when there is nothing to
/// unescape.
pub fn unescape(token: &str) -> Cow<'_, str> {
    if token.contains('~') {
        Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(token)
    }
}

/// Appends `/` and the escaped `token` to `pointer`.
pub fn push(pointer: &mut String, token: &str) {
    pointer.push('/');
    pointer.push_str(&escape(token));
}

/// The pointer of a sequence of (unescaped) tokens: `/` and the escaped token for each; empty
/// for no tokens (the whole document).
pub fn join<I>(tokens: I) -> String
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    let mut out = String::new();
    for token in tokens {
        push(&mut out, token.as_ref());
    }
    out
}

/// The unescaped tokens of `pointer` (`/a~1b/c` -> `["a/b", "c"]`); empty for the empty
/// pointer. A leading `#` (URI fragment form) is ignored; percent-encoding is not decoded.
pub fn split(pointer: &str) -> Vec<String> {
    let pointer = pointer.strip_prefix('#').unwrap_or(pointer);
    if pointer.is_empty() {
        return Vec::new();
    }
    let body = pointer.strip_prefix('/').unwrap_or(pointer);
    body.split('/').map(|t| unescape(t).into_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_and_unescape_are_inverse() {
        for token in [
            "", "plain", "a/b", "a~b", "~1", "~0", "/~", "~/", "~01", "//~~",
        ] {
            assert_eq!(unescape(&escape(token)), token, "{token:?}");
        }
        assert_eq!(escape("a/b~c"), "a~1b~0c");
        assert_eq!(escape("~1"), "~01");
        assert_eq!(escape("/"), "~1");
    }

    #[test]
    fn tilde_zero_one_is_a_tilde_one_not_a_slash() {
        assert_eq!(unescape("~01"), "~1");
        assert_eq!(unescape("~10"), "/0");
        assert_eq!(split("/~01"), ["~1"]);
    }

    #[test]
    fn nothing_to_do_borrows() {
        assert!(matches!(escape("name"), Cow::Borrowed("name")));
        assert!(matches!(unescape("name"), Cow::Borrowed("name")));
    }

    #[test]
    fn join_push_and_split_round_trip() {
        let tokens = ["paths", "/users/{id}", "get", "a~b", "", "0"];
        let joined = join(tokens);
        assert_eq!(joined, "/paths/~1users~1{id}/get/a~0b//0");
        assert_eq!(split(&joined), tokens);
        let mut built = String::new();
        for t in tokens {
            push(&mut built, t);
        }
        assert_eq!(built, joined);
    }

    #[test]
    fn empty_and_fragment_pointers() {
        assert_eq!(join(Vec::<String>::new()), "");
        assert!(split("").is_empty());
        assert!(split("#").is_empty());
        assert_eq!(split("/"), [""]);
        assert_eq!(split("#/a~1b/c"), ["a/b", "c"]);
    }
}
