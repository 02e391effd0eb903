//! A tiny blocking HTTP/1.1 client for tests: the simulator's control API
//! and connection requests (with Digest via `httpauth`).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Splits `http://host:port/path` into (`host:port`, `/path`).
pub fn split_url(url: &str) -> (String, String) {
    let rest = url.strip_prefix("http://").expect("http:// URL");
    match rest.find('/') {
        Some(i) => (rest[..i].to_string(), rest[i..].to_string()),
        None => (rest.to_string(), "/".to_string()),
    }
}

/// One request on a fresh connection (`Connection: close`).
pub fn request(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let (host, path) = split_url(url);
    let mut s = TcpStream::connect(&host).unwrap_or_else(|e| panic!("connect {host}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    parse_reply(&raw)
}

fn parse_reply(raw: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in reply: {text:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

pub fn get(url: &str) -> Reply {
    request("GET", url, &[], "")
}

pub fn post_json(url: &str, body: &str) -> Reply {
    request("POST", url, &[("Content-Type", "application/json")], body)
}

/// A TR-069 connection request: GET, and on 401 answer the challenge once.
/// Returns the final reply and whether a challenge was answered.
pub fn connection_request(url: &str, user: &str, password: &str) -> (Reply, bool) {
    let first = get(url);
    if first.status != 401 {
        return (first, false);
    }
    let challenge = first.headers_named("WWW-Authenticate").join(", ");
    let (_, uri) = split_url(url);
    let auth = httpauth::client::respond(&challenge, "GET", &uri, user, password, "0a4f113b", 1)
        .unwrap_or_else(|e| panic!("cannot answer {challenge:?}: {e}"));
    (request("GET", url, &[("Authorization", &auth)], ""), true)
}

/// One kept-alive connection, for tests that need a session to stay on
/// its TCP connection (or to stall halfway through a request).
pub struct Conn {
    stream: TcpStream,
    host: String,
    path: String,
}

impl Conn {
    pub fn open(url: &str) -> Conn {
        let (host, path) = split_url(url);
        let stream = TcpStream::connect(&host).unwrap_or_else(|e| panic!("connect {host}: {e}"));
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        Conn { stream, host, path }
    }

    /// Writes raw bytes (a partial request, say) as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// POSTs `body` and reads exactly one reply, keeping the connection.
    pub fn post(&mut self, body: &str) -> Reply {
        let req = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{body}",
            self.path,
            self.host,
            body.len()
        );
        self.send_raw(req.as_bytes());
        self.read_reply()
            .unwrap_or_else(|| panic!("connection closed before a reply"))
    }

    /// One reply, or `None` when the peer closed first.
    pub fn read_reply(&mut self) -> Option<Reply> {
        let mut raw = Vec::new();
        let mut byte = [0u8; 1];
        while !raw.ends_with(b"\r\n\r\n") {
            match self.stream.read(&mut byte) {
                Ok(0) | Err(_) => return None,
                Ok(_) => raw.push(byte[0]),
            }
        }
        let mut reply = parse_reply(&raw);
        let len: usize = reply
            .header("Content-Length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; len];
        self.stream.read_exact(&mut body).ok()?;
        reply.body = String::from_utf8_lossy(&body).into_owned();
        Some(reply)
    }

    /// True once the peer has closed the connection (reads EOF or reset).
    pub fn closed_by_peer(&mut self) -> bool {
        let mut buf = [0u8; 256];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) | Err(_) => return true,
                Ok(_) => continue,
            }
        }
    }
}
