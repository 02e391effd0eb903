//! The two listeners: connection requests (`GET /cr/<serial>`, Digest
//! protected) and the control API (JSON over HTTP).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::{Handle, Msg, Shared};
use crate::cpe::Trigger;

type Registry = Arc<HashMap<Box<str>, Arc<Handle>>>;
type Resp = Response<Full<Bytes>>;

const CONTROL_MAX_BODY: usize = 64 * 1024;
const CONTROL_TIMEOUT: Duration = Duration::from_secs(10);

fn reply(status: StatusCode, body: serde_json::Value) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

fn error(status: StatusCode, msg: impl Into<String>) -> Resp {
    reply(status, serde_json::json!({ "error": msg.into() }))
}

fn empty(status: StatusCode) -> Resp {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = status;
    r
}

/// Accept loop shared by both listeners; each connection is served with a
/// whole-connection time limit so idle peers cannot pin a task forever.
async fn serve<F, Fut>(listener: TcpListener, handler: F)
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Resp> + Send + 'static,
{
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let h = handler.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let h = h.clone();
                async move { Ok::<_, Infallible>(h(req).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .max_buf_size(64 * 1024)
                .serve_connection(TokioIo::new(stream), svc);
            let _ = tokio::time::timeout(Duration::from_secs(60), conn).await;
        });
    }
}

fn random_key() -> [u8; 32] {
    use std::hash::{BuildHasher, Hasher};
    let mut key = [0u8; 32];
    for chunk in key.chunks_mut(8) {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    key
}

fn random16() -> [u8; 16] {
    let k = random_key();
    let mut out = [0u8; 16];
    out.copy_from_slice(&k[..16]);
    out
}

pub(super) async fn serve_connection_requests(
    listener: TcpListener,
    registry: Registry,
    shared: Arc<Shared>,
    digest: bool,
    refuse: bool,
) {
    let verifier = Arc::new(Mutex::new(
        httpauth::server::Verifier::new("cwmp2usp-sim", random_key()).max_nonces(100_000),
    ));
    serve(listener, move |req: Request<Incoming>| {
        let registry = registry.clone();
        let shared = shared.clone();
        let verifier = verifier.clone();
        async move {
            let path = req.uri().path().to_string();
            let Some(serial) = path.strip_prefix("/cr/") else {
                return empty(StatusCode::NOT_FOUND);
            };
            let Some(handle) = registry.get(serial) else {
                return empty(StatusCode::NOT_FOUND);
            };
            if digest {
                let now = shared.now().as_secs();
                let auth = req
                    .headers()
                    .get(hyper::header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let creds = handle
                    .cr_creds
                    .lock()
                    .map(|c| c.clone())
                    .unwrap_or_default();
                let outcome = match verifier.lock() {
                    Ok(mut v) if !auth.is_empty() => {
                        let uri = req.uri().to_string();
                        let lookup = |u: &str| (u == creds.0).then(|| creds.1.clone());
                        v.verify_request(&auth, req.method().as_str(), Some(&uri), lookup, now)
                    }
                    _ => httpauth::server::Outcome::Denied,
                };
                if !matches!(outcome, httpauth::server::Outcome::Ok { .. }) {
                    let stale = outcome == httpauth::server::Outcome::Stale;
                    let mut r = empty(StatusCode::UNAUTHORIZED);
                    if let Ok(v) = verifier.lock() {
                        for c in v.challenges(now, random16(), stale) {
                            if let Ok(hv) = hyper::header::HeaderValue::from_str(&c) {
                                r.headers_mut().append(hyper::header::WWW_AUTHENTICATE, hv);
                            }
                        }
                    }
                    return r;
                }
            }
            if refuse {
                return empty(StatusCode::SERVICE_UNAVAILABLE);
            }
            if handle.tx.try_send(Msg::ConnectionRequest).is_err() {
                return empty(StatusCode::SERVICE_UNAVAILABLE);
            }
            shared
                .stats
                .connection_requests
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            empty(StatusCode::OK)
        }
    })
    .await;
}

fn query_param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| v.to_string())
    })
}

#[derive(serde::Deserialize)]
struct SetBody {
    name: String,
    value: String,
}

async fn read_json<T: serde::de::DeserializeOwned>(req: Request<Incoming>) -> Result<T, Resp> {
    let body = tokio::time::timeout(
        CONTROL_TIMEOUT,
        Limited::new(req.into_body(), CONTROL_MAX_BODY).collect(),
    )
    .await
    .map_err(|_| error(StatusCode::REQUEST_TIMEOUT, "body timeout"))?
    .map_err(|_| error(StatusCode::PAYLOAD_TOO_LARGE, "body too large or broken"))?
    .to_bytes();
    serde_json::from_slice(&body).map_err(|e| error(StatusCode::BAD_REQUEST, format!("JSON: {e}")))
}

pub(super) async fn serve_control(listener: TcpListener, registry: Registry, shared: Arc<Shared>) {
    serve(listener, move |req: Request<Incoming>| {
        let registry = registry.clone();
        let shared = shared.clone();
        async move { control(req, &registry, &shared).await }
    })
    .await;
}

