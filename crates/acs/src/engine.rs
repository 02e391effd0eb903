//! The engine: routes each HTTP exchange to its session and decides the
//! answer. See the crate docs for what it does and does not do.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use cwmp::{Body, Envelope, Fault, InformResponse};

use crate::session::Session;
use crate::{DeviceKey, DeviceRecord, Store};

type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Which TCP (or TLS) connection an exchange arrived on; the shell numbers
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnId(pub u64);

/// A ticket for an RPC submitted with [`Engine::submit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RpcId(pub u64);

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// A session with no exchange for this long is over.
    pub session_timeout: Duration,
    /// No session lasts longer than this.
    pub max_session: Duration,
    /// Sessions open at once; beyond, new ones get 503.
    pub max_sessions: usize,
    /// Seconds a CPE turned away with 503 is told to wait.
    pub retry_after_secs: u32,
    /// Queued RPCs per device; beyond, [`Engine::submit`] refuses.
    pub max_queued_per_device: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            session_timeout: Duration::from_secs(30),
            max_session: Duration::from_secs(300),
            max_sessions: 10_000,
            retry_after_secs: 30,
            max_queued_per_device: 64,
        }
    }
}

/// One authenticated HTTP POST from a CPE.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub conn: ConnId,
    /// The value of our session cookie, if the CPE sent it back.
    pub cookie: Option<&'a str>,
    pub body: &'a [u8],
}

/// The HTTP answer to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    /// A SOAP envelope, or empty.
    pub body: Vec<u8>,
    /// Value for our session cookie, on the answer that opens a session.
    pub set_cookie: Option<String>,
    pub retry_after: Option<u32>,
    /// Close the connection after this answer.
    pub close: bool,
}

impl Reply {
    fn status(status: u16) -> Reply {
        Reply {
            status,
            body: Vec::new(),
            set_cookie: None,
            retry_after: None,
            close: false,
        }
    }

    fn envelope(env: &Envelope<'_>) -> Reply {
        let mut out = Vec::with_capacity(512);
        env.write_xml(&mut out);
        Reply {
            body: out,
            ..Reply::status(200)
        }
    }
}

/// How a submitted RPC ended.
#[derive(Debug, Clone, PartialEq)]
pub enum RpcOutcome {
    Response(Body<'static>),
    Fault {
        code: u32,
        string: String,
    },
    /// The deadline passed before the RPC could be sent.
    Expired,
    /// Sent, but the session ended without an answer.
    NoAnswer,
}

/// What happened, for the northbound side.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Informed {
        device: DeviceKey,
        events: Vec<String>,
    },
    /// An RPC is queued for a device with no open session.
    ConnectionRequestNeeded(DeviceKey),
    RpcDone {
        id: RpcId,
        device: DeviceKey,
        outcome: RpcOutcome,
    },
    SessionEnded {
        device: DeviceKey,
        ok: bool,
    },
}

struct Queued {
    id: RpcId,
    rpc: Body<'static>,
    deadline: Duration,
}

