//! Politeness: how fast and how much at once a run may send, and how it answers a target that
//! asks it to slow down.
//!
//! One [`Politeness`] is shared by every client of a run (all workers, logins included):
//!
//! - `--rate N/s`: requests start at most `N` per second in all, evenly spaced (a token bucket
//!   of one token: no bursts);
//! - `--max-in-flight N`: at most `N` requests wait for their answer at once, in all;
//! - a `429 Too Many Requests`, or a `503` that carries `Retry-After`, is sent again after the
//!   wait the target asks for (`Retry-After` in seconds or as an HTTP date; a 429 without it
//!   waits 1 s, then 2 s, …), capped at [`RetryPolicy::max_wait`] and never past the run's
//!   deadline, up to [`RetryPolicy::retries`] times. An answer that still says so afterwards
//!   becomes a [`TransportKind::RateLimited`] outcome: counted with the transport failures,
//!   judged by no oracle (an undeclared 429 would otherwise be a `status-conformance` finding,
//!   a 503 a `server-error` one, and neither says anything of the API). A 503 without
//!   `Retry-After` is an answer like any other.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use super::exchange::{Received, TransportKind};

/// How a run answers 429 and 503-with-`Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Sends again at most this many times per request.
    pub retries: u32,
    /// Waits at most this long before one resend, whatever `Retry-After` says.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            retries: 3,
            max_wait: Duration::from_secs(60),
        }
    }
}

/// The limits shared by every client of a run; the default sends as fast as the workers go
/// and honours `Retry-After` ([`RetryPolicy::default`]).
#[derive(Debug, Default)]
pub struct Politeness {
    /// Time between two request starts (`1 / rate`), when rate-limited.
    interval: Option<Duration>,
    /// When the next request may start.
    next: Mutex<Option<Instant>>,
    /// Requests in flight at most, when limited.
    slots: Option<tokio::sync::Semaphore>,
    limit: Option<usize>,
    retry: RetryPolicy,
    /// No wait runs past this (the campaign's deadline).
    deadline: Mutex<Option<Instant>>,
    retried: AtomicU64,
    waited_ms: AtomicU64,
}

/// What to do with an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Next {
    /// Keep it.
    Keep,
    /// Wait this long and send the request again.
    Resend(Duration),
    /// Still told to slow down: record it as [`TransportKind::RateLimited`].
    GiveUp,
}

impl Politeness {
    /// At most `rate` request starts per second and `max_in_flight` requests at once (each
    /// `None`: unlimited), answering 429 and 503 by `retry`.
    pub fn new(rate: Option<f64>, max_in_flight: Option<usize>, retry: RetryPolicy) -> Self {
        let interval = rate
            .filter(|r| r.is_finite() && *r > 0.0)
            .map(|r| Duration::from_secs_f64(1.0 / r));
        let limit = max_in_flight.map(|n| n.max(1));
        Self {
            interval,
            slots: limit.map(tokio::sync::Semaphore::new),
            limit,
            retry,
            ..Self::default()
        }
    }

    /// No wait for `Retry-After` runs past `deadline` (the run's): a request that would have
    /// to wait beyond it is given up at once.
    pub fn set_deadline(&self, deadline: Option<Instant>) {
        *self.deadline.lock().unwrap_or_else(|e| e.into_inner()) = deadline;
    }

    /// Requests sent again after a 429 or 503 so far.
    pub fn retried(&self) -> u64 {
        self.retried.load(Ordering::Relaxed)
    }

    /// Time spent waiting for `Retry-After` so far (summed over requests).
    pub fn waited(&self) -> Duration {
        Duration::from_millis(self.waited_ms.load(Ordering::Relaxed))
    }

