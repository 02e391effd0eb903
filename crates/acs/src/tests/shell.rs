//! The hyper shell with its committer, on loopback.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::server::{self, AuthMode, Counters, ServerConfig};

/// One POST on a fresh connection: the status line and the headers.
async fn raw_post(addr: SocketAddr, body: &[u8]) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    // Up to the end of the head is all the test needs.
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed before a response");
        got.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&got).to_string();
    let status = text[9..12].parse().unwrap();
    (status, text.to_ascii_lowercase())
}

#[tokio::test]
async fn a_failing_commit_answers_503_and_the_retry_gets_through() {
    let store = Arc::new(MemoryStore::default());
    let engine = Engine::new(EngineConfig::default(), store.clone());
    let listener = server::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = ServerConfig {
        auth: AuthMode::None,
        user: String::new(),
        password: String::new(),
        max_body: 64 * 1024,
        read_timeout: Duration::from_secs(5),
        allow_basic_over_http: false,
        tls_handshake_timeout: Duration::from_secs(5),
        wake: server::WakeConfig::default(),
    };
    let counters = Arc::new(Counters::default());
    let served = tokio::spawn(server::serve(
        server::Listeners {
            plain: Some(listener),
            tls: None,
        },
        engine,
        config,
        counters.clone(),
    ));

    store.set_failing(true);
    let (status, head) = raw_post(addr, &inform_xml("SN1", &["1 BOOT"], "1")).await;
    assert_eq!(status, 503, "{head}");
    assert!(head.contains("retry-after: 30"), "{head}");
    assert!(!head.contains("set-cookie"), "no session to resume: {head}");
    assert_eq!(store.len(), 0);
    assert_eq!(counters.informs.load(Ordering::Relaxed), 0);

    store.set_failing(false);
    let retry = inform_with("SN1", &["1 BOOT"], "2", 1, "http://10.0.0.1:7547/cr");
    let (status, head) = raw_post(addr, &retry).await;
    assert_eq!(
        status, 200,
        "the device is not held by a lost session: {head}"
    );
    assert!(head.contains("set-cookie: cwmp2usp-session="), "{head}");
    assert!(
        store.get(&key("SN1")).unwrap().is_some(),
        "durable before the answer"
    );
    assert_eq!(counters.informs.load(Ordering::Relaxed), 1);
    served.abort();
}

#[tokio::test]
async fn an_unreadable_registry_during_authentication_is_a_503_not_a_401() {
    let store = Arc::new(MemoryStore::default());
    let engine = Engine::new(EngineConfig::default(), store.clone());
    let listener = server::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = ServerConfig {
        auth: AuthMode::Basic,
        user: "cpe".into(),
        password: "pw".into(),
        max_body: 64 * 1024,
        read_timeout: Duration::from_secs(5),
        allow_basic_over_http: true,
        tls_handshake_timeout: Duration::from_secs(5),
        wake: server::WakeConfig::default(),
    };
    tokio::spawn(server::serve(
        server::Listeners {
            plain: Some(listener),
            tls: None,
        },
        engine,
        config,
        Arc::new(Counters::default()),
    ));
    let post = |body: Vec<u8>| async move {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "POST / HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic Y3BlOnB3\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(&body).await.unwrap();
        let mut got = vec![0u8; 4096];
        let n = s.read(&mut got).await.unwrap();
        String::from_utf8_lossy(&got[..n]).to_ascii_lowercase()
    };

    store.set_failing_reads(true);
    let head = post(inform_xml("SN1", &["1 BOOT"], "1")).await;
    assert!(head.starts_with("http/1.1 503"), "{head}");
    assert!(head.contains("retry-after: 30"), "{head}");
    store.set_failing_reads(false);
    let head = post(inform_xml("SN1", &["1 BOOT"], "2")).await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
}
