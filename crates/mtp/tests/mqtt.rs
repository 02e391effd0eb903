//! The MQTT shell against a real Mosquitto: links come up, Records go both
//! ways with the right reply-to, bad PUBLISH packets are dropped, and a
//! broker restart brings the agents back.

mod support;

use std::time::Duration;

use bytes::Bytes;
use mtp::mqtt::{BrokerUrl, MqttConfig, MqttMtp};
use mtp::{Inbound, MtpError, Outbound};
use support::controllers::{publish5, v311_controller, v5_controller};
use support::Mosquitto;
use tokio::sync::mpsc;
use usp::mtp::{LinkUp, MqttVersion, ReplyTo};

const EID: &str = "os::00256D-0001";
const CONTROLLER_EID: &str = "self::controller";
const CONTROLLER_TOPIC: &str = "usp/controller/c";
const WAIT: Duration = Duration::from_secs(15);

fn config(broker: &Mosquitto, version: MqttVersion) -> MqttConfig {
    let mut c = MqttConfig::new(BrokerUrl::parse(&broker.url()).unwrap());
    c.version = version;
    c.retry_first = Duration::from_millis(200);
    c.retry_max = Duration::from_secs(1);
    c
}

fn start(config: MqttConfig) -> (MqttMtp, mpsc::Receiver<Inbound>) {
    let (tx, rx) = mpsc::channel(64);
    (MqttMtp::new(config, tx).unwrap(), rx)
}

async fn next(rx: &mut mpsc::Receiver<Inbound>) -> Inbound {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("an inbound event in time")
        .expect("channel open")
}

async fn expect_up(rx: &mut mpsc::Receiver<Inbound>, version: MqttVersion, topic: &str) {
    match next(rx).await {
        Inbound::Up { agent, link } => {
            assert_eq!(&*agent, EID);
            assert_eq!(
                link,
                LinkUp::Mqtt {
                    version,
                    subscribed_topic: topic.to_owned()
                }
            );
        }
        other => panic!("expected Up, got {other:?}"),
    }
}

/// A Get from the controller to the agent, as a binary Record.
fn get_record(msg_id: &str) -> Bytes {
    let msg = usp::msg::get(msg_id, ["Device.DeviceInfo."], 0);
    usp::encode_record(&usp::record::no_session_context(EID, CONTROLLER_EID, &msg)).into()
}

/// Checks with rusp-lib that `bytes` is the Record we built for `msg_id`.
fn assert_rusp_decodes(bytes: &[u8], to_id: &str, msg_id: &str) {
    let record = rusp_lib::usp_decoder::try_decode_record(bytes).expect("rusp decodes the Record");
    assert_eq!(record.to_id, to_id);
    let msg = rusp_lib::usp_decoder::try_decode_msg(match &record.record_type {
        rusp_lib::usp_record::mod_Record::OneOfrecord_type::no_session_context(n) => &n.payload,
        other => panic!("not a no-session Record: {other:?}"),
    })
    .expect("rusp decodes the Msg");
    assert_eq!(msg.header.unwrap().msg_id, msg_id);
}

async fn expect_record(rx: &mut mpsc::Receiver<Inbound>, reply_topic: &str, payload: &Bytes) {
    match next(rx).await {
        Inbound::Record {
            agent,
            reply,
            payload: got,
        } => {
            assert_eq!(&*agent, EID);
            assert_eq!(
                reply,
                ReplyTo::Mqtt {
                    topic: reply_topic.to_owned()
                }
            );
            assert_eq!(&got, payload);
        }
        other => panic!("expected a Record, got {other:?}"),
    }
}

#[tokio::test]
async fn v5_agent_exchanges_records_with_a_controller() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    let (mtp, mut rx) = start(config(&broker, MqttVersion::V5));
    let agent_topic = format!("usp/agent/{EID}");
    assert_eq!(
        mtp.send(Outbound {
            agent: EID.into(),
            to: ReplyTo::Mqtt { topic: "x".into() },
            payload: Bytes::new()
        }),
        Err(MtpError::UnknownAgent(EID.into()))
    );
    mtp.add_agent(EID).unwrap();
    assert_eq!(
        mtp.add_agent(EID),
        Err(MtpError::DuplicateAgent(EID.into()))
    );
    expect_up(&mut rx, MqttVersion::V5, &agent_topic).await;
    assert_eq!(mtp.reply_topic(EID).as_deref(), Some(agent_topic.as_str()));

    let (controller, mut from_agent) = v5_controller(&broker, CONTROLLER_TOPIC).await;
    let request = get_record("get-1");
    publish5(
        &controller,
        &agent_topic,
        Some("usp.msg"),
        Some(CONTROLLER_TOPIC),
        request.clone(),
    )
    .await;
    expect_record(&mut rx, CONTROLLER_TOPIC, &request).await;

    let msg = usp::msg::get("notify-1", ["Device."], 0);
    let answer: Bytes =
        usp::encode_record(&usp::record::no_session_context(CONTROLLER_EID, EID, &msg)).into();
    mtp.send(Outbound {
        agent: EID.into(),
        to: ReplyTo::Mqtt {
            topic: CONTROLLER_TOPIC.into(),
        },
        payload: answer.clone(),
    })
    .unwrap();
    let got = tokio::time::timeout(WAIT, from_agent.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&got.topic[..], CONTROLLER_TOPIC.as_bytes());
    assert_eq!(got.payload, answer);
    let props = got.properties.expect("properties");
    assert_eq!(props.content_type.as_deref(), Some("usp.msg"));
    assert_eq!(props.response_topic.as_deref(), Some(agent_topic.as_str()));
    assert_rusp_decodes(&got.payload, CONTROLLER_EID, "notify-1");
    // The controller subscribed at QoS 1: what it gets is the agent's QoS.
    assert_eq!(got.qos, rumqttc::v5::mqttbytes::QoS::AtLeastOnce);

    assert!(matches!(
        mtp.send(Outbound {
            agent: EID.into(),
            to: ReplyTo::WebSocket { link: 1 },
            payload: Bytes::new()
        }),
        Err(MtpError::WrongTransport(_))
    ));
    mtp.remove_agent(EID).unwrap();
    assert_eq!(mtp.agent_count(), 0);
}

