//! Just enough MQTT 5 for a load generator, on a plain TCP socket: CONNECT,
//! one SUBSCRIBE, PUBLISH both ways (QoS 0 or 1), PUBACK, PINGREQ.
//!
//! Written by hand rather than on rumqttc's `EventLoop` because the
//! controller shares a core with the broker: every microsecond it spends
//! per Get is taken from the broker and lowers the ceiling for every agent
//! measured. Here a request is a pre-encoded packet with two fields
//! patched in, a read takes every packet that arrived, and everything the
//! read provoked goes out in one write.

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use bytes::{Buf as _, BytesMut};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Largest packet taken (a whole-subtree GetResp is a few KiB).
pub const MAX_PACKET: usize = 4 << 20;
/// Told to the broker; a PINGREQ goes out after half of it without writes.
const KEEP_ALIVE: Duration = Duration::from_secs(60);
/// CONNECT to SUBACK.
const SETUP_TIMEOUT: Duration = Duration::from_secs(10);
const CONTENT_TYPE: &str = "usp.msg";

/// One broker connection and its buffers.
pub struct Conn {
    stream: TcpStream,
    /// Bytes read and not yet taken as packets.
    pub rx: BytesMut,
    /// Packets waiting for [`Conn::flush`].
    pub tx: BytesMut,
    last_write: Instant,
    /// The broker's Receive Maximum: our QoS 1 publishes unacknowledged.
    pub receive_max: usize,
}

/// A packet from the broker, borrowed from [`Conn::rx`].
pub enum Packet<'a> {
    Publish {
        qos: u8,
        pkid: u16,
        properties: &'a [u8],
        payload: &'a [u8],
    },
    PubAck,
    /// Anything else we do not act on (PINGRESP, a late SUBACK).
    Other,
}

impl Conn {
    /// Connects to `mqtt://HOST:PORT`, subscribes to `topic` at `qos` and
    /// waits for the SUBACK.
    pub async fn open(broker: &str, client_id: &str, topic: &str, qos: u8) -> anyhow::Result<Conn> {
        let addr = broker
            .strip_prefix("mqtt://")
            .ok_or_else(|| anyhow!("{broker}: expected mqtt://HOST:PORT"))?
            .trim_end_matches('/');
        let setup = async {
            let stream = TcpStream::connect(addr).await?;
            // Without it a request waits for the previous packet's ACK
            // (Nagle against delayed ACKs): 40 ms per round trip.
            stream.set_nodelay(true)?;
            let mut conn = Conn {
                stream,
                rx: BytesMut::with_capacity(64 * 1024),
                tx: BytesMut::with_capacity(64 * 1024),
                last_write: Instant::now(),
                receive_max: usize::from(u16::MAX),
            };
            put_connect(client_id, &mut conn.tx);
            put_subscribe(topic, qos, &mut conn.tx);
            conn.flush().await?;
            conn.await_setup().await?;
            anyhow::Ok(conn)
        };
        tokio::time::timeout(SETUP_TIMEOUT, setup)
            .await
            .map_err(|_| anyhow!("{broker}: not subscribed within {SETUP_TIMEOUT:?}"))?
            .with_context(|| broker.to_owned())
    }

    /// Reads CONNACK (keeping its Receive Maximum) and SUBACK.
    async fn await_setup(&mut self) -> anyhow::Result<()> {
        loop {
            self.read().await?;
            while let Some((header, body, len)) = frame(&self.rx)? {
                match header >> 4 {
                    2 => {
                        let reason = *body.get(1).ok_or_else(|| anyhow!("short CONNACK"))?;
                        if reason != 0 {
                            bail!("CONNACK refused: reason 0x{reason:02X}");
                        }
                        if let Some(max) = receive_maximum(body.get(2..).unwrap_or_default()) {
                            self.receive_max = usize::from(max.max(1));
                        }
                    }
                    9 => {
                        let granted = body.last().copied().unwrap_or(0x80);
                        if granted >= 0x80 {
                            bail!("SUBSCRIBE refused: reason 0x{granted:02X}");
                        }
                        self.rx.advance(len);
                        return Ok(());
                    }
                    t => bail!("packet type {t} before SUBACK"),
                }
                self.rx.advance(len);
            }
        }
    }

