//! The parameter RPCs (GetParameterValues/Names/Attributes, SetParameterValues/
//! Attributes, AddObject, DeleteObject) applied to a [`DataModel`]. Answers
//! are complete CWMP bodies: a response or a fault.

use std::borrow::Cow;

use cwmp::{
    AddObject, AddObjectResponse, Body, DeleteObject, DeleteObjectResponse, Fault,
    GetParameterAttributes, GetParameterAttributesResponse, GetParameterNames,
    GetParameterNamesResponse, GetParameterValues, GetParameterValuesResponse, ParameterAttribute,
    ParameterInfo, ParameterValue, SetParameterAttributes, SetParameterValues,
    SetParameterValuesFault, SetParameterValuesResponse, Value, ValueType,
};

use crate::model::{Attributes, DataModel, ObjectError};
use crate::profile::Kind;

/// Longest string value a SetParameterValues may write.
pub const MAX_SET_VALUE_LEN: usize = 1024;
/// Bound on the number of names in one request, whatever the ACS sends.
const MAX_NAMES: usize = 4096;

fn fault(code: u32, msg: &'static str) -> Body<'static> {
    Body::Fault(Fault::cwmp(code, msg))
}

/// The value of `e` as CWMP sends it, with computed `...NumberOfEntries`.
fn typed_value(model: &DataModel, name: &str, ty: ValueType, text: &str) -> Value<'static> {
    if let Some(table) = name.strip_suffix("NumberOfEntries") {
        let table = format!("{table}.");
        if model.get(&table).is_some_and(|t| t.kind == Kind::Object) {
            return Value::new(ty, model.instance_count(&table).to_string());
        }
    }
    Value::new(ty, text.to_string())
}

/// Values of the parameters named (full names) or below the partial paths.
pub fn collect_values(
    model: &DataModel,
    names: &[Cow<'_, str>],
) -> Result<Vec<ParameterValue<'static>>, u32> {
    let mut out = Vec::new();
    for name in names.iter().take(MAX_NAMES) {
        let name: &str = if name.is_empty() { model.root() } else { name };
        let entry = model.get(name).ok_or(9005u32)?;
        match entry.kind {
            Kind::Value(ty) => out.push(ParameterValue::new(
                entry.name.to_string(),
                typed_value(model, name, ty, entry.value),
            )),
            Kind::Object => {
                for e in model.under(name) {
                    if let Kind::Value(ty) = e.kind {
                        out.push(ParameterValue::new(
                            e.name.to_string(),
                            typed_value(model, e.name, ty, e.value),
                        ));
                    }
                }
            }
        }
    }
    Ok(out)
}

