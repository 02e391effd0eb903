//! A file server on loopback for Download and Upload tests: a GET of any
//! path serves 512 bytes, a PUT stores its body (see
//! [`FileServer::received`]), a path under `/missing` answers 404 to
//! either, and [`FileServer::hold`] keeps every answer waiting until
//! [`FileServer::release`], so a test can act while a CPE is mid-transfer.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::watch;

/// Larger heads or bodies are cut off (the CPE's upload is a few tens of KiB).
const MAX_HEAD: usize = 16 * 1024;
const MAX_BODY: usize = 4 * 1024 * 1024;

/// The PUTs stored: (path, body).
type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

pub struct FileServer {
    base: String,
    open: watch::Sender<bool>,
    hits: Arc<AtomicUsize>,
    received: Received,
}

/// A request's method, path and body (read up to its Content-Length).
async fn read_request(conn: &mut (impl AsyncRead + Unpin)) -> Option<(String, String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        let n = tokio::time::timeout(Duration::from_secs(10), conn.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut words = head.split_whitespace();
    let (method, path) = (words.next()?.to_owned(), words.next()?.to_owned());
    let length = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0)
        .min(MAX_BODY);
    let mut body = buf[end..].to_vec();
    while body.len() < length {
        let n = tokio::time::timeout(Duration::from_secs(10), conn.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Some((method, path, body))
}

impl FileServer {
    pub async fn start() -> FileServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (open, gate) = watch::channel(true);
        let hits = Arc::new(AtomicUsize::new(0));
        let received = Received::default();
        let (counted, stored) = (hits.clone(), received.clone());
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let (mut gate, counted, stored) = (gate.clone(), counted.clone(), stored.clone());
                tokio::spawn(async move {
                    let request = read_request(&mut conn).await;
                    counted.fetch_add(1, Ordering::SeqCst);
                    let _ = gate.wait_for(|open| *open).await;
                    let (method, path, body) = request.unwrap_or_default();
                    let (status, reply): (&str, &[u8]) = if path.starts_with("/missing") {
                        ("404 Not Found", b"")
                    } else if method == "PUT" {
                        stored.lock().unwrap().push((path, body));
                        ("201 Created", b"")
                    } else {
                        ("200 OK", &[0xA5u8; 512])
                    };
                    let head = format!(
                        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        reply.len()
                    );
                    let _ = conn.write_all(head.as_bytes()).await;
                    let _ = conn.write_all(reply).await;
                });
            }
        });
        FileServer {
            base: format!("http://{addr}"),
            open,
            hits,
            received,
        }
    }

    /// A file that is there.
    pub fn url(&self) -> String {
        format!("{}/fw.bin", self.base)
    }

    /// A file that is not (404).
    pub fn missing_url(&self) -> String {
        format!("{}/missing/fw.bin", self.base)
    }

    /// `path` on this server (`/missing...` answers 404).
    pub fn url_of(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The PUTs stored so far, oldest first: (path, body).
    pub fn received(&self) -> Vec<(String, Vec<u8>)> {
        self.received.lock().unwrap().clone()
    }

    /// Requests received so far (counted before they are answered).
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    pub fn hold(&self) {
        self.open.send_replace(false);
    }

    pub fn release(&self) {
        self.open.send_replace(true);
    }
}
