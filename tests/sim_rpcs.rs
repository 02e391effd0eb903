//! End-to-end: the real `cwmp2usp sim` against the scripted test ACS, one
//! test per CPE RPC; every reply is checked, and every message the
//! simulator sent must validate against the BBF CWMP schemas.

#[path = "support/mod.rs"]
mod support;

use cwmp::{Body, ScheduleInform, UnknownMethod, Value};
use support::acs::{Acs, Auth, Received};
use support::rpc::*;
use support::sim::{Sim, WAIT};

const SSID: &str = "Device.WiFi.SSID.1.SSID";
const INTERVAL: &str = "Device.ManagementServer.PeriodicInformInterval";
const SOFTWARE: &str = "Device.DeviceInfo.SoftwareVersion";
const PORTMAP: &str = "Device.NAT.PortMapping.";
const IPPING: &str = "Device.IP.Diagnostics.IPPing.";

fn tr181(acs: &Acs) -> Sim {
    Sim::start(&acs.url(), &["--model", "tr181", "--serial-prefix", "E2E"])
}

fn boot_inform(acs: &Acs) -> Received {
    acs.wait(WAIT, |r| r.method() == "Inform")
}

#[test]
fn boot_inform_carries_bootstrap_and_device_id() {
    let acs = Acs::start(Auth::None);
    let _sim = tr181(&acs);
    let inform = boot_inform(&acs);
    assert!(inform.serial.starts_with("E2E"), "{}", inform.serial);
    assert!(
        inform.has_event("0 BOOTSTRAP") && inform.has_event("1 BOOT"),
        "{:?}",
        inform.events()
    );
    let cr = inform
        .inform_param("Device.ManagementServer.ConnectionRequestURL")
        .expect("ConnectionRequestURL in Inform");
    assert!(cr.starts_with("http://127.0.0.1:"), "{cr}");
    // The session goes on with an empty POST once the CPE has nothing to send.
    acs.wait(WAIT, |r| r.method() == "Empty");
    assert_schema_valid(&acs);
}

#[test]
fn get_parameter_values_full_and_partial_paths() {
    let acs = Acs::start(Auth::None);
    let full = acs.queue_any(gpv(&[SOFTWARE]));
    let partial = acs.queue_any(gpv(&["Device.DeviceInfo."]));
    let both = acs.queue_any(gpv(&[SOFTWARE, "Device.NAT."]));
    let missing = acs.queue_any(gpv(&["Device.NoSuchObject.Thing"]));
    let _sim = tr181(&acs);

    let r = acs.wait_reply(&full, WAIT);
    assert_eq!(values(&r).len(), 1);
    assert!(!value_of(&r, SOFTWARE).is_empty());
    let r = acs.wait_reply(&partial, WAIT);
    let v = values(&r);
    assert!(v.len() > 5, "{v:?}");
    assert!(v.iter().all(|(n, _)| n.starts_with("Device.DeviceInfo.")));
    assert!(
        v.iter().all(|(n, _)| !n.ends_with('.')),
        "objects are not values"
    );
    assert!(v.iter().any(|(n, _)| n == SOFTWARE));
    let r = acs.wait_reply(&both, WAIT);
    let v = values(&r);
    assert_eq!(v[0].0, SOFTWARE, "order follows the request");
    assert!(v
        .iter()
        .any(|(n, _)| n.starts_with("Device.NAT.PortMapping.1.")));
    assert_eq!(fault(&acs.wait_reply(&missing, WAIT)).fault_code, 9005);
    assert_schema_valid(&acs);
}

#[test]
fn get_parameter_names_next_level() {
    let acs = Acs::start(Auth::None);
    let top = acs.queue_any(gpn("Device.", true));
    let deep = acs.queue_any(gpn("Device.DeviceInfo.", false));
    let one = acs.queue_any(gpn(SOFTWARE, false));
    let bad = acs.queue_any(gpn("Device.Nope.", true));
    let _sim = tr181(&acs);

    let list = |r: &Received| match r.body() {
        Body::GetParameterNamesResponse(g) => g
            .parameter_list
            .iter()
            .map(|p| (p.name.to_string(), p.writable))
            .collect::<Vec<_>>(),
        other => panic!("expected GetParameterNamesResponse, got {other:?}"),
    };
    let t = list(&acs.wait_reply(&top, WAIT));
    assert!(t.iter().any(|(n, _)| n == "Device.DeviceInfo."), "{t:?}");
    assert!(t.iter().any(|(n, _)| n == "Device.ManagementServer."));
    for (n, _) in &t {
        let rest = n.strip_prefix("Device.").expect("under Device.");
        let depth = rest.trim_end_matches('.').matches('.').count();
        assert_eq!(depth, 0, "NextLevel=true returned a grandchild: {n}");
        assert!(
            !rest.is_empty(),
            "NextLevel=true must not list the path itself"
        );
    }
    let d = list(&acs.wait_reply(&deep, WAIT));
    assert!(d.iter().all(|(n, _)| n.starts_with("Device.DeviceInfo.")));
    assert!(d.len() > 5, "{d:?}");
    assert!(
        d.contains(&(SOFTWARE.to_string(), false)),
        "SoftwareVersion is read-only"
    );
    let o = list(&acs.wait_reply(&one, WAIT));
    assert_eq!(o, vec![(SOFTWARE.to_string(), false)]);
    assert_eq!(fault(&acs.wait_reply(&bad, WAIT)).fault_code, 9005);
    assert_schema_valid(&acs);
}

