//! Bytes ⇄ packets for the native driver, on rumqttc's packet codec
//! (`rumqttc::mqttbytes::v4` and `rumqttc::v5::mqttbytes::v5`): both
//! versions are folded into one small vocabulary ([`Incoming`], the
//! `put_*` writers) so that [`super::protocol`] never asks which version it
//! speaks except where the wire differs.
//!
//! The codec allocates per packet only what that packet carries (topic and
//! property strings, a SUBACK's code list) and the frame itself: nothing
//! lives on between packets.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use rumqttc::mqttbytes::{self as mb3, v4};
use rumqttc::v5::mqttbytes::{self as mb5, v5};

use super::topic::{accept_v311, accept_v5, Refusal, CONTENT_TYPE};
use super::wire::{EID_PROPERTY, SUBSCRIBE_TOPIC_PROPERTY};

/// What a broker may send us, version-free.
#[derive(Debug)]
pub enum Incoming {
    ConnAck(ConnAckInfo),
    SubAck {
        pkid: u16,
        granted: Vec<bool>,
    },
    Publish {
        qos: u8,
        pkid: u16,
        /// The reply topic, or why the packet is no Record we can answer.
        reply: Result<String, Refusal>,
        payload: Bytes,
    },
    PubAck {
        pkid: u16,
        /// MQTT 5 reason code; 0 on 3.1.1.
        reason: u8,
    },
    PubRel {
        pkid: u16,
    },
    PingResp,
    /// The broker closes the connection (5), with its reason.
    Disconnect(String),
    /// A packet only a client sends, or QoS 2 flow we never start.
    Unexpected(&'static str),
}

/// The CONNACK, as far as a USP agent cares.
#[derive(Debug, Default)]
pub struct ConnAckInfo {
    /// `None` when accepted; else the broker's reason.
    pub refused: Option<String>,
    pub assigned_client_id: Option<String>,
    pub response_information: Option<String>,
    pub subscribe_topics: Vec<String>,
    pub max_packet: Option<u32>,
    pub receive_max: Option<u16>,
    pub server_keep_alive: Option<u16>,
}

/// Why the byte stream cannot go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodecError {
    /// The fixed header announces more than we accept.
    TooLarge(usize),
    Malformed(String),
}

/// What one look at the read buffer found.
#[derive(Debug)]
pub enum Decoded {
    Packet(Incoming),
    /// At least this many more bytes are needed for the next packet.
    Need(usize),
}

/// Limits the decoder applies.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest packet (fixed header excluded) we take.
    pub max_packet: usize,
    /// Largest Record payload we hand on.
    pub max_record: usize,
}

/// Takes the next packet off the front of `buf`, if all of it is there.
/// Errors are final: the stream has lost its framing or broke a limit.
pub fn decode(v5: bool, buf: &mut BytesMut, limits: Limits) -> Result<Decoded, CodecError> {
    if v5 {
        decode5(buf, limits)
    } else {
        decode3(buf, limits)
    }
}

