//! Owns the config: typed YAML keys (CLIProxyAPI's kebab-case keys plus cliproxy's own),
//! their defaults, and validation that names the file, line and key path of each problem.
//! No I/O besides reading the config file in [`load`]; [`parse`] works on text alone.
//! Sits at the bottom of the dependency graph: imports nothing else from the crate.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

mod check;
mod de;
mod providers;
mod scalars;
mod secret;
mod tree;

#[cfg(test)]
mod tests;

pub use providers::{
    AmpModelMapping, AmpUpstreamKey, Ampcode, ApiKeyEntry, ClaudeHeaderDefaults, ClaudeKey, Cloak,
    CloakMode, CodexHeaderDefaults, CodexKey, ModelAlias, OAuthModelAlias, OpenAiCompatibility,
    Payload, PayloadFilter, PayloadModel, PayloadRule, ProviderKey, Thinking,
};
pub use secret::Secret;

use scalars::keyword_enum;

/// Keys cliproxy reads but does not act on yet. A key listed here that is present in
/// the file with a non-default value produces one `not supported yet: …` warning.
/// A path names a key or a whole section; `a.b` inside a list means "in any item".
/// When a feature lands, delete its line.
pub const NOT_SUPPORTED_YET: &[&str] = &[
    "tls.enable",
    "tls.cert",
    "tls.key",
    "remote-management.allow-remote",
    "remote-management.secret-key",
    "remote-management.disable-control-panel",
    "remote-management.disable-auto-update-panel",
    "remote-management.panel-github-repository",
    "pprof.enable",
    "pprof.addr",
    "commercial-mode",
    "logging-to-file",
    "logs-max-total-size-mb",
    "error-logs-max-files",
    "usage-statistics-enabled",
    "passthrough-headers",
    "auth-auto-refresh-workers",
    "quota-exceeded.switch-project",
    "quota-exceeded.switch-preview-model",
    "quota-exceeded.antigravity-credits",
    "ws-auth",
    "enable-gemini-cli-endpoint",
    "request-log",
    "nonstream-keepalive-interval",
    "streaming.keepalive-seconds",
    "streaming.bootstrap-retries",
    "antigravity-signature-cache-enabled",
    "antigravity-signature-bypass-strict",
    "codex-api-key.websockets",
    "claude-api-key.cloak",
    "claude-api-key.experimental-cch-signing",
    "claude-header-defaults",
    "codex-header-defaults",
    "openai-compatibility.models.thinking",
    "ampcode",
];

/// The channels `oauth-model-alias` and `oauth-excluded-models` are keyed by: the OAuth and
/// service-account credential kinds, as CLIProxyAPI names them.
pub const OAUTH_CHANNELS: &[&str] = &[
    "gemini-cli",
    "vertex",
    "aistudio",
    "antigravity",
    "claude",
    "codex",
    "qwen",
    "iflow",
    "kimi",
];

