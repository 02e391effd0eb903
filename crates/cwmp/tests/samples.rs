//! Real captures (tests/fixtures/cwmp) and handwritten messages in the
//! styles of other stacks.

use std::path::{Path, PathBuf};

use cwmp::{parse, Body, CwmpVersion, Envelope, ValueType};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/cwmp")
}

/// Drops the HTTP request line and headers of a capture, keeping the body.
fn http_body(dump: &[u8]) -> &[u8] {
    let crlf = dump
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4);
    let lf = dump.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    let start = match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a
            .or(b)
            .expect("capture has no blank line after the headers"),
    };
    &dump[start..]
}

fn load(rel: &str) -> Vec<u8> {
    let raw = std::fs::read(fixtures().join(rel)).unwrap();
    http_body(&raw).to_vec()
}

/// Parses a capture and detaches it from the buffer (exercises into_owned).
fn load_env(rel: &str) -> Envelope<'static> {
    let body = load(rel);
    let env = parse(&body).unwrap_or_else(|e| panic!("{rel}: {e}"));
    env.into_owned()
}

fn round_trip(env: &Envelope<'_>) {
    let xml = env.to_xml();
    let again = parse(xml.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    assert_eq!(&again, env, "{xml}");
}

#[test]
fn every_capture_parses_and_round_trips() {
    let mut count = 0;
    for dir in ["easycwmp", "genieacs-sim"] {
        for entry in std::fs::read_dir(fixtures().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let raw = std::fs::read(&path).unwrap();
            let body = http_body(&raw);
            let env = parse(body).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let file = path.file_name().unwrap().to_str().unwrap();
            let expected = file.split('-').next().unwrap();
            if expected == "EmptyPost" {
                assert_eq!(env.body, Body::Empty, "{file}");
            } else {
                assert_eq!(env.method_name(), expected, "{file}");
                let want = if dir == "easycwmp" {
                    CwmpVersion::V1_2
                } else {
                    CwmpVersion::V1_0
                };
                assert_eq!(env.version, want, "{file}");
                assert!(env.header.id.is_some(), "{file}");
            }
            round_trip(&env);
            count += 1;
        }
    }
    assert_eq!(count, 23);
}

#[test]
fn genieacs_inform_has_seven_params_despite_array_type_16() {
    let body = load("genieacs-sim/Inform-00001-000000.txt");
    let env = parse(&body).unwrap();
    assert_eq!(env.version, CwmpVersion::V1_0);
    assert_eq!(env.header.id.as_deref(), Some("bz2f6wvr"));
    let Body::Inform(inform) = &env.body else {
        panic!("{env:?}")
    };
    assert_eq!(inform.parameter_list.len(), 7);
    assert_eq!(
        inform.device_id.manufacturer,
        "Huawei Technologies Co., Ltd."
    );
    assert_eq!(inform.device_id.oui, "202BC1");
    assert_eq!(inform.device_id.product_class, "BM632w");
    assert_eq!(inform.device_id.serial_number, "000000");
    assert_eq!(inform.event.len(), 1);
    assert_eq!(inform.event[0].event_code, "2 PERIODIC");
    assert_eq!(inform.event[0].command_key, "");
    assert_eq!(inform.max_envelopes, 1);
    assert_eq!(inform.retry_count, 0);
    assert_eq!(inform.current_time, "2026-11-22T08:19:03.919Z");
    let p = &inform.parameter_list[3];
    assert_eq!(p.name, "InternetGatewayDevice.DeviceInfo.ProvisioningCode");
    assert_eq!(p.value.text, "");
    let last = inform.parameter_list.last().unwrap();
    assert_eq!(last.value.text, "172.3.89.139");
    assert_eq!(last.value.ty, ValueType::String);
    // Nothing needed unescaping, so the text is borrowed from the input.
    assert!(matches!(last.value.text, std::borrow::Cow::Borrowed(_)));
}

#[test]
fn easycwmp_inform_events_and_params() {
    // Two captured Informs exist; the BOOTSTRAP one is described in the
    // samples README, the captured file is a later TRANSFER COMPLETE one.
    let env = load_env("easycwmp/Inform-00001-FFFFFF123456.txt");
    assert_eq!(env.version, CwmpVersion::V1_2);
    let Body::Inform(inform) = &env.body else {
        panic!()
    };
    let codes: Vec<_> = inform.event.iter().map(|e| e.event_code.as_ref()).collect();
    assert_eq!(codes, ["7 TRANSFER COMPLETE", "M Download"]);
    assert_eq!(inform.event[1].command_key, "dl-1");
    assert_eq!(inform.parameter_list.len(), 11);
    assert_eq!(inform.device_id.serial_number, "FFFFFF123456");
    assert_eq!(inform.current_time, "2026-11-22T08:25:33+00:00");
}

#[test]
fn easycwmp_transfer_complete_fault_9018() {
    for f in [
        "TransferComplete-00003-FFFFFF123456.txt",
        "TransferComplete-00014-FFFFFF123456.txt",
    ] {
        let env = load_env(&format!("easycwmp/{f}"));
        let Body::TransferComplete(tc) = &env.body else {
            panic!()
        };
        assert_eq!(tc.command_key, "dl-1");
        assert_eq!(tc.fault_struct.fault_code, 9018);
        assert_eq!(
            tc.fault_struct.fault_string,
            "Download failure: file corrupted"
        );
        assert!(tc.start_time.starts_with("2026-11-22T08:25"));
    }
}

#[test]
fn set_parameter_values_response_status() {
    let env = load_env("easycwmp/SetParameterValuesResponse-00007-FFFFFF123456.txt");
    assert_eq!(env.header.id.as_deref(), Some("acs-spv"));
    let Body::SetParameterValuesResponse(r) = &env.body else {
        panic!()
    };
    assert_eq!(r.status, 1);
    let env = load_env("genieacs-sim/SetParameterValuesResponse-00006-000000.txt");
    let Body::SetParameterValuesResponse(r) = &env.body else {
        panic!()
    };
    assert_eq!(r.status, 0);
}

#[test]
fn easycwmp_access_list_without_array_type() {
    let env = load_env("easycwmp/GetParameterAttributesResponse-00008-FFFFFF123456.txt");
    let Body::GetParameterAttributesResponse(r) = &env.body else {
        panic!()
    };
    assert_eq!(r.parameter_list.len(), 1);
    assert_eq!(
        r.parameter_list[0].name,
        "InternetGatewayDevice.DeviceInfo.SoftwareVersion"
    );
    assert_eq!(r.parameter_list[0].notification, 0);
    assert!(r.parameter_list[0].access_list.is_empty());
}

#[test]
fn faults_from_both_stacks() {
    let env = load_env("easycwmp/Fault-00010-FFFFFF123456.txt");
    let Body::Fault(f) = &env.body else { panic!() };
    assert_eq!(f.code, "Client");
    assert_eq!(f.string, "CWMP fault");
    assert_eq!(f.fault_code(), Some(9005));
    assert_eq!(
        f.detail.as_ref().unwrap().fault_string,
        "Invalid parameter name"
    );
    assert_eq!(env.version, CwmpVersion::V1_2);
    let env = load_env("genieacs-sim/Fault-00003-000000.txt");
    let Body::Fault(f) = &env.body else { panic!() };
    assert_eq!(f.fault_code(), Some(9000));
    assert_eq!(env.version, CwmpVersion::V1_0);
}

#[test]
fn other_responses() {
    let env = load_env("genieacs-sim/GetParameterNamesResponse-00004-000000.txt");
    let Body::GetParameterNamesResponse(r) = &env.body else {
        panic!()
    };
    assert_eq!(r.parameter_list.len(), 20);
    assert!(r.parameter_list.iter().filter(|p| p.writable).count() == 1);
    assert_eq!(
        r.parameter_list[18].name,
        "InternetGatewayDevice.X_HUAWEI_FireWall."
    );

    let env = load_env("easycwmp/GetParameterNamesResponse-00005-FFFFFF123456.txt");
    let Body::GetParameterNamesResponse(r) = &env.body else {
        panic!()
    };
    assert_eq!(r.parameter_list.len(), 5);
    assert!(r.parameter_list.iter().all(|p| !p.writable));

    let env = load_env("easycwmp/GetRPCMethodsResponse-00004-FFFFFF123456.txt");
    let Body::GetRPCMethodsResponse(r) = &env.body else {
        panic!()
    };
    assert_eq!(r.method_list.len(), 13);
    assert_eq!(r.method_list[12], "ScheduleInform");

    let env = load_env("genieacs-sim/GetParameterValuesResponse-00005-000000.txt");
    let Body::GetParameterValuesResponse(r) = &env.body else {
        panic!()
    };
    assert_eq!(r.parameter_list[1].value.ty, ValueType::UnsignedInt);
    assert_eq!(r.parameter_list[1].value.as_u32(), Some(300));

    let env = load_env("genieacs-sim/AddObjectResponse-00008-000000.txt");
    let Body::AddObjectResponse(r) = &env.body else {
        panic!()
    };
    assert_eq!((r.instance_number, r.status), (2, 0));

    for f in [
        "easycwmp/DownloadResponse-00011-FFFFFF123456.txt",
        "genieacs-sim/DownloadResponse-00010-000000.txt",
    ] {
        let env = load_env(f);
        let Body::DownloadResponse(r) = &env.body else {
            panic!()
        };
        assert_eq!(r.status, 1);
        assert_eq!(r.start_time, "0001-01-01T00:00:00Z");
    }

    let env = load_env("easycwmp/SetParameterAttributesResponse-00009-FFFFFF123456.txt");
    assert_eq!(env.body, Body::SetParameterAttributesResponse);
}
