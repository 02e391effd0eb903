//! The tokio/hyper shell around [`Engine`]: accepts CWMP connections, plain
//! or TLS, authenticates, bounds every read, and hands each POST to the
//! engine.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONNECTION, CONTENT_TYPE, RETRY_AFTER, SET_COOKIE};
use hyper::{Method, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;

pub use crate::config::{AuthMode, ServerConfig};
pub use crate::counters::{ConnectionRequestCounters, Counters};
pub use crate::handle::{AcsHandle, Hold, SubmitError};
pub use crate::wake::WakeConfig;

use crate::auth::{authenticate, cookie_value, COOKIE_NAME};
use crate::commit::{committer, Commits, COMMIT_WAIT};
use crate::connreq::ConnectionRequester;
use crate::handle::Waiters;
use crate::park::Parking;
use crate::shared::Shared;
use crate::wake::Wakeups;
use crate::{entropy, ConnId, Engine, Reply, Request, Store};

/// The sockets [`serve`] accepts on; either may be absent.
pub struct Listeners {
    pub plain: Option<TcpListener>,
    pub tls: Option<(TcpListener, Arc<rustls::ServerConfig>)>,
}

/// A CWMP server ready to serve: make it, take [`AcsHandle`]s for the
/// northbound side, then [`Server::serve`].
pub struct Server<S> {
    shared: Arc<Shared<S>>,
}

impl<S: Store + Clone + Send + Sync + 'static> Server<S> {
    /// Fails only if the OS has no randomness for the Digest nonce key.
    /// `S` is cloned for the committer and authentication: a shared handle
    /// such as `Arc<RedbStore>`.
    pub fn new(
        engine: Engine<S>,
        config: ServerConfig,
        counters: Arc<Counters>,
    ) -> std::io::Result<Server<S>> {
        let key = entropy::nonce_key()?;
        let store = engine.store().clone();
        let shared = Arc::new_cyclic(|me| Shared {
            me: me.clone(),
            engine: Mutex::new(engine),
            // Basic is checked apart from the verifier, only where
            // `auth_on` allows it; the verifier itself never takes it.
            verifier: Mutex::new(
                httpauth::server::Verifier::new("cwmp2usp", key).allow_basic(false),
            ),
            waiters: Waiters::new(config.wake.max_waiting_rpcs),
            wakeups: Wakeups::new(&config.wake),
            requester: ConnectionRequester::new(config.wake.connection_requests.clone()),
            config,
            start: Instant::now(),
            start_unix: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default(),
            counters,
            next_conn: AtomicU64::new(0),
            store,
            commits: Commits::default(),
            spans: Mutex::default(),
            stopped: AtomicBool::new(false),
            listener: Mutex::new(None),
            parking: Parking::default(),
        });
        Ok(Server { shared })
    }

    /// For the northbound side: submit RPCs, wake devices.
    pub fn handle(&self) -> AcsHandle {
        AcsHandle::new(self.shared.clone())
    }

    /// Every engine [`Event`](crate::Event) from now on (the last
    /// subscriber wins), for the northbound side: `Informed` brings a
    /// device's USP agent up. Up to `capacity` events wait for the
    /// receiver; beyond, events are dropped and counted in
    /// `Counters::events_dropped`, because CPE sessions must never wait on
    /// the northbound.
    pub fn subscribe(&self, capacity: usize) -> tokio::sync::mpsc::Receiver<crate::Event> {
        let (tx, rx) = tokio::sync::mpsc::channel(capacity.max(1));
        if let Ok(mut l) = self.shared.listener.lock() {
            *l = Some(tx);
        }
        rx
    }

    #[cfg(test)]
    pub(crate) fn shared(&self) -> Arc<Shared<S>> {
        self.shared.clone()
    }

    /// Serves CWMP on `listeners` until the future is dropped; then every
    /// northbound caller still waiting gets [`SubmitError::Stopped`](crate::SubmitError::Stopped).
    pub async fn serve(self, listeners: Listeners) -> std::io::Result<()> {
        let shared = self.shared;
        // Stops with `serve` (a dropped JoinHandle would leave it running).
        struct AbortOnDrop(tokio::task::JoinHandle<()>);
        impl Drop for AbortOnDrop {
            fn drop(&mut self) {
                self.0.abort();
            }
        }
        struct StopOnDrop<S: Store + Clone + Send + Sync + 'static>(Arc<Shared<S>>);
        impl<S: Store + Clone + Send + Sync + 'static> Drop for StopOnDrop<S> {
            fn drop(&mut self) {
                self.0.stop();
            }
        }
        let _stop = StopOnDrop(shared.clone());
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
}

/// Serves CWMP on `listeners` until the future is dropped, for callers
/// with no northbound side (see [`Server`]).
pub async fn serve<S: Store + Clone + Send + Sync + 'static>(
    listeners: Listeners,
    engine: Engine<S>,
    config: ServerConfig,
    counters: Arc<Counters>,
) -> std::io::Result<()> {
    Server::new(engine, config, counters)?
        .serve(listeners)
        .await
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
        let Ok((stream, peer)) = listener.accept().await else {
            // Out of descriptors and the like: back off, keep serving.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let Some(acceptor) = tls.clone() else {
            tokio::spawn(serve_connection(shared, stream, false, peer));
            continue;
        };
        tokio::spawn(async move {
            let limit = shared.config.tls_handshake_timeout;
            match tokio::time::timeout(limit, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => serve_connection(shared, tls, true, peer).await,
                // Garbage, plain HTTP, an untrusted client certificate or
                // silence: the connection just ends. Scanners do this all
                // day on a public port, hence no warning.
                failed => {
                    shared
                        .counters
                        .tls_handshake_failures
                        .fetch_add(1, Ordering::Relaxed);
                    let error = match failed {
                        Ok(Err(e)) => e.to_string(),
                        _ => "timed out".into(),
                    };
                    tracing::info!(%peer, error, "TLS handshake failed");
                }
            }
        });
    }
}

