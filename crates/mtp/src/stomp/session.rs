//! The STOMP side of one agent's connection as a sans-IO state machine:
//! it writes the STOMP frame, picks the destination from CONNECTED,
//! subscribes with a receipt, and turns MESSAGE frames into Records. The
//! shell feeds it decoded frames and does what the [`Action`]s say.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use usp::mtp::ReplyTo;

use super::frame::{Command, Frame};

/// The content type of a USP Record in a SEND frame (R-STOMP.22).
pub const USP_CONTENT_TYPE: &str = "application/vnd.bbf.usp.msg";
const SUBSCRIPTION_ID: &str = "usp";
const SUBSCRIBE_RECEIPT: &str = "usp-subscribed";

/// What the agent tells the broker about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub agent: Arc<str>,
    /// `host` header: the broker's virtual host (RabbitMQ: `/`).
    pub vhost: String,
    pub login: Option<String>,
    pub passcode: Option<String>,
    /// The agent's own destination, used when CONNECTED has no
    /// `subscribe-dest`; empty means none is configured (R-STOMP.17).
    pub destination: String,
    /// Heart-beats we offer to send and want to receive; zero for none.
    pub heartbeat_send: Duration,
    pub heartbeat_receive: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    AwaitConnected,
    AwaitReceipt { destination: String },
    Subscribed { destination: String },
}

/// What the shell must do after a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Write(Frame),
    /// The subscription is confirmed: tell the agent its link is up.
    Up {
        destination: String,
    },
    /// A Record arrived for the agent.
    Record {
        reply: ReplyTo,
        payload: Bytes,
    },
    /// A MESSAGE that cannot be answered or is too big: log and drop.
    Dropped {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("broker sent ERROR: {0}")]
    Broker(String),
    #[error("no destination: the broker gave no subscribe-dest and none is configured")]
    NoDestination,
    #[error("unexpected {0:?} frame before CONNECTED")]
    Unexpected(Command),
}

#[derive(Debug)]
pub struct Session {
    id: Identity,
    state: State,
    max_record_bytes: usize,
    /// Negotiated heart-beat periods (send, expect), once CONNECTED.
    heartbeats: (Option<Duration>, Option<Duration>),
}

impl Session {
    pub fn new(id: Identity, max_record_bytes: usize) -> Self {
        Session {
            id,
            state: State::AwaitConnected,
            max_record_bytes,
            heartbeats: (None, None),
        }
    }

    /// The first frame of the connection: STOMP, not CONNECT (R-STOMP.2).
    pub fn connect_frame(&self) -> Frame {
        let id = &self.id;
        let mut f = Frame::new(Command::Stomp)
            .header("accept-version", "1.2")
            .header("host", id.vhost.clone())
            .header("endpoint-id", id.agent.to_string());
        if let Some(login) = &id.login {
            f = f.header("login", login.clone());
        }
        if let Some(passcode) = &id.passcode {
            f = f.header("passcode", passcode.clone());
        }
        // R-STOMP.9: no heart-beat header at all when they are off.
        if !id.heartbeat_send.is_zero() || !id.heartbeat_receive.is_zero() {
            f = f.header(
                "heart-beat",
                format!(
                    "{},{}",
                    id.heartbeat_send.as_millis(),
                    id.heartbeat_receive.as_millis()
                ),
            );
        }
        f
    }

    /// How often we must send something, and within what silence the
    /// broker counts as dead; known once CONNECTED.
    pub fn heartbeats(&self) -> (Option<Duration>, Option<Duration>) {
        self.heartbeats
    }

    pub fn destination(&self) -> Option<&str> {
        match &self.state {
            State::Subscribed { destination } => Some(destination),
            _ => None,
        }
    }