#[tokio::test]
async fn v5_accepts_records_without_content_type_and_drops_unanswerable_ones() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    let (mtp, mut rx) = start(config(&broker, MqttVersion::V5));
    let agent_topic = format!("usp/agent/{EID}");
    mtp.add_agent(EID).unwrap();
    expect_up(&mut rx, MqttVersion::V5, &agent_topic).await;
    let (controller, _from_agent) = v5_controller(&broker, CONTROLLER_TOPIC).await;

    // Dropped: no Response Topic, then a Content Type that is not a Record.
    publish5(
        &controller,
        &agent_topic,
        Some("usp.msg"),
        None,
        get_record("no-reply"),
    )
    .await;
    publish5(
        &controller,
        &agent_topic,
        Some("text/plain"),
        Some(CONTROLLER_TOPIC),
        get_record("text"),
    )
    .await;
    // Delivered: no Content Type at all (as Oktopus sends), and the old name.
    let bare = get_record("bare");
    publish5(
        &controller,
        &agent_topic,
        None,
        Some(CONTROLLER_TOPIC),
        bare.clone(),
    )
    .await;
    let long_name = get_record("long-name");
    publish5(
        &controller,
        &agent_topic,
        Some("application/vnd.bbf.usp.msg"),
        Some(CONTROLLER_TOPIC),
        long_name.clone(),
    )
    .await;
    expect_record(&mut rx, CONTROLLER_TOPIC, &bare).await;
    expect_record(&mut rx, CONTROLLER_TOPIC, &long_name).await;
}

#[tokio::test]
async fn v5_oversized_records_are_dropped_and_the_link_stays() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    let mut c = config(&broker, MqttVersion::V5);
    c.max_record_bytes = 1000;
    let (mtp, mut rx) = start(c);
    let agent_topic = format!("usp/agent/{EID}");
    mtp.add_agent(EID).unwrap();
    expect_up(&mut rx, MqttVersion::V5, &agent_topic).await;
    let (controller, _from_agent) = v5_controller(&broker, CONTROLLER_TOPIC).await;

    // Over our Maximum Packet Size: the broker drops it.
    publish5(
        &controller,
        &agent_topic,
        None,
        Some(CONTROLLER_TOPIC),
        Bytes::from(vec![1u8; 20_000]),
    )
    .await;
    // Under the packet limit but over max_record_bytes: the shell drops it.
    publish5(
        &controller,
        &agent_topic,
        None,
        Some(CONTROLLER_TOPIC),
        Bytes::from(vec![2u8; 5_000]),
    )
    .await;
    let small = get_record("small");
    publish5(
        &controller,
        &agent_topic,
        None,
        Some(CONTROLLER_TOPIC),
        small.clone(),
    )
    .await;
    expect_record(&mut rx, CONTROLLER_TOPIC, &small).await;
    assert!(mtp.reply_topic(EID).is_some(), "the link stayed up");

    let too_big = mtp.send(Outbound {
        agent: EID.into(),
        to: ReplyTo::Mqtt {
            topic: CONTROLLER_TOPIC.into(),
        },
        payload: Bytes::from(vec![0u8; 1001]),
    });
    assert_eq!(
        too_big,
        Err(MtpError::TooLarge {
            size: 1001,
            limit: 1000
        })
    );
}

