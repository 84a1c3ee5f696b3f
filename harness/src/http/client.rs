//! The pooled HTTP client of a run.

use std::time::{Duration, Instant};

use url::Url;

use super::exchange::{Body, Received, Request, Response, ResponseBody, TransportKind};
use super::polite::{Next, Politeness};
use crate::errors::ExecError;

/// Settings of the HTTP client.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Base URL of the target; every request goes to this scheme, host and port, under its path.
    pub base_url: Url,
    /// Time allowed for one request, body included. Default 10 s.
    pub timeout: Duration,
    /// Bodies longer than this are cut (and marked truncated). Default 1 MiB.
    pub max_body_bytes: usize,
    /// Redirects followed on the target's own host (never to another). Default 5.
    pub max_redirects: usize,
}

impl ClientConfig {
    /// Defaults for `base_url`.
    pub fn new(base_url: Url) -> Self {
        Self {
            base_url,
            timeout: Duration::from_secs(10),
            max_body_bytes: 1024 * 1024,
            max_redirects: 5,
        }
    }
}

/// One pooled HTTP client for the whole run, bound to one target.
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    config: ClientConfig,
    /// The run's limits, shared with its other clients.
    polite: std::sync::Arc<Politeness>,
}

impl HttpClient {
    /// Builds the client. Fails for a base URL that is not http(s) or has no host.
    pub fn new(config: ClientConfig) -> Result<Self, ExecError> {
        let base = &config.base_url;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(ExecError::BadBaseUrl {
                url: base.to_string(),
                reason: "it needs an http:// or https:// scheme and a host".to_string(),
            });
        }
        let inner = build_inner(&config)?;
        Ok(Self {
            inner,
            config,
            polite: Default::default(),
        })
    }

    /// A client with the same settings and limits and a connection pool of its own (empty):
    /// for a thread with a runtime of its own, whose connections must not be tasks of the
    /// runtime that made this one.
    pub fn with_fresh_pool(&self) -> Result<Self, ExecError> {
        Ok(Self {
            inner: build_inner(&self.config)?,
            config: self.config.clone(),
            polite: self.polite.clone(),
        })
    }

    /// A reqwest client with this client's settings (redirects kept on the target's origin,
    /// timeout, pool, user agent) and a pool of its own: what a baseline that sends the same
    /// requests without trespass's executor should use (`benches/throughput.rs`).
    pub fn bare(&self) -> Result<reqwest::Client, ExecError> {
        build_inner(&self.config)
    }

    /// This client under `polite`, the limits it shares with the run's other clients.
    pub fn with_politeness(mut self, polite: std::sync::Arc<Politeness>) -> Self {
        self.polite = polite;
        self
    }

    /// The limits this client honours.
    pub fn politeness(&self) -> &Politeness {
        &self.polite
    }

    /// The client's settings.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The absolute URL of `path_and_query` on the target (the base URL's path is a prefix).
    pub fn url_for(&self, path_and_query: &str) -> String {
        let base = self.config.base_url.as_str().trim_end_matches('/');
        format!("{base}{path_and_query}")
    }

    /// [`HttpClient::url_for`] as a [`Url`], built on the parsed base URL: only the path, query
    /// and fragment are parsed (half the cost of a whole URL, whose host goes through IDNA), and
    /// setting them cannot change the host, whatever the path holds.
    pub fn url_of(&self, path_and_query: &str) -> Url {
        let (rest, fragment) = match path_and_query.split_once('#') {
            Some((rest, fragment)) => (rest, Some(fragment)),
            None => (path_and_query, None),
        };
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest, None),
        };
        let mut url = self.config.base_url.clone();
        let path = format!("{}{path}", url.path().trim_end_matches('/'));
        url.set_path(&path);
        url.set_query(query);
        url.set_fragment(fragment);
        url
    }

    /// Sends `request` with `extra_headers` and `extra_query` (credentials) added, and records
    /// the outcome. Never fails: a transport error is a [`Received::Error`]. Waits for its
    /// turn under the run's [`Politeness`], and sends again after a 429 (or a 503 with
    /// `Retry-After`) as it says; the time is that of the last send alone.
    pub async fn send(
        &self,
        request: &Request,
        extra_headers: &[(String, String)],
        extra_query: &[(String, String)],
    ) -> (Received, Duration) {
        let mut tries = 0;
        loop {
            let (outcome, elapsed) = {
                let _slot = self.polite.admit().await;
                let started = Instant::now();
                let url = self.url_of(&request.path_and_query_with(extra_query));
                let outcome = self.send_inner(request, url, extra_headers).await;
                (outcome, started.elapsed())
            };
            match self.polite.next(&outcome, tries) {
                Next::Keep => return (outcome, elapsed),
                Next::GiveUp => return (Politeness::given_up(&outcome, tries), elapsed),
                Next::Resend(wait) => {
                    tracing::debug!(
                        "{} {} answered {:?}: sending it again in {} ms",
                        request.method,
                        request.path,
                        outcome.status(),
                        wait.as_millis()
                    );
                    tokio::time::sleep(wait).await;
                    tries += 1;
                }
            }
        }
    }

    /// Sends `request` to the absolute `url` (its path and query replace the request's) with
    /// `extra_headers`: an OAuth2 token endpoint the identities file names. Redirects still
    /// never leave the target's host.
    pub async fn send_to(
        &self,
        url: &Url,
        request: &Request,
        extra_headers: &[(String, String)],
    ) -> Received {
        let _slot = self.polite.admit().await;
        self.send_inner(request, url.clone(), extra_headers).await
    }

    async fn send_inner(
        &self,
        request: &Request,
        url: Url,
        extra_headers: &[(String, String)],
    ) -> Received {
        let method = match reqwest::Method::from_bytes(request.method.as_bytes()) {
            Ok(m) => m,
            Err(_) => {
                return Received::Error {
                    message: format!("`{}` is not an HTTP method", request.method),
                    kind: TransportKind::Other,
                };
            }
        };
        let mut builder = self.inner.request(method, url);
        for (k, v) in request.headers.iter().chain(extra_headers) {
            builder = builder.header(k, v);
        }
        builder = match &request.body {
            None => builder,
            Some(Body::Json(v)) => builder.json(v),
            Some(Body::Form(pairs)) => builder
                .header("content-type", "application/x-www-form-urlencoded")
                .body(
                    url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(pairs)
                        .finish(),
                ),
            Some(Body::Text { content_type, text }) => builder
                .header("content-type", content_type)
                .body(text.clone()),
        };
        let mut response = match builder.send().await {
            Ok(r) => r,
            Err(e) => return transport_error(&e, Phase::Head),
        };
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut bytes = Vec::new();
        let mut truncated = false;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = self.config.max_body_bytes.saturating_sub(bytes.len());
                    if chunk.len() > room {
                        bytes.extend_from_slice(&chunk[..room]);
                        truncated = true;
                        break;
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return transport_error(&e, Phase::Body),
            }
        }
        Received::Response(Response {
            status,
            headers,
            body: parse_body(bytes, truncated),
            truncated,
        })
    }
}

