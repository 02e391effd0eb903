use std::borrow::Cow;

use cwmp::*;

use super::*;
use crate::model::DataModel;
use crate::profile::Profile;

const KEY: &str = "Device.ManagementServer.ParameterKey";

fn model() -> DataModel {
    DataModel::new(Profile::from_model_arg("tr181").unwrap().into_shared())
}

fn names(v: &[&str]) -> Vec<Cow<'static, str>> {
    v.iter().map(|n| Cow::Owned(n.to_string())).collect()
}

fn code(b: &Body<'_>) -> u32 {
    match b {
        Body::Fault(f) => f.fault_code().unwrap(),
        other => panic!("expected a fault: {other:?}"),
    }
}

fn spv(m: &mut DataModel, pairs: &[(&str, Value<'static>)]) -> Body<'static> {
    let req = SetParameterValues {
        parameter_list: pairs
            .iter()
            .map(|(n, v)| ParameterValue::new(n.to_string(), v.clone()))
            .collect(),
        parameter_key: "key-1".into(),
    };
    set_parameter_values(m, &req, KEY).0
}

#[test]
fn gpv_full_partial_and_unknown() {
    let m = model();
    let full = get_parameter_values(
        &m,
        &GetParameterValues {
            parameter_names: names(&["Device.DeviceInfo.SoftwareVersion"]),
        },
    );
    let Body::GetParameterValuesResponse(r) = full else {
        panic!()
    };
    assert_eq!(r.parameter_list.len(), 1);
    let partial = get_parameter_values(
        &m,
        &GetParameterValues {
            parameter_names: names(&["Device.DeviceInfo."]),
        },
    );
    let Body::GetParameterValuesResponse(r) = partial else {
        panic!()
    };
    assert!(r.parameter_list.len() > 5);
    assert!(r
        .parameter_list
        .iter()
        .all(|p| p.name.starts_with("Device.DeviceInfo.") && !p.name.ends_with('.')));
    let up = r
        .parameter_list
        .iter()
        .find(|p| p.name == "Device.DeviceInfo.UpTime")
        .unwrap();
    assert_eq!(up.value.ty, ValueType::UnsignedInt);
    let bad = get_parameter_values(
        &m,
        &GetParameterValues {
            parameter_names: names(&["Device.Nope"]),
        },
    );
    assert_eq!(code(&bad), 9005);
    let whole = get_parameter_values(
        &m,
        &GetParameterValues {
            parameter_names: names(&[""]),
        },
    );
    let Body::GetParameterValuesResponse(r) = whole else {
        panic!()
    };
    assert!(r.parameter_list.len() > 300, "{}", r.parameter_list.len());
}

#[test]
fn gpn_next_level() {
    let m = model();
    let list = |path: &str, next: bool| match get_parameter_names(
        &m,
        &GetParameterNames {
            parameter_path: path.to_string().into(),
            next_level: next,
        },
    ) {
        Body::GetParameterNamesResponse(r) => r
            .parameter_list
            .into_iter()
            .map(|p| p.name.to_string())
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    let top = list("Device.", true);
    assert!(top.contains(&"Device.DeviceInfo.".to_string()));
    assert!(top.contains(&"Device.RootDataModelVersion".to_string()));
    assert!(
        top.iter()
            .all(|n| n.trim_end_matches('.').matches('.').count() == 1),
        "{top:?}"
    );
    let all = list("Device.DeviceInfo.", false);
    assert!(all.contains(&"Device.DeviceInfo.".to_string()));
    assert!(all.len() > top.len() / 2);
    assert_eq!(list("", true), ["Device."]);
    assert_eq!(
        list("Device.DeviceInfo.UpTime", false),
        ["Device.DeviceInfo.UpTime"]
    );
    let bad = get_parameter_names(
        &m,
        &GetParameterNames {
            parameter_path: "Device.Bogus.".into(),
            next_level: true,
        },
    );
    assert_eq!(code(&bad), 9005);
    let leaf_next = get_parameter_names(
        &m,
        &GetParameterNames {
            parameter_path: "Device.DeviceInfo.UpTime".into(),
            next_level: true,
        },
    );
    assert_eq!(code(&leaf_next), 9003);
}

#[test]
fn spv_applies_and_stores_parameter_key() {
    let mut m = model();
    let r = spv(
        &mut m,
        &[
            ("Device.WiFi.SSID.1.SSID", Value::string("x")),
            (
                "Device.ManagementServer.PeriodicInformInterval",
                Value::unsigned_int(60),
            ),
        ],
    );
    assert_eq!(
        r,
        Body::SetParameterValuesResponse(SetParameterValuesResponse { status: 0 })
    );
    assert_eq!(m.value("Device.WiFi.SSID.1.SSID"), Some("x"));
    assert_eq!(
        m.value("Device.ManagementServer.PeriodicInformInterval"),
        Some("60")
    );
    assert_eq!(m.value(KEY), Some("key-1"));
}

#[test]
fn spv_faults_per_parameter_and_is_atomic() {
    let mut m = model();
    let before = m.value("Device.WiFi.SSID.1.SSID").unwrap().to_string();
    let r = spv(
        &mut m,
        &[
            ("Device.WiFi.SSID.1.SSID", Value::string("applied?")),
            ("Device.No.Such", Value::string("x")),
            (
                "Device.ManagementServer.PeriodicInformInterval",
                Value::new(ValueType::UnsignedInt, "abc"),
            ),
            (
                "Device.IP.Diagnostics.IPPing.DiagnosticsState",
                Value::string("Bogus"),
            ),
            ("Device.DeviceInfo.SoftwareVersion", Value::string("9.9")),
            ("Device.DeviceInfo.", Value::string("x")),
        ],
    );
    let Body::Fault(f) = &r else { panic!("{r:?}") };
    let d = f.detail.as_ref().unwrap();
    assert_eq!(d.fault_code, 9003);
    let got: Vec<(String, u32)> = d
        .set_parameter_values_fault
        .iter()
        .map(|p| (p.parameter_name.to_string(), p.fault_code))
        .collect();
    assert_eq!(
        got,
        [
            ("Device.No.Such".to_string(), 9005),
            (
                "Device.ManagementServer.PeriodicInformInterval".to_string(),
                9006
            ),
            (
                "Device.IP.Diagnostics.IPPing.DiagnosticsState".to_string(),
                9007
            ),
            ("Device.DeviceInfo.SoftwareVersion".to_string(), 9008),
            ("Device.DeviceInfo.".to_string(), 9005),
        ]
    );
    assert_eq!(
        m.value("Device.WiFi.SSID.1.SSID"),
        Some(before.as_str()),
        "nothing applied"
    );
    assert_ne!(m.value(KEY), Some("key-1"));
}

#[test]
fn type_checks() {
    use ValueType::*;
    assert!(check_value("x", Boolean, "1").is_ok());
    assert_eq!(check_value("x", Boolean, "yes"), Err(9006));
    assert_eq!(check_value("x", Int, "-5"), Ok("-5".into()));
    assert_eq!(check_value("x", UnsignedInt, "-5"), Err(9006));
    assert_eq!(check_value("x", DateTime, "yesterday"), Err(9006));
    assert!(check_value("x", DateTime, "2026-01-01T00:00:00Z").is_ok());
    assert_eq!(
        check_value("x", String, &"a".repeat(MAX_SET_VALUE_LEN + 1)),
        Err(9007)
    );
}

#[test]
fn add_delete_never_reuse_instance_numbers() {
    let mut m = model();
    let table = "Device.NAT.PortMapping.";
    let add = |m: &mut DataModel| match add_object(
        m,
        &AddObject {
            object_name: table.into(),
            parameter_key: "k".into(),
        },
        KEY,
    ) {
        Body::AddObjectResponse(r) => r.instance_number,
        other => panic!("{other:?}"),
    };
    let del = |m: &mut DataModel, n: u32| {
        delete_object(
            m,
            &DeleteObject {
                object_name: format!("{table}{n}.").into(),
                parameter_key: "k".into(),
            },
            KEY,
        )
    };
    let count_before = m.instance_count(table);
    let a = add(&mut m);
    let b = add(&mut m);
    assert_eq!(b, a + 1);
    assert!(
        m.get(&format!("{table}{b}.Enable")).is_some(),
        "template rows created"
    );
    assert_eq!(m.instance_count(table), count_before + 2);
    assert_eq!(
        del(&mut m, b),
        Body::DeleteObjectResponse(DeleteObjectResponse { status: 0 })
    );
    assert!(m.get(&format!("{table}{b}.Enable")).is_none());
    let c = add(&mut m);
    assert_eq!(c, b + 1, "the deleted number is not reused");
    assert_eq!(code(&del(&mut m, b)), 9005, "already gone");
    // A profile instance can go too, and its number stays used.
    if count_before > 0 {
        let first = m
            .under(table)
            .find_map(|e| {
                e.name
                    .strip_prefix(table)?
                    .strip_suffix('.')?
                    .parse::<u32>()
                    .ok()
            })
            .unwrap();
        assert_eq!(
            del(&mut m, first),
            Body::DeleteObjectResponse(DeleteObjectResponse { status: 0 })
        );
        assert!(m.under(&format!("{table}{first}.")).next().is_none());
    }
    let bad = add_object(
        &mut m,
        &AddObject {
            object_name: "Device.DeviceInfo.".into(),
            parameter_key: "k".into(),
        },
        KEY,
    );
    assert_eq!(code(&bad), 9005);
    let gpv = get_parameter_values(
        &m,
        &GetParameterValues {
            parameter_names: names(&["Device.NAT.PortMappingNumberOfEntries"]),
        },
    );
    let Body::GetParameterValuesResponse(r) = gpv else {
        panic!()
    };
    assert_eq!(
        r.parameter_list[0].value.text,
        m.instance_count(table).to_string()
    );
}

#[test]
fn attributes_and_rejected_active_notification() {
    let mut m = model();
    let s = |name: &str, n: i32| SetParameterAttributes {
        parameter_list: vec![SetParameterAttributesStruct {
            name: name.to_string().into(),
            notification_change: true,
            notification: n,
            access_list_change: false,
            access_list: vec![],
        }],
    };
    assert_eq!(
        set_parameter_attributes(&mut m, &s("Device.WiFi.SSID.1.SSID", 2)),
        Body::SetParameterAttributesResponse
    );
    assert_eq!(m.notification("Device.WiFi.SSID.1.SSID"), 2);
    assert_eq!(
        code(&set_parameter_attributes(
            &mut m,
            &s("Device.DeviceInfo.UpTime", 2)
        )),
        9009
    );
    assert_eq!(
        code(&set_parameter_attributes(&mut m, &s("Device.Nope", 1))),
        9005
    );
    assert_eq!(
        code(&set_parameter_attributes(
            &mut m,
            &s("Device.WiFi.SSID.1.SSID", 7)
        )),
        9003
    );
}

#[test]
fn tr098_profile_works_too() {
    let m = DataModel::new(Profile::from_model_arg("tr098").unwrap().into_shared());
    assert_eq!(m.root(), "InternetGatewayDevice.");
    let r = get_parameter_values(
        &m,
        &GetParameterValues {
            parameter_names: names(&["InternetGatewayDevice.DeviceInfo."]),
        },
    );
    assert!(matches!(r, Body::GetParameterValuesResponse(_)));
}

#[test]
fn chosen_parameters_refuse_active_notification() {
    let mut m = model();
    let reject = vec!["Device.WiFi.SSID.*.SSID".to_string()];
    let s = |name: &str, n: i32| SetParameterAttributes {
        parameter_list: vec![SetParameterAttributesStruct {
            name: name.to_string().into(),
            notification_change: true,
            notification: n,
            access_list_change: false,
            access_list: vec![],
        }],
    };
    let spa = |m: &mut DataModel, name: &str, n: i32| {
        set_parameter_attributes_rejecting(m, &s(name, n), &reject)
    };
    assert_eq!(code(&spa(&mut m, "Device.WiFi.SSID.1.SSID", 2)), 9009);
    assert_eq!(m.notification("Device.WiFi.SSID.1.SSID"), 0);
    // Passive is not refused, nor are other names.
    assert_eq!(
        spa(&mut m, "Device.WiFi.SSID.1.SSID", 1),
        Body::SetParameterAttributesResponse
    );
    assert_eq!(
        spa(&mut m, "Device.WiFi.SSID.1.Enable", 2),
        Body::SetParameterAttributesResponse
    );
    assert!(glob("a*c", "abbc") && glob("*", "") && !glob("a*c", "abd") && glob("abc", "abc"));
    assert!(
        !glob("ab", "abc") && glob("*.SSID", "X.SSID") && !glob("a*b*a", "ab") && !glob("a*a", "a")
    );
}
