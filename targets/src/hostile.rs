//! A hostile HTTP/1.1 server: each route misbehaves one way at the transport level, the way
//! broken and crashing services do. It is what the transport-failure handling of trespass is
//! tested against (`transport-error`, `slow-response`, the summary's counts, the hard
//! budget), and it is not a demo service: it has no planted authorization bug and no secure
//! mode.
//!
//! | route | answer to an authorized `GET` |
//! | --- | --- |
//! | `/health` | `200` and `{"ok": true}` |
//! | `/hang-up` | none: the connection is closed once the request is read (a crashed handler) |
//! | `/garbage` | bytes that are not HTTP |
//! | `/short-body` | a `Content-Length` of 1000 and 11 bytes of body, then the connection closes |
//! | `/loop` | `302` to `/loop`, for ever |
//! | `/slow` | `200` after [`Hostile::slow`] (default 2 s) |
//! | `/endless` | `200` and a chunked body that never ends |
//!
//! Every route wants `Authorization: Bearer` [`TOKEN`] and answers a well-formed `401`
//! without it, so only authenticated requests meet the misbehaviour. Every answer closes its
//! connection. [`SPEC_YAML`] describes the routes (each declares `200` and `401`).
//!
//! ```no_run
//! let hostile = trespass_targets::hostile::start().unwrap();
//! println!("hostile server at {}", hostile.url());
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The bearer token every route wants.
pub const TOKEN: &str = "hostile-bearer-token-5d1f";

/// The OpenAPI 3.0 document of the routes.
pub const SPEC_YAML: &str = r##"openapi: 3.0.3
info:
  title: hostile
  version: "1"
components:
  securitySchemes:
    bearer:
      type: http
      scheme: bearer
  responses:
    Ok:
      description: ok
      content:
        application/json:
          schema:
            type: object
    Unauthorized:
      description: no or wrong token
      content:
        application/json:
          schema:
            type: object
security:
  - bearer: []
paths:
  /health:
    get:
      responses:
        "200": {$ref: "#/components/responses/Ok"}
        "401": {$ref: "#/components/responses/Unauthorized"}
  /hang-up:
    get:
      responses:
        "200": {$ref: "#/components/responses/Ok"}
        "401": {$ref: "#/components/responses/Unauthorized"}
  /garbage:
    get:
      responses:
        "200": {$ref: "#/components/responses/Ok"}
        "401": {$ref: "#/components/responses/Unauthorized"}
  /short-body:
    get:
      responses:
        "200": {$ref: "#/components/responses/Ok"}
        "401": {$ref: "#/components/responses/Unauthorized"}
  /loop:
    get:
      responses:
        "200": {$ref: "#/components/responses/Ok"}
        "401": {$ref: "#/components/responses/Unauthorized"}
  /slow:
    get:
      responses:
        "200": {$ref: "#/components/responses/Ok"}
        "401": {$ref: "#/components/responses/Unauthorized"}
  /endless:
    get:
      responses:
        "200": {$ref: "#/components/responses/Ok"}
        "401": {$ref: "#/components/responses/Unauthorized"}
"##;

/// An identities file for [`SPEC_YAML`]: one user with [`TOKEN`], and an anonymous caller.
pub fn identities_toml() -> String {
    format!(
        "[[identity]]\nname = \"user\"\nrole = \"user\"\nauth = {{ bearer = \"{TOKEN}\" }}\n\n\
         [[identity]]\nname = \"anon\"\nrole = \"anonymous\"\n"
    )
}

/// The largest request head read; a longer one is answered `431` and closed.
const MAX_HEAD: usize = 16 * 1024;

/// Settings of the server.
#[derive(Debug, Clone, Copy)]
pub struct Hostile {
    /// How long `/slow` waits before answering.
    pub slow: Duration,
}

impl Default for Hostile {
    fn default() -> Self {
        Self {
            slow: Duration::from_secs(2),
        }
    }
}

