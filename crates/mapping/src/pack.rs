//! The mapping pack format, as written in `mappings/packs/*.toml`
//! (documented in docs/mappings.md). Parsing only: [`crate::Pack`] compiles
//! what is read here, [`crate::check`] holds it against the BBF facts.

use std::collections::BTreeMap;

use serde::Deserialize;

/// One `*.toml` file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackFile {
    pub pack: Header,
    #[serde(default, rename = "object")]
    pub objects: Vec<ObjectRule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Unique among the packs; what `extends` names.
    pub name: String,
    #[serde(default)]
    pub about: String,
    /// The pack this one adds to (a vendor override): its rules apply
    /// first, then these, which replace rules for the same (usp, cwmp).
    #[serde(default)]
    pub extends: Option<String>,
    /// Which CPE it is for; none: every TR-098 CPE.
    #[serde(default)]
    pub select: Select,
}

/// Matched on the CPE's Inform. Each field is exact, or a prefix when it
/// ends with `*`; an absent field matches anything.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Select {
    pub oui: Option<String>,
    pub product_class: Option<String>,
    pub software_version: Option<String>,
}

/// One TR-181 object (or table) made from one TR-098 object (or table).
/// Several rules may fill the same TR-181 table (IP.Interface from WAN
/// and LAN connections); one TR-098 object may feed several TR-181 ones
/// (WLANConfiguration: Radio, SSID and AccessPoint).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectRule {
    /// TR-181 path in `{i}` form, ending with a dot.
    pub usp: String,
    /// TR-098 path in `{i}` form (literal instance numbers allowed).
    pub cwmp: String,
    /// List to table: the TR-098 parameter (relative to `cwmp`) whose
    /// comma-separated items are the instances (DNSServers).
    #[serde(default)]
    pub list: Option<String>,
    /// USP Add and Delete become AddObject and DeleteObject on `cwmp`.
    #[serde(default)]
    pub add: bool,
    /// Every parameter directly in `cwmp` maps to the same name under
    /// `usp`, but those in `except` (TR-098 only) and those `params`
    /// names. `mappings check` proves each such name exists in TR-181.
    #[serde(default)]
    pub same: bool,
    #[serde(default)]
    pub except: Vec<String>,
    /// TR-181 parameter names relative to `usp` (dots allowed for
    /// sub-objects such as `Security.ModeEnabled`).
    #[serde(default)]
    pub params: BTreeMap<String, ParamRule>,
}

/// A parameter: the TR-098 name relative to the rule's `cwmp`, or more.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ParamRule {
    Same(String),
    Spec(ParamSpec),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamSpec {
    /// The TR-098 name, relative to the rule's `cwmp`.
    #[serde(default)]
    pub cwmp: Option<String>,
    /// Names tried in order when `cwmp` is absent on the CPE.
    #[serde(default)]
    pub alt: Vec<String>,
    /// TR-098 value → TR-181 value; the inverse is used for writes (when
    /// several TR-098 values give one TR-181 value, the first in sorted
    /// order). Values not listed pass unchanged.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// TR-181 = TR-098 × factor (unit change); writes divide, exactly.
    #[serde(default)]
    pub factor: Option<u32>,
    /// `readOnly`: refuse writes even where the CPE allows them.
    #[serde(default)]
    pub access: Option<String>,
    /// A fixed value the gateway gives (read-only).
    #[serde(default)]
    pub value: Option<String>,
    /// A reference the gateway computes: the instances of this TR-181
    /// table (`{i}` form) made from the same TR-098 object, or from
    /// objects under the same `within` TR-098 object.
    #[serde(default, rename = "ref")]
    pub reference: Option<String>,
    #[serde(default)]
    pub within: Option<String>,
    /// List to table: this parameter is the list item itself.
    #[serde(default)]
    pub item: bool,
    /// The value names TR-098 objects; TR-181 names the instances of this
    /// table (`{i}` form) made from them.
    #[serde(default)]
    pub path: Option<String>,
}

impl PackFile {
    pub fn parse(text: &str) -> Result<PackFile, toml::de::Error> {
        toml::from_str(text)
    }
}

impl Select {
    pub fn matches(&self, oui: &str, product_class: &str, software_version: &str) -> bool {
        fn one(want: &Option<String>, have: &str) -> bool {
            match want.as_deref() {
                None => true,
                Some(w) => match w.strip_suffix('*') {
                    Some(prefix) => have.starts_with(prefix),
                    None => w == have,
                },
            }
        }
        one(&self.oui, oui)
            && one(&self.product_class, product_class)
            && one(&self.software_version, software_version)
    }

    /// How specific it is: packs that say more win.
    pub fn weight(&self) -> usize {
        [&self.oui, &self.product_class, &self.software_version]
            .iter()
            .filter(|f| f.is_some())
            .count()
    }
}
