//! One MQTT client connection, sans-IO: CONNECT → CONNACK, SUBSCRIBE →
//! SUBACK, QoS 0/1 PUBLISH both ways with PUBACK, PINGREQ keep-alive and
//! DISCONNECT, for 5 and 3.1.1. The driver feeds it received bytes, the
//! time and the agent's requests; it answers with bytes to write
//! ([`Protocol::transmit`]), [`Happening`]s for the agent and a deadline.
//!
//! It is built to be small while idle: the read and write buffers are
//! empty (no capacity) between packets, the packet ids in flight are a few
//! `u16`s, and published Records are not kept (sessions are clean, so
//! nothing is ever resent).

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tracing::debug;

use super::codec::{self, Ack, CloseReason, CodecError, ConnectParams, Decoded, Incoming, Limits};
use super::wire::Happening;

/// Everything a connection is configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub connect: ConnectParams,
    /// Ours; a v5 broker may replace it in its CONNACK.
    pub keep_alive: Duration,
    /// CONNECT to CONNACK must take no longer.
    pub connect_timeout: Duration,
    pub limits: Limits,
    /// Our publishes awaiting PUBACK, at most.
    pub outgoing_inflight: u16,
    /// QoS of our SUBSCRIBE (`MqttConfig::subscribe_qos`).
    pub subscribe_qos: u8,
}

/// Why a connection ends; the driver drops it and the agent retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fatal {
    Codec(CodecError),
    Refused(String),
    NoConnAck,
    NoPingResp,
    BrokerDisconnect(String),
    Unexpected(&'static str),
    Encode(String),
    NoPacketId,
}

impl std::fmt::Display for Fatal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fatal::Codec(CodecError::TooLarge(n)) => write!(f, "incoming packet of {n} bytes"),
            Fatal::Codec(CodecError::Malformed(why)) => write!(f, "malformed packet: {why}"),
            Fatal::Refused(why) => write!(f, "CONNACK refused: {why}"),
            Fatal::NoConnAck => f.write_str("no CONNACK in time"),
            Fatal::NoPingResp => f.write_str("no PINGRESP within the keep-alive"),
            Fatal::BrokerDisconnect(why) => write!(f, "broker sent DISCONNECT: {why}"),
            Fatal::Unexpected(what) => write!(f, "unexpected {what}"),
            Fatal::Encode(why) => write!(f, "cannot encode: {why}"),
            Fatal::NoPacketId => f.write_str("no free packet id"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    AwaitConnAck {
        deadline: Instant,
    },
    Open,
    /// Our DISCONNECT is queued: nothing more goes out.
    Closing,
}

/// The state of one connection.
#[derive(Debug)]
pub struct Protocol {
    v5: bool,
    settings: Settings,
    phase: Phase,
    rx: BytesMut,
    tx: BytesMut,
    keep_alive: Duration,
    last_sent: Option<Instant>,
    ping_sent: Option<Instant>,
    inflight: Vec<u16>,
    window: usize,
    next_pkid: u16,
    sub_pkid: Option<u16>,
    broker_max_packet: Option<u32>,
}

impl Protocol {
    pub fn new(v5: bool, settings: Settings) -> Self {
        Protocol {
            v5,
            keep_alive: settings.keep_alive,
            window: usize::from(settings.outgoing_inflight),
            settings,
            phase: Phase::Idle,
            rx: BytesMut::new(),
            tx: BytesMut::new(),
            last_sent: None,
            ping_sent: None,
            inflight: Vec::new(),
            next_pkid: 0,
            sub_pkid: None,
            broker_max_packet: None,
        }
    }

    /// A fresh transport is there: CONNECT goes out.
    pub fn start(&mut self, now: Instant) -> Result<(), Fatal> {
        self.reset();
        codec::put_connect(self.v5, &self.settings.connect, &mut self.tx)
            .map_err(|e| Fatal::Encode(e.0))?;
        self.last_sent = Some(now);
        self.phase = Phase::AwaitConnAck {
            deadline: now + self.settings.connect_timeout,
        };
        Ok(())
    }

    /// Forgets the connection and frees its buffers; the client id a
    /// broker assigned is kept for the next CONNECT (R-MQTT.9/11).
    pub fn reset(&mut self) {
        self.phase = Phase::Idle;
        self.rx = BytesMut::new();
        self.tx = BytesMut::new();
        self.keep_alive = self.settings.keep_alive;
        self.last_sent = None;
        self.ping_sent = None;
        self.inflight = Vec::new();
        self.window = usize::from(self.settings.outgoing_inflight);
        self.sub_pkid = None;
        self.broker_max_packet = None;
    }

    /// Bytes read from the transport.
    pub fn receive(&mut self, bytes: &[u8]) {
        if self.rx.is_empty() {
            // A fresh, exact-size buffer: the previous one may still be
            // held by a Record's payload and must not grow under it.
            self.rx = BytesMut::from(bytes);
        } else {
            self.rx.extend_from_slice(bytes);
        }
    }

