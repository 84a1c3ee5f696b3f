//! The exit codes of the `trespass` binary: the contract scripts and CI rely on.
//!
//! | code | meaning |
//! | --- | --- |
//! | 0 | success: no findings (or the command has nothing to find) |
//! | 1 | findings: at least one violation was found, or a replayed finding still fails |
//! | 2 | usage or input error: bad arguments, unreadable spec or identities, unreachable target |
//! | 130 | interrupted (Ctrl-C, SIGTERM) before the budget was spent, with nothing that fails the run |

/// Success, no findings.
pub const OK: u8 = 0;
/// At least one finding.
pub const FINDINGS: u8 = 1;
/// Usage or input error.
pub const USAGE: u8 = 2;

/// The run was interrupted (Ctrl-C, SIGTERM) before its budget was spent and found nothing
/// that fails it (the shell's convention for SIGINT).
pub const INTERRUPTED: u8 = 130;
