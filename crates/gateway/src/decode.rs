//! `cwmp2usp decode`: turns a CWMP envelope, an HTTP dump carrying one, or a
//! binary USP Record into JSON an operator can read and grep.

use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use crate::http_dump;

/// Upper bound on what we read: larger than any CWMP envelope or USP Record
/// we accept elsewhere (USP caps Records at a few MiB), small enough that a
/// mistaken `decode /dev/zero` cannot exhaust memory.
const MAX_INPUT: u64 = 16 * 1024 * 1024;

pub fn run(file: Option<&Path>, compact: bool) -> Result<String> {
    let input = read_input(file)?;
    let value = decode(&input)?;
    let text = if compact {
        serde_json::to_string(&value)
    } else {
        serde_json::to_string_pretty(&value)
    };
    text.context("could not render JSON")
}

fn read_input(file: Option<&Path>) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    let source: Box<dyn Read> = match file {
        None => Box::new(std::io::stdin()),
        Some(p) if p == Path::new("-") => Box::new(std::io::stdin()),
        Some(p) => Box::new(
            std::fs::File::open(p).with_context(|| format!("cannot open {}", p.display()))?,
        ),
    };
    source
        .take(MAX_INPUT + 1)
        .read_to_end(&mut buf)
        .context("cannot read input")?;
    if buf.len() as u64 > MAX_INPUT {
        bail!("input larger than {MAX_INPUT} bytes");
    }
    Ok(buf)
}

/// Picks the decoder from the first bytes: an HTTP start line, XML, or
/// otherwise a protobuf Record (which has no magic number of its own).
pub fn decode(input: &[u8]) -> Result<Value> {
    if input.is_empty() {
        bail!("input is empty");
    }
    if http_dump::looks_like_http(input) {
        let (head, body) = http_dump::split(input)?;
        let (method, envelope) = decode_cwmp_body(&body)?;
        return Ok(json!({ "kind": "cwmp", "method": method, "http": head, "envelope": envelope }));
    }
    if starts_like_xml(input) {
        let (method, envelope) = decode_cwmp_body(input)?;
        return Ok(json!({ "kind": "cwmp", "method": method, "envelope": envelope }));
    }
    let decoded = usp::decode_record(input)
        .map_err(|e| anyhow::anyhow!("not a CWMP envelope, and not a USP Record: {e}"))?;
    let mut value = json!({ "kind": "usp", "record": decoded.record, "msg": decoded.msg });
    hoist_oneofs(&mut value);
    Ok(value)
}

/// Oneof fields that only wrap the real content (prost gives each its own
/// level). Hoisting their single child makes `"body": {"request": {"get":
/// ...}}` out of five levels of nesting.
const WRAPPER_ONEOFS: [&str; 4] = ["record_type", "msg_body", "req_type", "resp_type"];

fn hoist_oneofs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for key in WRAPPER_ONEOFS {
                if let Some(Value::Object(inner)) = map.remove(key) {
                    map.extend(inner);
                }
            }
            map.values_mut().for_each(hoist_oneofs);
        }
        Value::Array(items) => items.iter_mut().for_each(hoist_oneofs),
        _ => {}
    }
}

/// Returns the method name and the envelope. An empty POST is a real CWMP
/// message (the CPE has nothing more to say), so it decodes rather than fails.
fn decode_cwmp_body(body: &[u8]) -> Result<(&'static str, Value)> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(("empty", Value::Null));
    }
    let envelope = cwmp::parse(body).map_err(|e| anyhow::anyhow!("CWMP: {e}"))?;
    let value = serde_json::to_value(&envelope).context("could not render envelope")?;
    Ok((envelope.method_name(), value))
}

fn starts_like_xml(input: &[u8]) -> bool {
    let trimmed = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    trimmed
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'<')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_input_is_an_error() {
        assert!(decode(b"").is_err());
    }

    #[test]
    fn garbage_is_a_one_line_error() {
        let err = decode(b"\xff\xff\xff\xff").unwrap_err().to_string();
        assert!(
            err.starts_with("not a CWMP envelope, and not a USP Record"),
            "{err}"
        );
        assert!(!err.contains('\n'));
    }

    #[test]
    fn empty_post_dump_is_empty_envelope() {
        let v = decode(b"POST / HTTP/1.1\nContent-Length: 0\n\n").unwrap();
        assert_eq!(v["kind"], "cwmp");
        assert_eq!(v["method"], "empty");
        assert!(v["envelope"].is_null());
        assert_eq!(v["http"]["start_line"], "POST / HTTP/1.1");
    }

    #[test]
    fn wrapper_oneofs_are_hoisted() {
        let mut v = json!({"body": {"msg_body": {"request": {"req_type": {"get": {"x": 1}}}}}});
        hoist_oneofs(&mut v);
        assert_eq!(v, json!({"body": {"request": {"get": {"x": 1}}}}));
    }

    #[test]
    fn xml_detection_skips_bom_and_whitespace() {
        assert!(starts_like_xml(b"\xEF\xBB\xBF \n<?xml"));
        assert!(!starts_like_xml(b"\x0a\x031.3"));
    }
}