#[tokio::test]
async fn v311_agent_uses_reply_to_suffixes() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    let mut c = config(&broker, MqttVersion::V3_1_1);
    c.max_record_bytes = 1000;
    let (mtp, mut rx) = start(c);
    let agent_topic = format!("usp/agent/{EID}");
    mtp.add_agent(EID).unwrap();
    expect_up(&mut rx, MqttVersion::V3_1_1, &agent_topic).await;

    let (controller, mut from_agent) =
        v311_controller(&broker, &format!("{CONTROLLER_TOPIC}/#")).await;
    let to_agent = format!("{agent_topic}/reply-to=usp%2Fcontroller%2Fc");
    // Dropped: no suffix; over max_record_bytes.
    controller
        .publish(
            agent_topic.as_str(),
            rumqttc::QoS::AtLeastOnce,
            false,
            get_record("no-suffix"),
        )
        .await
        .unwrap();
    controller
        .publish(
            to_agent.as_str(),
            rumqttc::QoS::AtLeastOnce,
            false,
            vec![0u8; 5000],
        )
        .await
        .unwrap();
    let request = get_record("get-3");
    controller
        .publish(
            to_agent.as_str(),
            rumqttc::QoS::AtLeastOnce,
            false,
            request.clone(),
        )
        .await
        .unwrap();
    expect_record(&mut rx, CONTROLLER_TOPIC, &request).await;

    let msg = usp::msg::get("answer-3", ["Device."], 0);
    let answer: Bytes =
        usp::encode_record(&usp::record::no_session_context(CONTROLLER_EID, EID, &msg)).into();
    mtp.send(Outbound {
        agent: EID.into(),
        to: ReplyTo::Mqtt {
            topic: CONTROLLER_TOPIC.into(),
        },
        payload: answer.clone(),
    })
    .unwrap();
    let got = tokio::time::timeout(WAIT, from_agent.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        got.topic,
        "usp/controller/c/reply-to=usp%2Fagent%2Fos::00256D-0001"
    );
    assert_eq!(got.payload, answer);
    assert_rusp_decodes(&got.payload, CONTROLLER_EID, "answer-3");
}

#[tokio::test]
async fn agents_come_back_after_a_broker_restart() {
    let Some(mut broker) = Mosquitto::start() else {
        return;
    };
    for version in [MqttVersion::V5, MqttVersion::V3_1_1] {
        let (mtp, mut rx) = start(config(&broker, version));
        let agent_topic = format!("usp/agent/{EID}");
        mtp.add_agent(EID).unwrap();
        expect_up(&mut rx, version, &agent_topic).await;
        broker.restart();
        match next(&mut rx).await {
            Inbound::Down {
                agent,
                protocol,
                link,
            } => {
                assert_eq!((&*agent, protocol, link), (EID, "MQTT", None));
            }
            other => panic!("expected Down, got {other:?}"),
        }
        assert!(matches!(
            mtp.send(Outbound {
                agent: EID.into(),
                to: ReplyTo::Mqtt {
                    topic: CONTROLLER_TOPIC.into()
                },
                payload: Bytes::new(),
            }),
            Err(MtpError::NoLink(_))
        ));
        expect_up(&mut rx, version, &agent_topic).await;
        mtp.shutdown();
    }
}

#[tokio::test]
async fn two_hundred_agents_come_up_together() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    let (tx, mut rx) = mpsc::channel(256);
    let mtp = MqttMtp::new(config(&broker, MqttVersion::V5), tx).unwrap();
    let eids: Vec<String> = (0..200).map(|i| format!("os::00256D-{i:04}")).collect();
    for eid in &eids {
        mtp.add_agent(eid).unwrap();
    }
    let mut up = std::collections::BTreeSet::new();
    while up.len() < eids.len() {
        match next(&mut rx).await {
            Inbound::Up {
                agent,
                link: LinkUp::Mqtt {
                    subscribed_topic, ..
                },
            } => {
                assert_eq!(subscribed_topic, format!("usp/agent/{agent}"));
                assert!(up.insert(agent.to_string()), "one Up per agent");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(up, eids.iter().cloned().collect());
    mtp.shutdown();
    assert_eq!(mtp.agent_count(), 0);
}

#[tokio::test]
async fn v5_agent_publishes_at_qos_0_when_told() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    let mut c = config(&broker, MqttVersion::V5);
    c.publish_qos = 0;
    let (mtp, mut rx) = start(c);
    mtp.add_agent(EID).unwrap();
    expect_up(&mut rx, MqttVersion::V5, &format!("usp/agent/{EID}")).await;
    let (_controller, mut from_agent) = v5_controller(&broker, CONTROLLER_TOPIC).await;
    let msg = usp::msg::get("q0", ["Device."], 0);
    let record: Bytes =
        usp::encode_record(&usp::record::no_session_context(CONTROLLER_EID, EID, &msg)).into();
    mtp.send(Outbound {
        agent: EID.into(),
        to: ReplyTo::Mqtt {
            topic: CONTROLLER_TOPIC.into(),
        },
        payload: record.clone(),
    })
    .unwrap();
    let got = tokio::time::timeout(WAIT, from_agent.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.payload, record);
    assert_eq!(got.qos, rumqttc::v5::mqttbytes::QoS::AtMostOnce);
}
