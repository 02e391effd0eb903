//! Simulator profiles: a hand-written spec names the objects and instance
//! counts of a realistic CPE; the generator expands every object to all its
//! BBF parameters, with types and writability from the model.

mod build;
mod spec;
pub mod values;

use std::fmt::Write as _;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

pub use build::build;
pub use spec::Spec;

/// Types a profile row may carry, besides `object` (the agreed wire set).
pub const PROFILE_TYPES: [&str; 9] = [
    "string",
    "int",
    "unsignedInt",
    "long",
    "unsignedLong",
    "boolean",
    "dateTime",
    "base64",
    "hexBinary",
];

pub const CSV_HEADER: &str = "name,type,writable,value";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub root: String,
    pub parameters: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub writable: bool,
    pub value: String,
}

impl Row {
    pub fn is_object(&self) -> bool {
        self.name.ends_with('.')
    }

    pub fn is_template(&self) -> bool {
        self.name.contains("{i}")
    }
}

impl Profile {
    /// Parameters of existing instances: what a GetParameterValues on the
    /// root returns.
    pub fn parameter_count(&self) -> usize {
        self.parameters
            .iter()
            .filter(|r| !r.is_object() && !r.is_template())
            .count()
    }

    /// JSON with one row per line, so that diffs stay readable.
    pub fn to_json(&self) -> Result<String> {
        let mut out = format!(
            "{{\"root\": {},\n\"parameters\": [\n",
            serde_json::to_string(&self.root)?
        );
        for (i, row) in self.parameters.iter().enumerate() {
            let sep = if i + 1 == self.parameters.len() {
                ""
            } else {
                ","
            };
            let _ = writeln!(out, "{}{sep}", serde_json::to_string(row)?);
        }
        out.push_str("]}\n");
        Ok(out)
    }

    pub fn from_json(text: &str) -> Result<Profile> {
        serde_json::from_str(text).context("not a profile JSON document")
    }

    /// CSV (RFC 4180 quoting), header `name,type,writable,value`.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(CSV_HEADER);
        out.push('\n');
        for row in &self.parameters {
            let _ = writeln!(
                out,
                "{},{},{},{}",
                csv_field(&row.name),
                row.ty,
                row.writable,
                csv_field(&row.value)
            );
        }
        out
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, ty: &str, writable: bool, value: &str) -> Row {
        Row {
            name: name.into(),
            ty: ty.into(),
            writable,
            value: value.into(),
        }
    }

    fn sample() -> Profile {
        Profile {
            root: "Device.".into(),
            parameters: vec![
                row("Device.", "object", false, ""),
                row(
                    "Device.DNS.Client.Server.1.DNSServer",
                    "string",
                    true,
                    "192.0.2.53",
                ),
                row("Device.X.Servers", "string", true, "a,b \"c\""),
                row(
                    "Device.NAT.PortMapping.{i}.Enable",
                    "boolean",
                    true,
                    "false",
                ),
            ],
        }
    }

    #[test]
    fn json_round_trips_one_row_per_line() {
        let p = sample();
        let json = p.to_json().unwrap();
        assert_eq!(json.lines().count(), 2 + p.parameters.len() + 1);
        assert_eq!(Profile::from_json(&json).unwrap(), p);
        assert!(Profile::from_json("{}").is_err());
    }

    #[test]
    fn csv_quotes_only_when_needed() {
        let csv = sample().to_csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], CSV_HEADER);
        assert_eq!(lines[1], "Device.,object,false,");
        assert_eq!(lines[3], r#"Device.X.Servers,string,true,"a,b ""c""""#);
    }

    #[test]
    fn counts_only_instance_parameters() {
        assert_eq!(sample().parameter_count(), 2);
    }
}
