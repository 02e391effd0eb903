//! Property tests: Msgs of every type (arbitrary strings, maps, codes) and
//! the Records carrying them survive encode → decode unchanged.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use usp::msg::{self, notify};
use usp::proto::usp::{notify::Notification, Msg};
use usp::proto::usp_record::mqtt_connect_record::MqttVersion;
use usp::{decode_msg, decode_record, encode_msg, encode_record, record};

fn text() -> impl Strategy<Value = String> {
    // Mostly path-like ASCII, sometimes any Unicode (including "").
    prop_oneof![3 => "[A-Za-z0-9_.{}*\\[\\]=\"!()-]{0,24}", 1 => any::<String>()]
}

fn texts() -> impl Strategy<Value = Vec<String>> {
    vec(text(), 0..4)
}

fn kv() -> impl Strategy<Value = std::collections::BTreeMap<String, String>> {
    btree_map(text(), text(), 0..5)
}

fn settings() -> impl Strategy<Value = Vec<(String, String, bool)>> {
    vec((text(), text(), any::<bool>()), 0..4)
}

fn notification() -> impl Strategy<Value = Notification> {
    prop_oneof![
        (text(), text(), kv()).prop_map(|(p, n, m)| notify::event(p, n, m)),
        (text(), text()).prop_map(|(p, v)| notify::value_change(p, v)),
        (text(), kv()).prop_map(|(p, k)| notify::obj_creation(p, k)),
        text().prop_map(notify::obj_deletion),
        (text(), text(), text(), kv())
            .prop_map(|(p, c, k, a)| notify::oper_complete_ok(p, c, k, a)),
        (text(), text(), text(), any::<u32>(), text())
            .prop_map(|(p, c, k, e, m)| notify::oper_complete_failure(p, c, k, e, m)),
        (text(), text(), text(), text()).prop_map(|(a, b, c, d)| notify::on_board_req(a, b, c, d)),
    ]
}

fn request() -> impl Strategy<Value = Msg> {
    prop_oneof![
        (text(), texts(), any::<u32>()).prop_map(|(id, p, d)| msg::get(id, p, d)),
        (text(), any::<bool>(), vec((text(), settings()), 0..3)).prop_map(|(id, ap, objs)| {
            msg::set(
                id,
                ap,
                objs.into_iter().map(|(p, s)| msg::set_obj(p, s)).collect(),
            )
        }),
        (text(), any::<bool>(), vec((text(), settings()), 0..3)).prop_map(|(id, ap, objs)| {
            msg::add(
                id,
                ap,
                objs.into_iter().map(|(p, s)| msg::add_obj(p, s)).collect(),
            )
        }),
        (text(), any::<bool>(), texts()).prop_map(|(id, ap, p)| msg::delete(id, ap, p)),
        (text(), text(), text(), any::<bool>(), kv())
            .prop_map(|(id, c, k, r, a)| msg::operate(id, c, k, r, a)),
        (text(), text(), any::<bool>(), notification())
            .prop_map(|(id, s, r, n)| msg::notify(id, s, r, n)),
        (text(), texts(), any::<bool>()).prop_map(|(id, p, f)| msg::get_supported_dm(id, p, f)),
        (text(), texts(), any::<bool>()).prop_map(|(id, p, f)| msg::get_instances(id, p, f)),
        (text(), text()).prop_map(|(id, v)| msg::get_supported_protocol(id, v)),
        (text(), any::<bool>(), texts()).prop_map(|(id, ap, p)| msg::register(id, ap, p)),
        (text(), texts()).prop_map(|(id, p)| msg::deregister(id, p)),
    ]
}