/// The whole config file. Keys are CLIProxyAPI v6.9.25's, spelled the same, plus
/// cliproxy's own (`workers`, `io-driver`, `limits`, `upstream`, `shutdown-grace-seconds`).
/// Every key is optional; a missing or empty key keeps its default.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Config {
    /// `host`: address to bind; `""` (default) binds every interface, IPv4 and IPv6.
    pub host: String,
    /// `port`: listen port, 1-65535 (default 8317).
    #[serde(deserialize_with = "scalars::port")]
    pub port: u16,
    /// `tls`: serve HTTPS directly.
    pub tls: Tls,
    /// `remote-management`: the management API and its web panel.
    pub remote_management: RemoteManagement,
    /// `auth-dir`: directory of credential files (default `~/.cli-proxy-api`; `~` is expanded).
    pub auth_dir: String,
    /// `api-keys`: keys clients must present; an empty list lets every client in.
    pub api_keys: Vec<Secret>,
    /// `debug`: verbose logging (default false).
    pub debug: bool,
    /// `pprof`: Go's profiling server; kept for compatibility.
    pub pprof: Pprof,
    /// `commercial-mode`: drop per-request extras to save memory under heavy load (default false).
    pub commercial_mode: bool,
    /// `logging-to-file`: write rotating log files instead of stdout (default false).
    pub logging_to_file: bool,
    /// `logs-max-total-size-mb`: delete the oldest logs above this total; 0 (default) = no limit.
    pub logs_max_total_size_mb: u64,
    /// `error-logs-max-files`: error log files to keep; 0 = keep all (default 10).
    pub error_logs_max_files: u32,
    /// `usage-statistics-enabled`: aggregate token usage in memory (default false).
    pub usage_statistics_enabled: bool,
    /// `proxy-url`: proxy for all upstream calls (`socks5://`, `socks5h://`, `http://`,
    /// `https://`); empty (default) = none.
    pub proxy_url: String,
    /// `force-model-prefix`: an entry with a prefix serves only `prefix/model`, so a model name
    /// without prefix only reaches credentials without one (default false).
    pub force_model_prefix: bool,
    /// `passthrough-headers`: forward upstream response headers, filtered, to clients (default false).
    pub passthrough_headers: bool,
    /// `request-retry`: further attempts after every credential failed, each run after waiting
    /// for a cooling credential that comes back within `max-retry-interval` (default 3).
    pub request_retry: u32,
    /// `max-retry-credentials`: credentials tried per attempt; 0 (default) = all.
    pub max_retry_credentials: u32,
    /// `max-retry-interval`: longest wait, in seconds, for a cooling credential before another
    /// attempt; 0 = never wait (default 30).
    pub max_retry_interval: u64,
    /// `disable-cooling`: never put failing credentials on cooldown (default false).
    pub disable_cooling: bool,
    /// `auth-auto-refresh-workers`: parallel OAuth refreshes; 0 = the built-in 16 (default 16).
    pub auth_auto_refresh_workers: u32,
    /// `quota-exceeded`: reactions to a quota error.
    pub quota_exceeded: QuotaExceeded,
    /// `routing`: how a credential is picked among several.
    pub routing: Routing,
    /// `ws-auth`: require a client key on the `/v1/ws` websocket (default false).
    pub ws_auth: bool,
    /// `enable-gemini-cli-endpoint`: serve Gemini CLI's `/v1internal:*` routes, localhost only (default false).
    pub enable_gemini_cli_endpoint: bool,
    /// `request-log`: log full requests and responses (default false).
    pub request_log: bool,
    /// `nonstream-keepalive-interval`: seconds between blank lines sent while a
    /// non-streaming response is pending; 0 (default) = off.
    pub nonstream_keepalive_interval: u64,
    /// `streaming`: SSE keep-alives and retries before the first byte.
    pub streaming: Streaming,
    /// `antigravity-signature-cache-enabled`: validate thinking signatures against the cache (default true).
    pub antigravity_signature_cache_enabled: bool,
    /// `antigravity-signature-bypass-strict`: with the cache off, fully check signature structure (default false).
    pub antigravity_signature_bypass_strict: bool,
    /// `gemini-api-key`: Google AI Studio keys.
    pub gemini_api_key: Vec<ProviderKey>,
    /// `codex-api-key`: OpenAI Responses API keys.
    pub codex_api_key: Vec<CodexKey>,
    /// `claude-api-key`: Anthropic API keys.
    pub claude_api_key: Vec<ClaudeKey>,
    /// `claude-header-defaults`: header fallbacks for Claude requests.
    pub claude_header_defaults: ClaudeHeaderDefaults,
    /// `codex-header-defaults`: header fallbacks for OAuth Codex requests.
    pub codex_header_defaults: CodexHeaderDefaults,
    /// `openai-compatibility`: OpenAI-compatible upstream providers.
    pub openai_compatibility: Vec<OpenAiCompatibility>,
    /// `vertex-api-key`: keys for Vertex-style endpoints.
    pub vertex_api_key: Vec<ProviderKey>,
    /// `ampcode`: Amp CLI integration.
    pub ampcode: Ampcode,
    /// `oauth-model-alias`: per OAuth channel ([`OAUTH_CHANNELS`]), model renames for
    /// credentials without a config entry (not API keys, which alias through `models:`).
    /// Validated: names and aliases required and trimmed, unknown channels, aliases equal to
    /// their name and repeated aliases dropped with a warning; channel names lower-case.
    pub oauth_model_alias: BTreeMap<String, Vec<OAuthModelAlias>>,
    /// `oauth-excluded-models`: per OAuth channel ([`OAUTH_CHANNELS`]), model patterns to
    /// hide from credentials without a config entry; unknown channels dropped with a warning;
    /// stored lower-case.
    pub oauth_excluded_models: BTreeMap<String, Vec<String>>,
    /// `payload`: edits to upstream request bodies.
    pub payload: Payload,
    /// `workers` (cliproxy): worker threads, one core each; 0 (default) = one per core.
    pub workers: usize,
    /// `io-driver` (cliproxy): I/O backend of the workers (default `auto`).
    pub io_driver: IoDriver,
    /// `limits` (cliproxy): client-side size and time limits.
    pub limits: Limits,
    /// `upstream` (cliproxy): outbound connection settings.
    pub upstream: Upstream,
    /// `shutdown-grace-seconds` (cliproxy): how long in-flight requests may finish on shutdown (default 30).
    pub shutdown_grace_seconds: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: String::new(),
            port: 8317,
            tls: Tls::default(),
            remote_management: RemoteManagement::default(),
            auth_dir: DEFAULT_AUTH_DIR.to_owned(),
            api_keys: Vec::new(),
            debug: false,
            pprof: Pprof::default(),
            commercial_mode: false,
            logging_to_file: false,
            logs_max_total_size_mb: 0,
            error_logs_max_files: 10,
            usage_statistics_enabled: false,
            proxy_url: String::new(),
            force_model_prefix: false,
            passthrough_headers: false,
            request_retry: 3,
            max_retry_credentials: 0,
            max_retry_interval: 30,
            disable_cooling: false,
            auth_auto_refresh_workers: 16,
            quota_exceeded: QuotaExceeded::default(),
            routing: Routing::default(),
            ws_auth: false,
            enable_gemini_cli_endpoint: false,
            request_log: false,
            nonstream_keepalive_interval: 0,
            streaming: Streaming::default(),
            antigravity_signature_cache_enabled: true,
            antigravity_signature_bypass_strict: false,
            gemini_api_key: Vec::new(),
            codex_api_key: Vec::new(),
            claude_api_key: Vec::new(),
            claude_header_defaults: ClaudeHeaderDefaults::default(),
            codex_header_defaults: CodexHeaderDefaults::default(),
            openai_compatibility: Vec::new(),
            vertex_api_key: Vec::new(),
            ampcode: Ampcode::default(),
            oauth_model_alias: BTreeMap::new(),
            oauth_excluded_models: BTreeMap::new(),
            payload: Payload::default(),
            workers: 0,
            io_driver: IoDriver::Auto,
            limits: Limits::default(),
            upstream: Upstream::default(),
            shutdown_grace_seconds: 30,
        }
    }
}

