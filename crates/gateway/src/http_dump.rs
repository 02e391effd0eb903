//! Splits a raw HTTP request dump (as captured on the wire or written by
//! tcpdump/curl -v) into its head and body, so `decode` accepts what
//! operators actually have in hand.

use std::fmt;

/// Largest head we accept; real CWMP clients send well under 2 KiB.
const MAX_HEAD: usize = 16 * 1024;

#[derive(Debug, PartialEq, Eq, serde::Serialize)]
pub struct Head {
    pub start_line: String,
    /// Kept as pairs, in order, because names repeat (Set-Cookie); printed
    /// as `"Name: value"` lines so the JSON reads like the dump did.
    #[serde(serialize_with = "header_lines")]
    pub headers: Vec<(String, String)>,
}

fn header_lines<S: serde::Serializer>(
    headers: &[(String, String)],
    ser: S,
) -> Result<S::Ok, S::Error> {
    ser.collect_seq(headers.iter().map(|(n, v)| format!("{n}: {v}")))
}

#[derive(Debug, PartialEq, Eq)]
pub enum DumpError {
    NoHeadEnd,
    HeadTooLarge,
    BadHeader(usize),
    BadChunk(&'static str),
}

impl fmt::Display for DumpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DumpError::NoHeadEnd => f.write_str("HTTP dump has no blank line ending its headers"),
            DumpError::HeadTooLarge => write!(f, "HTTP head larger than {MAX_HEAD} bytes"),
            DumpError::BadHeader(n) => write!(f, "HTTP header line {n} has no ':'"),
            DumpError::BadChunk(why) => write!(f, "bad chunked body: {why}"),
        }
    }
}

impl std::error::Error for DumpError {}

/// True when the input looks like an HTTP request or response line rather
/// than XML or protobuf.
pub fn looks_like_http(input: &[u8]) -> bool {
    const STARTS: [&[u8]; 4] = [b"POST ", b"GET ", b"PUT ", b"HTTP/"];
    STARTS.iter().any(|s| input.starts_with(s))
}

/// Returns the head and the (de-chunked) body.
pub fn split(input: &[u8]) -> Result<(Head, Vec<u8>), DumpError> {
    let (head_end, body_start) = find_head_end(input).ok_or(if input.len() > MAX_HEAD {
        DumpError::HeadTooLarge
    } else {
        DumpError::NoHeadEnd
    })?;
    if head_end > MAX_HEAD {
        return Err(DumpError::HeadTooLarge);
    }
    let head_text = String::from_utf8_lossy(&input[..head_end]);
    let mut lines = head_text.lines();
    let start_line = lines.next().unwrap_or_default().trim_end().to_string();
    let mut headers = Vec::new();
    for (i, line) in lines.enumerate() {
        let (name, value) = line.split_once(':').ok_or(DumpError::BadHeader(i + 2))?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let raw_body = input.get(body_start..).unwrap_or_default();
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.to_ascii_lowercase().contains("chunked")
    });
    let body = if chunked {
        dechunk(raw_body)?
    } else {
        raw_body.to_vec()
    };
    Ok((
        Head {
            start_line,
            headers,
        },
        body,
    ))
}

/// Finds the blank line; dumps use CRLF on the wire but often LF once saved.
fn find_head_end(input: &[u8]) -> Option<(usize, usize)> {
    let window = &input[..input.len().min(MAX_HEAD + 4)];
    let crlf = window.windows(4).position(|w| w == b"\r\n\r\n");
    let lf = window.windows(2).position(|w| w == b"\n\n");
    match (crlf, lf) {
        (Some(c), Some(l)) if l < c => Some((l, l + 2)),
        (Some(c), _) => Some((c, c + 4)),
        (None, Some(l)) => Some((l, l + 2)),
        (None, None) => None,
    }
}

fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, DumpError> {
    let mut out = Vec::new();
    loop {
        let line_end = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or(DumpError::BadChunk("missing size line"))?;
        let size_text = std::str::from_utf8(&rest[..line_end])
            .map_err(|_| DumpError::BadChunk("size is not text"))?;
        let size_text = size_text.trim().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| DumpError::BadChunk("size is not hexadecimal"))?;
        rest = &rest[line_end + 1..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = rest
            .get(..size)
            .ok_or(DumpError::BadChunk("chunk shorter than its size"))?;
        out.extend_from_slice(chunk);
        rest = &rest[size..];
        rest = rest
            .strip_prefix(b"\r\n")
            .or_else(|| rest.strip_prefix(b"\n"))
            .ok_or(DumpError::BadChunk("chunk not followed by a line end"))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lf_dump_and_keeps_body() {
        let (head, body) = split(b"POST / HTTP/1.1\nHost: x\nContent-Length: 3\n\nabc").unwrap();
        assert_eq!(head.start_line, "POST / HTTP/1.1");
        assert_eq!(
            head.headers,
            vec![
                ("Host".to_string(), "x".to_string()),
                ("Content-Length".to_string(), "3".to_string())
            ]
        );
        assert_eq!(body, b"abc");
    }

    #[test]
    fn splits_crlf_dump_with_empty_body() {
        let (head, body) = split(b"POST /acs HTTP/1.1\r\nContent-Length: 0\r\n\r\n").unwrap();
        assert_eq!(head.start_line, "POST /acs HTTP/1.1");
        assert!(body.is_empty());
    }

    #[test]
    fn dechunks_bodies() {
        let dump = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n<a>\r\n4;x=y\r\n</a>\r\n0\r\n\r\n";
        let (_, body) = split(dump).unwrap();
        assert_eq!(body, b"<a></a>");
    }

    #[test]
    fn rejects_truncated_chunk_and_missing_head_end() {
        let dump = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nff\r\nabc";
        assert_eq!(
            split(dump),
            Err(DumpError::BadChunk("chunk shorter than its size"))
        );
        assert_eq!(
            split(b"POST / HTTP/1.1\r\nHost: x"),
            Err(DumpError::NoHeadEnd)
        );
        assert_eq!(
            split(b"POST / HTTP/1.1\nbroken\n\n"),
            Err(DumpError::BadHeader(2))
        );
    }

    #[test]
    fn oversized_head_is_refused() {
        let mut dump = b"POST / HTTP/1.1\n".to_vec();
        dump.extend(std::iter::repeat_n(b'a', MAX_HEAD + 10));
        assert_eq!(split(&dump), Err(DumpError::HeadTooLarge));
    }
}