    /// The next thing the agent must hear, from what was received so far;
    /// `Ok(None)` once more bytes are needed.
    pub fn poll_event(&mut self, now: Instant) -> Result<Option<Happening>, Fatal> {
        loop {
            if self.rx.is_empty() {
                self.rx = BytesMut::new();
                return Ok(None);
            }
            let decoded = codec::decode(self.v5, &mut self.rx, self.settings.limits);
            match decoded {
                Ok(Decoded::Need(n)) => {
                    // `decode` checked the announced length against our
                    // limit, so this reservation is bounded.
                    self.rx.reserve(n);
                    return Ok(None);
                }
                Ok(Decoded::Packet(p)) => {
                    if let Some(h) = self.handle(p, now)? {
                        return Ok(Some(h));
                    }
                }
                Err(e) => {
                    let reason = match e {
                        CodecError::TooLarge(_) => CloseReason::PacketTooLarge,
                        CodecError::Malformed(_) => CloseReason::MalformedPacket,
                    };
                    return Err(self.fail(reason, Fatal::Codec(e)));
                }
            }
        }
    }

    fn handle(&mut self, packet: Incoming, now: Instant) -> Result<Option<Happening>, Fatal> {
        match packet {
            Incoming::ConnAck(ack) => {
                if !matches!(self.phase, Phase::AwaitConnAck { .. }) {
                    return Err(self.fail(CloseReason::ProtocolError, Fatal::Unexpected("CONNACK")));
                }
                if let Some(why) = ack.refused {
                    return Err(Fatal::Refused(why));
                }
                self.phase = Phase::Open;
                if let Some(secs) = ack.server_keep_alive {
                    self.keep_alive = Duration::from_secs(u64::from(secs));
                }
                if let Some(max) = ack.receive_max {
                    self.window = self.window.min(usize::from(max.max(1)));
                }
                if let Some(id) = &ack.assigned_client_id {
                    self.settings.connect.client_id.clone_from(id);
                }
                self.broker_max_packet = ack.max_packet;
                Ok(Some(Happening::Connected {
                    subscribe_topics: ack.subscribe_topics,
                    response_information: ack.response_information,
                    broker_max_packet: ack.max_packet,
                }))
            }
            Incoming::SubAck { pkid, granted } => {
                if self.sub_pkid != Some(pkid) {
                    debug!(pkid, "SUBACK for no SUBSCRIBE of ours");
                    return Ok(None);
                }
                self.sub_pkid = None;
                Ok(Some(Happening::SubAck(granted)))
            }
            Incoming::Publish {
                qos,
                pkid,
                reply,
                payload,
            } => {
                if !matches!(self.phase, Phase::Open | Phase::Closing) {
                    return Err(self.fail(CloseReason::ProtocolError, Fatal::Unexpected("PUBLISH")));
                }
                // Acknowledged before it is handed on: the agent logic
                // gets it next, and a clean session could not redeliver.
                match qos {
                    1 => codec::put_ack(Ack::OfQos1, pkid, &mut self.tx),
                    2 => codec::put_ack(Ack::OfQos2, pkid, &mut self.tx),
                    _ => {}
                }
                if qos > 0 {
                    self.last_sent = Some(now);
                }
                Ok(Some(match reply {
                    Ok(reply) => Happening::Record { reply, payload },
                    Err(why) => Happening::Refused(why),
                }))
            }
            Incoming::PubAck { pkid, reason } => {
                self.inflight.retain(|p| *p != pkid);
                if reason >= 0x80 {
                    debug!(pkid, reason, "broker refused our PUBLISH");
                }
                Ok(None)
            }
            Incoming::PubRel { pkid } => {
                codec::put_ack(Ack::OfRelease, pkid, &mut self.tx);
                self.last_sent = Some(now);
                Ok(None)
            }
            Incoming::PingResp => {
                self.ping_sent = None;
                Ok(None)
            }
            Incoming::Disconnect(why) => Err(Fatal::BrokerDisconnect(why)),
            Incoming::Unexpected(what) => {
                Err(self.fail(CloseReason::ProtocolError, Fatal::Unexpected(what)))
            }
        }
    }

    /// Drops what was queued and, on 5, says why we close.
    fn fail(&mut self, reason: CloseReason, fatal: Fatal) -> Fatal {
        self.tx = BytesMut::new();
        if self.v5 {
            codec::put_disconnect(true, reason, &mut self.tx);
        }
        self.phase = Phase::Closing;
        fatal
    }

    /// Queues one SUBSCRIBE of `filters` at the configured QoS.
    pub fn subscribe(&mut self, filters: &[String], now: Instant) -> Result<(), Fatal> {
        let pkid = self.allocate_pkid().ok_or(Fatal::NoPacketId)?;
        let qos = self.settings.subscribe_qos;
        codec::put_subscribe(self.v5, pkid, filters, qos, &mut self.tx)
            .map_err(|e| Fatal::Encode(e.0))?;
        self.sub_pkid = Some(pkid);
        self.last_sent = Some(now);
        Ok(())
    }

