//! CPE agents over MQTT 5 and 3.1.1: the real `cwmp2usp run` with a
//! Mosquitto each test starts on a free port, CPE from the real simulator,
//! controllers on rumqttc, Records read back by rusp-lib.

#[path = "../crates/mtp/tests/support/controller5.rs"]
mod controller5;
mod support;

use bytes::Bytes;
use rumqttc::v5::mqttbytes::v5::PublishProperties;
use rumqttc::v5::mqttbytes::QoS;
use rusp_lib::usp_decoder::try_decode_record;
use rusp_lib::usp_record::mod_Record::OneOfrecord_type as RecordType;
use support::gateway::Gateway;
use support::mqtt_ctl::broker;
use support::sim::{Sim, WAIT};
use tokio::sync::mpsc;

const AGENT: &str = "os::00D09E-SIM000000";

/// An MQTT 5 controller subscribed to `topic`: what arrives there, as
/// (content type, payload).
async fn controller5(
    port: u16,
    id: &str,
    topic: &str,
) -> (
    rumqttc::v5::AsyncClient,
    mpsc::Receiver<rumqttc::v5::mqttbytes::v5::Publish>,
) {
    controller5::v5_controller(port, id, topic).await
}

async fn next(
    rx: &mut mpsc::Receiver<rumqttc::v5::mqttbytes::v5::Publish>,
) -> (Option<String>, Bytes) {
    let p = tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("a Record in time")
        .expect("controller running");
    (p.properties.and_then(|p| p.content_type), p.payload)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_v5_controller_gets_the_connect_record_then_answers_on_its_response_topic() {
    let Some(broker) = broker() else { return };
    let ctrl = "proto::e2e-mqtt";
    let (client, mut inbox) = controller5(broker.port, "e2e-ctrl", "usp/controller/e2e").await;
    let gw = Gateway::start(&[
        "--cwmp-auth",
        "none",
        "--mqtt-url",
        &broker.url(),
        "--controller",
        &format!("{ctrl}=usp/controller/e2e"),
    ]);
    let acs = gw.ready()["cwmp"].as_str().unwrap().to_string();
    let sim = Sim::start(&acs, &["--count", "1", "--interval", "300"]);
    sim.wait_for("a session", WAIT, |s| {
        s["sessions_completed"].as_u64() >= Some(1)
    });

    // R-MTP.6: the MQTTConnect record first, to the configured controller.
    let (ct, bytes) = next(&mut inbox).await;
    assert_eq!(ct.as_deref(), Some("usp.msg"));
    let r = try_decode_record(&bytes).expect("rusp-lib decodes it");
    assert_eq!((r.from_id.as_str(), r.to_id.as_str()), (AGENT, ctrl));
    let RecordType::mqtt_connect(c) = r.record_type else {
        panic!("not an MQTTConnect record: {:?}", r.record_type)
    };
    assert_eq!(c.subscribed_topic, format!("usp/agent/{AGENT}"));

    // One path the gateway owns, one the CPE's (read from it over CWMP).
    let get = usp::msg::get(
        "m1",
        [
            "Device.LocalAgent.EndpointID",
            "Device.DeviceInfo.ModelName",
        ],
        0,
    );
    let record = usp::record::no_session_context(AGENT, ctrl, &get);
    let props = PublishProperties {
        content_type: Some("usp.msg".into()),
        response_topic: Some("usp/controller/e2e".into()),
        ..PublishProperties::default()
    };
    client
        .publish_with_properties(
            format!("usp/agent/{AGENT}"),
            QoS::AtLeastOnce,
            false,
            usp::encode_record(&record),
            props,
        )
        .await
        .unwrap();
    let (ct, bytes) = next(&mut inbox).await;
    assert_eq!(ct.as_deref(), Some("usp.msg"));
    let r = try_decode_record(&bytes).expect("rusp-lib decodes it");
    assert!(matches!(r.record_type, RecordType::no_session_context(_)));
    let msg = usp::decode_record(&bytes).unwrap().msg.unwrap();
    assert_eq!(msg.msg_id(), "m1");
    let text = format!("{msg:?}");
    assert!(text.contains(AGENT), "{text}");
    assert!(text.contains("HGW-4200"), "{text}");

    // The one-shot controller of this binary reaches the same agent.
    let out = support::sim::bin()
        .args(["usp", "--mqtt", &broker.url(), "--to", AGENT, "--compact"])
        .args([
            "get",
            "Device.LocalAgent.SupportedProtocols",
            "Device.WiFi.SSID.*.SSID",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("\"SupportedProtocols\":\"MQTT,WebSocket\""),
        "{text}"
    );
    assert!(text.contains("HomeNet-5G"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_3_1_1_controller_is_answered_on_its_reply_to_suffix() {
    let Some(broker) = broker() else { return };
    let ctrl = "proto::e2e-mqtt3";
    let o = rumqttc::MqttOptions::new("e2e-ctrl3", "127.0.0.1", broker.port);
    let (client, mut events) = rumqttc::AsyncClient::new(o, 16);
    client
        // 3.1.1 agents append their own /reply-to= suffix to our topic.
        .subscribe("usp/controller/e2e3/#", rumqttc::QoS::AtLeastOnce)
        .await
        .unwrap();
    let (tx, mut inbox) = mpsc::channel::<Bytes>(16);
    tokio::spawn(async move {
        while let Ok(ev) = events.poll().await {
            if let rumqttc::Event::Incoming(rumqttc::Packet::Publish(p)) = ev {
                let _ = tx.send(p.payload).await;
            }
        }
    });
    let gw = Gateway::start(&[
        "--cwmp-auth",
        "none",
        "--mqtt-url",
        &broker.url(),
        "--mqtt-version",
        "3.1.1",
        "--controller",
        &format!("{ctrl}=usp/controller/e2e3"),
    ]);
    let acs = gw.ready()["cwmp"].as_str().unwrap().to_string();
    let _sim = Sim::start(&acs, &["--count", "1", "--interval", "300"]);
    let connect = tokio::time::timeout(WAIT, inbox.recv())
        .await
        .unwrap()
        .unwrap();
    let r = try_decode_record(&connect).unwrap();
    assert!(
        matches!(r.record_type, RecordType::mqtt_connect(_)),
        "{r:?}"
    );

    let get = usp::msg::get("m3", ["Device.LocalAgent.EndpointID"], 0);
    let record = usp::record::no_session_context(AGENT, ctrl, &get);
    // R-MQTT.24: 3.1.1 carries the reply topic in the topic, / as %2F.
    let topic = format!("usp/agent/{AGENT}/reply-to=usp%2Fcontroller%2Fe2e3");
    client
        .publish(
            topic,
            rumqttc::QoS::AtLeastOnce,
            false,
            usp::encode_record(&record),
        )
        .await
        .unwrap();
    let answer = tokio::time::timeout(WAIT, inbox.recv())
        .await
        .unwrap()
        .unwrap();
    let r = try_decode_record(&answer).expect("rusp-lib decodes it");
    assert_eq!(r.to_id, ctrl);
    let msg = usp::decode_record(&answer).unwrap().msg.unwrap();
    assert_eq!(msg.msg_id(), "m3");
}
