//! The exit codes of the `trespass` binary: the contract scripts and CI rely on.
//!
//! | code | meaning |
//! | --- | --- |
//! | 0 | success: no findings (or the command has nothing to find) |
//! | 1 | findings: at least one violation was found, or a replayed finding still fails |
//! | 2 | usage or input error: bad arguments, unreadable spec or identities, unreachable target |

/// Success, no findings.
pub const OK: u8 = 0;
/// At least one finding.
pub const FINDINGS: u8 = 1;
/// Usage or input error.
pub const USAGE: u8 = 2;
