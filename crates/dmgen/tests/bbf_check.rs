//! The committed facts and profiles under mappings/ must agree with the BBF
//! data models: names, types and writability exist there, and regenerating
//! gives byte-identical files (so nothing drifts by hand-editing).

/// Writes past the test harness's output capture, so a skip (or the count
/// of validated envelopes) shows in CI logs even when the test passes.
macro_rules! loud {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use dmgen::bbf::{self, Model};
use dmgen::profile::{Profile, PROFILE_TYPES};

const PROFILES: [&str; 2] = ["tr181-home-gateway", "tr098-home-gateway"];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The BBF directory, or `None` after printing why the check is skipped.
/// Under CI a missing directory fails instead.
fn bbf_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bbf");
    if dir.join(dmgen::facts::SOURCES[0].0).is_file() {
        return Some(dir);
    }
    let reason = format!("{} is absent", dir.display());
    assert!(
        std::env::var_os("CI").is_none(),
        "bbf check cannot run under CI: {reason}"
    );
    loud!("SKIPPED: bbf check ({reason})");
    None
}

fn committed_profile(name: &str) -> Profile {
    let path = repo().join(format!("mappings/profiles/{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Profile::from_json(&text).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()))
}

#[test]
fn profiles_have_a_realistic_size() {
    for name in PROFILES {
        let p = committed_profile(name);
        let n = p.parameter_count();
        assert!((300..=1500).contains(&n), "{name}: {n} instance parameters");
        assert!(
            p.parameters.len() <= 1500,
            "{name}: {} rows in all",
            p.parameters.len()
        );
    }
}

#[test]
fn profile_rows_are_well_formed() {
    for name in PROFILES {
        let p = committed_profile(name);
        let mut seen = std::collections::HashSet::new();
        for row in &p.parameters {
            assert!(
                row.name.starts_with(&p.root),
                "{name}: {} outside {}",
                row.name,
                p.root
            );
            assert!(seen.insert(&row.name), "{name}: {} twice", row.name);
            if row.is_object() {
                assert_eq!(
                    (row.ty.as_str(), row.value.as_str()),
                    ("object", ""),
                    "{name}: {}",
                    row.name
                );
            } else {
                assert!(
                    PROFILE_TYPES.contains(&row.ty.as_str()),
                    "{name}: {} has type {}",
                    row.name,
                    row.ty
                );
            }
        }
    }
}

/// What the BBF model says of each `{i}` path: (type, writable).
fn model_index(model: &Model) -> HashMap<String, (String, bool)> {
    let mut index = HashMap::new();
    for obj in &model.objects {
        index.insert(
            obj.path.clone(),
            ("object".to_owned(), obj.multi && obj.writable()),
        );
        if let Some(table) = obj.path.strip_suffix("{i}.") {
            index.insert(table.to_owned(), ("object".to_owned(), obj.writable()));
        }
        for p in &obj.parameters {
            index.insert(
                format!("{}{}", obj.path, p.name),
                (p.syntax.ty.clone(), p.writable()),
            );
        }
    }
    index
}

fn generic(name: &str) -> String {
    name.split('.')
        .map(|s| {
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                "{i}"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

#[test]
fn profile_names_types_and_writability_exist_in_bbf() {
    let Some(dir) = bbf_dir() else { return };
    for name in PROFILES {
        let p = committed_profile(name);
        let spec =
            dmgen::profile::Spec::load(&repo().join(format!("mappings/profiles/{name}.spec.json")))
                .unwrap();
        let xml = std::fs::read_to_string(dir.join(&spec.bbf)).unwrap();
        let model = bbf::parse(&xml).unwrap();
        let index = model_index(&model);
        for row in &p.parameters {
            let g = generic(&row.name);
            let (ty, writable) = index
                .get(&g)
                .unwrap_or_else(|| panic!("{name}: {g} is not in {}", spec.bbf));
            assert_eq!(&row.ty, ty, "{name}: type of {}", row.name);
            assert_eq!(
                row.writable, *writable,
                "{name}: writability of {}",
                row.name
            );
            // A cross-check that does not go through our parser: the object
            // (or, for a table row, its `{i}` form) is named verbatim in the XML.
            let object = &g[..=g.rfind('.').unwrap_or(0)];
            // Only object names end in a dot; long ones wrap after `<object`.
            let named = |o: &str| xml.contains(&format!("name=\"{o}\""));
            assert!(
                named(object) || named(&format!("{object}{{i}}.")),
                "{name}: no object named {object} in the XML"
            );
        }
    }
}

#[test]
fn committed_profiles_match_their_specs() {
    let Some(dir) = bbf_dir() else { return };
    for name in PROFILES {
        let spec = repo().join(format!("mappings/profiles/{name}.spec.json"));
        let generated = dmgen::generate_profile(&spec, &dir)
            .unwrap()
            .to_json()
            .unwrap();
        let committed =
            std::fs::read_to_string(repo().join(format!("mappings/profiles/{name}.json"))).unwrap();
        assert!(
            generated == committed,
            "mappings/profiles/{name}.json differs from its spec; regenerate it (mappings/README.md)"
        );
    }
}

#[test]
fn committed_facts_match_the_generator() {
    let Some(dir) = bbf_dir() else { return };
    for (file, text) in dmgen::generate_facts(&dir).unwrap() {
        let path = repo().join("mappings/facts").join(file);
        let committed =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            committed == text,
            "{} differs from the generator; regenerate it (mappings/README.md)",
            path.display()
        );
        assert!(text.len() < 1024 * 1024, "{file} is {} bytes", text.len());
    }
}