pub fn get_parameter_values(model: &DataModel, req: &GetParameterValues<'_>) -> Body<'static> {
    match collect_values(model, &req.parameter_names) {
        Ok(parameter_list) => {
            Body::GetParameterValuesResponse(GetParameterValuesResponse { parameter_list })
        }
        Err(_) => fault(9005, "Invalid parameter name"),
    }
}

pub fn get_parameter_names(model: &DataModel, req: &GetParameterNames<'_>) -> Body<'static> {
    let path: &str = if req.parameter_path.is_empty() {
        model.root()
    } else {
        &req.parameter_path
    };
    let Some(entry) = model.get(path) else {
        return fault(9005, "Invalid parameter name");
    };
    let info = |name: &str, writable: bool| ParameterInfo {
        name: Cow::Owned(name.to_string()),
        writable,
    };
    let mut list = Vec::new();
    match (entry.kind, req.next_level) {
        (Kind::Value(_), false) => list.push(info(entry.name, entry.writable)),
        (Kind::Value(_), true) => return fault(9003, "NextLevel must be false for a parameter"),
        (Kind::Object, _) if req.parameter_path.is_empty() && req.next_level => {
            list.push(info(entry.name, entry.writable));
        }
        (Kind::Object, false) => {
            for e in model.under(path) {
                list.push(info(e.name, e.writable));
            }
        }
        (Kind::Object, true) => {
            for e in model.under(path) {
                let rest = e.name.get(path.len()..).unwrap_or_default();
                let direct = match rest.find('.') {
                    None => !rest.is_empty(),
                    Some(p) => p + 1 == rest.len(),
                };
                if direct {
                    list.push(info(e.name, e.writable));
                }
            }
        }
    }
    Body::GetParameterNamesResponse(GetParameterNamesResponse {
        parameter_list: list,
    })
}

/// Checks one value against its declared type: `Err(9006)` for a wrong
/// type, `Err(9007)` for a well-typed but unacceptable value.
pub fn check_value(name: &str, ty: ValueType, text: &str) -> Result<String, u32> {
    let v = Value::new(ty, text);
    if !v.is_well_typed() || (ty == ValueType::DateTime && !looks_like_date_time(text)) {
        return Err(9006);
    }
    if text.len() > MAX_SET_VALUE_LEN {
        return Err(9007);
    }
    if name.ends_with(".DiagnosticsState") && !matches!(text, "Requested" | "Canceled" | "None") {
        return Err(9007);
    }
    if name.ends_with("ManagementServer.PeriodicInformInterval") && v.as_u32() == Some(0) {
        return Err(9007);
    }
    Ok(match ty {
        ValueType::Boolean => (if v.as_bool() == Some(true) {
            "true"
        } else {
            "false"
        })
        .into(),
        ValueType::Int | ValueType::UnsignedInt | ValueType::Long | ValueType::UnsignedLong => {
            text.trim().to_string()
        }
        _ => text.to_string(),
    })
}

fn looks_like_date_time(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() >= 19
        && b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && b.get(10) == Some(&b'T')
        && b.get(13) == Some(&b':')
        && b.get(16) == Some(&b':')
}

/// Outcome of a SetParameterValues the model accepted.
#[derive(Debug, Default)]
pub struct Applied {
    /// Names whose value really changed.
    pub changed: Vec<String>,
}

/// Atomic: either every value is applied or none and the fault lists each
/// failing parameter.
pub fn set_parameter_values(
    model: &mut DataModel,
    req: &SetParameterValues<'_>,
    parameter_key_name: &str,
) -> (Body<'static>, Option<Applied>) {
    if req.parameter_list.len() > MAX_NAMES {
        return (fault(9004, "Too many parameters"), None);
    }
    let mut faults = Vec::new();
    let mut accepted = Vec::with_capacity(req.parameter_list.len());
    for pv in &req.parameter_list {
        let problem = match model.get(&pv.name) {
            None => Err((9005, "Invalid parameter name")),
            Some(e) => match e.kind {
                Kind::Object => Err((9005, "Invalid parameter name")),
                Kind::Value(_) if !e.writable => {
                    Err((9008, "Attempt to set a non-writable parameter"))
                }
                Kind::Value(ty) => check_value(&pv.name, ty, &pv.value.text).map_err(|c| {
                    if c == 9006 {
                        (9006, "Invalid parameter type")
                    } else {
                        (9007, "Invalid parameter value")
                    }
                }),
            },
        };
        match problem {
            Ok(text) => accepted.push((pv.name.to_string(), text)),
            Err((code, msg)) => faults.push(SetParameterValuesFault {
                parameter_name: Cow::Owned(pv.name.to_string()),
                fault_code: code,
                fault_string: Cow::Borrowed(msg),
            }),
        }
    }
    if !faults.is_empty() {
        let mut f = Fault::cwmp(9003, "Invalid arguments");
        if let Some(d) = f.detail.as_mut() {
            d.set_parameter_values_fault = faults;
        }
        return (Body::Fault(f), None);
    }
    let mut applied = Applied::default();
    for (name, text) in accepted {
        if model.value(&name) != Some(text.as_str()) {
            model.set(&name, &text);
            applied.changed.push(name);
        }
    }
    model.set(parameter_key_name, &req.parameter_key);
    (
        Body::SetParameterValuesResponse(SetParameterValuesResponse { status: 0 }),
        Some(applied),
    )
}

/// Parameters that refuse active notification, as real CPE do for counters.
fn refuses_active(name: &str) -> bool {
    name.contains(".Stats.") || name.ends_with("UpTime") || name.ends_with("CurrentLocalTime")
}

/// Whether `name` matches the glob `pattern` (`*`: any run of characters).
pub fn glob(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

pub fn set_parameter_attributes(
    model: &mut DataModel,
    req: &SetParameterAttributes<'_>,
) -> Body<'static> {
    set_parameter_attributes_rejecting(model, req, &[])
}

/// SetParameterAttributes refusing active notification (9009, for the
/// whole RPC, as it is atomic) on names matching a glob of `reject`.
pub fn set_parameter_attributes_rejecting(
    model: &mut DataModel,
    req: &SetParameterAttributes<'_>,
    reject: &[String],
) -> Body<'static> {
    if req.parameter_list.len() > MAX_NAMES {
        return fault(9004, "Too many parameters");
    }
    let mut plan: Vec<(String, Attributes)> = Vec::new();
    for s in &req.parameter_list {
        let Some(entry) = model.get(&s.name) else {
            return fault(9005, "Invalid parameter name");
        };
        if s.notification_change && !(0..=2).contains(&s.notification) {
            return fault(9003, "Invalid arguments");
        }
        let targets: Vec<String> = match entry.kind {
            Kind::Value(_) => vec![entry.name.to_string()],
            Kind::Object => model
                .under(entry.name)
                .filter(|e| e.kind != Kind::Object)
                .map(|e| e.name.to_string())
                .collect(),
        };
        for name in targets {
            let mut a = model.attributes(&name);
            if s.notification_change {
                if s.notification == 2
                    && (refuses_active(&name) || reject.iter().any(|p| glob(p, &name)))
                {
                    return fault(9009, "Notification request rejected");
                }
                a.notification = u8::try_from(s.notification).unwrap_or(0);
            }
            if s.access_list_change {
                a.access_list = s.access_list.iter().map(|x| x.as_ref().into()).collect();
            }
            plan.push((name, a));
        }
    }
    for (name, a) in plan {
        model.set_attributes(&name, a);
    }
    Body::SetParameterAttributesResponse
}

pub fn get_parameter_attributes(
    model: &DataModel,
    req: &GetParameterAttributes<'_>,
) -> Body<'static> {
    let mut list = Vec::new();
    for name in req.parameter_names.iter().take(MAX_NAMES) {
        let name: &str = if name.is_empty() { model.root() } else { name };
        let Some(entry) = model.get(name) else {
            return fault(9005, "Invalid parameter name");
        };
        let names: Vec<String> = match entry.kind {
            Kind::Value(_) => vec![entry.name.to_string()],
            Kind::Object => model
                .under(name)
                .filter(|e| e.kind != Kind::Object)
                .map(|e| e.name.to_string())
                .collect(),
        };
        for n in names {
            let a = model.attributes(&n);
            list.push(ParameterAttribute {
                name: Cow::Owned(n),
                notification: i32::from(a.notification),
                access_list: a
                    .access_list
                    .iter()
                    .map(|x| Cow::Owned(x.to_string()))
                    .collect(),
            });
        }
    }
    Body::GetParameterAttributesResponse(GetParameterAttributesResponse {
        parameter_list: list,
    })
}

fn object_fault(e: ObjectError) -> Body<'static> {
    match e {
        ObjectError::InvalidName => fault(9005, "Invalid parameter name"),
        ObjectError::ResourcesExceeded => fault(9004, "Resources exceeded"),
    }
}

pub fn add_object(model: &mut DataModel, req: &AddObject<'_>, key_name: &str) -> Body<'static> {
    match model.add_object(&req.object_name) {
        Ok(n) => {
            model.set(key_name, &req.parameter_key);
            Body::AddObjectResponse(AddObjectResponse {
                instance_number: n,
                status: 0,
            })
        }
        Err(e) => object_fault(e),
    }
}

pub fn delete_object(
    model: &mut DataModel,
    req: &DeleteObject<'_>,
    key_name: &str,
) -> Body<'static> {
    match model.delete_object(&req.object_name) {
        Ok(()) => {
            model.set(key_name, &req.parameter_key);
            Body::DeleteObjectResponse(DeleteObjectResponse { status: 0 })
        }
        Err(e) => object_fault(e),
    }
}

#[cfg(test)]
#[path = "rpc_tests.rs"]
mod tests;