/// Default `auth-dir`, before `~` expansion.
pub const DEFAULT_AUTH_DIR: &str = "~/.cli-proxy-api";

impl Config {
    /// Worker threads to start: `workers`, or one per available core when it is 0.
    pub fn worker_count(&self) -> usize {
        if self.workers > 0 {
            return self.workers;
        }
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// `tls`: HTTPS on the listen port.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Tls {
    /// Serve HTTPS instead of HTTP (default false).
    pub enable: bool,
    /// Certificate chain file (PEM); required when enabled.
    pub cert: String,
    /// Private key file (PEM); required when enabled.
    pub key: String,
}

/// `remote-management`: the management API under `/v0/management`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct RemoteManagement {
    /// Accept management calls from other hosts, not only localhost (default false).
    pub allow_remote: bool,
    /// Management key; empty (default) turns the management API off.
    pub secret_key: Secret,
    /// Do not serve or download the web control panel (default false).
    pub disable_control_panel: bool,
    /// Download the panel once, never refresh it in the background (default false).
    pub disable_auto_update_panel: bool,
    /// Where the panel is downloaded from (a GitHub repository or its releases API URL).
    pub panel_github_repository: String,
}

/// Default `remote-management.panel-github-repository`.
pub const DEFAULT_PANEL_REPOSITORY: &str =
    "https://github.com/router-for-me/Cli-Proxy-API-Management-Center";

