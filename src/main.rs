//! The `cliproxy` binary: parses flags, loads the config, sets up logging, starts the workers
//! and waits for SIGINT/SIGTERM to shut down gracefully.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use cliproxy::config;
use cliproxy::server::{self, RuntimeKind};
use cliproxy::snapshot;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "\
Usage: cliproxy [--config PATH] [--runtime monoio|tokio] [--version]

Options:
  --config PATH, -config PATH   configuration file (default: ./config.yaml)
  --runtime NAME                monoio or tokio, where both are compiled in
  --version, -v                 print version, runtime and exit
  --help, -h                    print this help";

struct Args {
    config: PathBuf,
    runtime: Option<RuntimeKind>,
}

enum Parsed {
    Run(Args),
    Exit(String),
}

fn parse_args(mut it: impl Iterator<Item = String>) -> anyhow::Result<Parsed> {
    let mut args = Args {
        config: PathBuf::from("config.yaml"),
        runtime: None,
    };
    while let Some(a) = it.next() {
        // Go's flag package accepts both -flag and --flag, and -flag=value.
        let flag = a.trim_start_matches('-');
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (flag, None),
        };
        let mut value = |name: &str| -> anyhow::Result<String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => it.next().with_context(|| format!("-{name} needs a value")),
            }
        };
        match name {
            "config" => args.config = PathBuf::from(value("config")?),
            "runtime" => {
                let v = value("runtime")?;
                args.runtime = Some(RuntimeKind::parse(&v).with_context(|| {
                    format!("unknown runtime `{v}` (expected monoio or tokio)")
                })?);
            }
            "version" | "v" => return Ok(Parsed::Exit(version())),
            "help" | "h" => return Ok(Parsed::Exit(USAGE.to_owned())),
            _ => anyhow::bail!("unknown flag `{a}`\n\n{USAGE}"),
        }
    }
    Ok(Parsed::Run(args))
}

fn version() -> String {
    let runtimes: Vec<&str> = RuntimeKind::available().iter().map(|r| r.name()).collect();
    format!(
        "cliproxy {} (runtime: {}; compiled runtimes: {})",
        env!("CARGO_PKG_VERSION"),
        RuntimeKind::default_for_build().name(),
        runtimes.join(", ")
    )
}

fn init_logging(debug: bool) {
    let default = if debug { "debug" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colours only on a terminal: log files and journald get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi)
        .init();
}

fn run(args: Args) -> anyhow::Result<()> {
    let loaded = config::load(&args.config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let cfg = loaded.config;
    init_logging(cfg.debug);
    for w in &loaded.warnings {
        tracing::warn!("{w}");
    }
    if cfg.api_keys.iter().all(|k| k.expose().is_empty()) {
        tracing::warn!(
            "api-keys is empty: ANYONE who can reach this port can use every configured upstream"
        );
    }
    let runtime = args.runtime.unwrap_or_else(RuntimeKind::default_for_build);
    let shared = snapshot::shared(cfg);
    let handle = server::start(shared.clone(), runtime)?;
    let snap = shared.load();
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        addr = %handle.local_addr(),
        workers = handle.workers(),
        runtime = handle.runtime().name(),
        driver = handle.driver(),
        models = snap.routes.listed().len(),
        "cliproxy listening"
    );
    let signal = handle.shutdown_signal();
    ctrlc::set_handler(move || {
        if signal.is_triggered() {
            // A second signal: stop now.
            std::process::exit(130);
        }
        tracing::info!("shutting down: no new connections, draining in-flight requests");
        signal.trigger();
    })
    .context("cannot install the signal handler")?;
    handle.join();
    tracing::info!("stopped");
    Ok(())
}

fn main() -> ExitCode {
    let parsed = match parse_args(std::env::args().skip(1)) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cliproxy: {e:#}");
            return ExitCode::from(2);
        }
    };
    match parsed {
        Parsed::Exit(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Parsed::Run(args) => match run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("cliproxy: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}
