//! The native MQTT client's tokio side: one [`NativeWire`] per agent owns
//! the TCP (or rustls) stream, reads into a stack buffer and hands the
//! bytes to [`Protocol`], writes what it queued, and sleeps until its
//! deadline. The handle side reaches it through an [`Outbox`]: a short,
//! bounded queue of publishes plus a disconnect flag.
//!
//! Idle, a connection holds no buffer at all: reads go through a 4 KiB
//! array on the poll stack and only a partial packet is kept on the heap
//! (sized to that packet, released once it is complete); writes are
//! released as soon as they are out.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tracing::warn;

use super::codec::{ConnectParams, Limits};
use super::config::MqttConfig;
use super::protocol::{Protocol, Settings};
use super::wire::{Happening, Wire};

/// Bytes taken from the socket per read, on the stack of the poll.
const READ_CHUNK: usize = 4096;
/// How long a last DISCONNECT or TLS close may take before we drop.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// A Record for the broker, as the handle queued it.
#[derive(Debug)]
pub struct Publish {
    pub topic: String,
    /// MQTT 5 Response Topic; on 3.1.1 it is already in `topic`.
    pub response_topic: Option<Arc<str>>,
    pub payload: Bytes,
    /// QoS 0 instead of 1 (`MqttConfig::publish_qos`).
    pub at_most_once: bool,
}

/// What the handle asks of one agent's connection.
#[derive(Debug)]
pub struct Outbox {
    queue: Mutex<VecDeque<Publish>>,
    capacity: usize,
    disconnect: AtomicBool,
    wake: Notify,
}

impl Outbox {
    pub fn new(capacity: usize) -> Self {
        Outbox {
            queue: Mutex::new(VecDeque::new()),
            capacity,
            disconnect: AtomicBool::new(false),
            wake: Notify::new(),
        }
    }

    /// Queues `publish`; false when the queue is full.
    pub fn push(&self, publish: Publish) -> bool {
        let Ok(mut queue) = self.queue.lock() else {
            return false;
        };
        if queue.len() >= self.capacity {
            return false;
        }
        queue.push_back(publish);
        drop(queue);
        self.wake.notify_one();
        true
    }

    /// Asks the connection to say DISCONNECT and stop.
    pub fn disconnect(&self) {
        self.disconnect.store(true, Ordering::Relaxed);
        self.wake.notify_one();
    }

    fn pop(&self) -> Option<Publish> {
        let mut queue = self.queue.lock().ok()?;
        let next = queue.pop_front();
        if queue.is_empty() && queue.capacity() > 0 {
            *queue = VecDeque::new();
        }
        next
    }

    fn clear(&self) {
        if let Ok(mut queue) = self.queue.lock() {
            *queue = VecDeque::new();
        }
    }
}

/// Where the agents of one MTP connect, shared by all of them.
pub struct Target {
    host: String,
    port: u16,
    tls: Option<tokio_rustls::TlsConnector>,
    connect_timeout: Duration,
    username: Option<Arc<str>>,
    password: Option<Arc<str>>,
}

impl Target {
    pub fn new(config: &MqttConfig) -> Self {
        let tls = match (config.broker.tls, &config.tls) {
            (true, Some(tls)) => Some(tokio_rustls::TlsConnector::from(tls.clone())),
            _ => None,
        };
        Target {
            host: config.broker.host.clone(),
            port: config.broker.port,
            tls,
            connect_timeout: config.connect_timeout,
            username: config.username.as_deref().map(Arc::from),
            password: config.password.as_deref().map(Arc::from),
        }
    }

    async fn open(&self) -> Result<Stream, String> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let _ = tcp.set_nodelay(true);
        let Some(connector) = &self.tls else {
            return Ok(Stream::Tcp(tcp));
        };
        let name = rustls::pki_types::ServerName::try_from(self.host.clone())
            .map_err(|e| format!("TLS name: {e}"))?;
        let tls = connector
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS: {e}"))?;
        Ok(Stream::Tls(Box::new(tls)))
    }
}

enum Stream {
    Tcp(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, b),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, b),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// One agent's connection, native: the [`Wire`] of [`super::link::run`].
pub struct NativeWire<const V5: bool> {
    protocol: Protocol,
    outbox: Arc<Outbox>,
    target: Arc<Target>,
    stream: Option<Stream>,
}

impl<const V5: bool> NativeWire<V5> {
    pub fn new(
        config: &MqttConfig,
        target: Arc<Target>,
        eid: Arc<str>,
        client_id: String,
    ) -> (Arc<Outbox>, Self) {
        let settings = Settings {
            connect: ConnectParams {
                client_id,
                eid,
                keep_alive_secs: u16::try_from(config.keep_alive.as_secs()).unwrap_or(u16::MAX),
                username: target.username.clone(),
                password: target.password.clone(),
                max_packet: u32::try_from(config.max_packet_bytes()).unwrap_or(u32::MAX),
                receive_maximum: config.receive_maximum,
            },
            keep_alive: config.keep_alive,
            connect_timeout: config.connect_timeout,
            limits: Limits {
                max_packet: config.max_packet_bytes(),
                max_record: config.max_record_bytes,
            },
            outgoing_inflight: config.outgoing_inflight,
            subscribe_qos: config.subscribe_qos,
        };
        let outbox = Arc::new(Outbox::new(config.send_queue));
        let wire = NativeWire {
            protocol: Protocol::new(V5, settings),
            outbox: outbox.clone(),
            target,
            stream: None,
        };
        (outbox, wire)
    }

