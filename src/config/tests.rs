use std::collections::BTreeMap;

use super::*;

const EXAMPLE: &str = include_str!("../../config.example.yaml");

fn ok(text: &str) -> Loaded {
    match parse(text, "config.yaml") {
        Ok(loaded) => loaded,
        Err(e) => panic!("unexpected error: {e}"),
    }
}

fn err(text: &str) -> String {
    match parse(text, "config.yaml") {
        Ok(loaded) => panic!("expected an error, got {loaded:?}"),
        Err(e) => e.to_string(),
    }
}

fn home_expanded(path: &str) -> String {
    let home = std::env::var("HOME").or_else(|_| std::env::var("USERPROFILE"));
    expand_home(path, home.ok().as_deref())
}

fn defaults() -> Config {
    Config {
        auth_dir: home_expanded(DEFAULT_AUTH_DIR),
        ..Config::default()
    }
}

/// The example with its optional settings switched on: a line of `#` directly
/// followed by YAML (`#key:` or `#  nested:`) loses its `#`; prose (`# text`) stays.
fn uncommented_example() -> String {
    EXAMPLE
        .lines()
        .map(|line| match line.strip_prefix('#') {
            Some(rest)
                if rest.starts_with("  ")
                    || rest.starts_with(|c: char| c.is_ascii_alphabetic()) =>
            {
                rest
            }
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn secrets(keys: &[&str]) -> Vec<Secret> {
    keys.iter().map(|k| Secret::from(*k)).collect()
}

fn model(name: &str, alias: &str) -> ModelAlias {
    ModelAlias {
        name: name.to_owned(),
        alias: alias.to_owned(),
        thinking: None,
    }
}

#[test]
fn example_parses_to_defaults_plus_its_sample_entries() {
    let loaded = ok(EXAMPLE);
    assert_eq!(loaded.warnings, Vec::<String>::new());
    let expected = Config {
        api_keys: secrets(&["your-api-key-1", "your-api-key-2"]),
        openai_compatibility: vec![OpenAiCompatibility {
            name: "openrouter".to_owned(),
            base_url: "https://openrouter.ai/api/v1".to_owned(),
            api_key_entries: vec![ApiKeyEntry {
                api_key: Secret::from("sk-or-v1-replace-me"),
                proxy_url: String::new(),
            }],
            models: vec![model("moonshotai/kimi-k2:free", "kimi-k2")],
            ..OpenAiCompatibility::default()
        }],
        ..defaults()
    };
    assert_eq!(loaded.config, expected);
}

#[test]
fn example_optional_settings_parse_into_their_fields() {
    let loaded = ok(&uncommented_example());
    assert!(
        loaded.warnings.iter().all(|w| !w.contains("unknown key")),
        "{:?}",
        loaded.warnings
    );
    let c = &loaded.config;
    let openai = &c.openai_compatibility[0];
    assert_eq!(
        openai.api_key_entries[0].proxy_url,
        "socks5://proxy.example.com:1080"
    );
    let thinking = openai.models[0].thinking.as_ref().unwrap();
    assert_eq!(thinking.levels, ["low", "medium", "high"]);
    assert!(!thinking.zero_allowed);

    let gemini = &c.gemini_api_key[0];
    assert_eq!(gemini.api_key.expose(), "AIzaSy-replace-me");
    assert_eq!(gemini.prefix, "team-a");
    assert_eq!(gemini.proxy_url, "direct");
    assert_eq!(gemini.headers["X-Custom-Header"], "custom-value");
    assert_eq!(gemini.models, [model("gemini-2.5-flash", "gemini-flash")]);
    assert_eq!(gemini.excluded_models, ["gemini-2.5-pro", "*-preview"]);
    assert_eq!(c.codex_api_key[0].base_url, "https://api.openai.com/v1");
    let cloak = c.claude_api_key[0].cloak.as_ref().unwrap();
    assert_eq!(cloak.mode, CloakMode::Auto);
    assert_eq!(cloak.sensitive_words, ["proxy"]);
    assert_eq!(c.claude_header_defaults.timeout, "600");
    assert_eq!(c.claude_header_defaults.arch, "arm64");
    assert_eq!(c.codex_header_defaults.beta_features, "multi_agent");
    assert_eq!(
        c.vertex_api_key[0].models,
        [model("gemini-2.5-pro", "vertex-pro")]
    );
    assert_eq!(c.ampcode.upstream_url, "https://ampcode.com");
    assert_eq!(
        c.ampcode.upstream_api_keys[0].api_keys,
        secrets(&["your-api-key-1"])
    );
    assert_eq!(c.ampcode.model_mappings[0].to, "gemini-2.5-pro");
    assert_eq!(c.oauth_model_alias["gemini-cli"][0].alias, "g2.5p");
    assert_eq!(c.oauth_excluded_models["gemini-cli"], ["gemini-2.5-*"]);
    let budget = &c.payload.default[0].params["generationConfig.thinkingConfig.thinkingBudget"];
    assert_eq!(budget, &serde_json::json!(32768));
    assert_eq!(c.payload.overrides[0].params["reasoning.effort"], "high");
    assert_eq!(c.payload.default_raw[0].models[0].name, "gemini-*");
    assert_eq!(c.payload.override_raw.len(), 1);
    assert_eq!(
        c.payload.filter[0].params,
        ["generationConfig.responseJsonSchema"]
    );
}

/// Every key with a non-default value, so a key mapped to the wrong field shows up.
const FULL: &str = r#"
host: "127.0.0.1"
port: 9000
tls: { enable: true, cert: "c.pem", key: "k.pem" }
remote-management:
  allow-remote: true
  secret-key: "mgmt"
  disable-control-panel: true
  disable-auto-update-panel: true
  panel-github-repository: "https://github.com/me/panel"
auth-dir: "/var/lib/cliproxy"
api-keys: ["k1", 12345]
debug: true
pprof: { enable: true, addr: "127.0.0.1:9999" }
commercial-mode: true
logging-to-file: true
logs-max-total-size-mb: 100
error-logs-max-files: 5
usage-statistics-enabled: true
proxy-url: "socks5h://user:pass@10.0.0.1:1080"
force-model-prefix: true
passthrough-headers: true
request-retry: 5
max-retry-credentials: 2
max-retry-interval: 60
disable-cooling: true
auth-auto-refresh-workers: 4
quota-exceeded: { switch-project: false, switch-preview-model: false, antigravity-credits: false }
routing: { strategy: ff, session-affinity: true, session-affinity-ttl: 1h30m }
ws-auth: true
enable-gemini-cli-endpoint: true
request-log: true
nonstream-keepalive-interval: 15
streaming: { keepalive-seconds: 20, bootstrap-retries: 2 }
antigravity-signature-cache-enabled: false
antigravity-signature-bypass-strict: true
gemini-api-key: [{ api-key: g, excluded-models: ["x*"] }]
codex-api-key: [{ api-key: c, base-url: "https://x.example", websockets: true, excluded-models: ["y"] }]
claude-api-key: [{ api-key: a, excluded-models: ["z"], experimental-cch-signing: true, cloak: { mode: never, strict-mode: true, cache-user-id: true } }]
claude-header-defaults: { user-agent: ua, stabilize-device-profile: true }
codex-header-defaults: { user-agent: cx }
openai-compatibility:
  - name: " local "
    priority: -2
    prefix: "/team/"
    base-url: " http://localhost:11434/v1 "
    headers: { " X-A ": " 1 ", X-Empty: "" }
    api-key-entries: [{ api-key: "", proxy-url: "http://proxy:3128" }]
    models: [{ name: m, alias: a, thinking: { min: 128, max: 4096, zero-allowed: true, dynamic-allowed: true } }]
vertex-api-key: [{ api-key: v, excluded-models: [" A* ", "a*", ""] }]
ampcode: { upstream-url: "https://ampcode.com", force-model-mappings: true }
oauth-model-alias: { Claude: [{ name: n, alias: x, fork: true }] }
oauth-excluded-models: { codex: ["GPT-5"] }
payload:
  default: [{ params: { a: 1 } }]
  default-raw: [{ params: { b: "[1]" } }]
  override: [{ params: { c: true } }]
  override-raw: [{ params: { d: "{}" } }]
  filter: [{ models: [{ name: "x", protocol: openai }], params: [e] }]
workers: 3
io-driver: uring
limits:
  max-header-bytes: 16KiB
  max-body-bytes: 1048576
  head-read-timeout-seconds: 5
  body-read-timeout-seconds: 6
  idle-timeout-seconds: 7
upstream:
  connect-timeout-seconds: 1
  response-header-timeout-seconds: 2
  pool-idle-timeout-seconds: 3
  pool-max-idle-per-host: 4
  ca-files: ["/etc/ca.pem"]
  roots: both
shutdown-grace-seconds: 9
"#;

#[test]
fn every_key_parses_into_its_field() {
    let loaded = ok(FULL);
    let c = &loaded.config;
    assert_eq!((c.host.as_str(), c.port), ("127.0.0.1", 9000));
    assert_eq!(
        c.tls,
        Tls {
            enable: true,
            cert: "c.pem".into(),
            key: "k.pem".into()
        }
    );
    let rm = &c.remote_management;
    assert!(rm.allow_remote && rm.disable_control_panel && rm.disable_auto_update_panel);
    assert_eq!(rm.secret_key.expose(), "mgmt");
    assert_eq!(rm.panel_github_repository, "https://github.com/me/panel");
    assert_eq!(c.auth_dir, "/var/lib/cliproxy");
    assert_eq!(c.api_keys, secrets(&["k1", "12345"]));
    assert!(c.debug && c.pprof.enable && c.commercial_mode && c.logging_to_file);
    assert_eq!(c.pprof.addr, "127.0.0.1:9999");
    assert_eq!((c.logs_max_total_size_mb, c.error_logs_max_files), (100, 5));
    assert!(c.usage_statistics_enabled && c.force_model_prefix && c.passthrough_headers);
    assert_eq!(c.proxy_url, "socks5h://user:pass@10.0.0.1:1080");
    assert_eq!(
        (
            c.request_retry,
            c.max_retry_credentials,
            c.max_retry_interval
        ),
        (5, 2, 60)
    );
    assert!(c.disable_cooling);
    assert_eq!(c.auth_auto_refresh_workers, 4);
    assert_eq!(
        c.quota_exceeded,
        QuotaExceeded {
            switch_project: false,
            switch_preview_model: false,
            antigravity_credits: false
        }
    );
    assert_eq!(c.routing.strategy, RoutingStrategy::FillFirst);
    assert!(c.routing.session_affinity);
    assert_eq!(
        c.routing.session_affinity_ttl,
        std::time::Duration::from_secs(5400)
    );
    assert!(c.ws_auth && c.enable_gemini_cli_endpoint && c.request_log);
    assert_eq!(c.nonstream_keepalive_interval, 15);
    assert_eq!(
        c.streaming,
        Streaming {
            keepalive_seconds: 20,
            bootstrap_retries: 2
        }
    );
    assert!(!c.antigravity_signature_cache_enabled && c.antigravity_signature_bypass_strict);
    assert_eq!(c.gemini_api_key[0].api_key.expose(), "g");
    assert!(c.codex_api_key[0].websockets);
    let claude = &c.claude_api_key[0];
    assert!(claude.experimental_cch_signing);
    let cloak = claude.cloak.as_ref().unwrap();
    assert_eq!(cloak.mode, CloakMode::Never);
    assert!(cloak.strict_mode && cloak.cache_user_id);
    assert!(c.claude_header_defaults.stabilize_device_profile);
    assert_eq!(c.claude_header_defaults.user_agent, "ua");
    assert_eq!(c.codex_header_defaults.user_agent, "cx");

    let openai = &c.openai_compatibility[0];
    assert_eq!((openai.name.as_str(), openai.priority), ("local", -2));
    assert_eq!(openai.prefix, "team");
    assert_eq!(openai.base_url, "http://localhost:11434/v1");
    assert_eq!(
        openai.headers,
        BTreeMap::from([("X-A".to_owned(), "1".to_owned())])
    );
    assert_eq!(openai.api_key_entries[0].proxy_url, "http://proxy:3128");
    assert!(openai.api_key_entries[0].api_key.is_empty());
    let thinking = openai.models[0].thinking.as_ref().unwrap();
    assert_eq!((thinking.min, thinking.max), (128, 4096));
    assert!(thinking.zero_allowed && thinking.dynamic_allowed);

    assert_eq!(c.vertex_api_key[0].excluded_models, ["a*"]);
    assert!(c.ampcode.force_model_mappings);
    assert!(c.oauth_model_alias["claude"][0].fork);
    assert_eq!(c.oauth_excluded_models["codex"], ["gpt-5"]);
    assert_eq!(c.payload.default[0].params["a"], 1);
    assert_eq!(c.payload.default_raw[0].params["b"], "[1]");
    assert_eq!(c.payload.overrides[0].params["c"], true);
    assert_eq!(c.payload.override_raw[0].params["d"], "{}");
    assert_eq!(c.payload.filter[0].models[0].protocol, "openai");
    assert_eq!((c.workers, c.io_driver), (3, IoDriver::IoUring));
    assert_eq!(
        c.limits,
        Limits {
            max_header_bytes: 16 << 10,
            max_body_bytes: 1 << 20,
            head_read_timeout_seconds: 5,
            body_read_timeout_seconds: 6,
            idle_timeout_seconds: 7,
        }
    );
    assert_eq!(
        c.upstream,
        Upstream {
            connect_timeout_seconds: 1,
            response_header_timeout_seconds: 2,
            pool_idle_timeout_seconds: 3,
            pool_max_idle_per_host: 4,
            ca_files: vec!["/etc/ca.pem".to_owned()],
            roots: RootStore::Both,
        }
    );
    assert_eq!(c.shutdown_grace_seconds, 9);
}

#[test]
fn every_unsupported_path_is_detected_when_set() {
    // FULL sets every key to a non-default value, so each listed path must be reported;
    // a path with a typo in NOT_SUPPORTED_YET would be missing here.
    let loaded = ok(FULL);
    let expected = format!("not supported yet: {}", NOT_SUPPORTED_YET.join(", "));
    assert_eq!(loaded.warnings.last(), Some(&expected));
}

#[test]
fn empty_input_gives_defaults() {
    for text in ["", "\n\n", "# only a comment\n", "---\n"] {
        let loaded = ok(text);
        assert_eq!(loaded.config, defaults(), "{text:?}");
        assert!(loaded.warnings.is_empty(), "{text:?}");
    }
    let c = Config::default();
    assert_eq!(
        (c.port, c.request_retry, c.max_retry_interval),
        (8317, 3, 30)
    );
    assert_eq!(
        (c.error_logs_max_files, c.auth_auto_refresh_workers),
        (10, 16)
    );
    assert_eq!(c.auth_dir, "~/.cli-proxy-api");
    assert_eq!(c.routing.strategy, RoutingStrategy::RoundRobin);
    assert_eq!(
        (c.workers, c.io_driver, c.shutdown_grace_seconds),
        (0, IoDriver::Auto, 30)
    );
    assert_eq!(c.limits.max_body_bytes, 64 * 1024 * 1024);
    assert_eq!(c.upstream.roots, RootStore::Webpki);
}

#[test]
fn empty_values_keep_defaults() {
    let loaded = ok("port:\nrouting:\n  strategy:\napi-keys:\nlimits: ~\n");
    assert_eq!(loaded.config, defaults());
}

#[test]
fn type_errors_name_file_line_and_path() {
    let cases = [
        ("host: x\nport: abc\n", r#"config.yaml:2: port: expected a number 1-65535, got "abc""#),
        ("port: '8317'\n", r#"config.yaml:1: port: expected a number 1-65535, got "8317""#),
        ("debug: maybe\n", r#"config.yaml:1: debug: expected true or false, got "maybe""#),
        ("api-keys: abc\n", r#"config.yaml:1: api-keys: expected a list, got "abc""#),
        ("tls:\n  - 1\n", "config.yaml:1: tls: expected a mapping, got a list"),
        ("tls:\n  enable: 2\n", "config.yaml:2: tls.enable: expected true or false, got 2"),
        ("request-retry: 1.5\n", "config.yaml:1: request-retry: expected a whole number, got 1.5"),
        ("workers: [1]\n", "config.yaml:1: workers: expected a whole number, got a list"),
        ("host: [a]\n", "config.yaml:1: host: expected a string, got a list"),
        ("- a\n- b\n", "config.yaml:1: expected a mapping, got a list"),
        (
            "openai-compatibility:\n  - name: x\n    base-url: http://h\n    models:\n      - name: m\n        alias: {a: 1}\n",
            "config.yaml:6: openai-compatibility[0].models[0].alias: expected a string, got a mapping",
        ),
        (
            "claude-api-key:\n  - api-key: k\n    cloak: { mode: sometimes }\n",
            r#"config.yaml:3: claude-api-key[0].cloak.mode: expected one of auto, always, never, got "sometimes""#,
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(err(text), expected, "{text:?}");
    }
}

#[test]
fn bad_values_name_file_line_and_path() {
    let cases = [
        ("port: 0\n", "config.yaml:1: port: expected a number 1-65535, got 0"),
        ("port: 80.0\n", "config.yaml:1: port: expected a number 1-65535, got 80.0"),
        ("port: 70000\n", "config.yaml:1: port: expected a number 1-65535, got 70000"),
        ("port: -1\n", "config.yaml:1: port: expected a number 1-65535, got -1"),
        ("request-retry: -1\n", "config.yaml:1: request-retry: expected a non-negative whole number, got -1"),
        (
            "streaming:\n  bootstrap-retries: -2\n",
            "config.yaml:2: streaming.bootstrap-retries: expected a non-negative whole number, got -2",
        ),
        ("error-logs-max-files: 5000000000\n", "config.yaml:1: error-logs-max-files: expected a whole number 0-4294967295, got 5000000000"),
        (
            "routing:\n  strategy: random\n",
            r#"config.yaml:2: routing.strategy: expected one of round-robin, fill-first (or rr, roundrobin, ff, fillfirst), got "random""#,
        ),
        ("io-driver: kqueue\n", r#"config.yaml:1: io-driver: expected one of auto, io_uring, epoll, got "kqueue""#),
        ("upstream:\n  roots: system\n", r#"config.yaml:2: upstream.roots: expected one of webpki, native, both, got "system""#),
        (
            "openai-compatibility:\n  - name: x\n    base-url: openrouter.ai/api\n",
            r#"config.yaml:3: openai-compatibility[0].base-url: expected an http:// or https:// URL, got "openrouter.ai/api""#,
        ),
        (
            "openai-compatibility:\n  - name: x\n",
            r#"config.yaml:2: openai-compatibility[0].base-url: expected an http:// or https:// URL, got """#,
        ),
        (
            "openai-compatibility:\n  - base-url: https://a\n",
            r#"config.yaml:2: openai-compatibility[0].name: expected a provider name, got """#,
        ),
        (
            "openai-compatibility:\n  - {name: A, base-url: 'https://a'}\n  - {name: a, base-url: 'https://b'}\n",
            r#"config.yaml:3: openai-compatibility[1].name: expected a name no other entry uses, got "a""#,
        ),
        (
            "openai-compatibility:\n  - name: x\n    base-url: https://a\n    models:\n      - alias: y\n",
            r#"config.yaml:5: openai-compatibility[0].models[0].name: expected an upstream model name, got """#,
        ),
        (
            "openai-compatibility:\n  - name: x\n    base-url: https://a\n    api-key-entries:\n      - api-key: k\n      - api-key: k2\n        proxy-url: ftp://p:21\n",
            r#"config.yaml:7: openai-compatibility[0].api-key-entries[1].proxy-url: expected a proxy URL (socks5://, socks5h://, http://, https://) or direct/none, got "ftp://p:21""#,
        ),
        (
            "proxy-url: 'http://proxy:0'\n",
            r#"config.yaml:1: proxy-url: expected a proxy URL (socks5://, socks5h://, http://, https://) or direct/none, got "http://proxy:0""#,
        ),
        (
            "proxy-url: 'socks5://[::1]:99999'\n",
            r#"config.yaml:1: proxy-url: expected a proxy URL (socks5://, socks5h://, http://, https://) or direct/none, got "socks5://[::1]:99999""#,
        ),
        (
            "proxy-url: 'http://user:s3cret@proxy:port'\n",
            r#"config.yaml:1: proxy-url: expected a proxy URL (socks5://, socks5h://, http://, https://) or direct/none, got "http://*****@proxy:port""#,
        ),
        (
            "proxy-url: 'ftp://user:s3cret@proxy/x'\n",
            r#"config.yaml:1: proxy-url: expected a proxy URL (socks5://, socks5h://, http://, https://) or direct/none, got "ftp://*****@proxy/x""#,
        ),
        (
            "proxy-url: 'http://user:s3%zzcret@proxy'\n",
            r#"config.yaml:1: proxy-url: expected a proxy URL (socks5://, socks5h://, http://, https://) or direct/none, got "http://*****@proxy""#,
        ),
        (
            "proxy-url: socks5://\n",
            r#"config.yaml:1: proxy-url: expected a proxy URL (socks5://, socks5h://, http://, https://) or direct/none, got "socks5://""#,
        ),
        (
            "gemini-api-key:\n  - api-key: k\n    prefix: a/b\n",
            r#"config.yaml:3: gemini-api-key[0].prefix: expected a prefix without '/' inside, got "a/b""#,
        ),
        (
            "claude-api-key:\n  - base-url: https://a\n",
            r#"config.yaml:2: claude-api-key[0].api-key: expected a non-empty key, got """#,
        ),
        ("api-keys: [a, '']\n", r#"config.yaml:1: api-keys[1]: expected a non-empty key, got """#),
        (
            "tls:\n  enable: true\n  key: k.pem\n",
            r#"config.yaml:1: tls.cert: expected a file path when tls.enable is true, got """#,
        ),
        ("limits:\n  max-header-bytes: 100\n", "config.yaml:2: limits.max-header-bytes: expected at least 8192, got 100"),
        ("limits:\n  max-body-bytes: 0\n", "config.yaml:2: limits.max-body-bytes: expected at least 1, got 0"),
        (
            "limits:\n  max-body-bytes: 64 parsecs\n",
            r#"config.yaml:2: limits.max-body-bytes: expected a byte count such as 65536 or "64KiB", got "64 parsecs""#,
        ),
        ("workers: 5000\n", "config.yaml:1: workers: expected a number 0-1024, got 5000"),
        (
            "ampcode:\n  upstream-url: ampcode.com\n",
            r#"config.yaml:2: ampcode.upstream-url: expected an http:// or https:// URL, got "ampcode.com""#,
        ),
        (
            "payload:\n  override-raw:\n    - params:\n        \"a.b\": \"{oops\"\n",
            r#"config.yaml:4: payload.override-raw[0].params["a.b"]: expected valid JSON text, got "{oops""#,
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(err(text), expected, "{text:?}");
    }
}

#[test]
fn yaml_syntax_errors_name_the_line() {
    assert_eq!(
        err("port: 1\nport: 2\n"),
        "config.yaml:2: duplicate mapping key `port` is not allowed here"
    );
    assert!(err("a: [1,\n").starts_with("config.yaml:1: "));
    assert!(err("a: 1\n---\nb: 2\n").starts_with("config.yaml:"));
}

#[test]
fn unknown_keys_warn_with_a_suggestion() {
    let text = "prot: 1\ntls:\n  enabel: true\nauth_dir: /x\nzzzzzz: 1\nopenai-compatibility:\n  - name: x\n    base-url: https://a\n    base_url: https://b\n";
    let loaded = ok(text);
    assert_eq!(
        loaded.warnings,
        [
            "config.yaml:1: unknown key `prot` (did you mean `port`?)",
            "config.yaml:3: unknown key `tls.enabel` (did you mean `enable`?)",
            "config.yaml:4: unknown key `auth_dir` (did you mean `auth-dir`?)",
            "config.yaml:5: unknown key `zzzzzz`",
            "config.yaml:9: unknown key `openai-compatibility[0].base_url` (did you mean `base-url`?)",
        ]
    );
    assert_eq!(loaded.config.port, 8317);
}

#[test]
fn not_supported_line_lists_only_present_non_default_keys() {
    // request-retry works now, so a non-default value is not reported; ws-auth is not built yet.
    let text = "debug: true\nrequest-retry: 5\nmax-retry-interval: 30\nws-auth: true\ntls: {enable: true, cert: a, key: b}\n\
                routing: {strategy: rr}\nopenai-compatibility:\n  - name: x\n    base-url: https://a\n    \
                api-key-entries: [{api-key: k, proxy-url: 'direct'}]\n    models: [{name: m}]\n";
    let loaded = ok(text);
    assert_eq!(
        loaded.warnings,
        ["not supported yet: tls.enable, tls.cert, tls.key, ws-auth"]
    );
}

#[test]
fn routing_strategy_aliases() {
    let cases = [
        ("round-robin", RoutingStrategy::RoundRobin),
        ("roundrobin", RoutingStrategy::RoundRobin),
        ("rr", RoutingStrategy::RoundRobin),
        ("RR", RoutingStrategy::RoundRobin),
        ("''", RoutingStrategy::RoundRobin),
        ("fill-first", RoutingStrategy::FillFirst),
        ("fillfirst", RoutingStrategy::FillFirst),
        (" Fill-First ", RoutingStrategy::FillFirst),
        ("ff", RoutingStrategy::FillFirst),
    ];
    for (value, expected) in cases {
        let loaded = ok(&format!(
            "routing:\n  strategy: \"{}\"\n",
            value.trim_matches('\'')
        ));
        assert_eq!(loaded.config.routing.strategy, expected, "{value}");
    }
    assert_eq!(RoutingStrategy::FillFirst.as_str(), "fill-first");
}

#[test]
fn io_driver_and_root_store_spellings() {
    for (value, expected) in [
        ("auto", IoDriver::Auto),
        ("io_uring", IoDriver::IoUring),
        ("io-uring", IoDriver::IoUring),
        ("uring", IoDriver::IoUring),
        ("epoll", IoDriver::Epoll),
    ] {
        assert_eq!(
            ok(&format!("io-driver: {value}\n")).config.io_driver,
            expected
        );
    }
    assert_eq!(
        ok("upstream: {roots: native}\n").config.upstream.roots,
        RootStore::Native
    );
    assert_eq!(IoDriver::IoUring.as_str(), "io_uring");
}

#[test]
fn secret_is_masked_in_debug_and_serialize() {
    let secret = Secret::from("sk-live-123");
    assert_eq!(format!("{secret:?}"), "*****");
    assert_eq!(serde_json::to_string(&secret).unwrap(), "\"*****\"");
    assert_eq!(serde_json::to_string(&Secret::default()).unwrap(), "\"\"");
    assert_eq!(secret.expose(), "sk-live-123");
    assert_eq!(secret.clone(), secret);
    assert_ne!(secret, Secret::from("sk-live-124"));
    let config = ok("api-keys: [sk-live-123]\nremote-management: {secret-key: hunter2}\n").config;
    let debug = format!("{config:?}");
    assert!(!debug.contains("sk-live-123") && !debug.contains("hunter2"));
}

#[test]
fn yaml_scalars_read_like_go() {
    // YAML 1.1 words are booleans only where a bool is wanted.
    let c = ok("debug: yes\nws-auth: off\nopenai-compatibility:\n  - {name: n, base-url: 'http://h', models: [{name: y, alias: no}]}\n").config;
    assert!(c.debug && !c.ws_auth);
    assert_eq!(c.openai_compatibility[0].models[0], model("y", "no"));
    // Numbers in string fields keep their spelling.
    let c = ok("host: 0x10\napi-keys: [1.50, true]\n").config;
    assert_eq!(c.host, "0x10");
    assert_eq!(c.api_keys, secrets(&["1.50", "true"]));
}

#[test]
fn crlf_line_ends_and_a_byte_order_mark_are_accepted() {
    let loaded = ok("\u{feff}port: 1234\r\nhost: a\r\nprot: 1\r\n");
    assert_eq!(
        (loaded.config.port, loaded.config.host.as_str()),
        (1234, "a")
    );
    assert_eq!(
        loaded.warnings,
        ["config.yaml:3: unknown key `prot` (did you mean `port`?)"]
    );
}

#[test]
fn priority_range_error_reads_well() {
    assert_eq!(
        err("gemini-api-key:\n  - api-key: k\n    priority: 9999999999\n"),
        "config.yaml:3: gemini-api-key[0].priority: expected a whole number from -2147483648 to 2147483647, got 9999999999"
    );
}

#[test]
fn thinking_outside_openai_compatibility_is_noted() {
    let loaded = ok("gemini-api-key:\n  - api-key: k\n    models:\n      - name: m\n        thinking: {levels: [low]}\n");
    assert_eq!(
        loaded.warnings[0],
        "config.yaml:5: gemini-api-key[0].models[0].thinking: ignored: thinking applies only to openai-compatibility models"
    );
}

#[test]
fn byte_sizes() {
    use scalars::parse_byte_size;
    assert_eq!(parse_byte_size("64MiB"), Some(64 << 20));
    assert_eq!(parse_byte_size("512 KiB"), Some(512 << 10));
    assert_eq!(parse_byte_size("10MB"), Some(10_000_000));
    assert_eq!(parse_byte_size("1g"), Some(1_000_000_000));
    assert_eq!(parse_byte_size("123"), Some(123));
    assert_eq!(parse_byte_size("12.5MiB"), None);
    assert_eq!(parse_byte_size("MiB"), None);
    assert_eq!(parse_byte_size("99999999999999999999GiB"), None);
}

#[test]
fn home_expansion() {
    assert_eq!(
        expand_home("~/.cli-proxy-api", Some("/home/u")),
        "/home/u/.cli-proxy-api"
    );
    assert_eq!(expand_home("~/x", Some("/home/u/")), "/home/u/x");
    assert_eq!(expand_home("~", Some("/home/u")), "/home/u");
    assert_eq!(expand_home("~other/x", Some("/home/u")), "~other/x");
    assert_eq!(expand_home("/abs/~/x", Some("/home/u")), "/abs/~/x");
    assert_eq!(expand_home("~/x", None), "~/x");
}

#[test]
fn worker_count_uses_cores_when_zero() {
    let config = Config {
        workers: 3,
        ..Config::default()
    };
    assert_eq!(config.worker_count(), 3);
    assert!(Config::default().worker_count() >= 1);
}

#[test]
fn suggestions_need_a_close_match() {
    let known = &["port", "host", "auth-dir", "openai-compatibility"];
    assert_eq!(de::suggest("prot", known), Some("port"));
    assert_eq!(de::suggest("AUTH_DIR", known), Some("auth-dir"));
    assert_eq!(
        de::suggest("openai-compatibilty", known),
        Some("openai-compatibility")
    );
    assert_eq!(de::suggest("database", known), None);
}

#[test]
fn load_reads_a_file_and_reports_a_missing_one() {
    let dir = std::env::temp_dir().join(format!("cliproxy-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.yaml");
    std::fs::write(&path, "port: 1234\nprot: 1\n").unwrap();
    let loaded = load(&path).unwrap();
    assert_eq!(loaded.config.port, 1234);
    assert_eq!(
        loaded.warnings,
        [format!(
            "{}:2: unknown key `prot` (did you mean `port`?)",
            path.display()
        )]
    );
    std::fs::remove_file(&path).unwrap();
    let missing = load(&path).unwrap_err().to_string();
    assert!(
        missing.starts_with(&format!("{}: cannot read: ", path.display())),
        "{missing}"
    );
    let _ = std::fs::remove_dir(&dir);
}

#[test]
fn session_affinity_ttl_spellings() {
    use std::time::Duration;
    for (text, secs) in [
        ("3600", 3600),
        ("\"1h\"", 3600),
        ("30m", 1800),
        ("1h30m", 5400),
        ("45s", 45),
        ("\"90\"", 90),
        ("0", 0),
    ] {
        let loaded = ok(&format!("routing:\n  session-affinity-ttl: {text}\n"));
        assert_eq!(
            loaded.config.routing.session_affinity_ttl,
            Duration::from_secs(secs),
            "{text}"
        );
    }
    let ms = ok("routing:\n  session-affinity-ttl: 1500ms\n");
    assert_eq!(
        ms.config.routing.session_affinity_ttl,
        Duration::from_millis(1500)
    );
    assert_eq!(
        ok("routing:\n  session-affinity-ttl: 0\n")
            .config
            .routing
            .affinity_ttl(),
        Duration::from_secs(3600),
        "0 means the default"
    );
    assert_eq!(
        err("routing:\n  session-affinity-ttl: soon\n"),
        r#"config.yaml:2: routing.session-affinity-ttl: expected a duration such as 3600, "1h" or "30m", got "soon""#
    );
    assert_eq!(
        Config::default().routing.affinity_ttl(),
        Duration::from_secs(3600)
    );
}

#[test]
fn oauth_model_alias_is_validated() {
    let loaded = ok("oauth-model-alias:
  Vertex:
    - { name: ' gemini-2.5-pro ', alias: ' g-pro ' }
    - { name: gemini-2.5-pro, alias: g-pro-2, fork: true }
    - { name: gemini-2.5-flash, alias: G-PRO }
    - { name: gemini-2.5-flash, alias: Gemini-2.5-Flash }
  vertex:
    - { name: gemini-3.8-flash, alias: flash }
  gemini:
    - { name: a, alias: b }
");
    let vertex = &loaded.config.oauth_model_alias["vertex"];
    let kept: Vec<(&str, &str, bool)> = vertex
        .iter()
        .map(|e| (e.name.as_str(), e.alias.as_str(), e.fork))
        .collect();
    assert_eq!(
        kept,
        [
            ("gemini-2.5-pro", "g-pro", false),
            ("gemini-2.5-pro", "g-pro-2", true),
            ("gemini-3.8-flash", "flash", false),
        ],
        "trimmed; keys differing in case joined; one name, several aliases"
    );
    assert!(!loaded.config.oauth_model_alias.contains_key("gemini"));
    assert_eq!(
        loaded.warnings,
        [
            "config.yaml:5: oauth-model-alias.Vertex[2].alias: ignored: an earlier entry of this channel uses the alias",
            "config.yaml:6: oauth-model-alias.Vertex[3].alias: ignored: the alias equals the name",
            "config.yaml:9: oauth-model-alias.gemini: ignored: unknown channel (one of gemini-cli, vertex, aistudio, antigravity, claude, codex, qwen, iflow, kimi)",
        ]
    );
    assert_eq!(
        err("oauth-model-alias:\n  claude:\n    - { name: ' ', alias: x }\n"),
        "config.yaml:3: oauth-model-alias.claude[0].name: expected the channel's model name, got \"\""
    );
    assert_eq!(
        err("oauth-model-alias:\n  claude:\n    - { name: x }\n"),
        "config.yaml:3: oauth-model-alias.claude[0].alias: expected the name clients use, got \"\""
    );
}

#[test]
fn oauth_excluded_models_keep_known_channels() {
    let loaded = ok("oauth-excluded-models:\n  Kimi: [' K2* ']\n  nope: [x]\n");
    assert_eq!(
        loaded.config.oauth_excluded_models,
        BTreeMap::from([("kimi".to_owned(), vec!["k2*".to_owned()])])
    );
    assert_eq!(
        loaded.warnings.first().map(String::as_str),
        Some("config.yaml:3: oauth-excluded-models.nope: ignored: unknown channel (one of gemini-cli, vertex, aistudio, antigravity, claude, codex, qwen, iflow, kimi)")
    );
}

#[test]
fn excluded_models_and_per_credential_disable_cooling_are_supported() {
    let loaded = ok("disable-cooling: true
claude-api-key: [{ api-key: a, excluded-models: ['*Haiku*'], disable-cooling: false }]
gemini-api-key: [{ api-key: g, disable-cooling: true }]
codex-api-key: [{ api-key: c }]
openai-compatibility:
  - { name: p, base-url: 'https://p', disable-cooling: true, models: [{ name: m }] }
");
    let c = &loaded.config;
    assert!(c.disable_cooling);
    assert_eq!(c.claude_api_key[0].excluded_models, ["*haiku*"]);
    assert_eq!(c.claude_api_key[0].disable_cooling, Some(false));
    assert_eq!(c.gemini_api_key[0].disable_cooling, Some(true));
    assert_eq!(c.codex_api_key[0].disable_cooling, None);
    assert_eq!(c.openai_compatibility[0].disable_cooling, Some(true));
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}
