//! Throwaway TLS identity for the HTTPS mock: a fresh CA per mock and a server certificate for
//! `localhost` and `127.0.0.1` signed by it. Tests trust the CA, never the system roots.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// Builds a TLS acceptor serving a freshly issued certificate, and returns it together with the
/// PEM of the CA that signed it.
pub(super) fn acceptor_and_ca_pem() -> (TlsAcceptor, String) {
    let ca_key = KeyPair::generate().expect("generate test CA key");
    let mut ca_params = CertificateParams::new(Vec::new()).expect("test CA parameters");
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "cliproxy test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = ca_params.self_signed(&ca_key).expect("self-sign test CA");

    let server_key = KeyPair::generate().expect("generate test server key");
    let mut server_params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("test server certificate parameters");
    server_params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = server_params
        .signed_by(&server_key, &ca, &ca_key)
        .expect("sign test server certificate");

    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![server_cert.der().clone(), ca.der().clone()], key)
        .expect("test server certificate matches its key");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    (TlsAcceptor::from(Arc::new(config)), ca.pem())
}
