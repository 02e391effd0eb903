//! HTTPS to the ACS: the client side of TLS (which server to trust, which
//! certificate to show) and the stream a session connection runs over.

use std::io::Read as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::client::ClientError;

/// PEM files are a few kilobytes; anything far larger is not one.
const MAX_PEM_BYTES: u64 = 1 << 20;

/// How the fleet talks TLS to an `https://` ACS.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// Trust the ACS certificate if it chains to a certificate in this PEM.
    pub ca: Option<PathBuf>,
    /// Trust any ACS certificate (labs only; handshake signatures are
    /// still checked).
    pub insecure: bool,
    /// Client certificate chain and key (PEM) for ACS that require one.
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// Never resume a TLS session: every connection a full handshake.
    pub no_resumption: bool,
}

/// A ready connector for one ACS.
#[derive(Clone)]
pub struct TlsTarget {
    config: Arc<rustls::ClientConfig>,
    connector: tokio_rustls::TlsConnector,
    name: ServerName<'static>,
    resume: bool,
}

impl std::fmt::Debug for TlsTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsTarget")
            .field("name", &self.name)
            .finish()
    }
}

impl TlsTarget {
    /// Loads every file now, so a bad one stops the fleet before it starts.
    pub fn new(opts: &TlsOptions, host: &str) -> Result<TlsTarget, String> {
        let provider = Arc::new(provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?;
        let builder = match (&opts.ca, opts.insecure) {
            (Some(path), _) => {
                let mut roots = rustls::RootCertStore::empty();
                for cert in load_certs(path)? {
                    roots
                        .add(cert)
                        .map_err(|e| format!("{}: not a usable CA: {e}", path.display()))?;
                }
                let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(ChainOnce {
                        webpki,
                        last: Mutex::new(None),
                    }))
            }
            (None, true) => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyServerCert(provider))),
            (None, false) => {
                return Err("an https:// ACS needs --acs-ca FILE (or --acs-insecure)".into())
            }
        };
        let mut config = match &opts.client_cert {
            None => builder.with_no_client_auth(),
            Some((cert, key)) => builder
                .with_client_auth_cert(load_certs(cert)?, load_key(key)?)
                .map_err(|e| format!("client certificate and key: {e}"))?,
        };
        // A real CPE keeps its own TLS session cache; one shared by the whole
        // fleet would make most handshakes cheap resumptions no real fleet
        // gets. This one never resumes; [`TlsTarget::for_cpe`] gives each
        // CPE a cache of its own.
        config.resumption = rustls::client::Resumption::disabled();
        let name = ServerName::try_from(host.to_string())
            .map_err(|_| format!("{host:?} is not a TLS server name"))?;
        let config = Arc::new(config);
        Ok(TlsTarget {
            connector: tokio_rustls::TlsConnector::from(config.clone()),
            config,
            name,
            resume: !opts.no_resumption,
        })
    }

    /// The connector one CPE uses: with its own session cache (one ACS, so
    /// one entry) unless resumption is off. Roots, verifier and keys stay
    /// shared; only the small configuration is copied.
    pub fn for_cpe(&self) -> TlsTarget {
        if !self.resume {
            return self.clone();
        }
        let mut config = (*self.config).clone();
        config.resumption = rustls::client::Resumption::store(Arc::new(
            rustls::client::ClientSessionMemoryCache::new(1),
        ));
        let config = Arc::new(config);
        TlsTarget {
            connector: tokio_rustls::TlsConnector::from(config.clone()),
            config,
            name: self.name.clone(),
            resume: true,
        }
    }
}

/// ring, with aws-lc's key exchange for ring's groups: its X25519 costs
/// half of ring's, and a simulated CPE is mostly handshakes. The
/// certificate's signature is still checked on every connection.
fn provider() -> CryptoProvider {
    use rustls::crypto::aws_lc_rs::kx_group;
    CryptoProvider {
        kx_groups: vec![kx_group::X25519, kx_group::SECP256R1, kx_group::SECP384R1],
        ..rustls::crypto::ring::default_provider()
    }
}

/// A connection to the ACS, plain or TLS.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl TlsTarget {
    /// TCP connect and TLS handshake, within `timeout` in all.
    pub async fn connect(
        &self,
        addr: SocketAddr,
        timeout: Duration,
    ) -> Result<Stream, ClientError> {
        let work = async {
            let tcp = TcpStream::connect(addr)
                .await
                .map_err(|e| ClientError::Connect(e.to_string()))?;
            let _ = tcp.set_nodelay(true);
            let tls = self
                .connector
                .connect(self.name.clone(), tcp)
                .await
                .map_err(|e| ClientError::Connect(format!("TLS: {e}")))?;
            Ok(Stream::Tls(Box::new(tls)))
        };
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| ClientError::Timeout)?
    }
}

impl Stream {
    /// Whether this connection resumed an earlier TLS session.
    pub fn resumed(&self) -> bool {
        match self {
            Stream::Plain(_) => false,
            Stream::Tls(s) => {
                s.get_ref().1.handshake_kind() == Some(rustls::HandshakeKind::Resumed)
            }
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// How long a verified chain is taken as verified again.
const CHAIN_REUSE: Duration = Duration::from_secs(60);

/// A verified chain, as the ACS sent it.
type Verified = (Vec<CertificateDer<'static>>, ServerName<'static>, Instant);

/// `--acs-ca`: the chain is verified in full once a minute per distinct
/// chain and name; every handshake still checks the signature that proves
/// the ACS holds the key of that very certificate. The ACS's work is the
/// same either way, and the fleet's CPU goes into load rather than into
/// re-verifying identical bytes (half the client's cost of a handshake).
#[derive(Debug)]
struct ChainOnce {
    webpki: Arc<WebPkiServerVerifier>,
    last: Mutex<Option<Verified>>,
}

impl ServerCertVerifier for ChainOnce {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let same = |(chain, name, at): &Verified| {
            at.elapsed() < CHAIN_REUSE
                && name == server_name
                && chain.len() == intermediates.len() + 1
                && chain[0] == *end_entity
                && chain[1..] == *intermediates
        };
        if self.last.lock().is_ok_and(|l| l.as_ref().is_some_and(same)) {
            return Ok(ServerCertVerified::assertion());
        }
        let ok = self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        let chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        if let Ok(mut l) = self.last.lock() {
            *l = Some((chain, server_name.to_owned(), Instant::now()));
        }
        Ok(ok)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// `--acs-insecure`: any certificate is accepted, but the handshake
/// signatures are verified, so the peer must at least hold the key of the
/// certificate it shows.
#[derive(Debug)]
struct AnyServerCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyServerCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn read_limited(path: &Path) -> Result<Vec<u8>, String> {
    let fail = |e: std::io::Error| format!("{}: cannot read: {e}", path.display());
    let file = std::fs::File::open(path).map_err(fail)?;
    let mut out = Vec::new();
    file.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(fail)?;
    if out.len() as u64 > MAX_PEM_BYTES {
        return Err(format!(
            "{}: larger than {MAX_PEM_BYTES} bytes",
            path.display()
        ));
    }
    Ok(out)
}

fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(&read_limited(path)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: bad PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no CERTIFICATE block", path.display()));
    }
    Ok(certs)
}

fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_slice(&read_limited(path)?)
        .map_err(|e| format!("{}: no usable PRIVATE KEY: {e}", path.display()))
}

#[cfg(test)]
#[path = "tls_tests.rs"]
mod tests;
