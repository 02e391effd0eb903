//! Nothing a controller was promised is lost when the gateway is killed
//! (kill -9) or the broker goes away: the real `cwmp2usp run` on a
//! registry directory the test keeps, a fixed CWMP port so the simulated
//! CPE reaches the restarted gateway, a Mosquitto the test starts and
//! stops, and an MQTT 5 controller that rides out the broker's absence.

mod support;

use std::path::Path;
use std::time::Duration;

use support::files::FileServer;
use support::gateway::Gateway;
use support::mosquitto::Mosquitto;
use support::mqtt_ctl::{broker, Controller, SubOptions};
use support::sim::{free_port, Sim, WAIT};
use usp::proto::usp::notify::operation_complete::OperationResp;
use usp::proto::usp::notify::Notification;
use usp::proto::usp::response::RespType;

const AGENT: &str = "os::00D09E-SIM000000";
const SERIAL: &str = "SIM000000";
const CTRL: &str = "proto::e2e-restarts";
const CTRL_TOPIC: &str = "usp/controller/e2e-restarts";
const SSID: &str = "Device.WiFi.SSID.1.SSID";
const DOWNLOAD: &str = "Device.DeviceInfo.FirmwareImage.2.Download()";

/// The gateway's arguments: the same for a restart, so the CPE (which
/// keeps its ACS URL) and the controller find it again.
fn gateway_args(broker: &Mosquitto, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "--cwmp-auth",
        "none",
        "--cwmp-listen",
        &format!("127.0.0.1:{}", free_port()),
        "--mqtt-url",
        &broker.url(),
        "--controller",
        &format!("{CTRL}={CTRL_TOPIC}"),
    ]
    .map(String::from)
    .to_vec();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn start(data: &Path, args: &[String]) -> Gateway {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Gateway::start_in(data, &args)
}

/// A gateway on `data`, one CPE past its first session, the controller.
async fn setup(broker: &Mosquitto, data: &Path, args: &[String]) -> (Gateway, Sim, Controller) {
    let ctrl = Controller::connect(broker.port, CTRL, CTRL_TOPIC, AGENT).await;
    let gw = start(data, args);
    let acs = gw.ready()["cwmp"].as_str().unwrap().to_string();
    let sim = Sim::start(&acs, &["--count", "1", "--interval", "300"]);
    sim.wait_for("a session", WAIT, |s| {
        s["sessions_completed"].as_u64() >= Some(1)
    });
    (gw, sim, ctrl)
}

const KEEP: SubOptions = SubOptions {
    persistent: true,
    notif_retry: true,
};

/// The agent's Requests, as (path, Status), asked over MQTT: a restarted
/// gateway answering this also has its agent's link up again.
async fn requests(ctrl: &mut Controller, id: &str) -> Vec<(String, String)> {
    let answer = ctrl
        .request(&usp::msg::get(id, ["Device.LocalAgent.Request."], 0))
        .await;
    let Some(RespType::GetResp(r)) = answer.response() else {
        panic!("{answer:?}")
    };
    r.req_path_results
        .iter()
        .flat_map(|p| &p.resolved_path_results)
        .map(|o| {
            let status = o.result_params.get("Status").cloned().unwrap_or_default();
            (o.resolved_path.clone(), status)
        })
        .collect()
}

