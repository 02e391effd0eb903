//! The HTTP connection request against small local CPE-like servers.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use super::*;
use ConnectionRequestOutcome as O;

type Resp = Response<Full<Bytes>>;

fn requester(timeout_ms: u64, allow_basic: bool) -> ConnectionRequester {
    ConnectionRequester::new(ConnectionRequestConfig {
        timeout: Duration::from_millis(timeout_ms),
        allow_basic,
        ..ConnectionRequestConfig::default()
    })
}

/// A hyper server on 127.0.0.1; counts the TCP connections it accepts.
async fn serve<F, Fut>(handler: F) -> (SocketAddr, Arc<AtomicUsize>)
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Resp> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let conns = Arc::new(AtomicUsize::new(0));
    let counted = conns.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let h = handler.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req| {
                    let h = h.clone();
                    async move { Ok::<_, Infallible>(h(req).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (addr, conns)
}

fn status(code: u16) -> Resp {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = hyper::StatusCode::from_u16(code).unwrap();
    r
}

/// A CPE's connection-request listener: Digest (SHA-256 and MD5) for
/// `cr`/`crpass`, then `ok_status`; `close_after_401` mimics CPE that hang
/// up after their challenge.
async fn digest_cpe(ok_status: u16, close_after_401: bool) -> (String, Arc<AtomicUsize>) {
    let verifier = Arc::new(Mutex::new(httpauth::server::Verifier::new("cpe", [7; 32])));
    let (addr, conns) = serve(move |req: Request<Incoming>| {
        let verifier = verifier.clone();
        async move {
            assert_eq!(req.method(), hyper::Method::GET);
            let mut v = verifier.lock().unwrap();
            let outcome = match req.headers().get("authorization") {
                Some(a) => v.verify_request(
                    a.to_str().unwrap(),
                    "GET",
                    Some(&req.uri().to_string()),
                    |u| (u == "cr").then(|| "crpass".to_string()),
                    1_000,
                ),
                None => httpauth::server::Outcome::Denied,
            };
            if matches!(outcome, httpauth::server::Outcome::Ok { .. }) {
                return status(ok_status);
            }
            let mut r = status(401);
            for c in v.challenges(1_000, [1; 16], false) {
                r.headers_mut()
                    .append("www-authenticate", c.parse().unwrap());
            }
            if close_after_401 {
                r.headers_mut()
                    .insert("connection", "close".parse().unwrap());
            }
            r
        }
    })
    .await;
    (format!("http://{addr}/cr/SIM000001?x=1"), conns)
}

#[tokio::test]
async fn right_digest_gets_204() {
    let (url, conns) = digest_cpe(204, false).await;
    assert_eq!(
        requester(2000, false).http(&url, "cr", "crpass").await,
        O::Ok
    );
    // Challenge, then the authenticated GET on a connection of its own.
    assert_eq!(conns.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_cpe_that_closes_after_its_401_still_gets_the_retry() {
    let (url, conns) = digest_cpe(200, true).await;
    assert_eq!(
        requester(2000, false).http(&url, "cr", "crpass").await,
        O::Ok
    );
    assert_eq!(conns.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn wrong_password_is_auth_failed_after_one_retry() {
    let (url, conns) = digest_cpe(204, false).await;
    let outcome = requester(2000, false).http(&url, "cr", "nope").await;
    assert!(
        matches!(&outcome, O::AuthFailed(why) if why.contains("refused")),
        "{outcome:?}"
    );
    assert_eq!(conns.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn basic_only_when_allowed() {
    let (addr, _) = serve(|req: Request<Incoming>| async move {
        let want = httpauth::basic_header("cr", "crpass");
        match req.headers().get("authorization") {
            Some(a) if a.to_str().unwrap() == want => status(204),
            _ => {
                let mut r = status(401);
                r.headers_mut()
                    .insert("www-authenticate", "Basic realm=\"cpe\"".parse().unwrap());
                r
            }
        }
    })
    .await;
    let url = format!("http://{addr}/");
    assert!(matches!(
        requester(2000, false).http(&url, "cr", "crpass").await,
        O::AuthFailed(why) if why.contains("Basic")
    ));
    assert_eq!(
        requester(2000, true).http(&url, "cr", "crpass").await,
        O::Ok
    );
}

#[tokio::test]
async fn busy_cpe_is_rate_limited_with_its_retry_after() {
    let (addr, _) = serve(|_req| async move {
        let mut r = status(503);
        r.headers_mut()
            .insert("retry-after", "120".parse().unwrap());
        r
    })
    .await;
    assert_eq!(
        requester(2000, false)
            .http(&format!("http://{addr}/"), "u", "p")
            .await,
        O::RateLimited {
            retry_after: Some(RetryAfter::Seconds(120))
        }
    );
}

#[tokio::test]
async fn other_statuses_are_unexpected() {
    let (addr, _) = serve(|_req| async move { status(404) }).await;
    assert_eq!(
        requester(2000, false)
            .http(&format!("http://{addr}/x"), "u", "p")
            .await,
        O::Unexpected(404)
    );
}

#[tokio::test]
async fn refused_is_offline() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    assert_eq!(
        requester(2000, false)
            .http(&format!("http://{addr}/"), "u", "p")
            .await,
        O::Offline(OfflineCause::Refused)
    );
}

/// A raw TCP peer that runs `behave` on each accepted connection.
async fn raw<F, Fut>(behave: F) -> String
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(behave(s));
        }
    });
    format!("http://{addr}/")
}

#[tokio::test]
async fn a_silent_cpe_is_offline_after_the_timeout() {
    let url = raw(|s| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(s);
    })
    .await;
    assert_eq!(
        requester(200, false).http(&url, "u", "p").await,
        O::Offline(OfflineCause::Timeout)
    );
}

#[tokio::test]
async fn hanging_up_without_an_answer_is_offline() {
    let url = raw(|s| async move { drop(s) }).await;
    let outcome = requester(2000, false).http(&url, "u", "p").await;
    assert!(
        matches!(
            outcome,
            O::Offline(OfflineCause::Closed | OfflineCause::Reset)
        ),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn an_oversize_head_is_refused_without_reading_it_all() {
    let url = raw(|mut s| async move {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\n").await;
        let line = format!("X-Filler: {}\r\n", "a".repeat(1000));
        // Headers without end: only a reader that stops can answer.
        while s.write_all(line.as_bytes()).await.is_ok() {}
    })
    .await;
    let outcome = requester(5000, false).http(&url, "u", "p").await;
    assert!(
        matches!(&outcome, O::Offline(OfflineCause::BadResponse(why)) if why.contains("larger")),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_huge_body_is_never_read() {
    let url = raw(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n")
            .await;
        let chunk = vec![b'x'; 64 * 1024];
        while s.write_all(&chunk).await.is_ok() {}
    })
    .await;
    assert_eq!(requester(5000, false).http(&url, "u", "p").await, O::Ok);
}

#[tokio::test]
async fn garbage_is_a_bad_response() {
    let url = raw(|mut s| async move {
        let _ = s.write_all(b"SSH-2.0-OpenSSH_9.6\r\n\r\n").await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    })
    .await;
    let outcome = requester(5000, false).http(&url, "u", "p").await;
    assert!(
        matches!(outcome, O::Offline(OfflineCause::BadResponse(_))),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn bad_urls_are_refused_before_connecting() {
    for url in [
        "https://127.0.0.1:1/",
        "ftp://127.0.0.1/",
        "http:///cr",
        "http://127.0.0.1:99999/",
        "http://127.0.0.1:0/",
        "not a url",
        "",
    ] {
        let outcome = requester(2000, false).http(url, "u", "p").await;
        assert!(matches!(outcome, O::BadUrl(_)), "{url:?}: {outcome:?}");
    }
}
