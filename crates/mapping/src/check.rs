//! A pack held against the BBF facts (`mappings/facts/*.tsv`): every
//! target exists, types are compatible, and writability makes sense.
//! `cwmp2usp mappings check` and the tests run it on every pack.

use std::collections::HashMap;

use crate::compile::{Pack, Param, Rule, Source};

/// One line of a facts TSV.
#[derive(Debug, Clone)]
struct Fact {
    kind: String,
    writable: bool,
    flags: String,
}

/// A facts TSV, by `{i}`-form path.
pub struct Facts(HashMap<String, Fact>);

impl Facts {
    pub fn parse(tsv: &str) -> Facts {
        Facts::parse_all(&[tsv])
    }

    /// Several TSVs in one: the first to name a path wins (TR-181 as USP
    /// has it, then the CWMP flavour for what only CWMP has, such as
    /// ManagementServer and the diagnostics objects).
    pub fn parse_all(tsvs: &[&str]) -> Facts {
        let mut map = HashMap::new();
        for line in tsvs
            .iter()
            .flat_map(|t| t.lines().skip_while(|l| l.starts_with('#')).skip(1))
        {
            let mut cols = line.split('\t');
            let (Some(path), Some(kind), Some(access)) = (cols.next(), cols.next(), cols.next())
            else {
                continue;
            };
            let fact = Fact {
                kind: kind.to_owned(),
                writable: access == "readWrite",
                flags: cols.next().unwrap_or_default().to_owned(),
            };
            map.entry(path.to_owned()).or_insert(fact);
        }
        Facts(map)
    }

    /// The parameters directly in an object, by name.
    fn children(&self, object: &str) -> Vec<(&str, &Fact)> {
        let object = generic(object);
        let mut out: Vec<(&str, &Fact)> = self
            .0
            .iter()
            .filter(|(_, f)| f.kind != "object" && f.kind != "command" && f.kind != "event")
            .filter_map(|(p, f)| {
                let rest = p.strip_prefix(object.as_str())?;
                (!rest.contains('.') && !rest.is_empty()).then_some((rest, f))
            })
            .collect();
        out.sort_by_key(|(n, _)| *n);
        out
    }

    fn get(&self, path: &str) -> Option<&Fact> {
        self.0.get(&generic(path))
    }
}

/// A path with its instance numbers as `{i}`.
fn generic(path: &str) -> String {
    path.split_inclusive('.')
        .map(|seg| {
            let (s, dot) = seg.strip_suffix('.').map_or((seg, ""), |s| (s, "."));
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                format!("{{i}}{dot}")
            } else {
                seg.to_owned()
            }
        })
        .collect()
}

/// What is wrong with one rule of a pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub pack: String,
    pub rule: String,
    pub what: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.pack, self.rule, self.what)
    }
}

/// Every problem of `pack` against the TR-181 (USP) and TR-098 facts.
pub fn check(pack: &Pack, tr181: &Facts, tr098: &Facts) -> Vec<Problem> {
    let mut out = Vec::new();
    for rule in &pack.rules {
        let mut say = |what: String| {
            out.push(Problem {
                pack: pack.name.clone(),
                rule: format!("{} <- {}", rule.usp, rule.cwmp),
                what,
            })
        };
        check_rule(pack, rule, tr181, tr098, &mut say);
    }
    out
}

