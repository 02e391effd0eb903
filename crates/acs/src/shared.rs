//! What the shell's tasks share: the engine under its lock, and what the
//! shell does with the engine's events (counters, logs, the northbound's
//! waiters, connection requests).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, Weak};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tracing::{debug, info, warn, Span};

use crate::commit::Commits;
use crate::connreq::{ConnectionRequestOutcome, ConnectionRequester, HttpTarget};
use crate::exchange::{RpcId, RpcOutcome};
use crate::handle::{Northbound, SubmitError, Waiters};
use crate::park::Parking;
use crate::server::{Counters, ServerConfig};
use crate::wake::{self, Admission, Wakeups, SLOT_WAIT};
use crate::{DeviceKey, Engine, Event, Provisioning, Reply, Store};

type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

pub(crate) struct Shared<S> {
    /// This very value, for the tasks it spawns.
    pub me: Weak<Shared<S>>,
    pub engine: Mutex<Engine<S>>,
    pub verifier: Mutex<httpauth::server::Verifier>,
    pub config: ServerConfig,
    pub start: Instant,
    /// Wall-clock time at `start`: the engine's clock is monotonic but
    /// anchored at the Unix epoch, so stored times mean something after a
    /// restart.
    pub start_unix: Duration,
    pub counters: std::sync::Arc<Counters>,
    pub next_conn: AtomicU64,
    /// The engine's store, for credential look-ups and the committer,
    /// neither of which should hold the engine's lock.
    pub store: S,
    pub commits: Commits,
    pub waiters: Waiters,
    pub wakeups: Wakeups,
    pub requester: ConnectionRequester,
    /// One span per open session, so that everything logged about a
    /// session carries its device. Entries live from the session's Inform
    /// to its end: at most one per open session.
    pub spans: Mutex<Map<DeviceKey, Span>>,
    pub stopped: AtomicBool,
    /// Where the northbound hears of devices (see `Server::subscribe`).
    pub listener: Mutex<Option<tokio::sync::mpsc::Sender<Event>>>,
    /// POSTs of held sessions waiting for their answer.
    pub parking: Parking,
}

/// A reply that may go out only once its commit is durable, and what to
/// send instead if it never is.
pub(crate) type Held = Option<(oneshot::Receiver<bool>, Reply)>;