/// The ACS state machine over a [`Store`].
pub struct Engine<S> {
    config: EngineConfig,
    store: S,
    sessions: Map<u64, Session>,
    by_conn: Map<ConnId, u64>,
    by_cookie: Map<String, u64>,
    by_device: Map<DeviceKey, u64>,
    queues: Map<DeviceKey, VecDeque<Queued>>,
    events: VecDeque<Event>,
    next_session: u64,
    next_rpc: u64,
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
            events: VecDeque::new(),
            next_session: 0,
            next_rpc: 0,
        }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn open_sessions(&self) -> usize {
        self.sessions.len()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Queues `rpc` for `device`, to run in its next session before
    /// `deadline`. `None` when the device's queue is full.
    pub fn submit(
        &mut self,
        device: DeviceKey,
        rpc: Body<'static>,
        deadline: Duration,
    ) -> Option<RpcId> {
        let queue = self.queues.entry(device.clone()).or_default();
        if queue.len() >= self.config.max_queued_per_device {
            return None;
        }
        self.next_rpc += 1;
        let id = RpcId(self.next_rpc);
        let first = queue.is_empty();
        queue.push_back(Queued { id, rpc, deadline });
        // One connection request per idle device, however many RPCs wait.
        if first && !self.by_device.contains_key(&device) {
            self.events
                .push_back(Event::ConnectionRequestNeeded(device));
        }
        Some(id)
    }

    /// The earliest time [`Engine::handle_timeout`] has work to do.
    pub fn poll_timeout(&self) -> Option<Duration> {
        let sessions = self
            .sessions
            .values()
            .map(|s| s.deadline(self.config.session_timeout, self.config.max_session));
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
        let session = req
            .cookie
            .and_then(|c| self.by_cookie.get(c))
            .or_else(|| self.by_conn.get(&req.conn))
            .copied();
        let env = match cwmp::parse(req.body) {
            Ok(env) => env,
            Err(_) => {
                if let Some(id) = session {
                    self.end_session(id, false);
                }
                return Reply {
                    close: true,
                    ..Reply::status(400)
                };
            }
        };
        match session {
            None => self.start(now, req, env),
            Some(id) => self.continue_session(now, id, req.conn, env),
        }
    }

    fn start(&mut self, now: Duration, req: Request<'_>, env: Envelope<'_>) -> Reply {
        let inform = match env.body {
            Body::Inform(inform) => inform,
            // An empty POST outside a session: nothing to do.
            Body::Empty => return Reply::status(204),
            _ => {
                return Reply {
                    close: true,
                    ..Reply::status(400)
                }
            }
        };
        let id = &inform.device_id;
        let device = DeviceKey {
            oui: id.oui.to_string(),
            product_class: id.product_class.to_string(),
            serial: id.serial_number.to_string(),
        };
        if self.by_device.contains_key(&device) || self.sessions.len() >= self.config.max_sessions {
            return Reply {
                retry_after: Some(self.config.retry_after_secs),
                close: true,
                ..Reply::status(503)
            };
        }
        let record = self.merged_record(now, &device, &env.version, &inform);
        if self.store.put(record).is_err() {
            // Not durable: the CPE must not think its events were taken.
            return Reply {
                retry_after: Some(self.config.retry_after_secs),
                close: true,
                ..Reply::status(503)
            };
        }
        self.events.push_back(Event::Informed {
            device: device.clone(),
            events: inform
                .event
                .iter()
                .map(|e| e.event_code.to_string())
                .collect(),
        });
        self.next_session += 1;
        let sid = self.next_session;
        let cookie = format!("{sid:x}-{:x}", now.as_nanos() as u64 ^ sid.rotate_left(32));
        self.by_conn.insert(req.conn, sid);
        self.by_cookie.insert(cookie.clone(), sid);
        self.by_device.insert(device.clone(), sid);
        self.sessions.insert(
            sid,
            Session {
                device,
                version: env.version,
                conn: req.conn,
                cookie: cookie.clone(),
                started: now,
                last_seen: now,
                outstanding: None,
            },
        );
        let mut answer = Envelope::new(
            env.version,
            Body::InformResponse(InformResponse { max_envelopes: 1 }),
        );
        answer.header.id = env.header.id.map(|i| i.into_owned().into());
        Reply {
            set_cookie: Some(cookie),
            ..Reply::envelope(&answer)
        }
    }

    fn merged_record(
        &self,
        now: Duration,
        device: &DeviceKey,
        version: &cwmp::CwmpVersion,
        inform: &cwmp::Inform<'_>,
    ) -> DeviceRecord {
        let mut record = self.store.get(device).unwrap_or_else(|| DeviceRecord {
            key: device.clone(),
            manufacturer: String::new(),
            root: String::new(),
            cwmp_version: String::new(),
            connection_request_url: None,
            last_events: Vec::new(),
            last_inform: now,
            params: Vec::new(),
        });
        if inform.event.iter().any(|e| e.event_code == "0 BOOTSTRAP") {
            record.params.clear();
            record.connection_request_url = None;
        }
        record.manufacturer = inform.device_id.manufacturer.to_string();
        record.cwmp_version = version.to_string();
        record.last_events = inform
            .event
            .iter()
            .map(|e| e.event_code.to_string())
            .collect();
        record.last_inform = now;
        for p in &inform.parameter_list {
            let name = p.name.as_ref();
            if record.root.is_empty() {
                if let Some(dot) = name.find('.') {
                    record.root = name[..=dot].to_string();
                }
            }
            if name.ends_with("ManagementServer.ConnectionRequestURL") {
                record.connection_request_url = Some(p.value.text.to_string());
            }
            let value = p.value.text.to_string();
            match record.params.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = value,
                None => record.params.push((name.to_string(), value)),
            }
        }
        record
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
            Body::TransferComplete(_) => reply_to(Body::TransferCompleteResponse),
            Body::AutonomousTransferComplete(_) => {
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
        if matches {
            if let Some((_, rpc)) = s.outstanding.take() {
                let outcome = match body {
                    Body::Fault(f) => RpcOutcome::Fault {
                        code: f.fault_code().unwrap_or(0),
                        string: f
                            .detail
                            .map(|d| d.fault_string.into_owned())
                            .unwrap_or_default(),
                    },
                    other => RpcOutcome::Response(other),
                };
                self.events.push_back(Event::RpcDone {
                    id: rpc,
                    device: s.device.clone(),
                    outcome,
                });
            }
        }
        self.dispatch(now, sid)
    }

    /// Sends the device's next queued RPC, or ends the session with 204.
    fn dispatch(&mut self, now: Duration, sid: u64) -> Reply {
        let Some(s) = self.sessions.get_mut(&sid) else {
            return Reply::status(204);
        };
        if s.outstanding.is_some() {
            // An empty POST while our RPC is unanswered: the CPE gave up on
            // it; so do we.
            if let Some((_, rpc)) = s.outstanding.take() {
                self.events.push_back(Event::RpcDone {
                    id: rpc,
                    device: s.device.clone(),
                    outcome: RpcOutcome::NoAnswer,
                });
            }
        }
        let device = s.device.clone();
        let version = s.version;
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
                s.outstanding = Some((cwmp_id.clone(), next.id));
            }
            return Reply::envelope(&Envelope::new(version, next.rpc).with_id(cwmp_id));
        }
        self.queues.remove(&device);
        self.end_session(sid, true);
        Reply {
            close: true,
            ..Reply::status(204)
        }
    }

    fn end_session(&mut self, sid: u64, ok: bool) {
        let Some(s) = self.sessions.remove(&sid) else {
            return;
        };
        self.by_conn.remove(&s.conn);
        self.by_cookie.remove(&s.cookie);
        self.by_device.remove(&s.device);
        if let Some((_, rpc)) = s.outstanding {
            self.events.push_back(Event::RpcDone {
                id: rpc,
                device: s.device.clone(),
                outcome: RpcOutcome::NoAnswer,
            });
        }
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
