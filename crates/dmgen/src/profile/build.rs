//! Expands a spec into profile rows: the instance tree first, then one
//! AddObject template per addable table.

use std::collections::{BTreeSet, HashMap};

use anyhow::{bail, Context, Result};

use super::spec::{generic, Spec};
use super::values::{check, fallback};
use super::{Profile, Row, PROFILE_TYPES};
use crate::bbf::{Model, Object, Parameter};

/// Builds the profile a spec describes over `model`.
pub fn build(spec: &Spec, model: &Model) -> Result<Profile> {
    let b = Builder::new(spec, model)?;
    let root = model
        .object(&spec.root)
        .with_context(|| format!("root {} is not in the model", spec.root))?;
    let mut rows = Vec::new();
    let mut tables = Vec::new();
    b.emit(root, &spec.root, false, &mut rows, &mut tables)?;
    for obj in &b.included {
        if obj.multi && obj.writable() {
            b.emit(obj, &obj.path, true, &mut rows, &mut tables)?;
        }
    }
    check_unique_keys(&rows, &tables)?;
    b.check_values_used(&rows)?;
    Ok(Profile {
        root: spec.root.clone(),
        parameters: rows,
    })
}

struct Builder<'m> {
    spec: &'m Spec,
    model: &'m Model,
    /// Included objects in document order.
    included: Vec<&'m Object>,
}

/// Instances emitted for one table under one parent.
struct Emitted<'m> {
    table: &'m Object,
    instances: Vec<String>,
}

impl<'m> Builder<'m> {
    fn new(spec: &'m Spec, model: &'m Model) -> Result<Self> {
        for key in spec.objects.keys() {
            let obj = model
                .object(&generic(key))
                .with_context(|| format!("spec object {key} is not in the model"))?;
            if let Some(status) = &obj.status {
                bail!("spec object {key} is {status} in the model");
            }
            if let Some(parent) = parent_of(&obj.path) {
                if !spec.objects.contains_key(&parent) {
                    bail!("spec object {key} needs its parent {parent} in the spec too");
                }
            }
        }
        let included = model
            .objects
            .iter()
            .filter(|o| spec.objects.contains_key(&o.path))
            .collect();
        Ok(Builder {
            spec,
            model,
            included,
        })
    }

    fn emit(
        &self,
        obj: &'m Object,
        at: &str,
        template: bool,
        rows: &mut Vec<Row>,
        tables: &mut Vec<Emitted<'m>>,
    ) -> Result<()> {
        let writable = obj.multi && obj.writable();
        rows.push(Row {
            name: at.to_owned(),
            ty: "object".into(),
            writable,
            value: String::new(),
        });
        // Counts first: the NumberOfEntries parameters precede the tables.
        let mut counts: HashMap<&str, u32> = HashMap::new();
        let mut children = Vec::new();
        for child in self
            .model
            .objects
            .iter()
            .filter(|o| parent_of(&o.path).as_deref() == Some(&obj.path))
        {
            let included = self.spec.objects.contains_key(&child.path);
            let seg = &child.path[obj.path.len()..];
            let n = if !included || template || !child.multi {
                0
            } else {
                self.count(child, at, seg)
            };
            if let Some(num) = &child.num_entries {
                counts.insert(num.as_str(), n);
            }
            if included {
                children.push((child, seg, n));
            }
        }
        for p in &obj.parameters {
            if !self.keeps(obj, p) {
                continue;
            }
            let name = format!("{at}{}", p.name);
            let value = self.value(p, &name, template, counts.get(p.name.as_str()).copied())?;
            rows.push(Row {
                name,
                ty: p.syntax.ty.clone(),
                writable: p.writable(),
                value,
            });
        }
        for (child, seg, n) in children {
            if !child.multi {
                self.emit(child, &format!("{at}{seg}"), template, rows, tables)?;
                continue;
            }
            let table = format!("{at}{}", seg.trim_end_matches("{i}."));
            rows.push(Row {
                name: table.clone(),
                ty: "object".into(),
                writable: child.writable(),
                value: String::new(),
            });
            let mut instances = Vec::new();
            for i in 1..=n {
                let inst = format!("{table}{i}.");
                self.emit(child, &inst, false, rows, tables)?;
                instances.push(inst);
            }
            tables.push(Emitted {
                table: child,
                instances,
            });
        }
        Ok(())
    }

