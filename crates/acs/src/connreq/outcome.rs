//! What a connection request achieved, as the northbound side and the
//! operator command see it.

use std::fmt;

/// How a connection request ended.
///
/// HTTP mapping (the CPE is the HTTP server here):
///
/// | what came back | outcome |
/// |---|---|
/// | 200 or 204 (after our credentials, or without a challenge) | [`Ok`](Self::Ok) |
/// | connection refused, reset, unreachable host, no answer before the timeout, closed without an answer, an answer that is not HTTP or whose head is too large | [`Offline`](Self::Offline) |
/// | 401 to our credentials, 401 without a challenge, a challenge we cannot answer (unknown scheme, `auth-int` only, Basic when not allowed) | [`AuthFailed`](Self::AuthFailed) |
/// | 503 (the CPE rate-limits connection requests), with `Retry-After` if given | [`RateLimited`](Self::RateLimited) |
/// | the URL is not `http://host[:port][/path]` (https, no host, bad port, user info, too long...) | [`BadUrl`](Self::BadUrl) |
/// | any other status | [`Unexpected`](Self::Unexpected) |
/// | our own side failed (cannot bind the UDP source address...) | [`Local`](Self::Local) |
///
/// UDP has no answer: [`Ok`](Self::Ok) means every datagram left; whether
/// the CPE heard it shows only as its next session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionRequestOutcome {
    Ok,
    Offline(OfflineCause),
    AuthFailed(String),
    RateLimited { retry_after: Option<RetryAfter> },
    BadUrl(String),
    Unexpected(u16),
    Local(String),
}

/// Why a CPE counts as offline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfflineCause {
    Refused,
    Reset,
    Timeout,
    /// No route, name not resolved, and the like.
    Unreachable(String),
    /// The connection ended before a whole answer arrived.
    Closed,
    /// Bytes came back, but not an HTTP answer we accept.
    BadResponse(String),
}

/// A `Retry-After` value: delta-seconds, or an HTTP date kept as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryAfter {
    Seconds(u32),
    Date(String),
}

/// Longest `Retry-After` date we keep (an IMF-fixdate is 29 characters).
const MAX_RETRY_AFTER: usize = 64;

impl RetryAfter {
    /// `None` for an empty, overlong or non-ASCII value.
    pub fn parse(value: &str) -> Option<RetryAfter> {
        let v = value.trim();
        if v.is_empty() || v.len() > MAX_RETRY_AFTER || !v.is_ascii() {
            return None;
        }
        if v.bytes().all(|b| b.is_ascii_digit()) {
            // A huge number of seconds still means "much later".
            return Some(RetryAfter::Seconds(v.parse().unwrap_or(u32::MAX)));
        }
        v.bytes()
            .all(|b| b.is_ascii_graphic() || b == b' ')
            .then(|| RetryAfter::Date(v.to_string()))
    }
}

impl ConnectionRequestOutcome {
    pub fn is_ok(&self) -> bool {
        matches!(self, ConnectionRequestOutcome::Ok)
    }

    /// A stable snake_case name, for JSON and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            ConnectionRequestOutcome::Ok => "ok",
            ConnectionRequestOutcome::Offline(_) => "offline",
            ConnectionRequestOutcome::AuthFailed(_) => "auth_failed",
            ConnectionRequestOutcome::RateLimited { .. } => "rate_limited",
            ConnectionRequestOutcome::BadUrl(_) => "bad_url",
            ConnectionRequestOutcome::Unexpected(_) => "unexpected",
            ConnectionRequestOutcome::Local(_) => "local_error",
        }
    }

    /// The human detail behind [`kind`](Self::kind), if any.
    pub fn reason(&self) -> Option<String> {
        match self {
            ConnectionRequestOutcome::Ok => None,
            ConnectionRequestOutcome::Offline(c) => Some(c.to_string()),
            ConnectionRequestOutcome::AuthFailed(r)
            | ConnectionRequestOutcome::BadUrl(r)
            | ConnectionRequestOutcome::Local(r) => Some(r.clone()),
            ConnectionRequestOutcome::RateLimited { .. } => Some("CPE answered 503".into()),
            ConnectionRequestOutcome::Unexpected(s) => Some(format!("CPE answered {s}")),
        }
    }
}

impl fmt::Display for OfflineCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OfflineCause::Refused => f.write_str("connection refused"),
            OfflineCause::Reset => f.write_str("connection reset"),
            OfflineCause::Timeout => f.write_str("no answer in time"),
            OfflineCause::Unreachable(why) => write!(f, "unreachable: {why}"),
            OfflineCause::Closed => f.write_str("connection closed without an answer"),
            OfflineCause::BadResponse(why) => write!(f, "bad answer: {why}"),
        }
    }
}

impl fmt::Display for ConnectionRequestOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason() {
            Some(r) => write!(f, "{}: {r}", self.kind()),
            None => f.write_str(self.kind()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_dates_and_junk() {
        assert_eq!(RetryAfter::parse(" 120 "), Some(RetryAfter::Seconds(120)));
        assert_eq!(
            RetryAfter::parse("99999999999999999999"),
            Some(RetryAfter::Seconds(u32::MAX))
        );
        assert_eq!(
            RetryAfter::parse("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(RetryAfter::Date("Wed, 21 Oct 2015 07:28:00 GMT".into()))
        );
        assert_eq!(RetryAfter::parse(""), None);
        assert_eq!(RetryAfter::parse("\u{7f}x"), None);
        assert_eq!(RetryAfter::parse(&"1".repeat(65)), None);
    }

    #[test]
    fn kinds_and_reasons_are_stable() {
        let o = ConnectionRequestOutcome::Offline(OfflineCause::Refused);
        assert_eq!(o.kind(), "offline");
        assert_eq!(o.to_string(), "offline: connection refused");
        assert!(ConnectionRequestOutcome::Ok.is_ok());
        assert_eq!(ConnectionRequestOutcome::Ok.reason(), None);
        assert_eq!(
            ConnectionRequestOutcome::Unexpected(404).to_string(),
            "unexpected: CPE answered 404"
        );
    }
}