    /// Waits for more bytes; the connection's end is an error.
    pub async fn read(&mut self) -> anyhow::Result<()> {
        if self.rx.capacity() - self.rx.len() < 16 * 1024 {
            self.rx.reserve(64 * 1024);
        }
        if self.stream.read_buf(&mut self.rx).await? == 0 {
            bail!("the broker closed the connection");
        }
        Ok(())
    }

    /// Writes whatever is queued in one go.
    pub async fn flush(&mut self) -> anyhow::Result<()> {
        if !self.tx.is_empty() {
            self.stream.write_all(&self.tx).await?;
            self.tx.clear();
            self.last_write = Instant::now();
        }
        Ok(())
    }

    /// Queues a PINGREQ when the broker has heard nothing for a while.
    pub fn keep_alive(&mut self, now: Instant) {
        if now.duration_since(self.last_write) >= KEEP_ALIVE / 2 {
            self.tx.extend_from_slice(&[0xC0, 0x00]);
        }
    }
}

/// The first complete packet in `rx` and its length (pass it to
/// `rx.advance` once done with the packet). A free function so that the
/// caller can fill [`Conn::tx`] while the packet borrows [`Conn::rx`].
pub fn next(rx: &[u8]) -> anyhow::Result<Option<(Packet<'_>, usize)>> {
    let Some((header, body, len)) = frame(rx)? else {
        return Ok(None);
    };
    let packet = match header >> 4 {
        3 => publish(header, body).ok_or_else(|| anyhow!("malformed PUBLISH"))?,
        4 => Packet::PubAck,
        14 => bail!("the broker sent DISCONNECT"),
        _ => Packet::Other,
    };
    Ok(Some((packet, len)))
}

/// `(first byte, body, whole length)` of the first complete packet.
fn frame(buf: &[u8]) -> anyhow::Result<Option<(u8, &[u8], usize)>> {
    let Some(&header) = buf.first() else {
        return Ok(None);
    };
    let mut remaining = 0usize;
    for i in 0..4 {
        let Some(&b) = buf.get(1 + i) else {
            return Ok(None);
        };
        remaining |= usize::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            if remaining > MAX_PACKET {
                bail!("incoming packet of {remaining} bytes");
            }
            let start = 2 + i;
            return Ok(buf
                .get(start..start + remaining)
                .map(|body| (header, body, start + remaining)));
        }
    }
    bail!("malformed remaining length")
}

fn publish(header: u8, body: &[u8]) -> Option<Packet<'_>> {
    let qos = (header >> 1) & 3;
    let topic_len = usize::from(u16::from_be_bytes([*body.first()?, *body.get(1)?]));
    let mut at = 2 + topic_len;
    let mut pkid = 0;
    if qos > 0 {
        pkid = u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]);
        at += 2;
    }
    let (props_len, used) = varint(body.get(at..)?)?;
    let properties = body.get(at + used..at + used + props_len)?;
    let payload = body.get(at + used + props_len..)?;
    Some(Packet::Publish {
        qos,
        pkid,
        properties,
        payload,
    })
}

fn varint(buf: &[u8]) -> Option<(usize, usize)> {
    let mut n = 0usize;
    for (i, &b) in buf.iter().take(4).enumerate() {
        n |= usize::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            return Some((n, i + 1));
        }
    }
    None
}

/// The Response Topic among a PUBLISH's properties.
pub fn response_topic(mut props: &[u8]) -> Option<&str> {
    let string = |p: &[u8]| -> Option<usize> {
        Some(2 + usize::from(u16::from_be_bytes([*p.first()?, *p.get(1)?])))
    };
    while let Some((&id, rest)) = props.split_first() {
        let len = match id {
            0x01 => 1,
            0x02 => 4,
            0x23 => 2,
            0x0B => varint(rest)?.1,
            0x03 | 0x09 => string(rest)?,
            0x26 => {
                let key = string(rest)?;
                key + string(rest.get(key..)?)?
            }
            0x08 => return std::str::from_utf8(rest.get(2..string(rest)?)?).ok(),
            _ => return None,
        };
        props = rest.get(len..)?;
    }
    None
}

