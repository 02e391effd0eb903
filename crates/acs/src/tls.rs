//! TLS for the CWMP listener: the server certificate and key from PEM files
//! and, optionally, the CA that CPE client certificates must chain to.
//!
//! Everything here runs once at startup, so a bad file stops the gateway
//! with a message naming it instead of failing handshakes later.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::RootCertStore;

/// PEM files are a few kilobytes; anything far larger is not one.
const MAX_PEM_BYTES: u64 = 1 << 20;

/// Where the listener's TLS material lives.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Certificate chain, leaf first.
    pub cert: PathBuf,
    /// Private key: PKCS#8, SEC1 (EC) or PKCS#1 (RSA).
    pub key: PathBuf,
    /// When set, CPE must present a certificate chaining to a CA in here.
    pub client_ca: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("TLS certificate {}: {msg}", path.display())]
    Cert { path: PathBuf, msg: String },
    #[error("TLS key {}: {msg}", path.display())]
    Key { path: PathBuf, msg: String },
    #[error("TLS client CA {}: {msg}", path.display())]
    ClientCa { path: PathBuf, msg: String },
    #[error("TLS key {} does not belong to certificate {}", key.display(), cert.display())]
    Mismatch { cert: PathBuf, key: PathBuf },
    #[error("TLS setup: {0}")]
    Other(String),
}

/// The one crypto provider of the gateway: ring, with SHA-256 suites
/// first (the SHA-384 key schedule that OpenSSL-based CPE ask for by
/// default gets no help from the SHA instructions of common x86 servers
/// and cost ~6% of a whole session here, for no gain in this use) and
/// [`key_exchange_groups`].
pub fn provider() -> Arc<CryptoProvider> {
    let mut p = rustls::crypto::ring::default_provider();
    p.kx_groups = key_exchange_groups();
    p.cipher_suites.sort_by_key(|s| {
        use rustls::CipherSuite::*;
        matches!(
            s.suite(),
            TLS13_AES_256_GCM_SHA384
                | TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
                | TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
        )
    });
    Arc::new(p)
}

/// ring's groups in ring's order (X25519, P-256, P-384), computed by
/// aws-lc: its X25519 takes half of ring's time on x86-64 and was a
/// quarter of the gateway's CPU per full handshake. No post-quantum hybrid
/// is offered: CPE do not send one, and it would cost more per handshake.
pub fn key_exchange_groups() -> Vec<&'static dyn rustls::crypto::SupportedKxGroup> {
    use rustls::crypto::aws_lc_rs::kx_group;
    vec![kx_group::X25519, kx_group::SECP256R1, kx_group::SECP384R1]
}

/// How CPE may resume earlier TLS sessions, skipping the certificate and
/// its signature (a periodic-inform CPE reconnects every interval). Off by
/// default: each handshake is then a full one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resumption {
    /// Stateless tickets (TLS 1.3 and 1.2), sealed with a key that rotates
    /// every few hours: no per-CPE state on the gateway at all.
    pub tickets: bool,
    /// TLS 1.2 session IDs kept in memory, the oldest dropped first; 0
    /// keeps none.
    pub session_cache: usize,
}

/// Builds the listener's configuration from `files`, with no resumption.
pub fn server_config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    server_config_with(files, Resumption::default())
}

/// Builds the listener's configuration from `files`.
pub fn server_config_with(
    files: &TlsFiles,
    resumption: Resumption,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let cert_err = |msg: String| TlsError::Cert {
        path: files.cert.clone(),
        msg,
    };
    let certs = load_certs(&files.cert).map_err(cert_err)?;
    let key = load_key(&files.key).map_err(|msg| TlsError::Key {
        path: files.key.clone(),
        msg,
    })?;
    let provider = provider();
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Other(e.to_string()))?;
    let builder = match &files.client_ca {
        None => builder.with_no_client_auth(),
        Some(path) => {
            let ca_err = |msg: String| TlsError::ClientCa {
                path: path.clone(),
                msg,
            };
            let mut roots = RootCertStore::empty();
            for cert in load_certs(path).map_err(ca_err)? {
                roots
                    .add(cert)
                    .map_err(|e| ca_err(format!("not a usable CA certificate: {e}")))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| ca_err(e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_single_cert(certs, key).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => TlsError::Mismatch {
            cert: files.cert.clone(),
            key: files.key.clone(),
        },
        other => TlsError::Key {
            path: files.key.clone(),
            msg: other.to_string(),
        },
    })?;
    // Our order, not the CPE's: see `provider`.
    config.ignore_client_order = true;
    // Stateful TLS 1.3 tickets would sit in a cache that a fleet informing
    // minutes apart churns through long before a CPE comes back, while
    // costing every handshake: tickets are stateless or not sent at all.
    config.send_tls13_tickets = 0;
    if resumption.tickets {
        config.ticketer =
            rustls::crypto::ring::Ticketer::new().map_err(|e| TlsError::Other(e.to_string()))?;
        // One is enough: a CPE holds one session to its one ACS.
        config.send_tls13_tickets = 1;
    }
    config.session_storage = if resumption.session_cache == 0 {
        Arc::new(rustls::server::NoServerSessionStorage {})
    } else {
        rustls::server::ServerSessionMemoryCache::new(resumption.session_cache)
    };
    Ok(Arc::new(config))
}

/// Every certificate in a PEM file; none is an error.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = read_limited(path)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("bad PEM: {e}"))?;
    if certs.is_empty() {
        return Err("no CERTIFICATE block in the file".into());
    }
    Ok(certs)
}

/// The first private key in a PEM file.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let pem = read_limited(path)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => {
            "no PRIVATE KEY block (PKCS#8, EC or RSA) in the file".to_string()
        }
        e => format!("bad PEM: {e}"),
    })
}

fn read_limited(path: &Path) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut out = Vec::new();
    file.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("cannot read: {e}"))?;
    if out.len() as u64 > MAX_PEM_BYTES {
        return Err(format!("larger than {MAX_PEM_BYTES} bytes"));
    }
    Ok(out)
}

#[cfg(test)]
#[path = "tls_tests.rs"]
mod tests;
