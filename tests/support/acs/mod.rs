//! A scripted test ACS for end-to-end tests of `cwmp2usp sim`.
//!
//! A hyper 1 server on 127.0.0.1:0 in its own thread and runtime, so tests
//! stay plain synchronous `#[test]`s. It answers Informs and CPE requests,
//! hands out RPCs queued per serial number on each empty POST (or after
//! each CPE response), records every CPE message, serves a small file for
//! Download tests and accepts Upload PUT/POST.
//! The HTTP side (connections, sessions, authentication, answers) is in
//! `serve.rs`; this file holds the state tests inspect and script.
#![allow(dead_code)]

mod serve;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use cwmp::{Body, CwmpVersion, Envelope};
use httpauth::server::Verifier;
use serve::serve;

pub const USER: &str = "acsuser";
pub const PASSWORD: &str = "acspass";
/// Content served at `/files/fw.bin`.
pub const FILE: &[u8] = b"cwmp2usp test firmware image\n";
const MAX_BODY: usize = 4 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    None,
    Basic,
    Digest,
}

/// One CPE message as the ACS received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub serial: String,
    /// Session number (one per Inform).
    pub session: u64,
    pub envelope: Envelope<'static>,
    /// The raw body, for XSD validation.
    pub xml: String,
    pub path: String,
}

impl Received {
    pub fn method(&self) -> &'static str {
        self.envelope.method_name()
    }
    pub fn body(&self) -> &Body<'static> {
        &self.envelope.body
    }
    /// Event codes of an Inform (empty otherwise).
    pub fn events(&self) -> Vec<String> {
        match &self.envelope.body {
            Body::Inform(i) => i.event.iter().map(|e| e.event_code.to_string()).collect(),
            _ => Vec::new(),
        }
    }
    pub fn has_event(&self, code: &str) -> bool {
        self.events().iter().any(|e| e == code)
    }
    /// CommandKey of an Inform event.
    pub fn command_key(&self, code: &str) -> Option<String> {
        match &self.envelope.body {
            Body::Inform(i) => i
                .event
                .iter()
                .find(|e| e.event_code == code)
                .map(|e| e.command_key.to_string()),
            _ => None,
        }
    }
    /// A value from the Inform's ParameterList.
    pub fn inform_param(&self, name: &str) -> Option<String> {
        match &self.envelope.body {
            Body::Inform(i) => i
                .parameter_list
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.value.text.to_string()),
            _ => None,
        }
    }
}

/// Counters for auth and transfers.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub challenges: usize,
    pub auth_ok: usize,
    pub auth_denied: usize,
    pub parse_errors: Vec<String>,
    pub file_gets: usize,
    pub uploads: Vec<(String, usize)>,
}

struct Session {
    pub(super) serial: String,
    pub(super) version: CwmpVersion,
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    /// RPCs per serial; `"*"` serves any CPE without its own queue entry.
    queues: HashMap<String, VecDeque<(String, Body<'static>)>>,
    sessions: HashMap<u64, Session>,
    next_session: u64,
    next_id: u64,
    stats: Stats,
    /// Informs still to refuse with 503 (to exercise the CPE's retry).
    refuse_informs: usize,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    auth: Auth,
    verifier: Mutex<Verifier>,
    started: Instant,
}

pub struct Acs {
    pub port: u16,
    shared: Arc<Shared>,
}

impl Acs {
    pub fn start(auth: Auth) -> Acs {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let port = std_listener.local_addr().unwrap().port();
        let key: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(31) ^ port as u8);
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            auth,
            verifier: Mutex::new(Verifier::new("miniacs", key).nonce_lifetime(300)),
            started: Instant::now(),
        });
        let s = shared.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(serve(std_listener, s));
        });
        Acs { port, shared }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    /// The URL to give the simulator's `--acs`.
    pub fn url(&self) -> String {
        format!("{}/acs", self.base())
    }

    /// Queues an RPC for the CPE with this serial number (`"*"`: any CPE);
    /// returns the cwmp:ID it will carry, for [`Self::wait_reply`].
    pub fn queue(&self, serial: &str, rpc: Body<'static>) -> String {
        let mut st = self.shared.state.lock().unwrap();
        st.next_id += 1;
        let id = format!("acs-{}-{}", st.next_id, rpc.method_name());
        st.queues
            .entry(serial.to_string())
            .or_default()
            .push_back((id.clone(), rpc));
        id
    }

    /// Queues for any CPE.
    pub fn queue_any(&self, rpc: Body<'static>) -> String {
        self.queue("*", rpc)
    }

    /// The CPE's answer (response or fault) to the RPC queued as `id`.
    pub fn wait_reply(&self, id: &str, timeout: Duration) -> Received {
        self.wait(timeout, |r| {
            r.envelope.header.id.as_deref() == Some(id) && r.method() != "Inform"
        })
    }

    /// Answers the next `n` Informs with 503 (they are still recorded).
    pub fn refuse_informs(&self, n: usize) {
        self.shared.state.lock().unwrap().refuse_informs = n;
    }

    /// RPCs queued but not yet sent.
    pub fn pending(&self) -> usize {
        self.shared
            .state
            .lock()
            .unwrap()
            .queues
            .values()
            .map(VecDeque::len)
            .sum()
    }

    /// How many messages have been received so far (a mark for [`Self::wait_from`]).
    pub fn mark(&self) -> usize {
        self.shared.state.lock().unwrap().received.len()
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.state.lock().unwrap().received.clone()
    }

    pub fn stats(&self) -> Stats {
        self.shared.state.lock().unwrap().stats.clone()
    }

    /// The first message at index `from` or later matching `pred`; panics
    /// with what was received if none arrives within `timeout`.
    pub fn wait_from(
        &self,
        from: usize,
        timeout: Duration,
        pred: impl Fn(&Received) -> bool,
    ) -> Received {
        let deadline = Instant::now() + timeout;
        let mut st = self.shared.state.lock().unwrap();
        loop {
            if let Some(r) = st.received.iter().skip(from).find(|r| pred(r)) {
                return r.clone();
            }
            let now = Instant::now();
            if now >= deadline {
                let seen: Vec<String> = st
                    .received
                    .iter()
                    .skip(from)
                    .map(|r| format!("{} {} {:?}", r.serial, r.method(), r.events()))
                    .collect();
                panic!(
                    "test ACS: expected message not received within {timeout:?}; received since mark: {seen:#?}; stats: {:?}",
                    st.stats
                );
            }
            st = self
                .shared
                .changed
                .wait_timeout(st, deadline - now)
                .unwrap()
                .0;
        }
    }

    pub fn wait(&self, timeout: Duration, pred: impl Fn(&Received) -> bool) -> Received {
        self.wait_from(0, timeout, pred)
    }
}