fn decode5(buf: &mut BytesMut, limits: Limits) -> Result<Decoded, CodecError> {
    let max = u32::try_from(limits.max_packet).unwrap_or(u32::MAX);
    let header = match v5::check(buf.iter(), Some(max)) {
        Ok(h) => h,
        Err(mb5::Error::InsufficientBytes(n)) => return Ok(Decoded::Need(n)),
        Err(mb5::Error::PayloadSizeLimitExceeded { pkt_size, .. }) => {
            return Err(CodecError::TooLarge(pkt_size))
        }
        Err(e) => return Err(CodecError::Malformed(e.to_string())),
    };
    // rumqttc cannot read a bare DISCONNECT nor one whose property length
    // is left out (both valid MQTT 5); the reason code is all we need.
    if matches!(header.packet_type(), Ok(v5::PacketType::Disconnect)) {
        let frame = buf.split_to(header.frame_length());
        let header_len = 1 + frame
            .iter()
            .skip(1)
            .take(4)
            .position(|b| b & 0x80 == 0)
            .map_or(4, |p| p + 1);
        let reason = frame.get(header_len).copied().unwrap_or(0);
        return Ok(Decoded::Packet(Incoming::Disconnect(format!(
            "reason 0x{reason:02X}"
        ))));
    }
    let packet = v5::Packet::read(buf, Some(max)).map_err(|e| malformed(&e))?;
    Ok(Decoded::Packet(match packet {
        v5::Packet::ConnAck(ack) => Incoming::ConnAck(connack5(ack)),
        v5::Packet::SubAck(ack) => Incoming::SubAck {
            pkid: ack.pkid,
            granted: ack
                .return_codes
                .iter()
                .map(|c| matches!(c, v5::SubscribeReasonCode::Success(_)))
                .collect(),
        },
        v5::Packet::Publish(p) => {
            let props = p.properties.as_ref();
            let reply = accept_v5(
                props.and_then(|p| p.content_type.as_deref()),
                props.and_then(|p| p.response_topic.as_deref()),
                p.payload.len(),
                limits.max_record,
            );
            Incoming::Publish {
                qos: p.qos as u8,
                pkid: p.pkid,
                reply,
                payload: p.payload,
            }
        }
        v5::Packet::PubAck(ack) => Incoming::PubAck {
            pkid: ack.pkid,
            reason: puback_reason(ack.reason),
        },
        v5::Packet::PubRel(rel) => Incoming::PubRel { pkid: rel.pkid },
        v5::Packet::PingResp(_) => Incoming::PingResp,
        v5::Packet::PubRec(_) | v5::Packet::PubComp(_) => Incoming::Unexpected("QoS 2 ack"),
        v5::Packet::UnsubAck(_) => Incoming::Unexpected("UNSUBACK"),
        _ => Incoming::Unexpected("client packet"),
    }))
}

fn malformed(e: &dyn std::fmt::Display) -> CodecError {
    CodecError::Malformed(e.to_string())
}

fn puback_reason(r: v5::PubAckReason) -> u8 {
    use v5::PubAckReason as R;
    match r {
        R::Success => 0x00,
        R::NoMatchingSubscribers => 0x10,
        R::UnspecifiedError => 0x80,
        R::ImplementationSpecificError => 0x83,
        R::NotAuthorized => 0x87,
        R::TopicNameInvalid => 0x90,
        R::PacketIdentifierInUse => 0x91,
        R::QuotaExceeded => 0x97,
        R::PayloadFormatInvalid => 0x99,
    }
}

fn connack5(ack: v5::ConnAck) -> ConnAckInfo {
    let refused = (ack.code != v5::ConnectReturnCode::Success).then(|| format!("{:?}", ack.code));
    let Some(props) = ack.properties else {
        return ConnAckInfo {
            refused,
            ..ConnAckInfo::default()
        };
    };
    ConnAckInfo {
        refused,
        assigned_client_id: props.assigned_client_identifier,
        response_information: props.response_information,
        subscribe_topics: props
            .user_properties
            .into_iter()
            .filter(|(k, _)| k == SUBSCRIBE_TOPIC_PROPERTY)
            .map(|(_, v)| v)
            .collect(),
        max_packet: props.max_packet_size,
        receive_max: props.receive_max,
        server_keep_alive: props.server_keep_alive,
    }
}

fn decode3(buf: &mut BytesMut, limits: Limits) -> Result<Decoded, CodecError> {
    match mb3::check(buf.iter(), limits.max_packet) {
        Ok(_) => {}
        Err(mb3::Error::InsufficientBytes(n)) => return Ok(Decoded::Need(n)),
        Err(mb3::Error::PayloadSizeLimitExceeded(n)) => return Err(CodecError::TooLarge(n)),
        Err(e) => return Err(malformed(&e)),
    }
    let packet = v4::Packet::read(buf, limits.max_packet).map_err(|e| malformed(&e))?;
    Ok(Decoded::Packet(match packet {
        v4::Packet::ConnAck(ack) => Incoming::ConnAck(ConnAckInfo {
            refused: (ack.code != v4::ConnectReturnCode::Success)
                .then(|| format!("{:?}", ack.code)),
            ..ConnAckInfo::default()
        }),
        v4::Packet::SubAck(ack) => Incoming::SubAck {
            pkid: ack.pkid,
            granted: ack
                .return_codes
                .iter()
                .map(|c| matches!(c, v4::SubscribeReasonCode::Success(_)))
                .collect(),
        },
        v4::Packet::Publish(p) => Incoming::Publish {
            qos: p.qos as u8,
            pkid: p.pkid,
            reply: accept_v311(&p.topic, p.payload.len(), limits.max_record),
            payload: p.payload,
        },
        v4::Packet::PubAck(ack) => Incoming::PubAck {
            pkid: ack.pkid,
            reason: 0,
        },
        v4::Packet::PubRel(rel) => Incoming::PubRel { pkid: rel.pkid },
        v4::Packet::PingResp => Incoming::PingResp,
        v4::Packet::PubRec(_) | v4::Packet::PubComp(_) => Incoming::Unexpected("QoS 2 ack"),
        v4::Packet::UnsubAck(_) => Incoming::Unexpected("UNSUBACK"),
        _ => Incoming::Unexpected("client packet"),
    }))
}