fn check_rule(pack: &Pack, rule: &Rule, tr181: &Facts, tr098: &Facts, say: &mut dyn FnMut(String)) {
    let usp = tr181.get(&rule.usp);
    let cwmp = tr098.get(&rule.cwmp);
    match usp {
        Some(f) if f.kind == "object" => {
            let table = rule.usp.ends_with(".{i}.");
            if table != f.flags.split(' ').any(|x| x == "multi") {
                say("usp: a table on one side only of the facts and the rule".into());
            }
            if rule.add && !f.writable {
                say("add: TR-181 does not let controllers add to this table".into());
            }
        }
        _ => say(format!("usp: TR-181 has no object {}", rule.usp)),
    }
    match cwmp {
        Some(f) if f.kind == "object" => {
            if rule.add && !f.writable {
                say("add: TR-098 has no AddObject on this table".into());
            }
        }
        _ => say(format!("cwmp: TR-098 has no object {}", rule.cwmp)),
    }
    if let Some(list) = &rule.list {
        match tr098.get(&format!("{}{list}", rule.cwmp)) {
            Some(f) if f.kind == "string" => {}
            _ => say(format!("list: TR-098 has no string parameter {list}")),
        }
    }
    if let Some(except) = &rule.same {
        let named = |n: &str| rule.params.iter().any(|p| p.usp == n);
        for (name, from) in tr098.children(&rule.cwmp) {
            if except.iter().any(|e| e == name) || named(name) {
                continue;
            }
            let usp = format!("{}{name}", rule.usp);
            match tr181.get(&usp) {
                None => say(format!(
                    "same: TR-181 has no {usp}; map it or list {name} in except"
                )),
                Some(to) if !fits(&from.kind, &to.kind) => {
                    say(format!("same: {name} is {} in TR-098, {} in TR-181", from.kind, to.kind))
                }
                Some(to) if from.writable && !to.writable => say(format!(
                    "same: {name} is read-only in TR-181 but writable in TR-098: map it with access = \"readOnly\""
                )),
                Some(_) => {}
            }
        }
        for e in except {
            if tr098.get(&format!("{}{e}", rule.cwmp)).is_none() {
                say(format!("except: TR-098 has no {e} here"));
            }
        }
    }
    for p in &rule.params {
        let name = format!("{}{}", rule.usp, p.usp);
        let Some(target) = tr181.get(&name).filter(|f| f.kind != "object") else {
            say(format!("{}: TR-181 has no parameter {name}", p.usp));
            continue;
        };
        check_param(pack, rule, p, target, tr098, &mut *say);
    }
}

fn check_param(
    pack: &Pack,
    rule: &Rule,
    p: &Param,
    target: &Fact,
    tr098: &Facts,
    say: &mut dyn FnMut(String),
) {
    match &p.source {
        Source::Cwmp(names) => {
            for n in names {
                let full = format!("{}{n}", rule.cwmp);
                // Vendor names are in no BBF file: nothing to hold them to.
                if n.split('.').any(|s| s.starts_with("X_")) {
                    continue;
                }
                let Some(from) = tr098.get(&full).filter(|f| f.kind != "object") else {
                    say(format!("{}: TR-098 has no parameter {full}", p.usp));
                    continue;
                };
                if !compatible(&from.kind, &target.kind, p) {
                    say(format!(
                        "{}: TR-098 {} ({}) does not fit TR-181 {}",
                        p.usp, n, from.kind, target.kind
                    ));
                }
                if let Some(table) = &p.path {
                    if !pack.rules.iter().any(|r| &r.usp == table) {
                        say(format!("{}: no rule of the pack makes {table}", p.usp));
                    }
                }
                if from.writable && !target.writable && !p.read_only {
                    say(format!(
                        "{}: read-only in TR-181 but writable on the CPE: say access = \"readOnly\"",
                        p.usp
                    ));
                }
            }
        }
        Source::Ref { table, .. } => {
            if !pack.rules.iter().any(|r| &r.usp == table) {
                say(format!("{}: no rule of the pack makes {table}", p.usp));
            }
            if target.kind != "string" {
                say(format!("{}: a reference needs a string parameter", p.usp));
            }
        }
        Source::Const(_) | Source::Item => {}
    }
}

/// Whether a TR-098 value of type `from` reads as TR-181 type `to`.
fn compatible(from: &str, to: &str, p: &Param) -> bool {
    let numeric = |t: &str| matches!(t, "int" | "unsignedInt" | "long" | "unsignedLong");
    if p.path.is_some() {
        return from == "string" && to == "string";
    }
    if p.factor.is_some() {
        return numeric(from) && numeric(to);
    }
    if !p.values.is_empty() {
        // An enumeration rewritten, or a word ("Auto") given a number.
        return to == "string" || from == "string";
    }
    fits(from, to)
}

/// Whether a TR-098 value of type `from` is a valid TR-181 `to` as it is:
/// the same type, any into a string, a number into a wider one, or a
/// string of hex digits (TR-098 colours, keys) into hexBinary.
fn fits(from: &str, to: &str) -> bool {
    let numeric = |t: &str| matches!(t, "int" | "unsignedInt" | "long" | "unsignedLong");
    from == to
        || to == "string"
        || (numeric(from) && numeric(to))
        || (from == "string" && to == "hexBinary")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_numbers_become_templates() {
        assert_eq!(
            generic("InternetGatewayDevice.LANDevice.1.LANHostConfigManagement."),
            "InternetGatewayDevice.LANDevice.{i}.LANHostConfigManagement."
        );
        assert_eq!(
            generic("Device.WiFi.SSID.{i}.SSID"),
            "Device.WiFi.SSID.{i}.SSID"
        );
    }
}
