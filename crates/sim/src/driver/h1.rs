//! A lean HTTP/1.1 client connection for session POSTs.
//!
//! The load target is "as fast as wrk": a session is two small POSTs on a
//! fresh TCP connection, and hyper's client (a spawned connection task, a
//! dispatch channel and a HeaderMap per request) cost more CPU than the
//! simulated CPE themselves. This writes each request with one syscall and
//! parses the answer in place with httparse (hyper's own parser). Transfers
//! (Download/Upload) still go through hyper; only the hot path is here.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::client::ClientError;
use super::tls::Stream;
use crate::cpe::HttpResponse;

/// Largest response head we read; CWMP ACS answers are a few hundred bytes.
const MAX_HEAD: usize = 16 * 1024;
const MAX_HEADERS: usize = 64;

pub struct Conn {
    stream: Stream,
    buf: BytesMut,
    closed: bool,
}

enum BodyKind {
    None,
    Length(usize),
    Chunked,
    UntilClose,
}

impl Conn {
    pub async fn connect(addr: SocketAddr, timeout: Duration) -> Result<Conn, ClientError> {
        let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| ClientError::Timeout)?
            .map_err(|e| ClientError::Connect(e.to_string()))?;
        let _ = stream.set_nodelay(true);
        Ok(Conn::over(Stream::Plain(stream)))
    }

    /// A connection over an already open (perhaps TLS) stream.
    pub fn over(stream: Stream) -> Conn {
        Conn {
            stream,
            buf: BytesMut::with_capacity(4096),
            closed: false,
        }
    }

    /// Whether the connection resumed an earlier TLS session.
    pub fn resumed(&self) -> bool {
        self.stream.resumed()
    }

    /// False once the peer said `Connection: close`, closed, or failed.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Sends one request and reads the whole answer, within `timeout`.
    #[allow(clippy::too_many_arguments)]
    pub async fn request(
        &mut self,
        method: &str,
        authority: &str,
        path: &str,
        headers: &[(&'static str, Cow<'static, str>)],
        body: &[u8],
        timeout: Duration,
        max_body: usize,
    ) -> Result<HttpResponse, ClientError> {
        let out = encode_request(method, authority, path, headers, body);
        let work = async {
            self.stream
                .write_all(&out)
                .await
                .map_err(|e| ClientError::Http(e.to_string()))?;
            // TLS may hold the tail of a request until flushed (TCP: no-op).
            self.stream
                .flush()
                .await
                .map_err(|e| ClientError::Http(e.to_string()))?;
            self.read_response(method == "HEAD", max_body).await
        };
        let result = tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| ClientError::Timeout)
            .and_then(|r| r);
        if result.is_err() {
            self.closed = true;
        }
        result
    }

    async fn fill(&mut self) -> Result<usize, ClientError> {
        if self.buf.capacity() - self.buf.len() < 1024 {
            self.buf.reserve(4096);
        }
        self.stream
            .read_buf(&mut self.buf)
            .await
            .map_err(|e| ClientError::Http(e.to_string()))
    }

    async fn read_response(
        &mut self,
        head_only: bool,
        max_body: usize,
    ) -> Result<HttpResponse, ClientError> {
        let head = loop {
            if let Some(parsed) = parse_head(&self.buf)? {
                break parsed;
            }
            if self.buf.len() > MAX_HEAD {
                return Err(ClientError::Http("response head too large".into()));
            }
            if self.fill().await? == 0 {
                return Err(ClientError::Http(
                    "connection closed before a response".into(),
                ));
            }
        };
        let raw = self.buf.split_to(head.len).freeze();
        let status = head.status;
        let kind = if head_only || status == 204 || status == 304 || (100..200).contains(&status) {
            BodyKind::None
        } else if head.chunked {
            BodyKind::Chunked
        } else if let Some(len) = head.content_length {
            BodyKind::Length(len.ok_or_else(|| ClientError::Http("bad Content-Length".into()))?)
        } else {
            BodyKind::UntilClose
        };
        let body = match kind {
            BodyKind::None => Bytes::new(),
            BodyKind::Length(n) => {
                if n > max_body {
                    return Err(ClientError::TooLarge);
                }
                while self.buf.len() < n {
                    if self.fill().await? == 0 {
                        return Err(ClientError::Http("body shorter than Content-Length".into()));
                    }
                }
                self.buf.split_to(n).freeze()
            }
            BodyKind::Chunked => self.read_chunked(max_body).await?,
            BodyKind::UntilClose => {
                while self.fill().await? != 0 {
                    if self.buf.len() > max_body {
                        return Err(ClientError::TooLarge);
                    }
                }
                self.closed = true;
                self.buf.split().freeze()
            }
        };
        if head.close {
            self.closed = true;
        }
        Ok(HttpResponse::from_head(
            status,
            raw.slice(head.lines..),
            body,
        ))
    }

    async fn read_chunked(&mut self, max_body: usize) -> Result<Bytes, ClientError> {
        let mut body = BytesMut::new();
        loop {
            let line_end = loop {
                if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                    break i;
                }
                if self.buf.len() > 1024 {
                    return Err(ClientError::Http("chunk size line too long".into()));
                }
                if self.fill().await? == 0 {
                    return Err(ClientError::Http("truncated chunked body".into()));
                }
            };
            let size_text = std::str::from_utf8(&self.buf[..line_end])
                .map_err(|_| ClientError::Http("bad chunk size".into()))?;
            let size_text = size_text.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| ClientError::Http("bad chunk size".into()))?;
            self.buf.advance(line_end + 2);
            if body.len().saturating_add(size) > max_body {
                return Err(ClientError::TooLarge);
            }
            // The chunk, then its CRLF (after the last chunk: optional
            // trailers, which we skip up to the blank line).
            while self.buf.len() < size + 2 {
                if self.fill().await? == 0 {
                    return Err(ClientError::Http("truncated chunked body".into()));
                }
            }
            if size == 0 {
                self.skip_trailers().await?;
                return Ok(body.freeze());
            }
            body.extend_from_slice(&self.buf[..size]);
            self.buf.advance(size + 2);
        }
    }

    async fn skip_trailers(&mut self) -> Result<(), ClientError> {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                self.buf.advance(i + 2);
                if i == 0 {
                    return Ok(());
                }
                continue;
            }
            if self.buf.len() > MAX_HEAD {
                return Err(ClientError::Http("trailers too large".into()));
            }
            if self.fill().await? == 0 {
                return Err(ClientError::Http("truncated trailers".into()));
            }
        }
    }
}