    /// Whether a publish may go out now (connected, window not full).
    pub fn can_publish(&self) -> bool {
        self.phase == Phase::Open && self.inflight.len() < self.window
    }

    /// Queues a QoS 0 PUBLISH (`PublishQoS` 0): nothing to acknowledge, so
    /// no packet id and nothing in flight; refused over the packet limits.
    pub fn publish_at_most_once(
        &mut self,
        topic: &str,
        response_topic: Option<&str>,
        payload: Bytes,
        now: Instant,
    ) -> Result<(), String> {
        if self.phase != Phase::Open {
            return Err("not connected".into());
        }
        let max = self.max_outgoing();
        codec::put_publish_qos(
            self.v5,
            None,
            topic,
            response_topic,
            payload,
            max,
            &mut self.tx,
        )
        .map_err(|e| e.0)?;
        self.last_sent = Some(now);
        Ok(())
    }

    /// Queues a QoS 1 PUBLISH; refused (and dropped) when it exceeds our
    /// or the broker's packet limit or no packet id is free.
    pub fn publish(
        &mut self,
        topic: &str,
        response_topic: Option<&str>,
        payload: Bytes,
        now: Instant,
    ) -> Result<(), String> {
        if !self.can_publish() {
            return Err("not connected or window full".into());
        }
        let pkid = self.allocate_pkid().ok_or("no free packet id")?;
        let max = self.max_outgoing();
        codec::put_publish(
            self.v5,
            pkid,
            topic,
            response_topic,
            payload,
            max,
            &mut self.tx,
        )
        .map_err(|e| e.0)?;
        self.inflight.push(pkid);
        self.last_sent = Some(now);
        Ok(())
    }

    fn max_outgoing(&self) -> usize {
        let ours = self.settings.limits.max_packet;
        self.broker_max_packet
            .map_or(ours, |b| ours.min(usize::try_from(b).unwrap_or(usize::MAX)))
    }

    /// Queues DISCONNECT (normal); nothing else goes out after it.
    pub fn disconnect(&mut self) {
        if self.phase == Phase::Idle {
            return;
        }
        codec::put_disconnect(self.v5, CloseReason::Normal, &mut self.tx);
        self.phase = Phase::Closing;
    }

    /// True once DISCONNECT is queued (ours or after a failure).
    pub fn closing(&self) -> bool {
        self.phase == Phase::Closing
    }

    /// When [`Protocol::on_timer`] must run next, if ever.
    pub fn deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::AwaitConnAck { deadline } => Some(deadline),
            Phase::Open if !self.keep_alive.is_zero() => {
                let from = self.ping_sent.or(self.last_sent)?;
                Some(from + self.keep_alive)
            }
            _ => None,
        }
    }

    /// Time passed: a PINGREQ is due, or a CONNACK or PINGRESP is late.
    pub fn on_timer(&mut self, now: Instant) -> Result<(), Fatal> {
        match self.phase {
            Phase::AwaitConnAck { deadline } if now >= deadline => Err(Fatal::NoConnAck),
            Phase::Open if !self.keep_alive.is_zero() => {
                if let Some(sent) = self.ping_sent {
                    if now >= sent + self.keep_alive {
                        return Err(self.fail(CloseReason::KeepAliveTimeout, Fatal::NoPingResp));
                    }
                    return Ok(());
                }
                let idle_since = self.last_sent.unwrap_or(now);
                if now >= idle_since + self.keep_alive {
                    codec::put_pingreq(&mut self.tx);
                    self.ping_sent = Some(now);
                    self.last_sent = Some(now);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The bytes waiting to be written; the driver advances past what it
    /// wrote, then calls [`Protocol::written`].
    pub fn transmit(&mut self) -> &mut BytesMut {
        &mut self.tx
    }

    /// Releases the write buffer once everything in it is out.
    pub fn written(&mut self) {
        if self.tx.is_empty() && self.tx.capacity() > 0 {
            self.tx = BytesMut::new();
        }
    }

    /// What both buffers hold now, allocated.
    #[cfg(test)]
    pub fn buffered_capacity(&self) -> usize {
        self.rx.capacity() + self.tx.capacity() + self.inflight.capacity() * 2
    }

    /// The next free packet id, skipping those still in use.
    fn allocate_pkid(&mut self) -> Option<u16> {
        for _ in 0..u16::MAX {
            self.next_pkid = self.next_pkid.checked_add(1).unwrap_or(1);
            let id = self.next_pkid;
            if !self.inflight.contains(&id) && self.sub_pkid != Some(id) {
                return Some(id);
            }
        }
        None
    }
}

#[cfg(test)]
#[path = "protocol_tests.rs"]
mod tests;
