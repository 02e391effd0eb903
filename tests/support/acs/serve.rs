//! The scripted ACS's HTTP side: one hyper connection per CPE TCP
//! connection, sessions by connection (cookie as fallback), Basic/Digest.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use cwmp::model::acs::InformResponse;
use cwmp::Body;
use http_body_util::{BodyExt, Full, Limited};
use httpauth::server::{check_basic, Outcome};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};

use super::*;

pub(super) async fn serve(listener: std::net::TcpListener, shared: Arc<Shared>) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let conn = Arc::new(Mutex::new(Conn::default()));
            let svc = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                let conn = conn.clone();
                async move { Ok::<_, Infallible>(handle(req, &shared, &conn).await) }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, svc)
                .await;
        });
    }
}

#[derive(Default)]
struct Conn {
    session: Option<u64>,
    authed: bool,
}

fn reply(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r
}

async fn handle(
    req: Request<Incoming>,
    shared: &Shared,
    conn: &Mutex<Conn>,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    if path.starts_with("/files/") {
        shared.state.lock().unwrap().stats.file_gets += 1;
        return match (method.as_str(), path.as_str()) {
            ("GET", "/files/fw.bin") => reply(StatusCode::OK, FILE),
            _ => reply(StatusCode::NOT_FOUND, "not found"),
        };
    }
    if path.starts_with("/upload") {
        let body = read_body(req).await.unwrap_or_default();
        let mut st = shared.state.lock().unwrap();
        st.stats.uploads.push((path, body.len()));
        shared.changed.notify_all();
        return reply(StatusCode::OK, "");
    }
    if method != hyper::Method::POST {
        return reply(StatusCode::METHOD_NOT_ALLOWED, "");
    }
    if let Some(denied) = authenticate(&req, shared, conn) {
        return denied;
    }
    let cookie_session = req
        .headers()
        .get_all(hyper::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix("acs-session=")?.parse::<u64>().ok());
    let Some(body) = read_body(req).await else {
        return reply(StatusCode::PAYLOAD_TOO_LARGE, "");
    };
    let envelope = if body.iter().all(u8::is_ascii_whitespace) {
        Envelope::default()
    } else {
        match cwmp::parse(&body) {
            Ok(e) => e.into_owned(),
            Err(e) => {
                let mut st = shared.state.lock().unwrap();
                st.stats
                    .parse_errors
                    .push(format!("{e}: {}", String::from_utf8_lossy(&body)));
                shared.changed.notify_all();
                return reply(StatusCode::BAD_REQUEST, "");
            }
        }
    };
    let mut st = shared.state.lock().unwrap();
    if matches!(envelope.body, Body::Inform(_)) && st.refuse_informs > 0 {
        st.refuse_informs -= 1;
        let serial = match &envelope.body {
            Body::Inform(i) => i.device_id.serial_number.to_string(),
            _ => String::new(),
        };
        st.received.push(Received {
            serial,
            session: 0,
            envelope,
            xml: String::from_utf8_lossy(&body).into_owned(),
            path,
        });
        shared.changed.notify_all();
        return reply(StatusCode::SERVICE_UNAVAILABLE, "");
    }
    let mut c = conn.lock().unwrap();
    let mut set_cookie = None;
    if let Body::Inform(inform) = &envelope.body {
        st.next_session += 1;
        let id = st.next_session;
        st.sessions.insert(
            id,
            Session {
                serial: inform.device_id.serial_number.to_string(),
                version: envelope.version,
            },
        );
        c.session = Some(id);
        set_cookie = Some(format!("acs-session={id}; Path=/"));
    }
    let session = c.session.or(cookie_session);
    drop(c);
    let Some((session, serial, version)) = session.and_then(|id| {
        st.sessions
            .get(&id)
            .map(|s| (id, s.serial.clone(), s.version))
    }) else {
        return reply(StatusCode::NO_CONTENT, "");
    };
    let answer = match &envelope.body {
        Body::Inform(_) => Some(Body::InformResponse(InformResponse { max_envelopes: 1 })),
        Body::TransferComplete(_) => Some(Body::TransferCompleteResponse),
        Body::AutonomousTransferComplete(_) => Some(Body::AutonomousTransferCompleteResponse),
        Body::DUStateChangeComplete(_) => Some(Body::DUStateChangeCompleteResponse),
        Body::AutonomousDUStateChangeComplete(_) => {
            Some(Body::AutonomousDUStateChangeCompleteResponse)
        }
        Body::RequestDownload(_) => Some(Body::RequestDownloadResponse),
        Body::GetRPCMethods => Some(Body::GetRPCMethodsResponse(
            cwmp::model::cpe::GetRPCMethodsResponse {
                method_list: ["Inform", "GetRPCMethods", "TransferComplete"]
                    .into_iter()
                    .map(Into::into)
                    .collect(),
            },
        )),
        _ => None,
    };
    let request_id = envelope.header.id.as_deref().map(str::to_string);
    st.received.push(Received {
        serial: serial.clone(),
        session,
        envelope,
        xml: String::from_utf8_lossy(&body).into_owned(),
        path,
    });
    shared.changed.notify_all();
    let out = match answer {
        Some(b) => {
            let mut env = Envelope::new(version, b);
            if let Some(id) = request_id {
                env = env.with_id(id);
            }
            Some(env)
        }
        None => {
            let own = st.queues.get_mut(&serial).and_then(VecDeque::pop_front);
            own.or_else(|| st.queues.get_mut("*").and_then(VecDeque::pop_front))
                .map(|(id, rpc)| Envelope::new(version, rpc).with_id(id))
        }
    };
    drop(st);
    let mut resp = match out {
        Some(env) => {
            let mut r = reply(StatusCode::OK, env.to_xml());
            r.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("text/xml; charset=utf-8"),
            );
            r
        }
        None => reply(StatusCode::NO_CONTENT, ""),
    };
    if let Some(c) = set_cookie.and_then(|c| c.parse().ok()) {
        resp.headers_mut().insert(hyper::header::SET_COOKIE, c);
    }
    resp
}