/// The Receive Maximum among CONNACK's properties (after their length).
fn receive_maximum(props: &[u8]) -> Option<u16> {
    let (len, used) = varint(props)?;
    let mut props = props.get(used..used + len)?;
    // CONNACK properties have fixed sizes or are strings/binary; walk them.
    while let Some((&id, rest)) = props.split_first() {
        let size = match id {
            0x21 => return Some(u16::from_be_bytes([*rest.first()?, *rest.get(1)?])),
            0x11 | 0x27 => 4,
            0x13 | 0x22 => 2,
            0x24 | 0x25 | 0x28 | 0x29 | 0x2A => 1,
            0x12 | 0x1A | 0x1C | 0x1F | 0x15 | 0x16 => {
                2 + usize::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?]))
            }
            0x26 => {
                let k = 2 + usize::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?]));
                let v = rest.get(k..)?;
                k + 2 + usize::from(u16::from_be_bytes([*v.first()?, *v.get(1)?]))
            }
            _ => return None,
        };
        props = rest.get(size..)?;
    }
    None
}

fn put_varint(mut n: usize, out: &mut BytesMut) {
    loop {
        let byte = (n & 0x7F) as u8;
        n >>= 7;
        if n == 0 {
            out.extend_from_slice(&[byte]);
            return;
        }
        out.extend_from_slice(&[byte | 0x80]);
    }
}

fn put_str(s: &str, out: &mut Vec<u8>) {
    let len = u16::try_from(s.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&s.as_bytes()[..usize::from(len)]);
}

fn put_packet(header: u8, body: &[u8], out: &mut BytesMut) {
    out.extend_from_slice(&[header]);
    put_varint(body.len(), out);
    out.extend_from_slice(body);
}

fn put_connect(client_id: &str, out: &mut BytesMut) {
    let mut body = Vec::new();
    put_str("MQTT", &mut body);
    body.push(5);
    body.push(0x02); // clean start
    body.extend_from_slice(&(KEEP_ALIVE.as_secs() as u16).to_be_bytes());
    // Properties: Maximum Packet Size.
    body.push(5);
    body.push(0x27);
    body.extend_from_slice(&(MAX_PACKET as u32).to_be_bytes());
    put_str(client_id, &mut body);
    put_packet(0x10, &body, out);
}

fn put_subscribe(topic: &str, qos: u8, out: &mut BytesMut) {
    let mut body = vec![0, 1, 0];
    put_str(topic, &mut body);
    body.push(qos.min(1));
    put_packet(0x82, &body, out);
}

/// PUBACK, reason Success (the short form MQTT 5 allows).
pub fn put_puback(pkid: u16, out: &mut BytesMut) {
    let [hi, lo] = pkid.to_be_bytes();
    out.extend_from_slice(&[0x40, 0x02, hi, lo]);
}

/// A PUBLISH of a Record with Content Type `usp.msg` and, if given, a
/// Response Topic; at QoS 1 its packet id is 0 and sits at the returned
/// offset, for the caller to patch.
pub fn put_publish(
    topic: &str,
    qos: u8,
    response_topic: Option<&str>,
    payload: &[u8],
    out: &mut BytesMut,
) -> Option<usize> {
    let mut head = Vec::with_capacity(64);
    put_str(topic, &mut head);
    let pkid_at = (qos > 0).then(|| {
        head.extend_from_slice(&[0, 0]);
        head.len() - 2
    });
    let mut props = vec![0x03];
    put_str(CONTENT_TYPE, &mut props);
    if let Some(reply) = response_topic {
        props.push(0x08);
        put_str(reply, &mut props);
    }
    let mut props_len = BytesMut::new();
    put_varint(props.len(), &mut props_len);
    head.extend_from_slice(&props_len);
    head.extend_from_slice(&props);
    out.extend_from_slice(&[0x30 | (qos << 1)]);
    put_varint(head.len() + payload.len(), out);
    let body_at = out.len();
    out.extend_from_slice(&head);
    out.extend_from_slice(payload);
    pkid_at.map(|p| body_at + p)
}
