//! Standalone runner for the demo services:
//! `trespass-demo [shop|notes|forum] [--secure] [--port N] [--auth bearer|oauth2|cookie]
//! [--token-lifetime SECS]` (the last two: the shop only).
//! The `trespass demo` subcommand does the same with nicer output; this one has no dependency
//! on the rest of trespass.

fn main() {
    let mut service = trespass_targets::Service::Shop;
    let mut mode = trespass_targets::Mode::Vulnerable;
    let mut port = 0u16;
    let mut auth = trespass_targets::shop::ShopAuth::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--secure" => mode = trespass_targets::Mode::Secure,
            "--port" => match args.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => fail("--port takes a number from 0 to 65535"),
            },
            "--auth" => match args.next().map(|s| s.parse()) {
                Some(Ok(style)) => auth.style = style,
                Some(Err(e)) => fail(&e),
                None => fail("--auth takes bearer, oauth2 or cookie"),
            },
            "--token-lifetime" => match args.next().and_then(|s| s.parse::<f64>().ok()) {
                Some(secs) if secs > 0.0 && secs.is_finite() => {
                    auth.lifetime = Some(std::time::Duration::from_secs_f64(secs));
                }
                _ => fail("--token-lifetime takes a number of seconds above 0"),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            other => match other.parse() {
                Ok(s) => service = s,
                Err(e) => fail(&e),
            },
        }
    }
    let started = if service == trespass_targets::Service::Shop {
        trespass_targets::start_shop(mode, auth, port)
    } else if auth != trespass_targets::shop::ShopAuth::default() {
        fail("--auth and --token-lifetime apply to the shop only")
    } else {
        trespass_targets::start(service, mode, port)
    };
    match started {
        Ok(running) => {
            println!("{service} ({mode:?}) listening on {}", running.url());
            running.wait();
        }
        Err(e) => fail(&format!("cannot start {service} on port {port}: {e}")),
    }
}

const USAGE: &str = "usage: trespass-demo [shop|notes|forum] [--secure] [--port N] \
                     [--auth bearer|oauth2|cookie] [--token-lifetime SECS]";

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2);
}
