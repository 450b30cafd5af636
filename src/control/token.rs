//! The token request itself: a blocking HTTP POST from the control thread (never a worker) of
//! the signed assertion to the key's `token_uri`, through the credential's proxy or the global
//! `proxy-url`, trusting the same roots as the workers (`upstream.roots`, `upstream.ca-files`).
//! Errors name the credential file and the endpoint, never the assertion or the token.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ureq::tls::{Certificate, RootCerts, TlsConfig};

use crate::auth::accounts::{Account, RefreshError};
use crate::auth::vertex::{self, Minted};
use crate::config::Config;
use crate::upstream::proxy::{self, Proxy, Scheme};
use crate::upstream::tls::{self, TlsError};

/// Longest a token request may take, connect included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest token answer read.
const ANSWER_LIMIT: u64 = 64 * 1024;

/// Sends token requests; keeps one HTTP agent (with its connection pool) per proxy choice.
pub struct Minter {
    tls: TlsConfig,
    global_proxy: String,
    connect_timeout: Option<Duration>,
    agents: HashMap<String, ureq::Agent>,
}

impl Minter {
    /// A minter for `config`'s proxy and TLS settings. Reads CA files: startup only.
    pub fn new(config: &Config) -> Result<Minter, TlsError> {
        let up = &config.upstream;
        let extra = tls::system_roots(up)
            .into_iter()
            .chain(tls::ca_file_roots(up)?)
            .collect::<Vec<_>>();
        let roots = if extra.is_empty() && tls::trusts_webpki(up) {
            RootCerts::WebPki
        } else {
            let webpki: &[_] = if tls::trusts_webpki(up) {
                webpki_root_certs::TLS_SERVER_ROOT_CERTS
            } else {
                &[]
            };
            RootCerts::from(
                webpki
                    .iter()
                    .chain(&extra)
                    .map(|c| Certificate::from_der(c.as_ref()).to_owned()),
            )
        };
        Ok(Minter {
            tls: TlsConfig::builder().root_certs(roots).build(),
            global_proxy: config.proxy_url.clone(),
            connect_timeout: up.connect_timeout(),
            agents: HashMap::new(),
        })
    }

    /// Exchanges a fresh assertion of `account` for an access token.
    pub fn mint(&mut self, account: &Account) -> Result<Minted, RefreshError> {
        let name = &account.name;
        let sa = &account.file.account;
        let fail = |refused: bool, what: String| RefreshError {
            refused,
            message: format!("{name}: {what}"),
        };
        let proxy = proxy::choose(&account.file.common.proxy_url, &self.global_proxy)
            .map_err(|e| fail(true, format!("proxy_url: {e}")))?;
        let agent = self.agent(proxy.as_ref()).map_err(|e| fail(true, e))?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let form = sa
            .token_request_form(now)
            .map_err(|e| fail(true, e.to_string()))?;
        let endpoint = &sa.token_uri;
        let mut answer = agent
            .post(endpoint)
            .send_form(form.iter().map(|(k, v)| (*k, v.expose())))
            .map_err(|e| fail(false, format!("token request to {endpoint} failed: {e}")))?;
        let status = answer.status();
        let body = answer
            .body_mut()
            .with_config()
            .limit(ANSWER_LIMIT)
            .read_to_vec()
            .map_err(|e| {
                fail(
                    false,
                    format!("reading the answer of {endpoint} failed: {e}"),
                )
            })?;
        vertex::parse_token_answer(status.is_success(), &body).map_err(|e| {
            fail(
                status.is_client_error(),
                format!("{endpoint} answered {}: {e}", status.as_u16()),
            )
        })
    }

    fn agent(&mut self, proxy: Option<&Proxy>) -> Result<&ureq::Agent, String> {
        let key = proxy.map_or_else(String::new, |p| p.pool_key().to_owned());
        if !self.agents.contains_key(&key) {
            let agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .proxy(proxy.map(ureq_proxy).transpose()?)
                .tls_config(self.tls.clone())
                .timeout_connect(self.connect_timeout)
                .timeout_global(Some(REQUEST_TIMEOUT))
                .user_agent(concat!("cliproxy/", env!("CARGO_PKG_VERSION")))
                .build()
                .new_agent();
            self.agents.insert(key.clone(), agent);
        }
        self.agents
            .get(&key)
            .ok_or_else(|| "no HTTP agent".to_owned())
    }
}

/// The same proxy in ureq's terms.
fn ureq_proxy(p: &Proxy) -> Result<ureq::Proxy, String> {
    let protocol = match p.scheme() {
        Scheme::Http => ureq::ProxyProtocol::Http,
        Scheme::Https => ureq::ProxyProtocol::Https,
        Scheme::Socks5 => ureq::ProxyProtocol::Socks5,
        Scheme::Socks5h => ureq::ProxyProtocol::Socks5h,
    };
    let host = if p.host().contains(':') {
        format!("[{}]", p.host())
    } else {
        p.host().to_owned()
    };
    let mut b = ureq::Proxy::builder(protocol).host(&host).port(p.port());
    if let Some(c) = p.credentials() {
        b = b.username(c.user.expose()).password(c.password.expose());
    }
    // The proxy's own text only: ureq's error could quote the credentials.
    b.build()
        .map_err(|_| format!("proxy {p} cannot be used for token requests"))
}