#[test]
fn set_parameter_values_success_and_per_parameter_faults() {
    let acs = Acs::start(Auth::None);
    let ok = acs.queue_any(spv(
        &[
            (SSID, Value::string("e2e-net")),
            (INTERVAL, Value::unsigned_int(1234)),
        ],
        "pk-1",
    ));
    let check = acs.queue_any(gpv(&[
        SSID,
        INTERVAL,
        "Device.ManagementServer.ParameterKey",
    ]));
    let bad = acs.queue_any(spv(
        &[
            (SSID, Value::string("must-not-apply")),
            ("Device.NoSuch.Param", Value::string("x")),
            (INTERVAL, Value::string("not-a-number")),
            (
                "Device.IP.Diagnostics.IPPing.DiagnosticsState",
                Value::string("Bogus"),
            ),
            (SOFTWARE, Value::string("9.9")),
        ],
        "pk-2",
    ));
    let after = acs.queue_any(gpv(&[SSID]));
    let _sim = tr181(&acs);

    match acs.wait_reply(&ok, WAIT).body() {
        Body::SetParameterValuesResponse(s) => assert_eq!(s.status, 0),
        other => panic!("{other:?}"),
    }
    let r = acs.wait_reply(&check, WAIT);
    assert_eq!(value_of(&r, SSID), "e2e-net");
    assert_eq!(value_of(&r, INTERVAL), "1234");
    assert_eq!(value_of(&r, "Device.ManagementServer.ParameterKey"), "pk-1");

    let r = acs.wait_reply(&bad, WAIT);
    let f = fault(&r);
    assert_eq!(f.fault_code, 9003, "{f:?}");
    let per: Vec<(String, u32)> = f
        .set_parameter_values_fault
        .iter()
        .map(|p| (p.parameter_name.to_string(), p.fault_code))
        .collect();
    assert_eq!(
        per,
        vec![
            ("Device.NoSuch.Param".to_string(), 9005),
            (INTERVAL.to_string(), 9006),
            (
                "Device.IP.Diagnostics.IPPing.DiagnosticsState".to_string(),
                9007
            ),
            (SOFTWARE.to_string(), 9008),
        ]
    );
    // Atomic: the valid SSID in the failed request was not applied.
    assert_eq!(value_of(&acs.wait_reply(&after, WAIT), SSID), "e2e-net");
    assert_schema_valid(&acs);
}

#[test]
fn add_and_delete_object_never_reuse_instances() {
    let acs = Acs::start(Auth::None);
    let a1 = acs.queue_any(add(PORTMAP));
    let a2 = acs.queue_any(add(PORTMAP));
    let d2 = acs.queue_any(delete("Device.NAT.PortMapping.4."));
    let a3 = acs.queue_any(add(PORTMAP));
    let gone = acs.queue_any(gpv(&["Device.NAT.PortMapping.4."]));
    let count = acs.queue_any(gpv(&["Device.NAT.PortMappingNumberOfEntries"]));
    let bad_add = acs.queue_any(add("Device.DeviceInfo."));
    let bad_del = acs.queue_any(delete("Device.NAT.PortMapping.99."));
    let _sim = tr181(&acs);

    let instance = |id: &str| match acs.wait_reply(id, WAIT).body() {
        Body::AddObjectResponse(a) => {
            assert_eq!(a.status, 0);
            a.instance_number
        }
        other => panic!("{other:?}"),
    };
    // The profile ships instances 1 and 2.
    assert_eq!(instance(&a1), 3);
    assert_eq!(instance(&a2), 4);
    match acs.wait_reply(&d2, WAIT).body() {
        Body::DeleteObjectResponse(d) => assert_eq!(d.status, 0),
        other => panic!("{other:?}"),
    }
    assert_eq!(instance(&a3), 5, "instance 4 must not be reused");
    assert_eq!(fault(&acs.wait_reply(&gone, WAIT)).fault_code, 9005);
    assert_eq!(
        value_of(
            &acs.wait_reply(&count, WAIT),
            "Device.NAT.PortMappingNumberOfEntries"
        ),
        "4"
    );
    assert!(matches!(
        fault(&acs.wait_reply(&bad_add, WAIT)).fault_code,
        9003 | 9005
    ));
    assert_eq!(fault(&acs.wait_reply(&bad_del, WAIT)).fault_code, 9005);
    assert_schema_valid(&acs);
}

