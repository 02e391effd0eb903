use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

/// A throwaway RSA key (rcgen on ring cannot make RSA keys).
const RSA_KEY: &str = include_str!("../../../tests/fixtures/tls/rsa2048-throwaway-key.pem");

struct Pki {
    dir: tempfile::TempDir,
    ca: CertifiedIssuer<'static, KeyPair>,
}

impl Pki {
    fn new() -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let pki = Pki {
            dir: tempfile::tempdir().unwrap(),
            ca,
        };
        pki.write("ca.pem", &pki.ca.pem());
        pki
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        std::fs::write(self.path(name), text).unwrap();
        self.path(name)
    }

    /// A leaf for `127.0.0.1` signed by the CA, with `key` (PEM) or a new
    /// ECDSA P-256 key; returns the (cert, key) paths.
    fn leaf(&self, name: &str, key: Option<&str>) -> (PathBuf, PathBuf) {
        let key = match key {
            Some(pem) => KeyPair::from_pem(pem).unwrap(),
            None => KeyPair::generate().unwrap(),
        };
        let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
            .unwrap()
            .signed_by(&key, &*self.ca)
            .unwrap();
        (
            self.write(&format!("{name}.crt"), &cert.pem()),
            self.write(&format!("{name}.key"), &key.serialize_pem()),
        )
    }

    fn files(&self, leaf: (PathBuf, PathBuf)) -> TlsFiles {
        TlsFiles {
            cert: leaf.0,
            key: leaf.1,
            client_ca: None,
        }
    }

    fn client(&self, cert: Option<(PathBuf, PathBuf)>) -> Arc<rustls::ClientConfig> {
        let mut roots = RootCertStore::empty();
        for c in load_certs(&self.path("ca.pem")).unwrap() {
            roots.add(c).unwrap();
        }
        // A stock client: rustls's own suite order, not the gateway's.
        let stock = Arc::new(rustls::crypto::ring::default_provider());
        let b = rustls::ClientConfig::builder_with_provider(stock)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
        Arc::new(match cert {
            None => b.with_no_client_auth(),
            Some((c, k)) => b
                .with_client_auth_cert(load_certs(&c).unwrap(), load_key(&k).unwrap())
                .unwrap(),
        })
    }
}

/// A handshake plus one byte each way over an in-memory pipe: the suite
/// the server chose, or its error if it refused.
async fn handshake(
    server: Arc<rustls::ServerConfig>,
    client: Arc<rustls::ClientConfig>,
) -> Result<rustls::CipherSuite, String> {
    handshake_kind(server, client).await.map(|(suite, _)| suite)
}

/// As [`handshake`], with whether the server resumed a session.
async fn handshake_kind(
    server: Arc<rustls::ServerConfig>,
    client: Arc<rustls::ClientConfig>,
) -> Result<(rustls::CipherSuite, Option<rustls::HandshakeKind>), String> {
    handshake_facts(server, client)
        .await
        .map(|(suite, kind, _)| (suite, kind))
}

/// The suite, the kind of handshake and the key exchange group.
async fn handshake_facts(
    server: Arc<rustls::ServerConfig>,
    client: Arc<rustls::ClientConfig>,
) -> Result<
    (
        rustls::CipherSuite,
        Option<rustls::HandshakeKind>,
        Option<rustls::NamedGroup>,
    ),
    String,
> {
    let kind = std::sync::Mutex::new(None);
    let group = std::sync::Mutex::new(None);
    let (a, b) = tokio::io::duplex(64 * 1024);
    let accept = async {
        let mut s = tokio_rustls::TlsAcceptor::from(server)
            .accept(a)
            .await
            .map_err(|e| e.to_string())?;
        let mut byte = [0u8; 1];
        s.read_exact(&mut byte).await.map_err(|e| e.to_string())?;
        s.write_all(&byte).await.map_err(|e| e.to_string())?;
        s.flush().await.map_err(|e| e.to_string())?;
        let conn = s.get_ref().1;
        *kind.lock().unwrap() = conn.handshake_kind();
        *group.lock().unwrap() = conn.negotiated_key_exchange_group().map(|g| g.name());
        conn.negotiated_cipher_suite()
            .map(|s| s.suite())
            .ok_or_else(|| "no suite".to_string())
    };
    let connect = async {
        let name = ServerName::try_from("127.0.0.1").unwrap();
        let Ok(mut c) = tokio_rustls::TlsConnector::from(client)
            .connect(name, b)
            .await
        else {
            return;
        };
        let _ = c.write_all(b"x").await;
        let _ = c.flush().await;
        let mut byte = [0u8; 1];
        let _ = c.read_exact(&mut byte).await;
    };
    let suite = tokio::join!(accept, connect).0?;
    let kind = *kind.lock().unwrap();
    let group = *group.lock().unwrap();
    Ok((suite, kind, group))
}

