//! A run's stop request (Ctrl-C, SIGTERM): process-wide, as signals are. The CLI requests it;
//! campaign workers start no new case once it is set, and shrinking stops at its next
//! candidate, keeping what it has.

use std::sync::atomic::{AtomicBool, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);

/// Asks the running campaign to stop: no new case starts, findings in hand are kept and
/// written, and the summary says the run was interrupted.
pub fn request_stop() {
    STOP.store(true, Ordering::SeqCst);
}

/// Whether a stop was requested.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}
