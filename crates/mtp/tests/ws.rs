//! The WebSocket shell with real sockets: tungstenite test controllers
//! against our server, and our client against a tungstenite test server.

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use mtp::ws::{WsConfig, WsMtp};
use mtp::{Inbound, MtpError, Outbound};
use support::usp_records::{assert_record, get_request};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;
use usp::mtp::{LinkUp, ReplyTo};

const WAIT: Duration = Duration::from_secs(10);
const AGENT: &str = "os::012345-WS 1";
const CTL: &str = "self::ctl%1";

type Ws = WebSocketStream<TcpStream>;

async fn server(cfg: WsConfig) -> (WsMtp, mpsc::Receiver<Inbound>, SocketAddr) {
    let (tx, rx) = mpsc::channel(16);
    let mtp = WsMtp::start(cfg, tx).await.unwrap();
    mtp.add_agent(AGENT).unwrap();
    let addr = mtp.local_addr().unwrap();
    (mtp, rx, addr)
}

async fn dial(addr: SocketAddr, path: &str, protocol: Option<&str>) -> Result<Ws, WsError> {
    let mut req = format!("ws://{addr}{path}").into_client_request().unwrap();
    if let Some(p) = protocol {
        req.headers_mut()
            .insert("Sec-WebSocket-Protocol", HeaderValue::from_str(p).unwrap());
    }
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (ws, resp) = tokio_tungstenite::client_async(req, tcp).await?;
    assert_eq!(
        resp.headers().get("Sec-WebSocket-Protocol").unwrap(),
        "v1.usp"
    );
    Ok(ws)
}

fn agent_path(mtp: &WsMtp) -> String {
    format!("{}?eid=self%3A%3Actl%251", mtp.path_for(AGENT))
}

async fn next(rx: &mut mpsc::Receiver<Inbound>) -> Inbound {
    timeout(WAIT, rx.recv())
        .await
        .expect("an Inbound event")
        .expect("channel open")
}

async fn up(rx: &mut mpsc::Receiver<Inbound>) -> (u64, Option<String>) {
    match next(rx).await {
        Inbound::Up {
            agent,
            link: LinkUp::WebSocket { link, peer },
        } => {
            assert_eq!(&*agent, AGENT);
            (link, peer)
        }
        other => panic!("expected Up, got {other:?}"),
    }
}

async fn down(rx: &mut mpsc::Receiver<Inbound>) -> u64 {
    match next(rx).await {
        Inbound::Down {
            protocol: "WebSocket",
            link: Some(link),
            ..
        } => link,
        other => panic!("expected Down, got {other:?}"),
    }
}

