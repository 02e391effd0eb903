//! Recognising a message seen before, without parsing it again.
//!
//! An ACS answers every Inform of a session-per-connection load with the
//! same bytes but for the `cwmp:ID` text, and at load-test rates parsing
//! that answer afresh was the largest single cost of a simulated session.
//! An [`IdTemplate`] remembers a parsed message as the bytes before and
//! after its ID text; a later message with the same bytes around an ID made
//! only of plain characters parses, by construction, to the same envelope
//! with that ID, since the XML reader sees the same events in the same
//! order. Anything else (another shape, an ID with markup or references)
//! does not match, and the caller parses it in full as before.

use crate::limits::Limits;
use crate::model::Envelope;

/// A parsed message with a hole where its `cwmp:ID` text was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdTemplate {
    bytes: Box<[u8]>,
    /// Where the ID text sat in `bytes`.
    start: usize,
    end: usize,
}

/// Bytes an ID may hold and still match: printable ASCII without markup
/// (`<`, `>`, `&`), quotes or spaces. A real ACS echoes the CPE's ID, and
/// every CPE of note uses such IDs; others simply take the full parse.
fn plain(b: u8) -> bool {
    b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'&' | b'"' | b'\'')
}

impl IdTemplate {
    /// The template of `input`, which `env` was parsed from with the
    /// default [`Limits`]. None when the ID is absent, empty, or was not
    /// one plain run of text in the input (references, CDATA, comments).
    pub fn learn(input: &[u8], env: &Envelope<'_>) -> Option<IdTemplate> {
        let id = env.header.id.as_deref()?;
        if id.is_empty() || !id.bytes().all(plain) {
            return None;
        }
        // A borrowed ID points into `input`; find where without unsafe
        // pointer arithmetic, from the addresses alone.
        let base = input.as_ptr() as usize;
        let at = (id.as_ptr() as usize).checked_sub(base)?;
        let end = at.checked_add(id.len())?;
        if end > input.len() || input.get(at..end)? != id.as_bytes() {
            return None;
        }
        // The text is delimited by markup on both sides, so that a longer
        // or shorter ID cannot merge with neighbouring characters.
        if at == 0 || input[at - 1] != b'>' || input.get(end) != Some(&b'<') {
            return None;
        }
        Some(IdTemplate {
            bytes: input.into(),
            start: at,
            end,
        })
    }

    /// The ID of `input` when it is the template's message with another
    /// plain ID; None means "parse it".
    pub fn matches<'a>(&self, input: &'a [u8]) -> Option<&'a str> {
        let limits = Limits::default();
        let (head, tail) = (&self.bytes[..self.start], &self.bytes[self.end..]);
        if input.len() > limits.max_input_bytes
            || input.len() <= head.len() + tail.len()
            || !input.starts_with(head)
            || !input.ends_with(tail)
        {
            return None;
        }
        let id = &input[head.len()..input.len() - tail.len()];
        if id.len() > limits.max_value_bytes || !id.iter().copied().all(plain) {
            return None;
        }
        std::str::from_utf8(id).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Body;
    use proptest::prelude::*;

    const ANSWER: &str =
        "<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\" \
        xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\"><soap-env:Header>\
        <cwmp:ID soap-env:mustUnderstand=\"1\">CPE-1</cwmp:ID></soap-env:Header>\
        <soap-env:Body><cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes>\
        </cwmp:InformResponse></soap-env:Body></soap-env:Envelope>";

    fn template() -> IdTemplate {
        let env = crate::parse(ANSWER.as_bytes()).unwrap();
        IdTemplate::learn(ANSWER.as_bytes(), &env).unwrap()
    }

    fn with_id(id: &str) -> String {
        ANSWER.replace(">CPE-1<", &format!(">{id}<"))
    }

    #[test]
    fn the_same_answer_with_another_id_matches() {
        let t = template();
        assert_eq!(
            t.matches(with_id("SN77-1234").as_bytes()),
            Some("SN77-1234")
        );
        assert_eq!(t.matches(ANSWER.as_bytes()), Some("CPE-1"));
    }

    #[test]
    fn other_shapes_and_odd_ids_do_not_match() {
        let t = template();
        for other in [
            with_id(""),
            with_id("a&amp;b"),
            with_id("a b"),
            with_id("<x/>"),
            ANSWER.replace("InformResponse", "InformResponsf"),
            ANSWER.replace("<MaxEnvelopes>1", "<MaxEnvelopes>2"),
            ANSWER[..ANSWER.len() - 1].to_string(),
        ] {
            assert_eq!(t.matches(other.as_bytes()), None, "{other}");
        }
    }

    #[test]
    fn ids_that_are_not_one_plain_run_learn_nothing() {
        for input in [
            with_id("a&amp;b"),
            with_id("<![CDATA[x]]>"),
            with_id("x<!--c-->y"),
            ANSWER.replace("<cwmp:ID soap-env:mustUnderstand=\"1\">CPE-1</cwmp:ID>", ""),
        ] {
            let env = crate::parse(input.as_bytes()).unwrap();
            assert_eq!(IdTemplate::learn(input.as_bytes(), &env), None, "{input}");
        }
    }

    proptest! {
        /// Whatever the ID and wherever the input was cut or changed: a
        /// match is always exactly what the full parse says.
        #[test]
        fn a_match_is_what_the_full_parse_says(
            id in "[ -~]{0,40}",
            cut in 0usize..600,
            flip in 0usize..600,
            byte in any::<u8>(),
        ) {
            let t = template();
            let mut input = with_id(&id).into_bytes();
            if flip < input.len() {
                input[flip] = byte;
            }
            input.truncate(cut.max(input.len() / 2));
            if let Some(found) = t.matches(&input) {
                let env = crate::parse(&input).unwrap();
                prop_assert!(matches!(env.body, Body::InformResponse(_)));
                prop_assert_eq!(env.header.id.as_deref(), Some(found));
            }
        }
    }
}
