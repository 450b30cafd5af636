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
    if matches!(up.roots, RootStore::Webpki | RootStore::Both) {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    if matches!(up.roots, RootStore::Native | RootStore::Both) {
        let native = rustls_native_certs::load_native_certs();
        for e in &native.errors {
            tracing::warn!(error = %e, "some system root certificates could not be loaded");
        }
        let (added, _) = roots.add_parsable_certificates(native.certs);
        tracing::debug!(added, "system root certificates loaded");
    }
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
        for c in certs {
            roots.add(c)?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Connector(tokio_rustls::TlsConnector::from(Arc::new(cfg))))
}