    /// Instances of a table under one parent: a concrete override first.
    fn count(&self, table: &Object, parent: &str, seg: &str) -> u32 {
        let concrete = format!("{parent}{seg}");
        self.spec
            .objects
            .get(&concrete)
            .or_else(|| self.spec.objects.get(&table.path))
            .copied()
            .unwrap_or(0)
    }

    /// Deprecated parameters stay: real CPE still expose them (NTPServer1...).
    fn keeps(&self, obj: &Object, p: &Parameter) -> bool {
        let path = format!("{}{}", obj.path, p.name);
        p.status.as_deref().is_none_or(|s| s == "deprecated")
            && PROFILE_TYPES.contains(&p.syntax.ty.as_str())
            && !self.spec.exclude.iter().any(|e| *e == path || *e == p.name)
    }

    fn value(
        &self,
        p: &Parameter,
        name: &str,
        template: bool,
        count: Option<u32>,
    ) -> Result<String> {
        if let Some(n) = count {
            // Always the real count, so the tree never contradicts itself.
            return Ok(n.to_string());
        }
        let explicit = if template {
            None
        } else {
            self.spec.values.get(name)
        };
        if let Some(v) = explicit.or_else(|| self.spec.values.get(&generic(name))) {
            check(v, &p.syntax).map_err(|e| anyhow::anyhow!("spec value for {name}: {e}"))?;
            return Ok(v.clone());
        }
        if template {
            return Ok(fallback(&p.syntax));
        }
        if p.name == "Alias" {
            // The CPE-assigned form TR-069 prescribes: "cpe-" and something unique.
            let instance = name.rsplit('.').nth(1).unwrap_or("1");
            return Ok(format!("cpe-{instance}"));
        }
        if let Some(candidates) = self.spec.rules.get(&p.name) {
            if let Some(v) = candidates.iter().find(|v| check(v, &p.syntax).is_ok()) {
                return Ok(v.clone());
            }
        }
        Ok(fallback(&p.syntax))
    }

    /// A spec value naming a parameter the profile lacks is a typo.
    fn check_values_used(&self, rows: &[Row]) -> Result<()> {
        let names: BTreeSet<String> = rows
            .iter()
            .flat_map(|r| [r.name.clone(), generic(&r.name)])
            .collect();
        for key in self.spec.values.keys() {
            if !names.contains(key) {
                bail!("spec value for {key} names no parameter of the profile");
            }
        }
        Ok(())
    }
}

/// Parent object of an object path in `{i}` form; `None` for the root.
fn parent_of(path: &str) -> Option<String> {
    let trimmed = path.strip_suffix('.')?;
    let trimmed = trimmed.strip_suffix(".{i}").unwrap_or(trimmed);
    let cut = trimmed.rfind('.')?;
    Some(trimmed[..=cut].to_owned())
}

/// Instances under one parent must differ in every functional unique key,
/// as a real CPE would enforce.
fn check_unique_keys(rows: &[Row], tables: &[Emitted<'_>]) -> Result<()> {
    let values: HashMap<&str, &str> = rows
        .iter()
        .map(|r| (r.name.as_str(), r.value.as_str()))
        .collect();
    for t in tables {
        for key in t.table.unique_keys.iter().filter(|k| k.functional) {
            let mut seen = BTreeSet::new();
            for inst in &t.instances {
                let tuple: Vec<&str> = key
                    .parameters
                    .iter()
                    .map(|p| {
                        values
                            .get(format!("{inst}{p}").as_str())
                            .copied()
                            .unwrap_or("")
                    })
                    .collect();
                if !seen.insert(tuple.clone()) {
                    bail!(
                        "{inst} repeats unique key {} = {:?}; give it values in the spec",
                        key.parameters.join("+"),
                        tuple
                    );
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "build_tests.rs"]
mod tests;
