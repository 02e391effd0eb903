//! `MqttConfig::subscribe_qos` reaches the wire: a listener posing as the
//! broker accepts the CONNECT and reads the agent's SUBSCRIBE with
//! rumqttc's decoder, for both drivers and both MQTT versions.

use std::time::Duration;

use bytes::BytesMut;
use mtp::mqtt::{BrokerUrl, MqttConfig, MqttDriver, MqttMtp};
use rumqttc::mqttbytes::{self as mb3, v4};
use rumqttc::v5::mqttbytes::{self as mb5, v5};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use usp::mtp::MqttVersion;

const EID: &str = "os::00256D-0001";
const WAIT: Duration = Duration::from_secs(10);

/// Reads from `socket` until `parse` finds a whole packet in the buffer.
async fn next_packet<P>(
    socket: &mut TcpStream,
    buf: &mut BytesMut,
    mut parse: impl FnMut(&mut BytesMut) -> Option<P>,
) -> P {
    loop {
        if let Some(p) = parse(buf) {
            return p;
        }
        let n = tokio::time::timeout(WAIT, socket.read_buf(buf))
            .await
            .expect("the agent writes in time")
            .unwrap();
        assert!(n > 0, "the agent hung up");
    }
}

/// The QoS of every filter in the first SUBSCRIBE of an agent configured
/// with `driver`, `version` and `subscribe_qos`.
async fn subscribed_qos(driver: MqttDriver, version: MqttVersion, subscribe_qos: u8) -> Vec<u8> {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut c = MqttConfig::new(BrokerUrl::parse(&format!("mqtt://127.0.0.1:{port}")).unwrap());
    c.version = version;
    c.driver = driver;
    c.subscribe_qos = subscribe_qos;
    let (tx, _rx) = mpsc::channel(8);
    let mtp = MqttMtp::new(c, tx).unwrap();
    mtp.add_agent(EID).unwrap();
    let (mut socket, _) = tokio::time::timeout(WAIT, listener.accept())
        .await
        .expect("the agent connects")
        .unwrap();
    let mut buf = BytesMut::new();
    let mut out = BytesMut::new();
    let qos = if version == MqttVersion::V5 {
        let read = |b: &mut BytesMut| v5::Packet::read(b, None).ok();
        let connect = next_packet(&mut socket, &mut buf, read).await;
        assert!(matches!(connect, v5::Packet::Connect(..)), "{connect:?}");
        let ack = v5::ConnAck {
            session_present: false,
            code: v5::ConnectReturnCode::Success,
            properties: None,
        };
        v5::Packet::ConnAck(ack).write(&mut out, None).unwrap();
        socket.write_all(&out).await.unwrap();
        match next_packet(&mut socket, &mut buf, read).await {
            v5::Packet::Subscribe(s) => s.filters.iter().map(|f| f.qos as u8).collect(),
            other => panic!("expected SUBSCRIBE, got {other:?}"),
        }
    } else {
        let read = |b: &mut BytesMut| v4::Packet::read(b, usize::MAX).ok();
        let connect = next_packet(&mut socket, &mut buf, read).await;
        assert!(matches!(connect, v4::Packet::Connect(..)), "{connect:?}");
        let ack = v4::ConnAck::new(v4::ConnectReturnCode::Success, false);
        v4::Packet::ConnAck(ack)
            .write(&mut out, usize::MAX)
            .unwrap();
        socket.write_all(&out).await.unwrap();
        match next_packet(&mut socket, &mut buf, read).await {
            v4::Packet::Subscribe(s) => s.filters.iter().map(|f| f.qos as u8).collect(),
            other => panic!("expected SUBSCRIBE, got {other:?}"),
        }
    };
    mtp.shutdown();
    qos
}

#[tokio::test]
async fn the_subscribe_carries_the_configured_qos() {
    // Keeps the rumqttc QoS enums and our numbers in step.
    assert_eq!(mb5::QoS::AtMostOnce as u8, 0);
    assert_eq!(mb3::QoS::AtLeastOnce as u8, 1);
    for driver in [MqttDriver::Native, MqttDriver::Rumqttc] {
        for version in [MqttVersion::V5, MqttVersion::V3_1_1] {
            for qos in [0, 1] {
                let got = subscribed_qos(driver, version, qos).await;
                assert!(!got.is_empty(), "{driver:?} {version:?}: no filter");
                assert!(
                    got.iter().all(|&q| q == qos),
                    "{driver:?} {version:?} asked for QoS {qos}, subscribed {got:?}"
                );
            }
        }
    }
}

#[test]
fn the_default_stays_qos_1() {
    let c = MqttConfig::new(BrokerUrl::parse("mqtt://127.0.0.1:1883").unwrap());
    assert_eq!(c.subscribe_qos, 1);
}
