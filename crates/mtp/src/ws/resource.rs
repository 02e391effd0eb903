//! Which agent a WebSocket upgrade request is for, and whether to accept
//! it, decided without I/O: the resource path against the template, the
//! `v1.usp` subprotocol (R-WS.9-12) and the controller's `eid` query
//! parameter (R-WS.10b/10c).

use std::borrow::Cow;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// The WebSocket subprotocol of USP Records.
pub const SUBPROTOCOL: &str = "v1.usp";

/// A resource path template with one `{eid}` placeholder, e.g.
/// `/usp/agent/{eid}`. The endpoint ID appears percent-encoded in the path
/// and is decoded before lookup, so `os::012345-SN` may arrive as
/// `os%3A%3A012345-SN` or as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplate {
    prefix: String,
    suffix: String,
}

impl PathTemplate {
    pub fn parse(template: &str) -> Result<Self, String> {
        let Some((prefix, suffix)) = template.split_once("{eid}") else {
            return Err(format!("path template {template:?} has no {{eid}}"));
        };
        if suffix.contains("{eid}") || !prefix.starts_with('/') || suffix.contains('?') {
            return Err(format!(
                "path template {template:?}: one {{eid}} in a path starting with /"
            ));
        }
        Ok(PathTemplate {
            prefix: prefix.into(),
            suffix: suffix.into(),
        })
    }

    /// The decoded endpoint ID in `path`, if it matches.
    pub fn agent_of(&self, path: &str) -> Option<String> {
        let middle = path
            .strip_prefix(&self.prefix)?
            .strip_suffix(&self.suffix)?;
        if middle.is_empty() {
            return None;
        }
        percent_decode_str(middle)
            .decode_utf8()
            .ok()
            .map(Cow::into_owned)
    }

    /// The path a controller uses to reach `eid`.
    pub fn path_for(&self, eid: &str) -> String {
        format!("{}{}{}", self.prefix, encode_component(eid), self.suffix)
    }
}

/// Everything but RFC 3986 unreserved characters is escaped, `%` included
/// (R-WS.10c).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// Why an upgrade is refused, and the HTTP status that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No such agent resource: 404.
    NotFound,
    /// `v1.usp` not offered: 400, the session is not established (R-WS.12).
    NoSubprotocol,
    /// An `eid` parameter that is not percent-encoded UTF-8: 400.
    BadEid,
}

impl Refusal {
    pub fn status(&self) -> u16 {
        match self {
            Refusal::NotFound => 404,
            Refusal::NoSubprotocol | Refusal::BadEid => 400,
        }
    }

    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::NotFound => "no USP agent at this path",
            Refusal::NoSubprotocol => "the v1.usp WebSocket subprotocol is required",
            Refusal::BadEid => "the eid query parameter is not valid percent-encoded UTF-8",
        }
    }
}

/// An accepted upgrade: the agent's endpoint ID and the controller's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accept {
    pub agent: String,
    pub controller: Option<String>,
}

/// Decides an upgrade request from its path, query and every
/// `Sec-WebSocket-Protocol` header value. `known` says whether an agent is
/// served here.
pub fn decide<'a>(
    template: &PathTemplate,
    path: &str,
    query: Option<&str>,
    protocols: impl IntoIterator<Item = &'a str>,
    known: impl Fn(&str) -> bool,
) -> Result<Accept, Refusal> {
    let agent = template
        .agent_of(path)
        .filter(|a| known(a))
        .ok_or(Refusal::NotFound)?;
    let offered = protocols
        .into_iter()
        .flat_map(|h| h.split(','))
        .any(|p| p.trim() == SUBPROTOCOL);
    if !offered {
        return Err(Refusal::NoSubprotocol);
    }
    let controller = match query.and_then(|q| query_param(q, "eid")) {
        Some(raw) => Some(
            percent_decode_str(raw)
                .decode_utf8()
                .map_err(|_| Refusal::BadEid)?
                .into_owned(),
        )
        .filter(|e| !e.is_empty()),
        None => None,
    };
    Ok(Accept { agent, controller })
}

fn query_param<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t() -> PathTemplate {
        PathTemplate::parse("/usp/agent/{eid}").unwrap()
    }

    fn known(a: &str) -> bool {
        a == "os::012345-SN 1"
    }

    #[test]
    fn accepts_a_known_agent_with_subprotocol_and_eid() {
        let got = decide(
            &t(),
            "/usp/agent/os%3A%3A012345-SN%201",
            Some("x=1&eid=self%3A%3Actl%25a"),
            ["chat, v1.usp"],
            known,
        );
        assert_eq!(
            got,
            Ok(Accept {
                agent: "os::012345-SN 1".into(),
                controller: Some("self::ctl%a".into())
            })
        );
        let raw = decide(
            &t(),
            "/usp/agent/os::012345-SN%201",
            None,
            ["v1.usp"],
            known,
        );
        assert_eq!(raw.map(|a| a.controller), Ok(None));
    }

    #[test]
    fn refusals() {
        let d = |path, q, p: &[&str]| decide(&t(), path, q, p.iter().copied(), known);
        assert_eq!(
            d("/usp/agent/other", None, &["v1.usp"]),
            Err(Refusal::NotFound)
        );
        assert_eq!(d("/usp/agent/", None, &["v1.usp"]), Err(Refusal::NotFound));
        assert_eq!(d("/elsewhere", None, &["v1.usp"]), Err(Refusal::NotFound));
        let ok = "/usp/agent/os::012345-SN%201";
        assert_eq!(d(ok, None, &[]), Err(Refusal::NoSubprotocol));
        assert_eq!(d(ok, None, &["v1.usp2"]), Err(Refusal::NoSubprotocol));
        assert_eq!(d(ok, Some("eid=%FF"), &["v1.usp"]), Err(Refusal::BadEid));
        assert_eq!(Refusal::NotFound.status(), 404);
    }

    #[test]
    fn templates() {
        assert!(PathTemplate::parse("/usp").is_err());
        assert!(PathTemplate::parse("usp/{eid}").is_err());
        assert!(PathTemplate::parse("/{eid}/{eid}").is_err());
        let s = PathTemplate::parse("/a/{eid}/usp").unwrap();
        assert_eq!(s.agent_of("/a/x%2Fy/usp").as_deref(), Some("x/y"));
        assert_eq!(s.path_for("os::1 2"), "/a/os%3A%3A1%202/usp");
    }

    proptest! {
        #[test]
        fn path_for_and_agent_of_round_trip(eid in "\\PC{1,40}") {
            let t = t();
            prop_assert_eq!(t.agent_of(&t.path_for(&eid)), Some(eid));
        }

        #[test]
        fn any_request_line_is_decided_without_panic(path in "\\PC{0,60}", q in proptest::option::of("\\PC{0,60}")) {
            let _ = decide(&t(), &path, q.as_deref(), ["v1.usp"], |_| true);
        }
    }
}
