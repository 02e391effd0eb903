//! Get over the LocalAgent model: shapes, max_depth, searches, references.

mod common;
use common::*;

use usp::msg;
use usp::proto::usp::get_resp::RequestedPathResult;
use usp::proto::usp::response::RespType;

fn get(paths: &[&str], depth: u32) -> Vec<RequestedPathResult> {
    let (mut a, eid) = setup();
    get_on(&mut a, &eid, paths, depth)
}

fn get_on(
    a: &mut agent::Agents,
    eid: &str,
    paths: &[&str],
    depth: u32,
) -> Vec<RequestedPathResult> {
    let m = ask(a, eid, &msg::get("g1", paths.iter().copied(), depth));
    match resp(&m) {
        RespType::GetResp(g) => g.req_path_results.clone(),
        r => panic!("{r:?}"),
    }
}

fn paths(r: &RequestedPathResult) -> Vec<&str> {
    r.resolved_path_results
        .iter()
        .map(|x| x.resolved_path.as_str())
        .collect()
}

fn add_subscription(a: &mut agent::Agents, eid: &str, from: &str, id: &str, enable: bool) {
    let m = msg::add(
        "a",
        false,
        vec![msg::add_obj(
            "Device.LocalAgent.Subscription.",
            [
                ("ID", id, true),
                ("NotifType", "ValueChange", true),
                ("ReferenceList", "Device.LocalAgent.UpTime", true),
                ("Enable", if enable { "true" } else { "false" }, true),
            ],
        )],
    );
    let r = ask_from(a, eid, from, &m);
    assert!(matches!(resp(&r), RespType::AddResp(_)), "{r:?}");
}

#[test]
fn max_depth_counts_object_levels() {
    // LAB (obuspa): 1 -> the object only, 2 -> plus first-level instances.
    let r = get(&["Device.LocalAgent."], 1);
    assert_eq!(paths(&r[0]), ["Device.LocalAgent."]);
    let r = get(&["Device.LocalAgent."], 2);
    assert_eq!(
        paths(&r[0]),
        [
            "Device.LocalAgent.",
            "Device.LocalAgent.MTP.1.",
            "Device.LocalAgent.MTP.2.",
            "Device.LocalAgent.Controller.1.",
            "Device.LocalAgent.Controller.2."
        ]
    );
    let all = get(&["Device.LocalAgent."], 0);
    // LocalAgent, 2 MTPs and 3 controller MTPs with their STOMP, WebSocket
    // and MQTT sub-objects, 2 controllers.
    assert_eq!(all[0].resolved_path_results.len(), 1 + 2 * 4 + 3 * 4 + 2);
    assert!(paths(&all[0]).contains(&"Device.LocalAgent.Controller.2.MTP.2.MQTT."));
    let top = &all[0].resolved_path_results[0].result_params;
    assert_eq!(top["EndpointID"], "os::00D09E-SN1");
    assert_eq!(top["UpTime"], "42");
    assert_eq!(top["SupportedProtocols"], "MQTT,STOMP");
    assert_eq!(top["ControllerNumberOfEntries"], "2");
}

#[test]
fn parameter_paths_resolve_to_their_object() {
    let r = get(
        &[
            "Device.LocalAgent.EndpointID",
            "Device.LocalAgent.Controller.2.MTP.1.STOMP.Destination",
        ],
        0,
    );
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].requested_path, "Device.LocalAgent.EndpointID");
    assert_eq!(r[0].err_code, 0);
    assert_eq!(
        r[0].resolved_path_results,
        vec![msg::resolved(
            "Device.LocalAgent.",
            [("EndpointID", "os::00D09E-SN1")]
        )]
    );
    assert_eq!(
        r[1].resolved_path_results,
        vec![msg::resolved(
            "Device.LocalAgent.Controller.2.MTP.1.STOMP.",
            [("Destination", "/queue/controller-2")]
        )]
    );
}

