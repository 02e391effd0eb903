//! A USP controller on tungstenite for the end-to-end tests: it reaches
//! the gateway's agents through the WebSocket server MTP and reads every
//! Record back with rusp-lib (an independent decoder) as well as with us.

use futures_util::{SinkExt as _, StreamExt as _};
use rusp_lib::usp_decoder::{try_decode_msg, try_decode_record};
pub use rusp_lib::usp_record::mod_Record::OneOfrecord_type as RecordType;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
pub use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::gateway::Gateway;
use super::sim::{Sim, WAIT};

pub const CONTROLLER: &str = "proto::e2e-controller";
pub const AGENT: &str = "os::00D09E-SIM000000";

pub type Ws = WebSocketStream<TcpStream>;

/// One simulated CPE informing `gw` (its boot session done) and a
/// controller connected to its agent, past the Connect record.
pub async fn cpe_and_controller(gw: &Gateway) -> (Sim, Ws) {
    let acs = gw.ready()["cwmp"].as_str().unwrap().to_string();
    let sim = Sim::start(&acs, &["--count", "1", "--interval", "300"]);
    sim.wait_for("the boot session", WAIT, |s| {
        s["sessions_completed"].as_u64() >= Some(1)
    });
    let mut ws = connect(&agent_url(gw, AGENT)).await.unwrap();
    let _connect_record = next_record(&mut ws).await;
    (sim, ws)
}

/// The gateway's agent URL for `eid`, from its ready line.
pub fn agent_url(gw: &Gateway, eid: &str) -> String {
    let template = gw.ready()["usp_ws"].as_str().unwrap().to_string();
    template.replace("{eid}", eid)
}

pub async fn connect(url: &str) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let mut req = format!("{url}?eid={CONTROLLER}").into_client_request()?;
    req.headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("v1.usp"));
    let authority = url.trim_start_matches("ws://").split('/').next().unwrap();
    let tcp = TcpStream::connect(authority).await.unwrap();
    let (ws, resp) = tokio_tungstenite::client_async(req, tcp).await?;
    assert_eq!(
        resp.headers().get("Sec-WebSocket-Protocol").unwrap(),
        "v1.usp"
    );
    Ok(ws)
}

/// The next binary message, checked by rusp-lib: a Record from the agent
/// to us. Returns it with its Msg (None for a Connect record).
pub async fn next_record(ws: &mut Ws) -> (RecordType, Option<usp::Msg>) {
    next_record_from(ws, AGENT).await
}

/// [`next_record`] from another agent than [`AGENT`].
pub async fn next_record_from(ws: &mut Ws, agent: &str) -> (RecordType, Option<usp::Msg>) {
    let bytes = tokio::time::timeout(WAIT, async {
        loop {
            match ws.next().await.expect("session open").expect("frame") {
                Message::Binary(b) => return b.to_vec(),
                Message::Ping(_) | Message::Pong(_) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    })
    .await
    .expect("an answer in time");
    let theirs = try_decode_record(&bytes).expect("rusp-lib decodes the Record");
    assert_eq!(
        (theirs.from_id.as_str(), theirs.to_id.as_str()),
        (agent, CONTROLLER)
    );
    if let RecordType::no_session_context(n) = &theirs.record_type {
        let m = try_decode_msg(&n.payload).expect("rusp-lib decodes the Msg");
        let ours = usp::decode_record(&bytes).unwrap().msg.unwrap();
        assert_eq!(m.header.as_ref().unwrap().msg_id, ours.msg_id());
        return (theirs.record_type, Some(ours));
    }
    (theirs.record_type, None)
}

pub async fn request(ws: &mut Ws, msg: &usp::Msg) -> usp::Msg {
    request_to(ws, AGENT, msg).await
}

/// [`request`] to another agent than [`AGENT`].
pub async fn request_to(ws: &mut Ws, agent: &str, msg: &usp::Msg) -> usp::Msg {
    let record = usp::record::no_session_context(agent, CONTROLLER, msg);
    ws.send(Message::Binary(usp::encode_record(&record).into()))
        .await
        .unwrap();
    loop {
        if let (_, Some(answer)) = next_record_from(ws, agent).await {
            assert_eq!(answer.msg_id(), msg.msg_id());
            return answer;
        }
    }
}

pub fn get_values(answer: &usp::Msg) -> Vec<(String, String, String)> {
    use usp::proto::usp::response::RespType;
    let Some(RespType::GetResp(g)) = answer.response() else {
        panic!("not a GetResp: {answer:?}")
    };
    let mut out = Vec::new();
    for r in &g.req_path_results {
        assert_eq!(r.err_code, 0, "{r:?}");
        for rp in &r.resolved_path_results {
            for (k, v) in &rp.result_params {
                out.push((rp.resolved_path.clone(), k.clone(), v.clone()));
            }
        }
    }
    out
}