#[test]
fn reboot_informs_boot_with_command_key() {
    let acs = Acs::start(Auth::None);
    let id = acs.queue_any(Body::Reboot(cwmp::Reboot {
        command_key: "rb-7".into(),
    }));
    let _sim = tr181(&acs);
    let r = acs.wait_reply(&id, WAIT);
    assert_eq!(r.method(), "RebootResponse");
    let mark = acs.mark();
    let inform = acs.wait_from(mark, WAIT, |r| r.method() == "Inform");
    assert!(inform.has_event("1 BOOT"), "{:?}", inform.events());
    assert_eq!(
        inform.command_key("M Reboot").as_deref(),
        Some("rb-7"),
        "{:?}",
        inform.events()
    );
    assert!(!inform.has_event("0 BOOTSTRAP"));
    assert_schema_valid(&acs);
}

#[test]
fn factory_reset_resets_tree_then_bootstrap() {
    let acs = Acs::start(Auth::None);
    let set = acs.queue_any(spv(&[(SSID, Value::string("changed"))], ""));
    let reset = acs.queue_any(Body::FactoryReset);
    let _sim = tr181(&acs);
    acs.wait_reply(&set, WAIT);
    assert_eq!(
        acs.wait_reply(&reset, WAIT).method(),
        "FactoryResetResponse"
    );
    let mark = acs.mark();
    // Queued now, served in the post-reset session.
    let check = acs.queue_any(gpv(&[SSID]));
    let inform = acs.wait_from(mark, WAIT, |r| r.method() == "Inform");
    assert!(
        inform.has_event("0 BOOTSTRAP") && inform.has_event("1 BOOT"),
        "{:?}",
        inform.events()
    );
    assert_eq!(value_of(&acs.wait_reply(&check, WAIT), SSID), "HomeNet-2G");
    assert_schema_valid(&acs);
}

fn transfer_complete(acs: &Acs, key: &str) -> (Received, Received) {
    let inform = acs.wait(WAIT, |r| r.has_event("7 TRANSFER COMPLETE"));
    let tc = acs.wait(WAIT, |r| r.method() == "TransferComplete");
    match tc.body() {
        Body::TransferComplete(t) => assert_eq!(t.command_key, key),
        _ => unreachable!(),
    }
    (inform, tc)
}

fn tc_fault(tc: &Received) -> u32 {
    match tc.body() {
        Body::TransferComplete(t) => t.fault_struct.fault_code,
        _ => unreachable!(),
    }
}

#[test]
fn download_good_url_completes() {
    let acs = Acs::start(Auth::None);
    let url = format!("{}/files/fw.bin", acs.base());
    let id = acs.queue_any(download("dl-ok", &url));
    let _sim = tr181(&acs);
    match acs.wait_reply(&id, WAIT).body() {
        Body::DownloadResponse(d) => assert!(d.status == 0 || d.status == 1),
        other => panic!("{other:?}"),
    }
    let (inform, tc) = transfer_complete(&acs, "dl-ok");
    assert_eq!(
        inform.command_key("M Download").as_deref(),
        Some("dl-ok"),
        "{:?}",
        inform.events()
    );
    assert_eq!(tc_fault(&tc), 0);
    assert!(acs.stats().file_gets >= 1, "the file was not fetched");
    assert_schema_valid(&acs);
}

#[test]
fn download_bad_url_reports_transfer_fault() {
    let acs = Acs::start(Auth::None);
    let url = format!("{}/files/missing.bin", acs.base());
    let id = acs.queue_any(download("dl-404", &url));
    let _sim = tr181(&acs);
    let r = acs.wait_reply(&id, WAIT);
    let code = match r.body() {
        // Refused up front, or accepted and reported in TransferComplete.
        Body::Fault(_) => fault(&r).fault_code,
        Body::DownloadResponse(_) => tc_fault(&transfer_complete(&acs, "dl-404").1),
        other => panic!("{other:?}"),
    };
    assert!(code == 9015 || code == 9016, "fault {code}");
    assert_schema_valid(&acs);
}

