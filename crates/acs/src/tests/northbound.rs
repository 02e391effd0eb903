//! The northbound handle on a served ACS, against devices placed in the
//! registry by hand and a stand-in connection-request listener that
//! answers only when the test says so.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Semaphore;

use super::*;
use crate::server::{self, AuthMode, Counters, Server, ServerConfig, WakeConfig};
use crate::shared::Shared;

/// Longest any step may take before the test calls it a hang. Nothing
/// asserts on speed.
pub(super) const WAIT: Duration = Duration::from_secs(60);

pub(super) fn config(wake: WakeConfig) -> ServerConfig {
    ServerConfig {
        auth: AuthMode::None,
        user: String::new(),
        password: String::new(),
        max_body: 1 << 20,
        read_timeout: Duration::from_secs(10),
        allow_basic_over_http: false,
        tls_handshake_timeout: Duration::from_secs(10),
        wake,
    }
}

pub(super) struct Acs {
    pub handle: AcsHandle,
    pub shared: Arc<Shared<Arc<MemoryStore>>>,
    pub store: Arc<MemoryStore>,
    pub counters: Arc<Counters>,
    pub url: String,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Drop for Acs {
    fn drop(&mut self) {
        self.served.abort();
    }
}

/// An ACS on a loopback port with `engine_config` and `server_config`.
pub(super) async fn serve_acs(engine_config: EngineConfig, server_config: ServerConfig) -> Acs {
    let store = Arc::new(MemoryStore::default());
    let listener = server::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let counters = Arc::new(Counters::default());
    let engine = Engine::new(engine_config, store.clone());
    let server = Server::new(engine, server_config, counters.clone()).unwrap();
    let handle = server.handle();
    let shared = server.shared();
    let served = tokio::spawn(server.serve(server::Listeners {
        plain: Some(listener),
        tls: None,
    }));
    Acs {
        handle,
        shared,
        store,
        counters,
        url,
        served,
    }
}

/// A CPE's connection-request listener that counts requests and answers
/// each with 204 once the test releases an answer.
struct HeldCpe {
    url: String,
    requests: Arc<AtomicUsize>,
    answers: Arc<Semaphore>,
}

impl HeldCpe {
    async fn start() -> HeldCpe {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/cr", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let answers = Arc::new(Semaphore::new(0));
        let (r, a) = (requests.clone(), answers.clone());
        tokio::spawn(async move {
            loop {
                let (mut s, _) = listener.accept().await.unwrap();
                let (r, a) = (r.clone(), a.clone());
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    r.fetch_add(1, Ordering::SeqCst);
                    a.acquire().await.unwrap().forget();
                    let _ = s
                        .write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                        .await;
                });
            }
        });
        HeldCpe {
            url,
            requests,
            answers,
        }
    }
}

/// Registers SN1 as an earlier session would have, reachable at `cr_url`.
fn register(acs: &Acs, serial: &str, cr_url: &str) -> DeviceKey {
    let mut record = DeviceRecord::new(key(serial), SEC);
    record.root = "Device.".into();
    record.connection_request_url = Some(cr_url.to_string());
    acs.store.put(record).unwrap();
    key(serial)
}

