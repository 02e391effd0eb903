//! Fuzz the native MQTT client's protocol: whatever a broker sends after
//! our CONNECT, in whatever read sizes, nothing may panic and nothing may
//! be buffered beyond one packet's limit (the entry point checks both
//! through the protocol's own limits).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mtp::mqtt::fuzz_session(data);
});
