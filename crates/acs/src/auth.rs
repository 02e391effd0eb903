//! Who a CWMP request comes from: the shared or a device's own
//! credentials, Basic or Digest as the connection allows, and our session
//! cookie.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, COOKIE, WWW_AUTHENTICATE};
use hyper::{Response, StatusCode};

use crate::server::{plain, AuthMode, Link};
use crate::shared::Shared;
use crate::{entropy, Store};

pub(crate) const COOKIE_NAME: &str = "cwmp2usp-session";

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

pub(crate) fn cookie_value(headers: &hyper::HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == COOKIE_NAME)
        .map(|(_, v)| v.to_string())
}

/// Who the request comes from (`None` with authentication off), or the
/// 401 to send. A second failure on one connection closes it.
pub(crate) fn authenticate<S: Store>(
    shared: &Shared<S>,
    link: Link,
    failures: &AtomicU64,
    req: &hyper::Request<Incoming>,
) -> Result<Option<String>, Box<Response<Full<Bytes>>>> {
    let cfg = &shared.config;
    let mode = cfg.auth_on(link.is_tls);
    if mode == AuthMode::None {
        return Ok(None);
    }
    // A device's own credentials first, then the shared ones. A registry
    // that cannot be read must not turn into "wrong password" (which
    // counts towards closing the connection): it is a 503.
    let unreadable = std::cell::Cell::new(false);
    let lookup = |user: &str| {
        let own = shared.store.credential(user).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "registry unreadable during authentication");
            unreadable.set(true);
            None
        });
        own.map(|c| c.password.expose().to_string())
            .or_else(|| (user == cfg.user).then(|| cfg.password.clone()))
    };
    let header = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let now = unix_secs();
    let outcome = header.map(|a| match mode {
        AuthMode::Basic => httpauth::server::check_basic(a, lookup),
        _ => match shared.verifier.lock() {
            Ok(mut v) => v.verify_request(a, "POST", Some(req.uri().path()), lookup, now),
            Err(_) => httpauth::server::Outcome::Denied,
        },
    });
    if unreadable.get() {
        let mut r = plain(StatusCode::SERVICE_UNAVAILABLE, true);
        r.headers_mut().insert(
            hyper::header::RETRY_AFTER,
            HeaderValue::from(
                shared
                    .engine
                    .lock()
                    .map_or(30, |e| e.config().retry_after_secs),
            ),
        );
        return Err(Box::new(r));
    }
    let stale = match outcome {
        Some(httpauth::server::Outcome::Ok { user }) => {
            failures.store(0, Ordering::Relaxed);
            return Ok(Some(user));
        }
        Some(httpauth::server::Outcome::Stale) => true,
        Some(httpauth::server::Outcome::Denied) => {
            shared
                .counters
                .auth_failures
                .fetch_add(1, Ordering::Relaxed);
            denied(shared, link.peer, header);
            false
        }
        None => false,
    };
    let failed_before = if header.is_some() && !stale {
        failures.fetch_add(1, Ordering::Relaxed)
    } else {
        0
    };
    let mut r = plain(StatusCode::UNAUTHORIZED, failed_before >= 1);
    let challenges = match mode {
        AuthMode::Basic => vec![httpauth::server::basic_challenge("cwmp2usp")],
        _ => match shared.verifier.lock() {
            // No randomness, no challenge: the CPE sees a bare 401.
            Ok(v) => entropy::random16().map_or_else(Vec::new, |r| v.challenges(now, r, stale)),
            Err(_) => Vec::new(),
        },
    };
    for c in challenges {
        if let Ok(v) = HeaderValue::from_str(&c) {
            r.headers_mut().append(WWW_AUTHENTICATE, v);
        }
    }
    Err(Box::new(r))
}

/// Longest claimed user name logged: it is whatever the client sent.
const MAX_USER_SHOWN: usize = 64;

/// Logs a refused `Authorization`: the user name it claims (and the
/// device whose own credentials those are, if any), never the password.
fn denied<S: Store>(shared: &Shared<S>, peer: SocketAddr, header: Option<&str>) {
    let user = header.and_then(httpauth::server::claimed_user);
    let device = user
        .as_deref()
        .and_then(|u| shared.store.credential(u).ok().flatten())
        .map(|c| c.device.endpoint_id());
    let user = user.map(|mut u| {
        if u.len() > MAX_USER_SHOWN {
            let mut end = MAX_USER_SHOWN;
            while !u.is_char_boundary(end) {
                end -= 1;
            }
            u.truncate(end);
        }
        u
    });
    tracing::warn!(
        %peer,
        user = user.as_deref(),
        device = device.as_deref(),
        "authentication failed"
    );
}
