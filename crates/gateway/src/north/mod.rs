//! The northbound runtime of `cwmp2usp run`: one USP agent per registered
//! device, their MTPs, and the one task between them. The agent logic
//! (crate `agent`) decides; the MTP shells (crate `mtp`) move Records; this
//! loop only carries events and actions between them and the registry.

use std::time::SystemTime;

use agent::local::Snapshot;
use agent::{Action, Agents, IdScheme};
use anyhow::Context as _;
use mtp::mqtt::MqttMtp;
use mtp::stomp::StompMtp;
use mtp::ws::WsMtp;
use mtp::{Inbound, Outbound};
use store::Store;
use tokio::sync::mpsc;
use tracing::{debug, warn};

use crate::jitter::Jitter;
use usp::proto::usp::request::ReqType;

mod commands;
mod cpe;
mod events;
mod fresh;
mod instance_maps;
mod mtps;
mod notify_times;
mod plan;
mod timing;
mod watch;
pub use notify_times::NotifyTimes;
pub use plan::{plan, NorthPlan};
pub use timing::PlanTimes;

use self::cpe::{Finished, Interworker};
use self::mtps::Mtps;

/// Records and link events waiting for the agent logic.
const INBOUND_QUEUE: usize = 4096;
/// Events taken into one batch of actions beyond the first.
const MAX_BURST: usize = 255;
/// Resource path of every agent on the WebSocket server.
pub const WS_PATH: &str = "/usp/agent/{eid}";

/// The northbound, started: agents up, MTPs listening or connecting.
pub struct North<S> {
    agents: Agents,
    mtps: Mtps,
    scheme: IdScheme,
    store: S,
    inbound: mpsc::Receiver<Inbound>,
    onboard_request: bool,
    interwork: (::interwork::Config, std::time::Duration, fresh::Rules),
    jitter: Jitter,
    times: PlanTimes,
    /// What Boot! and ValueChange need beyond the Inform.
    memory: events::Memory,
    watcher: watch::Watcher,
    value_change_poll: std::time::Duration,
    notify_times: NotifyTimes,
    /// Notify messages of this batch from Informs: (Inform received, how
    /// many), timed once they are handed to the MTPs.
    told: Vec<(std::time::Duration, u64)>,
    /// Watch plans due at start (see `watch::Watcher::resume`).
    resumed: Vec<(String, watch::WatchJob)>,
    /// TR-098 instance maps read at start, for the Interworker.
    maps: instance_maps::InstanceMaps,
}

