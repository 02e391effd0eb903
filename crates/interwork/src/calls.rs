//! The RPCs a plan asks for, and their CWMP bodies.

use std::borrow::Cow;

use cwmp::{
    AddObject, Body, DeleteObject, Download, GetParameterAttributes, GetParameterNames,
    GetParameterValues, ParameterValue, Reboot, SetParameterAttributes,
    SetParameterAttributesStruct, SetParameterValues, Upload, Value, ValueType,
};

/// One RPC of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// GetParameterNames(root, false): the device's model.
    Discover(crate::dialect::Root),
    Gpv(Vec<String>),
    Gpn {
        path: String,
        next_level: bool,
    },
    /// One atomic SetParameterValues: (name, type, value).
    Spv(Vec<(String, ValueType, String)>),
    /// AddObject on a table (`Device.NAT.PortMapping.`); `ordinal` tells
    /// apart several adds to one table in one request.
    Add {
        table: String,
        ordinal: usize,
    },
    /// DeleteObject of an instance (`Device.NAT.PortMapping.3.`).
    Delete(String),
    Reboot,
    FactoryReset,
    /// A Download of a file of `file_type` (`1 Firmware Upgrade Image`,
    /// `3 Vendor Configuration File`).
    Download {
        file_type: String,
        url: String,
        username: String,
        password: String,
        file_size: u32,
        target_file_name: String,
    },
    /// An Upload of a file of `file_type` (`3 Vendor Configuration File 1`,
    /// `4 Vendor Log File 2`).
    Upload {
        file_type: String,
        url: String,
        username: String,
        password: String,
    },
    /// The SetParameterValues that starts a diagnostic: its inputs and
    /// `DiagnosticsState=Requested`.
    Diagnose(Vec<(String, ValueType, String)>),
    /// One SetParameterAttributes changing only Notification (0 off,
    /// 1 passive, 2 active): (name, notification).
    Spa(Vec<(String, u8)>),
    /// GetParameterAttributes: the Notification a name had before the
    /// gateway changed it.
    Gpa(Vec<String>),
}

/// The CWMP body of `call`; `key` is the ParameterKey or CommandKey.
pub fn body(call: &Call, key: &str) -> Body<'static> {
    let owned = |s: &str| Cow::Owned(s.to_owned());
    match call {
        Call::Discover(root) => Body::GetParameterNames(GetParameterNames {
            parameter_path: Cow::Borrowed(root.cpe_root()),
            next_level: false,
        }),
        Call::Gpv(names) => Body::GetParameterValues(GetParameterValues {
            parameter_names: names.iter().map(|n| owned(n)).collect(),
        }),
        Call::Gpn { path, next_level } => Body::GetParameterNames(GetParameterNames {
            parameter_path: owned(path),
            next_level: *next_level,
        }),
        Call::Spv(list) | Call::Diagnose(list) => Body::SetParameterValues(SetParameterValues {
            parameter_list: list
                .iter()
                .map(|(n, ty, v)| ParameterValue::new(owned(n), Value::new(*ty, owned(v))))
                .collect(),
            parameter_key: owned(key),
        }),
        Call::Add { table, .. } => Body::AddObject(AddObject {
            object_name: owned(table),
            parameter_key: owned(key),
        }),
        Call::Delete(path) => Body::DeleteObject(DeleteObject {
            object_name: owned(path),
            parameter_key: owned(key),
        }),
        Call::Reboot => Body::Reboot(Reboot {
            command_key: owned(key),
        }),
        Call::FactoryReset => Body::FactoryReset,
        Call::Download {
            file_type,
            url,
            username,
            password,
            file_size,
            target_file_name,
        } => Body::Download(Download {
            command_key: owned(key),
            file_type: owned(file_type),
            url: owned(url),
            username: owned(username),
            password: owned(password),
            file_size: *file_size,
            target_file_name: owned(target_file_name),
            ..Download::default()
        }),
        Call::Upload {
            file_type,
            url,
            username,
            password,
        } => Body::Upload(Upload {
            command_key: owned(key),
            file_type: owned(file_type),
            url: owned(url),
            username: owned(username),
            password: owned(password),
            ..Upload::default()
        }),
        Call::Spa(list) => Body::SetParameterAttributes(SetParameterAttributes {
            parameter_list: list
                .iter()
                .map(|(n, notification)| SetParameterAttributesStruct {
                    name: owned(n),
                    notification_change: true,
                    notification: i32::from(*notification),
                    // The access list belongs to the operator: left alone.
                    access_list_change: false,
                    access_list: Vec::new(),
                })
                .collect(),
        }),
        Call::Gpa(names) => Body::GetParameterAttributes(GetParameterAttributes {
            parameter_names: names.iter().map(|n| owned(n)).collect(),
        }),
    }
}

/// A ParameterKey or CommandKey from a USP msg_id: CWMP allows 32
/// characters, and the key lets an operator tie the CPE's change to the
/// controller's request.
pub fn key_of(msg_id: &str) -> String {
    let mut end = msg_id.len().min(32);
    while !msg_id.is_char_boundary(end) {
        end -= 1;
    }
    msg_id[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fit_cwmp() {
        assert_eq!(key_of("abc"), "abc");
        assert_eq!(key_of(&"x".repeat(40)).len(), 32);
        let multibyte = format!("{}é", "a".repeat(31));
        assert_eq!(key_of(&multibyte), "a".repeat(31));
    }
}
