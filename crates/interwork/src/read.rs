//! Reads: which RPCs fetch what the engine missed, and the engine runs
//! that answer Get, GetInstances and GetSupportedDM from the cache.

use std::collections::BTreeMap;

use agent::dm::{self, Answer, Schema};
use usp::path::{Path, PathKind, Segment};
use usp::proto::usp::request::ReqType;

use crate::cache::{Cache, Misses};
use crate::calls::Call;
use crate::model::template;

/// Table misses beyond this are fetched as one listing of their common
/// prefix rather than one GetParameterNames each.
const MAX_TABLE_CALLS: usize = 4;
/// An object missing this many values is read whole (partial path).
const WHOLE_OBJECT: usize = 4;

/// The first round of a Get: every plain path (no wildcard, search or
/// reference) is read directly, objects by partial path, so the common
/// Get costs one GetParameterValues. A depth-limited Get of an object is
/// left to the misses, as a partial path would read the whole subtree.
/// Values the cache already `knows`, and paths outside the device's
/// model (the gateway's own LocalAgent, typos), are not asked for.
pub fn prefetch(
    schema: &Schema,
    req: &ReqType,
    batch: usize,
    knows: &dyn Fn(&str) -> bool,
) -> Vec<Call> {
    let ReqType::Get(g) = req else {
        return Vec::new();
    };
    let names: Vec<String> = g
        .param_paths
        .iter()
        .filter_map(|p| Path::parse(p).ok().map(|parsed| (p, parsed)))
        .filter(|(_, p)| {
            p.segments
                .iter()
                .all(|s| matches!(s, Segment::Name(_) | Segment::Instance(_)))
        })
        .filter(|(_, p)| p.kind == PathKind::Parameter || g.max_depth == 0)
        .filter(|(_, p)| p.segments.len() > 1)
        .filter(|(s, _)| !knows(s) && in_model(schema, s))
        .map(|(s, _)| s.clone())
        .collect();
    gpv_calls(names, batch)
}

fn in_model(schema: &Schema, path: &str) -> bool {
    let t = template(path);
    schema.find(&t).is_some() || (t.ends_with('.') && schema.find(&format!("{t}{{i}}.")).is_some())
}

fn gpv_calls(mut names: Vec<String>, batch: usize) -> Vec<Call> {
    names.sort();
    names.dedup();
    // A name below a partial path already asked for adds nothing.
    let mut kept: Vec<String> = Vec::with_capacity(names.len());
    for n in names {
        if !kept
            .iter()
            .any(|k| k.ends_with('.') && n.starts_with(k.as_str()))
        {
            kept.push(n);
        }
    }
    kept.chunks(batch.max(1))
        .map(|c| Call::Gpv(c.to_vec()))
        .collect()
}

/// The RPCs that fetch what one engine run missed.
pub fn calls_for(misses: Misses, batch: usize) -> Vec<Call> {
    let mut calls = Vec::new();
    let tables: Vec<String> = misses.tables.into_iter().collect();
    if tables.len() > MAX_TABLE_CALLS {
        calls.push(Call::Gpn {
            path: common_prefix(&tables),
            next_level: false,
        });
    } else {
        calls.extend(tables.into_iter().map(|path| Call::Gpn {
            path,
            next_level: true,
        }));
    }
    let mut by_object: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for v in misses.values {
        let obj = v.rfind('.').map_or(String::new(), |d| v[..=d].to_owned());
        by_object.entry(obj).or_default().push(v);
    }
    let mut names = Vec::new();
    for (obj, params) in by_object {
        if params.len() >= WHOLE_OBJECT && !obj.is_empty() {
            names.push(obj);
        } else {
            names.extend(params);
        }
    }
    calls.extend(gpv_calls(names, batch));
    calls
}

/// The longest object path every table lies under.
fn common_prefix(paths: &[String]) -> String {
    let Some(first) = paths.first() else {
        return crate::model::ROOT.to_owned();
    };
    let mut len = first.len();
    for p in &paths[1..] {
        len = len.min(
            first
                .bytes()
                .zip(p.bytes())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    match first[..len].rfind('.') {
        Some(d) => first[..=d].to_owned(),
        None => crate::model::ROOT.to_owned(),
    }
}

/// One engine run over what has been read; `None` for requests that are
/// not reads.
pub fn answer(schema: &Schema, cache: &Cache, req: &ReqType) -> Option<Answer> {
    Some(match req {
        ReqType::Get(g) => dm::get::get(schema, cache, g),
        ReqType::GetInstances(g) => dm::instances::get_instances(schema, cache, g),
        ReqType::GetSupportedDm(g) => dm::supported::get_supported_dm(schema, g),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misses_become_few_calls() {
        let mut m = Misses::default();
        for p in ["A", "B", "C", "D"] {
            m.values.insert(format!("Device.X.1.{p}"));
        }
        m.values.insert("Device.Y.Z".into());
        m.tables.insert("Device.T.".into());
        let calls = calls_for(m, 32);
        assert_eq!(
            calls,
            [
                Call::Gpn {
                    path: "Device.T.".into(),
                    next_level: true
                },
                Call::Gpv(vec!["Device.X.1.".into(), "Device.Y.Z".into()]),
            ]
        );
        let mut many = Misses::default();
        for t in [
            "Device.A.B.",
            "Device.A.C.",
            "Device.A.D.1.E.",
            "Device.A.F.",
            "Device.A.G.",
        ] {
            many.tables.insert(t.into());
        }
        assert_eq!(
            calls_for(many, 32),
            [Call::Gpn {
                path: "Device.A.".into(),
                next_level: false
            }]
        );
    }

    #[test]
    fn prefetch_skips_paths_outside_the_model() {
        let m = crate::DeviceModel::from_names([
            ("Device.DeviceInfo.", false),
            ("Device.DeviceInfo.ModelName", false),
            ("Device.WiFi.", false),
            ("Device.WiFi.SSID.", false),
            ("Device.WiFi.SSID.1.", false),
            ("Device.WiFi.SSID.1.SSID", false),
        ])
        .unwrap();
        let req = ReqType::Get(usp::proto::usp::Get {
            param_paths: ["Device.NoSuch.X", "Device.DeviceInfo.ModelName"]
                .into_iter()
                .chain(["Device.WiFi.SSID.", "Device.WiFi.SSID.2.", "Device.Nat."])
                .map(String::from)
                .collect(),
            max_depth: 0,
        });
        assert_eq!(
            prefetch(m.schema(), &req, 32, &|_| false),
            [Call::Gpv(vec![
                "Device.DeviceInfo.ModelName".into(),
                "Device.WiFi.SSID.".into(),
            ])]
        );
    }

    #[test]
    fn batches_and_prunes_names() {
        let names = (0..5).map(|i| format!("Device.P{i}")).collect();
        assert_eq!(gpv_calls(names, 2).len(), 3);
        let nested = vec!["Device.A.".into(), "Device.A.B".into(), "Device.AB".into()];
        assert_eq!(
            gpv_calls(nested, 8),
            [Call::Gpv(vec!["Device.A.".into(), "Device.AB".into()])]
        );
    }
}
