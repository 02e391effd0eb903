//! The engine: routes each HTTP exchange to its session and decides the
//! answer. See the crate docs for what it does and does not do; the Inform
//! is in `inform`, registry writes in `staging`, provisioning in
//! `provision`.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use cwmp::{Body, Envelope, Fault};

use crate::entropy::{os_random, RandomSource};
use crate::exchange::{AutonomousTransfer, ConnId, Event, ParamFault, Reply, Request, RpcOutcome};
use crate::queue::Queued;
use crate::session::{Sent, Session};
use crate::staging::Staging;
use crate::{DeviceKey, EngineConfig, Store};

type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// The ACS state machine over a [`Store`].
pub struct Engine<S> {
    pub(crate) config: EngineConfig,
    pub(crate) store: S,
    pub(crate) sessions: Map<u64, Session>,
    pub(crate) by_conn: Map<ConnId, u64>,
    pub(crate) by_cookie: Map<String, u64>,
    pub(crate) by_device: Map<DeviceKey, u64>,
    pub(crate) queues: Map<DeviceKey, VecDeque<Queued>>,
    /// Session holds per device; a device appears only while held.
    pub(crate) holds: Map<DeviceKey, usize>,
    /// Connections whose parked POST may have its answer now.
    pub(crate) unparked: VecDeque<ConnId>,
    pub(crate) events: VecDeque<Event>,
    pub(crate) staging: Staging,
    pub(crate) random: RandomSource,
    pub(crate) next_session: u64,
    pub(crate) next_rpc: u64,
}

impl<S: Store> Engine<S> {
    pub fn new(config: EngineConfig, store: S) -> Self {
        Engine {
            config,
            store,
            sessions: Map::default(),
            by_conn: Map::default(),
            by_cookie: Map::default(),
            by_device: Map::default(),
            queues: Map::default(),
            holds: Map::default(),
            unparked: VecDeque::new(),
            events: VecDeque::new(),
            staging: Staging::default(),
            random: os_random(),
            next_session: 0,
            next_rpc: 0,
        }
    }

