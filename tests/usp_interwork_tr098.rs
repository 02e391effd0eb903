//! A TR-098 CPE (`InternetGatewayDevice.`) seen through its USP agent:
//! the gateway finds its model after `Device.` faults, and a controller
//! reads and writes it under TR-181's names through the core mapping pack.

mod support;

use support::gateway::Gateway;
use support::sim::{Sim, WAIT};
use support::usp_ws::*;
use usp::proto::usp::response::RespType;

const SERIAL: &str = "SIM000000";

/// A TR-098 simulated CPE past its boot session on `gw`, and a
/// controller's WebSocket to its agent (Connect record read).
async fn booted(gw: &Gateway, sim_args: &[&str], agent: &str) -> (Sim, Ws) {
    let acs = gw.ready()["cwmp"].as_str().unwrap().to_string();
    let mut args = vec!["--interval", "300"];
    args.extend_from_slice(sim_args);
    let sim = Sim::start(&acs, &args);
    sim.wait_for("the boot session", WAIT, |s| {
        s["sessions_completed"].as_u64() >= Some(1)
    });
    let mut ws = connect(&agent_url(gw, agent)).await.unwrap();
    let _connect_record = next_record_from(&mut ws, agent).await;
    (sim, ws)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_reads_a_tr098_cpe_under_tr181_names() {
    let gw = Gateway::start(&["--cwmp-auth", "none"]);
    let acs = gw.ready()["cwmp"].as_str().unwrap().to_string();
    let sim = Sim::start(&acs, &["--model", "tr098", "--interval", "300"]);
    sim.wait_for("the boot session", WAIT, |s| {
        s["sessions_completed"].as_u64() >= Some(1)
    });
    // The agent's endpoint ID comes from the TR-098 names of the Inform.
    let oui = sim
        .get_value(SERIAL, "InternetGatewayDevice.DeviceInfo.ManufacturerOUI")
        .unwrap();
    assert_eq!(format!("os::{oui}-{SERIAL}"), AGENT);
    let mut ws = connect(&agent_url(&gw, AGENT)).await.unwrap();
    let _connect_record = next_record(&mut ws).await;

    let get = usp::msg::get("g1", ["Device.DeviceInfo.ModelName"], 0);
    let model = sim
        .get_value(SERIAL, "InternetGatewayDevice.DeviceInfo.ModelName")
        .unwrap();
    assert_eq!(
        get_values(&request(&mut ws, &get).await),
        [("Device.DeviceInfo.".into(), "ModelName".into(), model)]
    );

    // Mapped by the core pack: Wi-Fi from WLANConfiguration, a TR-098
    // name with no TR-181 home under the extension root, and a name in
    // neither model a 7026 for that path alone.
    let ext = format!("Device.X_{oui}_TR098.DeviceInfo.SpecVersion");
    let get = usp::msg::get(
        "g2",
        [
            "Device.WiFi.SSID.1.SSID",
            "Device.ManagementServer.URL",
            ext.as_str(),
            "Device.LANDevice.",
        ],
        0,
    );
    let answer = request(&mut ws, &get).await;
    let Some(RespType::GetResp(g)) = answer.response() else {
        panic!("{answer:?}")
    };
    let value = |i: usize, name: &str| {
        assert_eq!(g.req_path_results[i].err_code, 0, "{g:?}");
        g.req_path_results[i].resolved_path_results[0].result_params[name].clone()
    };
    let wlan = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.";
    assert_eq!(
        value(0, "SSID"),
        sim.get_value(SERIAL, &format!("{wlan}SSID")).unwrap()
    );
    assert_eq!(
        value(1, "URL"),
        sim.get_value(SERIAL, "InternetGatewayDevice.ManagementServer.URL")
            .unwrap()
    );
    assert_eq!(
        value(2, "SpecVersion"),
        sim.get_value(SERIAL, "InternetGatewayDevice.DeviceInfo.SpecVersion")
            .unwrap()
    );
    assert_eq!(g.req_path_results[3].err_code, 7026, "{g:?}");

    // A Set lands on the TR-098 parameter, enumerations translated.
    let set = usp::msg::set(
        "s1",
        false,
        vec![usp::msg::set_obj(
            "Device.WiFi.AccessPoint.1.Security.",
            [("ModeEnabled", "WPA-WPA2-Personal", true)],
        )],
    );
    let answer = request(&mut ws, &set).await;
    assert!(
        matches!(answer.response(), Some(RespType::SetResp(_))),
        "{answer:?}"
    );
    assert_eq!(
        sim.get_value(SERIAL, &format!("{wlan}BeaconType"))
            .as_deref(),
        Some("WPAand11i")
    );
}

/// The TR-181 instance numbers a TR-098 CPE's objects were given stay
/// theirs across a kill -9: after PortMapping.1 is deleted, the other
/// mapping is still PortMapping.2 when the gateway comes back (numbering
/// afresh would make it 1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mapped_instance_numbers_survive_kill_9() {
    let data = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", support::sim::free_port());
    let args = ["--cwmp-auth", "none", "--cwmp-listen", listen.as_str()];
    let gw = Gateway::start_in(data.path(), &args);
    let (_sim, mut ws) = booted(&gw, &["--model", "tr098"], AGENT).await;
    let port = |answer: &usp::Msg| get_values(answer)[0].2.clone();
    let get = usp::msg::get("g1", ["Device.NAT.PortMapping.2.ExternalPort"], 0);
    let second = port(&request(&mut ws, &get).await);
    let delete = usp::msg::delete("d1", false, ["Device.NAT.PortMapping.1."]);
    let answer = request(&mut ws, &delete).await;
    assert!(
        matches!(answer.response(), Some(RespType::DeleteResp(_))),
        "{answer:?}"
    );
    gw.kill_9();

    let gw = Gateway::start_in(data.path(), &args);
    let mut ws = connect(&agent_url(&gw, AGENT)).await.unwrap();
    let _connect_record = next_record(&mut ws).await;
    let get = usp::msg::get("g2", ["Device.NAT.PortMapping.2.ExternalPort"], 0);
    assert_eq!(port(&request(&mut ws, &get).await), second);
    let gi = usp::msg::get_instances("i1", ["Device.NAT.PortMapping."], true);
    let answer = request(&mut ws, &gi).await;
    let Some(RespType::GetInstancesResp(r)) = answer.response() else {
        panic!("{answer:?}")
    };
    let paths: Vec<&str> = r.req_path_results[0]
        .curr_insts
        .iter()
        .map(|i| i.instantiated_obj_path.as_str())
        .collect();
    assert_eq!(paths, ["Device.NAT.PortMapping.2."]);
}

