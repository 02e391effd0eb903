use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::driver::h1::Conn;

/// A CA in `dir/ca.pem`; returns the PEM cert and key of a `127.0.0.1`
/// leaf it signed.
fn pki(dir: &Path) -> (String, String) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &*ca)
        .unwrap();
    (cert.pem(), key.serialize_pem())
}

/// An HTTPS server answering every request on every connection `200 ok`.
async fn server(cert: &str, key: &str) -> SocketAddr {
    let certs = CertificateDer::pem_slice_iter(cert.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut s) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = vec![0u8; 4096];
                while matches!(s.read(&mut buf).await, Ok(n) if n > 0) {
                    let _ = s
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                        .await;
                    let _ = s.flush().await;
                }
            });
        }
    });
    addr
}

#[tokio::test]
async fn sessions_run_over_tls_with_a_trusted_ca_or_insecure() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = pki(dir.path());
    let addr = server(&cert, &key).await;
    let t = Duration::from_secs(5);
    let trusted = TlsOptions {
        ca: Some(dir.path().join("ca.pem")),
        ..TlsOptions::default()
    };
    let insecure = TlsOptions {
        insecure: true,
        ..TlsOptions::default()
    };
    for opts in [trusted, insecure] {
        let target = TlsTarget::new(&opts, "127.0.0.1").unwrap();
        let mut c = Conn::over(target.connect(addr, t).await.unwrap());
        for _ in 0..2 {
            let r = c
                .request("POST", "x", "/", &[], b"<x/>", t, 1024)
                .await
                .unwrap();
            assert_eq!((r.status, &r.body[..]), (200, &b"ok"[..]));
        }
    }
}

#[tokio::test]
async fn a_self_signed_acs_certificate_can_be_its_own_trust_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let me = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let addr = server(&me.cert.pem(), &me.signing_key.serialize_pem()).await;
    std::fs::write(dir.path().join("acs.pem"), me.cert.pem()).unwrap();
    let opts = TlsOptions {
        ca: Some(dir.path().join("acs.pem")),
        ..TlsOptions::default()
    };
    let target = TlsTarget::new(&opts, "127.0.0.1").unwrap();
    target.connect(addr, Duration::from_secs(5)).await.unwrap();
}

#[tokio::test]
async fn a_verified_chain_vouches_for_itself_only() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = pki(dir.path());
    let trusted = server(&cert, &key).await;
    // Same name, a certificate from a CA we do not trust.
    let other = tempfile::tempdir().unwrap();
    let (cert2, key2) = pki(other.path());
    let impostor = server(&cert2, &key2).await;
    let opts = TlsOptions {
        ca: Some(dir.path().join("ca.pem")),
        ..TlsOptions::default()
    };
    let target = TlsTarget::new(&opts, "127.0.0.1").unwrap();
    let t = Duration::from_secs(5);
    for _ in 0..2 {
        target.connect(trusted, t).await.unwrap();
        assert!(target.connect(impostor, t).await.is_err());
    }
}

#[tokio::test]
async fn an_untrusted_server_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = pki(dir.path());
    let addr = server(&cert, &key).await;
    let other = tempfile::tempdir().unwrap();
    pki(other.path());
    let opts = TlsOptions {
        ca: Some(other.path().join("ca.pem")),
        ..TlsOptions::default()
    };
    let target = TlsTarget::new(&opts, "127.0.0.1").unwrap();
    let err = target
        .connect(addr, Duration::from_secs(5))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(err, ClientError::Connect(ref m) if m.starts_with("TLS")),
        "{err}"
    );
}

#[test]
fn bad_options_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = TlsTarget::new(&TlsOptions::default(), "acs").unwrap_err();
    assert!(err.contains("--acs-ca"), "{err}");
    let missing = dir.path().join("missing.pem");
    let opts = TlsOptions {
        ca: Some(missing.clone()),
        ..TlsOptions::default()
    };
    let err = TlsTarget::new(&opts, "acs").unwrap_err();
    assert!(
        err.contains(missing.to_str().unwrap()) && err.contains("cannot read"),
        "{err}"
    );
    std::fs::write(dir.path().join("junk.pem"), "junk").unwrap();
    let opts = TlsOptions {
        insecure: true,
        client_cert: Some((dir.path().join("junk.pem"), dir.path().join("junk.pem"))),
        ..TlsOptions::default()
    };
    let err = TlsTarget::new(&opts, "acs").unwrap_err();
    assert!(err.contains("no CERTIFICATE"), "{err}");
}

#[tokio::test]
async fn each_cpe_resumes_its_own_session_unless_told_not_to() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = pki(dir.path());
    let addr = server(&cert, &key).await;
    let t = Duration::from_secs(5);
    let resumed = |target: TlsTarget| async move {
        let mut c = Conn::over(target.connect(addr, t).await.unwrap());
        // The ticket arrives after the handshake, ahead of the answer.
        c.request("POST", "x", "/", &[], b"", t, 1024)
            .await
            .unwrap();
        c.resumed()
    };
    let mut opts = TlsOptions {
        ca: Some(dir.path().join("ca.pem")),
        ..TlsOptions::default()
    };
    let fleet = TlsTarget::new(&opts, "127.0.0.1").unwrap();
    let (a, b) = (fleet.for_cpe(), fleet.for_cpe());
    assert!(!resumed(a.clone()).await);
    assert!(resumed(a.clone()).await);
    // Another CPE has no session of its own yet: nothing is shared.
    assert!(!resumed(b).await);
    assert!(!resumed(fleet.clone()).await);
    opts.no_resumption = true;
    let off = TlsTarget::new(&opts, "127.0.0.1").unwrap().for_cpe();
    assert!(!resumed(off.clone()).await);
    assert!(!resumed(off).await);
}
