//! The tokio/hyper shell around [`Engine`]: accepts CWMP connections, plain
//! or TLS, authenticates, bounds every read, and hands each POST to the
//! engine.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{
    HeaderValue, CONNECTION, CONTENT_TYPE, COOKIE, RETRY_AFTER, SET_COOKIE, WWW_AUTHENTICATE,
};
use hyper::{Method, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;

use crate::commit::{committer, Commits, COMMIT_WAIT};
use crate::{entropy, ConnId, Engine, Event, Request, Store};

/// How CPE authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    None,
    Basic,
    Digest,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub auth: AuthMode,
    /// Shared CPE credentials.
    pub user: String,
    pub password: String,
    pub max_body: usize,
    /// For the request head and, separately, for the body.
    pub read_timeout: Duration,
    /// Accept Basic on plain HTTP too (otherwise plain HTTP asks for Digest).
    pub allow_basic_over_http: bool,
    /// For a TLS handshake, from accept until it completes.
    pub tls_handshake_timeout: Duration,
}

impl ServerConfig {
    /// The scheme a connection gets. Basic sends the password in clear, so
    /// on plain HTTP it becomes Digest with the same credentials: CPE that
    /// answer challenges still get in, and nobody's password crosses the
    /// wire readable unless the operator said so.
    pub fn auth_on(&self, is_tls: bool) -> AuthMode {
        match self.auth {
            AuthMode::Basic if !is_tls && !self.allow_basic_over_http => AuthMode::Digest,
            mode => mode,
        }
    }
}

/// The sockets [`serve`] accepts on; either may be absent.
pub struct Listeners {
    pub plain: Option<TcpListener>,
    pub tls: Option<(TcpListener, Arc<rustls::ServerConfig>)>,
}

/// Counters the shell keeps from the engine's events.
#[derive(Debug, Default)]
pub struct Counters {
    pub sessions_ok: AtomicU64,
    pub sessions_failed: AtomicU64,
    pub informs: AtomicU64,
    pub auth_failures: AtomicU64,
    /// Informs refused because their device was not the credentials' own.
    pub identity_refusals: AtomicU64,
    /// TLS handshakes that failed or timed out.
    pub tls_handshake_failures: AtomicU64,
}

const COOKIE_NAME: &str = "cwmp2usp-session";

struct Shared<S> {
    engine: Mutex<Engine<S>>,
    verifier: Mutex<httpauth::server::Verifier>,
    config: ServerConfig,
    start: Instant,
    /// Wall-clock time at `start`: the engine's clock is monotonic but
    /// anchored at the Unix epoch, so stored times mean something after a
    /// restart.
    start_unix: Duration,
    counters: Arc<Counters>,
    next_conn: AtomicU64,
    /// The engine's store, for credential look-ups and the committer,
    /// neither of which should hold the engine's lock.
    store: S,
    commits: Commits,
}

impl<S: Store> Shared<S> {
    fn now(&self) -> Duration {
        self.start_unix + self.start.elapsed()
    }

    fn drain_events(&self, engine: &mut Engine<S>) {
        while let Some(ev) = engine.poll_event() {
            let c = &self.counters;
            match ev {
                Event::Informed { .. } => c.informs.fetch_add(1, Ordering::Relaxed),
                Event::IdentityRefused {
                    user,
                    device,
                    device_of_user,
                } => {
                    // The user name is the CPE's claim; Debug quoting keeps
                    // it on one line.
                    eprintln!(
                        "cwmp2usp: refused {user:?}: informed as {} but its credentials are {}'s",
                        device.endpoint_id(),
                        device_of_user.endpoint_id()
                    );
                    c.identity_refusals.fetch_add(1, Ordering::Relaxed)
                }
                Event::SessionEnded { ok: true, .. } => {
                    c.sessions_ok.fetch_add(1, Ordering::Relaxed)
                }
                Event::SessionEnded { ok: false, .. } => {
                    c.sessions_failed.fetch_add(1, Ordering::Relaxed)
                }
                _ => 0,
            };
        }
    }
}

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Serves CWMP on `listeners` until the future is dropped. Fails only if
/// the OS has no randomness for the Digest nonce key. `S` is cloned for the
/// committer and authentication: a shared handle such as `Arc<RedbStore>`.
pub async fn serve<S: Store + Clone + Send + Sync + 'static>(
    listeners: Listeners,
    engine: Engine<S>,
    config: ServerConfig,
    counters: Arc<Counters>,
) -> std::io::Result<()> {
    let key = entropy::nonce_key()?;
    let store = engine.store().clone();
    let shared = Arc::new(Shared {
        engine: Mutex::new(engine),
        // Basic is checked apart from the verifier, only where
        // `auth_on` allows it; the verifier itself never takes it.
        verifier: Mutex::new(httpauth::server::Verifier::new("cwmp2usp", key).allow_basic(false)),
        config,
        start: Instant::now(),
        start_unix: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default(),
        counters,
        next_conn: AtomicU64::new(0),
        store,
        commits: Commits::default(),
    });
    // Stops with `serve` (a dropped JoinHandle would leave it running).
    struct AbortOnDrop(tokio::task::JoinHandle<()>);
    impl Drop for AbortOnDrop {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    let _ticker = {
        let shared = shared.clone();
        AbortOnDrop(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                if let Ok(mut e) = shared.engine.lock() {
                    e.handle_timeout(shared.now());
                    shared.drain_events(&mut e);
                }
                // Bookkeeping staged with no reply waiting gets committed.
                shared.commits.kick();
            }
        }))
    };
    let _committer = {
        let shared = shared.clone();
        AbortOnDrop(tokio::spawn(async move {
            let store = shared.store.clone();
            committer(&shared.engine, store, &shared.commits, |e| {
                shared.drain_events(e)
            })
            .await;
        }))
    };
    let plain = accept_loop(listeners.plain, None, shared.clone());
    let tls = match listeners.tls {
        Some((l, c)) => accept_loop(Some(l), Some(c.into()), shared),
        None => accept_loop(None, None, shared),
    };
    tokio::join!(plain, tls);
    Ok(())
}

