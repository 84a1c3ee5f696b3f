//! Targets started from the user's command (`--target-cmd`, `[target] command`): one process
//! per worker, each in its own process group, listening on a free loopback port that replaces
//! `{port}` in the command. Its output goes to a log file per worker; it is stopped (SIGTERM
//! to its group, SIGKILL after a grace) when dropped, and at once by [`stop_all`] (a second
//! Ctrl-C quits without unwinding).
//!
//! The command runs under `sh -c` and must stay in the foreground: the process trespass
//! started is the instance, and its exit is a crash.

use std::fs::OpenOptions;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use url::Url;

use super::target::TargetError;
pub use crate::identity::PORT_PLACEHOLDER;

/// How long an instance may take to accept connections, unless the caller says otherwise.
pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a stopped instance has between SIGTERM and SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(3);
/// Ports an instance is tried on when the port it was given turned out to be taken.
const PORT_TRIES: u32 = 3;
/// Lines of an instance's log shown when it fails.
const LOG_TAIL_LINES: usize = 15;
/// How often a starting instance is checked.
const POLL: Duration = Duration::from_millis(50);

/// How to start a target: the command, the path the API is served under, where the
/// instances log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetCommand {
    /// The shell command (`sh -c`), with `{port}` where the instance's port goes.
    pub command: String,
    /// The path the API is served under (`/api`; empty for the root): the base URL of an
    /// instance is `http://127.0.0.1:<port><base_path>`.
    pub base_path: String,
    /// The folder of the instances' logs, `worker-<N>.log`.
    pub log_dir: PathBuf,
    /// How long an instance may take to accept connections.
    pub start_timeout: Duration,
}

impl TargetCommand {
    /// `command` (which must contain `{port}`), logging into `log_dir`, served at the root.
    pub fn new(command: impl Into<String>, log_dir: impl Into<PathBuf>) -> Result<Self, String> {
        let command = command.into();
        crate::identity::check_target_command(&command)?;
        Ok(Self {
            command,
            base_path: String::new(),
            log_dir: log_dir.into(),
            start_timeout: DEFAULT_START_TIMEOUT,
        })
    }

    /// The API is served under the path of `url` (`http://host/api` gives `/api`); the rest
    /// of `url` is not used: instances listen on 127.0.0.1 at ports trespass picks.
    pub fn with_base_path_of(mut self, url: &Url) -> Self {
        self.base_path = url.path().trim_end_matches('/').to_string();
        self
    }

    /// The command with `port` in place of every `{port}`.
    pub fn command_for(&self, port: u16) -> String {
        self.command.replace(PORT_PLACEHOLDER, &port.to_string())
    }

    /// The base URL of an instance listening on `port`.
    pub fn base_url(&self, port: u16) -> Url {
        let text = format!("http://127.0.0.1:{port}{}", self.base_path);
        Url::parse(&text).unwrap_or_else(|_| {
            Url::parse(&format!("http://127.0.0.1:{port}")).expect("a loopback URL parses")
        })
    }

    /// The log file of worker `worker`'s instance.
    pub fn log_of(&self, worker: usize) -> PathBuf {
        self.log_dir.join(format!("worker-{worker}.log"))
    }
}

/// A port on 127.0.0.1 nothing listens on right now (bound, read, released).
pub fn free_port() -> Result<u16, TargetError> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| TargetError::Start(format!("cannot find a free port on 127.0.0.1: {e}")))
}

/// Process groups started and not yet stopped, for [`stop_all`].
static LIVE: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Kills (SIGKILL) every instance still running, at once: for a process about to exit
/// without unwinding (a second Ctrl-C). Dropping a target stops its instances gracefully.
pub fn stop_all() {
    let groups = std::mem::take(&mut *LIVE.lock().unwrap_or_else(|e| e.into_inner()));
    for group in groups {
        signal_group(group, Signal::Kill);
    }
}

#[derive(Clone, Copy)]
enum Signal {
    Term,
    Kill,
}

/// Sends `signal` to process group `group` (gone groups are ignored).
#[cfg(unix)]
fn signal_group(group: u32, signal: Signal) {
    use rustix::process::{Pid, Signal as S, kill_process_group};
    let Some(pid) = i32::try_from(group).ok().and_then(Pid::from_raw) else {
        return;
    };
    let signal = match signal {
        Signal::Term => S::TERM,
        Signal::Kill => S::KILL,
    };
    let _ = kill_process_group(pid, signal);
}

#[cfg(not(unix))]
fn signal_group(_: u32, _: Signal) {}

/// Why a start failed: a port someone else took meanwhile is tried again on another.
enum Failure {
    PortTaken(TargetError),
    Other(TargetError),
}

