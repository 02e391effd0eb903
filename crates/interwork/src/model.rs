//! The device's supported data model: TR-181 as the Broadband Forum
//! defines it, cut down to what this CPE reports in a
//! GetParameterNames("Device.", false), with the CPE's own writability
//! and its vendor extensions (typed `string` until a value says more).
//! A TR-098 CPE's model is the part of its names that maps (see
//! [`crate::dialect`]), cut the same way.
//!
//! Models are shared: every CPE reporting the same names gets the same
//! [`DeviceModel`] ([`DeviceModel::fingerprint`] tells them apart), so a
//! fleet of one product costs one schema.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use agent::dm::schema::SchemaError;
use agent::dm::Schema;
use agent::local::{FACTS, MODEL_URI};

use cwmp::Body;

use crate::calls::{body, Call};
use crate::dialect::Root;
use crate::mapped::Mapped;
use crate::plan::Outcome;

/// The root every TR-181 CPE reports.
pub const ROOT: &str = "Device.";

/// Commands the gateway can run on a CPE, as CWMP RPCs or plans (see
/// [`crate::operate`]), each only when the CPE has the objects it needs;
/// the standard's other commands are left out of the model, so
/// GetSupportedDM never promises what Operate would refuse.
pub const COMMANDS: &[&str] = &[
    "Device.Reboot()",
    "Device.FactoryReset()",
    crate::transfer::FIRMWARE_DOWNLOAD,
    crate::transfer::CONFIG_BACKUP,
    crate::transfer::CONFIG_RESTORE,
    crate::transfer::LOG_UPLOAD,
    "Device.IP.Diagnostics.IPPing()",
    "Device.IP.Diagnostics.TraceRoute()",
    "Device.IP.Diagnostics.DownloadDiagnostics()",
    "Device.IP.Diagnostics.UploadDiagnostics()",
];

/// Events the gateway can raise for a CPE.
pub const EVENTS: &[&str] = &["Device.Boot!"];

/// One CPE's supported model.
#[derive(Debug)]
pub struct DeviceModel {
    schema: Schema,
    fingerprint: u64,
    root: Root,
    /// A TR-098 CPE seen through a mapping pack.
    mapped: Option<Arc<Mapped>>,
}

/// `Device.WiFi.SSID.3.Enable` as `Device.WiFi.SSID.{i}.Enable`.
pub fn template(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    for (i, seg) in path.split('.').enumerate() {
        if i > 0 {
            out.push('.');
        }
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str("{i}");
        } else {
            out.push_str(seg);
        }
    }
    out
}

impl DeviceModel {
    /// The model of a CPE from its GetParameterNames answer (name and
    /// Writable), in any order. Names outside `Device.` are ignored.
    /// Fails only if the embedded facts do not parse.
    pub fn from_names<'a>(
        names: impl IntoIterator<Item = (&'a str, bool)>,
    ) -> Result<DeviceModel, SchemaError> {
        DeviceModel::build(names, Root::Tr181)
    }