/// Accepts on `listener` (none: never returns); with `tls`, each
/// connection is served once its handshake completes in time.
async fn accept_loop<S: Store + Clone + Send + Sync + 'static>(
    listener: Option<TcpListener>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared<S>>,
) {
    let Some(listener) = listener else {
        return std::future::pending().await;
    };
    loop {
        let Ok((stream, _peer)) = listener.accept().await else {
            // Out of descriptors and the like: back off, keep serving.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let Some(acceptor) = tls.clone() else {
            tokio::spawn(serve_connection(shared, stream, false));
            continue;
        };
        tokio::spawn(async move {
            let limit = shared.config.tls_handshake_timeout;
            match tokio::time::timeout(limit, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => serve_connection(shared, tls, true).await,
                // Garbage, plain HTTP, an untrusted client certificate or
                // silence: the connection just ends.
                _ => {
                    shared
                        .counters
                        .tls_handshake_failures
                        .fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
}

/// One CWMP connection, plain or TLS, until it closes.
async fn serve_connection<S, IO>(shared: Arc<Shared<S>>, io: IO, is_tls: bool)
where
    S: Store + Clone + Send + Sync + 'static,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let conn = ConnId(shared.next_conn.fetch_add(1, Ordering::Relaxed));
    let failures = Arc::new(AtomicU64::new(0));
    let svc = {
        let shared = shared.clone();
        hyper::service::service_fn(move |req| {
            let shared = shared.clone();
            let failures = failures.clone();
            async move { Ok::<_, Infallible>(exchange(&shared, conn, is_tls, &failures, req).await) }
        })
    };
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(shared.config.read_timeout)
        .serve_connection(TokioIo::new(io), svc)
        .await;
    if let Ok(mut e) = shared.engine.lock() {
        e.connection_closed(conn);
        shared.drain_events(&mut e);
    }
}

fn plain(status: StatusCode, close: bool) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = status;
    if close {
        r.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    r
}

async fn exchange<S: Store + Clone + Send + Sync + 'static>(
    shared: &Shared<S>,
    conn: ConnId,
    is_tls: bool,
    failures: &AtomicU64,
    req: hyper::Request<Incoming>,
) -> Response<Full<Bytes>> {
    if req.method() != Method::POST {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, false);
        r.headers_mut()
            .insert("allow", HeaderValue::from_static("POST"));
        return r;
    }
    let user = match authenticate(shared, is_tls, failures, &req) {
        Ok(user) => user,
        Err(denied) => return *denied,
    };
    let cookie = cookie_value(req.headers());
    let encoding = req
        .headers()
        .get(hyper::header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("unreadable").to_string());
    let body = Limited::new(req.into_body(), shared.config.max_body);
    let body = match tokio::time::timeout(shared.config.read_timeout, body.collect()).await {
        Err(_) => return plain(StatusCode::REQUEST_TIMEOUT, true),
        Ok(Err(e))
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            return plain(StatusCode::PAYLOAD_TOO_LARGE, true)
        }
        Ok(Err(_)) => return plain(StatusCode::BAD_REQUEST, true),
        Ok(Ok(b)) => b.to_bytes(),
    };
    let body = match crate::content::decode(encoding.as_deref(), body, shared.config.max_body) {
        Ok(b) => b,
        Err(crate::content::BodyError::TooLarge) => {
            return plain(StatusCode::PAYLOAD_TOO_LARGE, true)
        }
        Err(crate::content::BodyError::Unsupported(_)) => {
            return plain(StatusCode::UNSUPPORTED_MEDIA_TYPE, true)
        }
        Err(crate::content::BodyError::Corrupt) => return plain(StatusCode::BAD_REQUEST, true),
    };
    let (reply, held) = {
        let Ok(mut e) = shared.engine.lock() else {
            return plain(StatusCode::SERVICE_UNAVAILABLE, true);
        };
        let reply = e.handle(
            shared.now(),
            Request {
                conn,
                cookie: cookie.as_deref(),
                user: user.as_deref(),
                body: &body,
            },
        );
        shared.drain_events(&mut e);
        let held = reply
            .commit
            .map(|t| (shared.commits.wait_for(t), e.try_later()));
        (reply, held)
    };
    // Nothing the reply acknowledges may be lost once it is sent.
    let reply = match held {
        None => reply,
        Some((durable, instead)) => match tokio::time::timeout(COMMIT_WAIT, durable).await {
            Ok(Ok(true)) => reply,
            _ => instead,
        },
    };
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let has_body = !reply.body.is_empty();
    let mut r = Response::new(Full::new(Bytes::from(reply.body)));
    *r.status_mut() = status;
    let h = r.headers_mut();
    if has_body {
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/xml; charset=\"utf-8\""),
        );
    }
    if let Some(c) = reply.set_cookie {
        if let Ok(v) = HeaderValue::from_str(&format!("{COOKIE_NAME}={c}; Path=/; HttpOnly")) {
            h.insert(SET_COOKIE, v);
        }
    }
    if let Some(secs) = reply.retry_after {
        h.insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    if reply.close {
        h.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    r
}

fn cookie_value(headers: &hyper::HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == COOKIE_NAME)
        .map(|(_, v)| v.to_string())
}

