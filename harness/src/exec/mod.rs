//! The executor: sends requests to the target as an identity and records every exchange.
//!
//! Requests go through [`crate::http::HttpClient`], the one pooled client of a run (re-exported
//! here). [`crate::identity::Sessions`] adds each identity's credentials (logging in and
//! re-logging on 401 where the identities file says so). [`Executor`] runs a whole sequence: it
//! resolves references to earlier responses, tracks who owns which object ([`Ownership`]), and
//! around another identity's write or delete of an owned object adds the owner's re-reads, so
//! the oracles can see a change that answered 403 yet took effect. Everything is recorded in a
//! [`Trace`].

mod known;
mod ownership;
pub(crate) mod params;
mod probe;
mod reject;
mod render;
mod run;
mod takeover;
mod trace;

pub use crate::http::{
    AuthMode, Body, ClientConfig, Exchange, HttpClient, Received, Request, Response, ResponseBody,
    TransportKind,
};
pub use known::{Known, Named};
pub use ownership::{
    Claim, ObjectKey, Ownership, created_key, id_in, id_text, is_account_operation, item_key,
    list_items, object_of,
};
pub use probe::{
    GROWTH_START, GROWTH_STOP, GrowthMemo, SLOW_GROWTHS_KNOWN, growth_lengths, is_growth_string,
    long_length, plain, plain_twin, with_long_length,
};
pub use reject::{PointerError, RefProblem, RejectReason, StepError};
pub(crate) use run::StepGate;
pub use run::{Executor, RunResult};
pub(crate) use takeover::sets_credential;
pub use takeover::{LoginCheck, changed_login};
pub use trace::{Purpose, Reject, StepIndex, Trace, TraceIndex, TraceStep};
