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
//! or with the `webpki-roots` feature the Mozilla set compiled into the program. Only a
//! successful load is kept: after a failure (a CA file unreadable for a moment, say), the
//! handshake fails, and a handshake at least [`RETRY_INTERVAL`] later loads them again.
//!
//! Crypto provider: one the program installed as the process default, else the feature's
//! (`rustls-ring`: ring, which wins over `rustls`: aws-lc-rs).
//!
//! A caller's [`http_client_with`](crate::TransportBuilder::http_client_with) hook may change
//! any TLS setting (extra roots, client certificates, versions), so with a hook reqwest builds
//! the TLS configuration itself, as it does without this module.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

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
pub fn preconfigured(builder: reqwest::ClientBuilder) -> crate::Result<reqwest::ClientBuilder> {
    let config = shared_config().map_err(|e| crate::Error::Build {
        what: "the TLS configuration",
        source: Box::new(e),
    })?;
    Ok(builder.tls_backend_preconfigured(config))
}

/// Prepares the builder a caller's hook receives: with `webpki-roots`, the bundled roots
/// replace the system's there too (the hook may add more); without, nothing changes.
pub(crate) fn before_hook(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    // With a hook, reqwest builds the TLS configuration itself, with the process's default
    // provider, else its own fallback: aws-lc-rs with `rustls`, and none (it panics) when only
    // `rustls-ring` is on. Make ring the default, unless the program installed one.
    #[cfg(feature = "rustls-ring")]
    if CryptoProvider::get_default().is_none() {
        // Losing a race to another installer is fine: a default is then in place.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
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
    // One the program installed, else the feature's.
    let provider = CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(feature_provider()));
    let verifier = Arc::new(LazyRoots::new(provider.clone(), load_roots));
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // What reqwest offers with its `http2` feature on and no version preference.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The crypto provider of the features: ring with `rustls-ring`, else aws-lc-rs.
fn feature_provider() -> CryptoProvider {
    #[cfg(feature = "rustls-ring")]
    return rustls::crypto::ring::default_provider();
    #[cfg(not(feature = "rustls-ring"))]
    return rustls::crypto::aws_lc_rs::default_provider();
}

/// Counts root loads, for the test that building clients loads none.
#[cfg(test)]
static LOADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How long after a failed load of the roots the next handshake tries again (before that,
/// handshakes fail with the same error without reading anything).
const RETRY_INTERVAL: Duration = Duration::from_secs(1);

/// What loads the roots: [`load_roots`], or a stand-in in tests.
type Loader = fn(Arc<CryptoProvider>) -> Result<Arc<dyn ServerCertVerifier>, rustls::Error>;

/// A verifier that reads the roots the first time it checks a certificate and keeps them once
/// a load succeeds.
#[derive(Debug)]
struct LazyRoots {
    provider: Arc<CryptoProvider>,
    loaded: OnceLock<Arc<dyn ServerCertVerifier>>,
    /// The last failed load, when no load succeeded yet; the lock also makes concurrent
    /// handshakes wait for one load instead of each reading the roots.
    failed: Mutex<Option<(Instant, rustls::Error)>>,
    load: Loader,
    retry_interval: Duration,
}

impl LazyRoots {
    fn new(provider: Arc<CryptoProvider>, load: Loader) -> Self {
        Self {
            provider,
            loaded: OnceLock::new(),
            failed: Mutex::new(None),
            load,
            retry_interval: RETRY_INTERVAL,
        }
    }

    fn verifier(&self) -> Result<&Arc<dyn ServerCertVerifier>, rustls::Error> {
        if let Some(verifier) = self.loaded.get() {
            return Ok(verifier);
        }
        let mut failed = self.failed.lock().unwrap_or_else(PoisonError::into_inner);
        // Loaded by the handshake this one waited for.
        if let Some(verifier) = self.loaded.get() {
            return Ok(verifier);
        }
        if let Some((at, e)) = failed.as_ref() {
            if at.elapsed() < self.retry_interval {
                return Err(e.clone());
            }
        }
        #[cfg(test)]
        LOADS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        match (self.load)(self.provider.clone()) {
            Ok(verifier) => {
                *failed = None;
                Ok(self.loaded.get_or_init(|| verifier))
            }
            Err(e) => {
                *failed = Some((Instant::now(), e.clone()));
                Err(e)
            }
        }
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

    /// How many times [`flaky`] was called.
    static FLAKY_CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    /// A loader that fails at its first call and works after.
    fn flaky(provider: Arc<CryptoProvider>) -> Result<Arc<dyn ServerCertVerifier>, rustls::Error> {
        if FLAKY_CALLS.fetch_add(1, Ordering::SeqCst) == 0 {
            return Err(rustls::Error::General(
                "the CA files could not be read".into(),
            ));
        }
        Ok(Arc::new(NoRoots(provider)))
    }

    /// A verifier that accepts nothing (the test only checks that one was loaded).
    #[derive(Debug)]
    struct NoRoots(Arc<CryptoProvider>);

    impl ServerCertVerifier for NoRoots {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Err(rustls::Error::General("no roots".into()))
        }
        fn verify_tls12_signature(
            &self,
            _: &[u8],
            _: &CertificateDer<'_>,
            _: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            Err(rustls::Error::General("no roots".into()))
        }
        fn verify_tls13_signature(
            &self,
            _: &[u8],
            _: &CertificateDer<'_>,
            _: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            Err(rustls::Error::General("no roots".into()))
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }

    #[test]
    fn a_failed_load_of_the_roots_is_retried_not_kept() {
        let mut roots = LazyRoots::new(Arc::new(feature_provider()), flaky);
        roots.retry_interval = Duration::from_millis(50);
        let first = roots.verifier().map(|_| ()).unwrap_err();
        assert!(first.to_string().contains("could not be read"), "{first}");
        // Within the interval: the same error, nothing read again.
        assert_eq!(roots.verifier().map(|_| ()), Err(first));
        assert_eq!(FLAKY_CALLS.load(Ordering::SeqCst), 1);
        std::thread::sleep(Duration::from_millis(60));
        assert!(roots.verifier().is_ok());
        assert_eq!(FLAKY_CALLS.load(Ordering::SeqCst), 2);
        // A success is kept.
        assert!(roots.verifier().is_ok());
        assert_eq!(FLAKY_CALLS.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn the_backend_is_the_feature_s() {
        // aws-lc-rs offers the post-quantum X25519MLKEM768 key exchange; ring does not.
        let post_quantum = |p: &CryptoProvider| {
            p.kx_groups
                .iter()
                .any(|g| g.name() == rustls::NamedGroup::X25519MLKEM768)
        };
        let used = shared_config().unwrap().crypto_provider().clone();
        if cfg!(feature = "rustls-ring") {
            assert_eq!(crate::TLS_BACKEND, "rustls (ring)");
            assert!(!post_quantum(&feature_provider()) && !post_quantum(&used));
        } else {
            assert_eq!(crate::TLS_BACKEND, "rustls (aws-lc-rs)");
            assert!(post_quantum(&feature_provider()) && post_quantum(&used));
        }
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