/// What goes into our CONNECT.
#[derive(Debug, Clone)]
pub struct ConnectParams {
    pub client_id: String,
    pub eid: Arc<str>,
    pub keep_alive_secs: u16,
    /// Shared by every agent of an MTP; copied only into each CONNECT.
    pub username: Option<Arc<str>>,
    pub password: Option<Arc<str>>,
    /// Our Maximum Packet Size (5).
    pub max_packet: u32,
    pub receive_maximum: u16,
}

/// Why a packet was not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError(pub String);

fn enc(e: impl std::fmt::Display) -> EncodeError {
    EncodeError(e.to_string())
}

/// Appends CONNECT (clean start, the USP properties on 5) to `out`.
pub fn put_connect(v5: bool, p: &ConnectParams, out: &mut BytesMut) -> Result<(), EncodeError> {
    if v5 {
        let props = v5::ConnectProperties {
            max_packet_size: Some(p.max_packet),
            receive_maximum: Some(p.receive_maximum),
            request_response_info: Some(1),
            user_properties: vec![(EID_PROPERTY.to_owned(), p.eid.to_string())],
            ..v5::ConnectProperties::new()
        };
        let connect = v5::Connect {
            keep_alive: p.keep_alive_secs,
            client_id: p.client_id.clone(),
            clean_start: true,
            properties: Some(props),
        };
        let login = p
            .username
            .as_deref()
            .map(|u| v5::Login::new(u, p.password.as_deref().unwrap_or_default()));
        v5::Packet::Connect(connect, None, login)
            .write(out, None)
            .map_err(enc)?;
    } else {
        let mut connect = v4::Connect::new(p.client_id.clone());
        connect.keep_alive = p.keep_alive_secs;
        connect.clean_session = true;
        if let Some(u) = p.username.as_deref() {
            connect.set_login(u, p.password.as_deref().unwrap_or_default());
        }
        v4::Packet::Connect(connect)
            .write(out, usize::MAX)
            .map_err(enc)?;
    }
    Ok(())
}

/// Appends one SUBSCRIBE of every filter at `qos` (0, else 1).
pub fn put_subscribe(
    v5: bool,
    pkid: u16,
    filters: &[String],
    qos: u8,
    out: &mut BytesMut,
) -> Result<(), EncodeError> {
    if v5 {
        let qos = if qos == 0 {
            mb5::QoS::AtMostOnce
        } else {
            mb5::QoS::AtLeastOnce
        };
        let filters = filters
            .iter()
            .map(|f| v5::Filter::new(f.clone(), qos))
            .collect();
        let packet = v5::Subscribe {
            pkid,
            filters,
            properties: None,
        };
        v5::Packet::Subscribe(packet)
            .write(out, None)
            .map_err(enc)?;
    } else {
        let qos = if qos == 0 {
            mb3::QoS::AtMostOnce
        } else {
            mb3::QoS::AtLeastOnce
        };
        let filters = filters
            .iter()
            .map(|f| v4::SubscribeFilter::new(f.clone(), qos))
            .collect();
        v4::Packet::Subscribe(v4::Subscribe { pkid, filters })
            .write(out, usize::MAX)
            .map_err(enc)?;
    }
    Ok(())
}

