//! Tests of the Inform → Happening rules.

use super::*;

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

/// The Happenings of one Inform of device "A", whose agent has no
/// BootParameters.
fn inform(
    m: &mut Memory,
    events: &[&str],
    keys: &[(&str, &str)],
    params: &[(&str, &str)],
) -> Vec<Happening> {
    inform_booting(m, events, keys, params, &[])
}

/// As [`inform`], with these BootParameters.
fn inform_booting(
    m: &mut Memory,
    events: &[&str],
    keys: &[(&str, &str)],
    params: &[(&str, &str)],
    boot_parameters: &[&str],
) -> Vec<Happening> {
    let (events, keys, params) = (strings(events), pairs(keys), pairs(params));
    let i = Informed {
        events: &events,
        command_keys: &keys,
        params: &params,
        replay: false,
    };
    m.informed("A", &i, root_of(&params), &strings(boot_parameters))
}

fn boot_args(h: &[Happening]) -> BTreeMap<String, String> {
    let booted = h.iter().find_map(|h| match h {
        Happening::Event {
            obj_path,
            event_name,
            params,
        } if obj_path == "Device." && event_name == "Boot!" => Some(params.clone()),
        _ => None,
    });
    booted.unwrap_or_default()
}

fn transfer(m: &mut Memory, fault_code: u32, firmware: bool) -> Vec<Happening> {
    let t = TransferDone {
        command_key: "k1",
        fault_code,
        fault_string: "bad image",
        start_time: "t0",
        complete_time: "t1",
        autonomous: None,
        request: None,
    };
    m.transfer("A", &t, firmware)
}

#[test]
fn boot_causes() {
    let mut m = Memory::default();
    let b = boot_args(&inform(&mut m, &["1 BOOT"], &[], &[]));
    assert_eq!(
        (b["Cause"].as_str(), b["CommandKey"].as_str()),
        ("LocalReboot", "")
    );
    assert_eq!(b["FirmwareUpdated"], "false");
    let b = boot_args(&inform(
        &mut m,
        &["1 BOOT", "M Reboot"],
        &[("M Reboot", "ck-7")],
        &[],
    ));
    assert_eq!(
        (b["Cause"].as_str(), b["CommandKey"].as_str()),
        ("RemoteReboot", "ck-7")
    );
    let b = boot_args(&inform(&mut m, &["0 BOOTSTRAP", "1 BOOT"], &[], &[]));
    assert_eq!(b["Cause"], "LocalFactoryReset");
    m.factory_reset_asked("A");
    let b = boot_args(&inform(&mut m, &["0 BOOTSTRAP", "1 BOOT"], &[], &[]));
    assert_eq!(b["Cause"], "RemoteFactoryReset");
    // Asked once, told once.
    let b = boot_args(&inform(&mut m, &["0 BOOTSTRAP"], &[], &[]));
    assert_eq!(b["Cause"], "LocalFactoryReset");
    assert!(inform(&mut m, &["2 PERIODIC"], &[], &[]).is_empty());
}

#[test]
fn boot_parameters_from_the_inform_in_either_dialect() {
    let mut m = Memory::default();
    let sw = ["Device.DeviceInfo.SoftwareVersion"];
    let b = boot_args(&inform_booting(
        &mut m,
        &["1 BOOT"],
        &[],
        &[
            ("Device.DeviceInfo.SoftwareVersion", "2.1"),
            ("Device.DeviceInfo.HardwareVersion", "h"),
        ],
        &sw,
    ));
    assert_eq!(
        b["ParameterMap"],
        r#"{"Device.DeviceInfo.SoftwareVersion":"2.1"}"#
    );
    assert!(m.take_boot_read("A").is_empty(), "nothing left to read");
    let b = boot_args(&inform_booting(
        &mut m,
        &["1 BOOT"],
        &[],
        &[("InternetGatewayDevice.DeviceInfo.SoftwareVersion", "3")],
        &sw,
    ));
    assert_eq!(
        b["ParameterMap"],
        r#"{"Device.DeviceInfo.SoftwareVersion":"3"}"#
    );
    let b = boot_args(&inform(&mut m, &["1 BOOT"], &[], &[]));
    assert_eq!(b["ParameterMap"], "{}");
}