#[test]
fn errors_per_path_in_request_order() {
    let r = get(
        &[
            "Device.LocalAgent.Controller.9.",
            "Device.LocalAgent.Nope",
            "Device.LocalAgent.[Enable=true].",
            "Device.DeviceInfo.SerialNumber",
            "Device.LocalAgent.Controller.*.Enable",
            "Device.LocalAgent.Controller.[Enable=true].",
            "Device.LocalAgent.Reboot()",
        ],
        0,
    );
    let codes: Vec<u32> = r.iter().map(|x| x.err_code).collect();
    // 9 does not exist (R-GET.0), no such name, bad syntax, foreign path,
    // fine, `=` is not an operator, not a param/object path.
    assert_eq!(codes, [7026, 7026, 7008, 7026, 0, 7008, 7026]);
    assert!(r
        .iter()
        .all(|x| x.err_code == 0 || x.resolved_path_results.is_empty()));
    assert_eq!(r[4].resolved_path_results.len(), 2);
    assert!(r
        .iter()
        .filter(|x| x.err_code != 0)
        .all(|x| !x.err_msg.is_empty()));
}

#[test]
fn search_expressions() {
    let (mut a, eid) = setup();
    let r = get_on(
        &mut a,
        &eid,
        &["Device.LocalAgent.Controller.[EndpointID==\"proto::controller-2\"].Alias"],
        0,
    );
    assert_eq!(
        r[0].resolved_path_results,
        vec![msg::resolved(
            "Device.LocalAgent.Controller.2.",
            [("Alias", "cpe-2")]
        )]
    );
    // && of two conditions, numeric comparison on an unsignedInt.
    let r = get_on(
        &mut a,
        &eid,
        &["Device.LocalAgent.Controller.[Enable==true&&MTPNumberOfEntries>1].EndpointID"],
        0,
    );
    assert_eq!(paths(&r[0]), ["Device.LocalAgent.Controller.2."]);
    let r = get_on(
        &mut a,
        &eid,
        &["Device.LocalAgent.Controller.[MTPNumberOfEntries>=1 && Enable==true]."],
        1,
    );
    assert_eq!(
        paths(&r[0]),
        [
            "Device.LocalAgent.Controller.1.",
            "Device.LocalAgent.Controller.2."
        ]
    );
    // Zero matches: success, nothing (R-MSG.4a).
    let r = get_on(
        &mut a,
        &eid,
        &["Device.LocalAgent.Controller.[Alias==\"none\"]."],
        0,
    );
    assert_eq!((r[0].err_code, r[0].resolved_path_results.len()), (0, 0));
    // Operators the type does not allow, constants of the wrong kind.
    for bad in [
        "Device.LocalAgent.Controller.[EndpointID>\"a\"].",
        "Device.LocalAgent.Controller.[Enable==\"true\"].",
        "Device.LocalAgent.Controller.[Enable<true].",
        "Device.LocalAgent.Controller.[MTPNumberOfEntries==\"x\"].",
        "Device.LocalAgent.Controller.[PeriodicNotifTime>2020-01-01T00:00:00Z].",
        "Device.LocalAgent.Controller.[Alias~=\"x\"].",
    ] {
        let r = get_on(&mut a, &eid, &[bad], 0);
        assert_eq!(r[0].err_code, 7008, "{bad}");
    }
    // A parameter the table does not have, and entering a child table.
    let r = get_on(
        &mut a,
        &eid,
        &[
            "Device.LocalAgent.Controller.[Nope==1].",
            "Device.LocalAgent.Controller.[MTP.Order==1].",
        ],
        0,
    );
    assert_eq!(r[0].err_code, 7026);
    assert_ne!(r[1].err_code, 0);
    // ~= on a list parameter.
    let r = get_on(&mut a, &eid, &["Device.LocalAgent.Controller.[AssignedRole~=\"Device.LocalAgent.ControllerTrust.Role.1\"].Alias"], 0);
    assert_eq!(paths(&r[0]), ["Device.LocalAgent.Controller.1."]);
    let r = get_on(
        &mut a,
        &eid,
        &["Device.LocalAgent.[SupportedProtocols~=\"STOMP\"].EndpointID"],
        0,
    );
    assert_eq!(r[0].err_code, 7026, "LocalAgent is not a table");
}