/// Who the request comes from (`None` with authentication off), or the
/// 401 to send. A second failure on one connection closes it.
fn authenticate<S: Store>(
    shared: &Shared<S>,
    is_tls: bool,
    failures: &AtomicU64,
    req: &hyper::Request<Incoming>,
) -> Result<Option<String>, Box<Response<Full<Bytes>>>> {
    let cfg = &shared.config;
    let mode = cfg.auth_on(is_tls);
    if mode == AuthMode::None {
        return Ok(None);
    }
    // A device's own credentials first, then the shared ones.
    let lookup = |user: &str| {
        shared
            .store
            .credential(user)
            .map(|c| c.password.expose().to_string())
            .or_else(|| (user == cfg.user).then(|| cfg.password.clone()))
    };
    let header = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let now = unix_secs();
    let outcome = header.map(|a| match mode {
        AuthMode::Basic => httpauth::server::check_basic(a, lookup),
        _ => match shared.verifier.lock() {
            Ok(mut v) => v.verify_request(a, "POST", Some(req.uri().path()), lookup, now),
            Err(_) => httpauth::server::Outcome::Denied,
        },
    });
    let stale = match outcome {
        Some(httpauth::server::Outcome::Ok { user }) => {
            failures.store(0, Ordering::Relaxed);
            return Ok(Some(user));
        }
        Some(httpauth::server::Outcome::Stale) => true,
        Some(httpauth::server::Outcome::Denied) => {
            shared
                .counters
                .auth_failures
                .fetch_add(1, Ordering::Relaxed);
            false
        }
        None => false,
    };
    let failed_before = if header.is_some() && !stale {
        failures.fetch_add(1, Ordering::Relaxed)
    } else {
        0
    };
    let mut r = plain(StatusCode::UNAUTHORIZED, failed_before >= 1);
    let challenges = match mode {
        AuthMode::Basic => vec![httpauth::server::basic_challenge("cwmp2usp")],
        _ => match shared.verifier.lock() {
            // No randomness, no challenge: the CPE sees a bare 401.
            Ok(v) => entropy::random16().map_or_else(Vec::new, |r| v.challenges(now, r, stale)),
            Err(_) => Vec::new(),
        },
    };
    for c in challenges {
        if let Ok(v) = HeaderValue::from_str(&c) {
            r.headers_mut().append(WWW_AUTHENTICATE, v);
        }
    }
    Err(Box::new(r))
}

/// Binds `addr` (for `run` and tests).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}
