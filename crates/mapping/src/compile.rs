//! Packs as the translation uses them: syntax checked, `extends` applied,
//! and the pack for a CPE chosen by its identity.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::pack::{ObjectRule, PackFile, ParamRule, Select};

/// The packs that ship with the gateway (`mappings/packs/`).
const EMBEDDED: &[(&str, &str)] = &[
    (
        "tr098-core.toml",
        include_str!("../../../mappings/packs/tr098-core.toml"),
    ),
    (
        "vendor-huawei-hg8245.toml",
        include_str!("../../../mappings/packs/vendor-huawei-hg8245.toml"),
    ),
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PackError {
    #[error("{file}: {why}")]
    Syntax { file: String, why: String },
    #[error("{file}: object {usp} from {cwmp}: {why}")]
    Rule {
        file: String,
        usp: String,
        cwmp: String,
        why: String,
    },
    #[error("{0}: extends {1}, which no pack is")]
    Extends(String, String),
    #[error("two packs are named {0}")]
    Duplicate(String),
}

/// Where a TR-181 parameter's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// TR-098 names relative to the rule's object, the first the CPE has.
    Cwmp(Vec<String>),
    Const(String),
    /// The instances of a TR-181 table made from the same TR-098 object
    /// or from objects under `within`.
    Ref {
        table: String,
        within: Option<String>,
    },
    /// The list item of a list-to-table rule.
    Item,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Relative to the rule's TR-181 object.
    pub usp: String,
    pub source: Source,
    /// (TR-098, TR-181) value pairs.
    pub values: Vec<(String, String)>,
    pub factor: Option<u32>,
    /// The value is a list of object paths, translated into the
    /// instances of this TR-181 table.
    pub path: Option<String>,
    pub read_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub usp: String,
    pub cwmp: String,
    pub list: Option<String>,
    pub add: bool,
    /// Parameters directly in the TR-098 object map to the same names,
    /// but these.
    pub same: Option<Vec<String>>,
    pub params: Vec<Param>,
}

/// One pack with what it extends folded in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pack {
    pub name: String,
    pub select: Select,
    pub rules: Vec<Rule>,
}

/// Every pack the gateway knows.
#[derive(Debug, Clone)]
pub struct Library {
    packs: Vec<Arc<Pack>>,
}

/// (file name, TOML text) of the packs compiled into the binary.
pub fn embedded_texts() -> &'static [(&'static str, &'static str)] {
    EMBEDDED
}

impl Library {
    /// The packs under `mappings/packs/`, compiled into the binary.
    pub fn embedded() -> Result<Library, PackError> {
        Library::from_texts(EMBEDDED.iter().map(|(f, t)| (f.to_string(), t.to_string())))
    }

