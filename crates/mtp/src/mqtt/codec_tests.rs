use super::*;
use crate::mqtt::fake_broker::{self as broker, Ack};
use proptest::prelude::*;

const LIMITS: Limits = Limits {
    max_packet: 2048,
    max_record: 1024,
};

fn one(v5: bool, mut bytes: BytesMut) -> Incoming {
    match decode(v5, &mut bytes, LIMITS).unwrap() {
        Decoded::Packet(p) => {
            assert!(bytes.is_empty(), "one packet, all of it taken");
            p
        }
        Decoded::Need(n) => panic!("needs {n} more"),
    }
}

fn params() -> ConnectParams {
    ConnectParams {
        client_id: "cid".into(),
        eid: "os::00256D-1".into(),
        keep_alive_secs: 30,
        username: Some("u".into()),
        password: Some("p".into()),
        max_packet: 9000,
        receive_maximum: 4,
    }
}

#[test]
fn v5_connect_carries_the_usp_properties() {
    let mut out = BytesMut::new();
    put_connect(true, &params(), &mut out).unwrap();
    let [v5::Packet::Connect(c, None, Some(login))] = &broker::read5(&mut out)[..] else {
        panic!("one CONNECT");
    };
    assert_eq!(
        (c.client_id.as_str(), c.keep_alive, c.clean_start),
        ("cid", 30, true)
    );
    assert_eq!(
        (login.username.as_str(), login.password.as_str()),
        ("u", "p")
    );
    let props = c.properties.as_ref().unwrap();
    assert_eq!(props.request_response_info, Some(1));
    assert_eq!(props.max_packet_size, Some(9000));
    assert_eq!(props.receive_maximum, Some(4));
    assert_eq!(
        props.user_properties,
        [("usp-endpoint-id".to_owned(), "os::00256D-1".to_owned())]
    );
}

#[test]
fn v311_connect_is_clean_with_login() {
    let mut out = BytesMut::new();
    put_connect(false, &params(), &mut out).unwrap();
    let [v4::Packet::Connect(c)] = &broker::read3(&mut out)[..] else {
        panic!("one CONNECT");
    };
    assert_eq!(
        (c.client_id.as_str(), c.keep_alive, c.clean_session),
        ("cid", 30, true)
    );
    assert_eq!(c.login.as_ref().unwrap().username, "u");
}

#[test]
fn v5_connack_properties_reach_the_agent() {
    let ack = Ack {
        assigned_client_id: Some("given".into()),
        response_information: Some("resp/x".into()),
        subscribe_topics: vec!["a/x".into(), "b/x".into()],
        server_keep_alive: Some(7),
        max_packet: Some(5000),
        receive_max: Some(3),
        ..Ack::default()
    };
    let Incoming::ConnAck(info) = one(true, broker::connack(true, ack)) else {
        panic!("CONNACK");
    };
    assert_eq!(info.refused, None);
    assert_eq!(info.assigned_client_id.as_deref(), Some("given"));
    assert_eq!(info.response_information.as_deref(), Some("resp/x"));
    assert_eq!(info.subscribe_topics, ["a/x", "b/x"]);
    assert_eq!(
        (info.server_keep_alive, info.max_packet, info.receive_max),
        (Some(7), Some(5000), Some(3))
    );
    let refused = Ack {
        refuse: true,
        ..Ack::default()
    };
    for v5 in [true, false] {
        let Incoming::ConnAck(info) = one(v5, broker::connack(v5, refused_copy(&refused))) else {
            panic!("CONNACK");
        };
        assert!(info.refused.is_some());
    }
}

fn refused_copy(a: &Ack) -> Ack {
    Ack {
        refuse: a.refuse,
        ..Ack::default()
    }
}

#[test]
fn suback_codes_become_granted_flags() {
    for v5 in [true, false] {
        let Incoming::SubAck { pkid, granted } = one(v5, broker::suback(v5, 9, &[true, false]))
        else {
            panic!("SUBACK");
        };
        assert_eq!((pkid, granted), (9, vec![true, false]));
    }
}

#[test]
fn publishes_are_judged_as_records() {
    let Incoming::Publish {
        qos, pkid, reply, ..
    } = one(
        true,
        broker::publish(true, 1, 5, "t", Some("ctl/x"), b"rec"),
    )
    else {
        panic!("PUBLISH");
    };
    assert_eq!((qos, pkid, reply), (1, 5, Ok("ctl/x".into())));
    let Incoming::Publish { reply, .. } = one(true, broker::publish(true, 0, 0, "t", None, b"r"))
    else {
        panic!("PUBLISH");
    };
    assert_eq!(reply, Err(Refusal::NoReplyTo));
    let bytes = broker::publish(false, 1, 6, "t/reply-to=ctl%2Fx", None, &[0; 1500]);
    let Incoming::Publish { reply, payload, .. } = one(false, bytes) else {
        panic!("PUBLISH");
    };
    assert_eq!(payload.len(), 1500);
    assert!(matches!(reply, Err(Refusal::TooLarge { len: 1500, .. })));
}