/// The reqwest client of `config` (for a base URL already checked).
fn build_inner(config: &ClientConfig) -> Result<reqwest::Client, ExecError> {
    let base = &config.base_url;
    let origin = base.origin();
    let max_redirects = config.max_redirects;
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > max_redirects {
            attempt.error("too many redirects")
        } else if attempt.url().origin() != origin {
            // Never send traffic (and credentials) off the target's host.
            attempt.stop()
        } else {
            attempt.follow()
        }
    });
    reqwest::Client::builder()
        .redirect(policy)
        .timeout(config.timeout)
        .pool_max_idle_per_host(64)
        .user_agent(concat!("trespass/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(ExecError::Client)
}

/// Where in an exchange a transport error came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Connecting, sending, or waiting for the answer's head.
    Head,
    /// Reading the body of an answer whose head arrived.
    Body,
}

fn transport_error(e: &reqwest::Error, phase: Phase) -> Received {
    // reqwest's Display includes the URL; keep it (no secrets in URLs we build: keys in query
    // strings are redacted when reports are written).
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    let kind = classify(e, phase);
    tracing::debug!("transport failure ({kind}): {message}");
    Received::Error { message, kind }
}

/// The kind of a failed exchange, from reqwest's flags and the hyper and I/O errors beneath.
fn classify(e: &reqwest::Error, phase: Phase) -> TransportKind {
    if e.is_timeout() {
        return TransportKind::Timeout;
    }
    if e.is_redirect() {
        return TransportKind::Redirect;
    }
    if e.is_connect() {
        return TransportKind::Connect;
    }
    let mut hyper = None;
    let mut io = None;
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if hyper.is_none() {
            hyper = s.downcast_ref::<hyper::Error>();
        }
        if io.is_none() {
            io = s.downcast_ref::<std::io::Error>().map(std::io::Error::kind);
        }
        source = s.source();
    }
    if hyper.is_some_and(|h| h.is_timeout()) || io == Some(std::io::ErrorKind::TimedOut) {
        return TransportKind::Timeout;
    }
    if hyper.is_some_and(|h| h.is_parse() || h.is_parse_too_large() || h.is_parse_status()) {
        return TransportKind::Malformed;
    }
    let cut = hyper.is_some_and(|h| h.is_incomplete_message() || h.is_closed() || h.is_canceled())
        || matches!(
            io,
            Some(
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::UnexpectedEof
            )
        );
    match phase {
        // Anything that breaks a body whose head arrived cuts the answer short.
        Phase::Body if cut || e.is_body() || e.is_decode() || hyper.is_some() => {
            TransportKind::Truncated
        }
        Phase::Head if cut => TransportKind::Reset,
        _ => TransportKind::Other,
    }
}

