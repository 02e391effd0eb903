//! Topic rules of the USP MQTT binding, sans-IO: the agent topic from its
//! template, the MQTT 3.1.1 `/reply-to=` suffix (R-MQTT.24/25), topic
//! filter matching, what to subscribe to after CONNACK (R-MQTT.15, 21) and
//! which PUBLISH packets are Records we can answer.

use crate::MtpError;

/// Replaced by the endpoint ID in topic and ClientId templates.
pub const EID_PLACEHOLDER: &str = "{eid}";

/// What MQTT 3.1.1 puts between the destination and our reply topic.
const REPLY_TO: &str = "/reply-to=";

/// The longest topic MQTT can carry (a two-byte length prefix).
const MAX_TOPIC_BYTES: usize = 65_535;

/// The Content Types a USP Record may arrive with (R-MQTT.27/27a); none at
/// all is accepted too, as some controllers (Oktopus) omit it.
const RECORD_CONTENT_TYPES: [&str; 2] = ["usp.msg", "application/vnd.bbf.usp.msg"];

/// The Content Type we send (R-MQTT.27 as of USP 1.3).
pub const CONTENT_TYPE: &str = "usp.msg";

/// `template` with `{eid}` replaced, checked to be a topic we can publish
/// to: not empty, no wildcard, no NUL, within MQTT's length limit.
pub fn agent_topic(template: &str, eid: &str) -> Result<String, MtpError> {
    let topic = template.replace(EID_PLACEHOLDER, eid);
    check_topic(&topic).map_err(|why| MtpError::Invalid {
        what: "agent topic",
        why: format!("{topic:?}: {why}"),
    })?;
    Ok(topic)
}

/// Why `topic` cannot be a PUBLISH Topic Name, if it cannot.
pub fn check_topic(topic: &str) -> Result<(), &'static str> {
    if topic.is_empty() {
        return Err("empty");
    }
    if topic.len() > MAX_TOPIC_BYTES {
        return Err("longer than 65,535 bytes");
    }
    if topic.contains(['+', '#', '\0']) {
        return Err("contains a wildcard or NUL");
    }
    Ok(())
}

/// The 3.1.1 Topic Name that sends to `destination` and asks for answers on
/// `reply_topic`: every `/` of the reply topic becomes `%2F` (R-MQTT.24).
pub fn with_reply_to(destination: &str, reply_topic: &str) -> String {
    let mut topic =
        String::with_capacity(destination.len() + REPLY_TO.len() + reply_topic.len() * 3);
    topic.push_str(destination);
    topic.push_str(REPLY_TO);
    for c in reply_topic.chars() {
        if c == '/' {
            topic.push_str("%2F");
        } else {
            topic.push(c);
        }
    }
    topic
}

/// The reply topic a 3.1.1 Topic Name carries after its last `/reply-to=`,
/// with `%2F` (either case) back to `/` (R-MQTT.25). `None` without a
/// suffix or with an empty one.
pub fn reply_to_of(topic: &str) -> Option<String> {
    let at = topic.rfind(REPLY_TO)?;
    let encoded = &topic[at + REPLY_TO.len()..];
    if encoded.is_empty() {
        return None;
    }
    let mut reply = String::with_capacity(encoded.len());
    let mut rest = encoded;
    while let Some(i) = rest.find('%') {
        reply.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.len() >= 3 && tail.as_bytes()[1..3].eq_ignore_ascii_case(b"2f") {
            reply.push('/');
            rest = &tail[3..];
        } else {
            reply.push('%');
            rest = &tail[1..];
        }
    }
    reply.push_str(rest);
    Some(reply)
}

/// Whether a PUBLISH to `topic` reaches a subscription to `filter`
/// (MQTT 5 §4.7; the same in 3.1.1): `+` is one level, a final `#` any
/// number of levels including none, and wildcards do not reach topics
/// starting with `$`.
pub fn filter_matches(filter: &str, topic: &str) -> bool {
    if topic.starts_with('$') && filter.starts_with(['+', '#']) {
        return false;
    }
    let mut levels = topic.split('/');
    let mut parts = filter.split('/').peekable();
    while let Some(part) = parts.next() {
        if part == "#" {
            return parts.peek().is_none();
        }
        match levels.next() {
            Some(level) if part == "+" || part == level => {}
            _ => return false,
        }
    }
    levels.next().is_none()
}

