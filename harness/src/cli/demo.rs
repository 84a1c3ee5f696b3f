//! `trespass demo`: serve a demo target and say where its spec and identities are.

use std::path::{Path, PathBuf};

use trespass_targets::shop::ShopAuth;
use trespass_targets::{Mode, Service};

use super::ExpectedError;
use super::args::{DemoArgs, DemoService};

pub(crate) fn run(args: DemoArgs) -> Result<u8, ExpectedError> {
    let service: Service = args.service.into();
    let mode = demo_mode(args.secure);
    let auth = shop_auth(&args)?;
    let dir = args.out_dir.unwrap_or_else(|| {
        std::env::temp_dir()
            .join("trespass-demo")
            .join(service.name())
    });
    let (spec_yaml, identities_toml) = match service {
        Service::Shop => (auth.style.spec_yaml(), auth.style.identities_toml()),
        _ => (service.spec_yaml(), service.identities_toml()),
    };
    let spec = write_file(&dir, &service.spec_file_name(), spec_yaml)?;
    let identities = write_file(&dir, &service.identities_file_name(), identities_toml)?;
    let started = match service {
        Service::Shop => trespass_targets::start_shop(mode, auth, args.port),
        _ => trespass_targets::start(service, mode, args.port),
    };
    let running = started.map_err(|e| {
        ExpectedError::usage(format!(
            "cannot serve {service} on 127.0.0.1:{}: {e}",
            args.port
        ))
    })?;
    println!("service:    {service} ({})", mode_name(mode));
    if service == Service::Shop && auth != ShopAuth::default() {
        let lifetime = auth
            .lifetime
            .map(|l| format!(", tokens last {:.1} s", l.as_secs_f64()))
            .unwrap_or_default();
        println!("auth:       {}{lifetime}", auth.style);
    }
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

/// The shop's authentication `--auth` and `--token-lifetime` ask for (the shop only).
fn shop_auth(args: &DemoArgs) -> Result<ShopAuth, ExpectedError> {
    let mut auth = ShopAuth::new(args.auth);
    if let Some(secs) = args.token_lifetime {
        if !(secs.is_finite() && secs > 0.0) {
            return Err(ExpectedError::usage(format!(
                "--token-lifetime {secs}: give a number of seconds above 0"
            )));
        }
        auth = auth.lifetime(std::time::Duration::from_secs_f64(secs));
    }
    if auth != ShopAuth::default() && Service::from(args.service) != Service::Shop {
        return Err(ExpectedError::usage(
            "--auth and --token-lifetime apply to the shop only".to_string(),
        ));
    }
    Ok(auth)
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
