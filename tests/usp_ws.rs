//! USP controllers reach every registered CPE's agent through the gateway's
//! WebSocket server: the real `cwmp2usp run`, CPE from the real simulator,
//! a controller built here on tungstenite, every Record read back by
//! rusp-lib (an independent decoder) as well as by us.

mod support;

use futures_util::SinkExt as _;
use support::gateway::Gateway;
use support::sim::{Sim, WAIT};
use support::usp_ws::*;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_manages_a_cpe_agent_over_websocket_across_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let gw = Gateway::start_in(data.path(), &["--cwmp-auth", "none"]);
    let acs = gw.ready()["cwmp"].as_str().unwrap().to_string();
    let sim = Sim::start(&acs, &["--count", "2", "--interval", "300"]);
    sim.wait_for("2 sessions", WAIT, |s| {
        s["sessions_completed"].as_u64() >= Some(2)
    });

    let url = agent_url(&gw, AGENT);
    let mut ws = connect(&url).await.expect("the agent's resource");
    let (first, _) = next_record(&mut ws).await;
    assert!(
        matches!(first, RecordType::websocket_connect(_)),
        "WebSocketConnect first (R-MTP.6): {first:?}"
    );

    let get = usp::msg::get("g1", ["Device.LocalAgent.EndpointID"], 0);
    let values = get_values(&request(&mut ws, &get).await);
    assert_eq!(
        values,
        [(
            "Device.LocalAgent.".into(),
            "EndpointID".into(),
            AGENT.into()
        )]
    );

    // Garbage is ignored (no from_id to answer) and the session survives.
    ws.send(Message::Binary(vec![0xff, 0x00, 0x13].into()))
        .await
        .unwrap();

    let add = usp::msg::add(
        "a1",
        false,
        vec![usp::msg::add_obj(
            "Device.LocalAgent.Subscription.",
            [
                ("ID", "e2e-sub", true),
                ("NotifType", "ValueChange", true),
                ("ReferenceList", "Device.LocalAgent.UpTime", true),
                ("Persistent", "true", true),
            ],
        )],
    );
    let added = request(&mut ws, &add).await;
    assert!(
        matches!(
            added.response(),
            Some(usp::proto::usp::response::RespType::AddResp(_))
        ),
        "{added:?}"
    );
    drop(ws);
    drop(sim);
    let data_dir = gw.data.clone();
    drop(gw);

    // A persistent subscription is part of the agent after a restart, with
    // no CPE session in between: agents come up from the registry.
    let gw = Gateway::start_in(&data_dir, &["--cwmp-auth", "none"]);
    assert_eq!(gw.ready()["agents"], 2);
    // Without the v1.usp subprotocol the upgrade is refused (R-WS.9).
    let url = agent_url(&gw, AGENT);
    let authority = url.trim_start_matches("ws://").split('/').next().unwrap();
    let tcp = TcpStream::connect(authority).await.unwrap();
    let bare = format!("{url}?eid={CONTROLLER}")
        .into_client_request()
        .unwrap();
    let refused = tokio::time::timeout(WAIT, tokio_tungstenite::client_async(bare, tcp))
        .await
        .unwrap();
    assert!(refused.is_err(), "accepted without v1.usp");

    let mut ws = connect(&url).await.unwrap();
    let get = usp::msg::get(
        "g2",
        ["Device.LocalAgent.Subscription.[ID==\"e2e-sub\"].NotifType"],
        0,
    );
    let values = get_values(&request(&mut ws, &get).await);
    assert_eq!(values.len(), 1, "{values:?}");
    assert_eq!(values[0].2, "ValueChange");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_agents_are_not_found() {
    let gw = Gateway::start(&["--cwmp-auth", "none"]);
    assert_eq!(gw.ready()["agents"], 0);
    let err = connect(&agent_url(&gw, "os::00D09E-NOSUCH"))
        .await
        .expect_err("no such agent");
    assert!(err.to_string().contains("404"), "{err}");
}
