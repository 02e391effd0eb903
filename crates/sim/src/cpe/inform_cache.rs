//! The last Inform's bytes with holes for its cwmp:ID and CurrentTime.
//!
//! Under load a CPE sends the same Inform again and again: same events
//! ("2 PERIODIC"), same parameters, same RetryCount; only the message ID
//! and the clock move. Encoding it afresh was a quarter of a simulated
//! session's CPU, so the bytes are kept and the two holes refilled. The
//! cache is keyed on everything else an Inform is built from, and a
//! template is only kept once a second encoding with other ID and time
//! values proved that splicing reproduces the encoder's output exactly.

use std::ops::Range;

use crate::events::QueuedEvent;

/// What, besides the ID and the time, an Inform depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct InformKey {
    /// Model revision: the standard parameters.
    pub revision: u64,
    pub retry_count: u32,
    pub events: Vec<QueuedEvent>,
}

#[derive(Debug)]
pub(super) struct InformTemplate {
    key: InformKey,
    bytes: Vec<u8>,
    id: Range<usize>,
    time: Range<usize>,
}

/// Values that the encoder writes verbatim (no escaping), so a hole can
/// take them as they are.
fn verbatim(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'&' | b'"' | b'\''))
}

/// `>value<` after `from`: where `value` starts.
fn find_text(hay: &[u8], from: usize, value: &str) -> Option<usize> {
    let needle_len = value.len() + 2;
    hay.get(from..)?
        .windows(needle_len)
        .position(|w| {
            w[0] == b'>' && w[needle_len - 1] == b'<' && &w[1..needle_len - 1] == value.as_bytes()
        })
        .map(|i| from + i + 1)
}

impl InformTemplate {
    /// Learns the holes of `out` (encoded with `id` and `time`), checked
    /// against `probe`, the same Inform encoded with `probe_id` and
    /// `probe_time`. None when the values cannot be located unambiguously.
    pub fn learn(
        key: InformKey,
        out: &[u8],
        (id, time): (&str, &str),
        probe: &[u8],
        (probe_id, probe_time): (&str, &str),
    ) -> Option<InformTemplate> {
        if ![id, time, probe_id, probe_time].into_iter().all(verbatim) {
            return None;
        }
        let i = find_text(out, 0, id)?;
        let t = find_text(out, i + id.len(), time)?;
        let template = InformTemplate {
            key,
            bytes: out.to_vec(),
            id: i..i + id.len(),
            time: t..t + time.len(),
        };
        let mut check = Vec::with_capacity(probe.len());
        template.fill(probe_id, probe_time, &mut check);
        (check == probe).then_some(template)
    }

    /// The Inform for these inputs, if the template was made from them.
    pub fn build(
        &self,
        revision: u64,
        retry_count: u32,
        events: &[QueuedEvent],
        (id, time): (&str, &str),
    ) -> Option<Vec<u8>> {
        let k = &self.key;
        let fits = k.revision == revision && k.retry_count == retry_count && k.events == events;
        if !fits || !verbatim(id) || !verbatim(time) {
            return None;
        }
        let mut out = Vec::with_capacity(self.bytes.len() + id.len() + time.len());
        self.fill(id, time, &mut out);
        Some(out)
    }

    #[cfg(test)]
    pub fn key(&self) -> &InformKey {
        &self.key
    }

    fn fill(&self, id: &str, time: &str, out: &mut Vec<u8>) {
        let b = &self.bytes;
        out.extend_from_slice(&b[..self.id.start]);
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(&b[self.id.end..self.time.start]);
        out.extend_from_slice(time.as_bytes());
        out.extend_from_slice(&b[self.time.end..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> InformKey {
        InformKey {
            revision: 3,
            retry_count: 0,
            events: Vec::new(),
        }
    }

    fn doc(id: &str, key: &str, time: &str) -> Vec<u8> {
        format!("<a><ID>{id}</ID><K>{key}</K><T>{time}</T><P>{time}</P></a>").into_bytes()
    }

    #[test]
    fn refills_both_holes() {
        let t = InformTemplate::learn(
            key(),
            &doc("s-1", "k", "2026"),
            ("s-1", "2026"),
            &doc("x-22", "k", "1970"),
            ("x-22", "1970"),
        );
        // The time is written twice: one hole cannot express that, and
        // the probe shows it.
        assert!(t.is_none());
        let doc = |id: &str, time: &str| {
            format!("<a><ID>{id}</ID><K>key</K><T>{time}</T></a>").into_bytes()
        };
        let t = InformTemplate::learn(
            key(),
            &doc("s-1", "2026"),
            ("s-1", "2026"),
            &doc("x-22", "1970"),
            ("x-22", "1970"),
        )
        .unwrap();
        let build = |retry, id, time| t.build(3, retry, &[], (id, time));
        assert_eq!(build(0, "s-333", "1999").unwrap(), doc("s-333", "1999"));
        assert_eq!(build(1, "s-4", "1999"), None);
        assert_eq!(build(0, "a&b", "1999"), None);
        let boot = [QueuedEvent {
            code: "1 BOOT".into(),
            command_key: "".into(),
        }];
        assert_eq!(t.build(3, 0, &boot, ("s-5", "1999")), None);
        assert_eq!(t.build(4, 0, &[], ("s-5", "1999")), None);
    }

    #[test]
    fn a_value_equal_to_the_time_before_it_is_not_taken_for_the_hole() {
        // A command key that spells the time: splicing at its place would
        // corrupt every later Inform, and the probe catches that.
        let t = InformTemplate::learn(
            key(),
            &doc("s-1", "2026", "2026"),
            ("s-1", "2026"),
            &doc("x-2", "2026", "1970"),
            ("x-2", "1970"),
        );
        assert!(t.is_none());
    }
}
