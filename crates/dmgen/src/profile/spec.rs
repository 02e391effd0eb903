//! The hand-written profile spec (`*.spec.json` beside each profile).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Free text for the reader; JSON has no comments.
    #[serde(default)]
    pub about: Vec<String>,
    /// Root object of the profile, e.g. `Device.`.
    pub root: String,
    /// File name of the BBF model inside the `--bbf` directory.
    pub bbf: String,
    /// Objects to include, in `{i}` form, with the number of instances per
    /// parent instance (1 for single-instance objects). A key with concrete
    /// instance numbers overrides the count under that one parent.
    pub objects: BTreeMap<String, u32>,
    /// Parameters left out: `{i}` paths, or bare names (left out everywhere).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Parameter name → candidate values for existing instances; the first
    /// one valid for the parameter is taken (templates keep BBF defaults).
    #[serde(default)]
    pub rules: BTreeMap<String, Vec<String>>,
    /// Exact values: concrete paths for one instance, `{i}` paths for every
    /// instance and for the AddObject template.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
}

impl Spec {
    pub fn load(path: &Path) -> Result<Spec> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text)
            .with_context(|| format!("{} is not a valid profile spec", path.display()))
    }
}

/// `Device.Hosts.Host.2.IPv4Address.1.` → `Device.Hosts.Host.{i}.IPv4Address.{i}.`
pub fn generic(path: &str) -> String {
    path.split('.')
        .map(|seg| {
            if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
                "{i}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_replaces_instance_numbers_only() {
        assert_eq!(
            generic("Device.Hosts.Host.2.IPv4Address.10."),
            "Device.Hosts.Host.{i}.IPv4Address.{i}."
        );
        assert_eq!(
            generic("Device.WiFi.Radio.1.Stats.X1"),
            "Device.WiFi.Radio.{i}.Stats.X1"
        );
        assert_eq!(
            generic("Device.IP.Interface.{i}."),
            "Device.IP.Interface.{i}."
        );
    }

    #[test]
    fn rejects_unknown_fields() {
        let err =
            serde_json::from_str::<Spec>(r#"{"root":"Device.","bbf":"x","objects":{},"extra":1}"#);
        assert!(err.is_err());
    }
}
