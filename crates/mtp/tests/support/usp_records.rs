//! USP Records for MTP tests, built with our builders and read back with
//! rusp-lib, so a shell that mangled bytes would be caught by both.

use usp::record;

pub fn get_request(controller: &str, agent: &str, msg_id: &str) -> Vec<u8> {
    let msg = usp::msg::get(msg_id, ["Device.DeviceInfo."], 0);
    usp::encode_record(&record::no_session_context(agent, controller, &msg))
}

/// Checks `bytes` is a Record from `from` to `to`, as rusp-lib sees it.
pub fn assert_record(bytes: &[u8], from: &str, to: &str) {
    let r = rusp_lib::usp_decoder::try_decode_record(bytes).expect("rusp decodes the Record");
    assert_eq!((r.from_id.as_str(), r.to_id.as_str()), (from, to));
    let ours = usp::decode_record(bytes).expect("we decode the Record");
    assert_eq!(ours.record.from_id, from);
}
