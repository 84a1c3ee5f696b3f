//! How a worker gets a target: the one code path the CLI, the [`Harness`](crate::Harness) and
//! the tests start, check, restart and stop targets with.
//!
//! A [`Target`] is started from a [`TargetKind`]:
//!
//! - [`TargetKind::Embedded`]: an embedded demo service, one in-process instance per worker,
//!   each on its own free port: every [`Endpoint`] is [`Access::Exclusive`];
//! - [`TargetKind::Url`]: a target already running at a URL, shared by all the workers
//!   ([`Access::Shared`]; [`Access::Exclusive`] when the target is started for one worker);
//! - [`TargetKind::Command`]: the user's command (`--target-cmd`, `[target] command`), one
//!   process per worker on its own free port, each in its own process group and logging to
//!   `worker-<N>.log` (see [`super::command`]): every endpoint is [`Access::Exclusive`], and
//!   carries a [`Supervisor`] that the campaign asks, after every sequence, whether the
//!   instance crashed (it is then restarted on the same port, and the crash is a finding).
//!
//! Starting waits until every endpoint accepts connections (readiness); dropping the target
//! stops what it started.

use std::sync::Arc;
use std::time::Duration;

use url::Url;

pub use super::command::{Supervisor, TargetCommand};

#[cfg(feature = "cli")]
use trespass_generators::model::ApiModel;

#[cfg(feature = "cli")]
use crate::identity::IdentityFile;

/// How long the readiness check of an endpoint waits for a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether an endpoint serves one worker or several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// The endpoint serves one worker alone: it is reset (when the identities file names a
    /// reset) before every sequence, so each sequence starts from the same state.
    Exclusive,
    /// Several workers send sequences to the endpoint at once: it is reset once at the start.
    Shared,
}

/// Where the target listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The base URL.
    pub base_url: Url,
}

/// The endpoints a campaign runs on, each with the [`Access`] its workers have. Worker `w`
/// uses endpoint `w % len`; an exclusive endpoint must not be given to two workers. The
/// endpoints of a started command come with the [`Supervisor`] of their instance.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Endpoints(Vec<(Endpoint, Access)>, Vec<Supervisor>);

impl Endpoints {
    /// Endpoints that each serve one worker (give at least one per worker).
    pub fn exclusive(endpoints: impl IntoIterator<Item = Endpoint>) -> Self {
        Self(
            endpoints
                .into_iter()
                .map(|e| (e, Access::Exclusive))
                .collect(),
            Vec::new(),
        )
    }

    /// One endpoint shared by all the workers.
    pub fn shared(endpoint: Endpoint) -> Self {
        Self(vec![(endpoint, Access::Shared)], Vec::new())
    }

    /// The supervisor of endpoint `index`'s instance, when the target started it from a
    /// command.
    pub fn supervisor(&self, index: usize) -> Option<&Supervisor> {
        self.1.get(index)
    }

    /// The endpoints with their access.
    pub fn iter(&self) -> impl Iterator<Item = (&Endpoint, Access)> {
        self.0.iter().map(|(e, a)| (e, *a))
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first endpoint, if any.
    pub fn first(&self) -> Option<&Endpoint> {
        self.0.first().map(|(e, _)| e)
    }
}

/// A list of endpoints as such: each serves one worker ([`Endpoints::exclusive`]).
impl From<&[Endpoint]> for Endpoints {
    fn from(endpoints: &[Endpoint]) -> Self {
        Self::exclusive(endpoints.iter().cloned())
    }
}

/// A list of endpoints as such: each serves one worker ([`Endpoints::exclusive`]).
impl From<&Vec<Endpoint>> for Endpoints {
    fn from(endpoints: &Vec<Endpoint>) -> Self {
        Self::from(endpoints.as_slice())
    }
}

impl From<&Target> for Endpoints {
    fn from(target: &Target) -> Self {
        target.endpoints()
    }
}

/// What a [`Target`] is started from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TargetKind {
    /// An embedded demo service started in-process, one instance per worker.
    #[cfg(feature = "cli")]
    Embedded {
        /// The service.
        service: trespass_targets::Service,
        /// Planted bugs live or fixed.
        mode: trespass_targets::Mode,
    },
    /// A target already running at this URL, shared by all the workers (a single worker has
    /// it to itself).
    Url(Url),
    /// The user's command, one process per worker (see [`TargetCommand`]).
    Command(TargetCommand),
}