    /// Moves queued publishes into the connection while its window allows.
    fn take_requests(&mut self, now: Instant) {
        if self.outbox.disconnect.load(Ordering::Relaxed) {
            self.protocol.disconnect();
            return;
        }
        while self.protocol.can_publish() {
            let Some(p) = self.outbox.pop() else {
                return;
            };
            let topic = p.response_topic.as_deref();
            let sent = if p.at_most_once {
                self.protocol
                    .publish_at_most_once(&p.topic, topic, p.payload, now)
            } else {
                self.protocol.publish(&p.topic, topic, p.payload, now)
            };
            if let Err(why) = sent {
                warn!(topic = %p.topic, %why, "MQTT PUBLISH dropped");
            }
        }
    }

    /// Gives a last DISCONNECT (or TLS close) a moment, then drops the
    /// stream.
    async fn close(&mut self) {
        if let Some(mut stream) = self.stream.take() {
            let out = self.protocol.transmit().split();
            let _ = tokio::time::timeout(
                CLOSE_GRACE,
                Box::pin(async move {
                    stream.write_all(&out).await?;
                    stream.shutdown().await
                }),
            )
            .await;
        }
    }
}

enum Woke {
    Io(Result<(), String>),
    Requests,
    Timer,
}

impl<const V5: bool> Wire for NativeWire<V5> {
    const V5: bool = V5;

    async fn next(&mut self) -> Result<Happening, String> {
        loop {
            if self.stream.is_none() {
                // TCP + TLS + CONNACK together get `connect_timeout`.
                let began = Instant::now();
                // Boxed: the connect and TLS handshake futures are large
                // and only live while connecting.
                let open = Box::pin(self.target.open());
                let stream = tokio::time::timeout(self.target.connect_timeout, open)
                    .await
                    .map_err(|_| "connect timed out".to_string())??;
                self.stream = Some(stream);
                self.protocol.start(began).map_err(|e| e.to_string())?;
            }
            match self.protocol.poll_event(Instant::now()) {
                Ok(Some(h)) => return Ok(h),
                Ok(None) => {}
                Err(e) => {
                    self.close().await;
                    return Err(e.to_string());
                }
            }
            self.take_requests(Instant::now());
            if self.protocol.closing() && self.protocol.transmit().is_empty() {
                self.close().await;
                return Ok(Happening::Closed);
            }
            let deadline = self.protocol.deadline();
            let Some(stream) = self.stream.as_mut() else {
                continue;
            };
            let woke = tokio::select! {
                r = pump(stream, &mut self.protocol) => Woke::Io(r),
                () = self.outbox.wake.notified() => Woke::Requests,
                () = sleep_until(deadline) => Woke::Timer,
            };
            match woke {
                Woke::Io(Ok(())) | Woke::Requests => {}
                Woke::Io(Err(e)) => {
                    self.stream = None;
                    return Err(e);
                }
                Woke::Timer => {
                    if let Err(e) = self.protocol.on_timer(Instant::now()) {
                        self.close().await;
                        return Err(e.to_string());
                    }
                }
            }
        }
    }

    fn subscribe(&mut self, filters: Vec<String>) -> Result<(), String> {
        self.protocol
            .subscribe(&filters, Instant::now())
            .map_err(|e| e.to_string())
    }

    fn disconnect(&mut self) {
        self.protocol.disconnect();
    }

    fn reset(&mut self) {
        self.stream = None;
        self.protocol.reset();
        self.outbox.clear();
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}

/// Writes what the protocol queued and reads what arrived; ready once
/// something was read, everything queued was written, or the stream broke.
fn pump<'a>(
    stream: &'a mut Stream,
    protocol: &'a mut Protocol,
) -> impl std::future::Future<Output = Result<(), String>> + Send + 'a {
    poll_fn(move |cx| {
        let mut wrote = false;
        loop {
            let tx = protocol.transmit();
            if tx.is_empty() {
                break;
            }
            match Pin::new(&mut *stream).poll_write(cx, tx) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err("connection closed".into())),
                Poll::Ready(Ok(n)) => {
                    tx.advance(n);
                    wrote = true;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(format!("write: {e}"))),
                Poll::Pending => break,
            }
        }
        if wrote && protocol.transmit().is_empty() {
            protocol.written();
        }
        // TLS keeps records in rustls until flushed; plain TCP is a no-op.
        if let Poll::Ready(Err(e)) = Pin::new(&mut *stream).poll_flush(cx) {
            return Poll::Ready(Err(format!("write: {e}")));
        }
        let mut chunk = [0u8; READ_CHUNK];
        let mut buf = ReadBuf::new(&mut chunk);
        match Pin::new(&mut *stream).poll_read(cx, &mut buf) {
            Poll::Ready(Ok(())) if buf.filled().is_empty() => {
                Poll::Ready(Err("closed by the broker".into()))
            }
            Poll::Ready(Ok(())) => {
                protocol.receive(buf.filled());
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(format!("read: {e}"))),
            Poll::Pending if wrote && protocol.transmit().is_empty() => Poll::Ready(Ok(())),
            Poll::Pending => Poll::Pending,
        }
    })
}
