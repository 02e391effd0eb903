use super::*;
use crate::mqtt::fake_broker::{self as broker, Ack};
use crate::mqtt::fuzz_session;
use crate::mqtt::topic::Refusal;
use proptest::prelude::*;
use rumqttc::mqttbytes::v4;
use rumqttc::v5::mqttbytes::v5;

const KA: Duration = Duration::from_secs(10);

fn settings(inflight: u16) -> Settings {
    Settings {
        connect: ConnectParams {
            client_id: String::new(),
            eid: "os::00256D-1".into(),
            keep_alive_secs: 10,
            username: None,
            password: None,
            max_packet: 4096,
            receive_maximum: 8,
        },
        keep_alive: KA,
        connect_timeout: Duration::from_secs(5),
        limits: Limits {
            max_packet: 4096,
            max_record: 2048,
        },
        outgoing_inflight: inflight,
        subscribe_qos: 1,
    }
}

/// What the protocol wrote since the last call, emptied as a driver would.
fn sent(p: &mut Protocol) -> BytesMut {
    let out = p.transmit().split();
    p.written();
    out
}

fn feed(p: &mut Protocol, bytes: &[u8], now: Instant) -> Vec<Happening> {
    p.receive(bytes);
    let mut out = vec![];
    while let Some(h) = p.poll_event(now).unwrap() {
        out.push(h);
    }
    out
}

/// A protocol past CONNACK at `t0`, its CONNECT consumed.
fn open(v5: bool, inflight: u16, ack: Ack, t0: Instant) -> Protocol {
    let mut p = Protocol::new(v5, settings(inflight));
    p.start(t0).unwrap();
    sent(&mut p);
    let got = feed(&mut p, &broker::connack(v5, ack), t0);
    assert!(matches!(got[..], [Happening::Connected { .. }]), "{got:?}");
    p
}

#[test]
fn connack_reports_what_the_session_needs() {
    let t0 = Instant::now();
    let mut p = Protocol::new(true, settings(8));
    p.start(t0).unwrap();
    sent(&mut p);
    let ack = Ack {
        assigned_client_id: Some("given-1".into()),
        response_information: Some("resp/x".into()),
        subscribe_topics: vec!["extra/x".into()],
        max_packet: Some(3000),
        ..Ack::default()
    };
    let got = feed(&mut p, &broker::connack(true, ack), t0);
    let [Happening::Connected {
        subscribe_topics,
        response_information,
        broker_max_packet,
    }] = &got[..]
    else {
        panic!("{got:?}");
    };
    assert_eq!(subscribe_topics, &["extra/x"]);
    assert_eq!(response_information.as_deref(), Some("resp/x"));
    assert_eq!(*broker_max_packet, Some(3000));

    // Reconnecting keeps the identity the broker gave (R-MQTT.9/11).
    p.reset();
    p.start(t0).unwrap();
    let [v5::Packet::Connect(c, ..)] = &broker::read5(&mut sent(&mut p))[..] else {
        panic!("CONNECT");
    };
    assert_eq!(c.client_id, "given-1");
}

#[test]
fn a_refused_or_missing_connack_ends_the_connection() {
    let t0 = Instant::now();
    let mut p = Protocol::new(false, settings(8));
    p.start(t0).unwrap();
    p.receive(&broker::connack(
        false,
        Ack {
            refuse: true,
            ..Ack::default()
        },
    ));
    assert!(matches!(p.poll_event(t0), Err(Fatal::Refused(_))));

    p.start(t0).unwrap();
    assert_eq!(p.deadline(), Some(t0 + Duration::from_secs(5)));
    p.on_timer(t0 + Duration::from_secs(4)).unwrap();
    assert_eq!(
        p.on_timer(t0 + Duration::from_secs(5)),
        Err(Fatal::NoConnAck)
    );
}

#[test]
fn subscribe_and_its_suback() {
    for v5 in [true, false] {
        let t0 = Instant::now();
        let mut p = open(v5, 8, Ack::default(), t0);
        let filters = vec!["a/x".to_owned(), "b/x".to_owned()];
        p.subscribe(&filters, t0).unwrap();
        let mut out = sent(&mut p);
        let pkid = if v5 {
            let [v5::Packet::Subscribe(s)] = &broker::read5(&mut out)[..] else {
                panic!("SUBSCRIBE");
            };
            assert_eq!(s.filters.len(), 2);
            assert!(s
                .filters
                .iter()
                .all(|f| f.qos == rumqttc::v5::mqttbytes::QoS::AtLeastOnce));
            s.pkid
        } else {
            let [v4::Packet::Subscribe(s)] = &broker::read3(&mut out)[..] else {
                panic!("SUBSCRIBE");
            };
            assert_eq!(s.filters[1].path, "b/x");
            s.pkid
        };
        // A SUBACK for another id is not ours.
        assert!(feed(&mut p, &broker::suback(v5, pkid + 1, &[true]), t0).is_empty());
        let got = feed(&mut p, &broker::suback(v5, pkid, &[true, false]), t0);
        assert!(matches!(&got[..], [Happening::SubAck(g)] if g == &[true, false]));
    }
}