impl Default for RemoteManagement {
    fn default() -> Self {
        RemoteManagement {
            allow_remote: false,
            secret_key: Secret::default(),
            disable_control_panel: false,
            disable_auto_update_panel: false,
            panel_github_repository: DEFAULT_PANEL_REPOSITORY.to_owned(),
        }
    }
}

/// `pprof`: Go's profiling HTTP server.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Pprof {
    /// Start it (default false).
    pub enable: bool,
    /// `host:port` to bind (default `127.0.0.1:8316`).
    pub addr: String,
}

impl Default for Pprof {
    fn default() -> Self {
        Pprof {
            enable: false,
            addr: "127.0.0.1:8316".to_owned(),
        }
    }
}

/// `quota-exceeded`: what to do when an upstream reports an exhausted quota.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct QuotaExceeded {
    /// Move to another project (legacy; CLIProxyAPI no longer acts on it) (default true).
    pub switch_project: bool,
    /// Move to a preview model (legacy; CLIProxyAPI no longer acts on it) (default true).
    pub switch_preview_model: bool,
    /// Retry an Antigravity quota 429 once using Google One AI credits (default true).
    pub antigravity_credits: bool,
}

impl Default for QuotaExceeded {
    fn default() -> Self {
        QuotaExceeded {
            switch_project: true,
            switch_preview_model: true,
            antigravity_credits: true,
        }
    }
}

/// `routing`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Routing {
    /// How to pick among credentials that can serve a request (default `round-robin`).
    pub strategy: RoutingStrategy,
    /// `session-affinity`: keep a conversation on the credential that last served it while
    /// that credential is available; fail over normally when it is not (default false).
    pub session_affinity: bool,
    /// `session-affinity-ttl`: how long a conversation's pin lives after its last use, as
    /// seconds or text such as `1h`/`30m`; 0 means the default (1h).
    #[serde(deserialize_with = "scalars::duration")]
    pub session_affinity_ttl: std::time::Duration,
}

/// Default `routing.session-affinity-ttl`.
pub const DEFAULT_SESSION_AFFINITY_TTL: std::time::Duration = std::time::Duration::from_secs(3600);

impl Default for Routing {
    fn default() -> Self {
        Routing {
            strategy: RoutingStrategy::default(),
            session_affinity: false,
            session_affinity_ttl: DEFAULT_SESSION_AFFINITY_TTL,
        }
    }
}

impl Routing {
    /// The affinity TTL to apply: `session-affinity-ttl`, or 1h when it is 0.
    pub fn affinity_ttl(&self) -> std::time::Duration {
        if self.session_affinity_ttl.is_zero() {
            DEFAULT_SESSION_AFFINITY_TTL
        } else {
            self.session_affinity_ttl
        }
    }
}

/// `routing.strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RoutingStrategy {
    /// Rotate over the credentials (`round-robin`, `roundrobin`, `rr`, or empty).
    #[default]
    RoundRobin,
    /// Use the first usable credential until it fails (`fill-first`, `fillfirst`, `ff`).
    FillFirst,
}

keyword_enum!(
    RoutingStrategy,
    "one of round-robin, fill-first (or rr, roundrobin, ff, fillfirst)",
    [
        ("round-robin", RoutingStrategy::RoundRobin),
        ("roundrobin", RoutingStrategy::RoundRobin),
        ("rr", RoutingStrategy::RoundRobin),
        ("", RoutingStrategy::RoundRobin),
        ("fill-first", RoutingStrategy::FillFirst),
        ("fillfirst", RoutingStrategy::FillFirst),
        ("ff", RoutingStrategy::FillFirst),
    ]
);

/// `streaming`: server-sent events behaviour.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Streaming {
    /// Seconds between SSE keep-alive comments; 0 (default) = none.
    pub keepalive_seconds: u64,
    /// Retries allowed before the first byte reaches the client; 0 (default) = none.
    pub bootstrap_retries: u32,
}

/// `io-driver` (cliproxy): the workers' I/O backend on Linux.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IoDriver {
    /// io_uring when the kernel allows it, else epoll.
    #[default]
    Auto,
    /// io_uring only (`io_uring`, `io-uring`, `uring`).
    IoUring,
    /// epoll only.
    Epoll,
}

