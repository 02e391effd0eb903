//! Compiles `proto/usp-{record,msg}-1-4.proto` with protox (pure Rust, so no
//! system `protoc`) and hands the descriptor set to prost-build.

use std::path::PathBuf;

const PROTOS: [&str; 2] = ["usp-record-1-4.proto", "usp-msg-1-4.proto"];

/// Enum-typed fields: serialized as their proto names (e.g. `"GET_RESP"`)
/// instead of bare numbers, so `decode` JSON is readable. Each entry is
/// (fully-qualified field path, helper in `crate::proto::enum_names`).
const ENUM_FIELDS: [(&str, &str); 11] = [
    (".usp_record.Record.payload_security", "payload_security"),
    (
        ".usp_record.SessionContextRecord.payload_sar_state",
        "sar_state",
    ),
    (
        ".usp_record.SessionContextRecord.payloadrec_sar_state",
        "sar_state",
    ),
    (".usp_record.MQTTConnectRecord.version", "mqtt_version"),
    (".usp_record.STOMPConnectRecord.version", "stomp_version"),
    (".usp.Header.msg_type", "msg_type"),
    (
        ".usp.GetSupportedDMResp.SupportedObjectResult.access",
        "obj_access",
    ),
    (
        ".usp.GetSupportedDMResp.SupportedParamResult.access",
        "param_access",
    ),
    (
        ".usp.GetSupportedDMResp.SupportedParamResult.value_type",
        "value_type",
    ),
    (
        ".usp.GetSupportedDMResp.SupportedParamResult.value_change",
        "value_change",
    ),
    (
        ".usp.GetSupportedDMResp.SupportedCommandResult.command_type",
        "cmd_type",
    ),
];

/// Bytes fields print as hex (a JSON array of numbers is unreadable); the
/// Record payload is decoded separately anyway.
const BYTES_FIELDS: [(&str, &str); 4] = [
    (".usp_record.Record.mac_signature", "hex"),
    (".usp_record.Record.sender_cert", "hex"),
    (".usp_record.NoSessionContextRecord.payload", "hex"),
    (".usp_record.SessionContextRecord.payload", "hex_list"),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    println!("cargo:rerun-if-changed={}", proto_dir.display());
    for file in PROTOS {
        println!("cargo:rerun-if-changed={}", proto_dir.join(file).display());
    }

    let fds = protox::compile(PROTOS, [&proto_dir])?;

    let mut config = prost_build::Config::new();
    // Messages, enums and oneofs alike get Serialize.
    config.type_attribute(".", "#[derive(serde::Serialize)]");
    // Oneof variants print under their proto field names ("get_resp").
    config.enum_attribute(".", "#[serde(rename_all = \"snake_case\")]");
    // `bytes::Bytes` for bytes fields: with `Vec<u8>` prost copies every
    // payload twice while decoding (via an intermediate `Bytes`).
    config.bytes(["."]);
    // Sorted maps: deterministic encoding and JSON output.
    config.btree_map(["."]);
    for (field, helper) in ENUM_FIELDS {
        config.field_attribute(
            field,
            format!("#[serde(serialize_with = \"crate::proto::enum_names::{helper}\")]"),
        );
    }
    for (field, helper) in BYTES_FIELDS {
        config.field_attribute(
            field,
            format!("#[serde(serialize_with = \"crate::proto::bytes_text::{helper}\")]"),
        );
    }
    config.compile_fds(fds)?;
    Ok(())
}
