//! A sans-IO STOMP 1.2 frame codec: feed bytes as they arrive, take frames
//! out. Header escaping (`\r \n \c \\`) follows STOMP 1.2, except in the
//! CONNECT, STOMP and CONNECTED frames, which carry their headers raw.
//! Every size is bounded ([`Limits`]); a frame whose body exceeds the limit
//! is skipped without being buffered when its length is known (or up to its
//! NUL otherwise), so one oversized message does not cost the connection.
//! Any other violation is a [`FrameError`], after which the stream cannot
//! be trusted to resynchronise and the caller closes the connection.

use bytes::{Buf, Bytes, BytesMut};

/// The frames of STOMP 1.2, client and server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Connect,
    Stomp,
    Connected,
    Send,
    Subscribe,
    Unsubscribe,
    Ack,
    Nack,
    Begin,
    Commit,
    Abort,
    Disconnect,
    Message,
    Receipt,
    Error,
}

const COMMANDS: [(Command, &str); 15] = [
    (Command::Connect, "CONNECT"),
    (Command::Stomp, "STOMP"),
    (Command::Connected, "CONNECTED"),
    (Command::Send, "SEND"),
    (Command::Subscribe, "SUBSCRIBE"),
    (Command::Unsubscribe, "UNSUBSCRIBE"),
    (Command::Ack, "ACK"),
    (Command::Nack, "NACK"),
    (Command::Begin, "BEGIN"),
    (Command::Commit, "COMMIT"),
    (Command::Abort, "ABORT"),
    (Command::Disconnect, "DISCONNECT"),
    (Command::Message, "MESSAGE"),
    (Command::Receipt, "RECEIPT"),
    (Command::Error, "ERROR"),
];

impl Command {
    pub fn as_str(self) -> &'static str {
        COMMANDS
            .iter()
            .find(|(c, _)| *c == self)
            .map_or("", |(_, s)| s)
    }

    fn parse(bytes: &[u8]) -> Option<Command> {
        COMMANDS
            .iter()
            .find(|(_, s)| s.as_bytes() == bytes)
            .map(|(c, _)| *c)
    }

    /// The connection frames predate escaping and carry headers raw.
    fn escapes_headers(self) -> bool {
        !matches!(self, Command::Connect | Command::Stomp | Command::Connected)
    }

    pub fn all() -> impl Iterator<Item = Command> {
        COMMANDS.iter().map(|(c, _)| *c)
    }
}

/// One STOMP frame. Headers keep their order and repeats; per STOMP 1.2
/// only the first of a repeated header counts ([`Frame::header`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub command: Command,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Frame {
    pub fn new(command: Command) -> Self {
        Frame {
            command,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body and its `content-length`, so a body may hold NULs.
    pub fn body(mut self, body: Bytes) -> Self {
        self.headers.retain(|(n, _)| n != "content-length");
        self.headers
            .push(("content-length".into(), body.len().to_string()));
        self.body = body;
        self
    }

    /// The first value of header `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Appends the wire form to `out`. Fails on what cannot be written
    /// faithfully: a raw header with CR, LF or (in a name) a colon, or a
    /// body with a NUL and no `content-length`.
    pub fn encode(&self, out: &mut BytesMut) -> Result<(), FrameError> {
        let escape = self.command.escapes_headers();
        if self.get("content-length").is_none() && self.body.contains(&0) {
            return Err(FrameError::NulInBody);
        }
        out.extend_from_slice(self.command.as_str().as_bytes());
        out.extend_from_slice(b"\n");
        for (name, value) in &self.headers {
            put_header_part(out, name, escape, true)?;
            out.extend_from_slice(b":");
            put_header_part(out, value, escape, false)?;
            out.extend_from_slice(b"\n");
        }
        out.extend_from_slice(b"\n");
        out.extend_from_slice(&self.body);
        out.extend_from_slice(b"\0");
        Ok(())
    }

    pub fn to_bytes(&self) -> Result<Bytes, FrameError> {
        let mut out = BytesMut::with_capacity(64 + self.body.len());
        self.encode(&mut out)?;
        Ok(out.freeze())
    }
}

fn put_header_part(
    out: &mut BytesMut,
    text: &str,
    escape: bool,
    is_name: bool,
) -> Result<(), FrameError> {
    if !escape {
        if text.contains(['\r', '\n']) || (is_name && text.contains(':')) {
            return Err(FrameError::Unescapable);
        }
        out.extend_from_slice(text.as_bytes());
        return Ok(());
    }
    for b in text.bytes() {
        match b {
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b':' => out.extend_from_slice(b"\\c"),
            b'\\' => out.extend_from_slice(b"\\\\"),
            _ => out.extend_from_slice(&[b]),
        }
    }
    Ok(())
}

/// Size bounds of the decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Header lines per frame.
    pub max_headers: usize,
    /// Bytes of one line (command or header), escapes included.
    pub max_line: usize,
    /// Bytes of one body; larger ones are skipped.
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_headers: 64,
            max_line: 4096,
            max_body: crate::DEFAULT_MAX_RECORD_BYTES,
        }
    }
}

