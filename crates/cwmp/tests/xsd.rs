//! Validates every message kind we emit against the BBF CWMP schemas with
//! `xmllint`, offline (how: tests/support/xsd.rs, shared with the
//! simulator's end-to-end tests).

#[path = "../../../tests/support/xsd.rs"]
mod xsd;

use cwmp::*;
use xsd::{loud, prerequisites, setup, validate};

fn s(x: &'static str) -> std::borrow::Cow<'static, str> {
    x.into()
}

const T0: &str = "2026-11-22T08:19:03Z";
const T1: &str = "2026-11-22T08:21:40+01:00";
const UUID: &str = "550e8400-e29b-41d4-a716-446655440000";

/// One schema-valid instance of every body kind.
fn all_bodies() -> Vec<Body<'static>> {
    let params = vec![
        ParameterValue::new(
            "Device.DeviceInfo.SoftwareVersion",
            Value::string("4.2 <beta> & \"rc\""),
        ),
        ParameterValue::new("Device.DeviceInfo.UpTime", Value::unsigned_int(86_400)),
        ParameterValue::new("Device.X_EXAMPLE.Offset", Value::int(-5)),
        ParameterValue::new("Device.X_EXAMPLE.Bytes", Value::long(-9_000_000_000)),
        ParameterValue::new(
            "Device.X_EXAMPLE.Total",
            Value::unsigned_long(18_000_000_000),
        ),
        ParameterValue::new(
            "Device.ManagementServer.PeriodicInformEnable",
            Value::boolean(true),
        ),
        ParameterValue::new("Device.Time.CurrentLocalTime", Value::date_time(T0)),
        ParameterValue::new("Device.X_EXAMPLE.Blob", Value::base64(b"hello")),
        ParameterValue::new("Device.X_EXAMPLE.Hex", Value::hex_binary(&[0, 0xab])),
    ];
    let transfer = |status| TransferResponse {
        status,
        start_time: s(T0),
        complete_time: s(T1),
    };
    let ok_fault = TransferFault {
        fault_code: 0,
        fault_string: s(""),
    };
    let op_result = OpResult {
        uuid: s(UUID),
        deployment_unit_ref: s("Device.SoftwareModules.DeploymentUnit.1"),
        version: s("1.0.2"),
        current_state: s("Installed"),
        resolved: true,
        execution_unit_ref_list: s("Device.SoftwareModules.ExecutionUnit.1"),
        start_time: s(T0),
        complete_time: s(T1),
        fault: DuFault {
            fault_code: 0,
            fault_string: s(""),
        },
    };
    vec![
        Body::GetRPCMethods,
        Body::GetRPCMethodsResponse(GetRPCMethodsResponse {
            method_list: vec![s("GetRPCMethods"), s("GetParameterValues"), s("Reboot")],
        }),
        Body::SetParameterValues(SetParameterValues {
            parameter_list: params.clone(),
            parameter_key: s("pk-7"),
        }),
        Body::SetParameterValuesResponse(SetParameterValuesResponse { status: 1 }),
        Body::GetParameterValues(GetParameterValues {
            parameter_names: vec![s("Device.DeviceInfo."), s("Device.ManagementServer.URL")],
        }),
        Body::GetParameterValuesResponse(GetParameterValuesResponse {
            parameter_list: params.clone(),
        }),
        Body::GetParameterNames(GetParameterNames {
            parameter_path: s("Device.WiFi."),
            next_level: true,
        }),
        Body::GetParameterNamesResponse(GetParameterNamesResponse {
            parameter_list: vec![
                ParameterInfo {
                    name: s("Device.WiFi.Radio."),
                    writable: false,
                },
                ParameterInfo {
                    name: s("Device.WiFi.SSIDNumberOfEntries"),
                    writable: false,
                },
            ],
        }),
        Body::SetParameterAttributes(SetParameterAttributes {
            parameter_list: vec![SetParameterAttributesStruct {
                name: s("Device.DeviceInfo.SoftwareVersion"),
                notification_change: true,
                notification: 2,
                access_list_change: true,
                access_list: vec![s("Subscriber")],
            }],
        }),
        Body::SetParameterAttributesResponse,
        Body::GetParameterAttributes(GetParameterAttributes {
            parameter_names: vec![s("Device.DeviceInfo.")],
        }),
        Body::GetParameterAttributesResponse(GetParameterAttributesResponse {
            parameter_list: vec![ParameterAttribute {
                name: s("Device.DeviceInfo.SoftwareVersion"),
                notification: 1,
                access_list: vec![],
            }],
        }),
        Body::AddObject(AddObject {
            object_name: s("Device.NAT.PortMapping."),
            parameter_key: s(""),
        }),
        Body::AddObjectResponse(AddObjectResponse {
            instance_number: 3,
            status: 0,
        }),
        Body::DeleteObject(DeleteObject {
            object_name: s("Device.NAT.PortMapping.3."),
            parameter_key: s("k"),
        }),
        Body::DeleteObjectResponse(DeleteObjectResponse { status: 0 }),
        Body::Reboot(Reboot {
            command_key: s("reboot-1"),
        }),
        Body::RebootResponse,
        Body::Download(Download {
            command_key: s("dl-1"),
            file_type: s("1 Firmware Upgrade Image"),
            url: s("http://fs.example.net/fw.bin?a=1&b=2"),
            username: s("u"),
            password: s("p"),
            file_size: 123_456,
            target_file_name: s("fw.bin"),
            delay_seconds: 0,
            success_url: s(""),
            failure_url: s(""),
        }),
        Body::DownloadResponse(transfer(1)),
        Body::FactoryReset,
        Body::FactoryResetResponse,
        Body::Upload(Upload {
            command_key: s("ul-1"),
            file_type: s("2 Vendor Log File"),
            url: s("http://fs.example.net/upload"),
            username: s(""),
            password: s(""),
            delay_seconds: 10,
        }),
        Body::UploadResponse(transfer(0)),
        Body::ScheduleInform(ScheduleInform {
            delay_seconds: 60,
            command_key: s("si"),
        }),
        Body::ScheduleInformResponse,
        Body::ScheduleDownload(ScheduleDownload {
            command_key: s("sd-1"),
            file_type: s("1 Firmware Upgrade Image"),
            url: s("http://fs.example.net/fw.bin"),
            username: s(""),
            password: s(""),
            file_size: 1,
            target_file_name: s(""),
            time_window_list: vec![TimeWindow {
                window_start: 0,
                window_end: 3600,
                window_mode: s("1 At Any Time"),
                user_message: s(""),
                max_retries: -1,
            }],
        }),
        Body::ScheduleDownloadResponse,
        Body::CancelTransfer(CancelTransfer {
            command_key: s("dl-1"),
        }),
        Body::CancelTransferResponse,
        Body::ChangeDUState(ChangeDUState {
            operations: vec![
                Operation::Install(InstallOp {
                    url: s("http://fs.example.net/app.ipk"),
                    uuid: Some(s(UUID)),
                    username: None,
                    password: None,
                    execution_env_ref: Some(s("Device.SoftwareModules.ExecEnv.1")),
                }),
                Operation::Update(UpdateOp {
                    uuid: Some(s(UUID)),
                    version: Some(s("1.0.3")),
                    url: None,
                    username: None,
                    password: None,
                }),
                Operation::Uninstall(UninstallOp {
                    uuid: s(UUID),
                    version: None,
                    execution_env_ref: None,
                }),
            ],
            command_key: Some(s("du-1")),
        }),
        Body::ChangeDUStateResponse,
        Body::GetQueuedTransfers,
        Body::GetQueuedTransfersResponse(GetQueuedTransfersResponse {
            transfer_list: vec![QueuedTransfer {
                command_key: s("dl-1"),
                state: 2,
            }],
        }),
        Body::GetAllQueuedTransfers,
        Body::GetAllQueuedTransfersResponse(GetAllQueuedTransfersResponse {
            transfer_list: vec![AllQueuedTransfer {
                command_key: s("dl-1"),
                state: 1,
                is_download: true,
                file_type: s("1 Firmware Upgrade Image"),
                file_size: 10,
                target_file_name: s("fw.bin"),
            }],
        }),
        Body::SetVouchers(SetVouchers {
            voucher_list: vec![Voucher(s("aGVsbG8gd29ybGQ="))],
        }),
        Body::SetVouchersResponse,
        Body::GetOptions(GetOptions { option_name: s("") }),
        Body::GetOptionsResponse(GetOptionsResponse {
            option_list: vec![OptionInfo {
                option_name: s("X_EXAMPLE_Feature"),
                voucher_sn: 77,
                state: 1,
                mode: 2,
                start_date: s(T0),
                expiration_date: Some(s(T1)),
                is_transferable: 1,
            }],
        }),
        Body::Inform(Inform {
            device_id: DeviceId {
                manufacturer: s("Example & Sons"),
                oui: s("00D09E"),
                product_class: s("HGW"),
                serial_number: s("SN1"),
            },
            event: vec![
                Event {
                    event_code: s("0 BOOTSTRAP"),
                    command_key: s(""),
                },
                Event {
                    event_code: s("1 BOOT"),
                    command_key: s(""),
                },
                Event {
                    event_code: s("M Reboot"),
                    command_key: s("reboot-1"),
                },
            ],
            max_envelopes: 1,
            current_time: s(T0),
            retry_count: 2,
            parameter_list: params,
        }),
        Body::InformResponse(InformResponse { max_envelopes: 1 }),
        Body::TransferComplete(TransferComplete {
            command_key: s("dl-1"),
            fault_struct: TransferFault {
                fault_code: 9010,
                fault_string: s("Download failure"),
            },
            start_time: s(T0),
            complete_time: s(T1),
        }),
        Body::TransferCompleteResponse,
        Body::AutonomousTransferComplete(AutonomousTransferComplete {
            announce_url: s("http://announce.example.net/"),
            transfer_url: s("http://fs.example.net/fw.bin"),
            is_download: true,
            file_type: s("1 Firmware Upgrade Image"),
            file_size: 99,
            target_file_name: s("fw.bin"),
            fault_struct: ok_fault.clone(),
            start_time: s(T0),
            complete_time: s(T1),
        }),
        Body::AutonomousTransferCompleteResponse,
        Body::DUStateChangeComplete(DUStateChangeComplete {
            results: vec![op_result.clone()],
            command_key: Some(s("du-1")),
        }),
        Body::DUStateChangeCompleteResponse,
        Body::AutonomousDUStateChangeComplete(AutonomousDUStateChangeComplete {
            results: vec![AutonOpResult {
                uuid: op_result.uuid.clone(),
                deployment_unit_ref: op_result.deployment_unit_ref.clone(),
                version: op_result.version.clone(),
                current_state: s("Uninstalled"),
                resolved: false,
                execution_unit_ref_list: s(""),
                start_time: s(T0),
                complete_time: s(T1),
                fault: DuFault {
                    fault_code: 9003,
                    fault_string: s("Invalid arguments"),
                },
                operation_performed: s("Uninstall"),
            }],
        }),
        Body::AutonomousDUStateChangeCompleteResponse,
        Body::RequestDownload(RequestDownload {
            file_type: s("2 Web Content"),
            file_type_arg: vec![Arg {
                name: s("Version"),
                value: s("2"),
            }],
        }),
        Body::RequestDownloadResponse,
        Body::Kicked(Kicked {
            command: s("setup"),
            referer: s("http://portal.example.net/"),
            arg: s("x=1"),
            next: s("http://portal.example.net/next"),
        }),
        Body::KickedResponse(KickedResponse {
            next_url: s("http://portal.example.net/done"),
        }),
        Body::Fault(Fault {
            detail: Some(CwmpFault {
                fault_code: 9003,
                fault_string: s("Invalid arguments"),
                set_parameter_values_fault: vec![
                    SetParameterValuesFault {
                        parameter_name: s("Device.WiFi.SSID.1.SSID"),
                        fault_code: 9007,
                        fault_string: s("Invalid parameter value"),
                    },
                    SetParameterValuesFault {
                        parameter_name: s("Device.DeviceInfo.UpTime"),
                        fault_code: 9008,
                        fault_string: s("Attempt to set a non-writable parameter"),
                    },
                ],
            }),
            ..Fault::cwmp(9003, "")
        }),
        Body::Fault(Fault::cwmp(8005, "Retry request")),
        Body::Empty,
    ]
}

