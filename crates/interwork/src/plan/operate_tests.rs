//! Asynchronous commands against the simulator's TR-181 model: file
//! transfers and the IP diagnostics.

use std::sync::Arc;

use agent::local::request::Outcome as RequestOutcome;
use cwmp::{Body, ValueType};
use usp::msg;
use usp::proto::usp::operate_resp::operation_result::OperationResp;
use usp::proto::usp::response::RespType;

use super::tests::{cpe, model, run};
use super::*;
use crate::operate::Diagnostic;

const PING: &str = "Device.IP.Diagnostics.IPPing()";
const DOWNLOAD: &str = "Device.DeviceInfo.FirmwareImage.1.Download()";
const RESTORE: &str = "Device.DeviceInfo.VendorConfigFile.1.Restore()";

fn operate(command: &str, inputs: &[(&str, &str)], model: Arc<DeviceModel>) -> Plan {
    let m = msg::operate("o1", command, "ck-7", true, inputs.iter().copied());
    Plan::new(
        m.request().unwrap().clone(),
        "o1",
        Some(model),
        Config::default(),
    )
}

fn result(a: &Answer) -> OperationResp {
    let Answer::Resp(RespType::OperateResp(r)) = a else {
        panic!("{a:?}")
    };
    r.operation_results[0].operation_resp.clone().unwrap()
}

#[test]
fn ipping_is_one_typed_spv_then_a_request_and_its_results_are_outputs() {
    let mut cpe = cpe();
    let m = model(&mut cpe);
    let inputs = [("Host", "192.0.2.9"), ("NumberOfRepetitions", "4")];
    let (a, rounds) = run(operate(PING, &inputs, m.clone()), &mut cpe);
    assert_eq!(result(&a), OperationResp::ReqObjPath(String::new()));
    let [Body::SetParameterValues(spv)] = &rounds[..].concat()[..] else {
        panic!("{rounds:?}")
    };
    assert_eq!(spv.parameter_key, "ck-7");
    let sent: Vec<_> = spv
        .parameter_list
        .iter()
        .map(|p| (&*p.name, p.value.ty, &*p.value.text))
        .collect();
    let p = "Device.IP.Diagnostics.IPPing.";
    assert_eq!(
        sent,
        [
            (&*format!("{p}Host"), ValueType::String, "192.0.2.9"),
            (
                &*format!("{p}NumberOfRepetitions"),
                ValueType::UnsignedInt,
                "4"
            ),
            (
                &*format!("{p}DiagnosticsState"),
                ValueType::String,
                "Requested"
            ),
        ]
    );

    // Before the CPE reports completion, the results read says "wait".
    let read = |cpe: &mut sim::DataModel| {
        let req = Diagnostic::IpPing.results_request();
        let (a, _) = run(Plan::new(req, "r", Some(m.clone()), Config::default()), cpe);
        Diagnostic::IpPing.outcome(&a)
    };
    assert_eq!(read(&mut cpe), None);
    cpe.set(&format!("{p}DiagnosticsState"), "Complete");
    cpe.set(&format!("{p}SuccessCount"), "4");
    let Some(RequestOutcome::Success(out)) = read(&mut cpe) else {
        panic!()
    };
    assert_eq!(out["Status"], "Complete");
    assert_eq!(out["SuccessCount"], "4");
    assert!(!out.contains_key("Host"), "inputs are not outputs: {out:?}");
    assert!(!out.contains_key("DiagnosticsState"));
    // Someone else reset it: the command failed.
    cpe.set(&format!("{p}DiagnosticsState"), "None");
    assert!(matches!(
        read(&mut cpe),
        Some(RequestOutcome::Failure { .. })
    ));
}

#[test]
fn firmware_download_is_a_download_rpc_with_the_command_key() {
    let mut cpe = cpe();
    let m = model(&mut cpe);
    let inputs = [
        ("URL", "http://files.example/fw.bin"),
        ("Username", "u"),
        ("Password", "p"),
        ("FileSize", "1024"),
        ("AutoActivate", "true"),
    ];
    let (a, rounds) = run(operate(DOWNLOAD, &inputs, m.clone()), &mut cpe);
    assert_eq!(result(&a), OperationResp::ReqObjPath(String::new()));
    let Body::Download(d) = &rounds[0][0] else {
        panic!("{rounds:?}")
    };
    assert_eq!(d.command_key, "ck-7");
    assert_eq!(d.file_type, "1 Firmware Upgrade Image");
    assert_eq!(
        (&*d.url, &*d.username, &*d.password, d.file_size),
        ("http://files.example/fw.bin", "u", "p", 1024)
    );

    // Status 0: done at once, no TransferComplete to wait for.
    let mut plan = operate(DOWNLOAD, &inputs, m.clone());
    assert!(matches!(plan.poll(), Step::Send(_)));
    plan.feed(vec![Outcome::Response(Body::DownloadResponse(
        cwmp::TransferResponse::default(),
    ))]);
    let Step::Done(a) = plan.poll() else { panic!() };
    assert!(matches!(result(&a), OperationResp::ReqOutputArgs(_)));
}

