//! Standalone runner for the demo services:
//! `trespass-demo [shop|notes|forum] [--secure] [--port N]`.
//! The `trespass demo` subcommand does the same with nicer output; this one has no dependency
//! on the rest of trespass.

fn main() {
    let mut service = trespass_targets::Service::Shop;
    let mut mode = trespass_targets::Mode::Vulnerable;
    let mut port = 0u16;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--secure" => mode = trespass_targets::Mode::Secure,
            "--port" => match args.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => fail("--port takes a number from 0 to 65535"),
            },
            "-h" | "--help" => {
                println!("usage: trespass-demo [shop|notes|forum] [--secure] [--port N]");
                return;
            }
            other => match other.parse() {
                Ok(s) => service = s,
                Err(e) => fail(&e),
            },
        }
    }
    match trespass_targets::start(service, mode, port) {
        Ok(running) => {
            println!("{service} ({mode:?}) listening on {}", running.url());
            running.wait();
        }
        Err(e) => fail(&format!("cannot start {service} on port {port}: {e}")),
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2);
}