/// RPCs a schema version does not declare.
fn defined_in(version: CwmpVersion, method: &str) -> bool {
    const FROM_1_1: [&str; 4] = [
        "GetAllQueuedTransfers",
        "GetAllQueuedTransfersResponse",
        "AutonomousTransferComplete",
        "AutonomousTransferCompleteResponse",
    ];
    const FROM_1_2: [&str; 6] = [
        "ScheduleDownload",
        "CancelTransfer",
        "ChangeDUState",
        "DUStateChangeComplete",
        "AutonomousDUStateChangeComplete",
        "",
    ];
    let base = method.trim_end_matches("Response");
    match version {
        CwmpVersion::V1_0 => !FROM_1_1.contains(&method) && !FROM_1_2.contains(&base),
        CwmpVersion::V1_1 => !FROM_1_2.contains(&base),
        _ => true,
    }
}

fn header() -> Header<'static> {
    Header {
        id: Some(s("id-1 <&>")),
        hold_requests: Some(false),
        session_timeout: Some(30),
        supported_cwmp_versions: Some(s("1.0,1.1,1.2,1.3,1.4")),
        use_cwmp_version: Some(s("1.4")),
    }
}

fn envelopes(version: CwmpVersion) -> Vec<(String, String)> {
    let mut envs: Vec<Envelope<'static>> = all_bodies()
        .into_iter()
        .filter(|b| defined_in(version, b.method_name()))
        .map(|body| Envelope {
            version,
            header: header(),
            body,
        })
        .collect();
    // Also an envelope whose only header block is the ID.
    envs.push(Envelope::new(version, Body::GetRPCMethods).with_id("x"));
    envs.iter()
        .map(|env| {
            let xml = env.to_xml();
            // Validation checks the schema, not our parser, but an envelope
            // we cannot read back would be a bug worth failing on too.
            assert_eq!(parse(xml.as_bytes()).as_ref(), Ok(env));
            // cwmp-1-3/1-4 messages are validated against cwmp-1-4.xsd,
            // whose target namespace is still cwmp-1-2: rewrite the URI on
            // a copy.
            let xml = match version {
                CwmpVersion::V1_3 | CwmpVersion::V1_4 => {
                    xml.replace(version.namespace(), CwmpVersion::V1_2.namespace())
                }
                _ => xml,
            };
            (env.method_name().to_string(), xml)
        })
        .collect()
}