    /// Waits until a request may start: a free slot when in-flight requests are limited (held
    /// by the returned permit until the answer is read), then its turn under the rate.
    pub(super) async fn admit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        let permit = match &self.slots {
            // The semaphore is never closed.
            Some(slots) => slots.acquire().await.ok(),
            None => None,
        };
        if let Some(interval) = self.interval {
            let at = {
                let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                let at = next.map_or(now, |n| n.max(now));
                *next = Some(at + interval);
                at
            };
            tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
        }
        permit
    }

    /// What to do with `outcome`, the answer to the `tries`-th resend (0: the first send).
    pub(super) fn next(&self, outcome: &Received, tries: u32) -> Next {
        let Some(response) = outcome.response() else {
            return Next::Keep;
        };
        let asked = response.header("retry-after").and_then(parse_retry_after);
        let wait = match (response.status, asked) {
            (429 | 503, Some(wait)) => wait,
            // Told to slow down without a time: back off 1 s, 2 s, 4 s, …
            (429, None) => Duration::from_secs(1u64 << tries.min(6)),
            _ => return Next::Keep,
        };
        if tries >= self.retry.retries {
            return Next::GiveUp;
        }
        let wait = wait.min(self.retry.max_wait);
        let deadline = *self.deadline.lock().unwrap_or_else(|e| e.into_inner());
        if deadline.is_some_and(|d| Instant::now() + wait > d) {
            return Next::GiveUp;
        }
        self.retried.fetch_add(1, Ordering::Relaxed);
        self.waited_ms
            .fetch_add(wait.as_millis() as u64, Ordering::Relaxed);
        Next::Resend(wait)
    }

    /// `outcome` (a 429 or 503 still there after `tries` resends) as a rate-limited outcome.
    pub(super) fn given_up(outcome: &Received, tries: u32) -> Received {
        let (status, after) = outcome
            .response()
            .map(|r| (r.status, r.header("retry-after").map(str::to_string)))
            .unwrap_or_default();
        let after = after
            .map(|a| format!(" (Retry-After: {a})"))
            .unwrap_or_default();
        Received::Error {
            message: format!(
                "answered {status}{after} after {tries} resend(s): rate limited, not judged"
            ),
            kind: TransportKind::RateLimited,
        }
    }

    /// `20 req/s, 4 in flight at most`, or `None` when nothing is limited.
    pub fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(i) = self.interval {
            parts.push(format!("{:.3} req/s", 1.0 / i.as_secs_f64()));
        }
        if let Some(n) = self.limit {
            parts.push(format!("{n} in flight at most"));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

/// `--rate`: `20/s`, `20` (per second), `90/min` or `1/m`, as requests per second.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (n, per) = t.split_once('/').unwrap_or((t, "s"));
    let seconds = match per.trim() {
        "s" | "sec" | "second" => 1.0,
        "m" | "min" | "minute" => 60.0,
        "h" | "hour" => 3600.0,
        other => {
            return Err(format!(
                "`{text}`: unknown unit `{other}` (expected N/s, N/min or N/h)"
            ));
        }
    };
    let n: f64 = n
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a rate (expected e.g. `20/s`)"))?;
    if !n.is_finite() || n <= 0.0 {
        return Err(format!("`{text}`: the rate must be above zero"));
    }
    Ok(n / seconds)
}

/// `Retry-After`: delay-seconds or an HTTP date (IMF-fixdate, `Sun, 06 Nov 1994 08:49:37
/// GMT`), as a wait from now (zero for a date in the past).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = parse_http_date(v)?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn parse_http_date(v: &str) -> Option<SystemTime> {
    let (_, rest) = v.split_once(", ")?;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m == month)? as i64 + 1;
    let day: i64 = day.parse().ok()?;
    let year: i64 = year.parse().ok()?;
    let hms: Vec<i64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, s] = hms.as_slice() else {
        return None;
    };
    if !(1..=31).contains(&day) || *h > 23 || *m > 59 || *s > 60 {
        return None;
    }
    // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + m * 60 + s;
    u64::try_from(secs)
        .ok()
        .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_per_second_minute_and_hour() {
        assert_eq!(parse_rate("20/s"), Ok(20.0));
        assert_eq!(parse_rate("5"), Ok(5.0));
        assert_eq!(parse_rate("90/min"), Ok(1.5));
        assert_eq!(parse_rate("36/h"), Ok(0.01));
        assert!(parse_rate("0/s").unwrap_err().contains("above zero"));
        assert!(parse_rate("x/s").unwrap_err().contains("not a rate"));
        assert!(parse_rate("3/d").unwrap_err().contains("unknown unit `d`"));
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO),
            "a date in the past: no wait"
        );
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("Sun, 32 Nov 1994 08:49:37 GMT"), None);
    }

    fn answer(status: u16, retry_after: Option<&str>) -> Received {
        let mut headers = Vec::new();
        if let Some(v) = retry_after {
            headers.push(("retry-after".to_string(), v.to_string()));
        }
        Received::Response(crate::http::Response {
            status,
            headers,
            body: crate::http::ResponseBody::Empty,
            truncated: false,
        })
    }

    #[test]
    fn waits_are_capped_bounded_by_the_deadline_and_counted() {
        let polite = Politeness::new(
            None,
            None,
            RetryPolicy {
                retries: 2,
                max_wait: Duration::from_secs(5),
            },
        );
        assert_eq!(polite.next(&answer(200, Some("3")), 0), Next::Keep);
        assert_eq!(polite.next(&answer(503, None), 0), Next::Keep);
        assert_eq!(
            polite.next(&answer(503, Some("2")), 0),
            Next::Resend(Duration::from_secs(2))
        );
        assert_eq!(
            polite.next(&answer(429, Some("3600")), 1),
            Next::Resend(Duration::from_secs(5)),
            "capped"
        );
        assert_eq!(polite.next(&answer(429, Some("1")), 2), Next::GiveUp);
        assert_eq!(
            polite.next(&answer(429, None), 1),
            Next::Resend(Duration::from_secs(2)),
            "backs off without Retry-After"
        );
        assert_eq!(polite.retried(), 3);
        assert_eq!(polite.waited(), Duration::from_secs(9));
        polite.set_deadline(Some(Instant::now() + Duration::from_secs(1)));
        assert_eq!(polite.next(&answer(429, Some("2")), 0), Next::GiveUp);
        let given_up = Politeness::given_up(&answer(429, Some("2")), 2);
        assert_eq!(
            given_up.transport_failure(),
            Some(TransportKind::RateLimited)
        );
        assert!(!TransportKind::RateLimited.is_misbehaviour());
    }
}