/// Why a target could not be started or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// An instance could not be started.
    #[error("{0}")]
    Start(String),
    /// Nothing accepts connections at the endpoint.
    #[error("the target at {url} is unreachable: {reason}")]
    Unreachable {
        /// The endpoint's URL.
        url: String,
        /// What connecting said.
        reason: String,
    },
}

/// One started instance.
enum Instance {
    /// An embedded demo (stopped when dropped) and its endpoint.
    #[cfg(feature = "cli")]
    Embedded {
        /// Held for its drop, which stops the demo.
        _running: trespass_targets::Running,
        endpoint: Endpoint,
    },
    /// Something running elsewhere.
    Remote(Endpoint),
    /// A process started from the user's command (stopped when the last clone of its
    /// supervisor is dropped).
    Process(Supervisor),
}

impl Instance {
    fn endpoint(&self) -> Endpoint {
        match self {
            #[cfg(feature = "cli")]
            Instance::Embedded { endpoint, .. } => endpoint.clone(),
            Instance::Remote(endpoint) => endpoint.clone(),
            Instance::Process(supervisor) => Endpoint {
                base_url: supervisor.base_url(),
            },
        }
    }
}

/// A started target: its instances and the endpoints the workers use. Dropping it stops the
/// instances it started.
pub struct Target {
    kind: TargetKind,
    instances: Vec<Instance>,
    /// The workers it was started for.
    workers: usize,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("kind", &self.kind)
            .field("endpoints", &self.endpoints())
            .finish()
    }
}

impl Target {
    /// Starts a target of `kind` for `workers` workers (one instance each when the kind
    /// starts instances) and waits until every endpoint accepts connections.
    pub fn start(kind: TargetKind, workers: usize) -> Result<Self, TargetError> {
        let workers = workers.max(1);
        let instances = match &kind {
            #[cfg(feature = "cli")]
            TargetKind::Embedded { service, mode } => (0..workers)
                .map(|_| start_embedded(*service, *mode))
                .collect::<Result<_, _>>()?,
            TargetKind::Url(url) => vec![Instance::Remote(Endpoint {
                base_url: url.clone(),
            })],
            TargetKind::Command(command) => {
                let command = Arc::new(command.clone());
                // Started one after another: an instance that cannot start stops the others
                // (dropped) before the error is returned.
                (0..workers)
                    .map(|w| Supervisor::start(Arc::clone(&command), w).map(Instance::Process))
                    .collect::<Result<_, _>>()?
            }
        };
        let target = Self {
            kind,
            instances,
            workers,
        };
        for (endpoint, _) in target.endpoints().iter() {
            ready(endpoint)?;
        }
        Ok(target)
    }

    /// What it was started from.
    pub fn kind(&self) -> &TargetKind {
        &self.kind
    }

