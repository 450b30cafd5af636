//! Starts the real gateway in-process on 127.0.0.1 with an OS-chosen port, on the runtime
//! under test: monoio by default (io_uring, or epoll with MONOIO_FORCE_LEGACY_DRIVER=1), or
//! tokio in the tokio build or with CLIPROXY_TEST_RUNTIME=tokio.

use std::net::SocketAddr;

use cliproxy::config;
use cliproxy::control::{self, Control};
use cliproxy::server::{self, RuntimeKind};
use cliproxy::snapshot;

use super::MockUpstream;

/// The runtime the integration suite runs on in this leg.
pub fn test_runtime() -> RuntimeKind {
    match std::env::var("CLIPROXY_TEST_RUNTIME") {
        Ok(v) if !v.is_empty() => {
            RuntimeKind::parse(&v).expect("CLIPROXY_TEST_RUNTIME is monoio or tokio")
        }
        _ => RuntimeKind::default_for_build(),
    }
}

/// A running gateway (workers plus control thread); dropping it shuts both down.
pub struct Gateway {
    handle: server::Handle,
    /// Dropped after `handle`: the workers stop before the control thread.
    control: Option<Control>,
    warnings: Vec<String>,
}

impl Gateway {
    /// A gateway with one `openai-compatibility` entry at `mock` (key `upstream-key`, an
    /// `X-Entry` header, `openai/gpt-4o` served as `gpt-4o` and `same-name` as itself), client
    /// key `client-key`, plus top-level `extra` YAML.
    pub fn openai_compat(mock: &MockUpstream, extra: &str) -> Gateway {
        Self::start(&format!(
            r#"
api-keys: ["client-key"]
openai-compatibility:
  - name: mock
    base-url: {base}/v1
    api-key-entries:
      - api-key: upstream-key
    headers:
      X-Entry: entry-header
    models:
      - name: openai/gpt-4o
        alias: gpt-4o
      - name: same-name
{extra}
"#,
            base = mock.base_url()
        ))
    }

    /// Starts a gateway from YAML (host, port and the grace period are set by the harness).
    /// Without an `auth-dir` key no credential files are loaded (never the user's own).
    pub fn start(yaml: &str) -> Gateway {
        Self::start_config(Self::config(yaml))
    }

    /// The config the harness runs `yaml` with: loopback, an OS-chosen port, two workers
    /// unless set, a short shutdown grace.
    pub fn config(yaml: &str) -> config::Config {
        let loaded = config::parse(yaml, "test.yaml").expect("test config parses");
        let mut cfg = loaded.config;
        if !yaml.contains("auth-dir:") {
            cfg.auth_dir = String::new();
        }
        cfg.host = "127.0.0.1".into();
        cfg.port = 0;
        if cfg.workers == 0 {
            cfg.workers = 2;
        }
        cfg.shutdown_grace_seconds = cfg.shutdown_grace_seconds.min(3);
        cfg
    }

    /// Starts a gateway from a config value: loads its `auth-dir`, starts the control thread
    /// and the workers, as `main` does.
    pub fn start_config(cfg: config::Config) -> Gateway {
        let started = control::start(cfg).expect("control thread starts");
        let mut gw = Self::start_shared(started.shared.clone());
        gw.control = Some(started.control);
        gw.warnings = started.warnings;
        gw
    }

    /// Starts a gateway on a snapshot the test keeps a handle to, so it can store a new one
    /// the way a config reload does (no control thread: no credential files).
    pub fn start_shared(shared: snapshot::Shared) -> Gateway {
        let runtime = test_runtime();
        let handle = server::start(shared, runtime).expect("gateway starts");
        let forced_epoll = std::env::var("MONOIO_FORCE_LEGACY_DRIVER").is_ok_and(|v| v == "1");
        match runtime {
            RuntimeKind::Tokio => assert_eq!(handle.driver(), "tokio"),
            RuntimeKind::Monoio if forced_epoll => assert_eq!(handle.driver(), "epoll"),
            RuntimeKind::Monoio => assert!(["io_uring", "epoll"].contains(&handle.driver())),
        }
        Gateway {
            handle,
            control: None,
            warnings: Vec::new(),
        }
    }

    /// What startup said about the credential files in `auth-dir`.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Where the gateway listens.
    pub fn addr(&self) -> SocketAddr {
        self.handle.local_addr()
    }

    /// The server handle.
    pub fn handle(&self) -> &server::Handle {
        &self.handle
    }
}