#[test]
fn subscribe_at_qos_0_when_configured() {
    for v5 in [true, false] {
        let t0 = Instant::now();
        let mut s = settings(8);
        s.subscribe_qos = 0;
        let mut p = Protocol::new(v5, s);
        p.start(t0).unwrap();
        sent(&mut p);
        feed(&mut p, &broker::connack(v5, Ack::default()), t0);
        p.subscribe(&["a/x".to_owned()], t0).unwrap();
        let mut out = sent(&mut p);
        if v5 {
            let [v5::Packet::Subscribe(s)] = &broker::read5(&mut out)[..] else {
                panic!("SUBSCRIBE");
            };
            assert_eq!(s.filters[0].qos, rumqttc::v5::mqttbytes::QoS::AtMostOnce);
        } else {
            let [v4::Packet::Subscribe(s)] = &broker::read3(&mut out)[..] else {
                panic!("SUBSCRIBE");
            };
            assert_eq!(s.filters[0].qos, rumqttc::mqttbytes::QoS::AtMostOnce);
        }
    }
}

#[test]
fn keep_alive_pings_when_idle_and_gives_up_without_an_answer() {
    for v5 in [true, false] {
        let t0 = Instant::now();
        let mut p = open(v5, 8, Ack::default(), t0);
        assert_eq!(p.deadline(), Some(t0 + KA), "from the CONNECT");
        p.on_timer(t0 + KA - Duration::from_millis(1)).unwrap();
        assert!(sent(&mut p).is_empty(), "not yet");
        let t1 = t0 + KA;
        p.on_timer(t1).unwrap();
        assert_eq!(&sent(&mut p)[..], [0xC0, 0x00], "PINGREQ");
        assert_eq!(p.deadline(), Some(t1 + KA));
        assert!(feed(&mut p, &broker::pingresp(v5), t1).is_empty());
        // Sending anything postpones the next ping.
        let t2 = t1 + Duration::from_secs(3);
        p.publish("ctl", None, Bytes::from_static(b"r"), t2)
            .unwrap();
        sent(&mut p);
        assert_eq!(p.deadline(), Some(t2 + KA));
        p.on_timer(t2 + KA).unwrap();
        assert_eq!(&sent(&mut p)[..], [0xC0, 0x00]);
        p.on_timer(t2 + KA + Duration::from_secs(9)).unwrap();
        assert_eq!(
            p.on_timer(t2 + KA + KA),
            Err(Fatal::NoPingResp),
            "no PINGRESP"
        );
        let out = sent(&mut p);
        if v5 {
            assert_eq!(
                &out[..],
                [0xE0, 0x01, 0x8D],
                "DISCONNECT keep-alive timeout"
            );
        } else {
            assert!(out.is_empty());
        }
    }
}

#[test]
fn the_brokers_keep_alive_wins_and_zero_means_no_pings() {
    let t0 = Instant::now();
    let ack = Ack {
        server_keep_alive: Some(3),
        ..Ack::default()
    };
    let p = open(true, 8, ack, t0);
    assert_eq!(p.deadline(), Some(t0 + Duration::from_secs(3)));
    let ack = Ack {
        server_keep_alive: Some(0),
        ..Ack::default()
    };
    let p = open(true, 8, ack, t0);
    assert_eq!(p.deadline(), None);
}

