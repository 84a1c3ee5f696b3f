//! Bash, curl and jq: the helpers every script starts with, and quoting.

use std::path::Path;

use serde_json::Value;
use trespass_generators::pointer;

/// Bash helpers every script starts with.
pub(super) const HELPERS: &str = r#"
command -v curl >/dev/null || { echo "this script needs curl" >&2; exit 2; }
command -v jq >/dev/null || { echo "this script needs jq" >&2; exit 2; }
BASE_URL="${BASE_URL%/}"
# Each request gives up after MAX_TIME seconds or MAX_FILESIZE bytes of answer.
MAX_TIME="${MAX_TIME:-30}"
MAX_FILESIZE="${MAX_FILESIZE:-10485760}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# send NAME LABEL METHOD PATH AUTH_QUERY [CURL_ARGS...]: one request; keeps its status,
# headers and body in $WORK/NAME.*, and prints its status on stderr.
send() {
    local name="$1" label="$2" method="$3" path="$4" auth_query="$5" url status
    shift 5
    url="$BASE_URL$path"
    if [ -n "$auth_query" ]; then
        case "$path" in *\?*) url="$url&$auth_query" ;; *) url="$url?$auth_query" ;; esac
    fi
    if [ "$method" = HEAD ]; then set -- --head "$@"; else set -- -X "$method" "$@"; fi
    : >"$WORK/$name.body"
    status="$(curl -sS -g --max-time "$MAX_TIME" --max-filesize "$MAX_FILESIZE" -o "$WORK/$name.body" -D "$WORK/$name.headers" -w '%{http_code}' "$@" "$url")"
    printf '%s\n' "$status" >"$WORK/$name.status"
    printf '[%s] %s: %s %s -> %s\n' "$name" "$label" "$method" "$path" "$status" >&2
}

# ok NAME WHAT: stops unless request NAME answered 2xx (values are only taken from successes).
ok() {
    local status
    status="$(cat "$WORK/$1.status")"
    case "$status" in
        2??) ;;
        *) echo "$1 answered $status: cannot take $2 from it" >&2; exit 3 ;;
    esac
}

# body_ref NAME JSON_POINTER_TOKENS: the JSON value at a pointer into NAME's JSON body.
body_ref() {
    ok "$1" "$2"
    jq -ce --argjson p "$2" \
        'reduce $p[] as $k (.; if type == "array" then .[$k | tonumber] else .[$k] end) | select(. != null)' \
        "$WORK/$1.body" || { echo "$1: nothing at $2 in the answer" >&2; exit 3; }
}

# header_ref NAME HEADER: a response header's value, as a JSON string.
header_ref() {
    ok "$1" "header $2"
    local value
    value="$(tr -d '\r' <"$WORK/$1.headers" | awk -v h="$2" \
        'index($0, ":") { k = substr($0, 1, index($0, ":") - 1); if (tolower(k) == tolower(h)) { v = substr($0, index($0, ":") + 1); sub(/^[ \t]+/, "", v); print v; exit } }')"
    [ -n "$value" ] || { echo "$1: no $2 header in the answer" >&2; exit 3; }
    jq -cn --arg v "$value" '$v'
}

# location_ref NAME: the last path segment of NAME's Location header, as a JSON string.
location_ref() {
    local loc
    loc="$(header_ref "$1" location | jq -r .)"
    loc="${loc%%[?#]*}"
    loc="${loc%/}"
    loc="${loc##*/}"
    [ -n "$loc" ] || { echo "$1: the Location header has no last segment" >&2; exit 3; }
    jq -cn --arg v "$loc" '$v'
}

# text JSON [MAX]: a value as a parameter carries it (strings verbatim, arrays comma-joined),
# cut to MAX characters when given.
text() {
    jq -rn --argjson v "$1" --argjson max "${2:-null}" '
        def s: if type == "string" then . elif . == null then "" else tojson end;
        ($v | if type == "array" then map(s) | join(",")
              elif type == "object" then to_entries | map("\(.key),\(.value | s)") | join(",")
              else s end) as $t
        | if $max == null then $t else $t[0:$max] end'
}

# uri TEXT: TEXT percent-encoded.
uri() { jq -rn --arg v "$1" '$v | @uri'; }
"#;

/// The jq program that turns a JSON object into a form body, as the executor sends it.
pub(super) const FORM_JQ: &str = r#"def s: if type == "string" then . elif . == null then "" else tojson end; if type == "object" then [to_entries[] | .key as $k | (if (.value | type) == "array" then .value[] else .value end) | "\($k | @uri)=\(s | @uri)"] | join("&") else "value=\(s | @uri)" end"#;

/// The bash lines that stop the script when `var` is unset or empty, saying it holds `what`.
pub(super) fn require(var: &str, what: &str) -> String {
    format!(
        "if [ -z \"${{{var}:-}}\" ]; then\n    echo {} >&2\n    exit 2\nfi\n",
        sq(&format!("set {var} to {what}"))
    )
}

/// `text` single-quoted for bash.
pub(super) fn sq(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// A path for a comment line: as given, quoted when it holds spaces.
pub(super) fn shell_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    if text.contains(char::is_whitespace) {
        sq(&text)
    } else {
        text.into_owned()
    }
}

/// The tokens of a JSON pointer, as a JSON array of strings.
pub(super) fn pointer_tokens(pointer: &str) -> Value {
    Value::Array(
        pointer::split(pointer)
            .into_iter()
            .map(Value::String)
            .collect(),
    )
}

/// The jq path (`["items",0,"id"]`) of `pointer` in `template`: array indexes where the
/// template has arrays, as the executor's pointer setter descends.
pub(super) fn jq_path(template: &Value, pointer: &str) -> Result<Value, String> {
    if pointer.is_empty() {
        return Ok(Value::Array(Vec::new()));
    }
    if !pointer.starts_with('/') {
        return Err(format!("`{pointer}` is not a JSON pointer"));
    }
    let mut current = Some(template);
    let mut out = Vec::new();
    for token in pointer::split(pointer) {
        match current {
            Some(Value::Array(items)) => {
                let index: usize = token
                    .parse()
                    .map_err(|_| format!("`{token}` is not an array index"))?;
                current = items.get(index);
                out.push(Value::from(index));
            }
            Some(Value::Object(map)) => {
                current = map.get(&token);
                out.push(Value::String(token));
            }
            None => out.push(Value::String(token)),
            Some(_) => return Err(format!("cannot descend into a scalar at `{token}`")),
        }
    }
    Ok(Value::Array(out))
}

/// Sets the value at a jq path of string keys and indexes, where it exists.
pub(super) fn set_path(target: &mut Value, path: &[Value], value: Value) {
    let mut current = target;
    for token in path {
        current = match (current, token) {
            (Value::Object(map), Value::String(k)) => match map.get_mut(k) {
                Some(v) => v,
                None => return,
            },
            (Value::Array(items), Value::Number(i)) => {
                match i.as_u64().and_then(|i| items.get_mut(i as usize)) {
                    Some(v) => v,
                    None => return,
                }
            }
            _ => return,
        };
    }
    *current = value;
}

/// One form-urlencoded component, as the client encodes query strings.
pub(super) fn form_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