/// A vendor dump (Huawei-style `X_HW_` names) through the core pack plus
/// the override its identity selects: the radio band and SSID hiding come
/// from the vendor names, the rest from the core pack, and vendor names
/// no rule maps stay reachable under the extension root.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendor_dump_works_through_its_override() {
    let dump = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/tr098/hg8245h.csv"
    );
    let gw = Gateway::start(&["--cwmp-auth", "none"]);
    let agent = format!("os::00E0FC-{SERIAL}");
    let sim_args = [
        "--model",
        dump,
        "--oui",
        "00E0FC",
        "--product-class",
        "HG8245H",
    ];
    let (sim, mut ws) = booted(&gw, &sim_args, &agent).await;
    let get = usp::msg::get(
        "v1",
        [
            "Device.WiFi.Radio.2.OperatingFrequencyBand",
            "Device.WiFi.AccessPoint.1.SSIDAdvertisementEnabled",
            "Device.WiFi.SSID.1.SSID",
            "Device.X_00E0FC_TR098.X_HW_DEBUG.TelnetEnable",
            // `same = true` carries vendor names along with the standard ones.
            "Device.DeviceInfo.X_HW_OMCIVersion",
        ],
        0,
    );
    let answer = request_to(&mut ws, &agent, &get).await;
    let values: Vec<String> = get_values(&answer).into_iter().map(|v| v.2).collect();
    let wlan = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.";
    assert_eq!(
        values,
        [
            "5GHz".to_string(),
            "false".to_string(),
            sim.get_value(SERIAL, &format!("{wlan}SSID")).unwrap(),
            "false".to_string(),
            "V3R017C10S100".to_string(),
        ]
    );
}

/// Every object the core pack maps reads through the real binary from a
/// TR-098 simulator, in one Get.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mapped_object_reads() {
    let gw = Gateway::start(&["--cwmp-auth", "none"]);
    let (_sim, mut ws) = booted(&gw, &["--model", "tr098"], AGENT).await;
    let objects = [
        "Device.DeviceInfo.FirmwareImage.1.",
        "Device.ManagementServer.",
        "Device.Time.",
        "Device.UserInterface.",
        "Device.WiFi.Radio.",
        "Device.WiFi.SSID.",
        "Device.WiFi.AccessPoint.",
        "Device.DSL.Line.",
        "Device.DSL.Channel.",
        "Device.Ethernet.Interface.",
        "Device.Ethernet.Link.",
        "Device.PPP.Interface.",
        "Device.IP.Interface.",
        "Device.DHCPv4.Server.",
        "Device.Hosts.Host.",
        "Device.NAT.PortMapping.",
        "Device.DNS.Client.Server.",
        "Device.Routing.Router.1.IPv4Forwarding.",
        "Device.IP.Diagnostics.IPPing.",
    ];
    let get = usp::msg::get("all", objects, 0);
    let answer = request(&mut ws, &get).await;
    let Some(RespType::GetResp(g)) = answer.response() else {
        panic!("{answer:?}")
    };
    for (r, path) in g.req_path_results.iter().zip(objects) {
        assert_eq!(r.err_code, 0, "{path}: {r:?}");
        let params: usize = r
            .resolved_path_results
            .iter()
            .map(|o| o.result_params.len())
            .sum();
        assert!(params > 0, "{path}: nothing read: {r:?}");
    }
}