#[test]
fn inbound_records_are_acknowledged_and_judged() {
    let t0 = Instant::now();
    let mut p = open(true, 8, Ack::default(), t0);
    let mut bytes = broker::publish(true, 1, 77, "agent/x", Some("ctl/x"), b"rec");
    bytes.extend_from_slice(&broker::publish(true, 0, 0, "agent/x", None, b"rec"));
    let got = feed(&mut p, &bytes, t0);
    assert!(
        matches!(&got[..], [Happening::Record { reply, payload }, Happening::Refused(Refusal::NoReplyTo)]
            if reply == "ctl/x" && &payload[..] == b"rec"),
        "{got:?}"
    );
    let [v5::Packet::PubAck(ack)] = &broker::read5(&mut sent(&mut p))[..] else {
        panic!("one PUBACK, none for QoS 0");
    };
    assert_eq!(ack.pkid, 77);

    let mut p = open(false, 8, Ack::default(), t0);
    let bytes = broker::publish(false, 1, 5, "agent/x/reply-to=ctl%2Fx", None, b"r");
    let got = feed(&mut p, &bytes, t0);
    assert!(matches!(&got[..], [Happening::Record { reply, .. }] if reply == "ctl/x"));
    assert!(
        matches!(&broker::read3(&mut sent(&mut p))[..], [v4::Packet::PubAck(a)] if a.pkid == 5)
    );
}

