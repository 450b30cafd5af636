//! TLS for upstream connections: rustls with the ring provider, trusting the webpki roots,
//! the system roots, or both (`upstream.roots`), plus any extra PEM bundles from
//! `upstream.ca-files` (a private CA, or a test's self-signed certificate).

use std::sync::Arc;

use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::config::{self, RootStore};

/// Why the TLS client could not be configured.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A CA file could not be read or holds no certificate.
    #[error("upstream.ca-files: {path}: {reason}")]
    CaFile {
        /// The file.
        path: String,
        /// What was wrong.
        reason: String,
    },
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

/// A TLS connector shared by every worker (cheap to clone).
#[derive(Clone)]
pub struct Connector(pub(crate) tokio_rustls::TlsConnector);

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("tls::Connector")
    }
}

/// Builds the connector from the `upstream` config section. Reads CA files: call it at
/// startup or reload, never on a worker's request path.
pub fn connector(up: &config::Upstream) -> Result<Connector, TlsError> {
    let mut roots = RootCertStore::empty();
    if trusts_webpki(up) {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    let system = system_roots(up);
    if !system.is_empty() {
        let (added, _) = roots.add_parsable_certificates(system);
        tracing::debug!(added, "system root certificates loaded");
    }
    for c in ca_file_roots(up)? {
        roots.add(c)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Connector(tokio_rustls::TlsConnector::from(Arc::new(cfg))))
}

// The three functions below are shared with the control thread's token client, so that it
// trusts exactly what the workers trust.

/// Whether `upstream.roots` includes Mozilla's roots.
pub fn trusts_webpki(up: &config::Upstream) -> bool {
    matches!(up.roots, RootStore::Webpki | RootStore::Both)
}

/// The system store's certificates when `upstream.roots` asks for them (else none).
pub fn system_roots(up: &config::Upstream) -> Vec<CertificateDer<'static>> {
    if !matches!(up.roots, RootStore::Native | RootStore::Both) {
        return Vec::new();
    }
    let native = rustls_native_certs::load_native_certs();
    for e in &native.errors {
        tracing::warn!(error = %e, "some system root certificates could not be loaded");
    }
    native.certs
}

/// Every certificate of `upstream.ca-files`; a file that is unreadable or holds none is an error.
pub fn ca_file_roots(up: &config::Upstream) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let mut out = Vec::new();
    for path in &up.ca_files {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| TlsError::CaFile {
                path: path.clone(),
                reason: e.to_string(),
            })?
            .collect::<Result<_, _>>()
            .map_err(|e| TlsError::CaFile {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        if certs.is_empty() {
            return Err(TlsError::CaFile {
                path: path.clone(),
                reason: "no PEM certificate found".into(),
            });
        }
        out.extend(certs);
    }
    Ok(out)
}
