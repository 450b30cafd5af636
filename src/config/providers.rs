//! Config types for upstream credentials and model mapping: the per-provider API key
//! lists, OpenAI-compatible providers, Amp, OAuth model aliases and payload rules.
//! Plain serde types with kebab-case keys as in CLIProxyAPI; no I/O, no logic.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::scalars::keyword_enum;
use super::Secret;

/// Declares an API-key credential list entry. Every kind shares the same nine
/// fields (as the Go structs do); `$extra` adds the kind's own fields.
macro_rules! api_key_entry {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
        #[serde(default, rename_all = "kebab-case")]
        pub struct $name {
            /// The key sent upstream with each request.
            pub api_key: Secret,
            /// Preference when several credentials can serve a model; higher wins (default 0).
            pub priority: i32,
            /// Optional namespace: when set, clients reach these models as `prefix/model`.
            pub prefix: String,
            /// Endpoint override (`http://` or `https://`); empty means the provider's official URL.
            pub base_url: String,
            /// Proxy for this key only; overrides the global `proxy-url`. `direct`/`none` bypass all proxies.
            pub proxy_url: String,
            /// Extra HTTP headers sent upstream with this key.
            pub headers: BTreeMap<String, String>,
            /// Upstream model names and the aliases clients use for them; empty means every model
            /// the built-in catalogue knows for this provider.
            pub models: Vec<ModelAlias>,
            /// Model patterns (`*` wildcard, any case) this key must not serve, matched against
            /// the catalogue's ids and against `models:` names and aliases; stored lower-case.
            pub excluded_models: Vec<String>,
            /// This key's own `disable-cooling` (CLIProxyAPI v7): `true` never cools it down,
            /// `false` cools it down even when the global `disable-cooling` is set; unset (the
            /// default) follows the global setting.
            pub disable_cooling: Option<bool>,
            $($(#[$fdoc])* pub $field: $ty,)*
        }
    };
}

api_key_entry! {
    /// An entry of `gemini-api-key` (Google AI Studio) or `vertex-api-key`
    /// (Vertex-style endpoints such as zenmux that take an `x-goog-api-key`).
    ProviderKey {}
}

api_key_entry! {
    /// An entry of `codex-api-key`: an OpenAI Responses API key.
    CodexKey {
        /// Use the Responses API websocket transport for this key (default false).
        websockets: bool,
    }
}

api_key_entry! {
    /// An entry of `claude-api-key`: an Anthropic API key.
    ClaudeKey {
        /// Disguise requests from non-Claude-Code clients as Claude Code; `None` = not configured.
        cloak: Option<Cloak>,
        /// Sign the final `/v1/messages` body the way current Claude Code does (default false).
        experimental_cch_signing: bool,
    }
}

/// `claude-api-key[].cloak`: request cloaking for clients other than Claude Code.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Cloak {
    /// When to cloak (default `auto`).
    pub mode: CloakMode,
    /// Replace the client's system prompt instead of prepending to it (default false).
    pub strict_mode: bool,
    /// Words to break up with zero-width characters before sending.
    pub sensitive_words: Vec<String>,
    /// Reuse one generated `user_id` per API key instead of a new one per request (default false).
    pub cache_user_id: bool,
}

/// `cloak.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CloakMode {
    /// Cloak only when the client is not Claude Code (decided from its User-Agent).
    #[default]
    Auto,
    /// Always cloak.
    Always,
    /// Never cloak.
    Never,
}

keyword_enum!(
    CloakMode,
    "one of auto, always, never",
    [
        ("auto", CloakMode::Auto),
        ("always", CloakMode::Always),
        ("never", CloakMode::Never),
    ]
);

/// `claude-header-defaults`: header values used when a Claude client omits them.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct ClaudeHeaderDefaults {
    /// Fallback `User-Agent`.
    pub user_agent: String,
    /// Fallback `X-Stainless-Package-Version`.
    pub package_version: String,
    /// Fallback `X-Stainless-Runtime-Version`.
    pub runtime_version: String,
    /// Pinned `X-Stainless-OS` when the device profile is stabilized.
    pub os: String,
    /// Pinned `X-Stainless-Arch` when the device profile is stabilized.
    pub arch: String,
    /// Fallback `X-Stainless-Timeout`, in seconds, as text.
    pub timeout: String,
    /// Pin one device fingerprint per credential instead of following the client (default false).
    pub stabilize_device_profile: bool,
}

/// `codex-header-defaults`: header values for OAuth Codex requests when the client omits them.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct CodexHeaderDefaults {
    /// Fallback `User-Agent` (HTTP and websocket).
    pub user_agent: String,
    /// Fallback `x-codex-beta-features` header (websocket only).
    pub beta_features: String,
}

