//! End-to-end: the real `cwmp2usp decode` binary over every captured CPE
//! message and over USP Records, as an operator would run it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cwmp2usp"))
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn decode_file(path: &Path) -> Output {
    bin().arg("decode").arg(path).output().unwrap()
}

fn decode_stdin(input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = bin()
        .args(["decode", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "decode failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn fixtures() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for stack in ["easycwmp", "genieacs-sim"] {
        for entry in std::fs::read_dir(root().join("tests/fixtures/cwmp").join(stack)).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    files.sort();
    files
}

#[test]
fn decodes_every_captured_cpe_message() {
    let files = fixtures();
    assert!(files.len() >= 20, "fixtures missing: {files:?}");
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let kind = name.split('-').next().unwrap();
        let v = json(&decode_file(&file));
        assert_eq!(v["kind"], "cwmp", "{name}");
        assert!(v["http"]["start_line"]
            .as_str()
            .unwrap()
            .starts_with("POST "));
        if kind == "EmptyPost" {
            assert_eq!(v["method"], "empty", "{name}");
        } else {
            assert_eq!(v["method"], kind, "{name}");
            assert_eq!(v["envelope"]["body"]["method"], kind, "{name}");
        }
    }
}

#[test]
fn inform_fields_reach_the_json() {
    let v = json(&decode_file(
        &root().join("tests/fixtures/cwmp/easycwmp/Inform-00001-FFFFFF123456.txt"),
    ));
    let text = v["envelope"].to_string();
    for needle in [
        "FFFFFF123456",
        "7 TRANSFER COMPLETE",
        "M Download",
        "easycwmp",
    ] {
        assert!(text.contains(needle), "{needle} missing from {text}");
    }
}

#[test]
fn bare_xml_on_stdin_and_compact_output() {
    let dump = std::fs::read(root().join("examples/cwmp/inform-genieacs-sim.http")).unwrap();
    let body_at = dump.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
    let v = json(&decode_stdin(&dump[body_at..]));
    assert_eq!(v["kind"], "cwmp");
    assert_eq!(v["method"], "Inform");
    assert_eq!(v["envelope"]["version"], "cwmp-1-0");

    let out = bin()
        .args(["decode", "--compact"])
        .arg(root().join("examples/cwmp/inform-genieacs-sim.http"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim().lines().count(),
        1
    );
}

fn assert_one_line_error(out: &Output) {
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with("cwmp2usp decode: "), "{err}");
}

#[test]
fn bad_input_gives_one_line_error_and_nonzero_exit() {
    assert_one_line_error(&decode_file(Path::new("/nonexistent/file")));
    assert_one_line_error(&decode_stdin(b""));
    assert_one_line_error(&decode_stdin(b"\x08\x96\x01garbage"));
    assert_one_line_error(&decode_stdin(
        b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>",
    ));
    assert_one_line_error(&decode_stdin(b"<soap:Envelope"));
    assert_one_line_error(&decode_stdin(b"POST / HTTP/1.1\nHost: x\n"));
}

#[test]
fn decodes_usp_records_with_their_msg() {
    let v = json(&decode_file(&root().join("examples/usp/get-record.bin")));
    assert_eq!(v["kind"], "usp");
    assert_eq!(v["record"]["version"], "1.4");
    assert_eq!(v["record"]["to_id"], "os::00D09E-CPE0001");
    assert_eq!(v["msg"]["header"]["msg_type"], "GET");
    assert_eq!(
        v["msg"]["body"]["request"]["get"]["param_paths"][1],
        "Device.WiFi.SSID.[Enable==true].SSID"
    );

    let bytes = std::fs::read(root().join("examples/usp/get-resp-record.bin")).unwrap();
    let v = json(&decode_stdin(&bytes));
    let result = &v["msg"]["body"]["response"]["get_resp"]["req_path_results"][0];
    assert_eq!(
        result["resolved_path_results"][0]["result_params"]["SerialNumber"],
        "CPE0001"
    );
}

#[test]
fn truncated_usp_record_is_a_one_line_error() {
    let bytes = std::fs::read(root().join("examples/usp/get-record.bin")).unwrap();
    for cut in [1, 10, bytes.len() / 2, bytes.len() - 1] {
        assert_one_line_error(&decode_stdin(&bytes[..cut]));
    }
}
