//! Validates CWMP messages against the BBF schemas with `xmllint`, offline.
//! Shared by crates/cwmp/tests/xsd.rs (every message kind the codec emits)
//! and the simulator's end-to-end tests (everything the simulator sent).
//!
//! The BBF schemas import the SOAP envelope/encoding schemas and include
//! each other by `http://` URL; an XML catalog written at run time maps
//! those URLs to our own minimal SOAP schemas in `xsd/` and to the BBF files
//! in `../shared/bbf`. A wrapper schema imports SOAP plus the cwmp schema
//! under test; our SOAP schema validates Body content strictly, so every
//! RPC element must match its cwmp declaration.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Both including crates live at crates/<name>, so this is the repository.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Writes past the test harness's output capture, so skips and counts show
/// in CI logs even when the test passes.
pub fn loud(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// The BBF folder, or `None` after printing SKIPPED; panics under CI, which
/// must have both xmllint and ../shared.
pub fn prerequisites(what: &str) -> Option<PathBuf> {
    let bbf = root().join("../shared/bbf");
    let reason = if !bbf.join("cwmp-1-4.xsd").is_file() {
        Some(format!("{} not found", bbf.display()))
    } else if Command::new("xmllint").arg("--version").output().is_err() {
        Some("xmllint not installed".to_string())
    } else {
        None
    };
    match reason {
        None => Some(bbf.canonicalize().unwrap()),
        Some(r) if std::env::var_os("CI").is_some() => {
            panic!("{what} cannot run under CI: {r}")
        }
        Some(r) => {
            loud(&format!("SKIPPED: {what} ({r})"));
            None
        }
    }
}

fn url(p: &Path) -> String {
    format!("file://{}", p.display())
}

/// A scratch directory holding the catalog and the wrapper schemas
/// `wrap-1-0.xsd`, `wrap-1-1.xsd` and `wrap-1-2.xsd`.
pub struct Setup {
    dir: PathBuf,
    catalog: PathBuf,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn setup(bbf: &Path, tag: &str) -> Setup {
    let dir = std::env::temp_dir().join(format!("cwmp2usp-xsd-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ours = root().join("xsd").canonicalize().unwrap();
    let maps = [
        (
            "http://schemas.xmlsoap.org/soap/envelope/",
            ours.join("soap-envelope.xsd"),
        ),
        (
            "http://schemas.xmlsoap.org/soap/encoding/",
            ours.join("soap-encoding.xsd"),
        ),
        (
            "http://www.broadband-forum.org/cwmp/cwmp-1-2.xsd",
            bbf.join("cwmp-1-2.xsd"),
        ),
        (
            "http://www.broadband-forum.org/cwmp/cwmp-1-3.xsd",
            bbf.join("cwmp-1-3.xsd"),
        ),
    ];
    let mut catalog = String::from(
        "<?xml version=\"1.0\"?>\n<catalog xmlns=\"urn:oasis:names:tc:entity:xmlns:xml:catalog\">\n",
    );
    for (from, to) in &maps {
        // libxml2 looks schema locations up as URIs and as system IDs.
        catalog.push_str(&format!("  <uri name=\"{from}\" uri=\"{}\"/>\n", url(to)));
        catalog.push_str(&format!(
            "  <system systemId=\"{from}\" uri=\"{}\"/>\n",
            url(to)
        ));
    }
    catalog.push_str("</catalog>\n");
    let catalog_path = dir.join("catalog.xml");
    std::fs::write(&catalog_path, catalog).unwrap();
    for (name, ns, file) in [
        ("wrap-1-0.xsd", "urn:dslforum-org:cwmp-1-0", "cwmp-1-0.xsd"),
        ("wrap-1-1.xsd", "urn:dslforum-org:cwmp-1-1", "cwmp-1-1.xsd"),
        // cwmp-1-3.xsd and cwmp-1-4.xsd keep the 1-2 target namespace.
        ("wrap-1-2.xsd", "urn:dslforum-org:cwmp-1-2", "cwmp-1-4.xsd"),
    ] {
        let xsd = format!(
            "<?xml version=\"1.0\"?>\n<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n  \
             <xs:import namespace=\"http://schemas.xmlsoap.org/soap/envelope/\" schemaLocation=\"http://schemas.xmlsoap.org/soap/envelope/\"/>\n  \
             <xs:import namespace=\"{ns}\" schemaLocation=\"{}\"/>\n</xs:schema>\n",
            url(&bbf.join(file))
        );
        std::fs::write(dir.join(name), xsd).unwrap();
    }
    Setup {
        dir,
        catalog: catalog_path,
    }
}

/// Runs xmllint on `docs` (name, xml) against one wrapper schema; returns
/// the invalid ones with xmllint's messages.
pub fn validate(s: &Setup, schema: &str, docs: &[(String, String)]) -> Vec<(String, String)> {
    if docs.is_empty() {
        return Vec::new();
    }
    let mut files = Vec::new();
    for (i, (name, xml)) in docs.iter().enumerate() {
        let f = s.dir.join(format!("{schema}-{i:04}-{name}.xml"));
        std::fs::write(&f, xml).unwrap();
        files.push((name.clone(), f));
    }
    let out = Command::new("xmllint")
        .env("XML_CATALOG_FILES", &s.catalog)
        .args(["--noout", "--nonet", "--schema"])
        .arg(s.dir.join(schema))
        .args(files.iter().map(|(_, f)| f))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("failed to compile"),
        "schema did not load:\n{stderr}"
    );
    files
        .iter()
        .filter_map(|(name, f)| {
            let f = f.display().to_string();
            let ok = stderr.lines().any(|l| l == format!("{f} validates"));
            let msgs: Vec<_> = stderr.lines().filter(|l| l.starts_with(&f)).collect();
            (!ok).then(|| (name.clone(), msgs.join("\n")))
        })
        .collect()
}

/// The wrapper schema for a document, by the cwmp namespace it uses; 1-3
/// and 1-4 documents are rewritten to 1-2 (see `setup`).
pub fn schema_and_doc(xml: &str) -> (&'static str, String) {
    if xml.contains("urn:dslforum-org:cwmp-1-0") {
        ("wrap-1-0.xsd", xml.to_string())
    } else if xml.contains("urn:dslforum-org:cwmp-1-1") {
        ("wrap-1-1.xsd", xml.to_string())
    } else {
        let xml = xml
            .replace("urn:dslforum-org:cwmp-1-3", "urn:dslforum-org:cwmp-1-2")
            .replace("urn:dslforum-org:cwmp-1-4", "urn:dslforum-org:cwmp-1-2");
        ("wrap-1-2.xsd", xml)
    }
}

/// Validates documents of any cwmp version; returns the invalid ones.
pub fn invalid(bbf: &Path, tag: &str, docs: &[(String, String)]) -> Vec<(String, String)> {
    let s = setup(bbf, tag);
    let mut failures = Vec::new();
    for schema in ["wrap-1-0.xsd", "wrap-1-1.xsd", "wrap-1-2.xsd"] {
        let mine: Vec<(String, String)> = docs
            .iter()
            .filter_map(|(name, xml)| {
                let (sch, doc) = schema_and_doc(xml);
                (sch == schema).then(|| (name.clone(), doc))
            })
            .collect();
        failures.extend(validate(&s, schema, &mine));
    }
    failures
}
