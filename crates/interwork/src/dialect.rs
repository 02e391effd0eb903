//! The names a CPE speaks. A TR-181 CPE writes `Device.` as USP does; a
//! TR-098 CPE roots its model at `InternetGatewayDevice.`. Request plans
//! see a TR-098 CPE through its mapping pack ([`crate::mapped`]); this
//! fixed renaming of `DeviceInfo.` and `ManagementServer.` (whose
//! subtrees keep their names in both models) remains for the Inform's
//! parameters and for a model discovered without a pack.
//!
//! Plans keep USP names throughout (their calls, the cache, the model);
//! the dialect rewrites only at the RPC boundary: the bodies going to the
//! CPE and the outcomes coming back.

use std::borrow::Cow;

use cwmp::Body;

use crate::model::{DeviceModel, ROOT};
use crate::plan::Outcome;

/// The root every TR-098 CPE reports.
pub const TR098_ROOT: &str = "InternetGatewayDevice.";

/// TR-098 objects whose subtrees have the same names under `Device.`.
const SAME_NAMES: &[&str] = &["DeviceInfo.", "ManagementServer."];

/// Names of the mapped subtrees that TR-098 defines and TR-181 does not,
/// in either flavour (from `mappings/facts`; a test keeps them in step).
/// They are left out of a TR-098 CPE's model: under `Device.` they would
/// pose as TR-181 names with a meaning TR-181 never gave them, and USP
/// keeps names outside the standard to `X_`. Everything else joins as on
/// a TR-181 CPE reporting it: TR-181 names the USP facts lack (all of
/// `ManagementServer.` is CWMP-only) and `X_` names become extensions.
/// The mapping packs will give these a TR-181 home where there is one.
const TR098_ONLY: &[&str] = &[
    "Device.DeviceInfo.DeviceLog",
    "Device.DeviceInfo.EnabledOptions",
    "Device.DeviceInfo.ModemFirmwareVersion",
    "Device.DeviceInfo.SpecVersion",
    "Device.ManagementServer.UDPConnectionRequestAddressNotificationLimit",
];

/// The model a CPE's names are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Root {
    #[default]
    Tr181,
    Tr098,
}

impl Root {
    /// The root the CPE reports, listed to discover its model.
    pub fn cpe_root(self) -> &'static str {
        match self {
            Root::Tr181 => ROOT,
            Root::Tr098 => TR098_ROOT,
        }
    }

    /// A USP name as the CPE writes it. Plans only ask for names of the
    /// model, which holds mapped names alone, so swapping the root is
    /// the whole translation.
    pub fn to_cpe(self, name: &str) -> Cow<'_, str> {
        match (self, name.strip_prefix(ROOT)) {
            (Root::Tr098, Some(rest)) => Cow::Owned(format!("{TR098_ROOT}{rest}")),
            _ => Cow::Borrowed(name),
        }
    }

    /// A CPE's name as USP writes it; `None` for names with no USP name.
    pub fn from_cpe(self, name: &str) -> Option<Cow<'_, str>> {
        if self == Root::Tr181 {
            return Some(Cow::Borrowed(name));
        }
        let rest = name.strip_prefix(TR098_ROOT)?;
        let mapped = rest.is_empty() || SAME_NAMES.iter().any(|s| rest.starts_with(s));
        mapped.then(|| Cow::Owned(format!("{ROOT}{rest}")))
    }

    /// An RPC of a plan as the CPE must get it.
    pub fn body_to_cpe(self, body: Body<'static>) -> Body<'static> {
        if self == Root::Tr181 {
            return body;
        }
        let name = |n: Cow<'static, str>| -> Cow<'static, str> {
            Cow::Owned(self.to_cpe(&n).into_owned())
        };
        match body {
            Body::GetParameterValues(mut r) => {
                r.parameter_names = r.parameter_names.into_iter().map(name).collect();
                Body::GetParameterValues(r)
            }
            Body::GetParameterNames(mut r) => {
                r.parameter_path = name(r.parameter_path);
                Body::GetParameterNames(r)
            }
            Body::SetParameterValues(mut r) => {
                for p in &mut r.parameter_list {
                    p.name = name(std::mem::take(&mut p.name));
                }
                Body::SetParameterValues(r)
            }
            Body::SetParameterAttributes(mut r) => {
                for p in &mut r.parameter_list {
                    p.name = name(std::mem::take(&mut p.name));
                }
                Body::SetParameterAttributes(r)
            }
            Body::GetParameterAttributes(mut r) => {
                r.parameter_names = r.parameter_names.into_iter().map(name).collect();
                Body::GetParameterAttributes(r)
            }
            Body::AddObject(mut r) => {
                r.object_name = name(r.object_name);
                Body::AddObject(r)
            }
            Body::DeleteObject(mut r) => {
                r.object_name = name(r.object_name);
                Body::DeleteObject(r)
            }
            other => other,
        }
    }

    /// A CPE's answer as the plan must see it: names in USP form, names
    /// without one left out (a listing of `InternetGatewayDevice.` holds
    /// much that the model does not).
    pub fn outcome_from_cpe(self, outcome: Outcome) -> Outcome {
        if self == Root::Tr181 {
            return outcome;
        }
        match outcome {
            Outcome::Response(Body::GetParameterValuesResponse(mut r)) => {
                r.parameter_list = self.keep_usp(r.parameter_list, |p| &mut p.name);
                Outcome::Response(Body::GetParameterValuesResponse(r))
            }
            Outcome::Response(Body::GetParameterNamesResponse(mut r)) => {
                r.parameter_list = self.keep_usp(r.parameter_list, |p| &mut p.name);
                Outcome::Response(Body::GetParameterNamesResponse(r))
            }
            Outcome::Response(Body::GetParameterAttributesResponse(mut r)) => {
                r.parameter_list = self.keep_usp(r.parameter_list, |p| &mut p.name);
                Outcome::Response(Body::GetParameterAttributesResponse(r))
            }
            // The parameters a SetParameterValues fault names are the
            // CPE's; the refusals they become must match the USP names.
            Outcome::Fault {
                code,
                string,
                mut params,
            } => {
                for p in &mut params {
                    if let Some(usp) = self.from_cpe(&p.name) {
                        p.name = usp.into_owned();
                    }
                }
                Outcome::Fault {
                    code,
                    string,
                    params,
                }
            }
            other => other,
        }
    }

    /// The items of a CPE's list that have a USP name, renamed.
    fn keep_usp<T>(self, list: Vec<T>, name: impl Fn(&mut T) -> &mut Cow<'static, str>) -> Vec<T> {
        list.into_iter()
            .filter_map(|mut item| {
                let usp = self.from_cpe(name(&mut item))?.into_owned();
                *name(&mut item) = Cow::Owned(usp);
                Some(item)
            })
            .collect()
    }
}

/// The model of a CPE from its discovery listing (GetParameterNames of
/// `root.cpe_root()`, NextLevel false).
pub fn discovered<'a>(
    root: Root,
    names: impl IntoIterator<Item = (&'a str, bool)>,
) -> Result<DeviceModel, agent::dm::schema::SchemaError> {
    let usp: Vec<(Cow<'a, str>, bool)> = names
        .into_iter()
        .filter_map(|(n, w)| Some((root.from_cpe(n)?, w)))
        .filter(|(n, _)| root == Root::Tr181 || !TR098_ONLY.contains(&&**n))
        .collect();
    DeviceModel::build(usp.iter().map(|(n, w)| (&**n, *w)), root)
}

#[cfg(test)]
mod tests;
