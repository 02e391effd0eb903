//! A firmware file server on loopback for Download tests: any path serves
//! 512 bytes, `/missing...` answers 404, and [`FileServer::hold`] keeps
//! every answer waiting until [`FileServer::release`], so a test can act
//! while a CPE is mid-transfer.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::watch;

pub struct FileServer {
    base: String,
    open: watch::Sender<bool>,
    hits: Arc<AtomicUsize>,
}

impl FileServer {
    pub async fn start() -> FileServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (open, gate) = watch::channel(true);
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let (mut gate, counted) = (gate.clone(), counted.clone());
                tokio::spawn(async move {
                    let mut head = vec![0u8; 4096];
                    let n = tokio::time::timeout(Duration::from_secs(5), conn.read(&mut head))
                        .await
                        .ok()
                        .and_then(Result::ok)
                        .unwrap_or(0);
                    counted.fetch_add(1, Ordering::SeqCst);
                    let _ = gate.wait_for(|open| *open).await;
                    let missing = head[..n].starts_with(b"GET /missing");
                    let (status, body): (&str, &[u8]) = if missing {
                        ("404 Not Found", b"")
                    } else {
                        ("200 OK", &[0xA5u8; 512])
                    };
                    let reply = format!(
                        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = conn.write_all(reply.as_bytes()).await;
                    let _ = conn.write_all(body).await;
                });
            }
        });
        FileServer {
            base: format!("http://{addr}"),
            open,
            hits,
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
