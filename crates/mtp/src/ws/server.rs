//! The listener: TLS if configured, the upgrade decided by
//! [`super::resource::decide`], then a session task.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tracing::{debug, warn};

use super::resource::{decide, Accept, SUBPROTOCOL};
use super::{session, Shared};
use crate::MtpError;

pub(crate) async fn listen(shared: Arc<Shared>, addr: SocketAddr) -> Result<SocketAddr, MtpError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| MtpError::Io(format!("bind {addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| MtpError::Io(e.to_string()))?;
    tokio::spawn(accept_loop(shared, listener));
    Ok(local)
}

async fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    let slots = Arc::new(Semaphore::new(shared.config.max_sessions.max(1)));
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of descriptors and the like: pause rather than spin.
                warn!(error = %e, "WebSocket accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            warn!(%peer, "WebSocket session limit reached, connection dropped");
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let _slot = slot;
            if let Err(why) = serve(shared, tcp).await {
                debug!(%peer, %why, "WebSocket upgrade failed");
            }
        });
    }
}

async fn serve(shared: Arc<Shared>, tcp: TcpStream) -> Result<(), String> {
    let _ = tcp.set_nodelay(true);
    let limit = shared.config.handshake_timeout;
    match shared.config.server_tls.clone() {
        None => upgrade(shared, tcp).await,
        Some(tls) => {
            let acceptor = tokio_rustls::TlsAcceptor::from(tls);
            let stream = timeout(limit, acceptor.accept(tcp))
                .await
                .map_err(|_| "TLS handshake timed out".to_string())?
                .map_err(|e| format!("TLS: {e}"))?;
            upgrade(shared, stream).await
        }
    }
}

// The error type is tungstenite's callback contract, not ours to box.
#[allow(clippy::result_large_err)]
async fn upgrade<S>(shared: Arc<Shared>, stream: S) -> Result<(), String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut accepted = None;
    let callback = |req: &Request, resp: Response| on_request(&shared, req, resp, &mut accepted);
    let handshake =
        tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(shared.ws_config()));
    let ws = timeout(shared.config.handshake_timeout, handshake)
        .await
        .map_err(|_| "upgrade timed out".to_string())?
        .map_err(|e| e.to_string())?;
    let Some(Accept { agent, controller }) = accepted else {
        return Err("upgrade accepted without a decision".into());
    };
    let Some(agent) = shared.serves(&agent) else {
        return Err("agent removed during the upgrade".into());
    };
    session::run(shared, ws, agent, controller).await;
    Ok(())
}

#[allow(clippy::result_large_err)]
fn on_request(
    shared: &Shared,
    req: &Request,
    mut resp: Response,
    accepted: &mut Option<Accept>,
) -> Result<Response, ErrorResponse> {
    let protocols = req
        .headers()
        .get_all("Sec-WebSocket-Protocol")
        .iter()
        .filter_map(|v| v.to_str().ok());
    let decision = decide(
        &shared.template,
        req.uri().path(),
        req.uri().query(),
        protocols,
        |agent| shared.serves(agent).is_some(),
    );
    match decision {
        Ok(accept) => {
            resp.headers_mut().insert(
                "Sec-WebSocket-Protocol",
                HeaderValue::from_static(SUBPROTOCOL),
            );
            *accepted = Some(accept);
            Ok(resp)
        }
        Err(refusal) => {
            debug!(
                path = req.uri().path(),
                reason = refusal.reason(),
                "WebSocket upgrade refused"
            );
            let mut err = ErrorResponse::new(Some(refusal.reason().to_string()));
            *err.status_mut() =
                StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
            Err(err)
        }
    }
}