    /// Packs from (file name, TOML text) pairs.
    pub fn from_texts(
        files: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Library, PackError> {
        let mut raw: BTreeMap<String, (String, PackFile)> = BTreeMap::new();
        for (file, text) in files {
            let parsed = PackFile::parse(&text).map_err(|e| PackError::Syntax {
                file: file.clone(),
                why: e.to_string(),
            })?;
            let name = parsed.pack.name.clone();
            if raw.insert(name.clone(), (file, parsed)).is_some() {
                return Err(PackError::Duplicate(name));
            }
        }
        let mut packs = Vec::new();
        for name in raw.keys() {
            packs.push(Arc::new(resolve(&raw, name)?));
        }
        Ok(Library { packs })
    }

    pub fn packs(&self) -> &[Arc<Pack>] {
        &self.packs
    }

    /// The pack for a CPE: the most specific whose selection matches.
    pub fn select(&self, oui: &str, product_class: &str, version: &str) -> Option<Arc<Pack>> {
        self.packs
            .iter()
            .filter(|p| p.select.matches(oui, product_class, version))
            .max_by_key(|p| p.select.weight())
            .cloned()
    }

    pub fn get(&self, name: &str) -> Option<Arc<Pack>> {
        self.packs.iter().find(|p| p.name == name).cloned()
    }
}

/// `name` with its `extends` chain applied (at most 8 deep: a loop is an
/// error, not a hang).
fn resolve(raw: &BTreeMap<String, (String, PackFile)>, name: &str) -> Result<Pack, PackError> {
    let mut chain = Vec::new();
    let mut at = name.to_owned();
    loop {
        let Some((file, p)) = raw.get(&at) else {
            let from = chain.last().map_or(name, |(f, _): &(String, &PackFile)| f);
            return Err(PackError::Extends(from.to_owned(), at));
        };
        chain.push((file.clone(), p));
        match &p.pack.extends {
            Some(base) if chain.len() < 8 => at = base.clone(),
            Some(base) => return Err(PackError::Extends(file.clone(), base.clone())),
            None => break,
        }
    }
    let select = chain[0].1.pack.select.clone();
    let mut rules: Vec<Rule> = Vec::new();
    for (file, p) in chain.iter().rev() {
        for o in &p.objects {
            let rule = compile(file, o)?;
            match rules
                .iter_mut()
                .find(|r| r.usp == rule.usp && r.cwmp == rule.cwmp)
            {
                Some(old) => merge(old, rule),
                None => rules.push(rule),
            }
        }
    }
    Ok(Pack {
        name: name.to_owned(),
        select,
        rules,
    })
}

/// An override's parameters replace or join the base rule's.
fn merge(old: &mut Rule, new: Rule) {
    old.add = old.add || new.add;
    if new.same.is_some() {
        old.same = new.same;
    }
    if new.list.is_some() {
        old.list = new.list;
    }
    for p in new.params {
        match old.params.iter_mut().find(|q| q.usp == p.usp) {
            Some(q) => *q = p,
            None => old.params.push(p),
        }
    }
}

fn compile(file: &str, o: &ObjectRule) -> Result<Rule, PackError> {
    let bad = |why: String| PackError::Rule {
        file: file.to_owned(),
        usp: o.usp.clone(),
        cwmp: o.cwmp.clone(),
        why,
    };
    if !o.usp.starts_with("Device.") || !o.usp.ends_with('.') {
        return Err(bad(
            "usp must be a Device. object path ending with a dot".into()
        ));
    }
    if !o.cwmp.starts_with("InternetGatewayDevice.") || !o.cwmp.ends_with('.') {
        return Err(bad(
            "cwmp must be an InternetGatewayDevice. object path ending with a dot".into(),
        ));
    }
    if o.add && !(o.usp.ends_with(".{i}.") && o.cwmp.ends_with(".{i}.")) {
        return Err(bad("add needs tables on both sides".into()));
    }
    let mut params = Vec::new();
    for (name, rule) in &o.params {
        let p = param(name, rule).map_err(|why| bad(format!("{name}: {why}")))?;
        params.push(p);
    }
    let items = params.iter().filter(|p| p.source == Source::Item).count();
    match (&o.list, items) {
        (Some(_), 1) | (None, 0) => {}
        (Some(_), _) => return Err(bad("a list rule needs exactly one item parameter".into())),
        (None, _) => return Err(bad("item parameters need a list rule".into())),
    }
    if o.list.is_some() && o.add {
        return Err(bad("list items cannot be added as objects".into()));
    }
    Ok(Rule {
        usp: o.usp.clone(),
        cwmp: o.cwmp.clone(),
        list: o.list.clone(),
        add: o.add,
        same: o.same.then(|| o.except.clone()),
        params,
    })
}

fn param(name: &str, rule: &ParamRule) -> Result<Param, String> {
    if name.is_empty() || name.starts_with('.') || name.ends_with('.') || name.contains("{i}") {
        return Err("not a parameter name".into());
    }
    let spec = match rule {
        ParamRule::Same(cwmp) => {
            return Ok(Param {
                usp: name.to_owned(),
                source: Source::Cwmp(vec![relative(cwmp)?]),
                values: Vec::new(),
                factor: None,
                path: None,
                read_only: false,
            })
        }
        ParamRule::Spec(s) => s,
    };
    let sources = [
        spec.cwmp.is_some(),
        spec.value.is_some(),
        spec.reference.is_some(),
        spec.item,
    ];
    if sources.iter().filter(|s| **s).count() != 1 {
        return Err("give exactly one of cwmp, value, ref and item".into());
    }
    let source = if let Some(c) = &spec.cwmp {
        let mut names = vec![relative(c)?];
        for a in &spec.alt {
            names.push(relative(a)?);
        }
        Source::Cwmp(names)
    } else if let Some(v) = &spec.value {
        Source::Const(v.clone())
    } else if let Some(t) = &spec.reference {
        if !t.starts_with("Device.") || !t.ends_with(".{i}.") {
            return Err("ref must name a Device. table in {i} form".into());
        }
        Source::Ref {
            table: t.clone(),
            within: spec.within.clone(),
        }
    } else {
        Source::Item
    };
    if !spec.alt.is_empty() && spec.cwmp.is_none() {
        return Err("alt needs cwmp".into());
    }
    if spec.within.is_some() && spec.reference.is_none() {
        return Err("within needs ref".into());
    }
    let transforms = !spec.values.is_empty() || spec.factor.is_some() || spec.path.is_some();
    if let Some(t) = &spec.path {
        if !t.starts_with("Device.") || !t.ends_with(".{i}.") {
            return Err("path must name a Device. table in {i} form".into());
        }
    }
    if transforms && !matches!(source, Source::Cwmp(_) | Source::Item) {
        return Err("values and factor apply to cwmp or item values only".into());
    }
    if spec.factor == Some(0) {
        return Err("factor must be positive".into());
    }
    let read_only = match spec.access.as_deref() {
        None | Some("readWrite") => !matches!(source, Source::Cwmp(_) | Source::Item),
        Some("readOnly") => true,
        Some(other) => return Err(format!("access {other:?} is not readOnly or readWrite")),
    };
    Ok(Param {
        usp: name.to_owned(),
        source,
        values: spec
            .values
            .iter()
            .map(|(a, b)| (a.clone(), b.clone()))
            .collect(),
        factor: spec.factor,
        path: spec.path.clone(),
        read_only,
    })
}

fn relative(name: &str) -> Result<String, String> {
    if name.is_empty() || name.starts_with('.') || name.ends_with('.') || name.contains("{i}") {
        return Err(format!("{name:?} is not a relative parameter name"));
    }
    Ok(name.to_owned())
}