/// A running hostile server; dropping it stops the server.
#[derive(Debug)]
pub struct RunningHostile {
    addr: SocketAddr,
    url: String,
    requests: Arc<AtomicU64>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningHostile {
    /// Base URL, `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests whose head was read so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

impl Drop for RunningHostile {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts the server with default settings on `127.0.0.1` and a free port.
pub fn start() -> std::io::Result<RunningHostile> {
    Hostile::default().start()
}

impl Hostile {
    /// Starts the server on `127.0.0.1` and a free port.
    pub fn start(self) -> std::io::Result<RunningHostile> {
        let listener = std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
        let requests = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&requests);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let listener = {
            let _entered = runtime.enter();
            TcpListener::from_std(listener)?
        };
        let thread = std::thread::Builder::new()
            .name("trespass-hostile".into())
            .spawn(move || {
                runtime.block_on(async move {
                    loop {
                        tokio::select! {
                            _ = &mut rx => break,
                            accepted = listener.accept() => {
                                let Ok((stream, _)) = accepted else { continue };
                                let counted = Arc::clone(&counted);
                                tokio::spawn(async move {
                                    // A client that goes away mid-answer is no error here.
                                    let _ = self.serve(stream, &counted).await;
                                });
                            }
                        }
                    }
                });
            })?;
        Ok(RunningHostile {
            addr,
            url: format!("http://{addr}"),
            requests,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// Answers the one request of a connection.
    async fn serve(self, mut stream: TcpStream, requests: &AtomicU64) -> std::io::Result<()> {
        let Some(head) = read_head(&mut stream).await? else {
            return stream.write_all(&plain(431, "{}")).await;
        };
        requests.fetch_add(1, Ordering::Relaxed);
        let mut lines = head.lines();
        let target = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("/");
        let path = target.split('?').next().unwrap_or(target);
        let authorized = lines.any(|l| {
            l.split_once(':').is_some_and(|(name, value)| {
                name.trim().eq_ignore_ascii_case("authorization")
                    && value.trim() == format!("Bearer {TOKEN}")
            })
        });
        if !authorized {
            return stream
                .write_all(&plain(401, r#"{"error":"unauthorized"}"#))
                .await;
        }
        match path {
            "/health" => stream.write_all(&plain(200, r#"{"ok":true}"#)).await,
            // Dropping the stream closes the connection without a byte of answer.
            "/hang-up" => Ok(()),
            "/garbage" => {
                stream
                    .write_all(b"SSH-2.0-OpenSSH_9.6\r\nthis is not HTTP at all\r\n\r\n")
                    .await
            }
            "/short-body" => {
                stream
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                          content-length: 1000\r\nconnection: close\r\n\r\n{\"partial\":",
                    )
                    .await
            }
            "/loop" => {
                stream
                    .write_all(
                        b"HTTP/1.1 302 Found\r\nlocation: /loop\r\ncontent-length: 0\r\n\
                          connection: close\r\n\r\n",
                    )
                    .await
            }
            "/slow" => {
                tokio::time::sleep(self.slow).await;
                stream.write_all(&plain(200, r#"{"ok":true}"#)).await
            }
            "/endless" => {
                stream
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                          transfer-encoding: chunked\r\nconnection: close\r\n\r\n",
                    )
                    .await?;
                let chunk = vec![b'a'; 64 * 1024];
                let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
                frame.extend_from_slice(&chunk);
                frame.extend_from_slice(b"\r\n");
                // Until the client stops reading and the write fails.
                loop {
                    stream.write_all(&frame).await?;
                }
            }
            _ => {
                stream
                    .write_all(&plain(404, r#"{"error":"no such route"}"#))
                    .await
            }
        }
    }
}

/// Reads up to the end of the request head; `None` when it is too long or never ends.
async fn read_head(stream: &mut TcpStream) -> std::io::Result<Option<String>> {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_HEAD {
            return Ok(None);
        }
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(Some(String::from_utf8_lossy(&head).into_owned()))
}

/// A well-formed JSON answer that closes the connection.
fn plain(status: u16, body: &str) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        401 => "Unauthorized",
        404 => "Not Found",
        _ => "Request Header Fields Too Large",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(url: &str, token: Option<&str>) -> Result<(u16, String), String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(1))
                .build()
                .unwrap();
            let mut request = client.get(url);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            let body = response.text().await.map_err(|e| e.to_string())?;
            Ok((status, body))
        })
    }

    #[test]
    fn only_authorized_requests_meet_the_misbehaviour() {
        let hostile = Hostile {
            slow: Duration::from_millis(1500),
        }
        .start()
        .unwrap();
        let url = |path: &str| format!("{}{path}", hostile.url());
        for path in [
            "/health",
            "/hang-up",
            "/garbage",
            "/short-body",
            "/loop",
            "/slow",
            "/endless",
        ] {
            let (status, _) = get(&url(path), None).unwrap();
            assert_eq!(status, 401, "{path} without a token");
        }
        assert_eq!(
            get(&url("/health"), Some(TOKEN)).unwrap(),
            (200, r#"{"ok":true}"#.to_string())
        );
        for path in ["/hang-up", "/garbage", "/short-body", "/loop", "/slow"] {
            assert!(get(&url(path), Some(TOKEN)).is_err(), "{path} misbehaves");
        }
        assert_eq!(get(&url("/nope"), Some(TOKEN)).unwrap().0, 404);
        assert!(hostile.requests() >= 14, "{}", hostile.requests());
    }
}