/// What the connection needs to know of a response head.
struct Head {
    status: u16,
    /// Bytes of the whole head, blank line included.
    len: usize,
    /// Where the header lines start (after the status line).
    lines: usize,
    close: bool,
    chunked: bool,
    /// `Some(None)`: present but not a number.
    content_length: Option<Option<usize>>,
}

/// Parses a response head once it is complete. The framing headers are
/// read here, from httparse's slices; the rest stay in the raw head.
fn parse_head(buf: &[u8]) -> Result<Option<Head>, ClientError> {
    // Uninitialised slots: zeroing 64 of them cost more than parsing.
    let mut slots =
        [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut []);
    match httparse::ParserConfig::default()
        .parse_response_with_uninit_headers(&mut resp, buf, &mut slots)
    {
        Ok(httparse::Status::Complete(len)) => {
            let mut head = Head {
                status: resp.code.unwrap_or(0),
                len,
                lines: buf.iter().position(|b| *b == b'\n').map_or(len, |i| i + 1),
                close: false,
                chunked: false,
                content_length: None,
            };
            for h in resp.headers.iter() {
                let value = || String::from_utf8_lossy(h.value);
                if h.name.eq_ignore_ascii_case("connection") {
                    head.close |= value()
                        .split(',')
                        .any(|t| t.trim().eq_ignore_ascii_case("close"));
                } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                    head.chunked |= value().to_ascii_lowercase().contains("chunked");
                } else if h.name.eq_ignore_ascii_case("content-length") {
                    head.content_length = Some(value().trim().parse().ok());
                }
            }
            Ok(Some(head))
        }
        Ok(httparse::Status::Partial) => Ok(None),
        Err(e) => Err(ClientError::Http(format!("bad response: {e}"))),
    }
}

