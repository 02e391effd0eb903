//! Client mode: one task per (agent, controller URL), reconnecting on the
//! retry schedule while the agent is served.

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::{sleep, timeout};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, Uri};
use tracing::{info, warn};

use super::resource::{encode_component, SUBPROTOCOL};
use super::{session, Shared};
use crate::backoff::{jitter, Backoff};
use crate::MtpError;

/// A controller's WebSocket URL with our `eid` added.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    uri: Uri,
    host: String,
    port: u16,
    tls: bool,
    controller: String,
}

impl Target {
    pub(crate) fn parse(
        url: &str,
        agent: &str,
        controller: &str,
        have_tls: bool,
    ) -> Result<Self, MtpError> {
        let bad = |why: &str| MtpError::Config(format!("controller URL {url:?}: {why}"));
        let base: Uri = url.parse().map_err(|_| bad("not a URL"))?;
        let tls = match base.scheme_str() {
            Some("ws") => false,
            Some("wss") if have_tls => true,
            Some("wss") => return Err(bad("wss needs a client TLS configuration")),
            _ => return Err(bad("scheme must be ws or wss")),
        };
        let host = base.host().ok_or_else(|| bad("no host"))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = base.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let eid = format!("eid={}", encode_component(agent));
        let with_eid = match url.split_once('#').map_or(url, |(u, _)| u) {
            u if u.contains('?') => format!("{u}&{eid}"),
            u if base.path().is_empty() || base.path() == "/" && !u.ends_with('/') => {
                format!("{u}/?{eid}")
            }
            u => format!("{u}?{eid}"),
        };
        let uri = with_eid
            .parse()
            .map_err(|_| bad("not a URL once eid is added"))?;
        Ok(Target {
            uri,
            host,
            port,
            tls,
            controller: controller.into(),
        })
    }
}

pub(crate) async fn run(
    shared: Arc<Shared>,
    agent: Arc<str>,
    target: Target,
    mut stop: watch::Receiver<bool>,
) {
    let mut backoff = Backoff::new(shared.config.retry);
    loop {
        if *stop.borrow() || shared.serves(&agent).is_none() {
            return;
        }
        if shared.pair_open(&agent, &target.controller) {
            // The controller already reached us (R-WS.4): check back later.
        } else {
            match dial(&shared, &agent, &target).await {
                Ok(()) => backoff.reset(),
                Err(e) => warn!(%agent, url = %target.uri, error = %e, "WebSocket connect failed"),
            }
        }
        if *stop.borrow() {
            return;
        }
        let wait = backoff.next_wait(jitter());
        tokio::select! {
            _ = sleep(wait) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Connects, upgrades, and runs the session to its end; `Ok` once a
/// session was established.
async fn dial(shared: &Arc<Shared>, agent: &Arc<str>, target: &Target) -> Result<(), String> {
    let limit = shared.config.handshake_timeout;
    let tcp = timeout(
        limit,
        TcpStream::connect((target.host.as_str(), target.port)),
    )
    .await
    .map_err(|_| "connect timed out".to_string())?
    .map_err(|e| format!("connect: {e}"))?;
    let _ = tcp.set_nodelay(true);
    match (&shared.config.client_tls, target.tls) {
        (Some(tls), true) => {
            let name = rustls::pki_types::ServerName::try_from(target.host.clone())
                .map_err(|e| format!("TLS name: {e}"))?;
            let connector = tokio_rustls::TlsConnector::from(tls.clone());
            let stream = timeout(limit, connector.connect(name, tcp))
                .await
                .map_err(|_| "TLS handshake timed out".to_string())?
                .map_err(|e| format!("TLS: {e}"))?;
            upgrade(shared, agent, target, stream).await
        }
        _ => upgrade(shared, agent, target, tcp).await,
    }
}

async fn upgrade<S>(
    shared: &Arc<Shared>,
    agent: &Arc<str>,
    target: &Target,
    stream: S,
) -> Result<(), String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut req = target
        .uri
        .clone()
        .into_client_request()
        .map_err(|e| format!("request: {e}"))?;
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static(SUBPROTOCOL),
    );
    let handshake =
        tokio_tungstenite::client_async_with_config(req, stream, Some(shared.ws_config()));
    // tungstenite refuses an answer without our subprotocol (R-WS.12).
    let (ws, _resp) = timeout(shared.config.handshake_timeout, handshake)
        .await
        .map_err(|_| "upgrade timed out".to_string())?
        .map_err(|e| format!("upgrade: {e}"))?;
    info!(%agent, url = %target.uri, "WebSocket connected to controller");
    session::run(
        shared.clone(),
        ws,
        agent.clone(),
        Some(target.controller.clone()),
    )
    .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eid_is_appended_to_the_query() {
        let t = Target::parse("ws://127.0.0.1:9/usp/ctl?x=1", "os::0-S N", "ctl", false).unwrap();
        assert_eq!(
            t.uri.to_string(),
            "ws://127.0.0.1:9/usp/ctl?x=1&eid=os%3A%3A0-S%20N"
        );
        let t = Target::parse("ws://h/ctl", "a%b", "ctl", false).unwrap();
        assert_eq!(t.uri.query(), Some("eid=a%25b"));
        assert_eq!((t.host.as_str(), t.port), ("h", 80));
        assert!(Target::parse("wss://h/", "a", "c", false).is_err());
        assert!(Target::parse("http://h/", "a", "c", true).is_err());
        assert_eq!(
            Target::parse("wss://[::1]/", "a", "c", true).unwrap().port,
            443
        );
    }
}