/// BootParameters the Inform lacks (and partial paths) are read in the
/// session; Boot! waits for the read, and for a TransferComplete too.
#[test]
fn boot_waits_for_the_boot_parameters_it_reads() {
    let mut m = Memory::default();
    let wanted = ["Device.DeviceInfo.SoftwareVersion", "Device.WiFi.SSID.1."];
    let params = [("Device.DeviceInfo.SoftwareVersion", "2.1")];
    assert!(inform_booting(&mut m, &["1 BOOT"], &[], &params, &wanted).is_empty());
    assert_eq!(m.take_boot_read("A"), strings(&["Device.WiFi.SSID.1."]));
    assert!(m.take_boot_read("A").is_empty(), "taken once");
    let read = pairs(&[("Device.WiFi.SSID.1.SSID", "Home")]);
    let b = boot_args(&m.boot_read("A", read));
    assert_eq!(
        b["ParameterMap"],
        r#"{"Device.DeviceInfo.SoftwareVersion":"2.1","Device.WiFi.SSID.1.SSID":"Home"}"#
    );
    assert!(m.boot_read("A", Vec::new()).is_empty(), "told once");

    // With a Download in the session: the later of the two lets it go,
    // and a failed read leaves the map with what the Inform said.
    let events = ["1 BOOT", "M Download"];
    let keys = [("M Download", "k1")];
    assert!(inform_booting(&mut m, &events, &keys, &params, &wanted).is_empty());
    assert_eq!(m.take_boot_read("A").len(), 1);
    assert_eq!(transfer(&mut m, 0, true).len(), 1, "TransferComplete! only");
    assert!(m.session_ended("A").is_empty(), "the read still holds it");
    let b = boot_args(&m.boot_read("A", Vec::new()));
    assert_eq!(b["FirmwareUpdated"], "true");
    assert_eq!(
        b["ParameterMap"],
        r#"{"Device.DeviceInfo.SoftwareVersion":"2.1"}"#
    );
}

#[test]
fn firmware_updated_by_the_sessions_transfer_or_an_earlier_one() {
    let mut m = Memory::default();
    // Boot! waits for the TransferComplete that follows the Inform.
    assert!(inform(
        &mut m,
        &["1 BOOT", "7 TRANSFER COMPLETE", "M Download"],
        &[("M Download", "k1")],
        &[]
    )
    .is_empty());
    let h = transfer(&mut m, 0, true);
    assert!(
        matches!(&h[0], Happening::Event { event_name, .. } if event_name == "TransferComplete!")
    );
    assert_eq!(boot_args(&h)["FirmwareUpdated"], "true");
    // A failed one: false.
    inform(
        &mut m,
        &["1 BOOT", "M Download"],
        &[("M Download", "k1")],
        &[],
    );
    assert_eq!(
        boot_args(&transfer(&mut m, 9010, true))["FirmwareUpdated"],
        "false"
    );
    // No TransferComplete in the session: the Boot! goes at its end.
    inform(
        &mut m,
        &["1 BOOT", "M Download"],
        &[("M Download", "k1")],
        &[],
    );
    assert_eq!(boot_args(&m.session_ended("A"))["FirmwareUpdated"], "false");
    assert!(m.session_ended("A").is_empty());
    // Completed before the boot: the next Boot! says so, once.
    assert_eq!(transfer(&mut m, 0, true).len(), 1);
    assert_eq!(
        boot_args(&inform(&mut m, &["1 BOOT"], &[], &[]))["FirmwareUpdated"],
        "true"
    );
    assert_eq!(
        boot_args(&inform(&mut m, &["1 BOOT"], &[], &[]))["FirmwareUpdated"],
        "false"
    );
    // Not a firmware Download of the agent: no.
    transfer(&mut m, 0, false);
    assert_eq!(
        boot_args(&inform(&mut m, &["1 BOOT"], &[], &[]))["FirmwareUpdated"],
        "false"
    );
}

#[test]
fn transfer_complete_arguments() {
    let mut m = Memory::default();
    let h = transfer(&mut m, 9010, true);
    let Some(Happening::Event {
        obj_path, params, ..
    }) = h.first()
    else {
        panic!("{h:?}")
    };
    assert_eq!(obj_path, "Device.LocalAgent.");
    assert_eq!(params["CommandKey"], "k1");
    assert_eq!(params["TransferType"], "Download");
    assert_eq!(
        (
            params["StartTime"].as_str(),
            params["CompleteTime"].as_str()
        ),
        ("t0", "t1")
    );
    assert_eq!(params["FaultCode"], "7022");
    assert_eq!(params["FaultString"], "CPE fault 9010: bad image");
}

fn event_args(h: &Happening) -> &BTreeMap<String, String> {
    match h {
        Happening::Event { params, .. } => params,
        other => panic!("{other:?}"),
    }
}