    /// The endpoints, with the access the kind gives them.
    pub fn endpoints(&self) -> Endpoints {
        let all = self.instances.iter().map(Instance::endpoint);
        match self.kind {
            TargetKind::Url(_) if self.workers == 1 => Endpoints::exclusive(all),
            TargetKind::Url(_) => Endpoints(all.map(|e| (e, Access::Shared)).collect(), Vec::new()),
            #[cfg(feature = "cli")]
            TargetKind::Embedded { .. } => Endpoints::exclusive(all),
            TargetKind::Command(_) => {
                let supervisors = self
                    .instances
                    .iter()
                    .filter_map(|i| match i {
                        Instance::Process(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect();
                Endpoints(Endpoints::exclusive(all).0, supervisors)
            }
        }
    }

    /// The supervisors of the instances started from a command (none for other kinds).
    pub fn supervisors(&self) -> Vec<Supervisor> {
        self.endpoints().1
    }

    /// Restarts instance `index` (a fresh embedded demo on a new port; a command's process
    /// stopped and started again on its port; a URL target is only checked again) and returns
    /// its endpoint once it accepts connections.
    pub fn restart(&mut self, index: usize) -> Result<Endpoint, TargetError> {
        let Some(instance) = self.instances.get_mut(index) else {
            return Err(TargetError::Start(format!(
                "no instance {index} to restart"
            )));
        };
        match &self.kind {
            #[cfg(feature = "cli")]
            TargetKind::Embedded { service, mode } => {
                *instance = start_embedded(*service, *mode)?;
            }
            TargetKind::Url(_) => {}
            TargetKind::Command(_) => {
                if let Instance::Process(supervisor) = instance {
                    supervisor.restart()?;
                }
            }
        }
        let endpoint = instance.endpoint();
        ready(&endpoint)?;
        Ok(endpoint)
    }
}

#[cfg(feature = "cli")]
fn start_embedded(
    service: trespass_targets::Service,
    mode: trespass_targets::Mode,
) -> Result<Instance, TargetError> {
    let running = trespass_targets::start(service, mode, 0)
        .map_err(|e| TargetError::Start(format!("cannot start the demo target {service}: {e}")))?;
    let base_url = Url::parse(running.url())
        .map_err(|e| TargetError::Start(format!("demo target URL {}: {e}", running.url())))?;
    Ok(Instance::Embedded {
        _running: running,
        endpoint: Endpoint { base_url },
    })
}

/// Fails unless something accepts TCP connections at the endpoint's host and port.
pub fn ready(endpoint: &Endpoint) -> Result<(), TargetError> {
    check_reachable(endpoint.base_url.as_str(), &endpoint.base_url)
}

/// Fails unless something accepts TCP connections at `base_url`'s host and port; `given` is
/// the URL as the user wrote it, for the message.
pub fn check_reachable(given: &str, base_url: &Url) -> Result<(), TargetError> {
    let unreachable = |reason: String| TargetError::Unreachable {
        url: given.to_string(),
        reason,
    };
    let addrs = base_url
        .socket_addrs(|| None)
        .map_err(|e| unreachable(e.to_string()))?;
    let mut last = String::from("no address");
    for addr in addrs {
        match std::net::TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
            Ok(_) => return Ok(()),
            Err(e) => last = format!("{addr}: {e}"),
        }
    }
    Err(unreachable(last))
}

/// The model and identities of an embedded demo service, as `trespass fuzz` uses them.
#[cfg(feature = "cli")]
pub fn demo_subject(
    service: trespass_targets::Service,
) -> Result<(ApiModel, IdentityFile), String> {
    let mut model = trespass_generators::load_str(service.spec_yaml(), &service.spec_file_name())
        .map_err(|e| e.to_string())?;
    let mut identities = IdentityFile::parse(
        service.identities_toml(),
        service.identities_file_name(),
        |_| None,
    )
    .map_err(|e| e.to_string())?;
    identities
        .apply_resources(&mut model)
        .map_err(|e| e.to_string())?;
    Ok((model, identities))
}

#[cfg(all(test, feature = "cli"))]
mod tests {
    use trespass_targets::{Mode, Service};

    use super::*;

    #[test]
    fn an_embedded_target_gives_each_worker_its_own_endpoint() {
        let kind = TargetKind::Embedded {
            service: Service::Notes,
            mode: Mode::Secure,
        };
        let mut target = Target::start(kind, 2).unwrap();
        let endpoints = target.endpoints();
        assert_eq!(endpoints.len(), 2);
        assert!(endpoints.iter().all(|(_, a)| a == Access::Exclusive));
        let first = endpoints.first().unwrap().clone();
        let restarted = target.restart(0).unwrap();
        assert_ne!(restarted, first, "a fresh instance");
        assert_eq!(target.endpoints().first(), Some(&restarted));
        assert!(target.restart(2).is_err());
        drop(target);
        assert!(ready(&restarted).is_err(), "dropping stops the instances");
    }

    #[test]
    fn a_url_target_is_shared_and_checked() {
        let running = trespass_targets::start(Service::Notes, Mode::Secure, 0).unwrap();
        let url = Url::parse(running.url()).unwrap();
        let target = Target::start(TargetKind::Url(url.clone()), 3).unwrap();
        let endpoints = target.endpoints();
        assert_eq!(
            endpoints,
            Endpoints::shared(Endpoint {
                base_url: url.clone()
            })
        );
        let alone = Target::start(TargetKind::Url(url.clone()), 1).unwrap();
        assert_eq!(
            alone.endpoints(),
            Endpoints::exclusive([Endpoint {
                base_url: url.clone()
            }]),
            "one worker has the target to itself"
        );
        drop(running);
        let e = Target::start(TargetKind::Url(url), 1).unwrap_err();
        assert!(matches!(e, TargetError::Unreachable { .. }), "{e}");
    }
}
