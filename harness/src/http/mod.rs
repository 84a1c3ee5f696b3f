//! HTTP: the one pooled client of a run, and the records of what it sent and received.
//!
//! Below both [`crate::exec`] (which runs sequences) and [`crate::identity`] (whose sessions
//! add credentials and log in): both send through [`HttpClient`], neither imports the other's
//! transport.
//!
//! [`HttpClient`] has per-request timeouts, a cap on response bodies, and follows redirects
//! only on the target's own host. Every request and its outcome is an [`Exchange`].

mod client;
mod exchange;
mod polite;
#[cfg(test)]
mod polite_tests;

pub use client::{ClientConfig, HttpClient};
pub use exchange::{
    AuthMode, Body, Exchange, Received, Request, Response, ResponseBody, TransportKind,
};
pub use polite::{Politeness, RetryPolicy, parse_rate, parse_retry_after};