    /// Replaces the OS CSPRNG (cookies, generated passwords), for tests
    /// that want to predict them.
    pub fn with_random(mut self, random: RandomSource) -> Self {
        self.random = random;
        self
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn open_sessions(&self) -> usize {
        self.sessions.len()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The earliest time [`Engine::handle_timeout`] has work to do.
    pub fn poll_timeout(&self) -> Option<Duration> {
        let sessions = self.sessions.values().map(|s| {
            let end = s.deadline(self.config.session_timeout, self.config.max_session);
            s.parked.map_or(end, |until| until.min(end))
        });
        let queued = self
            .queues
            .values()
            .filter_map(|q| q.iter().map(|r| r.deadline).min());
        sessions.chain(queued).min()
    }

    /// Ends overdue sessions and expires overdue RPCs.
    pub fn handle_timeout(&mut self, now: Duration) {
        let (idle, max) = (self.config.session_timeout, self.config.max_session);
        let overdue: Vec<u64> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.deadline(idle, max) <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in overdue {
            self.end_session(id, false);
        }
        self.unpark_overdue(now);
        for (device, queue) in &mut self.queues {
            queue.retain(|r| {
                let keep = r.deadline > now;
                if !keep {
                    self.events.push_back(Event::RpcDone {
                        id: r.id,
                        device: device.clone(),
                        outcome: RpcOutcome::Expired,
                    });
                }
                keep
            });
        }
        self.queues.retain(|_, q| !q.is_empty());
    }

    /// The connection went away: a session bound to it (and not to a
    /// cookie the CPE may bring on a new connection) is over.
    pub fn connection_closed(&mut self, conn: ConnId) {
        if let Some(id) = self.by_conn.remove(&conn) {
            self.end_session(id, false);
        }
    }

    /// Decides the answer to one POST.
    pub fn handle(&mut self, now: Duration, req: Request<'_>) -> Reply {
        // A session belongs to the identity that opened it: a cookie (or a
        // connection) presented by anyone else resumes nothing.
        let owned_by_caller = |sid: &&u64| {
            self.sessions
                .get(sid)
                .is_some_and(|s| s.user.as_deref() == req.user)
        };
        let session = req
            .cookie
            .and_then(|c| self.by_cookie.get(c))
            .filter(owned_by_caller)
            .or_else(|| self.by_conn.get(&req.conn).filter(owned_by_caller))
            .copied();
        let env = match cwmp::parse(req.body) {
            Ok(env) => env,
            Err(_) => {
                if let Some(id) = session {
                    self.end_session(id, false);
                }
                return Reply::closing(400);
            }
        };
        match session {
            None => self.start(now, req, env),
            Some(id) => {
                let device = self.sessions.get(&id).map(|s| s.device.clone());
                Reply {
                    device,
                    ..self.continue_session(now, id, req.conn, env)
                }
            }
        }
    }

    fn continue_session(
        &mut self,
        now: Duration,
        sid: u64,
        conn: ConnId,
        env: Envelope<'_>,
    ) -> Reply {
        let Some(s) = self.sessions.get_mut(&sid) else {
            return Reply::status(204);
        };
        s.last_seen = now;
        if s.parked.take().is_some() && s.conn != conn {
            // The CPE gave up waiting and came back on a new connection:
            // the old one gets its end.
            self.unparked.push_back(s.conn);
        }
        if s.conn != conn {
            // The CPE reconnected and brought our cookie.
            self.by_conn.remove(&s.conn);
            s.conn = conn;
            self.by_conn.insert(conn, sid);
        }
        let version = s.version;
        let reply_to = |body: Body<'static>| {
            let mut e = Envelope::new(version, body);
            e.header.id = env.header.id.as_ref().map(|i| i.to_string().into());
            Reply::envelope(&e)
        };
        match &env.body {
            Body::Empty => self.dispatch(now, sid),
            Body::TransferComplete(t) => {
                let (f, times) = (&t.fault_struct, (&*t.start_time, &*t.complete_time));
                let ev = Event::transfer(s.device.clone(), &t.command_key, f, times, None);
                self.events.push_back(ev);
                reply_to(Body::TransferCompleteResponse)
            }
            Body::AutonomousTransferComplete(t) => {
                let (f, times) = (&t.fault_struct, (&*t.start_time, &*t.complete_time));
                let about = AutonomousTransfer {
                    is_download: t.is_download,
                    transfer_url: t.transfer_url.to_string(),
                };
                let ev = Event::transfer(s.device.clone(), "", f, times, Some(about));
                self.events.push_back(ev);
                reply_to(Body::AutonomousTransferCompleteResponse)
            }
            Body::DUStateChangeComplete(_) => reply_to(Body::DUStateChangeCompleteResponse),
            Body::AutonomousDUStateChangeComplete(_) => {
                reply_to(Body::AutonomousDUStateChangeCompleteResponse)
            }
            Body::RequestDownload(_) => reply_to(Body::RequestDownloadResponse),
            Body::GetRPCMethods => {
                reply_to(Body::GetRPCMethodsResponse(cwmp::GetRPCMethodsResponse {
                    method_list: ACS_METHODS.iter().map(|m| (*m).into()).collect(),
                }))
            }
            Body::Kicked(k) => reply_to(Body::KickedResponse(cwmp::KickedResponse {
                next_url: k.next.to_string().into(),
            })),
            body if is_answer(body) => {
                self.answered(now, sid, env.header.id.as_deref(), env.body.into_owned())
            }
            _ => reply_to(Body::Fault(Fault::cwmp(8000, "Method not supported"))),
        }
    }

    /// The CPE answered the RPC we sent; report it and send the next one.
    fn answered(
        &mut self,
        now: Duration,
        sid: u64,
        id: Option<&str>,
        body: Body<'static>,
    ) -> Reply {
        let Some(s) = self.sessions.get_mut(&sid) else {
            return Reply::status(204);
        };
        let matches = match (&s.outstanding, id) {
            (Some((sent, _)), Some(got)) => sent == got,
            // Some CPE drop cwmp:ID from responses; one RPC is in flight.
            (Some(_), None) => true,
            (None, _) => false,
        };
        if !matches {
            return self.dispatch(now, sid);
        }
        let device = s.device.clone();
        match s.outstanding.take() {
            Some((_, Sent::Rpc(rpc))) => {
                let outcome = match body {
                    Body::Fault(f) => {
                        let code = f.fault_code().unwrap_or(0);
                        let (string, params) = match f.detail {
                            Some(d) => (
                                d.fault_string.into_owned(),
                                d.set_parameter_values_fault
                                    .into_iter()
                                    .map(|p| ParamFault {
                                        name: p.parameter_name.into_owned(),
                                        code: p.fault_code,
                                        string: p.fault_string.into_owned(),
                                    })
                                    .collect(),
                            ),
                            None => (String::new(), Vec::new()),
                        };
                        RpcOutcome::Fault {
                            code,
                            string,
                            params,
                        }
                    }
                    other => RpcOutcome::Response(other),
                };
                self.events.push_back(Event::RpcDone {
                    id: rpc,
                    device,
                    outcome,
                });
                self.dispatch(now, sid)
            }
            Some((_, Sent::Provision(offer))) => {
                let ticket = self.provision_answered(now, sid, &device, offer, &body);
                Reply {
                    commit: ticket,
                    ..self.dispatch(now, sid)
                }
            }
            None => self.dispatch(now, sid),
        }
    }

    /// Sends our provisioning, then the device's next queued RPC, or parks
    /// a held device's POST, or ends the session with 204.
    pub(crate) fn dispatch(&mut self, now: Duration, sid: u64) -> Reply {
        let Some(s) = self.sessions.get_mut(&sid) else {
            return Reply::status(204);
        };
        let device = s.device.clone();
        let version = s.version;
        let abandoned = s.outstanding.take();
        let provision = s.provision.take();
        if let Some((_, sent)) = abandoned {
            // An empty POST while our RPC is unanswered: the CPE gave up on
            // it; so do we.
            self.abandoned(&device, sent, now);
        }
        if let Some(offer) = provision {
            let rpc = self.provision_rpc(&offer);
            let cwmp_id = format!("acs-provision-{sid}");
            if let Some(s) = self.sessions.get_mut(&sid) {
                s.outstanding = Some((cwmp_id.clone(), Sent::Provision(offer)));
            }
            return Reply::envelope(&Envelope::new(version, rpc).with_id(cwmp_id));
        }
        while let Some(next) = self.queues.get_mut(&device).and_then(VecDeque::pop_front) {
            if next.deadline <= now {
                self.events.push_back(Event::RpcDone {
                    id: next.id,
                    device: device.clone(),
                    outcome: RpcOutcome::Expired,
                });
                continue;
            }
            let cwmp_id = format!("acs-{}", next.id.0);
            if let Some(s) = self.sessions.get_mut(&sid) {
                s.outstanding = Some((cwmp_id.clone(), Sent::Rpc(next.id)));
            }
            return Reply::envelope(&Envelope::new(version, next.rpc).with_id(cwmp_id));
        }
        self.queues.remove(&device);
        self.park_or_end(now, sid)
    }

    /// Our RPC will get no answer.
    fn abandoned(&mut self, device: &DeviceKey, sent: Sent, at: Duration) {
        match sent {
            Sent::Rpc(rpc) => self.events.push_back(Event::RpcDone {
                id: rpc,
                device: device.clone(),
                outcome: RpcOutcome::NoAnswer,
            }),
            Sent::Provision(_) => self.provision_unanswered(device, at),
        }
    }

    pub(crate) fn end_session(&mut self, sid: u64, ok: bool) {
        let Some(s) = self.sessions.remove(&sid) else {
            return;
        };
        self.by_conn.remove(&s.conn);
        self.by_cookie.remove(&s.cookie);
        self.by_device.remove(&s.device);
        if s.parked.is_some() {
            self.unparked.push_back(s.conn);
        }
        if let Some((_, sent)) = s.outstanding {
            self.abandoned(&s.device, sent, s.last_seen);
        }
        self.wake_if_waiting(&s.device);
        self.events.push_back(Event::SessionEnded {
            device: s.device,
            ok,
        });
    }
}

/// What we answer to GetRPCMethods: the CPE-originated RPCs we accept.
const ACS_METHODS: &[&str] = &[
    "Inform",
    "GetRPCMethods",
    "TransferComplete",
    "AutonomousTransferComplete",
    "DUStateChangeComplete",
    "AutonomousDUStateChangeComplete",
    "RequestDownload",
    "Kicked",
];

/// A CPE's answer to an ACS RPC (a `...Response` or a fault).
fn is_answer(body: &Body<'_>) -> bool {
    matches!(body, Body::Fault(_)) || body.method_name().ends_with("Response")
}
