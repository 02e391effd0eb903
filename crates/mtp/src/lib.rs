//! The tokio shells of the USP Message Transfer Protocols: MQTT 5 and 3.1.1
//! ([`mqtt`], one broker connection per virtual agent), WebSocket (server
//! and client, [`ws`]) and STOMP 1.2 ([`stomp`]). They move Records between
//! the wire and the agent logic and know nothing of USP beyond the return
//! address ([`usp::mtp::ReplyTo`]) and the facts of a fresh link
//! ([`usp::mtp::LinkUp`]).
//!
//! Every shell reports into one bounded channel of [`Inbound`] events and is
//! driven by a cloneable handle with `add_agent`, `remove_agent` and
//! `send(Outbound)`. Sending never waits: a full queue is an error the
//! caller logs. Every inbound payload is bounded by `max_record_bytes`.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::sync::Arc;

use bytes::Bytes;

pub mod backoff;
pub mod mqtt;
pub mod stomp;
pub mod ws;

/// Default bound on one inbound Record: 1 MiB.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 1 << 20;

/// What the shells deliver to the agent logic (one tokio mpsc channel, bounded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// A link of `agent` came up; the agent answers with its Connect record(s).
    Up {
        agent: Arc<str>,
        link: usp::mtp::LinkUp,
    },
    /// A Record for `agent` (the endpoint ID whose topic/resource/destination
    /// it arrived on), and where the answer goes.
    Record {
        agent: Arc<str>,
        reply: usp::mtp::ReplyTo,
        payload: Bytes,
    },
    /// A link went down (WebSocket: the link id; others: the whole MTP for
    /// that agent).
    Down {
        agent: Arc<str>,
        protocol: &'static str,
        link: Option<u64>,
    },
}

/// What the agent logic asks a shell to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    pub agent: Arc<str>,
    pub to: usp::mtp::ReplyTo,
    pub payload: Bytes,
}

/// Why a shell refused a request. Nothing here is fatal to the shell; a
/// Notify refused here is retried by the agent logic's NotifRetry.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum MtpError {
    #[error("agent {0} is not served by this MTP")]
    UnknownAgent(String),
    #[error("agent {0} is already served by this MTP")]
    DuplicateAgent(String),
    /// No open link for this agent (or this WebSocket session) right now.
    #[error("no open link for {0}")]
    NoLink(String),
    #[error("{0} is not an address of this MTP")]
    WrongTransport(String),
    #[error("send queue full for {0}")]
    QueueFull(String),
    #[error("record of {size} bytes exceeds the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("invalid {what}: {why}")]
    Invalid { what: &'static str, why: String },
    #[error("the MTP has stopped")]
    Stopped,
    #[error("configuration: {0}")]
    Config(String),
    #[error("I/O: {0}")]
    Io(String),
}