    /// The model of a CPE speaking `root`, from its names already in USP
    /// form (see [`crate::dialect::discovered`]).
    pub(crate) fn build<'a>(
        names: impl IntoIterator<Item = (&'a str, bool)>,
        root: Root,
    ) -> Result<DeviceModel, SchemaError> {
        let mut writable: HashMap<String, bool> = HashMap::new();
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        // Models are shared by fingerprint, and the same USP names on a
        // TR-098 CPE need other RPC names.
        root.hash(&mut hasher);
        let mut sorted: Vec<(&str, bool)> = names
            .into_iter()
            .filter(|(n, _)| n.starts_with(ROOT))
            .collect();
        sorted.sort_unstable();
        sorted.dedup_by(|a, b| a.0 == b.0);
        for (name, w) in &sorted {
            (name, w).hash(&mut hasher);
            let t = template(name);
            // An instance's own Writable says whether it may be deleted;
            // the table's says whether Add works: keep the table's.
            writable.entry(t).or_insert(*w);
        }
        let have: HashSet<&str> = writable.keys().map(String::as_str).collect();
        // Tables the CPE has but shows no instance of: take every column
        // the standard defines, as nothing says which the CPE lacks.
        let open: Vec<String> = have
            .iter()
            .filter(|t| t.ends_with('.') && !t.ends_with("{i}."))
            .map(|t| format!("{t}{{i}}."))
            .filter(|i| !have.contains(i.as_str()))
            .collect();
        let keep = |p: &str| {
            p == ROOT
                || have.contains(p)
                || (COMMANDS.contains(&p) && crate::operate::offered(p, &|t| have.contains(t)))
                || EVENTS.contains(&p)
                || (p.ends_with("{i}.") && have.contains(&p[..p.len() - 4]))
                || open.iter().any(|t| p.starts_with(t.as_str()))
        };
        let mut schema = Schema::parse(FACTS, MODEL_URI, &keep)?;
        for (t, w) in &writable {
            // An instance's Writable only says it may be deleted.
            if t.ends_with("{i}.") && writable.contains_key(&t[..t.len() - 4]) {
                continue;
            }
            let node = if t.ends_with('.') && !t.ends_with("{i}.") {
                schema.find(&format!("{t}{{i}}."))
            } else {
                schema.find(t)
            };
            if let Some(id) = node {
                schema.set_writable(id, *w);
            }
        }
        extend_vendor(&mut schema, &writable);
        Ok(DeviceModel {
            schema,
            fingerprint: hasher.finish(),
            root,
            mapped: None,
        })
    }

    /// The model of a TR-098 CPE as its mapping pack shows it.
    pub fn mapped(m: Mapped) -> Result<DeviceModel, SchemaError> {
        let names = m.names().iter().map(|(n, w)| (n.as_str(), *w));
        let mut model = DeviceModel::build(names, Root::Tr098)?;
        model.mapped = Some(Arc::new(m));
        Ok(model)
    }

    /// The mapping, for a TR-098 CPE seen through one.
    pub fn mapping(&self) -> Option<&Arc<Mapped>> {
        self.mapped.as_ref()
    }

    /// The CWMP body of `call` for this CPE.
    pub fn body(&self, call: &Call, key: &str) -> Body<'static> {
        match &self.mapped {
            Some(m) => m.body(call, key),
            None => self.root.body_to_cpe(body(call, key)),
        }
    }

    /// The CPE's answer to `call` in USP's names, and the new mapping
    /// when the answer changed it.
    pub fn outcome(&self, call: &Call, outcome: Outcome) -> (Outcome, Option<Mapped>) {
        match &self.mapped {
            Some(m) => m.outcome(call, outcome),
            None => (self.root.outcome_from_cpe(outcome), None),
        }
    }

    /// A model with nothing but the root: a CPE whose names could not be
    /// read, or that is not a TR-181 device.
    pub fn empty() -> Result<DeviceModel, SchemaError> {
        Ok(DeviceModel {
            schema: Schema::parse(FACTS, MODEL_URI, &|p| p == ROOT)?,
            fingerprint: 0,
            root: Root::Tr181,
            mapped: None,
        })
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Equal for CPE that reported the same names and writability.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The names the CPE speaks.
    pub fn root(&self) -> Root {
        self.root
    }
}

/// Names the standard does not have (`X_` vendor parameters, objects the
/// facts lack) join the model as strings, parents first.
fn extend_vendor(schema: &mut Schema, writable: &HashMap<String, bool>) {
    let mut extra: Vec<(&String, &bool)> = writable
        .iter()
        .filter(|(t, _)| {
            let table = t.ends_with('.') && !t.ends_with("{i}.");
            let known = if table {
                schema.find(&format!("{t}{{i}}.")).is_some() || schema.find(t).is_some()
            } else {
                schema.find(t).is_some()
            };
            !known
        })
        .collect();
    extra.sort();
    for (t, w) in extra {
        let access = if *w { "readWrite" } else { "readOnly" };
        let ty = if t.ends_with('.') { "object" } else { "string" };
        // A table object (`X.`) whose instances (`X.{i}.`) are listed is
        // the table itself: only the instance row describes it.
        if ty == "object" && !t.ends_with("{i}.") && writable.contains_key(&format!("{t}{{i}}.")) {
            continue;
        }
        let _ = schema.extend(t, ty, access);
    }
}

#[cfg(test)]
mod tests;