/// One running instance of the command.
pub(super) struct Process {
    child: Child,
    port: u16,
    worker: usize,
    log: PathBuf,
    stopped: bool,
}

impl Process {
    /// Starts worker `worker`'s instance on `port` (a free port when `None`, and another one
    /// if that was taken meanwhile), and waits until it accepts connections.
    pub(super) fn start(
        command: &TargetCommand,
        worker: usize,
        port: Option<u16>,
    ) -> Result<Self, TargetError> {
        let mut last = None;
        for attempt in 0..PORT_TRIES {
            let port = match port {
                Some(port) => port,
                None => free_port()?,
            };
            if attempt > 0 {
                // The same port (a restart) may still be held by the instance just stopped.
                std::thread::sleep(Duration::from_millis(200));
            }
            match Self::start_on(command, worker, port) {
                Ok(process) => return Ok(process),
                Err(Failure::PortTaken(e)) => last = Some(e),
                Err(Failure::Other(e)) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| TargetError::Start("no port to start on".into())))
    }

    fn start_on(command: &TargetCommand, worker: usize, port: u16) -> Result<Self, Failure> {
        let other = |m: String| Failure::Other(TargetError::Start(m));
        let log = command.log_of(worker);
        let text = command.command_for(port);
        std::fs::create_dir_all(&command.log_dir)
            .map_err(|e| other(format!("cannot make {}: {e}", command.log_dir.display())))?;
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(|e| other(format!("cannot write {}: {e}", log.display())))?;
        let _ = writeln!(file, "--- trespass: worker {worker} runs `{text}` ---");
        let stderr = file
            .try_clone()
            .map_err(|e| other(format!("{}: {e}", log.display())))?;
        let mut shell = Command::new("sh");
        shell
            .arg("-c")
            .arg(&text)
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(stderr);
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut shell, 0);
        let child = shell
            .spawn()
            .map_err(|e| other(format!("cannot run the target command `{text}`: {e}")))?;
        LIVE.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(child.id());
        let mut process = Self {
            child,
            port,
            worker,
            log,
            stopped: false,
        };
        process.wait_ready(command.start_timeout, &text)?;
        Ok(process)
    }

    /// Waits until the instance accepts connections on its port; fails (and the caller's
    /// drop stops it) when it exits first or takes longer than `timeout`.
    fn wait_ready(&mut self, timeout: Duration, text: &str) -> Result<(), Failure> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exited() {
                let message = format!(
                    "the target command of worker {} (`{text}`) exited ({}) before it accepted \
                     connections on 127.0.0.1:{}; the end of its log {}:\n{}",
                    self.worker,
                    describe(status),
                    self.port,
                    self.log.display(),
                    log_tail(&self.log)
                );
                let taken = TcpListener::bind(addr).is_err();
                return Err(if taken {
                    Failure::PortTaken(TargetError::Start(message))
                } else {
                    Failure::Other(TargetError::Start(message))
                });
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Failure::Other(TargetError::Start(format!(
                    "the target command of worker {} (`{text}`) did not accept connections on \
                     127.0.0.1:{} within {} s; the end of its log {}:\n{}",
                    self.worker,
                    self.port,
                    timeout.as_secs_f64(),
                    self.log.display(),
                    log_tail(&self.log)
                ))));
            }
            std::thread::sleep(POLL);
        }
    }

    /// The exit status, once the instance has exited.
    pub(super) fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Stops the instance: SIGTERM to its process group, SIGKILL after a grace.
    fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let group = self.child.id();
        signal_group(group, Signal::Term);
        let deadline = Instant::now() + STOP_GRACE;
        while self.exited().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        // What is left of the group (the leader, or children that ignored SIGTERM).
        signal_group(group, Signal::Kill);
        let _ = self.child.wait();
        LIVE.lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|g| *g != group);
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `exit status 3`, `signal 6`.
pub(super) fn describe(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("killed by signal {signal}");
        }
    }
    match status.code() {
        Some(code) => format!("exit status {code}"),
        None => status.to_string(),
    }
}

/// The last lines of the log at `path` (indented), or why it cannot be read.
pub(super) fn log_tail(path: &Path) -> String {
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => return format!("  (cannot read it: {e})"),
    };
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(LOG_TAIL_LINES);
    lines[start..]
        .iter()
        .map(|l| format!("  | {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Watches one worker's instance and starts it again: shared by the [`super::Target`] that
/// owns it and the campaign lane that runs on it.
#[derive(Clone)]
pub struct Supervisor {
    process: Arc<Mutex<Process>>,
    command: Arc<TargetCommand>,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("worker", &self.worker())
            .field("log", &self.log())
            .finish()
    }
}

/// Two supervisors are equal when they watch the same instance.
impl PartialEq for Supervisor {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.process, &other.process)
    }
}

