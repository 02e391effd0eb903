//! Helpers for the notification tests: subscriptions added over USP,
//! Happenings, and the Notify messages among actions.

use std::time::{Duration, SystemTime};

use agent::{Action, Agents, Happening, LinkUp, MqttVersion, ReplyTo};
use usp::msg;
use usp::proto::usp::add_resp::created_object_result::operation_status::OperStatus;
use usp::proto::usp::request::ReqType;
use usp::proto::usp::response::RespType;
use usp::proto::usp::Notify;

use super::*;

pub fn low() -> u32 {
    0
}

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// (to, to_id, msg_id, Notify) of each Notify among `actions`.
pub fn notifies(actions: &[Action]) -> Vec<(ReplyTo, String, String, Notify)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send { to, record, .. } => {
                let (rec, m) = crosscheck(record);
                let m = m?;
                let Some(ReqType::Notify(n)) = m.request() else {
                    return None;
                };
                Some((to.clone(), rec.to_id, m.msg_id().to_owned(), n.clone()))
            }
            _ => None,
        })
        .collect()
}

pub fn ids(actions: &[Action]) -> Vec<String> {
    let mut v: Vec<_> = notifies(actions)
        .into_iter()
        .map(|n| n.3.subscription_id)
        .collect();
    v.sort();
    v
}

pub fn brokers_up(a: &mut Agents, eid: &str) {
    let mqtt = LinkUp::Mqtt {
        version: MqttVersion::V5,
        subscribed_topic: format!("usp/agent/{eid}"),
    };
    a.on_mtp_up(eid, &mqtt, t0());
    let stomp = LinkUp::Stomp {
        subscribed_destination: format!("/queue/{eid}"),
    };
    a.on_mtp_up(eid, &stomp, t0());
}

/// Adds an enabled subscription from `from`; returns its instance and
/// every action of the Add.
pub fn subscribe_with(
    a: &mut Agents,
    eid: &str,
    from: &str,
    params: &[(&str, &str)],
) -> (u32, Vec<Action>) {
    let settings: Vec<_> = params.iter().map(|&(k, v)| (k, v, true)).collect();
    let m = msg::add(
        format!("add-{}", params[0].1),
        false,
        vec![msg::add_obj("Device.LocalAgent.Subscription.", settings)],
    );
    let out = a.handle_record(eid, &record_from(from, eid, &m), reply_to(), t0());
    let Some(Action::Send { record, .. }) = out.first() else {
        panic!("{out:?}")
    };
    let got = crosscheck(record).1.unwrap();
    let RespType::AddResp(r) = resp(&got) else {
        panic!("{got:?}")
    };
    let Some(OperStatus::OperSuccess(ok)) = r.created_obj_results[0]
        .oper_status
        .as_ref()
        .and_then(|s| s.oper_status.clone())
    else {
        panic!("{r:?}")
    };
    let n = ok
        .instantiated_path
        .trim_end_matches('.')
        .rsplit('.')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    (n, out)
}

pub fn subscribe(a: &mut Agents, eid: &str, id: &str, kind: &str, refs: &str) -> u32 {
    let p = [
        ("ID", id),
        ("NotifType", kind),
        ("ReferenceList", refs),
        ("Enable", "true"),
    ];
    subscribe_with(a, eid, C1, &p).0
}

pub fn value_change(path: &str, value: &str) -> Happening {
    Happening::ValueChange {
        path: path.into(),
        value: value.into(),
    }
}

pub fn set_sub(a: &mut Agents, eid: &str, n: u32, param: &str, v: &str) -> Vec<Action> {
    let m = msg::set(
        format!("set-{n}-{param}-{v}"),
        false,
        vec![msg::set_obj(
            format!("Device.LocalAgent.Subscription.{n}."),
            [(param, v, true)],
        )],
    );
    a.handle_record(eid, &record_from(C1, eid, &m), reply_to(), t0())
}

pub fn watches(actions: &[Action]) -> Vec<Vec<String>> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Watch { paths, .. } => Some(paths.clone()),
            _ => None,
        })
        .collect()
}

pub fn set_controller(a: &mut Agents, eid: &str, c: u32, params: &[(&str, &str)], now: SystemTime) {
    let settings: Vec<_> = params.iter().map(|&(k, v)| (k, v, true)).collect();
    let m = msg::set(
        format!("sc-{c}-{}", params[0].1),
        false,
        vec![msg::set_obj(
            format!("Device.LocalAgent.Controller.{c}."),
            settings,
        )],
    );
    let out = a.handle_record(eid, &record_from(C1, eid, &m), reply_to(), now);
    assert!(!out.is_empty());
}