/// kill -9 right after the CPE accepted a Download(): the restarted
/// gateway still knows the Request, and when the CPE's TransferComplete
/// arrives the controller gets its OperationComplete and TransferComplete!.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_accepted_before_kill_9_still_completes() {
    let Some(broker) = broker() else { return };
    let data = tempfile::tempdir().unwrap();
    let args = gateway_args(&broker, &[]);
    let (gw, sim, mut ctrl) = setup(&broker, data.path(), &args).await;
    ctrl.subscribe_with("op", "OperationComplete", DOWNLOAD, KEEP)
        .await;
    ctrl.subscribe_with("tc", "Event", "Device.LocalAgent.TransferComplete!", KEEP)
        .await;
    let files = FileServer::start().await;
    files.hold();
    let inputs = [("URL", files.url()), ("AutoActivate", "true".into())];
    let op = usp::msg::operate("dl-kill", DOWNLOAD, "ck-kill", true, inputs);
    let answer = ctrl.request(&op).await;
    assert!(
        matches!(answer.response(), Some(RespType::OperateResp(_))),
        "{answer:?}"
    );
    // The CPE took the Download RPC and is fetching the file.
    let fetching = tokio::time::timeout(WAIT, async {
        while files.hits() == 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    assert!(fetching.await.is_ok(), "the CPE never fetched the file");
    gw.kill_9();

    let _gw = start(data.path(), &args);
    ctrl.agent_connected().await;
    let open = requests(&mut ctrl, "requests-after-kill").await;
    assert_eq!(
        open,
        [(
            "Device.LocalAgent.Request.1.".to_owned(),
            "Active".to_owned()
        )]
    );
    files.release();
    let Notification::OperComplete(done) = ctrl.notification("op").await else {
        panic!("not an OperationComplete")
    };
    assert_eq!(done.command_key, "ck-kill");
    assert!(
        matches!(done.operation_resp, Some(OperationResp::ReqOutputArgs(_))),
        "{done:?}"
    );
    let Notification::Event(tc) = ctrl.notification("tc").await else {
        panic!("not an Event")
    };
    assert_eq!(
        tc.params.get("CommandKey").map(String::as_str),
        Some("ck-kill")
    );
    assert_eq!(sim.stats()["transfers"].as_u64(), Some(1));
}

/// kill -9 while a Notify waits for its NotifyResp: the restarted gateway
/// sends it again, same msg_id, and stops once it is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_waiting_at_kill_9_is_sent_again() {
    let Some(broker) = broker() else { return };
    let data = tempfile::tempdir().unwrap();
    let args = gateway_args(&broker, &["--notif-retry-min-wait", "2"]);
    let (gw, sim, mut ctrl) = setup(&broker, data.path(), &args).await;
    ctrl.subscribe_with("vc", "ValueChange", SSID, KEEP).await;
    // Time for the gateway to set the attribute on the CPE.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let r = sim.set_value(SERIAL, SSID, "Before-Kill");
    assert_eq!(r.status, 200, "{}", r.body);
    let (first, send_resp, _) = ctrl.notify("vc").await;
    assert!(send_resp);
    gw.kill_9();

    let _gw = start(data.path(), &args);
    let (again, _, n) = ctrl.notify("vc").await;
    assert_eq!(again, first, "a retry keeps its msg_id");
    let Notification::ValueChange(v) = n else {
        panic!("not a ValueChange")
    };
    assert_eq!(v.param_value, "Before-Kill");
    ctrl.notify_resp(&first, "vc").await;
    // Retries come 2-4 s, then 4-8 s apart: answered, none may follow.
    let more = ctrl
        .within(Duration::from_secs(10), |m| {
            (m.msg_id() == first).then_some(())
        })
        .await;
    assert!(more.is_none(), "retried after its NotifyResp");
}

/// The broker is away for 30 s while the CPE changes a watched value:
/// the NotifRetry subscription's Notify waits and arrives once agent and
/// controller are back; the one without NotifRetry is dropped and counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_wait_out_a_broker_outage() {
    let Some(mut broker) = broker() else { return };
    let data = tempfile::tempdir().unwrap();
    let args = gateway_args(&broker, &[]);
    let (gw, sim, mut ctrl) = setup(&broker, data.path(), &args).await;
    ctrl.subscribe_with("kept", "ValueChange", SSID, KEEP).await;
    ctrl.subscribe("lossy", "ValueChange", SSID).await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    broker.stop();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let r = sim.set_value(SERIAL, SSID, "During-Outage");
    assert_eq!(r.status, 200, "{}", r.body);
    tokio::time::sleep(Duration::from_secs(25)).await;
    broker.restart();

    // The agent's reconnect backoff may have grown to 32 s by now.
    let back = ctrl
        .within(Duration::from_secs(90), |m| match m.request() {
            Some(usp::proto::usp::request::ReqType::Notify(n)) if n.subscription_id == "kept" => {
                n.notification.clone()
            }
            _ => None,
        })
        .await;
    let Some(Notification::ValueChange(v)) = back else {
        panic!("no ValueChange after the outage: {back:?}")
    };
    assert_eq!(v.param_value, "During-Outage");
    let report = gw.stop();
    let counters = &report["notifications"];
    assert!(counters["dropped_no_link"].as_u64() >= Some(1), "{report}");
}
