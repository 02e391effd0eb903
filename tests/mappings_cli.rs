//! `cwmp2usp mappings check` as an operator runs it: the built-in packs
//! pass; an operator's own pack is checked too, and its mistakes named.

use std::process::{Command, Output};

fn check(extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cwmp2usp"))
        .args(["mappings", "check"])
        .args(extra)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn the_built_in_packs_pass() {
    let out = check(&[]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}{}", text(&out.stdout));
    assert!(
        err.contains("tr098-core:") && err.contains("0 problems"),
        "{err}"
    );
    assert!(err.contains("vendor-huawei-hg8245:"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn an_operator_pack_is_checked_and_its_mistakes_named() {
    let dir = tempfile::tempdir().unwrap();
    let pack = r#"
[pack]
name = "lab-override"
extends = "tr098-core"

[[object]]
usp = "Device.Time."
cwmp = "InternetGatewayDevice.Time."
[object.params]
NTPServer9 = "NTPServer1"
"#;
    std::fs::write(dir.path().join("lab.toml"), pack).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a pack").unwrap();
    let out = check(&["--packs", dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let said = text(&out.stdout);
    assert!(
        said.contains("lab-override: Device.Time. <- InternetGatewayDevice.Time.: NTPServer9: TR-181 has no parameter Device.Time.NTPServer9"),
        "{said}"
    );

    std::fs::write(dir.path().join("lab.toml"), "[pack\nname=").unwrap();
    let out = check(&["--packs", dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.starts_with("cwmp2usp mappings: ") && err.contains("lab.toml"),
        "{err}"
    );
}
