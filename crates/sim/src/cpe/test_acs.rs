//! A fake in-memory ACS for unit tests: answers Informs, queues RPCs, and
//! records everything, so CPE run full sessions without sockets.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cwmp::{Body, CwmpVersion, Envelope, InformResponse};

use super::{Action, Cpe, HttpRequest, HttpResponse, TransferJob};
use crate::config::CpeConfig;
use crate::profile::Profile;

pub fn tr181() -> Arc<Profile> {
    Profile::from_model_arg("tr181").unwrap().into_shared()
}

pub fn config() -> CpeConfig {
    CpeConfig {
        reboot_delay: Duration::from_millis(10),
        retry_min_wait: Duration::from_millis(100),
        periodic_interval: Duration::from_secs(3600),
        ..CpeConfig::default()
    }
}

#[derive(Default)]
pub struct FakeAcs {
    pub rpcs: VecDeque<Body<'static>>,
    /// Every envelope the CPE sent (Empty for empty POSTs).
    pub received: Vec<Envelope<'static>>,
    /// Answer the next N Informs with HTTP 500.
    pub fail_informs: u32,
    /// Respond 401 with this challenge when no Authorization is present.
    pub challenge: Option<String>,
    pub authorizations: Vec<Option<String>>,
    pub transfers: Vec<TransferJob>,
    pub ended: Vec<bool>,
    pub drops: u32,
    pub next_id: u32,
}

impl FakeAcs {
    pub fn queue(&mut self, body: Body<'static>) {
        self.rpcs.push_back(body);
    }

    fn answer(&mut self, req: &HttpRequest) -> HttpResponse {
        let auth = req
            .headers
            .iter()
            .find(|(n, _)| *n == "authorization")
            .map(|(_, v)| v.to_string());
        if let Some(ch) = &self.challenge {
            if auth.is_none() {
                return HttpResponse::new(401, [("WWW-Authenticate", ch.as_str())], Bytes::new());
            }
        }
        self.authorizations.push(auth);
        let env = cwmp::parse(&req.body).unwrap().into_owned();
        let version = env.version;
        let body = env.body.clone();
        self.received.push(env);
        let reply = match body {
            Body::Inform(_) if self.fail_informs > 0 => {
                self.fail_informs -= 1;
                return HttpResponse::new(500, [], Bytes::new());
            }
            Body::Inform(_) => Body::InformResponse(InformResponse { max_envelopes: 1 }),
            Body::TransferComplete(_) => Body::TransferCompleteResponse,
            _ => match self.rpcs.pop_front() {
                Some(rpc) => rpc,
                None => return HttpResponse::new(204, [], Bytes::new()),
            },
        };
        self.next_id += 1;
        let v = if version == CwmpVersion::default() {
            CwmpVersion::V1_2
        } else {
            version
        };
        let out = Envelope::new(v, reply).with_id(format!("acs-{}", self.next_id));
        HttpResponse::new(
            200,
            [("Set-Cookie", "session=abc; Path=/")],
            Bytes::from(out.to_xml()),
        )
    }

    /// Drains the CPE's actions, answering its POSTs, until it is idle.
    pub fn pump(&mut self, cpe: &mut Cpe, now: Duration) {
        for _ in 0..10_000 {
            let Some(a) = cpe.poll_action() else { return };
            match a {
                Action::Send(req) => {
                    let resp = self.answer(&req);
                    cpe.handle_response(now, resp);
                }
                Action::SessionEnded { ok, .. } => self.ended.push(ok),
                Action::Transfer(job) => self.transfers.push(job),
                Action::Drop => self.drops += 1,
                Action::Rebooting | Action::CrCredentials { .. } => {}
            }
        }
        panic!("CPE never went idle");
    }

    /// Runs the CPE's timers up to `until`, pumping after each one.
    pub fn run_until(&mut self, cpe: &mut Cpe, now: &mut Duration, until: Duration) {
        self.pump(cpe, *now);
        while let Some(t) = cpe.poll_timeout() {
            if t > until {
                break;
            }
            *now = t.max(*now);
            cpe.handle_timeout(*now);
            self.pump(cpe, *now);
        }
        *now = until;
    }

    pub fn run_for(&mut self, cpe: &mut Cpe, now: &mut Duration, d: Duration) {
        let until = *now + d;
        self.run_until(cpe, now, until);
    }

    /// The Informs received, in order.
    pub fn informs(&self) -> Vec<&cwmp::Inform<'static>> {
        self.received
            .iter()
            .filter_map(|e| match &e.body {
                Body::Inform(i) => Some(i),
                _ => None,
            })
            .collect()
    }

    pub fn last_inform_events(&self) -> Vec<(String, String)> {
        self.informs()
            .last()
            .map(|i| {
                i.event
                    .iter()
                    .map(|e| (e.event_code.to_string(), e.command_key.to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The CPE's answers to queued RPCs, in order.
    pub fn answers(&self) -> Vec<&Body<'static>> {
        self.received
            .iter()
            .map(|e| &e.body)
            .filter(|b| !matches!(b, Body::Inform(_) | Body::TransferComplete(_) | Body::Empty))
            .collect()
    }
}

/// One booted CPE whose boot session has ended.
pub fn booted(cfg: CpeConfig) -> (Cpe, FakeAcs, Duration) {
    let mut cpe = Cpe::new(Arc::new(cfg), tr181(), 7);
    let mut acs = FakeAcs::default();
    let mut now = Duration::ZERO;
    cpe.power_on(now);
    acs.run_until(&mut cpe, &mut now, Duration::from_millis(1));
    assert_eq!(acs.ended, vec![true]);
    (cpe, acs, now)
}

/// Queues `rpcs`, knocks (connection request), returns the answers.
pub fn session(
    cpe: &mut Cpe,
    acs: &mut FakeAcs,
    now: &mut Duration,
    rpcs: Vec<Body<'static>>,
) -> Vec<Body<'static>> {
    let before = acs.answers().len();
    for r in rpcs {
        acs.queue(r);
    }
    assert!(cpe.handle_connection_request(*now));
    acs.pump(cpe, *now);
    acs.answers()[before..]
        .iter()
        .map(|b| (*b).clone())
        .collect()
}
