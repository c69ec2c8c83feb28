//! The TLS configuration every transport of the process shares (the `rustls` feature).
//!
//! reqwest builds a new certificate verifier for each client, and building one reads every CA
//! file of the system (about 150 on a Debian host: 3–5 ms and 2–3 MB per client, even for an
//! `http://` base URL that never does TLS). The transport instead builds one rustls
//! configuration per process and hands a clone to each client. Its verifier loads the roots on
//! the first certificate it checks, so clients of `http://` URLs never load them, and a process
//! loads them at most once.
//!
//! Roots: the operating system's (rustls-platform-verifier, as reqwest's own `rustls` feature),
//! or with the `webpki-roots` feature the Mozilla set compiled into the program.
//!
//! A caller's [`http_client_with`](crate::TransportBuilder::http_client_with) hook may change
//! any TLS setting (extra roots, client certificates, versions), so with a hook reqwest builds
//! the TLS configuration itself, as it does without this module.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

/// The shared configuration, built at the first call (cheap: no roots are read here).
pub(crate) fn shared_config() -> Result<ClientConfig, rustls::Error> {
    static CONFIG: OnceLock<Result<ClientConfig, rustls::Error>> = OnceLock::new();
    CONFIG.get_or_init(build_config).clone()
}

/// The builder with the shared configuration (used when the caller gave no hook).
pub(crate) fn preconfigured(
    builder: reqwest::ClientBuilder,
) -> crate::Result<reqwest::ClientBuilder> {
    let config = shared_config().map_err(|e| {
        crate::Error::InvalidArgument(format!("could not build the TLS configuration: {e}"))
    })?;
    Ok(builder.tls_backend_preconfigured(config))
}

/// Prepares the builder a caller's hook receives: with `webpki-roots`, the bundled roots
/// replace the system's there too (the hook may add more); without, nothing changes.
pub(crate) fn before_hook(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    #[cfg(feature = "webpki-roots")]
    {
        let bundled = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .filter_map(|der| reqwest::Certificate::from_der(der).ok());
        builder.tls_certs_only(bundled)
    }
    #[cfg(not(feature = "webpki-roots"))]
    builder
}

fn build_config() -> Result<ClientConfig, rustls::Error> {
    // The provider reqwest would pick: one the program installed, else aws-lc-rs.
    let provider = CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    let verifier = Arc::new(LazyRoots {
        provider: provider.clone(),
        loaded: OnceLock::new(),
    });
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // What reqwest offers with its `http2` feature on and no version preference.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Counts root loads, for the test that building clients loads none.
#[cfg(test)]
static LOADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A verifier that reads the roots the first time it checks a certificate and keeps them.
#[derive(Debug)]
struct LazyRoots {
    provider: Arc<CryptoProvider>,
    loaded: OnceLock<Result<Arc<dyn ServerCertVerifier>, rustls::Error>>,
}

impl LazyRoots {
    fn verifier(&self) -> Result<&Arc<dyn ServerCertVerifier>, rustls::Error> {
        self.loaded
            .get_or_init(|| {
                #[cfg(test)]
                LOADS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                load_roots(self.provider.clone())
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

#[cfg(not(feature = "webpki-roots"))]
fn load_roots(provider: Arc<CryptoProvider>) -> Result<Arc<dyn ServerCertVerifier>, rustls::Error> {
    Ok(Arc::new(rustls_platform_verifier::Verifier::new(provider)?))
}

#[cfg(feature = "webpki-roots")]
fn load_roots(provider: Arc<CryptoProvider>) -> Result<Arc<dyn ServerCertVerifier>, rustls::Error> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned());
    rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map(|v| v as Arc<dyn ServerCertVerifier>)
        .map_err(|e| rustls::Error::General(format!("the bundled CA roots: {e}")))
}

impl ServerCertVerifier for LazyRoots {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.verifier()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verifier()?.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verifier()?.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        // The same list the loaded verifier gives: the provider's, independent of the roots.
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    #[test]
    fn building_clients_reads_no_roots() {
        let before = LOADS.load(Ordering::SeqCst);
        for base in ["http://127.0.0.1:1", "https://127.0.0.1:1"] {
            for _ in 0..3 {
                crate::Transport::builder(base).build().unwrap();
            }
        }
        assert_eq!(LOADS.load(Ordering::SeqCst), before);
    }

    #[test]
    fn the_config_offers_h2_and_http1() {
        let config = shared_config().unwrap();
        assert_eq!(
            config.alpn_protocols,
            [b"h2".to_vec(), b"http/1.1".to_vec()]
        );
    }
}
