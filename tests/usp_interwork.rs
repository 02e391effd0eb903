//! USP requests on a CPE's own data model, end to end: a controller on the
//! WebSocket server MTP asks the real `cwmp2usp run` about a CPE from the
//! real simulator; the gateway wakes it with a connection request and reads
//! the answer with GetParameterNames/Values. Every Record is read back by
//! rusp-lib as well as by us.

mod support;

use std::time::{Duration, Instant};

use support::gateway::Gateway;
use support::sim::{Sim, WAIT};
use support::usp_ws::*;
use usp::proto::usp::response::RespType;

const SERIAL: &str = "SIM000000";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_reads_the_cpe_model_through_its_agent() {
    let gw = Gateway::start(&["--cwmp-auth", "none"]);
    let (sim, mut ws) = cpe_and_controller(&gw).await;

    // One Get spanning the CPE's model and the gateway's LocalAgent.
    let get = usp::msg::get(
        "g1",
        [
            "Device.DeviceInfo.ModelName",
            "Device.LocalAgent.EndpointID",
            "Device.DeviceInfo.SerialNumber",
        ],
        0,
    );
    let values = get_values(&request(&mut ws, &get).await);
    let serial = sim
        .get_value(SERIAL, "Device.DeviceInfo.SerialNumber")
        .unwrap();
    assert_eq!(
        values,
        [
            (
                "Device.DeviceInfo.".into(),
                "ModelName".into(),
                "HGW-4200".into()
            ),
            (
                "Device.LocalAgent.".into(),
                "EndpointID".into(),
                AGENT.into()
            ),
            ("Device.DeviceInfo.".into(), "SerialNumber".into(), serial),
        ]
    );

    // A value the CPE changes locally is read live, not from a cache.
    assert_eq!(
        sim.set_value(SERIAL, "Device.WiFi.SSID.2.SSID", "Changed-5G")
            .status,
        200
    );
    let before = support::sim::completed(&sim.stats());
    let get = usp::msg::get("g2", ["Device.WiFi.SSID.*.SSID"], 0);
    let values = get_values(&request(&mut ws, &get).await);
    // Two rounds (list the SSIDs, then read them) in one CWMP session: the
    // plan holds the session between its rounds.
    sim.wait_for("the session to end", WAIT, |s| {
        support::sim::completed(s) > before
    });
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(support::sim::completed(&sim.stats()), before + 1);
    assert_eq!(
        values,
        [
            (
                "Device.WiFi.SSID.1.".into(),
                "SSID".into(),
                "HomeNet-2G".into()
            ),
            (
                "Device.WiFi.SSID.2.".into(),
                "SSID".into(),
                "Changed-5G".into()
            ),
        ]
    );

    // A search expression, and max_depth on an object.
    let get = usp::msg::get("g2s", ["Device.WiFi.SSID.[SSID==\"HomeNet-2G\"].Enable"], 0);
    let values = get_values(&request(&mut ws, &get).await);
    assert_eq!(
        values,
        [("Device.WiFi.SSID.1.".into(), "Enable".into(), "true".into())]
    );
    let get = usp::msg::get("g2d", ["Device.WiFi."], 1);
    let answer = request(&mut ws, &get).await;
    let Some(RespType::GetResp(g)) = answer.response() else {
        panic!("{answer:?}")
    };
    let objects: Vec<&str> = g.req_path_results[0]
        .resolved_path_results
        .iter()
        .map(|r| r.resolved_path.as_str())
        .collect();
    assert_eq!(objects, ["Device.WiFi."], "depth 1 is the object alone");

    // GetInstances: the table's instances with their unique keys.
    let gi = usp::msg::get_instances("i1", ["Device.WiFi.SSID."], true);
    let answer = request(&mut ws, &gi).await;
    let Some(RespType::GetInstancesResp(r)) = answer.response() else {
        panic!("{answer:?}")
    };
    let insts: Vec<&str> = r.req_path_results[0]
        .curr_insts
        .iter()
        .map(|i| i.instantiated_obj_path.as_str())
        .collect();
    assert_eq!(insts, ["Device.WiFi.SSID.1.", "Device.WiFi.SSID.2."]);

    // Outside the CPE's model: 7026 for that path alone.
    let get = usp::msg::get(
        "g3",
        ["Device.NoSuchObject.X", "Device.DeviceInfo.ModelName"],
        0,
    );
    let answer = request(&mut ws, &get).await;
    let Some(RespType::GetResp(g)) = answer.response() else {
        panic!("{answer:?}")
    };
    assert_eq!(g.req_path_results[0].err_code, 7026);
    assert_eq!(g.req_path_results[1].err_code, 0);

    // The supported model: the CPE's objects with TR-181's types.
    let gsdm = usp::msg::get_supported_dm("d1", ["Device.WiFi.SSID.{i}."], true);
    let answer = request(&mut ws, &gsdm).await;
    let Some(RespType::GetSupportedDmResp(d)) = answer.response() else {
        panic!("{answer:?}")
    };
    let objs = &d.req_obj_results[0].supported_objs;
    assert!(
        objs[0]
            .supported_params
            .iter()
            .any(|p| p.param_name == "SSID"),
        "{objs:?}"
    );

    // The CPE gone: a clear vendor error, long before a controller's
    // timeout.
    drop(sim);
    let asked = Instant::now();
    let get = usp::msg::get("g4", ["Device.DeviceInfo.ModelName"], 0);
    let answer = request(&mut ws, &get).await;
    let err = answer.error().unwrap_or_else(|| panic!("{answer:?}"));
    assert_eq!(err.err_code, 7800, "{err:?}");
    assert!(asked.elapsed() < Duration::from_secs(10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_writes_adds_deletes_and_reboots_the_cpe() {
    use futures_util::SinkExt as _;
    let gw = Gateway::start(&["--cwmp-auth", "none"]);
    let (sim, mut ws) = cpe_and_controller(&gw).await;

    // A Set and a Get sent back to back run in order: the Get sees the
    // Set.
    let set = usp::msg::set(
        "s1",
        false,
        vec![usp::msg::set_obj(
            "Device.WiFi.SSID.1.",
            [("SSID", "Renamed", true)],
        )],
    );
    let get = usp::msg::get("g1", ["Device.WiFi.SSID.1.SSID"], 0);
    let sessions = support::sim::completed(&sim.stats());
    for m in [&set, &get] {
        let record = usp::record::no_session_context(AGENT, CONTROLLER, m);
        ws.send(Message::Binary(usp::encode_record(&record).into()))
            .await
            .unwrap();
    }
    let mut answers = Vec::new();
    while answers.len() < 2 {
        if let (_, Some(m)) = next_record(&mut ws).await {
            answers.push(m);
        }
    }
    assert_eq!(answers[0].msg_id(), "s1");
    assert!(
        matches!(answers[0].response(), Some(RespType::SetResp(_))),
        "{:?}",
        answers[0]
    );
    assert_eq!(get_values(&answers[1])[0].2, "Renamed");
    sim.wait_for("the session to end", WAIT, |s| {
        support::sim::completed(s) > sessions
    });
    // Usually one session; a loaded machine may run the Get's plan after
    // the Set's session ended, so only order is asserted, not the count.
    assert_eq!(
        sim.get_value(SERIAL, "Device.WiFi.SSID.1.SSID").as_deref(),
        Some("Renamed")
    );

    // Add with parameters, then Delete it again.
    let add = usp::msg::add(
        "a1",
        false,
        vec![usp::msg::add_obj(
            "Device.NAT.PortMapping.",
            [("ExternalPort", "8081", true), ("Protocol", "TCP", true)],
        )],
    );
    let answer = request(&mut ws, &add).await;
    let Some(RespType::AddResp(r)) = answer.response() else {
        panic!("{answer:?}")
    };
    use usp::proto::usp::add_resp::created_object_result::operation_status::OperStatus;
    let Some(OperStatus::OperSuccess(ok)) = r.created_obj_results[0]
        .oper_status
        .clone()
        .unwrap()
        .oper_status
    else {
        panic!("{r:?}")
    };
    let created = ok.instantiated_path;
    assert_eq!(
        sim.get_value(SERIAL, &format!("{created}ExternalPort"))
            .as_deref(),
        Some("8081")
    );
    let answer = request(&mut ws, &usp::msg::delete("d1", false, [created.as_str()])).await;
    assert!(
        matches!(answer.response(), Some(RespType::DeleteResp(_))),
        "{answer:?}"
    );
    assert_eq!(
        sim.get_value(SERIAL, &format!("{created}ExternalPort")),
        None
    );

    // A read-only parameter: the engine refuses it without asking the CPE.
    let set = usp::msg::set(
        "s2",
        false,
        vec![usp::msg::set_obj(
            "Device.DeviceInfo.",
            [("ModelName", "x", true)],
        )],
    );
    let answer = request(&mut ws, &set).await;
    assert_eq!(answer.error().map(|e| e.err_code), Some(7004), "{answer:?}");

    // Reboot: the CPE comes back with "M Reboot" and "1 BOOT".
    let before = support::sim::completed(&sim.stats());
    let op = usp::msg::operate(
        "o1",
        "Device.Reboot()",
        "ck-e2e",
        true,
        std::iter::empty::<(String, String)>(),
    );
    let answer = request(&mut ws, &op).await;
    assert!(
        matches!(answer.response(), Some(RespType::OperateResp(_))),
        "{answer:?}"
    );
    sim.wait_for("the reboot's boot session", WAIT, |s| {
        support::sim::completed(s) >= before + 2
    });
}

/// One CPE with `faults` (simulator flags) and a WebSocket session to its
/// agent.
async fn faulty_cpe(gw: &Gateway, prefix: &str, faults: &[&str]) -> (Sim, Ws, String) {
    let acs = gw.ready()["cwmp"].as_str().unwrap().to_string();
    let mut args = vec![
        "--count",
        "1",
        "--interval",
        "300",
        "--serial-prefix",
        prefix,
    ];
    args.extend_from_slice(faults);
    let sim = Sim::start(&acs, &args);
    sim.wait_for("the boot session", WAIT, |s| {
        s["sessions_completed"].as_u64() >= Some(1)
    });
    let agent = format!("os::00D09E-{prefix}000000");
    let mut ws = connect(&agent_url(gw, &agent)).await.unwrap();
    let _connect_record = next_record_from(&mut ws, &agent).await;
    (sim, ws, agent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpe_failures_become_the_documented_usp_errors() {
    let gw = Gateway::start(&["--cwmp-auth", "none"]);
    let get = usp::msg::get("g", ["Device.DeviceInfo.ModelName"], 0);

    // A CWMP fault maps to its USP code and keeps the CPE's code in the
    // message.
    let (_sim, mut ws, agent) =
        faulty_cpe(&gw, "FLT", &["--fault-rpc", "GetParameterValues=9002"]).await;
    let answer = request_to(&mut ws, &agent, &get).await;
    let err = answer.error().unwrap_or_else(|| panic!("{answer:?}"));
    assert_eq!(err.err_code, 7003, "{err:?}");
    assert!(err.err_msg.contains("9002"), "{err:?}");

    // A CPE refusing connection requests: 7800 within the deadline.
    let (_sim, mut ws, agent) = faulty_cpe(&gw, "REF", &["--refuse-cr"]).await;
    let asked = Instant::now();
    let answer = request_to(&mut ws, &agent, &get).await;
    assert_eq!(answer.error().map(|e| e.err_code), Some(7800), "{answer:?}");
    assert!(asked.elapsed() < Duration::from_secs(10));

    // A CPE that hangs up instead of answering (its second RPC of each
    // session: the first provisions it, or reads its model, as no CPE of
    // its product has been asked before): 7801, never a hang.
    let (_sim, mut ws, agent) = faulty_cpe(
        &gw,
        "DRP",
        &["--fault-drop-after-rpc", "1", "--product-class", "Other"],
    )
    .await;
    let answer = request_to(&mut ws, &agent, &get).await;
    assert_eq!(answer.error().map(|e| e.err_code), Some(7801), "{answer:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_model_is_read_once_per_firmware() {
    let gw = Gateway::start(&["--cwmp-auth", "none"]);
    let acs = gw.ready()["cwmp"].as_str().unwrap().to_string();
    let sim = Sim::start(&acs, &["--count", "2", "--interval", "300"]);
    sim.wait_for("both boot sessions", WAIT, |s| {
        s["sessions_completed"].as_u64() >= Some(2)
    });
    let rpcs = |sim: &Sim| sim.stats()["rpcs"].as_u64().unwrap();
    let get = usp::msg::get("g", ["Device.DeviceInfo.ModelName"], 0);
    let mut per_cpe = Vec::new();
    for agent in [AGENT, "os::00D09E-SIM000001"] {
        let mut ws = connect(&agent_url(&gw, agent)).await.unwrap();
        let _connect_record = next_record_from(&mut ws, agent).await;
        let (before, sessions) = (rpcs(&sim), support::sim::completed(&sim.stats()));
        let answer = request_to(&mut ws, agent, &get).await;
        assert_eq!(get_values(&answer)[0].2, "HGW-4200");
        // The simulator counts a session's RPCs when it ends.
        sim.wait_for("the session to end", WAIT, |s| {
            support::sim::completed(s) > sessions
        });
        per_cpe.push(rpcs(&sim) - before);
    }
    // The first CPE is asked for its names and the value; the second, of
    // the same ProductClass and SoftwareVersion, only for the value.
    assert_eq!(per_cpe, [2, 1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listed_static_values_are_served_from_cache_within_their_max_age() {
    let gw = Gateway::start(&[
        "--cwmp-auth",
        "none",
        "--get-max-age",
        "Device.DeviceInfo.ModelName=3600",
    ]);
    let (sim, mut ws) = cpe_and_controller(&gw).await;
    let model = usp::msg::get("g1", ["Device.DeviceInfo.ModelName"], 0);
    assert_eq!(get_values(&request(&mut ws, &model).await)[0].2, "HGW-4200");
    let sessions = sim.wait_for("the first read's session", WAIT, |s| {
        support::sim::completed(s) >= 2
    });
    let sessions = support::sim::completed(&sessions);

    // Served from what was read, without waking the CPE...
    let again = usp::msg::get("g2", ["Device.DeviceInfo.ModelName"], 0);
    assert_eq!(get_values(&request(&mut ws, &again).await)[0].2, "HGW-4200");
    // ...while anything not listed is read live.
    let serial = usp::msg::get("g3", ["Device.DeviceInfo.SerialNumber"], 0);
    assert_eq!(get_values(&request(&mut ws, &serial).await).len(), 1);
    sim.wait_for("the live read's session", WAIT, |s| {
        support::sim::completed(s) > sessions
    });
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(support::sim::completed(&sim.stats()), sessions + 1);
}