fn schema_for(version: CwmpVersion) -> &'static str {
    match version {
        CwmpVersion::V1_0 => "wrap-1-0.xsd",
        CwmpVersion::V1_1 => "wrap-1-1.xsd",
        _ => "wrap-1-2.xsd",
    }
}

#[test]
fn emitted_messages_validate_against_bbf_schemas() {
    let Some(bbf) = prerequisites("xsd validation") else {
        return;
    };
    let setup = setup(&bbf, "all");
    let mut total = 0;
    for version in CwmpVersion::ALL {
        let docs = envelopes(version);
        let failures = validate(&setup, schema_for(version), &docs);
        assert!(
            failures.is_empty(),
            "{version}: {} invalid:\n{failures:#?}",
            failures.len()
        );
        println!(
            "xsd: {version}: {} envelopes valid against {}",
            docs.len(),
            schema_for(version)
        );
        total += docs.len();
    }
    loud(&format!("xsd: {total} envelopes validated"));
    assert!(total > 250);
}

/// The validation must be able to fail, or the test above proves nothing.
#[test]
fn validation_rejects_invalid_messages() {
    let Some(bbf) = prerequisites("xsd validation") else {
        return;
    };
    let setup = setup(&bbf, "negative");
    let good = Envelope::new(
        CwmpVersion::V1_2,
        Body::Reboot(Reboot {
            command_key: s("k"),
        }),
    )
    .with_id("1")
    .to_xml();
    let bad = [
        // Unknown body element: only a strict Body catches it.
        ("bogus-method", good.replace("cwmp:Reboot", "cwmp:Bogus")),
        // ID without the required mustUnderstand.
        (
            "id-no-must-understand",
            good.replace(" soap-env:mustUnderstand=\"1\"", ""),
        ),
        // CommandKey longer than 32 characters.
        (
            "long-command-key",
            good.replace(">k<", &format!(">{}<", "k".repeat(33))),
        ),
        // Unknown member inside an RPC.
        (
            "extra-member",
            good.replace("</cwmp:Reboot>", "<Extra/></cwmp:Reboot>"),
        ),
    ];
    let mut docs: Vec<(String, String)> = bad
        .iter()
        .map(|(n, x)| (n.to_string(), x.clone()))
        .collect();
    // The real easycwmp capture whose AccessList lacks soap-enc:arrayType.
    let dump = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../../tests/fixtures/cwmp/easycwmp/GetParameterAttributesResponse-00008-FFFFFF123456.txt",
    ))
    .unwrap();
    docs.push((
        "easycwmp-access-list".into(),
        dump[dump.find("<?xml").unwrap()..].to_string(),
    ));
    docs.push(("control-good".into(), good));
    let failures: Vec<String> = validate(&setup, "wrap-1-2.xsd", &docs)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        failures,
        [
            "bogus-method",
            "id-no-must-understand",
            "long-command-key",
            "extra-member",
            "easycwmp-access-list"
        ]
    );
}