async fn control(req: Request<Incoming>, registry: &Registry, shared: &Shared) -> Resp {
    let uri = req.uri().clone();
    let path = uri.path().to_string();
    let method = req.method().clone();
    if path == "/stats" {
        return if method == hyper::Method::GET {
            reply(
                StatusCode::OK,
                shared.stats.snapshot(shared.count, shared.now()),
            )
        } else {
            error(StatusCode::METHOD_NOT_ALLOWED, "use GET")
        };
    }
    // Two spellings: /cpe/<serial>/<verb>, or /<verb> with "serial" in the
    // JSON body (and ?serial= for GET).
    let (serial, verb, body) = if let Some(rest) = path.strip_prefix("/cpe/") {
        let Some((serial, verb)) = rest.split_once('/') else {
            return error(StatusCode::NOT_FOUND, "expected /cpe/<serial>/<action>");
        };
        let body = if method == hyper::Method::POST && matches!(verb, "set" | "add" | "delete") {
            match read_json::<serde_json::Value>(req).await {
                Ok(b) => Some(b),
                Err(r) => return r,
            }
        } else {
            None
        };
        (serial.to_string(), verb.to_string(), body)
    } else {
        let verb = path.trim_start_matches('/').to_string();
        let query = req.uri().query().unwrap_or_default().to_string();
        let body = if method == hyper::Method::POST {
            match read_json::<serde_json::Value>(req).await {
                Ok(b) => Some(b),
                Err(r) => return r,
            }
        } else {
            None
        };
        let serial = body
            .as_ref()
            .and_then(|b| b.get("serial"))
            .and_then(|s| s.as_str())
            .map(str::to_string)
            .or_else(|| query_param(&query, "serial"))
            .unwrap_or_default();
        (serial, verb, body)
    };
    let query = uri.query().unwrap_or_default().to_string();
    let serial = serial.as_str();
    let verb = verb.as_str();
    let Some(handle) = registry.get(serial) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("no CPE with serial {serial:?}"),
        );
    };
    let send = |m: Msg| async {
        tokio::time::timeout(CONTROL_TIMEOUT, handle.tx.send(m))
            .await
            .map_err(|_| error(StatusCode::SERVICE_UNAVAILABLE, "CPE busy"))?
            .map_err(|_| error(StatusCode::SERVICE_UNAVAILABLE, "CPE stopped"))
    };
    let trigger = match verb {
        "reboot" => Some(Trigger::Reboot),
        "boot" => Some(Trigger::Boot),
        "periodic" => Some(Trigger::Periodic),
        _ => None,
    };
    match (method, verb) {
        (hyper::Method::POST, _) if trigger.is_some() => {
            let Some(t) = trigger else {
                return error(StatusCode::NOT_FOUND, "unknown action");
            };
            match send(Msg::Trigger(t)).await {
                Ok(()) => reply(StatusCode::OK, serde_json::json!({ "ok": true })),
                Err(r) => r,
            }
        }
        (hyper::Method::POST, "set") => {
            let body: SetBody = match body.map(serde_json::from_value) {
                Some(Ok(b)) => b,
                Some(Err(e)) => return error(StatusCode::BAD_REQUEST, format!("JSON: {e}")),
                None => return error(StatusCode::BAD_REQUEST, "expected a JSON body"),
            };
            let (tx, rx) = oneshot::channel();
            if let Err(r) = send(Msg::Set {
                name: body.name,
                value: body.value,
                reply: tx,
            })
            .await
            {
                return r;
            }
            match tokio::time::timeout(CONTROL_TIMEOUT, rx).await {
                Ok(Ok(Ok(()))) => reply(StatusCode::OK, serde_json::json!({ "ok": true })),
                Ok(Ok(Err(msg))) => error(StatusCode::BAD_REQUEST, msg),
                _ => error(StatusCode::SERVICE_UNAVAILABLE, "CPE busy"),
            }
        }
        (hyper::Method::POST, verb @ ("add" | "delete")) => {
            let name = match body
                .as_ref()
                .and_then(|b| b.get("name"))
                .and_then(|n| n.as_str())
            {
                Some(n) => n.to_owned(),
                None => return error(StatusCode::BAD_REQUEST, "expected {\"name\": ...}"),
            };
            let (tx, rx) = oneshot::channel();
            let add = verb == "add";
            if let Err(r) = send(Msg::Object {
                name,
                add,
                reply: tx,
            })
            .await
            {
                return r;
            }
            match tokio::time::timeout(CONTROL_TIMEOUT, rx).await {
                Ok(Ok(Ok(Some(n)))) => reply(
                    StatusCode::OK,
                    serde_json::json!({ "ok": true, "instance": n }),
                ),
                Ok(Ok(Ok(None))) => reply(StatusCode::OK, serde_json::json!({ "ok": true })),
                Ok(Ok(Err(msg))) => error(StatusCode::NOT_FOUND, msg),
                _ => error(StatusCode::SERVICE_UNAVAILABLE, "CPE busy"),
            }
        }
        (hyper::Method::GET, "get") => {
            let name = query_param(&query, "name").unwrap_or_default();
            let (tx, rx) = oneshot::channel();
            if let Err(r) = send(Msg::Get {
                name: name.clone(),
                reply: tx,
            })
            .await
            {
                return r;
            }
            match tokio::time::timeout(CONTROL_TIMEOUT, rx).await {
                Ok(Ok(Some((value, ty)))) => reply(
                    StatusCode::OK,
                    serde_json::json!({ "name": name, "value": value, "type": ty }),
                ),
                Ok(Ok(None)) => error(StatusCode::NOT_FOUND, format!("no parameter {name:?}")),
                _ => error(StatusCode::SERVICE_UNAVAILABLE, "CPE busy"),
            }
        }
        _ => error(StatusCode::NOT_FOUND, "unknown action or wrong method"),
    }
}