/// Appends a QoS 1 PUBLISH carrying a Record; on 5 with our Content Type
/// and `response_topic`. Refused, with nothing written, beyond `max`.
pub fn put_publish(
    v5: bool,
    pkid: u16,
    topic: &str,
    response_topic: Option<&str>,
    payload: Bytes,
    max: usize,
    out: &mut BytesMut,
) -> Result<(), EncodeError> {
    put_publish_qos(v5, Some(pkid), topic, response_topic, payload, max, out)
}

/// As [`put_publish`]; `None` for a QoS 0 PUBLISH (no packet id, no
/// PUBACK), `Some(pkid)` for QoS 1.
pub fn put_publish_qos(
    v5: bool,
    pkid: Option<u16>,
    topic: &str,
    response_topic: Option<&str>,
    payload: Bytes,
    max: usize,
    out: &mut BytesMut,
) -> Result<(), EncodeError> {
    if v5 {
        let props = v5::PublishProperties {
            content_type: Some(CONTENT_TYPE.to_owned()),
            response_topic: response_topic.map(str::to_owned),
            ..v5::PublishProperties::default()
        };
        let qos = match pkid {
            Some(_) => mb5::QoS::AtLeastOnce,
            None => mb5::QoS::AtMostOnce,
        };
        let mut p = v5::Publish::new(topic, qos, payload, Some(props));
        p.pkid = pkid.unwrap_or(0);
        let max = u32::try_from(max).unwrap_or(u32::MAX);
        v5::Packet::Publish(p).write(out, Some(max)).map_err(enc)?;
    } else {
        let p = v4::Publish {
            dup: false,
            qos: match pkid {
                Some(_) => mb3::QoS::AtLeastOnce,
                None => mb3::QoS::AtMostOnce,
            },
            retain: false,
            topic: topic.to_owned(),
            pkid: pkid.unwrap_or(0),
            payload,
        };
        v4::Packet::Publish(p).write(out, max).map_err(enc)?;
    }
    Ok(())
}

/// The acknowledgements we send: each carries only a packet id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ack {
    /// PUBACK, of a QoS 1 PUBLISH.
    OfQos1,
    /// PUBREC, of a QoS 2 PUBLISH.
    OfQos2,
    /// PUBCOMP, of a PUBREL.
    OfRelease,
}

/// Appends `ack` for `pkid`. Written by hand, the same four bytes for both
/// versions: MQTT 5 lets a Success acknowledgement with no properties
/// leave out its reason code (§3.4.2.1, §3.5.2.1, §3.7.2.1), which is then
/// exactly the 3.1.1 packet.
pub fn put_ack(ack: Ack, pkid: u16, out: &mut BytesMut) {
    let kind = match ack {
        Ack::OfQos1 => 0x40,
        Ack::OfQos2 => 0x50,
        Ack::OfRelease => 0x70,
    };
    let [hi, lo] = pkid.to_be_bytes();
    out.extend_from_slice(&[kind, 0x02, hi, lo]);
}

/// Appends PINGREQ, the same two bytes in both versions.
pub fn put_pingreq(out: &mut BytesMut) {
    out.extend_from_slice(&[0xC0, 0x00]);
}

/// Why we close, as a DISCONNECT reason (5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    Normal,
    MalformedPacket,
    ProtocolError,
    PacketTooLarge,
    KeepAliveTimeout,
}

/// Appends DISCONNECT; the reason code only exists on 5. Written by hand:
/// rumqttc 0.25.1 announces one byte for a reason-coded DISCONNECT and
/// writes two (reason + an empty property length), leaving a stray byte on
/// the wire. `E0 01 <reason>` is the complete MQTT 5 form.
pub fn put_disconnect(v5: bool, reason: CloseReason, out: &mut BytesMut) {
    let code = match reason {
        CloseReason::Normal => 0x00,
        CloseReason::MalformedPacket => 0x81,
        CloseReason::ProtocolError => 0x82,
        CloseReason::KeepAliveTimeout => 0x8D,
        CloseReason::PacketTooLarge => 0x95,
    };
    if v5 && code != 0 {
        out.extend_from_slice(&[0xE0, 0x01, code]);
    } else {
        out.extend_from_slice(&[0xE0, 0x00]);
    }
}

#[cfg(test)]
#[path = "codec_tests.rs"]
mod tests;
