//! A USP controller speaking STOMP by hand through our frame codec, for
//! the STOMP tests (here and, by `#[path]`, the workspace's end-to-end
//! tests).

use std::time::Duration;

use mtp::stomp::frame::{Command, Decoder, Frame, Item, Limits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(20);

/// A controller speaking STOMP by hand, through our codec.
pub struct Controller {
    stream: TcpStream,
    decoder: Decoder,
}

impl Controller {
    pub async fn connect(addr: &str, destination: &str) -> Controller {
        let stream = TcpStream::connect(addr).await.unwrap();
        let mut c = Controller {
            stream,
            decoder: Decoder::new(Limits::default()),
        };
        c.write(
            Frame::new(Command::Stomp)
                .header("accept-version", "1.2")
                .header("host", "/")
                .header("login", "guest")
                .header("passcode", "guest"),
        )
        .await;
        assert_eq!(c.frame().await.command, Command::Connected);
        c.write(
            Frame::new(Command::Subscribe)
                .header("id", "0")
                .header("destination", destination)
                .header("ack", "auto")
                .header("receipt", "sub"),
        )
        .await;
        assert_eq!(c.frame().await.command, Command::Receipt);
        c
    }

    pub async fn write(&mut self, f: Frame) {
        self.stream.write_all(&f.to_bytes().unwrap()).await.unwrap();
    }

    pub async fn frame(&mut self) -> Frame {
        timeout(WAIT, async {
            let mut buf = [0u8; 4096];
            loop {
                while let Some(item) = self.decoder.next().unwrap() {
                    if let Item::Frame(f) = item {
                        return f;
                    }
                }
                let n = self.stream.read(&mut buf).await.unwrap();
                assert!(n > 0, "broker closed");
                self.decoder.feed(&buf[..n]);
            }
        })
        .await
        .expect("a frame from the broker")
    }
}