fn encode_request(
    method: &str,
    authority: &str,
    path: &str,
    headers: &[(&'static str, Cow<'static, str>)],
    body: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + body.len());
    for part in [method, " ", path, " HTTP/1.1\r\nhost: ", authority] {
        out.extend_from_slice(part.as_bytes());
    }
    out.extend_from_slice(b"\r\nuser-agent: cwmp2usp-sim\r\n");
    let mut has_length = false;
    for (name, value) in headers {
        has_length |= name.eq_ignore_ascii_case("content-length");
        for part in [*name, ": ", value, "\r\n"] {
            out.extend_from_slice(part.as_bytes());
        }
    }
    if !has_length {
        // Written in place: a format! here was one more allocation per POST.
        out.extend_from_slice(b"content-length: ");
        crate::clock::push_decimal(&mut out, body.len() as u64);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_is_one_buffer_with_length() {
        let out = encode_request(
            "POST",
            "acs:7547",
            "/",
            &[("soapaction", "".into())],
            b"<x/>",
        );
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("POST / HTTP/1.1\r\nhost: acs:7547\r\n"));
        assert!(text.contains("soapaction: \r\n"));
        assert!(text.ends_with("content-length: 4\r\n\r\n<x/>"));
    }

    #[test]
    fn head_parsing_is_incremental_and_bounded() {
        let full = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nSet-Cookie: a=b\r\n\r\nok";
        assert!(parse_head(&full[..10]).unwrap().is_none());
        let head = parse_head(full).unwrap().unwrap();
        assert_eq!(head.status, 200);
        assert_eq!(head.content_length, Some(Some(2)));
        assert_eq!(&full[head.len..], b"ok");
        assert!(parse_head(b"garbage\r\n\r\n").is_err());
    }

    async fn serve_once(answer: &'static [u8]) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let _ = s.read(&mut buf).await;
            s.write_all(answer).await.unwrap();
        });
        addr
    }

    #[tokio::test]
    async fn reads_length_chunked_and_close_delimited_bodies() {
        let t = Duration::from_secs(2);
        for (answer, body, closed) in [
            (&b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"[..], &b"hello"[..], false),
            (
                &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2;x=1\r\nlo\r\n0\r\n\r\n"[..],
                &b"hello"[..],
                false,
            ),
            (&b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello"[..], &b"hello"[..], true),
            (&b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"[..], &b""[..], true),
        ] {
            let addr = serve_once(answer).await;
            let mut c = Conn::connect(addr, t).await.unwrap();
            let r = c.request("POST", "x", "/", &[], b"", t, 1024).await.unwrap();
            assert_eq!(&r.body[..], body);
            assert_eq!(c.is_closed(), closed);
        }
    }

    #[tokio::test]
    async fn headers_are_found_in_the_received_head() {
        let t = Duration::from_secs(2);
        let answer = b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"a\"\r\nset-cookie: s=1\r\nWww-Authenticate: Basic realm=\"a\"\r\nContent-Length: 0\r\n\r\n";
        let addr = serve_once(answer).await;
        let mut c = Conn::connect(addr, t).await.unwrap();
        let r = c
            .request("POST", "x", "/", &[], b"", t, 1024)
            .await
            .unwrap();
        assert_eq!(r.status, 401);
        let challenges: Vec<&str> = r.headers_named("www-authenticate").collect();
        assert_eq!(challenges, ["Digest realm=\"a\"", "Basic realm=\"a\""]);
        assert_eq!(r.header("Set-Cookie"), Some("s=1"));
        assert_eq!(r.header("HTTP/1.1 401 Unauthorized"), None);
        assert_eq!(r.headers().count(), 4);
    }

    #[tokio::test]
    async fn oversized_and_truncated_bodies_are_errors() {
        let t = Duration::from_secs(2);
        let addr = serve_once(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\nxx").await;
        let mut c = Conn::connect(addr, t).await.unwrap();
        assert!(matches!(
            c.request("POST", "x", "/", &[], b"", t, 1024).await,
            Err(ClientError::TooLarge)
        ));
        let addr = serve_once(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nxx").await;
        let mut c = Conn::connect(addr, t).await.unwrap();
        assert!(c
            .request("POST", "x", "/", &[], b"", t, 1024)
            .await
            .is_err());
        assert!(c.is_closed());
    }
}
