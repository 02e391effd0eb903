//! STOMP 1.2 MTP: one broker connection per agent ([`StompMtp`]).
//!
//! Requirements met: the connection opens with a `STOMP` frame (R-STOMP.2)
//! carrying `login`/`passcode` when configured (R-STOMP.3), `endpoint-id`
//! (R-STOMP.4) and `host` (R-STOMP.5); the subscription uses CONNECTED's
//! `subscribe-dest` when present and the configured destination otherwise
//! (R-STOMP.6, 14-16), or ends the MTP when there is neither (R-STOMP.17);
//! `ack:auto` (R-STOMP.18); SEND carries `content-length`, `content-type:
//! application/vnd.bbf.usp.msg` and `reply-to-dest` (R-STOMP.20-25);
//! answers go to the received `reply-to-dest` (R-STOMP.26, through
//! [`usp::mtp::ReplyTo::Stomp`]); heart-beats are offered only when
//! configured and follow the negotiated periods (R-STOMP.8-11); ERROR, a
//! refused subscription or a lost connection lead to the retry schedule of
//! [`crate::backoff`] (R-STOMP.7, 19, 28); no transaction or ACK frames
//! are ever sent (R-STOMP.29/30); DISCONNECT on removal (R-STOMP.31).
//!
//! The default destination template is `/queue/usp.agent.{eid}`: RabbitMQ
//! maps `/queue/<name>` to a durable queue of that name, which it creates on
//! SUBSCRIBE, and it accepts the colons of an endpoint ID there (a `/`
//! after `/queue/` it would refuse).
//!
//! Deviations: a MESSAGE without `reply-to-dest` is dropped with a warning
//! (it cannot be answered); a MESSAGE over `max_record_bytes` is skipped
//! without buffering it and the connection kept; unextractable Records are
//! the agent's to ignore (R-STOMP.27), this shell never decodes them.
//! The retry schedule uses the WebSocket-style `m·k^n` with a cap rather
//! than STOMP's separate `ServerRetry*` names, which map onto it directly.

pub mod client;
pub mod frame;
pub mod session;

pub use client::{StompConfig, StompMtp};