keyword_enum!(
    IoDriver,
    "one of auto, io_uring, epoll",
    [
        ("auto", IoDriver::Auto),
        ("io_uring", IoDriver::IoUring),
        ("io-uring", IoDriver::IoUring),
        ("uring", IoDriver::IoUring),
        ("epoll", IoDriver::Epoll),
    ]
);

/// `limits` (cliproxy): protects the server from oversized or slow clients.
/// A timeout of 0 disables that timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Limits {
    /// `max-header-bytes`: request line plus headers, at least 8192 (default 65536). Accepts `64KiB`.
    #[serde(deserialize_with = "scalars::byte_size")]
    pub max_header_bytes: usize,
    /// `max-body-bytes`: request body size, at least 1 (default 64 MiB). Accepts `64MiB`.
    #[serde(deserialize_with = "scalars::byte_size")]
    pub max_body_bytes: usize,
    /// `head-read-timeout-seconds`: time to receive the request head (default 30).
    pub head_read_timeout_seconds: u64,
    /// `body-read-timeout-seconds`: time to receive the request body (default 60).
    pub body_read_timeout_seconds: u64,
    /// `idle-timeout-seconds`: keep-alive connection idle time (default 120).
    pub idle_timeout_seconds: u64,
}

/// `0` means "no timeout".
fn timeout(secs: u64) -> Option<std::time::Duration> {
    (secs > 0).then(|| std::time::Duration::from_secs(secs))
}

impl Limits {
    /// `head-read-timeout-seconds` as a duration; `None` when disabled.
    pub fn head_read_timeout(&self) -> Option<std::time::Duration> {
        timeout(self.head_read_timeout_seconds)
    }
    /// `body-read-timeout-seconds` as a duration; `None` when disabled.
    pub fn body_read_timeout(&self) -> Option<std::time::Duration> {
        timeout(self.body_read_timeout_seconds)
    }
    /// `idle-timeout-seconds` as a duration; `None` when disabled.
    pub fn idle_timeout(&self) -> Option<std::time::Duration> {
        timeout(self.idle_timeout_seconds)
    }
}

impl Upstream {
    /// `connect-timeout-seconds` as a duration; `None` when disabled.
    pub fn connect_timeout(&self) -> Option<std::time::Duration> {
        timeout(self.connect_timeout_seconds)
    }
    /// `response-header-timeout-seconds` as a duration; `None` when disabled.
    pub fn response_header_timeout(&self) -> Option<std::time::Duration> {
        timeout(self.response_header_timeout_seconds)
    }
}

/// Smallest accepted `limits.max-header-bytes`.
pub const MIN_HEADER_BYTES: usize = 8192;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_bytes: 65536,
            max_body_bytes: 64 << 20,
            head_read_timeout_seconds: 30,
            body_read_timeout_seconds: 60,
            idle_timeout_seconds: 120,
        }
    }
}

/// `upstream` (cliproxy): how the gateway connects to providers.
/// A timeout of 0 disables that timeout.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Upstream {
    /// `connect-timeout-seconds`: TCP, any `proxy-url` handshake and TLS (default 10).
    pub connect_timeout_seconds: u64,
    /// `response-header-timeout-seconds`: wait for the response head; long because
    /// a non-streaming completion can think for minutes (default 600).
    pub response_header_timeout_seconds: u64,
    /// `pool-idle-timeout-seconds`: close pooled connections idle this long (default 90).
    pub pool_idle_timeout_seconds: u64,
    /// `pool-max-idle-per-host`: idle connections kept per host and worker (default 64).
    pub pool_max_idle_per_host: usize,
    /// `ca-files`: extra PEM CA bundles trusted for upstream TLS (e.g. a corporate proxy's CA).
    pub ca_files: Vec<String>,
    /// `roots`: built-in root certificates to trust (default `webpki`).
    pub roots: RootStore,
}

impl Default for Upstream {
    fn default() -> Self {
        Upstream {
            connect_timeout_seconds: 10,
            response_header_timeout_seconds: 600,
            pool_idle_timeout_seconds: 90,
            pool_max_idle_per_host: 64,
            ca_files: Vec::new(),
            roots: RootStore::Webpki,
        }
    }
}