#[test]
fn vendor_file_commands_are_upload_and_download_rpcs() {
    let mut cpe = cpe();
    let m = model(&mut cpe);
    let url = ("URL", "http://files.example/up");
    let backup = "Device.DeviceInfo.VendorConfigFile.1.Backup()";
    let (a, rounds) = run(operate(backup, &[url], m.clone()), &mut cpe);
    assert_eq!(result(&a), OperationResp::ReqObjPath(String::new()));
    let Body::Upload(u) = &rounds[0][0] else {
        panic!("{rounds:?}")
    };
    assert_eq!(u.command_key, "ck-7");
    assert_eq!(u.file_type, "3 Vendor Configuration File 1");
    assert_eq!(u.url, url.1);

    let log = "Device.DeviceInfo.VendorLogFile.1.Upload()";
    let (_, rounds) = run(operate(log, &[url], m.clone()), &mut cpe);
    let Body::Upload(u) = &rounds[0][0] else {
        panic!("{rounds:?}")
    };
    assert_eq!(u.file_type, "4 Vendor Log File 1");

    let restore = "Device.DeviceInfo.VendorConfigFile.1.Restore()";
    let inputs = [url, ("TargetFileName", "a.cfg")];
    let (a, rounds) = run(operate(restore, &inputs, m.clone()), &mut cpe);
    assert_eq!(result(&a), OperationResp::ReqObjPath(String::new()));
    let Body::Download(d) = &rounds[0][0] else {
        panic!("{rounds:?}")
    };
    assert_eq!(
        (&*d.file_type, &*d.target_file_name),
        ("3 Vendor Configuration File", "a.cfg")
    );

    // The CPE refuses (no such file): the command fails at once.
    let mut plan = operate(backup, &[url], m);
    assert!(matches!(plan.poll(), Step::Send(_)));
    plan.feed(vec![Outcome::Fault {
        code: 9003,
        string: "no such file".into(),
        params: Vec::new(),
    }]);
    let Step::Done(a) = plan.poll() else { panic!() };
    assert!(matches!(result(&a), OperationResp::CmdFailure(_)), "{a:?}");
}

#[test]
fn inputs_cwmp_cannot_express_are_refused_without_rpcs() {
    let mut cpe = cpe();
    let m = model(&mut cpe);
    let url = ("URL", "http://files.example/fw.bin");
    for (command, inputs) in [
        (DOWNLOAD, vec![url, ("AutoActivate", "false")]),
        (DOWNLOAD, vec![("AutoActivate", "true")]),
        (DOWNLOAD, vec![url, ("FileSize", "big")]),
        (DOWNLOAD, vec![url, ("Colour", "red")]),
        (RESTORE, vec![url, ("CheckSum", "00ff")]),
        (RESTORE, vec![("TargetFileName", "a.cfg")]),
        (RESTORE, vec![url, ("AutoActivate", "true")]),
        (PING, vec![("Host", "x"), ("NoSuchInput", "1")]),
    ] {
        let (a, rounds) = run(operate(command, &inputs, m.clone()), &mut cpe);
        assert!(rounds.is_empty(), "{inputs:?}: {rounds:?}");
        let OperationResp::CmdFailure(f) = result(&a) else {
            panic!("{a:?}")
        };
        assert_eq!(
            f.err_code,
            usp::ErrorCode::InvalidArguments.as_u32(),
            "{f:?}"
        );
    }
}

#[test]
fn a_cpe_fault_fails_the_command() {
    let mut cpe = cpe();
    let m = model(&mut cpe);
    let mut plan = operate(PING, &[("Host", "x")], m);
    assert!(matches!(plan.poll(), Step::Send(_)));
    plan.feed(vec![Outcome::Fault {
        code: 9007,
        string: "bad".into(),
        params: vec![ParamFault {
            name: "Device.IP.Diagnostics.IPPing.Host".into(),
            code: 9007,
            string: "no".into(),
        }],
    }]);
    let Step::Done(a) = plan.poll() else { panic!() };
    let OperationResp::CmdFailure(f) = result(&a) else {
        panic!("{a:?}")
    };
    assert!(f.err_msg.contains("IPPing.Host"), "{f:?}");
}

#[test]
fn commands_are_offered_only_with_their_objects() {
    let mut cpe = cpe();
    let full = model(&mut cpe);
    for d in Diagnostic::ALL {
        assert!(full.schema().find(&d.command()).is_some(), "{d:?}");
    }
    let download = crate::operate::FIRMWARE_DOWNLOAD;
    assert!(full.schema().find(download).is_some());
    for t in crate::transfer::Transfer::ALL {
        assert!(full.schema().find(t.command()).is_some(), "{t:?}");
    }
    // The CWMP object beside the command of the same name stays readable.
    let gsdm = msg::get_supported_dm("d", ["Device.IP.Diagnostics.IPPing."], false);
    let (a, _) = run(
        Plan::new(
            gsdm.request().unwrap().clone(),
            "d",
            Some(full.clone()),
            Config::default(),
        ),
        &mut cpe,
    );
    let Answer::Resp(RespType::GetSupportedDmResp(d)) = a else {
        panic!("{a:?}")
    };
    let obj = &d.req_obj_results[0];
    assert_eq!(obj.err_code, 0, "{obj:?}");
    assert!(obj.supported_objs[0]
        .supported_params
        .iter()
        .any(|p| p.param_name == "DiagnosticsState"));
    // A CPE with neither the diagnostics objects nor firmware images.
    let names = [
        "Device.",
        "Device.DeviceInfo.",
        "Device.DeviceInfo.SerialNumber",
    ];
    let bare = Arc::new(DeviceModel::from_names(names.iter().map(|n| (*n, false))).unwrap());
    assert!(bare.schema().find(PING).is_none());
    assert!(bare.schema().find(download).is_none());
    assert!(bare.schema().find(crate::transfer::CONFIG_BACKUP).is_none());
    assert!(bare.schema().find(crate::transfer::LOG_UPLOAD).is_none());
    assert!(bare.schema().find("Device.Reboot()").is_some());
    let (a, rounds) = run(operate(PING, &[("Host", "x")], bare), &mut cpe);
    assert!(rounds.is_empty());
    assert!(
        matches!(a, Answer::Error(ref e) if e.err_code == 7026),
        "{a:?}"
    );
}