impl<S: Store + Clone + Send + Sync + 'static> North<S> {
    /// Starts the MTPs and brings up an agent for every device in the
    /// registry, with the state it had. Adds what a controller needs to
    /// know to `ready`.
    pub async fn start(
        plan: NorthPlan,
        store: S,
        ready: &mut serde_json::Value,
    ) -> anyhow::Result<North<S>> {
        let (tx, inbound) = mpsc::channel(INBOUND_QUEUE);
        let ws = match plan.ws {
            Some(c) => Some(
                WsMtp::start(c, tx.clone())
                    .await
                    .map_err(|e| anyhow::anyhow!("WebSocket MTP: {e}"))?,
            ),
            None => None,
        };
        if let Some(addr) = ws.as_ref().and_then(WsMtp::local_addr) {
            ready["usp_ws"] = format!("ws://{addr}{WS_PATH}").into();
        }
        let mqtt = match plan.mqtt {
            Some(c) => {
                Some(MqttMtp::new(c, tx.clone()).map_err(|e| anyhow::anyhow!("MQTT MTP: {e}"))?)
            }
            None => None,
        };
        let stomp = plan.stomp.map(|c| StompMtp::new(c, tx.clone()));
        let mtps = Mtps {
            ws,
            mqtt,
            stomp,
            ws_clients: plan.ws_clients,
        };
        let mut agents = Agents::new(plan.config).context("the LocalAgent data model")?;
        let records = {
            let s = store.clone();
            tokio::task::spawn_blocking(move || s.all().map(|r| (r, s.agent_states())))
                .await
                .context("reading the registry")??
        };
        let (records, states) = (records.0, records.1?);
        let now = SystemTime::now();
        let mut watcher = watch::Watcher::default();
        let mut maps = instance_maps::InstanceMaps::default();
        let mut eids = Vec::with_capacity(records.len());
        for r in &records {
            match agents.add(
                &r.key.oui,
                &r.key.product_class,
                &r.key.serial,
                plan.scheme,
                now,
            ) {
                Ok(eid) => {
                    mtps.bring_up(&eid);
                    eids.push(eid);
                }
                Err(e) => warn!(device = %r.key.endpoint_id(), error = %e, "no USP agent"),
            }
        }
        for (eid, bytes) in states {
            if watcher.restore(&eid, &bytes) || maps.restore(&eid, &bytes) {
                continue;
            }
            match serde_json::from_slice::<Snapshot>(&bytes) {
                Ok(s) => {
                    if !agents.restore(&eid, s) {
                        debug!(agent = %eid, "state of an agent whose device is gone");
                    }
                }
                Err(e) => warn!(agent = %eid, error = %e, "agent state unreadable: starting fresh"),
            }
        }
        let resumed = eids
            .into_iter()
            .filter_map(|eid| {
                let tables = agents.watched_tables(&eid);
                let job = watcher.resume(&eid, agents.watched(&eid), tables)?;
                Some((eid, job))
            })
            .collect();
        ready["agents"] = agents.len().into();
        Ok(North {
            agents,
            mtps,
            scheme: plan.scheme,
            store,
            inbound,
            onboard_request: plan.onboard_request,
            interwork: (plan.interwork, plan.cpe_deadline, plan.max_age.into()),
            jitter: Jitter::new(),
            times: PlanTimes::new().context("latency histograms")?,
            memory: events::Memory::default(),
            watcher,
            value_change_poll: plan.value_change_poll,
            notify_times: NotifyTimes::new().context("latency histograms")?,
            told: Vec::new(),
            resumed,
            maps,
        })
    }

    /// Inform-to-Notify latency and notification counters, for the exit
    /// report.
    pub fn notify_times(&self) -> NotifyTimes {
        self.notify_times.clone()
    }

    /// Latencies of the requests run on CPE, for the exit report.
    pub fn plan_times(&self) -> PlanTimes {
        self.times.clone()
    }

    /// Runs until both inputs end (the ACS stopped and every MTP is gone).
    /// Requests for the CPE's own model run through `acs`.
    pub async fn run(mut self, mut devices: mpsc::Receiver<acs::Event>, acs: acs::AcsHandle) {
        let mut devices_open = true;
        let (done_tx, mut done) = mpsc::channel(INBOUND_QUEUE);
        let (config, deadline, max_age) = self.interwork.clone();
        let (watch_tx, mut watch_done) = mpsc::channel(INBOUND_QUEUE);
        let mut cpe = Interworker::new(acs, (done_tx, watch_tx), config, deadline, max_age);
        cpe.maps = std::mem::take(&mut self.maps);
        for (eid, job) in std::mem::take(&mut self.resumed) {
            self.submit_watch(&eid, job, &mut cpe);
        }
        let every = self.value_change_poll;
        let mut poll = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        loop {
            let timer = self.agents.poll_timeout();
            // Unused when there is no deadline, but select! builds it anyway.
            let wake = timer.map_or_else(far_future, instant_of);
            let mut actions = tokio::select! {
                ev = devices.recv(), if devices_open => match ev {
                    Some(ev) => self.on_device_event(ev, &mut cpe),
                    None => {
                        devices_open = false;
                        Vec::new()
                    }
                },
                Some(f) = done.recv() => self.on_finished(f, &mut cpe),
                Some(w) = watch_done.recv() => self.on_watch_finished(w, &mut cpe),
                _ = poll.tick() => {
                    self.on_watch_tick(&mut cpe);
                    Vec::new()
                }
                inbound = self.inbound.recv() => match inbound {
                    Some(i) => self.on_inbound(i),
                    None => return,
                },
                () = tokio::time::sleep_until(wake), if timer.is_some() => {
                    let jitter = &mut self.jitter;
                    // Never before the deadline, whatever the two clocks say.
                    let now = timer.map_or_else(SystemTime::now, |t| t.max(SystemTime::now()));
                    let actions = self.agents.handle_timeout(now, &mut || jitter.next_u32());
                    debug!(actions = actions.len(), next = ?self.agents.poll_timeout(), "notification timer");
                    actions
                }
            };
            // A burst (a boot storm of new devices, pipelined requests):
            // what already waits joins this batch, so its agents' state is
            // written in one transaction rather than one fsync each.
            for _ in 0..MAX_BURST {
                let more = if let Ok(ev) = devices.try_recv() {
                    self.on_device_event(ev, &mut cpe)
                } else if let Ok(i) = self.inbound.try_recv() {
                    self.on_inbound(i)
                } else if let Ok(f) = done.try_recv() {
                    self.on_finished(f, &mut cpe)
                } else {
                    break;
                };
                actions.extend(more);
            }
            self.act(actions, &mut cpe).await;
        }
    }

    fn on_finished(&mut self, f: Finished, cpe: &mut Interworker) -> Vec<Action> {
        let read_model = f.model.is_some();
        // Measured as the answer leaves the agent logic: its encoding and
        // the hop back through this loop are gateway time too.
        if let Some((started, waited)) = f.timing {
            self.times.record(started.elapsed(), waited, read_model);
        }
        if let Some(m) = f.model {
            cpe.learned(&f.remote.agent, m);
        }
        cpe.ended(&f.remote.agent, f.fresh);
        // What the controller added or deleted is told by the listing (its
        // own changes too, R-NOT.0a), once: the diff sees each change once.
        if matches!(f.remote.request, ReqType::Add(_) | ReqType::Delete(_)) {
            self.list_objects(&f.remote.agent, cpe);
        }
        if let Some(path) = &f.remote.completes {
            return self.on_results(&f.remote.agent, path, f.answer);
        }
        self.agents
            .finish_remote(f.remote, f.answer, SystemTime::now())
    }

    fn on_inbound(&mut self, inbound: Inbound) -> Vec<Action> {
        let now = SystemTime::now();
        match inbound {
            Inbound::Up { agent, link } => {
                debug!(agent = %agent, protocol = link.protocol(), "MTP link up");
                self.agents.on_mtp_up(&agent, &link, now)
            }
            Inbound::Record {
                agent,
                reply,
                payload,
            } => self.agents.handle_record(&agent, &payload, reply, now),
            Inbound::Down {
                agent,
                protocol,
                link,
            } => {
                debug!(agent = %agent, protocol, "MTP link down");
                self.agents.on_mtp_down(&agent, protocol, link);
                Vec::new()
            }
        }
    }

    /// State first, answers after: a controller told that its subscription
    /// exists must find it there after a crash.
    async fn act(&mut self, actions: Vec<Action>, cpe: &mut Interworker) {
        let mut persist = Vec::new();
        let mut sends = Vec::new();
        for a in actions {
            match a {
                Action::Persist { agent, snapshot } => match serde_json::to_vec(&snapshot) {
                    Ok(bytes) => persist.push((agent, Some(bytes))),
                    Err(e) => warn!(agent = %agent, error = %e, "agent state not serialisable"),
                },
                Action::Send { agent, to, record } => sends.push(Outbound {
                    agent: agent.into(),
                    to,
                    payload: record,
                }),
                Action::NotifyAcked { agent, msg_id, .. } => {
                    debug!(agent = %agent, msg_id, "NotifyResp")
                }
                Action::Watch {
                    agent,
                    paths,
                    tables,
                } => {
                    debug!(agent = %agent, ?paths, ?tables, "watched CPE parameters");
                    // Tables first: their plan then carries the paths too.
                    self.watch_tables(&agent, tables, cpe);
                    if let Some(job) = self.watcher.want(&agent, paths) {
                        self.submit_watch(&agent, job, cpe);
                    }
                }
                Action::Remote(r) => {
                    if commands::is_factory_reset(&r.request) {
                        self.memory.factory_reset_asked(&r.agent);
                    }
                    let Some((oui, product_class, serial)) = self.agents.identity(&r.agent) else {
                        continue;
                    };
                    let device = store::DeviceKey {
                        oui: oui.to_owned(),
                        product_class: product_class.to_owned(),
                        serial: serial.to_owned(),
                    };
                    if let Err(f) = cpe.submit(*r, device) {
                        let now = SystemTime::now();
                        for a in self.agents.finish_remote(f.remote, f.answer, now) {
                            if let Action::Send { agent, to, record } = a {
                                sends.push(Outbound {
                                    agent: agent.into(),
                                    to,
                                    payload: record,
                                });
                            }
                        }
                    }
                }
            }
        }
        persist.append(&mut self.watcher.persist);
        persist.append(&mut cpe.maps.persist);
        if !persist.is_empty() {
            let store = self.store.clone();
            let written =
                tokio::task::spawn_blocking(move || store.put_agent_states(&persist)).await;
            match written {
                Ok(Ok(())) => {}
                Ok(Err(e)) => warn!(error = %e, "agent state not stored"),
                Err(e) => warn!(error = %e, "agent state not stored"),
            }
        }
        for s in sends {
            self.mtps.send(s);
        }
        if !self.told.is_empty() {
            let now = SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            for (received, n) in self.told.drain(..) {
                self.notify_times.record(now.saturating_sub(received), n);
            }
        }
        let fallbacks = self.watcher.fallbacks();
        self.notify_times
            .set_stats(self.agents.notify_stats(), fallbacks);
    }
}

/// The tokio instant of a wall-clock deadline (now, if it has passed).
fn instant_of(t: SystemTime) -> tokio::time::Instant {
    let wait = t.duration_since(SystemTime::now()).unwrap_or_default();
    tokio::time::Instant::now() + wait
}

fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + std::time::Duration::from_secs(86_400)
}
