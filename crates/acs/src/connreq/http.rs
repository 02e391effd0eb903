//! The tokio/hyper side of an HTTP connection request: one fresh TCP
//! connection per attempt, one GET, the answer's head, and nothing else.
//! `exchange` decides; this file carries bytes and keeps the time limit.

use std::io;

use bytes::Bytes;
use http_body_util::Empty;
use hyper::header::{
    HeaderValue, AUTHORIZATION, CONNECTION, HOST, RETRY_AFTER, USER_AGENT, WWW_AUTHENTICATE,
};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::exchange::{Answer, Exchange, Step};
use super::outcome::{ConnectionRequestOutcome as O, OfflineCause};
use super::{random_hex, ConnectionRequestConfig, HttpTarget};

/// Largest answer head read (status line and headers). The body is never
/// read: a connection request's answer carries nothing we need, and the
/// connection is dropped after each attempt. hyper's floor is 8 KiB.
const MAX_HEAD: usize = 16 * 1024;

/// Stops the connection task when the attempt ends, however it ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub(super) async fn request(
    target: &HttpTarget,
    user: &str,
    password: &str,
    config: &ConnectionRequestConfig,
) -> O {
    let deadline = Instant::now() + config.timeout;
    let mut exchange = Exchange::new(
        &target.path,
        user,
        password,
        config.allow_basic,
        random_hex(16),
    );
    let mut authorization = None;
    // At most two rounds: `exchange` resends only once.
    loop {
        let answer = match tokio::time::timeout_at(deadline, attempt(target, authorization)).await {
            Err(_) => return O::Offline(OfflineCause::Timeout),
            Ok(Err(outcome)) => return outcome,
            Ok(Ok(answer)) => answer,
        };
        match exchange.on_answer(&answer) {
            Step::Resend { authorization: a } => authorization = Some(a),
            Step::Done(outcome) => return outcome,
        }
    }
}

async fn attempt(target: &HttpTarget, authorization: Option<String>) -> Result<Answer, O> {
    let stream = TcpStream::connect((target.host.as_str(), target.port))
        .await
        .map_err(|e| O::Offline(io_cause(&e)))?;
    let _ = stream.set_nodelay(true);
    let (mut sender, conn) = hyper::client::conn::http1::Builder::new()
        .max_buf_size(MAX_HEAD)
        .handshake::<_, Empty<Bytes>>(TokioIo::new(stream))
        .await
        .map_err(|e| O::Offline(hyper_cause(&e)))?;
    let _conn = AbortOnDrop(tokio::spawn(async move {
        let _ = conn.await;
    }));
    let mut req = hyper::Request::get(target.path.as_str())
        .header(HOST, target.authority.as_str())
        .header(USER_AGENT, HeaderValue::from_static("cwmp2usp"))
        .header(CONNECTION, HeaderValue::from_static("close"));
    if let Some(a) = authorization {
        req = req.header(AUTHORIZATION, a);
    }
    let req = req
        .body(Empty::new())
        .map_err(|e| O::Local(format!("cannot build the request: {e}")))?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| O::Offline(hyper_cause(&e)))?;
    let text = |v: &HeaderValue| v.to_str().ok().map(str::to_string);
    Ok(Answer {
        status: resp.status().as_u16(),
        challenges: resp
            .headers()
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(text)
            .collect(),
        retry_after: resp.headers().get(RETRY_AFTER).and_then(text),
    })
}

fn io_cause(e: &io::Error) -> OfflineCause {
    use io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => OfflineCause::Refused,
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => OfflineCause::Reset,
        K::TimedOut => OfflineCause::Timeout,
        K::UnexpectedEof => OfflineCause::Closed,
        _ => OfflineCause::Unreachable(e.to_string()),
    }
}

fn hyper_cause(e: &hyper::Error) -> OfflineCause {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<io::Error>() {
            return io_cause(io);
        }
        source = s.source();
    }
    if e.is_parse_too_large() {
        OfflineCause::BadResponse(format!("answer head larger than {MAX_HEAD} bytes"))
    } else if e.is_parse() {
        OfflineCause::BadResponse(e.to_string())
    } else if e.is_timeout() {
        OfflineCause::Timeout
    } else {
        // Incomplete message, canceled, closed: the peer hung up on us.
        OfflineCause::Closed
    }
}