impl Eq for Supervisor {}

impl Supervisor {
    /// Starts worker `worker`'s instance of `command` on a free port.
    pub(super) fn start(command: Arc<TargetCommand>, worker: usize) -> Result<Self, TargetError> {
        let process = Process::start(&command, worker, None)?;
        Ok(Self {
            process: Arc::new(Mutex::new(process)),
            command,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Process> {
        self.process.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The worker the instance serves.
    pub fn worker(&self) -> usize {
        self.lock().worker
    }

    /// The instance's log file.
    pub fn log(&self) -> PathBuf {
        self.lock().log.clone()
    }

    /// The port the instance listens on.
    pub fn port(&self) -> u16 {
        self.lock().port
    }

    /// The instance's base URL.
    pub fn base_url(&self) -> Url {
        self.command.base_url(self.port())
    }

    /// The instance's process id (also its process group).
    pub fn pid(&self) -> u32 {
        self.lock().child.id()
    }

    /// How the instance ended, once it has exited (`exit status 3`, `killed by signal 6`).
    pub fn exited(&self) -> Option<String> {
        self.lock().exited().map(describe)
    }

    /// Like [`Supervisor::exited`], waiting up to `settle` for an instance that is still
    /// going down.
    pub fn exited_within(&self, settle: Duration) -> Option<String> {
        let deadline = Instant::now() + settle;
        loop {
            if let Some(status) = self.exited() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The end of the instance's log.
    pub fn log_tail(&self) -> String {
        log_tail(&self.log())
    }

    /// Stops the instance (if it still runs) and starts it again on the same port, so the
    /// URL the workers use stays valid; blocks until it accepts connections.
    pub fn restart(&self) -> Result<(), TargetError> {
        let mut process = self.lock();
        process.stop();
        let fresh = Process::start(&self.command, process.worker, Some(process.port))?;
        *process = fresh;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(text: &str, dir: &Path) -> TargetCommand {
        TargetCommand::new(text, dir).unwrap()
    }

    #[test]
    fn the_port_and_base_path_go_where_they_belong() {
        let dir = tempfile::tempdir().unwrap();
        let c = command("serve --port {port} --admin-port {port}", dir.path());
        assert_eq!(c.command_for(8123), "serve --port 8123 --admin-port 8123");
        assert_eq!(c.base_url(8123).as_str(), "http://127.0.0.1:8123/");
        let api = c.with_base_path_of(&Url::parse("http://example.invalid:9/api/v1/").unwrap());
        assert_eq!(api.base_url(8123).as_str(), "http://127.0.0.1:8123/api/v1");
        assert_eq!(api.log_of(2), dir.path().join("worker-2.log"));
        let e = TargetCommand::new("serve --port 8080", dir.path()).unwrap_err();
        assert!(e.contains("{port}"), "{e}");
        assert!(TargetCommand::new("  ", dir.path()).is_err());
    }

    #[test]
    fn a_free_port_can_be_bound() {
        let port = free_port().unwrap();
        assert_ne!(port, 0);
        TcpListener::bind((Ipv4Addr::LOCALHOST, port)).expect("the port is free");
    }

    #[test]
    fn an_instance_that_exits_before_it_listens_is_an_error_with_its_log() {
        let dir = tempfile::tempdir().unwrap();
        let c = Arc::new(command(
            "echo starting on {port}; echo 'config missing' >&2; exit 3",
            dir.path(),
        ));
        let e = Supervisor::start(c, 1).unwrap_err().to_string();
        assert!(e.contains("worker 1") && e.contains("exit status 3"), "{e}");
        assert!(
            e.contains("config missing") && e.contains("starting on"),
            "{e}"
        );
        assert!(e.contains("worker-1.log"), "{e}");
    }

    #[test]
    fn an_instance_that_never_listens_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let text = format!(
            "echo {{port}}; echo $$ > {}; exec sleep 30",
            pid_file.display()
        );
        let mut c = command(&text, dir.path());
        c.start_timeout = Duration::from_millis(300);
        let c = Arc::new(c);
        // The free port may be taken by a server of another test between the draw and the
        // check (then something does accept connections there): a few tries.
        let e = (0..3)
            .find_map(|_| Supervisor::start(c.clone(), 0).err())
            .expect("an instance that never listens is never ready")
            .to_string();
        assert!(e.contains("did not accept connections"), "{e}");
        let pid: i32 = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let pid = rustix::process::Pid::from_raw(pid).unwrap();
        assert!(
            rustix::process::test_kill_process(pid).is_err(),
            "the instance was stopped"
        );
        assert!(
            !LIVE
                .lock()
                .unwrap()
                .contains(&(pid.as_raw_nonzero().get() as u32))
        );
    }
}
