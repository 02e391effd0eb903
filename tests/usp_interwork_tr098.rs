//! A TR-098 CPE (`InternetGatewayDevice.`) seen through its USP agent:
//! the gateway finds its model after `Device.` faults, and a controller
//! reads its DeviceInfo under TR-181's names.

mod support;

use support::gateway::Gateway;
use support::sim::{Sim, WAIT};
use support::usp_ws::*;
use usp::proto::usp::response::RespType;

const SERIAL: &str = "SIM000000";

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

    // Outside the mapped objects: 7026 for that path alone.
    let get = usp::msg::get(
        "g2",
        ["Device.WiFi.SSID.1.SSID", "Device.ManagementServer.URL"],
        0,
    );
    let answer = request(&mut ws, &get).await;
    let Some(RespType::GetResp(g)) = answer.response() else {
        panic!("{answer:?}")
    };
    assert_eq!(g.req_path_results[0].err_code, 7026, "{g:?}");
    assert_eq!(g.req_path_results[1].err_code, 0, "{g:?}");
    assert_eq!(
        g.req_path_results[1].resolved_path_results[0].result_params["URL"],
        sim.get_value(SERIAL, "InternetGatewayDevice.ManagementServer.URL")
            .unwrap()
    );
}
