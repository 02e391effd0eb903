//! Builders for the RPCs the tests script, and assertions on the replies.
#![allow(dead_code)]

use std::borrow::Cow;

use cwmp::*;

use super::acs::{Acs, Received};
use super::xsd;

pub fn names(v: &[&str]) -> Vec<Cow<'static, str>> {
    v.iter().map(|s| Cow::Owned(s.to_string())).collect()
}

pub fn gpv(v: &[&str]) -> Body<'static> {
    Body::GetParameterValues(GetParameterValues {
        parameter_names: names(v),
    })
}

pub fn gpn(path: &str, next_level: bool) -> Body<'static> {
    Body::GetParameterNames(GetParameterNames {
        parameter_path: path.to_string().into(),
        next_level,
    })
}

pub fn spv(list: &[(&str, Value<'static>)], key: &str) -> Body<'static> {
    Body::SetParameterValues(SetParameterValues {
        parameter_list: list
            .iter()
            .map(|(n, v)| ParameterValue::new(n.to_string(), v.clone()))
            .collect(),
        parameter_key: key.to_string().into(),
    })
}

pub fn spa(name: &str, notification: i32) -> Body<'static> {
    Body::SetParameterAttributes(SetParameterAttributes {
        parameter_list: vec![SetParameterAttributesStruct {
            name: name.to_string().into(),
            notification_change: true,
            notification,
            access_list_change: false,
            access_list: vec![],
        }],
    })
}

pub fn gpa(v: &[&str]) -> Body<'static> {
    Body::GetParameterAttributes(GetParameterAttributes {
        parameter_names: names(v),
    })
}

pub fn add(object: &str) -> Body<'static> {
    Body::AddObject(AddObject {
        object_name: object.to_string().into(),
        parameter_key: "".into(),
    })
}

pub fn delete(object: &str) -> Body<'static> {
    Body::DeleteObject(DeleteObject {
        object_name: object.to_string().into(),
        parameter_key: "".into(),
    })
}

pub fn download(key: &str, url: &str) -> Body<'static> {
    Body::Download(Download {
        command_key: key.to_string().into(),
        file_type: "1 Firmware Upgrade Image".into(),
        url: url.to_string().into(),
        username: "".into(),
        password: "".into(),
        file_size: 0,
        target_file_name: "".into(),
        delay_seconds: 0,
        success_url: "".into(),
        failure_url: "".into(),
    })
}

pub fn upload(key: &str, url: &str) -> Body<'static> {
    Body::Upload(Upload {
        command_key: key.to_string().into(),
        file_type: "2 Vendor Log File".into(),
        url: url.to_string().into(),
        username: "".into(),
        password: "".into(),
        delay_seconds: 0,
    })
}

/// The parameter list of a GetParameterValuesResponse (panics otherwise).
pub fn values(r: &Received) -> Vec<(String, String)> {
    match r.body() {
        Body::GetParameterValuesResponse(g) => g
            .parameter_list
            .iter()
            .map(|p| (p.name.to_string(), p.value.text.to_string()))
            .collect(),
        other => panic!("expected GetParameterValuesResponse, got {other:?}"),
    }
}

pub fn value_of(r: &Received, name: &str) -> String {
    values(r)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} missing from {:?}", r.body()))
        .1
}

/// The CWMP fault of a reply (panics if it is not a fault).
pub fn fault(r: &Received) -> &CwmpFault<'static> {
    match r.body() {
        Body::Fault(f) => f.detail.as_ref().expect("fault detail"),
        other => panic!("expected a Fault, got {other:?}"),
    }
}

/// Every message the CPE sent validates against the BBF CWMP schemas.
pub fn assert_schema_valid(acs: &Acs) {
    let Some(bbf) = xsd::prerequisites("xsd validation of simulator messages") else {
        return;
    };
    let docs: Vec<(String, String)> = acs
        .received()
        .into_iter()
        .filter(|r| r.method() != "Empty")
        .map(|r| (r.method().to_string(), r.xml))
        .collect();
    assert!(!docs.is_empty(), "no messages to validate");
    let tag = format!("{:x}", docs.len() * 7919 + acs.port as usize);
    let bad = xsd::invalid(&bbf, &tag, &docs);
    assert!(
        bad.is_empty(),
        "{} of {} messages invalid: {bad:#?}",
        bad.len(),
        docs.len()
    );
    assert!(
        acs.stats().parse_errors.is_empty(),
        "{:?}",
        acs.stats().parse_errors
    );
}