    pub fn on_frame(&mut self, frame: Frame) -> Result<Vec<Action>, SessionError> {
        match (frame.command, &self.state) {
            (Command::Error, _) => {
                let message = frame.get("message").unwrap_or("").to_string();
                let body =
                    String::from_utf8_lossy(&frame.body[..frame.body.len().min(256)]).into_owned();
                Err(SessionError::Broker(
                    format!("{message} {body}").trim().to_string(),
                ))
            }
            (Command::Connected, State::AwaitConnected) => self.connected(&frame),
            (_, State::AwaitConnected) => Err(SessionError::Unexpected(frame.command)),
            (Command::Receipt, State::AwaitReceipt { destination }) => {
                if frame.get("receipt-id") != Some(SUBSCRIBE_RECEIPT) {
                    return Ok(Vec::new());
                }
                let destination = destination.clone();
                self.state = State::Subscribed {
                    destination: destination.clone(),
                };
                Ok(vec![Action::Up { destination }])
            }
            (Command::Message, State::AwaitReceipt { destination }) => {
                // The broker delivers only on a live subscription, so a
                // MESSAGE is as good as the RECEIPT it overtook.
                let destination = destination.clone();
                self.state = State::Subscribed {
                    destination: destination.clone(),
                };
                let mut actions = vec![Action::Up { destination }];
                actions.push(self.message(frame));
                Ok(actions)
            }
            (Command::Message, State::Subscribed { .. }) => Ok(vec![self.message(frame)]),
            _ => Ok(Vec::new()),
        }
    }

    /// A body that the decoder already discarded for its size.
    pub fn on_oversized(&self, length: Option<usize>) -> Action {
        Action::Dropped {
            reason: format!(
                "MESSAGE body of {} bytes exceeds {} bytes",
                length.map_or_else(|| "unknown".into(), |l| l.to_string()),
                self.max_record_bytes
            ),
        }
    }

    fn connected(&mut self, frame: &Frame) -> Result<Vec<Action>, SessionError> {
        let destination = match frame.get("subscribe-dest") {
            Some(d) if !d.is_empty() => d.to_string(),
            _ if !self.id.destination.is_empty() => self.id.destination.clone(),
            _ => return Err(SessionError::NoDestination),
        };
        let (sx, sy) = frame
            .get("heart-beat")
            .and_then(parse_heartbeat)
            .unwrap_or((0, 0));
        let cx = self.id.heartbeat_send.as_millis() as u64;
        let cy = self.id.heartbeat_receive.as_millis() as u64;
        let period = |ours: u64, theirs: u64| {
            (ours != 0 && theirs != 0).then(|| Duration::from_millis(ours.max(theirs)))
        };
        self.heartbeats = (period(cx, sy), period(cy, sx));
        self.state = State::AwaitReceipt {
            destination: destination.clone(),
        };
        let subscribe = Frame::new(Command::Subscribe)
            .header("id", SUBSCRIPTION_ID)
            .header("destination", destination)
            .header("ack", "auto")
            .header("receipt", SUBSCRIBE_RECEIPT);
        Ok(vec![Action::Write(subscribe)])
    }

    fn message(&self, frame: Frame) -> Action {
        if frame.body.len() > self.max_record_bytes {
            return self.on_oversized(Some(frame.body.len()));
        }
        match frame.get("reply-to-dest") {
            Some(d) if !d.is_empty() => Action::Record {
                reply: ReplyTo::Stomp {
                    destination: d.to_string(),
                },
                payload: frame.body,
            },
            _ => Action::Dropped {
                reason: "MESSAGE without reply-to-dest".into(),
            },
        }
    }

    /// The SEND frame carrying `payload` to `destination`, or `None` while
    /// not subscribed (there is no reply-to-dest to give yet).
    pub fn send_frame(&self, destination: &str, payload: Bytes) -> Option<Frame> {
        let ours = self.destination()?;
        Some(
            Frame::new(Command::Send)
                .header("destination", destination)
                .header("content-type", USP_CONTENT_TYPE)
                .header("reply-to-dest", ours)
                .body(payload),
        )
    }
}

fn parse_heartbeat(v: &str) -> Option<(u64, u64)> {
    let (a, b) = v.split_once(',')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
