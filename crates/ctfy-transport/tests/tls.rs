//! https on loopback: the transport's shared TLS configuration (no hook), a caller's roots
//! through `http_client_with`, and the system roots read from `SSL_CERT_FILE`.
//!
//! `fixtures/tls/`: a test CA (`ca.der`, `ca.pem`) and a server certificate it issued for
//! `127.0.0.1` and `localhost` (`leaf.der`, key `leaf.key.der`, PKCS#8), valid until 2126.
//! Made with the openssl CLI: an EC P-256 CA (`basicConstraints=CA:TRUE`) and a leaf with
//! `CA:FALSE`, `extendedKeyUsage=serverAuth`, `subjectAltName=IP:127.0.0.1,DNS:localhost`.
#![cfg(all(
    any(feature = "rustls", feature = "rustls-ring"),
    not(feature = "native-tls")
))]

use std::error::Error as _;
use std::sync::Arc;

use ctfy_transport::{Error, Request, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types};

const CA_DER: &[u8] = include_bytes!("fixtures/tls/ca.der");
const LEAF_DER: &[u8] = include_bytes!("fixtures/tls/leaf.der");
const LEAF_KEY: &[u8] = include_bytes!("fixtures/tls/leaf.key.der");
const BODY: &str = r#"{"status":"ok"}"#;

/// An https server on 127.0.0.1 answering every request with `BODY`; returns its base URL.
async fn https_server() -> String {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![pki_types::CertificateDer::from(LEAF_DER.to_vec())],
            pki_types::PrivateKeyDer::Pkcs8(LEAF_KEY.to_vec().into()),
        )
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A refused handshake ends here: the client reports it.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{BODY}",
                    BODY.len()
                );
                let _ = tls.write_all(reply.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    format!("https://127.0.0.1:{port}")
}

async fn get(t: &Transport) -> Result<serde_json::Value, Error> {
    t.json(&Request::get("/health", &[]).unwrap()).await
}

/// The error and all its sources, as one string.
fn chain(e: &Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(" / ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

#[tokio::test]
async fn a_server_the_roots_do_not_vouch_for_is_refused() {
    let base = https_server().await;
    let t = Transport::builder(&base)
        .token("pt_secret")
        .build()
        .unwrap();
    let err = get(&t).await.unwrap_err();
    let text = chain(&err);
    assert!(matches!(err, Error::Http { .. }), "{text}");
    assert!(
        text.contains("UnknownIssuer") || text.contains("certificate"),
        "{text}"
    );
    assert!(!text.contains("pt_secret"), "{text}");
}

#[tokio::test]
async fn roots_added_through_the_hook_are_trusted() {
    let base = https_server().await;
    let t = Transport::builder(&base)
        .http_client_with(|b| b.tls_certs_merge([reqwest::Certificate::from_der(CA_DER).unwrap()]))
        .build()
        .unwrap();
    assert_eq!(get(&t).await.unwrap(), serde_json::json!({"status": "ok"}));
}

/// A hook whose TLS settings the backend refuses: `Error::Build`, with reqwest's error (and
/// its reason) as the source, instead of a string.
#[test]
fn a_client_the_backend_cannot_build_is_a_build_error_with_its_source() {
    let err = Transport::builder("https://127.0.0.1:1")
        .token("pt_secret")
        .http_client_with(|b| {
            b.tls_version_min(reqwest::tls::Version::TLS_1_3)
                .tls_version_max(reqwest::tls::Version::TLS_1_2)
        })
        .build()
        .unwrap_err();
    let text = chain(&err);
    assert!(
        matches!(
            err,
            Error::Build {
                what: "the HTTP client",
                ..
            }
        ),
        "{text}"
    );
    assert_eq!(err.to_string(), "could not build the HTTP client");
    assert!(text.contains("empty supported tls versions"), "{text}");
    assert!(!err.is_retryable() && !text.contains("pt_secret"), "{text}");
}

/// The shared configuration's verifier reads the system roots, which `SSL_CERT_FILE` names:
/// run in a child process of this test binary, so the variable is set before anything reads
/// the roots and touches no other test.
#[cfg(not(feature = "webpki-roots"))]
#[test]
fn the_shared_configuration_trusts_the_system_roots() {
    if std::env::var_os("CTFY_TLS_CHILD").is_some() {
        return;
    }
    let ca = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls/ca.pem");
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "system_roots_child",
            "--include-ignored",
            "--nocapture",
        ])
        .env("CTFY_TLS_CHILD", "1")
        .env("SSL_CERT_FILE", ca)
        .env_remove("SSL_CERT_DIR")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed"), "{text}");
}

#[cfg(not(feature = "webpki-roots"))]
#[tokio::test]
#[ignore = "run by the_shared_configuration_trusts_the_system_roots, with SSL_CERT_FILE set"]
async fn system_roots_child() {
    assert!(std::env::var_os("SSL_CERT_FILE").is_some());
    let base = https_server().await;
    // Several clients, one process-wide configuration: each call succeeds.
    for _ in 0..3 {
        let t = Transport::builder(&base).build().unwrap();
        assert_eq!(get(&t).await.unwrap(), serde_json::json!({"status": "ok"}));
    }
}
