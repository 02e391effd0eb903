//! One CWMP session from the CPE side: Inform, optional TransferComplete,
//! empty POST, then the ACS's RPCs until it sends an empty response.

use std::borrow::Cow;
use std::time::Duration;

use bytes::Bytes;
use cwmp::Body;
use httpauth::DigestClient;

use super::{Cpe, HttpRequest, HttpResponse};
use crate::events::QueuedEvent;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Inform,
    TransferComplete,
    Acs,
}

pub struct Session {
    stage: Stage,
    /// The last POST's body, sent again after a Digest challenge.
    last_body: Option<Bytes>,
    digest: Option<DigestClient>,
    /// 401s in a row; a second one ends the session.
    challenges: u32,
    cookies: Vec<(String, String)>,
    rpcs: u32,
    inform_sent: Duration,
    inform_rtt: Option<Duration>,
    delivered: Vec<QueuedEvent>,
    changed_sent: Vec<Box<str>>,
    delayed: Option<(Duration, HttpRequest)>,
    cnonce_seed: u64,
}

impl Session {
    pub(super) fn send_due(&self) -> Option<Duration> {
        self.delayed.as_ref().map(|d| d.0)
    }

    pub(super) fn take_due_send(&mut self, now: Duration) -> Option<HttpRequest> {
        if self.delayed.as_ref().is_some_and(|d| d.0 <= now) {
            return self.delayed.take().map(|d| d.1);
        }
        None
    }
}

fn is_empty_body(b: &[u8]) -> bool {
    b.iter().all(|c| c.is_ascii_whitespace())
}

impl Cpe {
    pub(super) fn start_session(&mut self, now: Duration) {
        // UpTime is refreshed once per session rather than on every read,
        // so the model stays a plain overlay. It is not an Inform
        // parameter, so the cached Inform stays valid.
        let uptime = crate::clock::decimal(now.saturating_sub(self.boot_time).as_secs());
        let name = self.rooted("DeviceInfo.UpTime");
        self.model.set_untracked(&name, &uptime);
        let built = self.build_inform(now);
        let seed = self.next_random();
        self.session = Some(Session {
            stage: Stage::Inform,
            last_body: None,
            digest: None,
            challenges: 0,
            cookies: Vec::new(),
            rpcs: 0,
            inform_sent: now,
            inform_rtt: None,
            delivered: built.events,
            changed_sent: built.changed,
            delayed: None,
            cnonce_seed: seed,
        });
        self.post(now, built.body, true, false);
    }

    /// Sends a POST in the current session, after the think time if asked.
    pub(super) fn post(&mut self, now: Duration, body: Bytes, new_connection: bool, think: bool) {
        let think_time = self.cfg.think_time;
        let Some(s) = self.session.as_mut() else {
            return;
        };
        let mut headers: Vec<(&'static str, Cow<'static, str>)> = Vec::with_capacity(4);
        if !body.is_empty() {
            headers.push(("content-type", "text/xml; charset=\"utf-8\"".into()));
            headers.push(("soapaction", "".into()));
        }
        if !s.cookies.is_empty() {
            let c: Vec<String> = s.cookies.iter().map(|(n, v)| format!("{n}={v}")).collect();
            headers.push(("cookie", c.join("; ").into()));
        }
        if let Some(d) = s.digest.as_mut() {
            s.cnonce_seed = s.cnonce_seed.wrapping_add(0x9E37_79B9);
            let cnonce = format!("{:016x}", s.cnonce_seed);
            if let Some(a) = d.authorization("POST", &self.cfg.acs_path, &cnonce) {
                headers.push(("authorization", a.into()));
            }
        }
        s.last_body = Some(body.clone());
        let req = HttpRequest {
            body,
            headers,
            new_connection,
        };
        if think && !think_time.is_zero() {
            s.delayed = Some((now + think_time, req));
        } else {
            self.actions.push_back(super::Action::Send(req));
        }
    }

    /// The connection failed or timed out.
    pub fn handle_transport_error(&mut self, now: Duration) {
        if self.session.is_some() {
            self.end_session(now, false);
        }
    }