#[test]
fn the_window_bounds_publishes_in_flight() {
    let t0 = Instant::now();
    let ack = Ack {
        receive_max: Some(2),
        ..Ack::default()
    };
    let mut p = open(true, 8, ack, t0);
    let payload = Bytes::from_static(b"r");
    p.publish("c", Some("a"), payload.clone(), t0).unwrap();
    p.publish("c", Some("a"), payload.clone(), t0).unwrap();
    assert!(!p.can_publish(), "the broker's Receive Maximum caps our 8");
    assert!(p.publish("c", None, payload.clone(), t0).is_err());
    let ids: Vec<u16> = broker::read5(&mut sent(&mut p))
        .into_iter()
        .map(|pk| match pk {
            v5::Packet::Publish(p) => p.pkid,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    feed(&mut p, &broker::puback(true, ids[0]), t0);
    assert!(p.can_publish());
}

#[test]
fn qos_0_publishes_hold_no_packet_id() {
    let t0 = Instant::now();
    for v5 in [true, false] {
        let ack = Ack {
            receive_max: Some(1),
            ..Ack::default()
        };
        let mut p = open(v5, 8, ack, t0);
        for _ in 0..3 {
            p.publish_at_most_once("c", None, Bytes::from_static(b"r"), t0)
                .unwrap();
        }
        assert!(p.can_publish(), "QoS 0 leaves the window alone");
        let bytes = sent(&mut p);
        if v5 {
            let pks = broker::read5(&mut bytes.clone());
            assert_eq!(pks.len(), 3);
            assert!(pks.iter().all(|pk| matches!(pk,
                v5::Packet::Publish(p) if p.qos == rumqttc::v5::mqttbytes::QoS::AtMostOnce)));
        } else {
            let pks = broker::read3(&mut bytes.clone());
            assert_eq!(pks.len(), 3);
            assert!(pks.iter().all(|pk| matches!(pk,
                v4::Packet::Publish(p) if p.qos == rumqttc::mqttbytes::QoS::AtMostOnce)));
        }
    }
}

#[test]
fn a_publish_over_the_brokers_limit_is_dropped_alone() {
    let t0 = Instant::now();
    let ack = Ack {
        max_packet: Some(100),
        ..Ack::default()
    };
    let mut p = open(true, 1, ack, t0);
    assert!(p.publish("c", None, Bytes::from(vec![0; 200]), t0).is_err());
    assert!(sent(&mut p).is_empty());
    assert!(p.can_publish(), "no packet id held");
    p.publish("c", None, Bytes::from(vec![0; 20]), t0).unwrap();
}

#[test]
fn buffers_grow_for_a_big_packet_and_are_released_after() {
    let t0 = Instant::now();
    let mut p = open(false, 8, Ack::default(), t0);
    assert_eq!(p.buffered_capacity(), 0, "idle: no buffers");
    let big = broker::publish(false, 1, 9, "a/reply-to=c", None, &[1; 2000]);
    let mut happenings = vec![];
    for chunk in big.chunks(300) {
        happenings.extend(feed(&mut p, chunk, t0));
    }
    assert!(
        matches!(&happenings[..], [Happening::Record { payload, .. }] if payload.len() == 2000)
    );
    sent(&mut p);
    assert_eq!(p.buffered_capacity(), 0, "released after the packet");
}

#[test]
fn an_oversized_packet_ends_the_connection_before_it_is_buffered() {
    for v5 in [true, false] {
        let t0 = Instant::now();
        let mut p = open(v5, 8, Ack::default(), t0);
        let huge = broker::publish(v5, 1, 1, "a/reply-to=c", Some("c"), &[0; 10_000]);
        p.receive(&huge[..8]);
        assert!(matches!(
            p.poll_event(t0),
            Err(Fatal::Codec(CodecError::TooLarge(_)))
        ));
        assert!(p.closing());
        let out = sent(&mut p);
        assert_eq!(&out[..], if v5 { &[0xE0, 0x01, 0x95][..] } else { &[][..] });
    }
}

#[test]
fn a_broker_disconnect_or_a_client_packet_ends_it() {
    let t0 = Instant::now();
    let mut p = open(true, 8, Ack::default(), t0);
    p.receive(&[0xE0, 0x00]);
    assert!(matches!(p.poll_event(t0), Err(Fatal::BrokerDisconnect(_))));
    let mut p = open(false, 8, Ack::default(), t0);
    p.receive(&[0xC0, 0x00]);
    assert!(matches!(p.poll_event(t0), Err(Fatal::Unexpected(_))));
}

#[test]
fn packet_ids_wrap_around_one_still_in_flight() {
    let t0 = Instant::now();
    let mut p = open(true, 2, Ack::default(), t0);
    p.publish("c", None, Bytes::new(), t0).unwrap();
    let stuck = p.inflight[0];
    for _ in 0..70_000 {
        p.publish("c", None, Bytes::new(), t0).unwrap();
        let id = p.inflight[1];
        assert!(id != 0 && id != stuck, "{id}");
        p.transmit().clear();
        feed(&mut p, &broker::puback(true, id), t0);
    }
}

#[test]
fn a_reconnect_starts_clean() {
    let t0 = Instant::now();
    let ack = || Ack {
        receive_max: Some(1),
        ..Ack::default()
    };
    let mut p = open(true, 8, ack(), t0);
    p.publish("c", None, Bytes::from_static(b"r"), t0).unwrap();
    p.subscribe(&["a/x".to_owned()], t0).unwrap();
    p.receive(&[0x30]); // half a packet
    assert!(!p.can_publish());
    p.reset();
    assert_eq!(p.buffered_capacity(), 0);
    assert_eq!(p.deadline(), None);
    p.start(t0).unwrap();
    let out = broker::read5(&mut sent(&mut p));
    assert!(
        matches!(&out[..], [v5::Packet::Connect(..)]),
        "only CONNECT"
    );
    feed(&mut p, &broker::connack(true, ack()), t0);
    assert!(p.can_publish(), "nothing in flight from before");
}

#[test]
fn our_disconnect_is_the_last_thing_sent() {
    let t0 = Instant::now();
    let mut p = open(true, 8, Ack::default(), t0);
    p.disconnect();
    assert!(p.closing() && !p.can_publish());
    assert_eq!(&sent(&mut p)[..], [0xE0, 0x00]);
    assert_eq!(p.deadline(), None);
}

proptest! {
    /// Packet ids are never 0 and never one still in flight, however the
    /// broker acknowledges.
    #[test]
    fn packet_ids_stay_unique(acks in proptest::collection::vec(any::<bool>(), 1..400)) {
        let t0 = Instant::now();
        let mut p = open(true, 4, Ack::default(), t0);
        let mut in_flight: Vec<u16> = vec![];
        for ack_oldest in acks {
            if p.can_publish() {
                p.publish("c", None, Bytes::new(), t0).unwrap();
                for pk in broker::read5(&mut sent(&mut p)) {
                    let v5::Packet::Publish(pb) = pk else { panic!() };
                    prop_assert!(pb.pkid != 0 && !in_flight.contains(&pb.pkid));
                    in_flight.push(pb.pkid);
                }
            }
            if ack_oldest && !in_flight.is_empty() {
                let id = in_flight.remove(0);
                feed(&mut p, &broker::puback(true, id), t0);
            }
            prop_assert!(in_flight.len() <= 4);
        }
    }

    /// Any byte stream, in any chunks, after CONNACK: no panic, and what
    /// the protocol holds stays within one packet's limit.
    #[test]
    fn any_input_is_bounded(data in proptest::collection::vec(any::<u8>(), 0..2000), cut: usize) {
        fuzz_session(&data);
        let cut = cut % (data.len() + 1);
        let t0 = Instant::now();
        for v5 in [true, false] {
            let mut p = open(v5, 8, Ack::default(), t0);
            for part in [&data[..cut], &data[cut..]] {
                p.receive(part);
                while let Ok(Some(_)) = p.poll_event(t0) {}
                prop_assert!(p.buffered_capacity() <= 2 * 4096 + 2000);
            }
        }
    }
}
