//! One open WebSocket session, whichever side opened it: binary messages
//! in and out, Ping every `ping_interval`, the peer declared dead after
//! `ping_interval + pong_timeout` of silence, text → close 1003, oversized
//! → close 1009, and closes the agent logic asks for.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{sleep_until, timeout, Instant};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;
use tracing::{debug, info, warn};
use usp::mtp::{LinkUp, ReplyTo};

use super::Shared;
use crate::Inbound;

pub(crate) const PROTOCOL: &str = "WebSocket";
/// How long a closing session waits for the peer's close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Runs the session to its end; [`Inbound::Up`] first and
/// [`Inbound::Down`] last, unless the agent was removed meanwhile.
pub(crate) async fn run<S>(
    shared: Arc<Shared>,
    mut ws: WebSocketStream<S>,
    agent: Arc<str>,
    peer: Option<String>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let Some(mut parts) = shared.open_link(&agent, peer.clone()) else {
        close(&mut ws, CloseCode::Away, "agent removed").await;
        return;
    };
    let link = parts.id;
    info!(%agent, link, peer = peer.as_deref().unwrap_or("-"), "WebSocket session up");
    let up = Inbound::Up {
        agent: agent.clone(),
        link: LinkUp::WebSocket { link, peer },
    };
    if shared.inbound.send(up).await.is_ok() {
        let reason = drive(&shared, &mut ws, &agent, &mut parts).await;
        debug!(%agent, link, %reason, "WebSocket session ended");
    }
    shared.close_link(link);
    let down = Inbound::Down {
        agent,
        protocol: PROTOCOL,
        link: Some(link),
    };
    let _ = shared.inbound.send(down).await;
}

async fn drive<S>(
    shared: &Shared,
    ws: &mut WebSocketStream<S>,
    agent: &Arc<str>,
    parts: &mut super::LinkParts,
) -> String
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let cfg = &shared.config;
    let link = parts.id;
    let idle_limit = cfg.ping_interval + cfg.pong_timeout;
    let write_limit = cfg.handshake_timeout;
    let mut last_heard = Instant::now();
    let mut next_ping = Instant::now() + cfg.ping_interval;
    loop {
        tokio::select! {
            msg = ws.next() => {
                let msg = match msg {
                    None => return "peer closed".into(),
                    Some(Ok(m)) => m,
                    Some(Err(WsError::Capacity(e))) => {
                        warn!(%agent, link, error = %e, limit = cfg.max_record_bytes, "WebSocket message too big");
                        close(ws, CloseCode::Size, "USP Record too large").await;
                        return format!("oversized: {e}");
                    }
                    Some(Err(e)) => return format!("read: {e}"),
                };
                last_heard = Instant::now();
                match msg {
                    Message::Binary(payload) => {
                        let rec = Inbound::Record {
                            agent: agent.clone(),
                            reply: ReplyTo::WebSocket { link },
                            payload,
                        };
                        if shared.inbound.send(rec).await.is_err() {
                            close(ws, CloseCode::Away, "shutting down").await;
                            return "agent logic gone".into();
                        }
                    }
                    Message::Text(_) => {
                        // R-WS.14/16: a text frame cannot carry a Record.
                        close(ws, CloseCode::Unsupported, "USP Records travel in binary frames").await;
                        return "text frame".into();
                    }
                    // Pings are answered by tungstenite on the next read or write.
                    Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
                    Message::Close(_) => {
                        // tungstenite has queued our reply; drain until the end.
                        let _ = timeout(CLOSE_GRACE, async { while ws.next().await.is_some() {} }).await;
                        return "peer closed".into();
                    }
                }
            }
            Some(payload) = parts.outbound.recv() => {
                if let Err(e) = send(ws, Message::Binary(payload), write_limit).await {
                    return e;
                }
            }
            changed = parts.close.changed() => {
                let code = match changed {
                    Ok(()) => parts.close.borrow().unwrap_or(1000),
                    Err(_) => 1001,
                };
                close(ws, CloseCode::from(code), "closed by the agent").await;
                return format!("closed by the agent ({code})");
            }
            _ = sleep_until(next_ping) => {
                next_ping = Instant::now() + cfg.ping_interval;
                if let Err(e) = send(ws, Message::Ping(Bytes::new()), write_limit).await {
                    return e;
                }
            }
            _ = sleep_until(last_heard + idle_limit) => {
                warn!(%agent, link, "WebSocket peer silent, dropping the session");
                return "dead peer".into();
            }
        }
    }
}

async fn send<S>(ws: &mut WebSocketStream<S>, msg: Message, limit: Duration) -> Result<(), String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match timeout(limit, ws.send(msg)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("write: {e}")),
        Err(_) => Err("write timed out".into()),
    }
}

/// Sends a close frame and waits briefly for the peer's, so it sees the
/// code before the TCP connection goes.
async fn close<S>(ws: &mut WebSocketStream<S>, code: CloseCode, reason: &'static str)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = timeout(CLOSE_GRACE, async {
        if ws.close(Some(frame)).await.is_ok() {
            while let Some(Ok(_)) = ws.next().await {}
        }
    })
    .await;
}

/// Shorthand for a close-code number in the closes the agent asks for.
pub(crate) fn valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1011 | 3000..=4999)
}