    pub fn handle_response(&mut self, now: Duration, resp: HttpResponse) {
        let echo = self.cfg.echo_cookies;
        let Some(s) = self.session.as_mut() else {
            return;
        };
        if echo {
            for sc in resp.headers_named("set-cookie") {
                let pair = sc.split(';').next().unwrap_or_default();
                if let Some((n, v)) = pair.split_once('=') {
                    let n = n.trim().to_string();
                    s.cookies.retain(|(k, _)| *k != n);
                    if s.cookies.len() < 16 {
                        s.cookies.push((n, v.trim().to_string()));
                    }
                }
            }
        }
        if resp.status == 401 {
            s.challenges += 1;
            let challenge: Vec<&str> = resp.headers_named("www-authenticate").collect();
            let have_creds = !self.cfg.acs_user.is_empty();
            if s.challenges > 1 || !have_creds || challenge.is_empty() {
                return self.end_session(now, false);
            }
            let mut d = DigestClient::new(self.cfg.acs_user.clone(), self.cfg.acs_password.clone());
            if d.challenged(&challenge.join(", ")).is_err() {
                return self.end_session(now, false);
            }
            s.digest = Some(d);
            let Some(last) = s.last_body.take() else {
                return self.end_session(now, false);
            };
            return self.post(now, last, false, false);
        }
        s.challenges = 0;
        if !matches!(resp.status, 200 | 204) {
            return self.end_session(now, false);
        }
        match s.stage {
            Stage::Inform => self.on_inform_answer(now, &resp.body),
            Stage::TransferComplete => self.on_transfer_complete_answer(now, &resp.body),
            Stage::Acs => {
                if resp.status == 204 || is_empty_body(&resp.body) {
                    return self.end_session(now, true);
                }
                self.on_acs_request(now, &resp.body);
            }
        }
    }

    fn on_inform_answer(&mut self, now: Duration, body: &[u8]) {
        if !self.is_inform_response(body) {
            return self.end_session(now, false);
        }
        let has_transfer = self.pending_transfer.is_some();
        let Some(s) = self.session.as_mut() else {
            return;
        };
        s.inform_rtt = Some(now.saturating_sub(s.inform_sent));
        let delivered = std::mem::take(&mut s.delivered);
        for name in std::mem::take(&mut s.changed_sent) {
            self.changed.remove(&name);
        }
        self.events.acknowledge(&delivered, |e| {
            has_transfer && matches!(&*e.code, "7 TRANSFER COMPLETE" | "M Download" | "M Upload")
        });
        self.retry_count = 0;
        self.retry_due = None;
        if let Some(tc) = self.pending_transfer.clone() {
            if let Some(s) = self.session.as_mut() {
                s.stage = Stage::TransferComplete;
            }
            let body = self.envelope(Body::TransferComplete(tc), None);
            self.post(now, body, false, false);
        } else {
            self.send_empty(now);
        }
    }

    /// Whether `body` is an InformResponse. The ACS's previous answer, kept
    /// as a template, recognises the usual case (the same bytes with this
    /// session's ID) without a parse; anything else is parsed in full.
    fn is_inform_response(&mut self, body: &[u8]) -> bool {
        if self
            .inform_answer
            .as_ref()
            .is_some_and(|t| t.matches(body).is_some())
        {
            return true;
        }
        let Ok(env) = cwmp::parse(body) else {
            return false;
        };
        if !matches!(env.body, Body::InformResponse(_)) {
            return false;
        }
        self.inform_answer = cwmp::IdTemplate::learn(body, &env);
        true
    }

    fn send_empty(&mut self, now: Duration) {
        if let Some(s) = self.session.as_mut() {
            s.stage = Stage::Acs;
        }
        self.post(now, Bytes::new(), false, false);
    }

    fn on_transfer_complete_answer(&mut self, now: Duration, body: &[u8]) {
        let ok = matches!(
            cwmp::parse(body).map(|e| e.body),
            Ok(Body::TransferCompleteResponse)
        );
        if !ok {
            return self.end_session(now, false);
        }
        self.pending_transfer = None;
        for code in ["7 TRANSFER COMPLETE", "M Download", "M Upload"] {
            self.events.remove_code(code);
        }
        self.send_empty(now);
    }

    fn on_acs_request(&mut self, now: Duration, body: &[u8]) {
        let env = match cwmp::parse(body) {
            Ok(env) => env,
            Err(_) => return self.end_session(now, false),
        };
        if matches!(env.body, Body::Empty) {
            return self.end_session(now, true);
        }
        let drop_prob = self.cfg.fault_drop_probability;
        let drop_after = self.cfg.fault_drop_after_rpc;
        let rpcs = self.session.as_ref().map_or(0, |s| s.rpcs);
        let unlucky = drop_prob > 0.0 && self.random_unit() < drop_prob;
        if unlucky || drop_after.is_some_and(|n| rpcs >= n) {
            self.actions.push_back(super::Action::Drop);
            return self.end_session(now, false);
        }
        if let Some(s) = self.session.as_mut() {
            s.rpcs += 1;
        }
        self.stats.rpcs += 1;
        let id = env.header.id.as_deref().map(str::to_string);
        let answer = self.answer_rpc(now, &env);
        let out = self.envelope(answer, id);
        self.post(now, out, false, true);
    }

    pub(super) fn session_rtt(&self) -> Option<Duration> {
        self.session.as_ref().and_then(|s| s.inform_rtt)
    }
}