fn response() -> impl Strategy<Value = Msg> {
    let get_result = prop_oneof![
        (text(), vec((text(), kv()), 0..3)).prop_map(|(p, r)| {
            msg::get_path_ok(
                p,
                r.into_iter().map(|(rp, m)| msg::resolved(rp, m)).collect(),
            )
        }),
        (text(), any::<u32>(), text()).prop_map(|(p, c, m)| msg::get_path_err(p, c, m)),
    ];
    prop_oneof![
        (text(), vec(get_result, 0..3)).prop_map(|(id, r)| msg::get_resp(id, r)),
        (text(), text(), kv(), text(), any::<u32>(), text()).prop_map(|(id, p, m, f, c, e)| {
            msg::set_resp(
                id,
                vec![
                    msg::set_obj_ok(p.clone(), vec![msg::set_inst_ok(p, m)]),
                    msg::set_obj_failure(f, c, e, vec![]),
                ],
            )
        }),
        (text(), text(), text(), kv(), any::<u32>(), text()).prop_map(|(id, p, i, k, c, e)| {
            msg::add_resp(
                id,
                vec![
                    msg::add_obj_ok(p.clone(), i, k),
                    msg::add_obj_failure(p, c, e),
                ],
            )
        }),
        (text(), text(), texts(), any::<u32>(), text()).prop_map(|(id, p, a, c, e)| {
            msg::delete_resp(
                id,
                vec![
                    msg::delete_obj_ok(p.clone(), a),
                    msg::delete_obj_failure(p, c, e),
                ],
            )
        }),
        (text(), text(), kv(), text(), any::<u32>(), text()).prop_map(|(id, cmd, o, r, c, e)| {
            msg::operate_resp(
                id,
                vec![
                    msg::operate_output(cmd.clone(), o),
                    msg::operate_async(cmd.clone(), r),
                    msg::operate_failure(cmd, c, e),
                ],
            )
        }),
        (text(), text()).prop_map(|(id, s)| msg::notify_resp(id, s)),
        (text(), text(), vec((text(), kv()), 0..3)).prop_map(|(id, p, insts)| {
            msg::get_instances_resp(
                id,
                vec![msg::instances_ok(
                    p,
                    insts
                        .into_iter()
                        .map(|(i, k)| msg::instance(i, k))
                        .collect(),
                )],
            )
        }),
        (text(), text()).prop_map(|(id, v)| msg::get_supported_protocol_resp(id, v)),
        (text(), text(), text(), any::<u32>(), text()).prop_map(|(id, p, r, c, e)| {
            msg::register_resp(
                id,
                vec![
                    msg::register_ok(p.clone(), r),
                    msg::register_failure(p, c, e),
                ],
            )
        }),
        (text(), text(), texts(), any::<u32>(), text()).prop_map(|(id, p, d, c, e)| {
            msg::deregister_resp(
                id,
                vec![
                    msg::deregister_ok(p.clone(), d),
                    msg::deregister_failure(p, c, e),
                ],
            )
        }),
        (
            text(),
            any::<u32>(),
            text(),
            vec((text(), any::<u32>(), text()), 0..3)
        )
            .prop_map(|(id, c, m, pe)| {
                msg::error(
                    id,
                    c,
                    m,
                    pe.into_iter()
                        .map(|(p, c, m)| msg::param_error(p, c, m))
                        .collect(),
                )
            }),
    ]
}

fn any_msg() -> impl Strategy<Value = Msg> {
    prop_oneof![request(), response()]
}

proptest! {
    #[test]
    fn msg_round_trips(m in any_msg()) {
        if !m.msg_id().is_empty() {
            prop_assert_eq!(m.validate(), Ok(()));
        }
        let bytes = encode_msg(&m);
        prop_assert_eq!(decode_msg(&bytes).unwrap(), m);
    }

    #[test]
    fn no_session_record_round_trips(m in any_msg(), to in text(), from in text()) {
        let r = record::no_session_context(to, from, &m);
        let d = decode_record(&encode_record(&r)).unwrap();
        prop_assert_eq!(d.record, r);
        prop_assert_eq!(d.msg, Some(m));
    }

    #[test]
    fn session_record_round_trips(m in any_msg(), ids in any::<(u64, u64, u64)>()) {
        let r = record::session_context("a", "b", ids.0, ids.1, ids.2, &m);
        let d = decode_record(&encode_record(&r)).unwrap();
        prop_assert_eq!(d.record, r);
        prop_assert_eq!(d.msg, Some(m));
    }

    #[test]
    fn control_records_round_trip(to in text(), from in text(), t in text(), code in any::<u32>(), v5 in any::<bool>(), minor in 0u32..100) {
        let version = if v5 { MqttVersion::V5 } else { MqttVersion::V311 };
        for mut r in [
            record::websocket_connect(to.clone(), from.clone()),
            record::mqtt_connect(to.clone(), from.clone(), version, t.clone()),
            record::stomp_connect(to.clone(), from.clone(), t.clone()),
            record::uds_connect(to.clone(), from.clone()),
            record::disconnect(to.clone(), from.clone(), t.clone(), code),
        ] {
            r.version = format!("1.{minor}");
            let d = decode_record(&encode_record(&r)).unwrap();
            prop_assert_eq!(d.msg, None);
            prop_assert_eq!(d.record, r);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..512)) {
        if let Ok(d) = decode_record(&bytes) {
            let again = decode_record(&encode_record(&d.record)).unwrap();
            prop_assert_eq!(again, d);
        }
    }
}