/// `upstream.roots`: which root certificates upstream TLS trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RootStore {
    /// Mozilla's roots compiled into the binary: same everywhere, no system dependency.
    #[default]
    Webpki,
    /// The operating system's store, which includes locally installed CAs.
    Native,
    /// Both of the above.
    Both,
}

keyword_enum!(
    RootStore,
    "one of webpki, native, both",
    [
        ("webpki", RootStore::Webpki),
        ("native", RootStore::Native),
        ("both", RootStore::Both),
    ]
);

/// A successfully loaded config and what the user should be told about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The config, validated and normalized (`~` expanded, headers trimmed, …).
    pub config: Config,
    /// One line each, ready to log: unknown keys, ignored values, and a final
    /// `not supported yet: …` line when such keys are set.
    pub warnings: Vec<String>,
}

/// Why a config could not be loaded. Each variant names the file; the last two
/// also the line, as `file:line: key.path: message`.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Read {
        /// The path as given.
        file: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The text is not valid YAML.
    #[error("{file}:{line}: {message}")]
    Syntax {
        /// File name used in messages.
        file: String,
        /// 1-based line.
        line: u64,
        /// What the YAML parser found.
        message: String,
    },
    /// A key has a value of the wrong type or out of range.
    #[error("{file}:{line}: {}{message}", path_prefix(.path))]
    Invalid {
        /// File name used in messages.
        file: String,
        /// 1-based line of the key.
        line: u64,
        /// Dotted key path, e.g. `openai-compatibility[0].base-url`; empty for the document itself.
        path: String,
        /// What was expected and what was found.
        message: String,
    },
}

fn path_prefix(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{path}: ")
    }
}

/// Reads and parses the config file at `path`. A missing file is an error; an
/// empty one gives all defaults.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        file: file.clone(),
        source,
    })?;
    parse(&text, &file)
}

/// Parses config text; `file_name` is only used in messages.
pub fn parse(text: &str, file_name: &str) -> Result<Loaded, LoadError> {
    let file = file_name.to_owned();
    let root = tree::parse(text).map_err(|e| LoadError::Syntax {
        file: file.clone(),
        line: e.line,
        message: e.message,
    })?;
    let ctx = de::Ctx::default();
    let mut config: Config = match &root {
        None => Config::default(),
        Some(node) => de::from_node(node, &ctx).map_err(|e| LoadError::Invalid {
            file: file.clone(),
            line: e.line,
            path: e.path,
            message: e.message,
        })?,
    };
    let index = tree::LineIndex::build(root.as_ref());

    let mut warnings: Vec<String> = ctx
        .into_unknown()
        .into_iter()
        .map(|u| {
            let hint = u
                .suggestion
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            format!("{file}:{}: unknown key `{}`{hint}", u.line, u.path)
        })
        .collect();

    let notes = check::check(&mut config).map_err(|e| LoadError::Invalid {
        file: file.clone(),
        line: index.line(&e.path),
        path: e.path,
        message: e.message,
    })?;
    warnings.extend(
        notes
            .into_iter()
            .map(|n| format!("{file}:{}: {}: {}", index.line(&n.path), n.path, n.message)),
    );

    let unsupported = check::not_supported(&config, NOT_SUPPORTED_YET);
    if !unsupported.is_empty() {
        warnings.push(format!("not supported yet: {}", unsupported.join(", ")));
    }

    // USERPROFILE covers Windows, where the tokio build runs.
    let home = std::env::var("HOME")
        .or_else(|_| std::env::var("USERPROFILE"))
        .ok();
    config.auth_dir = expand_home(&config.auth_dir, home.as_deref());
    Ok(Loaded { config, warnings })
}

/// Replaces a leading `~` (alone or before `/`) with `home`; other paths, and all
/// paths when `home` is unknown, are returned unchanged.
pub fn expand_home(path: &str, home: Option<&str>) -> String {
    let Some(home) = home.filter(|h| !h.is_empty()) else {
        return path.to_owned();
    };
    if path == "~" {
        return home.to_owned();
    }
    match path.strip_prefix("~/") {
        Some(rest) => format!("{}/{rest}", home.trim_end_matches('/')),
        None => path.to_owned(),
    }
}