#[tokio::test]
async fn a_stock_client_gets_a_full_x25519_handshake_from_aws_lc_key_exchange() {
    let names = |groups: &[&dyn rustls::crypto::SupportedKxGroup]| {
        groups.iter().map(|g| g.name()).collect::<Vec<_>>()
    };
    // The groups and their order are ring's; only the arithmetic moved.
    assert_eq!(
        names(&provider().kx_groups),
        names(&rustls::crypto::ring::default_provider().kx_groups)
    );
    let pki = Pki::new();
    let server = server_config(&pki.files(pki.leaf("s", None))).unwrap();
    let (_, kind, group) = handshake_facts(server, pki.client(None)).await.unwrap();
    assert_eq!(kind, Some(rustls::HandshakeKind::Full));
    assert_eq!(group, Some(rustls::NamedGroup::X25519));
}

#[tokio::test]
async fn sessions_resume_only_when_configured() {
    use rustls::HandshakeKind::{Full, Resumed};
    let pki = Pki::new();
    let files = pki.files(pki.leaf("s", None));
    let tls12_client = || {
        let stock = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        for cert in load_certs(&pki.path("ca.pem")).unwrap() {
            roots.add(cert).unwrap();
        }
        let c12 = rustls::ClientConfig::builder_with_provider(stock)
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(c12)
    };
    let cases = [
        (Resumption::default(), pki.client(None), Full),
        (Resumption::default(), tls12_client(), Full),
        (
            Resumption {
                tickets: true,
                session_cache: 0,
            },
            pki.client(None),
            Resumed,
        ),
        (
            Resumption {
                tickets: false,
                session_cache: 16,
            },
            tls12_client(),
            Resumed,
        ),
        // Session IDs alone never resume TLS 1.3: no stateful tickets.
        (
            Resumption {
                tickets: false,
                session_cache: 16,
            },
            pki.client(None),
            Full,
        ),
    ];
    for (i, (resumption, client, second)) in cases.into_iter().enumerate() {
        let server = server_config_with(&files, resumption).unwrap();
        let first = handshake_kind(server.clone(), client.clone())
            .await
            .unwrap();
        assert_eq!(first.1, Some(Full), "case {i}");
        let again = handshake_kind(server, client).await.unwrap();
        assert_eq!(again.1, Some(second), "case {i}");
    }
}

#[tokio::test]
async fn ecdsa_and_rsa_certificates_serve_handshakes() {
    let pki = Pki::new();
    for (name, key) in [("ec", None), ("rsa", Some(RSA_KEY))] {
        let server = server_config(&pki.files(pki.leaf(name, key))).unwrap();
        handshake(server, pki.client(None))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[tokio::test]
async fn the_server_picks_a_sha256_suite_whatever_the_client_prefers() {
    let pki = Pki::new();
    let server = server_config(&pki.files(pki.leaf("s", None))).unwrap();
    // rustls, like OpenSSL, lists AES-256-GCM-SHA384 first.
    let client = pki.client(None);
    let first = client.crypto_provider().cipher_suites[0].suite();
    assert_eq!(first, rustls::CipherSuite::TLS13_AES_256_GCM_SHA384);
    let chosen = handshake(server, client).await.unwrap();
    assert_eq!(chosen, rustls::CipherSuite::TLS13_AES_128_GCM_SHA256);
}

#[tokio::test]
async fn a_client_ca_admits_only_certificates_it_issued() {
    let pki = Pki::new();
    let mut files = pki.files(pki.leaf("server", None));
    files.client_ca = Some(pki.path("ca.pem"));
    let server = server_config(&files).unwrap();
    let ours = pki.leaf("cpe", None);
    handshake(server.clone(), pki.client(Some(ours)))
        .await
        .unwrap();
    assert!(handshake(server.clone(), pki.client(None)).await.is_err());
    let other = Pki::new();
    let stranger = other.leaf("cpe", None);
    assert!(handshake(server, pki.client(Some(stranger))).await.is_err());
}

#[test]
fn bad_files_are_errors_that_name_them() {
    let pki = Pki::new();
    let (cert, key) = pki.leaf("a", None);
    let (_, other_key) = pki.leaf("b", None);
    let garbage = pki.write("garbage.pem", "not pem at all\n");
    let cases = [
        (pki.path("missing.pem"), key.clone(), None, "cannot read"),
        (garbage.clone(), key.clone(), None, "no CERTIFICATE"),
        (cert.clone(), garbage.clone(), None, "no PRIVATE KEY"),
        (cert.clone(), cert.clone(), None, "no PRIVATE KEY"),
        (cert.clone(), other_key, None, "does not belong"),
        (
            cert.clone(),
            key.clone(),
            Some(garbage.clone()),
            "client CA",
        ),
    ];
    for (cert, key, client_ca, want) in cases {
        let err = server_config(&TlsFiles {
            cert: cert.clone(),
            key,
            client_ca,
        })
        .err()
        .unwrap_or_else(|| panic!("{want}: accepted"))
        .to_string();
        assert!(err.contains(want), "{want}: {err}");
        assert!(err.contains(pki.dir.path().to_str().unwrap()), "{err}");
    }
}

#[test]
fn oversized_files_are_refused_unread() {
    let pki = Pki::new();
    let (_, key) = pki.leaf("a", None);
    let big = pki.write("big.pem", &"A".repeat(MAX_PEM_BYTES as usize + 10));
    let err = server_config(&TlsFiles {
        cert: big,
        key,
        client_ca: None,
    })
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("larger than"), "{err}");
}
