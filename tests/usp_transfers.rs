//! Vendor file commands end to end: `VendorConfigFile.{i}.Backup()`,
//! `VendorLogFile.{i}.Upload()` (CWMP Upload, the simulated CPE PUTs the
//! file to a test file server) and `VendorConfigFile.{i}.Restore()` (CWMP
//! Download), each ended by the CPE's TransferComplete as
//! OperationComplete and `Device.LocalAgent.TransferComplete!`. The real
//! `cwmp2usp run`, a Mosquitto the test starts, one simulated CPE and an
//! MQTT 5 controller.

mod support;

use support::files::FileServer;
use support::gateway::Gateway;
use support::mosquitto::Mosquitto;
use support::mqtt_ctl::{broker, Controller, CTRL};
use support::sim::Sim;
use usp::proto::usp::notify::operation_complete::OperationResp;
use usp::proto::usp::notify::{Event, Notification, OperationComplete};

const BACKUP: &str = "Device.DeviceInfo.VendorConfigFile.1.Backup()";
const RESTORE: &str = "Device.DeviceInfo.VendorConfigFile.1.Restore()";
const LOG_UPLOAD: &str = "Device.DeviceInfo.VendorLogFile.1.Upload()";

/// The gateway, one CPE past its boot session, and the controller
/// subscribed to the OperationCompletes of `Device.DeviceInfo.` ("op")
/// and to TransferComplete! ("tc").
async fn setup(broker: &Mosquitto) -> (Gateway, Sim, Controller) {
    let (gw, sim, mut ctrl) = support::mqtt_ctl::setup(broker).await;
    ctrl.subscribe("op", "OperationComplete", "Device.DeviceInfo.")
        .await;
    ctrl.subscribe("tc", "Event", "Device.LocalAgent.TransferComplete!")
        .await;
    (gw, sim, ctrl)
}

/// The OperationComplete and TransferComplete! that end `command`.
async fn ends(ctrl: &mut Controller, command: &str, key: &str) -> (OperationComplete, Event) {
    let Notification::OperComplete(op) = ctrl.notification("op").await else {
        panic!("not an OperationComplete")
    };
    let Notification::Event(tc) = ctrl.notification("tc").await else {
        panic!("not an Event")
    };
    assert_eq!(
        format!("{}{}", op.obj_path, op.command_name),
        command,
        "{op:?}"
    );
    assert_eq!(op.command_key, key);
    let arg = |k: &str| tc.params.get(k).cloned().unwrap_or_default();
    assert_eq!(arg("Command"), command);
    assert_eq!(arg("CommandKey"), key);
    assert_eq!(arg("Requestor"), CTRL);
    assert_eq!(format!("{}{}", arg("Affected"), op.command_name), command);
    (op, tc)
}

fn succeeded(op: &OperationComplete) {
    assert!(
        matches!(op.operation_resp, Some(OperationResp::ReqOutputArgs(_))),
        "{op:?}"
    );
}

/// Backup() and log Upload() reach the file server as PUTs and end as
/// Upload transfers; Restore() fetches the file and ends as a Download.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_upload_and_restore_end_in_operation_complete_and_transfer_complete() {
    let Some(broker) = broker() else { return };
    let (_gw, _sim, mut ctrl) = setup(&broker).await;
    let files = FileServer::start().await;

    let to = files.url_of("/backup/cfg-1");
    ctrl.operate_async(BACKUP, "ck-backup", &[("URL", &to)])
        .await;
    let (op, tc) = ends(&mut ctrl, BACKUP, "ck-backup").await;
    succeeded(&op);
    assert_eq!(tc.params["TransferType"], "Upload");
    assert_eq!(tc.params["TransferURL"], to);
    assert_eq!(tc.params["FaultCode"], "0");
    let puts = files.received();
    assert_eq!(puts.len(), 1, "{:?}", puts.iter().map(|p| &p.0));
    assert_eq!(puts[0].0, "/backup/cfg-1");
    // The simulator uploads its data model as the configuration.
    let body = String::from_utf8_lossy(&puts[0].1);
    assert!(body.contains("Device.DeviceInfo.SerialNumber="), "{body}");

    let to = files.url_of("/logs/system.log");
    ctrl.operate_async(LOG_UPLOAD, "ck-log", &[("URL", &to)])
        .await;
    let (op, tc) = ends(&mut ctrl, LOG_UPLOAD, "ck-log").await;
    succeeded(&op);
    assert_eq!(tc.params["TransferType"], "Upload");
    assert_eq!(tc.params["FaultCode"], "0");
    let puts = files.received();
    assert_eq!(puts.len(), 2);
    assert_eq!(puts[1].0, "/logs/system.log");

    let from = files.url_of("/restore/cfg-1");
    let inputs = [("URL", from.as_str()), ("TargetFileName", "running.cfg")];
    let before = files.hits();
    ctrl.operate_async(RESTORE, "ck-restore", &inputs).await;
    let (op, tc) = ends(&mut ctrl, RESTORE, "ck-restore").await;
    succeeded(&op);
    assert_eq!(tc.params["TransferType"], "Download");
    assert_eq!(tc.params["TransferURL"], from);
    assert_eq!(tc.params["FaultCode"], "0");
    assert!(files.hits() > before, "the CPE fetched the file");
    assert_eq!(files.received().len(), 2, "a Restore() uploads nothing");
}

/// A Backup() the file server refuses (404): CmdFailure, and a
/// TransferComplete! carrying the CPE's fault.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_backup_fails_with_the_cpes_fault() {
    let Some(broker) = broker() else { return };
    let (_gw, _sim, mut ctrl) = setup(&broker).await;
    let files = FileServer::start().await;

    let to = files.url_of("/missing/cfg-1");
    ctrl.operate_async(BACKUP, "ck-refused", &[("URL", &to)])
        .await;
    let (op, tc) = ends(&mut ctrl, BACKUP, "ck-refused").await;
    let Some(OperationResp::CmdFailure(f)) = &op.operation_resp else {
        panic!("{op:?}")
    };
    assert!(f.err_msg.contains("9011"), "{f:?}");
    let arg = |k: &str| tc.params.get(k).cloned().unwrap_or_default();
    assert_eq!(arg("TransferType"), "Upload");
    assert_ne!(arg("FaultCode"), "0");
    assert_eq!(arg("FaultCode"), f.err_code.to_string());
    assert!(!arg("FaultString").is_empty(), "{tc:?}");
    assert!(files.received().is_empty());
    assert!(files.hits() >= 1, "the CPE tried the server");
}
