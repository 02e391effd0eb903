//! Feeds arbitrary bytes to `usp::decode_record`: it must never panic, and
//! whatever it accepts must survive re-encoding unchanged. The borrowed and
//! owned-buffer decoders must agree, and agree with prost alone (the
//! decoders scan the envelope themselves before handing over to prost).
#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message as _;

fuzz_target!(|data: &[u8]| {
    let result = usp::decode_record(data);
    // The owned-buffer entry point must agree exactly.
    let owned = usp::decode_record_bytes(usp::bytes::Bytes::copy_from_slice(data));
    assert_eq!(owned, result);
    if data.len() <= usp::record::MAX_RECORD_SIZE {
        match usp::Record::decode(data) {
            Err(e) => assert_eq!(result, Err(usp::RecordError::Parse(e))),
            Ok(r) => {
                if let Ok(decoded) = &result {
                    assert_eq!(decoded.record, r);
                }
            }
        }
    }
    if let Ok(decoded) = result {
        let bytes = usp::encode_record(&decoded.record);
        let again = usp::decode_record(&bytes).expect("re-encoded record must decode");
        assert_eq!(again, decoded);
        if let Some(msg) = &decoded.msg {
            let m = usp::decode_msg(&usp::encode_msg(msg)).expect("re-encoded msg must decode");
            assert_eq!(&m, msg);
            let _ = msg.validate();
        }
    }
});
