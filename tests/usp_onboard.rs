//! OnBoardRequest end to end: the real `cwmp2usp run --onboard-request`
//! with a private Mosquitto, a simulated CPE, and an MQTT 5 controller that
//! reads every Record with rusp-lib. Unanswered, the OnBoardRequest comes
//! again; answered, it stops. Only order and occurrence are asserted.

#[path = "../crates/mtp/tests/support/controller5.rs"]
mod controller5;
mod support;

use std::time::Duration;

use rumqttc::v5::mqttbytes::v5::PublishProperties;
use rumqttc::v5::mqttbytes::QoS;
use rusp_lib::usp::mod_Body::OneOfmsg_body as Body;
use rusp_lib::usp::mod_Notify::OneOfnotification as Notification;
use rusp_lib::usp::mod_Request::OneOfreq_type as Req;
use rusp_lib::usp_decoder::{try_decode_msg, try_decode_record};
use rusp_lib::usp_record::mod_Record::OneOfrecord_type as RecordType;
use support::gateway::Gateway;
use support::sim::{Sim, WAIT};
use tokio::sync::mpsc;

const AGENT: &str = "os::00D09E-SIM000000";
const CTRL: &str = "proto::e2e-onboard";
const CTRL_TOPIC: &str = "usp/controller/onboard";

/// What the controller sees, as rusp-lib decodes it.
#[derive(Debug)]
enum Seen {
    Connect,
    OnBoard {
        msg_id: String,
    },
    /// A response (true) or an Error (false) to our request `msg_id`.
    Answer {
        msg_id: String,
        ok: bool,
    },
}

fn classify(bytes: &[u8]) -> Seen {
    let r = try_decode_record(bytes).expect("rusp-lib decodes the record");
    assert_eq!((r.from_id.as_str(), r.to_id.as_str()), (AGENT, CTRL));
    let payload = match r.record_type {
        RecordType::mqtt_connect(_) => return Seen::Connect,
        RecordType::no_session_context(n) => n.payload,
        other => panic!("unexpected record {other:?}"),
    };
    let m = try_decode_msg(&payload).expect("rusp-lib decodes the msg");
    let msg_id = m.header.as_ref().expect("a header").msg_id.clone();
    let req = match m.body.map(|b| b.msg_body) {
        Some(Body::request(req)) => req,
        Some(Body::response(_)) => return Seen::Answer { msg_id, ok: true },
        _ => return Seen::Answer { msg_id, ok: false },
    };
    let Req::notify(n) = req.req_type else {
        panic!("a request other than Notify: {:?}", req.req_type)
    };
    let Notification::on_board_req(o) = n.notification else {
        panic!("a Notify other than OnBoardRequest: {n:?}")
    };
    assert_eq!(n.subscription_id, "", "R-NOT.7");
    assert!(n.send_resp, "R-NOT.6a");
    assert_eq!(
        (o.oui.as_str(), o.serial_number.as_str()),
        ("00D09E", "SIM000000")
    );
    assert!(!o.product_class.is_empty());
    assert_eq!(o.agent_supported_protocol_versions, "1.0,1.1,1.2,1.3,1.4");
    Seen::OnBoard { msg_id }
}

struct Controller {
    client: rumqttc::v5::AsyncClient,
    inbox: mpsc::Receiver<rumqttc::v5::mqttbytes::v5::Publish>,
}

impl Controller {
    async fn start(port: u16) -> Controller {
        let (client, inbox) = controller5::v5_controller(port, "e2e-onboard", CTRL_TOPIC).await;
        Controller { client, inbox }
    }

    /// The next Record within `limit`, if any.
    async fn next_within(&mut self, limit: Duration) -> Option<Seen> {
        match tokio::time::timeout(limit, self.inbox.recv()).await {
            Ok(Some(p)) => Some(classify(&p.payload)),
            Ok(None) => panic!("controller stopped"),
            Err(_) => None,
        }
    }

    async fn next(&mut self) -> Seen {
        self.next_within(WAIT).await.expect("a Record in time")
    }

    async fn send(&self, m: &usp::Msg) {
        let record = usp::record::no_session_context(AGENT, CTRL, m);
        let props = PublishProperties {
            content_type: Some("usp.msg".into()),
            response_topic: Some(CTRL_TOPIC.into()),
            ..PublishProperties::default()
        };
        self.client
            .publish_with_properties(
                format!("usp/agent/{AGENT}"),
                QoS::AtLeastOnce,
                false,
                usp::encode_record(&record),
                props,
            )
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_on_board_request_is_repeated_until_its_notify_resp() {
    let Some(broker) = support::mqtt_ctl::broker() else {
        return;
    };
    let mut ctrl = Controller::start(broker.port).await;
    let gw = Gateway::start(&[
        "--cwmp-auth",
        "none",
        "--ws-listen",
        "none",
        "--mqtt-url",
        &broker.url(),
        "--controller",
        &format!("{CTRL}={CTRL_TOPIC}"),
        "--onboard-request",
        "--notif-retry-min-wait",
        "1",
    ]);
    let acs = gw.ready()["cwmp"].as_str().unwrap().to_string();
    let _sim = Sim::start(&acs, &["--count", "1", "--interval", "300"]);

    // R-MTP.6: the Connect record first, then the OnBoardRequest.
    assert!(matches!(ctrl.next().await, Seen::Connect));
    let Seen::OnBoard { msg_id } = ctrl.next().await else {
        panic!("no OnBoardRequest")
    };

    // The controller keeps the retries at one a second from now on (its
    // USPNotifRetryIntervalMultiplier), and does not answer yet.
    let set = usp::msg::set(
        "set-k",
        false,
        vec![usp::msg::set_obj(
            "Device.LocalAgent.Controller.1.",
            [("USPNotifRetryIntervalMultiplier", "1000", true)],
        )],
    );
    ctrl.send(&set).await;
    let (mut repeats, mut set_answered) = (0, false);
    while repeats < 2 || !set_answered {
        match ctrl.next().await {
            Seen::OnBoard { msg_id: again } => {
                assert_eq!(again, msg_id, "a retransmission keeps its msg_id");
                repeats += 1;
            }
            Seen::Answer { msg_id, ok } if msg_id == "set-k" => {
                assert!(ok, "the Set failed");
                set_answered = true;
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    ctrl.send(&usp::msg::notify_resp(&msg_id, "")).await;
    // One copy may have crossed our answer; after that, silence, where
    // the unanswered schedule would have sent one a second.
    let mut after = 0;
    while let Some(seen) = ctrl.next_within(Duration::from_secs(5)).await {
        assert!(matches!(seen, Seen::OnBoard { .. }), "{seen:?}");
        after += 1;
        assert!(after <= 1, "still repeated after its NotifyResp");
    }
}