/// An entry of `openai-compatibility`: any provider speaking the OpenAI chat API.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct OpenAiCompatibility {
    /// Provider name; its lower-case form identifies the provider (required).
    pub name: String,
    /// Preference when several providers can serve a model; higher wins (default 0).
    pub priority: i32,
    /// Optional namespace: when set, clients reach these models as `prefix/alias`.
    pub prefix: String,
    /// API root such as `https://openrouter.ai/api/v1` (required, `http://` or `https://`).
    pub base_url: String,
    /// Extra HTTP headers sent with every request to this provider.
    pub headers: BTreeMap<String, String>,
    /// The provider's keys; requests rotate over them.
    pub api_key_entries: Vec<ApiKeyEntry>,
    /// Models offered; one alias may list several upstream names to form a pool.
    pub models: Vec<ModelAlias>,
    /// The provider's own `disable-cooling` for all its keys (CLIProxyAPI v7); unset follows
    /// the global setting.
    pub disable_cooling: Option<bool>,
}

/// `openai-compatibility[].api-key-entries[]`: one key, optionally with its own proxy.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct ApiKeyEntry {
    /// The key sent as `Authorization: Bearer`.
    pub api_key: Secret,
    /// Proxy for this key only; `direct`/`none` bypass all proxies.
    pub proxy_url: String,
}

/// A model offered by a credential: the upstream `name` and the `alias` clients use.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct ModelAlias {
    /// Model name sent upstream.
    pub name: String,
    /// Name clients ask for; empty means the same as `name`.
    pub alias: String,
    /// Reasoning support of this model (OpenAI-compatible providers only); `None` means
    /// the levels low, medium and high.
    pub thinking: Option<Thinking>,
}

/// `models[].thinking`: what reasoning settings the upstream model accepts.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Thinking {
    /// Smallest thinking budget in tokens (inclusive).
    pub min: u32,
    /// Largest thinking budget in tokens (inclusive).
    pub max: u32,
    /// A budget of 0 (thinking off) is accepted.
    pub zero_allowed: bool,
    /// A budget of -1 (model decides) is accepted.
    pub dynamic_allowed: bool,
    /// Discrete effort levels (e.g. low, medium, high); when set, levels are used instead of budgets.
    pub levels: Vec<String>,
}

/// `ampcode`: routing for the Amp CLI / IDE through this gateway.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Ampcode {
    /// Amp control plane for non-model calls, e.g. `https://ampcode.com`.
    pub upstream_url: String,
    /// Key for the Amp upstream; empty means the environment or Amp's secrets file.
    pub upstream_api_key: Secret,
    /// Per-client Amp keys: clients authenticated with `api-keys` use `upstream-api-key`.
    pub upstream_api_keys: Vec<AmpUpstreamKey>,
    /// Serve Amp's management routes to localhost only (default false).
    pub restrict_management_to_localhost: bool,
    /// Stand-in models for models Amp asks for that no local credential serves.
    pub model_mappings: Vec<AmpModelMapping>,
    /// Apply `model-mappings` before looking for local credentials (default false).
    pub force_model_mappings: bool,
}

/// `ampcode.upstream-api-keys[]`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct AmpUpstreamKey {
    /// The Amp key to use upstream.
    pub upstream_api_key: Secret,
    /// The client keys (from top-level `api-keys`) that use it.
    pub api_keys: Vec<Secret>,
}

/// `ampcode.model-mappings[]`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct AmpModelMapping {
    /// Model Amp requests.
    pub from: String,
    /// Model served instead.
    pub to: String,
    /// Treat `from` as a regular expression, tried after exact matches (default false).
    pub regex: bool,
}

/// `oauth-model-alias.<channel>[]`: renames a model of an OAuth channel.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct OAuthModelAlias {
    /// The channel's own model name.
    pub name: String,
    /// Name clients see and ask for.
    pub alias: String,
    /// Keep `name` listed as well and add `alias` as an extra model (default false).
    pub fork: bool,
}

/// `payload`: edits applied to the upstream request body after translation.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Payload {
    /// Set these JSON paths only when the request lacks them.
    pub default: Vec<PayloadRule>,
    /// As `default`, with each value given as JSON text.
    pub default_raw: Vec<PayloadRule>,
    /// Always set these JSON paths (YAML key `override`).
    #[serde(rename = "override")]
    pub overrides: Vec<PayloadRule>,
    /// As `override`, with each value given as JSON text.
    pub override_raw: Vec<PayloadRule>,
    /// Remove these JSON paths.
    pub filter: Vec<PayloadFilter>,
}

/// A `payload` set rule: which models, and which JSON path gets which value.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct PayloadRule {
    /// Models the rule applies to.
    pub models: Vec<PayloadModel>,
    /// Dotted JSON path → value (JSON text in the `-raw` lists).
    pub params: BTreeMap<String, serde_json::Value>,
}

/// A `payload.filter` rule: which models, and which JSON paths to delete.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct PayloadFilter {
    /// Models the rule applies to.
    pub models: Vec<PayloadModel>,
    /// Dotted JSON paths to remove.
    pub params: Vec<String>,
}

/// A model selector in a payload rule.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct PayloadModel {
    /// Model name or `*` pattern.
    pub name: String,
    /// Upstream format the rule is limited to (openai, gemini, claude, codex, antigravity); empty = any.
    pub protocol: String,
}