/// What an agent subscribes to once connected, and the exact topic it gives
/// controllers as its reply-to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscribePlan {
    /// Topic filters for one SUBSCRIBE, without duplicates.
    pub filters: Vec<String>,
    /// The "reply to" topic: the Response Information of the CONNACK when
    /// there is one (R-MQTT.21), else the agent topic.
    pub reply_topic: String,
}

/// R-MQTT.15: the configured agent topic, every CONNACK `subscribe-topic`,
/// and the Response Information when no filter already covers it. A 3.1.1
/// agent subscribes to `<agent topic>/#`, which also matches the agent
/// topic itself, because 3.1.1 controllers append `/reply-to=` to it.
pub fn subscribe_plan<'a>(
    v5: bool,
    agent_topic: &str,
    subscribe_topics: impl IntoIterator<Item = &'a str>,
    response_information: Option<&str>,
) -> SubscribePlan {
    if !v5 {
        return SubscribePlan {
            filters: vec![format!("{agent_topic}/#")],
            reply_topic: agent_topic.to_owned(),
        };
    }
    let mut filters = vec![agent_topic.to_owned()];
    for topic in subscribe_topics {
        if !topic.is_empty() && !filters.iter().any(|f| f == topic) {
            filters.push(topic.to_owned());
        }
    }
    let reply_topic = match response_information {
        Some(info) if check_topic(info).is_ok() => {
            if !filters.iter().any(|f| filter_matches(f, info)) {
                filters.push(info.to_owned());
            }
            info.to_owned()
        }
        _ => agent_topic.to_owned(),
    };
    SubscribePlan {
        filters,
        reply_topic,
    }
}

/// Whether the SUBACK lets controllers reach us: some filter the broker
/// granted covers the reply topic. `granted[i]` answers `filters[i]`.
pub fn reply_topic_granted(filters: &[String], granted: &[bool], reply_topic: &str) -> bool {
    filters
        .iter()
        .zip(granted)
        .any(|(f, ok)| *ok && filter_matches(f, reply_topic))
}

/// Why a PUBLISH is not delivered to the agent logic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    TooLarge {
        len: usize,
        max: usize,
    },
    ContentType(String),
    /// No Response Topic (5) or `/reply-to=` suffix (3.1.1): the sender broke
    /// R-MQTT.22 and an answer could go nowhere (R-MQTT.26).
    NoReplyTo,
}

/// The reply topic of an MQTT 5 PUBLISH carrying a Record.
pub fn accept_v5(
    content_type: Option<&str>,
    response_topic: Option<&str>,
    len: usize,
    max: usize,
) -> Result<String, Refusal> {
    if len > max {
        return Err(Refusal::TooLarge { len, max });
    }
    if let Some(ct) = content_type {
        if !RECORD_CONTENT_TYPES
            .iter()
            .any(|t| t.eq_ignore_ascii_case(ct))
        {
            return Err(Refusal::ContentType(ct.chars().take(64).collect()));
        }
    }
    match response_topic {
        Some(topic) if check_topic(topic).is_ok() => Ok(topic.to_owned()),
        _ => Err(Refusal::NoReplyTo),
    }
}

/// The reply topic of an MQTT 3.1.1 PUBLISH carrying a Record.
pub fn accept_v311(topic: &str, len: usize, max: usize) -> Result<String, Refusal> {
    if len > max {
        return Err(Refusal::TooLarge { len, max });
    }
    match reply_to_of(topic) {
        Some(reply) if check_topic(&reply).is_ok() => Ok(reply),
        _ => Err(Refusal::NoReplyTo),
    }
}

#[cfg(test)]
#[path = "topic_tests.rs"]
mod tests;
