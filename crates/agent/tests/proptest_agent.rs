//! Hostile input: arbitrary bytes as Records and arbitrary path-ish text
//! as Get paths never panic, and answers stay bounded.

mod common;
use common::*;

use agent::Action;
use proptest::prelude::*;
use usp::msg;

/// Path-like text: mostly the grammar's alphabet, some of it valid.
fn pathish() -> impl Strategy<Value = String> {
    prop_oneof![
        "Device\\.(LocalAgent\\.)?[A-Za-z*{}\\[\\]=!<>~&\"+#0-9. ]{0,40}",
        "Device\\.LocalAgent\\.(Controller|MTP|Subscription|Request)\\.(\\*|[0-9]|\\[[A-Za-z]{1,12}(==|!=|<|>=|~=)(\"[a-z:]{0,8}\"|[0-9a-z]{1,4})\\])\\.([A-Za-z]{0,12}|MTP\\.\\*\\.Protocol|Recipient\\+\\.EndpointID)",
        ".{0,60}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let (mut a, eid) = setup();
        let out = a.handle_record(&eid, &bytes, reply_to(), t0());
        let out = settle(&mut a, out, t0());
        prop_assert!(out.len() <= 2);
        for x in &out {
            if let Action::Send { record, .. } = x {
                prop_assert!(record.len() <= 64 * 1024);
            }
        }
    }

    #[test]
    fn mutated_valid_records_never_panic(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let (mut a, eid) = setup();
        let m = msg::set("s", false, vec![msg::set_obj("Device.LocalAgent.Controller.1.", [("Alias", "x", true)])]);
        let mut bytes = record_from(C1, &eid, &m);
        for (i, b) in flips {
            let n = bytes.len();
            bytes[i % n] ^= b;
        }
        let out = a.handle_record(&eid, &bytes, reply_to(), t0());
        let out = settle(&mut a, out, t0());
        prop_assert!(out.len() <= 2);
    }

    #[test]
    fn arbitrary_paths_in_get_never_panic(paths in proptest::collection::vec(pathish(), 1..4), depth in 0u32..4) {
        let (mut a, eid) = setup();
        let m = msg::get("g", paths.iter().map(String::as_str), depth);
        let out = a.handle_record(&eid, &record_from(C1, &eid, &m), reply_to(), t0());
        let out = settle(&mut a, out, t0());
        prop_assert_eq!(out.len(), 1);
        let Action::Send { record, .. } = &out[0] else { panic!() };
        let (_, msg) = crosscheck(record);
        let msg = msg.unwrap();
        prop_assert_eq!(msg.msg_id(), "g");
        // Either a GetResp with one result per path, in order, or nothing else.
        let Some(usp::proto::usp::response::RespType::GetResp(g)) = msg.response() else { panic!("{msg:?}") };
        prop_assert_eq!(g.req_path_results.len(), paths.len());
        for (r, p) in g.req_path_results.iter().zip(&paths) {
            prop_assert_eq!(&r.requested_path, p);
        }
    }

    #[test]
    fn arbitrary_paths_in_writes_never_panic(path in pathish(), value in ".{0,20}", partial in any::<bool>()) {
        let (mut a, eid) = setup();
        for m in [
            msg::set("s", partial, vec![msg::set_obj(path.as_str(), [("Enable", value.as_str(), true)])]),
            msg::add("a", partial, vec![msg::add_obj(path.as_str(), [("ID", value.as_str(), false)])]),
            msg::delete("d", partial, [path.as_str()]),
            msg::get_instances("i", [path.as_str()], partial),
            msg::get_supported_dm("m", [path.as_str()], partial),
        ] {
            let out = a.handle_record(&eid, &record_from(C1, &eid, &m), reply_to(), t0());
        let out = settle(&mut a, out, t0());
            prop_assert!(!out.is_empty());
            if let Action::Send { record, .. } = &out[0] {
                crosscheck(record);
            }
        }
    }
}