#[test]
fn wildcard_with_search_and_unique_keys() {
    let (mut a, eid) = setup();
    let r = get_on(
        &mut a,
        &eid,
        &["Device.LocalAgent.Controller.*.MTP.[Protocol==\"MQTT\"].MQTT.Topic"],
        0,
    );
    assert_eq!(
        r[0].resolved_path_results,
        vec![
            msg::resolved(
                "Device.LocalAgent.Controller.1.MTP.1.MQTT.",
                [("Topic", "usp/controller/1")]
            ),
            msg::resolved(
                "Device.LocalAgent.Controller.2.MTP.2.MQTT.",
                [("Topic", "usp/controller/2")]
            ),
        ]
    );
    // Unique-key addressing with the (Recipient, ID) key of Subscription.
    add_subscription(&mut a, &eid, C2, "s-1", true);
    add_subscription(&mut a, &eid, C1, "s-1", false);
    let r = get_on(
        &mut a,
        &eid,
        &["Device.LocalAgent.Subscription.[Recipient==\"Device.LocalAgent.Controller.1\"&&ID==\"s-1\"].Enable"],
        0,
    );
    assert_eq!(
        r[0].resolved_path_results,
        vec![msg::resolved(
            "Device.LocalAgent.Subscription.2.",
            [("Enable", "false")]
        )]
    );
}

#[test]
fn reference_following() {
    let (mut a, eid) = setup();
    add_subscription(&mut a, &eid, C2, "s-1", true);
    add_subscription(&mut a, &eid, C1, "s-2", true);
    let r = get_on(
        &mut a,
        &eid,
        &["Device.LocalAgent.Subscription.*.Recipient+.EndpointID"],
        0,
    );
    assert_eq!(
        r[0].resolved_path_results,
        vec![
            msg::resolved("Device.LocalAgent.Controller.2.", [("EndpointID", C2)]),
            msg::resolved("Device.LocalAgent.Controller.1.", [("EndpointID", C1)]),
        ]
    );
    // #1+ is the same as +; a search through a reference inside the
    // expression; a reference to something outside the schema matches
    // nothing.
    let r = get_on(
        &mut a,
        &eid,
        &["Device.LocalAgent.Subscription.1.Recipient#1+.Alias"],
        0,
    );
    assert_eq!(paths(&r[0]), ["Device.LocalAgent.Controller.2."]);
    let r = get_on(
        &mut a,
        &eid,
        &["Device.LocalAgent.Subscription.[Recipient+.EndpointID==\"proto::controller-1\"].ID"],
        0,
    );
    assert_eq!(
        r[0].resolved_path_results,
        vec![msg::resolved(
            "Device.LocalAgent.Subscription.2.",
            [("ID", "s-2")]
        )]
    );
    let r = get_on(
        &mut a,
        &eid,
        &["Device.LocalAgent.Subscription.*.ReferenceList+.Foo"],
        0,
    );
    assert_eq!((r[0].err_code, r[0].resolved_path_results.len()), (0, 0));
}

#[test]
fn table_paths_and_partial_paths() {
    let r = get(
        &[
            "Device.LocalAgent.Controller.",
            "Device.LocalAgent.Request.",
            "Device.",
        ],
        1,
    );
    assert_eq!(
        paths(&r[0]),
        [
            "Device.LocalAgent.Controller.1.",
            "Device.LocalAgent.Controller.2."
        ]
    );
    assert_eq!(r[1].err_code, 0);
    assert!(r[1].resolved_path_results.is_empty());
    assert_eq!(paths(&r[2]), ["Device."]);
}

#[test]
fn publish_qos_is_what_the_mqtt_shell_was_told() {
    // common::config() publishes at QoS 0, not the default 1.
    let r = get(&["Device.LocalAgent.MTP.1.MQTT.PublishQoS"], 0);
    let params = &r[0].resolved_path_results[0].result_params;
    assert_eq!(params.get("PublishQoS").map(String::as_str), Some("0"));
}

#[test]
fn an_mqtt_mtp_saved_before_publish_qos_reads_as_qos_1() {
    let old: agent::local::AgentMtp =
        serde_json::from_str(r#"{"Mqtt":{"response_topic":"usp/agent/{eid}"}}"#).unwrap();
    assert_eq!(
        old,
        agent::local::AgentMtp::Mqtt {
            response_topic: "usp/agent/{eid}".into(),
            publish_qos: 1
        }
    );
}