async fn read_body(req: Request<Incoming>) -> Option<Bytes> {
    Limited::new(req.into_body(), MAX_BODY)
        .collect()
        .await
        .ok()
        .map(|c| c.to_bytes())
}

/// `None` when the request may proceed; otherwise the 401 to send.
fn authenticate(
    req: &Request<Incoming>,
    shared: &Shared,
    conn: &Mutex<Conn>,
) -> Option<Response<Full<Bytes>>> {
    if shared.auth == Auth::None || conn.lock().unwrap().authed {
        return None;
    }
    let header = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let lookup = |u: &str| (u == USER).then(|| PASSWORD.to_string());
    let now = shared.started.elapsed().as_secs() + 1_000;
    let outcome = match (shared.auth, header) {
        (_, None) => Outcome::Denied,
        (Auth::Basic, Some(h)) => check_basic(h, lookup),
        (_, Some(h)) => {
            shared
                .verifier
                .lock()
                .unwrap()
                .verify(h, req.method().as_str(), lookup, now)
        }
    };
    let mut st = shared.state.lock().unwrap();
    if let Outcome::Ok { .. } = outcome {
        st.stats.auth_ok += 1;
        conn.lock().unwrap().authed = true;
        return None;
    }
    if header.is_some() && outcome == Outcome::Denied {
        st.stats.auth_denied += 1;
    }
    st.stats.challenges += 1;
    let challenges = match shared.auth {
        Auth::Basic => vec![httpauth::server::basic_challenge("miniacs")],
        _ => {
            let n = st.stats.challenges as u8;
            let v = shared.verifier.lock().unwrap();
            v.challenges(now, [n; 16], outcome == Outcome::Stale)
        }
    };
    drop(st);
    let mut r = reply(StatusCode::UNAUTHORIZED, "");
    for c in challenges {
        if let Ok(v) = c.parse() {
            r.headers_mut().append(hyper::header::WWW_AUTHENTICATE, v);
        }
    }
    Some(r)
}