/// What the decoder found in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Frame(Frame),
    /// One or more end-of-line heart-beats.
    HeartBeat,
    /// A frame whose body exceeds `max_body`, headers kept, body discarded
    /// (still being discarded when this is returned).
    Oversized {
        command: Command,
        headers: Vec<(String, String)>,
        length: Option<usize>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("unknown STOMP command")]
    UnknownCommand,
    #[error("header line without a colon")]
    NoColon,
    #[error("undefined escape sequence in a header")]
    BadEscape,
    #[error("header is not UTF-8")]
    NotUtf8,
    #[error("line longer than the limit")]
    LineTooLong,
    #[error("more headers than the limit")]
    TooManyHeaders,
    #[error("bad content-length")]
    BadContentLength,
    #[error("frame body not followed by NUL")]
    MissingNul,
    #[error("a raw header cannot hold CR, LF or a colon in its name")]
    Unescapable,
    #[error("a body holding NUL needs a content-length")]
    NulInBody,
}

/// How much of an oversized body is still to be thrown away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Skip {
    None,
    /// This many bytes of body, then the NUL.
    Bytes(usize),
    /// Up to and including the next NUL.
    UntilNul,
}

/// Incremental decoder: [`Decoder::feed`] bytes, then call
/// [`Decoder::next`] until it returns `Ok(None)`.
#[derive(Debug)]
pub struct Decoder {
    limits: Limits,
    buf: BytesMut,
    skip: Skip,
    /// Where the search for a body's NUL resumes, relative to `buf`.
    nul_from: usize,
}

impl Decoder {
    pub fn new(limits: Limits) -> Self {
        Decoder {
            limits,
            buf: BytesMut::new(),
            skip: Skip::None,
            nul_from: 0,
        }
    }