#[test]
fn transfer_complete_names_the_request_it_ends() {
    use agent::local::request::{Request, Status};
    let mut m = Memory::default();
    let request = Request {
        instance: 3,
        originator: "proto::ctl".into(),
        command: "Device.DeviceInfo.FirmwareImage.2.Download()".into(),
        command_key: "usp-key".into(),
        status: Status::Active,
        inputs: BTreeMap::from([("URL".into(), "http://fw/img".into())]),
    };
    let t = TransferDone {
        command_key: "usp-key",
        fault_code: 0,
        fault_string: "",
        start_time: "t0",
        complete_time: "t1",
        autonomous: None,
        request: Some(&request),
    };
    let h = m.transfer("A", &t, true);
    let p = event_args(&h[0]);
    assert_eq!(p["Command"], request.command);
    assert_eq!(p["Requestor"], "proto::ctl");
    assert_eq!(p["Affected"], "Device.DeviceInfo.FirmwareImage.2.");
    assert_eq!(p["TransferURL"], "http://fw/img");
    assert_eq!(
        (p["FaultCode"].as_str(), p["FaultString"].as_str()),
        ("0", "")
    );
    assert_eq!(p["TransferType"], "Download");

    // A configuration Backup() is an Upload, on its VendorConfigFile.
    let backup = Request {
        command: "Device.DeviceInfo.VendorConfigFile.1.Backup()".into(),
        ..request.clone()
    };
    let h = m.transfer(
        "A",
        &TransferDone {
            request: Some(&backup),
            ..t
        },
        false,
    );
    let p = event_args(&h[0]);
    assert_eq!(p["TransferType"], "Upload");
    assert_eq!(p["Affected"], "Device.DeviceInfo.VendorConfigFile.1.");

    // Autonomous: no Request, its own direction and URL, no firmware
    // for Boot!.
    let upload = acs::AutonomousTransfer {
        is_download: false,
        transfer_url: "http://logs/up".into(),
    };
    let t = TransferDone {
        request: None,
        autonomous: Some(&upload),
        command_key: "",
        ..t
    };
    let h = m.transfer("B", &t, false);
    let p = event_args(&h[0]);
    assert_eq!(
        (p["Command"].as_str(), p["TransferType"].as_str()),
        ("", "Upload")
    );
    assert_eq!(p["TransferURL"], "http://logs/up");
    let i = Informed {
        events: &strings(&["1 BOOT"]),
        command_keys: &[],
        params: &[],
        replay: false,
    };
    assert_eq!(
        boot_args(&m.informed("B", &i, Root::Tr181, &[]))["FirmwareUpdated"],
        "false"
    );
}

fn changes(h: &[Happening]) -> Vec<(&str, &str)> {
    h.iter()
        .filter_map(|h| match h {
            Happening::ValueChange { path, value } => Some((path.as_str(), value.as_str())),
            _ => None,
        })
        .collect()
}

#[test]
fn value_changes_in_tr181_and_tr098_names() {
    let mut m = Memory::default();
    let vc = ["4 VALUE CHANGE"];
    let h = inform(&mut m, &vc, &[], &[("Device.WiFi.SSID.1.SSID", "home")]);
    assert_eq!(changes(&h), [("Device.WiFi.SSID.1.SSID", "home")]);
    let h = inform(
        &mut m,
        &vc,
        &[],
        &[
            (
                "InternetGatewayDevice.ManagementServer.PeriodicInformInterval",
                "60",
            ),
            ("InternetGatewayDevice.LANDevice.1.X", "untranslated"),
        ],
    );
    assert_eq!(
        changes(&h),
        [("Device.ManagementServer.PeriodicInformInterval", "60")]
    );
    // Not a VALUE CHANGE Inform: nothing.
    assert!(changes(&inform(
        &mut m,
        &["2 PERIODIC"],
        &[],
        &[("Device.WiFi.SSID.1.SSID", "x")]
    ))
    .is_empty());
}

#[test]
fn forced_parameters_only_when_they_changed() {
    let mut m = Memory::default();
    let vc = ["4 VALUE CHANGE"];
    let url = "Device.ManagementServer.ConnectionRequestURL";
    assert!(changes(&inform(&mut m, &vc, &[], &[(url, "http://a")])).is_empty());
    assert!(changes(&inform(&mut m, &vc, &[], &[(url, "http://a")])).is_empty());
    // Changed in a periodic Inform: remembered, not told.
    inform(&mut m, &["2 PERIODIC"], &[], &[(url, "http://b")]);
    assert!(changes(&inform(&mut m, &vc, &[], &[(url, "http://b")])).is_empty());
    assert_eq!(
        changes(&inform(&mut m, &vc, &[], &[(url, "http://c")])),
        [(url, "http://c")]
    );
}

#[test]
fn a_replayed_inform_tells_nothing() {
    let mut m = Memory::default();
    let (events, params) = (
        strings(&["1 BOOT", "4 VALUE CHANGE"]),
        pairs(&[("Device.X.Y", "1")]),
    );
    let i = Informed {
        events: &events,
        command_keys: &[],
        params: &params,
        replay: true,
    };
    assert!(m.informed("A", &i, Root::Tr181, &[]).is_empty());
    m.factory_reset_asked("A");
    let i = Informed {
        events: &strings(&["0 BOOTSTRAP"]),
        command_keys: &[],
        params: &[],
        replay: true,
    };
    assert!(m.informed("A", &i, Root::Tr181, &[]).is_empty());
    // The replay did not use up the reset it was asked for.
    assert_eq!(
        boot_args(&inform(&mut m, &["0 BOOTSTRAP"], &[], &[]))["Cause"],
        "RemoteFactoryReset"
    );
}
