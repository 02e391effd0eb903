//! Parses arbitrary bytes as a CWMP message. Oracle: whatever parses must
//! survive emit -> parse unchanged, and emitting must be deterministic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(env) = cwmp::parse(data) else { return };
    let xml = env.to_xml();
    let again = match cwmp::parse(xml.as_bytes()) {
        Ok(again) => again,
        Err(e) => panic!("re-parse of our own output failed: {e}\n{xml}"),
    };
    assert_eq!(again, env, "round trip changed the message\n{xml}");
    assert_eq!(again.to_xml(), xml);
    let _ = env.into_owned();
});
