//! The `cliproxy` binary: parses flags, loads the config, sets up logging, starts the workers
//! and waits for SIGINT/SIGTERM to shut down gracefully.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use cliproxy::auth::vertex;
use cliproxy::server::{self, RuntimeKind};
use cliproxy::{config, control, store};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "\
Usage: cliproxy [--config PATH] [--runtime monoio|tokio] [--version]
       cliproxy [--config PATH] --vertex-import SA.json [--vertex-import-prefix PREFIX]

Options:
  --config PATH, -config PATH   configuration file (default: ./config.yaml)
  --runtime NAME                monoio or tokio, where both are compiled in
  --vertex-import FILE          store a Google Cloud service-account key as a Vertex
                                credential in auth-dir, then exit
  --vertex-import-prefix NAME   model prefix for the imported credential
  --version, -v                 print version, runtime and exit
  --help, -h                    print this help";

struct Args {
    config: PathBuf,
    runtime: Option<RuntimeKind>,
    vertex_import: Option<PathBuf>,
    vertex_import_prefix: String,
}

enum Parsed {
    Run(Args),
    Exit(String),
}

fn parse_args(mut it: impl Iterator<Item = String>) -> anyhow::Result<Parsed> {
    let mut args = Args {
        config: PathBuf::from("config.yaml"),
        runtime: None,
        vertex_import: None,
        vertex_import_prefix: String::new(),
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
            "vertex-import" => args.vertex_import = Some(PathBuf::from(value("vertex-import")?)),
            "vertex-import-prefix" => args.vertex_import_prefix = value("vertex-import-prefix")?,
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

/// Log lines are appended to an in-memory buffer shared by the workers (a short mutex hold,
/// no syscall); a flusher thread writes the buffer to stdout every 100 ms, and a full buffer
/// is written at once. The per-request line therefore costs no syscall and wakes no thread.
/// Measured: a write per line, or a channel to a writer thread, cost more than the proxying.
#[derive(Clone)]
struct LogSink(Arc<Mutex<BufWriter<io::Stdout>>>);

impl LogSink {
    fn new() -> Self {
        let sink = LogSink(Arc::new(Mutex::new(BufWriter::with_capacity(
            64 * 1024,
            io::stdout(),
        ))));
        let flusher = sink.clone();
        let spawned = std::thread::Builder::new()
            .name("cliproxy-log".into())
            .spawn(move || loop {
                std::thread::sleep(Duration::from_millis(100));
                flusher.flush();
            });
        if let Err(e) = spawned {
            eprintln!(
                "cliproxy: no log flusher thread ({e}); logs are written when the buffer fills"
            );
        }
        sink
    }

    fn flush(&self) {
        if let Ok(mut w) = self.0.lock() {
            let _ = w.flush();
        }
    }
}

/// One log record's writer: holds the buffer's lock while the record is written, or (after a
/// worker panicked while logging) writes to stdout unbuffered.
enum SinkWriter<'a> {
    Buffered(std::sync::MutexGuard<'a, BufWriter<io::Stdout>>),
    Direct(io::Stdout),
}

impl Write for SinkWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            SinkWriter::Buffered(g) => g.write(buf),
            SinkWriter::Direct(out) => out.write(buf),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            SinkWriter::Buffered(g) => g.write_all(buf),
            SinkWriter::Direct(out) => out.write_all(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            SinkWriter::Buffered(_) => Ok(()),
            SinkWriter::Direct(out) => out.flush(),
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogSink {
    type Writer = SinkWriter<'a>;
    fn make_writer(&'a self) -> Self::Writer {
        match self.0.lock() {
            Ok(g) => SinkWriter::Buffered(g),
            Err(_) => SinkWriter::Direct(io::stdout()),
        }
    }
}

fn init_logging(debug: bool, sink: LogSink) {
    let default = if debug { "debug" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .event_format(cliproxy::logline::LineFormat)
        .with_writer(sink)
        .init();
}

/// `-vertex-import`: validates a service-account key and writes it into `auth-dir` as
/// `vertex-[<prefix>-]<project>.json` (atomically, mode 0600). Without a config file the
/// default `auth-dir` is used.
fn vertex_import(args: &Args, key_path: &std::path::Path) -> anyhow::Result<String> {
    let auth_dir = match config::load(&args.config) {
        Ok(loaded) => loaded.config.auth_dir,
        Err(config::LoadError::Read { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            let home = std::env::var("HOME")
                .or_else(|_| std::env::var("USERPROFILE"))
                .ok();
            config::expand_home(config::DEFAULT_AUTH_DIR, home.as_deref())
        }
        Err(e) => anyhow::bail!("{e}"),
    };
    let key = std::fs::read(key_path)
        .with_context(|| format!("vertex-import: cannot read {}", key_path.display()))?;
    let imported = vertex::import(&key, &args.vertex_import_prefix)
        .with_context(|| format!("vertex-import: {}", key_path.display()))?;
    let path = store::write_auth_file(
        std::path::Path::new(&auth_dir),
        &imported.file_name,
        &imported.contents,
    )
    .with_context(|| format!("vertex-import: cannot write into auth-dir {auth_dir}"))?;
    Ok(format!(
        "Vertex credentials imported for project {}: {}",
        imported.project_id,
        path.display()
    ))
}

fn run(args: Args) -> anyhow::Result<()> {
    let loaded = config::load(&args.config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let cfg = loaded.config;
    let sink = LogSink::new();
    init_logging(cfg.debug, sink.clone());
    for w in &loaded.warnings {
        tracing::warn!("{w}");
    }
    if cfg.api_keys.iter().all(|k| k.expose().is_empty()) {
        tracing::warn!(
            "api-keys is empty: ANYONE who can reach this port can use every configured upstream"
        );
    }
    let runtime = args.runtime.unwrap_or_else(RuntimeKind::default_for_build);
    let started = control::start(cfg)?;
    for w in &started.warnings {
        tracing::warn!("{w}");
    }
    if started.accounts + started.disabled > 0 {
        tracing::info!(
            vertex = started.accounts,
            disabled = started.disabled,
            "credential files loaded from auth-dir"
        );
    }
    let shared = started.shared.clone();
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
    started.control.stop();
    tracing::info!("stopped");
    sink.flush();
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
        Parsed::Run(args) => {
            let result = match args.vertex_import.clone() {
                Some(key) => vertex_import(&args, &key).map(|done| println!("{done}")),
                None => run(args),
            };
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("cliproxy: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
