//! Demo HTTP services with planted authorization and conformance bugs, and a secure mode.
//!
//! Every later oracle of trespass is tested against these: in [`Mode::Vulnerable`] the set of
//! findings must equal the [`planted`] manifest, in [`Mode::Secure`] it must be empty, and the
//! secure mode conforms exactly to the service's spec (`corpus/specs/<service>.yaml`).
//!
//! ```no_run
//! use trespass_targets::{Mode, Service};
//! let running = trespass_targets::start(Service::Shop, Mode::Vulnerable, 0).unwrap();
//! println!("shop at {}", running.url());
//! // dropped: the server shuts down
//! ```
//!
//! Besides the routes of its spec, every service answers `GET /openapi.json` (its spec as
//! JSON), `GET /openapi.yaml` and `POST /__reset` (restores the seeded state). Those three are
//! harness plumbing, not part of the API under test, and are not in the spec.

#![warn(missing_docs)]

mod common;
pub mod forum;
pub mod hostile;
pub mod notes;
pub mod planted;
pub mod shop;
pub mod stub;

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

pub use common::RouteList;

/// One of the demo services.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Service {
    /// Users, addresses, carts, orders, admin products and refunds. Bearer tokens from
    /// `POST /auth/login`, integer ids.
    Shop,
    /// Teams, documents, comments and share links. API keys in `X-Api-Key`, UUID ids.
    Notes,
    /// Users, code snippets and notebooks in the style of a third-party API: a version
    /// segment, natural keys (`{username}`, `{title}`, `{name}`), creates without ids, owners
    /// by username or email. Bearer tokens from `POST /api/v2/auth/login`.
    Forum,
}

impl Service {
    /// Every demo service.
    pub const ALL: [Service; 3] = [Service::Shop, Service::Notes, Service::Forum];

    /// The service's short name (`shop`, `notes`, `forum`), as used by `trespass demo --service`.
    pub fn name(self) -> &'static str {
        match self {
            Service::Shop => "shop",
            Service::Notes => "notes",
            Service::Forum => "forum",
        }
    }

    /// The OpenAPI document the service implements (YAML), as in `corpus/specs/`.
    pub fn spec_yaml(self) -> &'static str {
        match self {
            Service::Shop => shop::SPEC_YAML,
            Service::Notes => notes::SPEC_YAML,
            Service::Forum => forum::SPEC_YAML,
        }
    }

    /// The identities-and-policy file (TOML) for the service, as in `corpus/identities/`.
    pub fn identities_toml(self) -> &'static str {
        match self {
            Service::Shop => shop::IDENTITIES_TOML,
            Service::Notes => notes::IDENTITIES_TOML,
            Service::Forum => forum::IDENTITIES_TOML,
        }
    }

    /// File name of the spec inside `corpus/specs/`.
    pub fn spec_file_name(self) -> String {
        format!("{}.yaml", self.name())
    }

    /// File name of the identities file inside `corpus/identities/`.
    pub fn identities_file_name(self) -> String {
        format!("{}.toml", self.name())
    }

    /// The routes the service's router serves (method, axum path), the same in both modes.
    pub fn routes(self) -> Vec<(String, String)> {
        self.route_list(Mode::Secure).entries()
    }

    fn route_list(self, mode: Mode) -> RouteList {
        match self {
            Service::Shop => shop::routes(mode),
            Service::Notes => notes::routes(mode),
            Service::Forum => forum::routes(mode),
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Service {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "shop" => Ok(Service::Shop),
            "notes" => Ok(Service::Notes),
            "forum" => Ok(Service::Forum),
            other => Err(format!(
                "unknown demo service `{other}` (expected `shop`, `notes` or `forum`)"
            )),
        }
    }
}

/// Whether the planted bugs are live.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Every bug of the [`planted`] manifest is live.
    #[default]
    Vulnerable,
    /// No planted bug; every response conforms to the spec.
    Secure,
}

/// The full axum router of a service in a mode, including `/openapi.json`, `/openapi.yaml`
/// and `POST /__reset`.
pub fn router(service: Service, mode: Mode) -> axum::Router {
    service.route_list(mode).into_router(service.spec_yaml())
}

/// A demo service running on its own thread and runtime, usable from sync and async code.
/// Dropping it stops the server.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    url: String,
    service: Service,
    mode: Mode,
    spec: &'static str,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    /// Base URL, `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Which service this is.
    pub fn service(&self) -> Service {
        self.service
    }

    /// Which mode it runs in.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The spec it serves (YAML).
    pub fn spec_yaml(&self) -> &'static str {
        self.spec
    }

    /// The service's identities-and-policy file (TOML).
    pub fn identities_toml(&self) -> &'static str {
        self.service.identities_toml()
    }

    /// Blocks until the server stops (it only stops when dropped, or on a fatal I/O error).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts `service` in `mode` on `127.0.0.1:port` (`0` picks a free port) on a thread of its
/// own, and returns once it accepts connections.
pub fn start(service: Service, mode: Mode, port: u16) -> std::io::Result<Running> {
    start_on(service, mode, SocketAddr::from(([127, 0, 0, 1], port)))
}

/// Like [`start`], on any address.
pub fn start_on(service: Service, mode: Mode, addr: SocketAddr) -> std::io::Result<Running> {
    serve(
        service,
        mode,
        router(service, mode),
        service.spec_yaml(),
        addr,
    )
}

/// Starts the shop in `mode` with authentication `auth` (see [`shop::AuthStyle`]) on
/// `127.0.0.1:port` (`0` picks a free port). Its spec is [`shop::AuthStyle::spec_yaml`].
pub fn start_shop(mode: Mode, auth: shop::ShopAuth, port: u16) -> std::io::Result<Running> {
    let spec = auth.style.spec_yaml();
    let app = shop::styled_routes(mode, auth).into_router(spec);
    serve(
        Service::Shop,
        mode,
        app,
        spec,
        SocketAddr::from(([127, 0, 0, 1], port)),
    )
}

fn serve(
    service: Service,
    mode: Mode,
    app: axum::Router,
    spec: &'static str,
    addr: SocketAddr,
) -> std::io::Result<Running> {
    let listener = std::net::TcpListener::bind(addr)?;
    let (addr, tx, thread) = serve_on_thread(listener, app, format!("trespass-demo-{service}"))?;
    Ok(Running {
        addr,
        url: format!("http://{addr}"),
        service,
        mode,
        spec,
        shutdown: Some(tx),
        thread: Some(thread),
    })
}

/// Serves `app` on `listener` from a thread called `name` with a runtime of its own, until the
/// returned sender is sent to (or dropped); returns once it accepts connections, with the
/// address it listens on and the thread.
pub(crate) fn serve_on_thread(
    listener: std::net::TcpListener,
    app: axum::Router,
    name: String,
) -> std::io::Result<(
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    std::thread::JoinHandle<()>,
)> {
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<std::io::Result<()>>();
    let thread = std::thread::Builder::new()
        .name(name.clone())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            runtime.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                    let _ = rx.await;
                });
                if let Err(e) = serve.await {
                    tracing::error!("{name} stopped: {e}");
                }
            });
        })?;
    ready_rx
        .recv()
        .map_err(|_| std::io::Error::other("the server thread exited before it started"))??;
    Ok((addr, tx, thread))
}
