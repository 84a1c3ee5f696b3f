//! `trespass demo`: serve a demo target and say where its spec and identities are.

use std::path::{Path, PathBuf};

use trespass_targets::{Mode, Service};

use super::ExpectedError;
use super::args::{DemoArgs, DemoService};

pub(crate) fn run(args: DemoArgs) -> Result<u8, ExpectedError> {
    let service: Service = args.service.into();
    let mode = demo_mode(args.secure);
    let dir = args.out_dir.unwrap_or_else(|| {
        std::env::temp_dir()
            .join("trespass-demo")
            .join(service.name())
    });
    let spec = write_file(&dir, &service.spec_file_name(), service.spec_yaml())?;
    let identities = write_file(
        &dir,
        &service.identities_file_name(),
        service.identities_toml(),
    )?;
    let running = trespass_targets::start(service, mode, args.port).map_err(|e| {
        ExpectedError::usage(format!(
            "cannot serve {service} on 127.0.0.1:{}: {e}",
            args.port
        ))
    })?;
    println!("service:    {service} ({})", mode_name(mode));
    println!("url:        {}", running.url());
    println!(
        "spec:       {} (also {}/openapi.json)",
        spec.display(),
        running.url()
    );
    println!("identities: {}", identities.display());
    println!(
        "try:        trespass fuzz --base-url {} --spec {} --identities {}",
        running.url(),
        spec.display(),
        identities.display()
    );
    tracing::info!("serving until interrupted (Ctrl-C)");
    running.wait();
    Ok(crate::exit_codes::OK)
}

/// The demo mode `--secure` asks for.
pub(crate) fn demo_mode(secure: bool) -> Mode {
    if secure {
        Mode::Secure
    } else {
        Mode::Vulnerable
    }
}

/// `vulnerable` or `secure`, as the command line shows the mode.
pub(crate) fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Vulnerable => "vulnerable",
        Mode::Secure => "secure",
    }
}

impl From<DemoService> for Service {
    fn from(service: DemoService) -> Self {
        match service {
            DemoService::Shop => Service::Shop,
            DemoService::Notes => Service::Notes,
            DemoService::Forum => Service::Forum,
        }
    }
}

fn write_file(dir: &Path, name: &str, contents: &str) -> Result<PathBuf, ExpectedError> {
    let path = dir.join(name);
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&path, contents))
        .map_err(|e| ExpectedError::usage(format!("cannot write {}: {e}", path.display())))?;
    Ok(path)
}
