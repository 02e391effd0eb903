//! CPE agents over STOMP 1.2: the real `cwmp2usp run` against a RabbitMQ
//! node the test starts (with its STOMP plugin), a controller speaking
//! STOMP through our frame codec, Records read back by rusp-lib.

#[path = "../crates/mtp/tests/support/rabbitmq.rs"]
#[allow(dead_code)]
mod rabbitmq;
#[path = "../crates/mtp/tests/support/stomp_controller.rs"]
mod stomp_controller;
mod support;

use bytes::Bytes;
use mtp::stomp::frame::{Command, Frame};
use rusp_lib::usp_decoder::try_decode_record;
use rusp_lib::usp_record::mod_Record::OneOfrecord_type as RecordType;
use stomp_controller::Controller;
use support::gateway::Gateway;
use support::sim::{Sim, WAIT};

const AGENT: &str = "os::00D09E-SIM000000";
const CONTROLLER: &str = "proto::e2e-stomp";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stomp_controller_gets_the_connect_record_and_answers() {
    let Some(broker) = rabbitmq::Broker::start("usp_stomp") else {
        return;
    };
    // Destinations of their own, in case the machine's broker is shared.
    let tag = std::process::id();
    let ctrl_dest = format!("/queue/e2e.controller.{tag}");
    let mut ctrl = Controller::connect(&broker.stomp, &ctrl_dest).await;
    let gw = Gateway::start(&[
        "--cwmp-auth",
        "none",
        "--stomp-url",
        &format!("stomp://guest:guest@{}/", broker.stomp),
        "--controller",
        &format!("{CONTROLLER}=stomp:{ctrl_dest}"),
    ]);
    let acs = gw.ready()["cwmp"].as_str().unwrap().to_string();
    let sim = Sim::start(&acs, &["--count", "1", "--interval", "300"]);
    sim.wait_for("a session", WAIT, |s| {
        s["sessions_completed"].as_u64() >= Some(1)
    });

    // R-MTP.6: STOMPConnect first, naming the destination the agent reads.
    let f = ctrl.frame().await;
    assert_eq!(f.command, Command::Message);
    let r = try_decode_record(&f.body).expect("rusp-lib decodes it");
    assert_eq!((r.from_id.as_str(), r.to_id.as_str()), (AGENT, CONTROLLER));
    let RecordType::stomp_connect(c) = r.record_type else {
        panic!("not a STOMPConnect record: {:?}", r.record_type)
    };
    let agent_dest = c.subscribed_destination.to_string();
    assert!(agent_dest.contains(AGENT), "{agent_dest}");

    let get = usp::msg::get("s1", ["Device.LocalAgent.EndpointID"], 0);
    let record = usp::record::no_session_context(AGENT, CONTROLLER, &get);
    ctrl.write(
        Frame::new(Command::Send)
            .header("destination", &agent_dest)
            .header("content-type", "application/vnd.bbf.usp.msg")
            .header("reply-to-dest", &ctrl_dest)
            .body(Bytes::from(usp::encode_record(&record))),
    )
    .await;
    let f = ctrl.frame().await;
    let r = try_decode_record(&f.body).expect("rusp-lib decodes it");
    assert_eq!(r.to_id, CONTROLLER);
    let msg = usp::decode_record(&f.body).unwrap().msg.unwrap();
    assert_eq!(msg.msg_id(), "s1");
    assert!(format!("{msg:?}").contains(AGENT));
}
