//! The binary Records shipped in examples/usp are built here, so they cannot
//! drift from what the codec produces. Regenerate with
//! `UPDATE_EXAMPLES=1 cargo test -p usp --test examples`.

use std::path::PathBuf;

use usp::{msg, record};

fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/usp")
}

fn check(name: &str, bytes: Vec<u8>) {
    let path = examples_dir().join(name);
    if std::env::var_os("UPDATE_EXAMPLES").is_some() {
        std::fs::write(&path, &bytes).unwrap();
    }
    let shipped = std::fs::read(&path).unwrap();
    assert_eq!(
        shipped, bytes,
        "{name} is stale: rerun with UPDATE_EXAMPLES=1"
    );
    // Every shipped example must decode, Msg included.
    let decoded = usp::decode_record(&shipped).unwrap();
    assert!(decoded.msg.is_some(), "{name} carries no Msg");
}

#[test]
fn get_request_example() {
    let get = msg::get(
        "get-1",
        ["Device.DeviceInfo.", "Device.WiFi.SSID.[Enable==true].SSID"],
        0,
    );
    check(
        "get-record.bin",
        record::encode_record(&record::no_session_context(
            "os::00D09E-CPE0001",
            "self::usp-controller",
            &get,
        )),
    );
}

#[test]
fn get_resp_example() {
    let resp = msg::get_resp(
        "get-1",
        vec![msg::get_path_ok(
            "Device.DeviceInfo.",
            vec![msg::resolved(
                "Device.DeviceInfo.",
                [
                    ("Manufacturer", "Example"),
                    ("ManufacturerOUI", "00D09E"),
                    ("SerialNumber", "CPE0001"),
                    ("SoftwareVersion", "1.2.3"),
                ],
            )],
        )],
    );
    check(
        "get-resp-record.bin",
        record::encode_record(&record::no_session_context(
            "self::usp-controller",
            "os::00D09E-CPE0001",
            &resp,
        )),
    );
}