    /// Bytes buffered and not yet decoded.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    pub fn feed(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The next complete item, `Ok(None)` when more bytes are needed.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Item>, FrameError> {
        if !self.discard() {
            return Ok(None);
        }
        let eols = self.leading_eols();
        if eols > 0 {
            self.buf.advance(eols);
            return Ok(Some(Item::HeartBeat));
        }
        if self.buf.is_empty() || self.buf[..] == b"\r"[..] {
            return Ok(None);
        }
        let Some((command, headers, body_at)) = self.head()? else {
            return Ok(None);
        };
        let length = match headers.iter().find(|(n, _)| n == "content-length") {
            Some((_, v)) => Some(parse_length(v)?),
            None => None,
        };
        match length {
            Some(len) if len > self.limits.max_body => {
                self.buf.advance(body_at);
                self.skip = Skip::Bytes(len);
                self.nul_from = 0;
                Ok(Some(Item::Oversized {
                    command,
                    headers,
                    length,
                }))
            }
            Some(len) => {
                if self.buf.len() < body_at + len + 1 {
                    return Ok(None);
                }
                if self.buf[body_at + len] != 0 {
                    return Err(FrameError::MissingNul);
                }
                let mut frame = self.buf.split_to(body_at + len + 1);
                frame.advance(body_at);
                frame.truncate(len);
                self.nul_from = 0;
                Ok(Some(Item::Frame(Frame {
                    command,
                    headers,
                    body: frame.freeze(),
                })))
            }
            None => {
                let from = self.nul_from.max(body_at);
                match self.buf[from..].iter().position(|&b| b == 0) {
                    Some(i) => {
                        let end = from + i;
                        if end - body_at > self.limits.max_body {
                            self.buf.advance(end + 1);
                            self.nul_from = 0;
                            return Ok(Some(Item::Oversized {
                                command,
                                headers,
                                length: None,
                            }));
                        }
                        let mut frame = self.buf.split_to(end + 1);
                        frame.advance(body_at);
                        frame.truncate(end - body_at);
                        self.nul_from = 0;
                        Ok(Some(Item::Frame(Frame {
                            command,
                            headers,
                            body: frame.freeze(),
                        })))
                    }
                    None if self.buf.len() - body_at > self.limits.max_body => {
                        self.buf.clear();
                        self.skip = Skip::UntilNul;
                        self.nul_from = 0;
                        Ok(Some(Item::Oversized {
                            command,
                            headers,
                            length: None,
                        }))
                    }
                    None => {
                        self.nul_from = self.buf.len();
                        Ok(None)
                    }
                }
            }
        }
    }

    /// Drops what remains of an oversized body; false while more is due.
    fn discard(&mut self) -> bool {
        match self.skip {
            Skip::None => true,
            Skip::Bytes(n) => {
                if self.buf.len() <= n {
                    self.skip = Skip::Bytes(n - self.buf.len());
                    self.buf.clear();
                    return false;
                }
                // The byte after the body should be NUL; a peer that lied
                // about the length is caught by the next frame's parse.
                self.buf.advance(n + 1);
                self.skip = Skip::None;
                true
            }
            Skip::UntilNul => match self.buf.iter().position(|&b| b == 0) {
                Some(i) => {
                    self.buf.advance(i + 1);
                    self.skip = Skip::None;
                    true
                }
                None => {
                    self.buf.clear();
                    false
                }
            },
        }
    }

    fn leading_eols(&self) -> usize {
        let mut i = 0;
        loop {
            match &self.buf[i..] {
                [b'\n', ..] => i += 1,
                [b'\r', b'\n', ..] => i += 2,
                _ => return i,
            }
        }
    }

    /// Parses the command and headers if the blank line has arrived:
    /// returns them and the offset of the body.
    #[allow(clippy::type_complexity)]
    fn head(&self) -> Result<Option<(Command, Vec<(String, String)>, usize)>, FrameError> {
        let mut lines = Vec::new();
        let mut at = 0;
        loop {
            let Some(nl) = self.buf[at..].iter().position(|&b| b == b'\n') else {
                if self.buf.len() - at > self.limits.max_line {
                    return Err(FrameError::LineTooLong);
                }
                return Ok(None);
            };
            let mut line = &self.buf[at..at + nl];
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            if line.len() > self.limits.max_line {
                return Err(FrameError::LineTooLong);
            }
            at += nl + 1;
            if line.is_empty() {
                break;
            }
            if lines.len() > self.limits.max_headers {
                return Err(FrameError::TooManyHeaders);
            }
            lines.push(line);
        }
        let Some((command, header_lines)) = lines.split_first() else {
            return Err(FrameError::UnknownCommand);
        };
        let command = Command::parse(command).ok_or(FrameError::UnknownCommand)?;
        let escaped = command.escapes_headers();
        let mut headers = Vec::with_capacity(header_lines.len());
        for line in header_lines {
            let colon = line
                .iter()
                .position(|&b| b == b':')
                .ok_or(FrameError::NoColon)?;
            let name = unescape(&line[..colon], escaped)?;
            let value = unescape(&line[colon + 1..], escaped)?;
            headers.push((name, value));
        }
        Ok(Some((command, headers, at)))
    }
}

fn parse_length(v: &str) -> Result<usize, FrameError> {
    let v = v.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FrameError::BadContentLength);
    }
    v.parse().map_err(|_| FrameError::BadContentLength)
}

fn unescape(raw: &[u8], escaped: bool) -> Result<String, FrameError> {
    if !escaped || !raw.contains(&b'\\') {
        return String::from_utf8(raw.to_vec()).map_err(|_| FrameError::NotUtf8);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut it = raw.iter();
    while let Some(&b) = it.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        out.push(match it.next() {
            Some(b'r') => b'\r',
            Some(b'n') => b'\n',
            Some(b'c') => b':',
            Some(b'\\') => b'\\',
            _ => return Err(FrameError::BadEscape),
        });
    }
    String::from_utf8(out).map_err(|_| FrameError::NotUtf8)
}

/// Decodes everything in `input` at once: the fuzzing entry point. Stops at
/// the first error; a trailing partial frame is ignored.
pub fn decode(input: &[u8], limits: Limits) -> Result<Vec<Item>, FrameError> {
    let mut decoder = Decoder::new(limits);
    decoder.feed(input);
    let mut items = Vec::new();
    while let Some(item) = decoder.next()? {
        items.push(item);
    }
    Ok(items)
}

#[cfg(test)]
#[path = "frame_tests.rs"]
mod tests;
