//! `crashing-shop --port PORT --crash-on "METHOD /path"`: the shop demo (secure mode) whose
//! process exits (status 101, as a panicking server does) on any request with that method and
//! path (`*` matches one path segment). A target whose instance dies on one request, for the
//! tests of `trespass fuzz --target-cmd`.

use std::net::SocketAddr;

use axum::extract::Request;
use axum::middleware::Next;
use trespass_targets::{Mode, Service};

fn usage() -> ! {
    eprintln!("usage: crashing-shop --port PORT --crash-on \"METHOD /path\"");
    std::process::exit(2)
}

/// Whether `path` matches `pattern` segment by segment (`*` matches any one segment).
fn matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.trim_matches('/').split('/').collect();
    let path: Vec<&str> = path.trim_matches('/').split('/').collect();
    pattern.len() == path.len() && pattern.iter().zip(&path).all(|(p, s)| *p == "*" || p == s)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut port = None;
    let mut crash_on = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().and_then(|p| p.parse::<u16>().ok()),
            "--crash-on" => crash_on = args.next(),
            _ => usage(),
        }
    }
    let (Some(port), Some(crash_on)) = (port, crash_on) else {
        usage()
    };
    let Some((method, pattern)) = crash_on.split_once(' ') else {
        usage()
    };
    let (method, pattern) = (method.to_ascii_uppercase(), pattern.trim().to_string());
    let crash = move |request: Request, next: Next| {
        let hit = request.method().as_str() == method && matches(&pattern, request.uri().path());
        let line = format!("{} {}", request.method(), request.uri().path());
        async move {
            if hit {
                eprintln!("crashing-shop: crashing on {line}");
                std::process::exit(101);
            }
            next.run(request).await
        }
    };
    let app = trespass_targets::router(Service::Shop, Mode::Secure)
        .layer(axum::middleware::from_fn(crash));
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("crashing-shop: cannot listen on {addr}: {e}");
            std::process::exit(1)
        }
    };
    println!("crashing-shop: listening on {addr}");
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("crashing-shop: {e}");
        std::process::exit(1)
    }
}