#[test]
fn download_unreachable_server_reports_9015() {
    let acs = Acs::start(Auth::None);
    // A file server that takes the connection and hangs up without a word.
    // A port that was merely free a moment ago can be taken meanwhile by
    // another test's server, which then answers (9016, not 9015).
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in dead.incoming() {
            drop(conn);
        }
    });
    let id = acs.queue_any(download(
        "dl-down",
        &format!("http://127.0.0.1:{port}/fw.bin"),
    ));
    let _sim = tr181(&acs);
    let r = acs.wait_reply(&id, WAIT);
    let code = match r.body() {
        Body::Fault(_) => fault(&r).fault_code,
        _ => tc_fault(&transfer_complete(&acs, "dl-down").1),
    };
    assert_eq!(code, 9015);
}

#[test]
fn upload_puts_a_file() {
    let acs = Acs::start(Auth::None);
    let id = acs.queue_any(upload("ul-1", &format!("{}/upload/log.txt", acs.base())));
    let _sim = tr181(&acs);
    assert_eq!(acs.wait_reply(&id, WAIT).method(), "UploadResponse");
    let (_, tc) = transfer_complete(&acs, "ul-1");
    assert_eq!(tc_fault(&tc), 0);
    let uploads = acs.stats().uploads;
    assert!(
        uploads.iter().any(|(p, _)| p == "/upload/log.txt"),
        "{uploads:?}"
    );
    assert_schema_valid(&acs);
}

#[test]
fn schedule_inform_comes_back_with_command_key() {
    let acs = Acs::start(Auth::None);
    let id = acs.queue_any(Body::ScheduleInform(ScheduleInform {
        delay_seconds: 1,
        command_key: "si-1".into(),
    }));
    let _sim = tr181(&acs);
    assert_eq!(acs.wait_reply(&id, WAIT).method(), "ScheduleInformResponse");
    let inform = acs.wait(WAIT, |r| r.has_event("3 SCHEDULED"));
    assert_eq!(
        inform.command_key("M ScheduleInform").as_deref(),
        Some("si-1")
    );
    assert_schema_valid(&acs);
}

#[test]
fn get_rpc_methods_and_unknown_method() {
    let acs = Acs::start(Auth::None);
    let m = acs.queue_any(Body::GetRPCMethods);
    let unknown = acs.queue_any(Body::Unknown(UnknownMethod {
        name: "X_EXAMPLE_Frobnicate".into(),
        namespace: None,
    }));
    let _sim = tr181(&acs);
    let r = acs.wait_reply(&m, WAIT);
    let list: Vec<String> = match r.body() {
        Body::GetRPCMethodsResponse(g) => g.method_list.iter().map(|s| s.to_string()).collect(),
        other => panic!("{other:?}"),
    };
    for required in [
        "GetRPCMethods",
        "SetParameterValues",
        "GetParameterValues",
        "GetParameterNames",
        "SetParameterAttributes",
        "GetParameterAttributes",
        "AddObject",
        "DeleteObject",
        "Reboot",
        "Download",
        "Upload",
        "FactoryReset",
        "ScheduleInform",
    ] {
        assert!(
            list.iter().any(|m| m == required),
            "{required} missing from {list:?}"
        );
    }
    assert_eq!(fault(&acs.wait_reply(&unknown, WAIT)).fault_code, 9000);
    assert_schema_valid(&acs);
}

#[test]
fn ipping_diagnostics_complete() {
    let acs = Acs::start(Auth::None);
    let host = format!("{IPPING}Host");
    let state = format!("{IPPING}DiagnosticsState");
    let id = acs.queue_any(spv(
        &[
            (&host, Value::string("127.0.0.1")),
            (&state, Value::string("Requested")),
        ],
        "",
    ));
    let _sim = tr181(&acs);
    match acs.wait_reply(&id, WAIT).body() {
        Body::SetParameterValuesResponse(_) => {}
        other => panic!("{other:?}"),
    }
    let mark = acs.mark();
    let check = acs.queue_any(gpv(&[IPPING]));
    let inform = acs.wait_from(mark, WAIT, |r| r.method() == "Inform");
    assert!(
        inform.has_event("8 DIAGNOSTICS COMPLETE"),
        "{:?}",
        inform.events()
    );
    let r = acs.wait_reply(&check, WAIT);
    assert_eq!(value_of(&r, &state), "Complete");
    let ok: u32 = value_of(&r, &format!("{IPPING}SuccessCount"))
        .parse()
        .unwrap();
    assert!(ok > 0, "no successful pings to 127.0.0.1");
    assert_schema_valid(&acs);
}
