//! The tokio shells of the USP Message Transfer Protocols. They only move
//! Records between the agent logic and the wire: no USP decoding here.
//!
//! Every shell delivers what arrives as [`Inbound`] on one bounded channel
//! and takes what to send as [`Outbound`]; the return addresses and link
//! facts are [`usp::mtp::ReplyTo`] and [`usp::mtp::LinkUp`], which the agent
//! logic echoes back without knowing the transport.
//!
//! - [`mqtt`]: MQTT 5 and 3.1.1, one broker connection per virtual agent.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod mqtt;

use std::sync::Arc;

use bytes::Bytes;

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

/// Why a shell refused a request. Sending never waits: a full queue is an
/// error the caller logs (and, for a Notify, retries through NotifRetry).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MtpError {
    #[error("agent {0} is not on this MTP")]
    UnknownAgent(String),
    #[error("agent {0} is already on this MTP")]
    DuplicateAgent(String),
    #[error("agent {0} has no link up")]
    NotConnected(String),
    #[error("the send queue of agent {0} is full")]
    QueueFull(String),
    #[error("reply address {0} is not for this MTP")]
    WrongTransport(String),
    #[error("a Record of {len} bytes is over the {max}-byte limit")]
    TooLarge { len: usize, max: usize },
    #[error("invalid {what}: {why}")]
    Invalid { what: &'static str, why: String },
    #[error("the MTP is shut down")]
    Closed,
}