impl<S: Store + Clone + Send + Sync + 'static> Shared<S> {
    pub fn now(&self) -> Duration {
        self.start_unix + self.start.elapsed()
    }

    /// The open session's span for `device`, or a span that names it.
    pub fn span(&self, device: &DeviceKey) -> Span {
        self.spans
            .lock()
            .ok()
            .and_then(|s| s.get(device).cloned())
            .unwrap_or_else(|| tracing::info_span!("device", device = %device.endpoint_id()))
    }

    /// Registers a reply's commit with the committer; under the engine
    /// lock that produced the reply.
    pub fn held(&self, engine: &Engine<S>, reply: &Reply) -> Held {
        reply
            .commit
            .map(|t| (self.commits.wait_for(t), engine.try_later()))
    }

    pub fn drain_events(&self, engine: &mut Engine<S>) {
        self.drain_event_queue(engine);
        while let Some(conn) = engine.poll_unparked() {
            self.parking.wake(conn);
        }
    }

    fn drain_event_queue(&self, engine: &mut Engine<S>) {
        while let Some(ev) = engine.poll_event() {
            self.tell_listener(&ev);
            let c = &self.counters;
            match ev {
                Event::Informed {
                    device,
                    events,
                    replay,
                    ..
                } => {
                    c.informs.fetch_add(1, Ordering::Relaxed);
                    // A session that ended before its Inform was durable
                    // gets no span: nothing would remove it.
                    if engine.in_session(&device) {
                        let span = tracing::info_span!("session", device = %device.endpoint_id());
                        debug!(parent: &span, ?events, replay, "session started");
                        if let Ok(mut s) = self.spans.lock() {
                            s.insert(device, span);
                        }
                    }
                }
                Event::IdentityRefused {
                    user,
                    device,
                    device_of_user,
                } => {
                    c.identity_refusals.fetch_add(1, Ordering::Relaxed);
                    // The user name is the CPE's claim: Debug-quoted, so it
                    // stays on one line.
                    warn!(
                        device = %device.endpoint_id(),
                        user = ?user,
                        credentials_of = %device_of_user.endpoint_id(),
                        "refused: informed as another device than its credentials'"
                    );
                }
                Event::StoreUnreadable { device, error } => {
                    warn!(device = %device.endpoint_id(), %error, "registry unreadable: 503");
                }
                Event::SessionEnded { device, ok } => {
                    let counter = if ok {
                        &c.sessions_ok
                    } else {
                        &c.sessions_failed
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                    let span = self.span(&device);
                    if ok {
                        debug!(parent: &span, "session ended");
                    } else {
                        warn!(parent: &span, "session failed");
                    }
                    if let Ok(mut s) = self.spans.lock() {
                        s.remove(&device);
                    }
                }
                Event::RpcDone {
                    id,
                    device,
                    outcome,
                } => self.rpc_done(id, &device, outcome),
                Event::ConnectionRequestNeeded(device) => match self.wakeups.join(&device, None) {
                    Admission::Start => {
                        if !self.spawn_wake(device.clone()) {
                            self.woken(engine, &device, wake::stopping());
                        }
                    }
                    // The request under way speaks for this RPC too.
                    Admission::Joined => {}
                    Admission::Refused(outcome) => self.woken(engine, &device, outcome),
                },
                Event::TransferComplete {
                    device,
                    command_key,
                    fault_code,
                    ..
                } => {
                    let span = self.span(&device);
                    debug!(parent: &span, command_key = ?command_key, fault_code, "transfer complete");
                }
                // Held for its commit, this usually comes after the
                // session's end: the span then is a fresh one.
                Event::Provisioned { device, state } => {
                    let span = self.span(&device);
                    match state {
                        Provisioning::Failed { fault, .. } => {
                            warn!(parent: &span, fault, "provisioning failed")
                        }
                        _ => debug!(parent: &span, "provisioned"),
                    }
                }
            }
        }
    }

    /// Never waits: this runs under the engine's lock. A listener that
    /// falls behind by a whole channel loses events, counted, rather than
    /// stalling every CPE session.
    fn tell_listener(&self, ev: &Event) {
        let Ok(listener) = self.listener.lock() else {
            return;
        };
        if let Some(tx) = listener.as_ref() {
            if tx.try_send(ev.clone()).is_err() {
                self.counters.events_dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn rpc_done(&self, id: RpcId, device: &DeviceKey, outcome: RpcOutcome) {
        let span = self.span(device);
        match &outcome {
            RpcOutcome::Fault { code, string, .. } => {
                self.counters.cpe_faults.fetch_add(1, Ordering::Relaxed);
                warn!(parent: &span, rpc = id.0, code, fault = ?string, "CPE fault");
            }
            RpcOutcome::NoAnswer => warn!(parent: &span, rpc = id.0, "RPC unanswered"),
            RpcOutcome::Expired => info!(parent: &span, rpc = id.0, "RPC expired unsent"),
            RpcOutcome::Unreachable(_) => debug!(parent: &span, rpc = id.0, "RPC withdrawn"),
            RpcOutcome::Response(body) => {
                debug!(parent: &span, rpc = id.0, method = body.method_name(), "RPC done")
            }
        }
        self.waiters.resolve(id, outcome);
    }

    /// Starts the connection request `wakeups` just admitted for `device`.
    /// `false` when it cannot run: the ACS is going away, or this is no
    /// runtime's thread.
    fn spawn_wake(&self, device: DeviceKey) -> bool {
        let (Some(me), Ok(runtime)) = (self.me.upgrade(), tokio::runtime::Handle::try_current())
        else {
            return false;
        };
        runtime.spawn(async move {
            let outcome = me.send_connection_request(&device).await;
            if let Ok(mut e) = me.engine.lock() {
                me.woken(&mut e, &device, outcome);
                me.drain_events(&mut e);
            }
        });
        true
    }

    async fn send_connection_request(&self, device: &DeviceKey) -> ConnectionRequestOutcome {
        let slot = match tokio::time::timeout(SLOT_WAIT, self.wakeups.slots.clone().acquire_owned())
            .await
        {
            Ok(Ok(slot)) => slot,
            Ok(Err(_)) => return wake::stopping(),
            Err(_) => {
                return ConnectionRequestOutcome::Local(
                    "no connection-request slot free in time".into(),
                )
            }
        };
        let record = match self.engine.lock() {
            Ok(e) => match e.device(device) {
                Ok(r) => r,
                Err(err) => {
                    return ConnectionRequestOutcome::Local(format!("registry unreadable: {err}"))
                }
            },
            Err(_) => return wake::stopping(),
        };
        let span = self.span(device);
        let target = match wake::target(record.as_ref(), &self.config.wake) {
            Ok(t) => t,
            Err(outcome) => {
                warn!(parent: &span, result = outcome.kind(), reason = outcome.reason(), "connection request not sent");
                return outcome;
            }
        };
        // Never the URL as stored: one with user info would show a password.
        let url = match &target.url {
            Some(u) => HttpTarget::parse(u).map_or_else(
                |_| "(not a valid URL)".into(),
                |t| format!("http://{}{}", t.authority, t.path),
            ),
            None => "(none)".into(),
        };
        debug!(parent: &span, url, user = target.user, "connection request");
        let password = target.password.expose();
        let mut outcome = match &target.url {
            Some(u) => self.requester.http(u, &target.user, password).await,
            None => ConnectionRequestOutcome::BadUrl("no ConnectionRequestURL".into()),
        };
        if let Some(address) = target
            .udp
            .as_deref()
            .filter(|_| wake::try_udp_after(&outcome))
        {
            debug!(parent: &span, http = outcome.kind(), address, "UDP connection request");
            outcome = self.requester.udp(address, &target.user, password).await;
        }
        drop(slot);
        match &outcome {
            // One per USP request on a CPE: at info it would flood the log.
            ConnectionRequestOutcome::Ok => debug!(parent: &span, url, "connection request ok"),
            failed => warn!(
                parent: &span,
                url,
                user = target.user,
                result = failed.kind(),
                reason = failed.reason(),
                "connection request failed"
            ),
        }
        outcome
    }

    /// A connection request to `device` ended (or could not start): count
    /// it, tell whoever waits for it, and if it failed, end the RPCs that
    /// were waiting for the device. The in-flight entry goes first, so an
    /// RPC queued after the withdrawal starts a request of its own.
    fn woken(&self, engine: &mut Engine<S>, device: &DeviceKey, outcome: ConnectionRequestOutcome) {
        self.counters.connection_requests.record(&outcome);
        // Before `finish`: a caller arriving in between must see it.
        self.wakeups.cool_down(device, &outcome);
        for listener in self.wakeups.finish(device) {
            let _ = listener.send(outcome.clone());
        }
        engine.connection_request_failed(device, &outcome);
    }

    /// Logs an answer that turned a CPE away, under its session's span
    /// when it has one. 403s were logged from their event.
    pub fn log_answer(&self, peer: SocketAddr, reply: &Reply) {
        let why = match reply.status {
            503 => "busy or registry commit failed: come back later",
            400 => "not a CWMP message we accept",
            _ => return,
        };
        let status = reply.status;
        match &reply.device {
            Some(device) => info!(parent: &self.span(device), %peer, status, why, "turned away"),
            None => info!(%peer, status, why, "turned away"),
        }
    }

    /// The ACS stops serving: every waiting caller is told so.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
        self.wakeups.close();
        self.waiters.close();
    }
}

impl<S: Store + Clone + Send + Sync + 'static> Northbound for Shared<S> {
    fn enqueue(
        &self,
        device: &DeviceKey,
        rpc: cwmp::Body<'static>,
        deadline: Duration,
    ) -> Result<(RpcId, oneshot::Receiver<RpcOutcome>), SubmitError> {
        if self.stopped.load(Ordering::Relaxed) {
            return Err(SubmitError::Stopped);
        }
        let mut e = self.engine.lock().map_err(|_| SubmitError::Stopped)?;
        match e.device(device) {
            Ok(Some(_)) => {}
            Ok(None) => return Err(SubmitError::UnknownDevice),
            Err(err) => return Err(SubmitError::Unavailable(err.to_string())),
        }
        let due = self.now().saturating_add(deadline);
        // Under the engine's lock: the RPC cannot be reported done before
        // its waiter is registered.
        let queued = self.waiters.register(|| {
            e.submit(device.clone(), rpc, due)
                .ok_or(SubmitError::QueueFull)
        })?;
        self.drain_events(&mut e);
        Ok(queued)
    }

    fn withdraw(&self, device: &DeviceKey, id: RpcId) {
        if let Ok(mut e) = self.engine.lock() {
            e.withdraw(device, id);
        }
        self.waiters.forget(id);
    }

    fn wake(
        &self,
        device: &DeviceKey,
    ) -> Result<oneshot::Receiver<ConnectionRequestOutcome>, ConnectionRequestOutcome> {
        if self.stopped.load(Ordering::Relaxed) {
            return Err(wake::stopping());
        }
        let (tx, rx) = oneshot::channel();
        match self.wakeups.join(device, Some(tx)) {
            Admission::Refused(outcome) => {
                // Counted like any other, so the report adds up.
                self.counters.connection_requests.record(&outcome);
                Err(outcome)
            }
            Admission::Joined => Ok(rx),
            Admission::Start if self.spawn_wake(device.clone()) => Ok(rx),
            Admission::Start => {
                self.wakeups.finish(device);
                Err(wake::stopping())
            }
        }
    }

    fn hold(&self, device: &DeviceKey) {
        if let Ok(mut e) = self.engine.lock() {
            e.hold(device);
        }
    }

    fn release(&self, device: &DeviceKey) {
        if let Ok(mut e) = self.engine.lock() {
            e.release(device);
            self.drain_events(&mut e);
        }
    }

    fn answer_grace(&self) -> Duration {
        self.engine
            .lock()
            .map_or(Duration::from_secs(300), |e| e.config().max_session)
    }
}