/// Polls `done` until it holds, or gives up after [`WAIT`].
pub(super) async fn until(what: &str, done: impl Fn() -> bool) {
    let give_up = tokio::time::Instant::now() + WAIT;
    while !done() {
        assert!(tokio::time::Instant::now() < give_up, "never {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn rpc() -> Body<'static> {
    Body::GetRPCMethods
}

#[tokio::test]
async fn unknown_devices_and_full_queues_are_refused_at_once() {
    let acs = serve_acs(
        EngineConfig {
            max_queued_per_device: 1,
            ..EngineConfig::default()
        },
        config(WakeConfig::default()),
    )
    .await;
    let h = &acs.handle;
    assert_eq!(
        h.submit(key("NOPE"), rpc(), WAIT).await,
        Err(SubmitError::UnknownDevice)
    );
    let cpe = HeldCpe::start().await;
    let device = register(&acs, "SN1", &cpe.url);
    let first = tokio::spawn({
        let h = h.clone();
        let device = device.clone();
        async move { h.submit(device, rpc(), WAIT).await }
    });
    until("queued", || acs.shared.waiters.len() == 1).await;
    assert_eq!(
        h.submit(device, rpc(), WAIT).await,
        Err(SubmitError::QueueFull)
    );
    assert_eq!(
        acs.shared.waiters.len(),
        1,
        "the refused one left no waiter"
    );
    first.abort();
}

#[tokio::test]
async fn a_caller_that_gives_up_takes_its_rpc_back() {
    let acs = serve_acs(EngineConfig::default(), config(WakeConfig::default())).await;
    let cpe = HeldCpe::start().await;
    let device = register(&acs, "SN1", &cpe.url);
    let submit = acs.handle.submit(device.clone(), rpc(), WAIT);
    // The connection request is under way (held by the CPE) when the
    // caller stops waiting.
    let gave_up = tokio::select! {
        _ = submit => false,
        () = until("requested", || cpe.requests.load(Ordering::SeqCst) == 1) => true,
    };
    assert!(gave_up);
    assert_eq!(acs.shared.waiters.len(), 0);
    let e = acs.shared.engine.lock().unwrap();
    assert_eq!(e.queued(&device), 0, "withdrawn from the engine");
}

#[tokio::test]
async fn one_connection_request_at_a_time_per_device() {
    let acs = serve_acs(EngineConfig::default(), config(WakeConfig::default())).await;
    let cpe = HeldCpe::start().await;
    let device = register(&acs, "SN1", &cpe.url);
    let h = &acs.handle;
    // An RPC starts the request; callers who want the device woken too
    // join it rather than send their own.
    let waiting = tokio::spawn({
        let (h, device) = (h.clone(), device.clone());
        async move { h.submit(device, rpc(), Duration::from_secs(1)).await }
    });
    until("requested", || cpe.requests.load(Ordering::SeqCst) == 1).await;
    let wakes = [h.clone(), h.clone(), h.clone()].map(|h| {
        let device = device.clone();
        tokio::spawn(async move { h.connection_request(device).await })
    });
    until("all joined", || acs.shared.wakeups.listeners(&device) == 3).await;
    cpe.answers.add_permits(1);
    for w in wakes {
        let outcome = tokio::time::timeout(WAIT, w).await.unwrap().unwrap();
        assert_eq!(outcome, ConnectionRequestOutcome::Ok);
    }
    // The CPE said yes but never came: the RPC expires unsent.
    let outcome = tokio::time::timeout(WAIT, waiting).await.unwrap().unwrap();
    assert_eq!(outcome, Ok(RpcOutcome::Expired));
    assert_eq!(cpe.requests.load(Ordering::SeqCst), 1);
    let c = &acs.counters.connection_requests;
    assert_eq!((c.ok.load(Ordering::Relaxed), c.total()), (1, 1));
    assert_eq!(acs.shared.wakeups.pending(), 0);
}

#[tokio::test]
async fn an_offline_device_fails_its_rpcs_with_the_reason() {
    let acs = serve_acs(
        EngineConfig::default(),
        config(WakeConfig {
            connection_requests: ConnectionRequestConfig {
                timeout: Duration::from_secs(5),
                ..ConnectionRequestConfig::default()
            },
            ..WakeConfig::default()
        }),
    )
    .await;
    // Nothing listens there.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}/cr", dead.local_addr().unwrap());
    drop(dead);
    let device = register(&acs, "SN1", &dead_url);
    let no_url = register(&acs, "SN2", "");
    let h = &acs.handle;
    let (a, b, c) = tokio::join!(
        h.submit(device.clone(), rpc(), WAIT),
        h.submit(device.clone(), rpc(), WAIT),
        h.submit(no_url, rpc(), WAIT),
    );
    for outcome in [a, b] {
        assert!(
            matches!(
                outcome,
                Err(SubmitError::ConnectionRequestFailed(
                    ConnectionRequestOutcome::Offline(_)
                ))
            ),
            "{outcome:?}"
        );
    }
    assert!(
        matches!(
            &c,
            Err(SubmitError::ConnectionRequestFailed(ConnectionRequestOutcome::BadUrl(why)))
                if why.contains("ConnectionRequestURL")
        ),
        "{c:?}"
    );
    let counts = &acs.counters.connection_requests;
    assert_eq!(
        counts.offline.load(Ordering::Relaxed),
        1,
        "one for both RPCs"
    );
    assert_eq!(counts.bad_url.load(Ordering::Relaxed), 1);
    assert_eq!(acs.shared.engine.lock().unwrap().queued(&device), 0);
}

#[tokio::test]
async fn a_stopped_acs_releases_its_callers() {
    let acs = serve_acs(EngineConfig::default(), config(WakeConfig::default())).await;
    let cpe = HeldCpe::start().await;
    let device = register(&acs, "SN1", &cpe.url);
    let waiting = tokio::spawn({
        let (h, device) = (acs.handle.clone(), device.clone());
        async move { h.submit(device, rpc(), WAIT).await }
    });
    until("queued", || acs.shared.waiters.len() == 1).await;
    acs.served.abort();
    let outcome = tokio::time::timeout(WAIT, waiting).await.unwrap().unwrap();
    assert_eq!(outcome, Err(SubmitError::Stopped));
    assert_eq!(
        acs.handle.submit(device, rpc(), WAIT).await,
        Err(SubmitError::Stopped)
    );
}

/// A log sink for one test thread.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// One thread: the subscriber set here sees the spawned requests too.
#[tokio::test(flavor = "current_thread")]
async fn failed_requests_are_logged_with_the_device_and_never_a_password() {
    let log = Captured::default();
    let sink = log.clone();
    let _logging = tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .finish(),
    );
    let acs = serve_acs(
        EngineConfig::default(),
        config(WakeConfig {
            shared_user: "fleet".into(),
            shared_password: Secret::new("shared-secret"),
            ..WakeConfig::default()
        }),
    )
    .await;
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let offline = register(&acs, "SN1", &format!("http://127.0.0.1:{port}/cr"));
    let with_user_info = register(&acs, "SN2", "http://u:pw-in-url@127.0.0.1:9/cr");
    let h = &acs.handle;
    let (a, b) = tokio::join!(
        h.submit(offline, rpc(), WAIT),
        h.submit(with_user_info, rpc(), WAIT)
    );
    assert!(a.is_err() && b.is_err(), "{a:?} {b:?}");
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let line = |serial: &str, kind: &str| {
        text.lines().any(|l| {
            l.contains(&format!("device=os::00D09E-{serial}"))
                && l.contains(&format!("result=\"{kind}\""))
        })
    };
    assert!(line("SN1", "offline"), "{text}");
    assert!(line("SN2", "bad_url"), "{text}");
    assert!(text.contains("user=\"fleet\""), "{text}");
    for secret in ["shared-secret", "pw-in-url"] {
        assert!(!text.contains(secret), "{secret} logged:\n{text}");
    }
}

#[tokio::test]
async fn a_subscriber_hears_informs_once_durable_and_overflow_is_counted() {
    let store = Arc::new(MemoryStore::default());
    let listener = server::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let counters = Arc::new(Counters::default());
    let engine = Engine::new(EngineConfig::default(), store.clone());
    let server = Server::new(engine, config(WakeConfig::default()), counters.clone()).unwrap();
    let mut events = server.subscribe(1);
    let served = tokio::spawn(server.serve(server::Listeners {
        plain: Some(listener),
        tls: None,
    }));
    let post = |serial: &'static str| async move {
        let body = inform_xml(serial, &["1 BOOT"], "1");
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(&body).await.unwrap();
        let mut got = vec![0u8; 4096];
        let n = s.read(&mut got).await.unwrap();
        assert!(got[..n].starts_with(b"HTTP/1.1 200"));
    };
    post("SN1").await;
    let ev = tokio::time::timeout(WAIT, events.recv()).await.unwrap();
    assert!(
        matches!(&ev, Some(crate::Event::Informed { device, .. }) if *device == key("SN1")),
        "{ev:?}"
    );
    assert!(store.get(&key("SN1")).unwrap().is_some(), "durable first");
    // Nobody reads: the second Inform fills the one slot, the third's
    // event is dropped and counted, and the CPE never waits for it.
    post("SN2").await;
    post("SN3").await;
    assert!(counters.events_dropped.load(Ordering::Relaxed) >= 1);
    served.abort();
}
