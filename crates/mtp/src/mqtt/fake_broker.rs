//! The broker's half of the wire for unit tests: packets a broker sends,
//! encoded, and what a client sent, decoded — both with rumqttc's codec,
//! so the tests check our bytes against an independent reading.

use bytes::{Bytes, BytesMut};
use rumqttc::mqttbytes::{self as mb3, v4};
use rumqttc::v5::mqttbytes::{self as mb5, v5};

/// What a CONNACK may carry (5); all off by default.
#[derive(Default)]
pub struct Ack {
    pub refuse: bool,
    pub assigned_client_id: Option<String>,
    pub response_information: Option<String>,
    pub subscribe_topics: Vec<String>,
    pub server_keep_alive: Option<u16>,
    pub max_packet: Option<u32>,
    pub receive_max: Option<u16>,
}

pub fn connack(v5: bool, ack: Ack) -> BytesMut {
    let mut out = BytesMut::new();
    if v5 {
        let properties = v5::ConnAckProperties {
            session_expiry_interval: None,
            receive_max: ack.receive_max,
            max_qos: None,
            retain_available: None,
            max_packet_size: ack.max_packet,
            assigned_client_identifier: ack.assigned_client_id,
            topic_alias_max: None,
            reason_string: None,
            user_properties: ack
                .subscribe_topics
                .into_iter()
                .map(|t| ("subscribe-topic".to_owned(), t))
                .chain([("other".to_owned(), "x".to_owned())])
                .collect(),
            wildcard_subscription_available: None,
            subscription_identifiers_available: None,
            shared_subscription_available: None,
            server_keep_alive: ack.server_keep_alive,
            response_information: ack.response_information,
            server_reference: None,
            authentication_method: None,
            authentication_data: None,
        };
        let code = if ack.refuse {
            v5::ConnectReturnCode::NotAuthorized
        } else {
            v5::ConnectReturnCode::Success
        };
        v5::Packet::ConnAck(v5::ConnAck {
            session_present: false,
            code,
            properties: Some(properties),
        })
        .write(&mut out, None)
        .unwrap();
    } else {
        let code = if ack.refuse {
            v4::ConnectReturnCode::NotAuthorized
        } else {
            v4::ConnectReturnCode::Success
        };
        v4::Packet::ConnAck(v4::ConnAck::new(code, false))
            .write(&mut out, usize::MAX)
            .unwrap();
    }
    out
}

pub fn suback(v5: bool, pkid: u16, granted: &[bool]) -> BytesMut {
    let mut out = BytesMut::new();
    if v5 {
        let codes = granted
            .iter()
            .map(|g| {
                if *g {
                    v5::SubscribeReasonCode::Success(mb5::QoS::AtLeastOnce)
                } else {
                    v5::SubscribeReasonCode::NotAuthorized
                }
            })
            .collect();
        v5::Packet::SubAck(v5::SubAck {
            pkid,
            return_codes: codes,
            properties: None,
        })
        .write(&mut out, None)
        .unwrap();
    } else {
        let codes = granted
            .iter()
            .map(|g| {
                if *g {
                    v4::SubscribeReasonCode::Success(mb3::QoS::AtLeastOnce)
                } else {
                    v4::SubscribeReasonCode::Failure
                }
            })
            .collect();
        v4::Packet::SubAck(v4::SubAck::new(pkid, codes))
            .write(&mut out, usize::MAX)
            .unwrap();
    }
    out
}

/// A PUBLISH to the agent; on 5 `reply` is the Response Topic, on 3.1.1
/// the caller puts the `/reply-to=` suffix in `topic`.
pub fn publish(
    v5: bool,
    qos: u8,
    pkid: u16,
    topic: &str,
    reply: Option<&str>,
    payload: &[u8],
) -> BytesMut {
    let mut out = BytesMut::new();
    if v5 {
        let props = v5::PublishProperties {
            response_topic: reply.map(str::to_owned),
            content_type: Some("usp.msg".into()),
            ..Default::default()
        };
        let qos = mb5::qos(qos).unwrap();
        let mut p = v5::Publish::new(topic, qos, Bytes::copy_from_slice(payload), Some(props));
        p.pkid = pkid;
        v5::Packet::Publish(p).write(&mut out, None).unwrap();
    } else {
        let mut p = v4::Publish::new(topic, mb3::qos(qos).unwrap(), payload.to_vec());
        p.pkid = pkid;
        v4::Packet::Publish(p).write(&mut out, usize::MAX).unwrap();
    }
    out
}

pub fn puback(v5: bool, pkid: u16) -> BytesMut {
    let mut out = BytesMut::new();
    if v5 {
        v5::Packet::PubAck(v5::PubAck::new(pkid, None))
            .write(&mut out, None)
            .unwrap();
    } else {
        v4::Packet::PubAck(v4::PubAck::new(pkid))
            .write(&mut out, usize::MAX)
            .unwrap();
    }
    out
}

pub fn pingresp(v5: bool) -> BytesMut {
    let mut out = BytesMut::new();
    if v5 {
        v5::Packet::PingResp(v5::PingResp)
            .write(&mut out, None)
            .unwrap();
    } else {
        v4::Packet::PingResp.write(&mut out, usize::MAX).unwrap();
    }
    out
}

/// What the client wrote, packet by packet, as a 5 broker reads it.
pub fn read5(bytes: &mut BytesMut) -> Vec<v5::Packet> {
    let mut packets = vec![];
    while !bytes.is_empty() {
        packets.push(v5::Packet::read(bytes, None).unwrap());
    }
    packets
}

/// What the client wrote, as a 3.1.1 broker reads it.
pub fn read3(bytes: &mut BytesMut) -> Vec<v4::Packet> {
    let mut packets = vec![];
    while !bytes.is_empty() {
        packets.push(v4::Packet::read(bytes, usize::MAX).unwrap());
    }
    packets
}
