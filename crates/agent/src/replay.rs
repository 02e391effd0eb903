//! Answers to recent state-changing requests, so that a request delivered
//! twice runs once (R-MSG.4).
//!
//! MQTT at QoS 1 redelivers a PUBLISH whose acknowledgement was lost, and
//! a controller may resend a request it got no answer to. A Get run twice
//! is harmless; an Add run twice creates two instances. So each agent
//! remembers its last [`REPLAY_DEPTH`] Set, Add, Delete and Operate
//! requests by (controller endpoint ID, msg_id, digest of the Msg bytes)
//! with the Record that answered them, and answers a repeat with that
//! Record (to the repeat's own return address) without running it again.
//!
//! - The digest makes a reused msg_id with a different body a new request:
//!   the controller broke R-MSG.4's uniqueness, and running what it asked
//!   is safer than answering something else.
//! - An Operate with send_resp false is remembered with no answer: its
//!   repeat is dropped.
//! - The cache is in memory only and allocated on an agent's first write;
//!   a repeat after a gateway restart runs again.
//! - Memory: at most [`REPLAY_DEPTH`] answers per agent that has been
//!   written to; LocalAgent answers are small (its tables are bounded).

use std::collections::VecDeque;
use std::hash::{DefaultHasher, Hash, Hasher};

use bytes::Bytes;

/// Requests remembered per agent.
pub const REPLAY_DEPTH: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Answered {
    from: Box<str>,
    msg_id: Box<str>,
    digest: u64,
    /// The answering Record; `None` when none was due.
    answer: Option<Bytes>,
}

/// One agent's recent answers, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplyCache {
    recent: VecDeque<Answered>,
}

/// Digest of a request Msg's bytes (SipHash with fixed keys: stable for
/// the life of the process, which is all the cache lives).
pub fn digest(msg_bytes: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    msg_bytes.hash(&mut h);
    h.finish()
}

impl ReplyCache {
    /// The earlier answer to this request, if it was seen: `Some(None)`
    /// when it was seen and needed no answer.
    pub fn lookup(&self, from: &str, msg_id: &str, digest: u64) -> Option<Option<Bytes>> {
        self.recent
            .iter()
            .find(|a| &*a.from == from && &*a.msg_id == msg_id && a.digest == digest)
            .map(|a| a.answer.clone())
    }

    pub fn remember(&mut self, from: &str, msg_id: &str, digest: u64, answer: Option<Bytes>) {
        self.recent
            .retain(|a| !(&*a.from == from && &*a.msg_id == msg_id));
        if self.recent.len() >= REPLAY_DEPTH {
            self.recent.pop_front();
        }
        self.recent.push_back(Answered {
            from: from.into(),
            msg_id: msg_id.into(),
            digest,
            answer,
        });
    }

    pub fn len(&self) -> usize {
        self.recent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recent.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeat_finds_its_answer_and_a_changed_body_does_not() {
        let mut c = ReplyCache::default();
        c.remember(
            "proto::c",
            "m1",
            digest(b"add"),
            Some(Bytes::from_static(b"r1")),
        );
        c.remember("proto::c", "m2", digest(b"op"), None);
        assert_eq!(
            c.lookup("proto::c", "m1", digest(b"add")),
            Some(Some(Bytes::from_static(b"r1")))
        );
        assert_eq!(c.lookup("proto::c", "m2", digest(b"op")), Some(None));
        assert_eq!(c.lookup("proto::c", "m1", digest(b"other")), None);
        assert_eq!(c.lookup("proto::d", "m1", digest(b"add")), None);
    }

    #[test]
    fn the_cache_keeps_only_the_latest_requests() {
        let mut c = ReplyCache::default();
        for i in 0..3 * REPLAY_DEPTH {
            c.remember("proto::c", &format!("m{i}"), 7, None);
            assert!(c.len() <= REPLAY_DEPTH);
        }
        assert_eq!(c.len(), REPLAY_DEPTH);
        assert_eq!(c.lookup("proto::c", "m0", 7), None);
        let last = format!("m{}", 3 * REPLAY_DEPTH - 1);
        assert_eq!(c.lookup("proto::c", &last, 7), Some(None));
        // The same msg_id again replaces its entry rather than adding one.
        c.remember("proto::c", &last, 8, None);
        assert_eq!(c.len(), REPLAY_DEPTH);
        assert_eq!(c.lookup("proto::c", &last, 7), None);
    }
}