#[test]
fn our_publish_reads_back_with_content_type_and_response_topic() {
    let mut out = BytesMut::new();
    put_publish(
        true,
        3,
        "ctl/x",
        Some("agent/x"),
        Bytes::from_static(b"rec"),
        100,
        &mut out,
    )
    .unwrap();
    let [v5::Packet::Publish(p)] = &broker::read5(&mut out)[..] else {
        panic!("PUBLISH");
    };
    assert_eq!(
        (&p.topic[..], p.pkid, &p.payload[..]),
        (&b"ctl/x"[..], 3, &b"rec"[..])
    );
    assert_eq!(p.qos, mb5::QoS::AtLeastOnce);
    let props = p.properties.as_ref().unwrap();
    assert_eq!(props.content_type.as_deref(), Some("usp.msg"));
    assert_eq!(props.response_topic.as_deref(), Some("agent/x"));

    let big = Bytes::from(vec![0u8; 200]);
    let mut out = BytesMut::new();
    assert!(put_publish(true, 4, "t", None, big.clone(), 100, &mut out).is_err());
    assert!(put_publish(false, 4, "t", None, big, 100, &mut out).is_err());
    assert!(out.is_empty(), "nothing half-written");
}

#[test]
fn partial_packets_ask_for_the_rest_and_oversized_ones_fail_early() {
    for v5 in [true, false] {
        let mut whole = broker::publish(v5, 1, 1, "t/reply-to=a", Some("a"), &[7; 100]);
        let mut part = whole.split_to(10);
        assert!(matches!(decode(v5, &mut part, LIMITS), Ok(Decoded::Need(n)) if n == whole.len()));
        assert_eq!(part.len(), 10, "nothing consumed");
        // Only the fixed header of a packet over the limit: refused at once.
        let huge = broker::publish(v5, 1, 1, "t", None, &[0; 3000]);
        let mut head = BytesMut::from(&huge[..5]);
        assert!(matches!(
            decode(v5, &mut head, LIMITS),
            Err(CodecError::TooLarge(_))
        ));
    }
}

#[test]
fn a_bare_v5_disconnect_is_a_disconnect() {
    let Incoming::Disconnect(why) = one(true, BytesMut::from(&[0xE0, 0x00][..])) else {
        panic!("DISCONNECT");
    };
    assert_eq!(why, "reason 0x00");
    let mut out = BytesMut::new();
    put_disconnect(true, CloseReason::PacketTooLarge, &mut out);
    assert_eq!(&out[..], [0xE0, 0x01, 0x95]);
    // Ours, and a broker's with properties (a Reason String).
    let Incoming::Disconnect(why) = one(true, out) else {
        panic!("DISCONNECT");
    };
    assert_eq!(why, "reason 0x95");
    let with_props = [0xE0, 0x06, 0x8B, 0x04, 0x1F, 0x00, 0x01, b'x'];
    let Incoming::Disconnect(why) = one(true, BytesMut::from(&with_props[..])) else {
        panic!("DISCONNECT");
    };
    assert_eq!(why, "reason 0x8B");
    let mut out = BytesMut::new();
    put_disconnect(false, CloseReason::PacketTooLarge, &mut out);
    assert_eq!(&out[..], [0xE0, 0x00]);
}

/// Our hand-written acknowledgements decode, in both versions, as what
/// rumqttc's own codec reads back: the id kept, reason Success.
#[test]
fn acks_read_back_in_both_versions() {
    for v5 in [true, false] {
        for (ack, want) in [
            (super::Ack::OfQos1, 0x40u8),
            (super::Ack::OfQos2, 0x50),
            (super::Ack::OfRelease, 0x70),
        ] {
            let mut out = BytesMut::new();
            put_ack(ack, 0x1234, &mut out);
            assert_eq!(&out[..], [want, 2, 0x12, 0x34]);
            let mut buf = out.clone();
            let pkid = if v5 {
                match v5::Packet::read(&mut buf, None).unwrap() {
                    v5::Packet::PubAck(a) => a.pkid,
                    v5::Packet::PubRec(a) => a.pkid,
                    v5::Packet::PubComp(a) => a.pkid,
                    other => panic!("{other:?}"),
                }
            } else {
                match v4::Packet::read(&mut buf, usize::MAX).unwrap() {
                    v4::Packet::PubAck(a) => a.pkid,
                    v4::Packet::PubRec(a) => a.pkid,
                    v4::Packet::PubComp(a) => a.pkid,
                    other => panic!("{other:?}"),
                }
            };
            assert_eq!(pkid, 0x1234);
        }
    }
}

#[test]
fn client_packets_from_a_broker_are_unexpected() {
    for v5 in [true, false] {
        let mut out = BytesMut::new();
        put_pingreq(&mut out);
        assert!(matches!(one(v5, out), Incoming::Unexpected(_)));
    }
}

proptest! {
    /// Whatever a broker sends, decoding ends in a packet, a request for
    /// more bytes within the limit, or an error: never a panic, never a
    /// request beyond the limit.
    #[test]
    fn decoding_any_bytes_is_safe(v5: bool, data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut buf = BytesMut::from(&data[..]);
        for _ in 0..300 {
            match decode(v5, &mut buf, LIMITS) {
                Ok(Decoded::Packet(_)) => {}
                Ok(Decoded::Need(n)) => {
                    prop_assert!(buf.len() + n <= LIMITS.max_packet + 5);
                    break;
                }
                Err(_) => break,
            }
        }
    }
}
