//! [`Politeness`] against a loopback server that counts the requests in flight, records when
//! each arrived, and answers 429 with `Retry-After` where told to. Bounds on counts and order,
//! and only lower bounds on time (a wait can run late, never early).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;

use super::{ClientConfig, HttpClient, Politeness, Request, RetryPolicy, TransportKind};

#[derive(Default)]
struct Server {
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
    /// When each request arrived, and on which path.
    arrivals: Mutex<Vec<(Instant, String)>>,
    /// 429s still to answer on `/limited`.
    limited: AtomicUsize,
}

impl Server {
    async fn hit(&self, path: &str) {
        self.arrivals
            .lock()
            .unwrap()
            .push((Instant::now(), path.to_string()));
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }

    fn arrivals(&self, path: &str) -> Vec<Instant> {
        let all = self.arrivals.lock().unwrap();
        all.iter()
            .filter(|(_, p)| p == path)
            .map(|(t, _)| *t)
            .collect()
    }
}

async fn serve(server: Arc<Server>) -> String {
    let slow = {
        let server = server.clone();
        move || {
            let server = server.clone();
            async move {
                server.hit("/slow").await;
                StatusCode::OK
            }
        }
    };
    let limited = {
        let server = server.clone();
        move |_: HeaderMap| {
            let server = server.clone();
            async move {
                server.hit("/limited").await;
                let left = server.limited.load(Ordering::SeqCst);
                if left > 0 {
                    server.limited.store(left - 1, Ordering::SeqCst);
                    (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")]).into_response()
                } else {
                    StatusCode::OK.into_response()
                }
            }
        }
    };
    let app = Router::new()
        .route("/slow", get(slow))
        .route("/limited", get(limited));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn client(url: &str, polite: &Arc<Politeness>) -> HttpClient {
    HttpClient::new(ClientConfig::new(url.parse().unwrap()))
        .unwrap()
        .with_politeness(polite.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_flight_requests_stay_under_the_limit_across_clients() {
    let server = Arc::new(Server::default());
    let url = serve(server.clone()).await;
    let polite = Arc::new(Politeness::new(None, Some(2), RetryPolicy::default()));
    // Two clients (two workers) share one limit; 16 requests at once.
    let clients = [client(&url, &polite), client(&url, &polite)];
    let sends = (0..16).map(|i| {
        let c = clients[i % 2].clone();
        async move { c.send(&Request::new("GET", "/slow"), &[], &[]).await.0 }
    });
    let outcomes = futures_util::future::join_all(sends).await;
    assert!(outcomes.iter().all(|o| o.status() == Some(200)));
    assert_eq!(server.arrivals("/slow").len(), 16);
    let most = server.most_in_flight.load(Ordering::SeqCst);
    assert!(most <= 2, "{most} requests were in flight at once");

    // Without the limit they do overlap: the server can tell.
    let unlimited = Arc::new(Politeness::default());
    let free = client(&url, &unlimited);
    let request = Request::new("GET", "/slow");
    let sends = (0..8).map(|_| free.send(&request, &[], &[]));
    futures_util::future::join_all(sends).await;
    assert!(server.most_in_flight.load(Ordering::SeqCst) > 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_rate_spaces_request_starts_across_clients() {
    let server = Arc::new(Server::default());
    let url = serve(server.clone()).await;
    let rate = 20.0;
    let polite = Arc::new(Politeness::new(Some(rate), None, RetryPolicy::default()));
    let clients = [client(&url, &polite), client(&url, &polite)];
    let sends = (0..10).map(|i| {
        let c = clients[i % 2].clone();
        async move { c.send(&Request::new("GET", "/slow"), &[], &[]).await.0 }
    });
    futures_util::future::join_all(sends).await;
    let mut at = server.arrivals("/slow");
    at.sort();
    assert_eq!(at.len(), 10);
    // Ten starts at 20/s span at least 9 intervals of 50 ms (a lower bound only: a loaded
    // machine may be slower, never faster).
    let span = at[9] - at[0];
    assert!(
        span >= Duration::from_millis(400),
        "10 requests at {rate}/s arrived within {span:?}"
    );
}

#[tokio::test]
async fn a_429_is_sent_again_after_retry_after_and_kept_out_of_the_judged_answers() {
    let server = Arc::new(Server::default());
    let url = serve(server.clone()).await;
    let polite = Arc::new(Politeness::new(
        None,
        None,
        RetryPolicy {
            retries: 2,
            max_wait: Duration::from_secs(5),
        },
    ));
    let c = client(&url, &polite);

    // One 429 then 200: the caller sees the 200, the server got the request twice, a second
    // apart at least.
    server.limited.store(1, Ordering::SeqCst);
    let (outcome, _) = c.send(&Request::new("GET", "/limited"), &[], &[]).await;
    assert_eq!(outcome.status(), Some(200));
    let at = server.arrivals("/limited");
    assert_eq!(at.len(), 2);
    assert!(
        at[1] - at[0] >= Duration::from_millis(950),
        "{:?}",
        at[1] - at[0]
    );
    assert_eq!(polite.retried(), 1);

    // Always 429: the first send and two resends, then a rate-limited outcome, not a status.
    server.limited.store(100, Ordering::SeqCst);
    let (outcome, _) = c.send(&Request::new("GET", "/limited"), &[], &[]).await;
    assert_eq!(
        outcome.transport_failure(),
        Some(TransportKind::RateLimited)
    );
    assert_eq!(outcome.status(), None);
    assert_eq!(server.arrivals("/limited").len(), 2 + 3);
    assert_eq!(polite.retried(), 3);

    // A wait past the run's deadline is not taken: given up at once, sent once.
    polite.set_deadline(Some(Instant::now() + Duration::from_millis(300)));
    let (outcome, _) = c.send(&Request::new("GET", "/limited"), &[], &[]).await;
    assert_eq!(
        outcome.transport_failure(),
        Some(TransportKind::RateLimited)
    );
    assert_eq!(server.arrivals("/limited").len(), 5 + 1);
    assert_eq!(polite.retried(), 3);
}