/// One CWMP connection, plain or TLS, until it closes.
async fn serve_connection<S, IO>(shared: Arc<Shared<S>>, io: IO, is_tls: bool, peer: SocketAddr)
where
    S: Store + Clone + Send + Sync + 'static,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let link = Link {
        conn: ConnId(shared.next_conn.fetch_add(1, Ordering::Relaxed)),
        is_tls,
        peer,
    };
    let failures = Arc::new(AtomicU64::new(0));
    let svc = {
        let shared = shared.clone();
        hyper::service::service_fn(move |req| {
            let shared = shared.clone();
            let failures = failures.clone();
            async move { Ok::<_, Infallible>(exchange(&shared, link, &failures, req).await) }
        })
    };
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(shared.config.read_timeout)
        .serve_connection(TokioIo::new(io), svc)
        .await;
    if let Ok(mut e) = shared.engine.lock() {
        e.connection_closed(link.conn);
        shared.drain_events(&mut e);
    }
}

pub(crate) fn plain(status: StatusCode, close: bool) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = status;
    if close {
        r.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    r
}

/// The connection an exchange arrived on.
#[derive(Clone, Copy)]
pub(crate) struct Link {
    pub conn: ConnId,
    pub is_tls: bool,
    pub peer: SocketAddr,
}

async fn exchange<S: Store + Clone + Send + Sync + 'static>(
    shared: &Shared<S>,
    link: Link,
    failures: &AtomicU64,
    req: hyper::Request<Incoming>,
) -> Response<Full<Bytes>> {
    if req.method() != Method::POST {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, false);
        r.headers_mut()
            .insert("allow", HeaderValue::from_static("POST"));
        return r;
    }
    let user = match authenticate(shared, link, failures, &req) {
        Ok(user) => user,
        Err(denied) => return *denied,
    };
    let cookie = cookie_value(req.headers());
    let encoding = req
        .headers()
        .get(hyper::header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("unreadable").to_string());
    let body = Limited::new(req.into_body(), shared.config.max_body);
    // Before the engine has read it, the body names no device: the peer
    // and the user it authenticated as are all we know.
    let refuse = |status: StatusCode, why: &str| {
        tracing::info!(
            peer = %link.peer,
            user = user.as_deref(),
            status = status.as_u16(),
            why,
            "request refused"
        );
        plain(status, true)
    };
    let body = match tokio::time::timeout(shared.config.read_timeout, body.collect()).await {
        Err(_) => return refuse(StatusCode::REQUEST_TIMEOUT, "body too slow"),
        Ok(Err(e))
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            return refuse(StatusCode::PAYLOAD_TOO_LARGE, "body too large")
        }
        Ok(Err(_)) => return refuse(StatusCode::BAD_REQUEST, "body unreadable"),
        Ok(Ok(b)) => b.to_bytes(),
    };
    let body = match crate::content::decode(encoding.as_deref(), body, shared.config.max_body) {
        Ok(b) => b,
        Err(crate::content::BodyError::TooLarge) => {
            return refuse(StatusCode::PAYLOAD_TOO_LARGE, "body too large once decoded")
        }
        Err(crate::content::BodyError::Unsupported(_)) => {
            return refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported content encoding",
            )
        }
        Err(crate::content::BodyError::Corrupt) => {
            return refuse(StatusCode::BAD_REQUEST, "corrupt content encoding")
        }
    };
    let (reply, held, parked) = {
        let Ok(mut e) = shared.engine.lock() else {
            return plain(StatusCode::SERVICE_UNAVAILABLE, true);
        };
        let reply = e.handle(
            shared.now(),
            Request {
                conn: link.conn,
                cookie: cookie.as_deref(),
                user: user.as_deref(),
                body: &body,
            },
        );
        // Before the events: whoever hears of this exchange may look.
        let parked = reply
            .parked
            .map(|until| (shared.parking.park(link.conn), until));
        shared.drain_events(&mut e);
        let held = shared.held(&e, &reply);
        (reply, held, parked)
    };
    // A held session's POST waits for the device's next RPC. Whatever it
    // answers with still waits for the commit the POST staged (the
    // provisioning's outcome); a later ticket covers it too.
    let (reply, held) = match parked {
        Some((parked, until)) => {
            let (reply, later) = shared.unparked(parked, until).await;
            (reply, later.or(held))
        }
        None => (reply, held),
    };
    // Nothing the reply acknowledges may be lost once it is sent.
    let reply = match held {
        None => reply,
        Some((durable, instead)) => match tokio::time::timeout(COMMIT_WAIT, durable).await {
            Ok(Ok(true)) => reply,
            _ => Reply {
                device: reply.device,
                ..instead
            },
        },
    };
    shared.log_answer(link.peer, &reply);
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

/// Binds `addr` (for `run` and tests).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}