fn parse_body(bytes: Vec<u8>, truncated: bool) -> ResponseBody {
    if bytes.is_empty() {
        return ResponseBody::Empty;
    }
    if !truncated && let Ok(v) = serde_json::from_slice(&bytes) {
        return ResponseBody::Json(v);
    }
    match String::from_utf8(bytes) {
        Ok(s) => ResponseBody::Text(s),
        Err(e) => ResponseBody::Binary(e.into_bytes().len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_must_be_http_with_a_host() {
        for bad in ["file:///etc/passwd", "ftp://example.invalid/"] {
            let err = HttpClient::new(ClientConfig::new(Url::parse(bad).unwrap())).unwrap_err();
            assert!(err.to_string().contains("http"), "{err}");
        }
    }

    #[test]
    fn urls_keep_the_base_path_as_prefix() {
        let client = HttpClient::new(ClientConfig::new(
            Url::parse("http://127.0.0.1:9/api/").unwrap(),
        ))
        .unwrap();
        let req = Request::new("get", "/users/1").query("q", "a b&c");
        assert_eq!(
            client.url_for(&req.path_and_query()),
            "http://127.0.0.1:9/api/users/1?q=a+b%26c"
        );
    }

    #[test]
    fn urls_built_on_the_parsed_base_are_those_of_the_whole_string() {
        for base in [
            "http://127.0.0.1:9",
            "http://127.0.0.1:9/",
            "http://localhost:9/api/v1/",
        ] {
            let client = HttpClient::new(ClientConfig::new(Url::parse(base).unwrap())).unwrap();
            for path in [
                "/users/1",
                "/",
                "",
                "/users/1?q=a+b%26c&x=",
                "/a b/%zz/ü/../x/./y",
                "/files/a%2Fb?q=1#frag",
                "/x?#",
                "/x#a?b",
                "/x\\y",
                "/x\ty\n",
                "//evil.example/x",
                "/\\evil.example/x",
                "/..//evil.example",
                "/x?q=%s&r=<>\"",
                "/x;y=1/[ipv6]",
            ] {
                let whole = Url::parse(&client.url_for(path)).unwrap();
                let built = client.url_of(path);
                assert_eq!(built, whole, "{base} + {path:?}");
                assert_eq!(
                    built.host_str(),
                    Url::parse(base).unwrap().host_str(),
                    "{path:?}"
                );
            }
        }
    }

    #[test]
    fn bodies_are_json_when_they_parse() {
        assert_eq!(
            parse_body(b"{\"a\":1}".to_vec(), false),
            ResponseBody::Json(serde_json::json!({"a": 1}))
        );
        assert_eq!(
            parse_body(b"hello".to_vec(), false),
            ResponseBody::Text("hello".into())
        );
        assert_eq!(parse_body(Vec::new(), false), ResponseBody::Empty);
        assert_eq!(parse_body(vec![0xff, 0xfe], false), ResponseBody::Binary(2));
        // A truncated JSON body is kept as text, never half-parsed.
        assert_eq!(
            parse_body(b"{\"a\"".to_vec(), true),
            ResponseBody::Text("{\"a\"".into())
        );
    }

    #[test]
    fn transport_failures_are_told_apart_by_kind() {
        use trespass_targets::hostile::{Hostile, TOKEN};
        let hostile = Hostile {
            slow: Duration::from_millis(1500),
        }
        .start()
        .unwrap();
        let mut config = ClientConfig::new(Url::parse(hostile.url()).unwrap());
        config.timeout = Duration::from_millis(700);
        config.max_body_bytes = 200 * 1024;
        let client = HttpClient::new(config).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let auth = [("authorization".to_string(), format!("Bearer {TOKEN}"))];
        let get = |path: &str| {
            runtime
                .block_on(client.send(&Request::new("GET", path), &auth, &[]))
                .0
        };
        for (path, kind) in [
            ("/hang-up", TransportKind::Reset),
            ("/garbage", TransportKind::Malformed),
            ("/short-body", TransportKind::Truncated),
            ("/loop", TransportKind::Redirect),
            ("/slow", TransportKind::Timeout),
        ] {
            let received = get(path);
            assert_eq!(
                received.transport_failure(),
                Some(kind),
                "{path}: {received:?}"
            );
        }
        let healthy = get("/health");
        assert_eq!(healthy.status(), Some(200));
        assert_eq!(healthy.transport_failure(), None);
        let Received::Response(endless) = get("/endless") else {
            panic!("an endless body is an answer, cut at the cap");
        };
        assert!(endless.truncated);

        // Nothing listens on a port just freed: no connection at all.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let gone = HttpClient::new(ClientConfig::new(
            Url::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
        ))
        .unwrap();
        let refused = runtime
            .block_on(gone.send(&Request::new("GET", "/"), &[], &[]))
            .0;
        assert_eq!(refused.transport_failure(), Some(TransportKind::Connect));
    }
}