/// The close code the peer sent, reading past anything else.
async fn close_code(ws: &mut Ws) -> Option<CloseCode> {
    timeout(WAIT, async {
        while let Some(msg) = ws.next().await {
            match msg {
                Ok(Message::Close(frame)) => return frame.map(|f| f.code),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
        None
    })
    .await
    .expect("the session ends")
}

fn out(link: u64, payload: Vec<u8>) -> Outbound {
    Outbound {
        agent: AGENT.into(),
        to: ReplyTo::WebSocket { link },
        payload: payload.into(),
    }
}

#[tokio::test]
async fn controller_session_round_trips_records() {
    let (mtp, mut rx, addr) = server(WsConfig::default()).await;
    let mut ws = dial(addr, &agent_path(&mtp), Some("v1.usp")).await.unwrap();
    let (link, peer) = up(&mut rx).await;
    assert_eq!(peer.as_deref(), Some(CTL));

    let request = get_request(CTL, AGENT, "get-1");
    ws.send(Message::Binary(request.clone().into()))
        .await
        .unwrap();
    match next(&mut rx).await {
        Inbound::Record {
            agent,
            reply,
            payload,
        } => {
            assert_eq!((&*agent, reply), (AGENT, ReplyTo::WebSocket { link }));
            assert_eq!(payload.as_ref(), &request[..]);
            assert_record(&payload, CTL, AGENT);
        }
        other => panic!("expected Record, got {other:?}"),
    }
    let answer = get_request(AGENT, CTL, "resp-1");
    mtp.send(out(link, answer.clone())).unwrap();
    match timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap() {
        Message::Binary(b) => {
            assert_eq!(b.as_ref(), &answer[..]);
            assert_record(&b, AGENT, CTL);
        }
        other => panic!("expected binary, got {other:?}"),
    }
    assert!(matches!(
        mtp.send(out(link + 100, vec![1])),
        Err(MtpError::NoLink(_))
    ));
    let stomp = Outbound {
        to: ReplyTo::Stomp {
            destination: "/q".into(),
        },
        ..out(link, vec![])
    };
    assert!(matches!(mtp.send(stomp), Err(MtpError::WrongTransport(_))));

    ws.close(None).await.unwrap();
    assert_eq!(down(&mut rx).await, link);
    assert!(matches!(
        mtp.send(out(link, vec![1])),
        Err(MtpError::NoLink(_))
    ));
}

#[tokio::test]
async fn upgrades_are_refused_before_the_handshake() {
    let (mtp, mut rx, addr) = server(WsConfig::default()).await;
    let status = |r: Result<Ws, WsError>| match r {
        Err(WsError::Http(resp)) => resp.status().as_u16(),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("upgrade accepted"),
    };
    assert_eq!(status(dial(addr, &agent_path(&mtp), None).await), 400);
    assert_eq!(
        status(dial(addr, &agent_path(&mtp), Some("v2.usp")).await),
        400
    );
    let unknown = format!("{}?eid=x", mtp.path_for("os::012345-NOBODY"));
    assert_eq!(status(dial(addr, &unknown, Some("v1.usp")).await), 404);
    assert_eq!(status(dial(addr, "/", Some("v1.usp")).await), 404);
    // Garbage on the port costs that connection only.
    let mut raw = TcpStream::connect(addr).await.unwrap();
    raw.write_all(b"\x16\x03\x01garbage\r\n\r\n\0\xff")
        .await
        .unwrap();
    drop(raw);
    let mut raw = TcpStream::connect(addr).await.unwrap();
    raw.write_all(&[0u8; 70_000]).await.ok();
    drop(raw);
    dial(addr, &mtp.path_for(AGENT), Some("chat, v1.usp"))
        .await
        .unwrap();
    assert_eq!(up(&mut rx).await.1, None, "no eid, no peer");
}

#[tokio::test]
async fn text_frames_and_agent_closes_end_the_session() {
    let (mtp, mut rx, addr) = server(WsConfig::default()).await;
    let mut ws = dial(addr, &agent_path(&mtp), Some("v1.usp")).await.unwrap();
    let (link, _) = up(&mut rx).await;
    ws.send(Message::text("hello")).await.unwrap();
    assert_eq!(close_code(&mut ws).await, Some(CloseCode::Unsupported));
    assert_eq!(down(&mut rx).await, link);

    let mut ws = dial(addr, &agent_path(&mtp), Some("v1.usp")).await.unwrap();
    let (link, _) = up(&mut rx).await;
    assert!(mtp.close(link, 1005).is_err(), "reserved code");
    mtp.close(link, 1003).unwrap();
    assert_eq!(close_code(&mut ws).await, Some(CloseCode::Unsupported));
    assert_eq!(down(&mut rx).await, link);
}

#[tokio::test]
async fn fragments_are_reassembled_and_oversized_messages_close_with_1009() {
    let cfg = WsConfig {
        max_record_bytes: 1000,
        ..WsConfig::default()
    };
    let (mtp, mut rx, addr) = server(cfg).await;
    let mut ws = dial(addr, &agent_path(&mtp), Some("v1.usp")).await.unwrap();
    let (link, _) = up(&mut rx).await;
    let parts: [&[u8]; 3] = [b"fir", b"st-sec", b"ond"];
    ws.send(Message::Frame(Frame::message(
        Bytes::from_static(parts[0]),
        OpCode::Data(Data::Binary),
        false,
    )))
    .await
    .unwrap();
    ws.send(Message::Frame(Frame::message(
        Bytes::from_static(parts[1]),
        OpCode::Data(Data::Continue),
        false,
    )))
    .await
    .unwrap();
    // A ping may sit between fragments (RFC 6455 §5.4).
    ws.send(Message::Ping(Bytes::from_static(b"p")))
        .await
        .unwrap();
    ws.send(Message::Frame(Frame::message(
        Bytes::from_static(parts[2]),
        OpCode::Data(Data::Continue),
        true,
    )))
    .await
    .unwrap();
    match next(&mut rx).await {
        Inbound::Record { payload, .. } => assert_eq!(payload.as_ref(), b"first-second"),
        other => panic!("expected Record, got {other:?}"),
    }
    // 600 + 600 bytes in two fragments: each frame fits, the message not.
    ws.send(Message::Frame(Frame::message(
        Bytes::from(vec![1u8; 600]),
        OpCode::Data(Data::Binary),
        false,
    )))
    .await
    .unwrap();
    ws.send(Message::Frame(Frame::message(
        Bytes::from(vec![1u8; 600]),
        OpCode::Data(Data::Continue),
        true,
    )))
    .await
    .unwrap();
    assert_eq!(close_code(&mut ws).await, Some(CloseCode::Size));
    assert_eq!(down(&mut rx).await, link);
}

#[tokio::test]
async fn pings_keep_a_live_peer_and_drop_a_silent_one() {
    let cfg = WsConfig {
        ping_interval: Duration::from_millis(100),
        pong_timeout: Duration::from_millis(300),
        ..WsConfig::default()
    };
    let (mtp, mut rx, addr) = server(cfg).await;
    let mut live = dial(addr, &agent_path(&mtp), Some("v1.usp")).await.unwrap();
    let (live_link, _) = up(&mut rx).await;
    // Reading lets tungstenite answer the pings: 1.5 s is many idle limits.
    let mut pings = 0;
    let _ = timeout(Duration::from_millis(1500), async {
        while let Some(Ok(m)) = live.next().await {
            pings += matches!(m, Message::Ping(_)) as u32;
        }
    })
    .await;
    assert!(pings >= 3, "pings seen: {pings}");
    assert!(rx.try_recv().is_err(), "the live session stayed up");

    // A second controller that never reads never pongs.
    let silent_path = format!("{}?eid=other", mtp.path_for(AGENT));
    let _silent = dial(addr, &silent_path, Some("v1.usp")).await.unwrap();
    let (silent_link, _) = up(&mut rx).await;
    // Keep reading on the live one meanwhile so only the silent one dies.
    let dead = tokio::select! {
        d = down(&mut rx) => d,
        _ = async { while let Some(Ok(_)) = live.next().await {} } => panic!("live session ended"),
    };
    assert_eq!(dead, silent_link);
    assert_ne!(dead, live_link);
}

#[tokio::test]
async fn a_second_session_of_the_same_controller_replaces_the_first() {
    let (mtp, mut rx, addr) = server(WsConfig::default()).await;
    let mut first = dial(addr, &agent_path(&mtp), Some("v1.usp")).await.unwrap();
    let (first_link, _) = up(&mut rx).await;
    let _second = dial(addr, &agent_path(&mtp), Some("v1.usp")).await.unwrap();
    let (second_link, _) = up(&mut rx).await;
    assert_eq!(close_code(&mut first).await, Some(CloseCode::Normal));
    assert_eq!(down(&mut rx).await, first_link);
    mtp.send(out(second_link, vec![7])).unwrap();
    mtp.remove_agent(AGENT).unwrap();
    assert_eq!(down(&mut rx).await, second_link);
}

#[tokio::test]
#[allow(clippy::result_large_err)] // tungstenite's callback type
async fn client_mode_offers_subprotocol_and_eid_and_reconnects() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let seen2 = seen.clone();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let seen = seen2.clone();
            let callback = move |req: &Request, mut resp: Response| {
                let proto = req
                    .headers()
                    .get("Sec-WebSocket-Protocol")
                    .map(|v| v.to_str().unwrap().to_string());
                seen.lock()
                    .unwrap()
                    .push((req.uri().to_string(), proto.unwrap_or_default()));
                resp.headers_mut()
                    .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("v1.usp"));
                Ok(resp)
            };
            let mut ws = tokio_tungstenite::accept_hdr_async(tcp, callback)
                .await
                .unwrap();
            ws.send(Message::Binary(get_request(CTL, AGENT, "from-ctl").into()))
                .await
                .unwrap();
            // Hang up after the agent's answer, to see it reconnect.
            let answer = ws.next().await;
            assert!(matches!(answer, Some(Ok(Message::Binary(_)))), "{answer:?}");
            ws.close(None).await.ok();
        }
    });
    let (tx, mut rx) = mpsc::channel(16);
    let cfg = WsConfig {
        listen: None,
        retry: mtp::backoff::RetryPolicy {
            min_wait: Duration::from_millis(50),
            ..Default::default()
        },
        ..WsConfig::default()
    };
    let mtp = WsMtp::start(cfg, tx).await.unwrap();
    assert!(matches!(
        mtp.connect(AGENT, "ws://127.0.0.1:1/x", CTL),
        Err(MtpError::UnknownAgent(_))
    ));
    mtp.add_agent(AGENT).unwrap();
    assert!(matches!(
        mtp.connect(AGENT, "wss://127.0.0.1/x", CTL),
        Err(MtpError::Config(_))
    ));
    mtp.connect(AGENT, &format!("ws://{addr}/usp/controller"), CTL)
        .unwrap();
    for round in 0..2 {
        let (link, peer) = up(&mut rx).await;
        assert_eq!(peer.as_deref(), Some(CTL));
        let Inbound::Record { payload, reply, .. } = next(&mut rx).await else {
            panic!("round {round}")
        };
        assert_record(&payload, CTL, AGENT);
        assert_eq!(reply, ReplyTo::WebSocket { link });
        mtp.send(out(link, get_request(AGENT, CTL, "answer")))
            .unwrap();
        assert_eq!(down(&mut rx).await, link);
    }
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[0].0, "/usp/controller?eid=os%3A%3A012345-WS%201");
    assert_eq!(seen[0].1, "v1.usp");
    mtp.remove_agent(AGENT).unwrap();
}
