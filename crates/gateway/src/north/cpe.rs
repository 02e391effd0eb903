//! Runs interworking plans. Each request the agents hand to the CPE side
//! becomes a task driving its `interwork::Plan` through the ACS's RPC
//! queue; the answer goes back to the northbound loop, which owns the
//! agents. The RPCs of one plan step are queued together, so they share
//! the device's session. One device runs one plan at a time, in the order
//! its requests came: a Get after a Set sees the Set, and, as the device
//! stays held while requests wait, in the same CWMP session.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use acs::{AcsHandle, Hold};
use agent::dm::Answer;
use agent::Remote;
use interwork::objects::ListPlan;
use interwork::plan::Tr098;
use interwork::watch::{self, WatchPlan};
use interwork::{DeviceModel, Plan};
use store::DeviceKey;
use tokio::sync::mpsc;

use super::fresh::{max_age, Fresh, Rules};
pub use super::instance_maps::InstanceMaps;
pub use super::watch::{WatchFinished, WatchJob, WatchResult};

mod drive;
use drive::{drive, drive_list, drive_watch, outcome};
use usp::ErrorCode;

/// Plans under way at once; beyond it requests fail with 7005 at once.
const MAX_PLANS: usize = 4096;
/// Requests waiting behind a device's running plan, per device and in all.
const MAX_WAITING_PER_DEVICE: usize = 64;
const MAX_WAITING: usize = 65_536;
/// Distinct device models kept (a fleet has a handful).
const MAX_MODELS: usize = 256;

/// A plan that ended.
pub struct Finished {
    pub remote: Remote,
    pub answer: Option<Answer>,
    /// The device's model, when this plan learned it.
    pub model: Option<Arc<DeviceModel>>,
    /// Values read that `--get-max-age` lets later Gets reuse.
    pub fresh: Vec<(String, String, cwmp::ValueType)>,
    /// When the plan started and how long it waited on the CPE (none
    /// when no plan ran).
    pub timing: Option<(Instant, Duration)>,
}

/// What a device runs in turn: a USP request, or the upkeep of its
/// notification attributes.
enum Job {
    Request(Remote),
    Watch(String, WatchJob),
}

pub struct Interworker {
    acs: AcsHandle,
    done: mpsc::Sender<Finished>,
    running: usize,
    /// Devices with a plan running, and the requests waiting behind it;
    /// the hold keeps the CPE's session open from one plan to the next.
    busy: HashMap<String, (Hold, VecDeque<(Job, DeviceKey)>)>,
    /// Where notification attribute plans and polls end.
    watch_done: mpsc::Sender<WatchFinished>,
    waiting: usize,
    config: interwork::Config,
    /// How long each RPC may wait for the device's session.
    deadline: Duration,
    by_device: HashMap<String, Arc<DeviceModel>>,
    by_fingerprint: HashMap<u64, Arc<DeviceModel>>,
    /// Models by (OUI, ProductClass, SoftwareVersion): a CPE of a known
    /// product and firmware needs no GetParameterNames of its own.
    by_product: HashMap<ModelKey, Arc<DeviceModel>>,
    /// The product and firmware each device last informed.
    product_of: HashMap<String, ModelKey>,
    fresh: Fresh,
    /// TR-098 CPE's instance numbers, kept across restarts.
    pub maps: InstanceMaps,
}

/// (OUI, ProductClass, SoftwareVersion).
type ModelKey = (String, String, String);

impl Interworker {
    pub fn new(
        acs: AcsHandle,
        done: (mpsc::Sender<Finished>, mpsc::Sender<WatchFinished>),
        config: interwork::Config,
        deadline: Duration,
        max_age: Rules,
    ) -> Interworker {
        let (done, watch_done) = done;
        Interworker {
            acs,
            done,
            watch_done,
            running: 0,
            busy: HashMap::new(),
            waiting: 0,
            config,
            deadline,
            by_device: HashMap::new(),
            by_fingerprint: HashMap::new(),
            by_product: HashMap::new(),
            product_of: HashMap::new(),
            fresh: Fresh::new(max_age),
            maps: InstanceMaps::default(),
        }
    }

    /// Runs the plan for `remote` on `device` once the device's earlier
    /// requests are done; `Err` carries the answer when it cannot.
    pub fn submit(&mut self, remote: Remote, device: DeviceKey) -> Result<(), Box<Finished>> {
        let busy = |why: &str| {
            let answer = error(ErrorCode::ResourcesExceeded, why);
            Err(Box::new(finished(remote.clone(), Some(answer), None)))
        };
        if let Some((_, queue)) = self.busy.get_mut(&remote.agent) {
            if queue.len() >= MAX_WAITING_PER_DEVICE || self.waiting >= MAX_WAITING {
                return busy("too many requests waiting for this CPE");
            }
            queue.push_back((Job::Request(remote), device));
            self.waiting += 1;
            return Ok(());
        }
        if self.running >= MAX_PLANS {
            return busy("too many requests to CPE under way");
        }
        let hold = self.acs.hold(device.clone());
        self.busy
            .insert(remote.agent.clone(), (hold, VecDeque::new()));
        self.spawn(Job::Request(remote), device);
        Ok(())
    }

    /// Runs a notification attribute plan or a poll of `agent`'s device
    /// in turn with its requests; false when too much already waits (the
    /// caller tries again later).
    pub fn submit_watch(&mut self, agent: &str, device: DeviceKey, job: WatchJob) -> bool {
        let job = Job::Watch(agent.to_owned(), job);
        if let Some((_, queue)) = self.busy.get_mut(agent) {
            if queue.len() >= MAX_WAITING_PER_DEVICE || self.waiting >= MAX_WAITING {
                return false;
            }
            queue.push_back((job, device));
            self.waiting += 1;
            return true;
        }
        if self.running >= MAX_PLANS {
            return false;
        }
        let hold = self.acs.hold(device.clone());
        self.busy.insert(agent.to_owned(), (hold, VecDeque::new()));
        self.spawn(job, device);
        true
    }

    /// A plan of `agent` ended (its [`Finished`] was handled): the next
    /// request of that device starts.
    pub fn ended(&mut self, agent: &str, fresh: Vec<(String, String, cwmp::ValueType)>) {
        self.fresh.keep(agent, fresh, Instant::now());
        self.running = self.running.saturating_sub(1);
        match self.busy.get_mut(agent).and_then(|(_, q)| q.pop_front()) {
            Some((job, device)) => {
                self.waiting = self.waiting.saturating_sub(1);
                self.spawn(job, device);
            }
            None => {
                self.busy.remove(agent);
            }
        }
    }

    /// How a TR-098 CPE behind `agent` is mapped: its pack, by the
    /// identity of its last Inform.
    fn tr098_of(&self, agent: &str) -> Tr098 {
        let mut t = match self.product_of.get(agent) {
            Some((oui, product_class, version)) => Tr098::for_device(oui, product_class, version),
            None => Tr098::default(),
        };
        t.instances = self.maps.of(agent);
        t
    }

    /// The device's model, when known.
    pub fn model(&self, agent: &str) -> Option<Arc<DeviceModel>> {
        self.model_of(agent)
    }

    fn model_of(&self, agent: &str) -> Option<Arc<DeviceModel>> {
        self.by_device.get(agent).cloned().or_else(|| {
            let product = self.product_of.get(agent)?;
            self.by_product.get(product).cloned()
        })
    }

    fn spawn(&mut self, job: Job, device: DeviceKey) {
        let remote = match job {
            Job::Request(r) => r,
            Job::Watch(agent, job) => return self.spawn_watch(agent, job, device),
        };
        let model = self.model_of(&remote.agent);
        let plan = Plan::new(
            remote.request.clone(),
            &remote.msg_id,
            model.clone(),
            self.config.clone(),
        );
        let mut plan = plan;
        // Only a discovery needs the pack and the stored numbers.
        if model.is_none() {
            plan.tr098(self.tr098_of(&remote.agent));
        }
        plan.remember(self.fresh.fresh(&remote.agent, Instant::now()));
        let (acs, done, deadline) = (self.acs.clone(), self.done.clone(), self.deadline);
        let rules = self.fresh.rules().clone();
        self.running += 1;
        let started = Instant::now();
        tokio::spawn(async move {
            let mut waited = Duration::ZERO;
            let (answer, plan) = drive(plan, &acs, &device, deadline, &mut waited).await;
            let learned = plan
                .model()
                .filter(|m| model.as_ref().is_none_or(|old| !Arc::ptr_eq(old, m)))
                .cloned();
            let mut f = finished(remote, Some(answer), learned);
            f.timing = Some((started, waited));
            f.fresh = plan
                .read_values()
                .filter(|(p, _, _)| max_age(&rules, p).is_some())
                .map(|(p, v, t)| (p.to_owned(), v.to_owned(), t))
                .collect();
            let _ = done.send(f).await;
        });
    }

    fn spawn_watch(&mut self, agent: String, job: WatchJob, device: DeviceKey) {
        let model = self.model_of(&agent);
        let tr098 = self.tr098_of(&agent);
        let (acs, done, deadline) = (self.acs.clone(), self.watch_done.clone(), self.deadline);
        let config = self.config.clone();
        self.running += 1;
        tokio::spawn(async move {
            let result = match job {
                WatchJob::Plan {
                    wanted,
                    tables,
                    applied,
                } => {
                    let mut plan = WatchPlan::new(model, wanted, applied, config).counting(tables);
                    plan.tr098(tr098);
                    WatchResult::Plan(drive_watch(plan, &acs, &device, deadline).await)
                }
                WatchJob::List { tables, known } => {
                    let plan = ListPlan::new(model, tables, known, config).tr098(tr098);
                    WatchResult::List(drive_list(plan, &acs, &device, deadline).await)
                }
                WatchJob::Poll(names) => {
                    let model = model.as_deref();
                    let _hold = acs.hold(device.clone());
                    let (calls, rpcs): (Vec<_>, Vec<_>) =
                        watch::poll_calls(model, &names, config.batch)
                            .into_iter()
                            .unzip();
                    let submits = rpcs
                        .into_iter()
                        .map(|rpc| acs.submit(device.clone(), rpc, deadline));
                    let results = futures_util::future::join_all(submits).await;
                    let values = calls
                        .iter()
                        .zip(results)
                        .flat_map(|(c, r)| watch::polled_values(model, c, outcome(r)))
                        .collect();
                    WatchResult::Poll(values)
                }
            };
            let _ = done.send(WatchFinished { agent, result }).await;
        });
    }

    /// Keeps a model a plan learned, shared with every device that
    /// reported the same names and with every device of the same product
    /// and firmware.
    pub fn learned(&mut self, agent: &str, model: Arc<DeviceModel>) {
        // A mapped TR-098 model holds the device's own instances and list
        // values: it is that device's alone.
        if let Some(m) = model.mapping() {
            self.maps.learned(agent, m.instances());
            self.by_device.insert(agent.to_owned(), model);
            return;
        }
        let shared = match self.by_fingerprint.get(&model.fingerprint()) {
            Some(m) => m.clone(),
            None if self.by_fingerprint.len() < MAX_MODELS => {
                self.by_fingerprint
                    .insert(model.fingerprint(), model.clone());
                model
            }
            None => model,
        };
        if let Some(key) = self.product_of.get(agent) {
            if self.by_product.len() < MAX_MODELS || self.by_product.contains_key(key) {
                self.by_product.insert(key.clone(), shared.clone());
            }
        }
        self.by_device.insert(agent.to_owned(), shared);
    }

    /// A device informed: a new firmware (or a reset, when the firmware
    /// is not known) may bring a different model.
    pub fn informed(&mut self, agent: &str, key: ModelKey, events: &[String]) {
        let rebooted = events.iter().any(|e| e == "0 BOOTSTRAP" || e == "1 BOOT");
        if events.iter().any(|e| e == "0 BOOTSTRAP") {
            self.fresh.forget(agent);
        }
        if key.2.is_empty() {
            self.product_of.remove(agent);
            if rebooted {
                self.by_device.remove(agent);
            }
            return;
        }
        match self.by_product.get(&key) {
            Some(m) => {
                self.by_device.insert(agent.to_owned(), m.clone());
            }
            None if self.product_of.get(agent) != Some(&key) || rebooted => {
                self.by_device.remove(agent);
            }
            None => {}
        }
        self.product_of.insert(agent.to_owned(), key);
    }
}

/// Every answer goes back, even to an Operate with send_resp false: the
/// agent settles its Request from it (and then tells nobody).
fn finished(remote: Remote, answer: Option<Answer>, model: Option<Arc<DeviceModel>>) -> Finished {
    Finished {
        remote,
        answer,
        model,
        fresh: Vec::new(),
        timing: None,
    }
}

fn error(code: ErrorCode, msg: &str) -> Answer {
    Answer::Error(usp::proto::usp::Error {
        err_code: code.as_u32(),
        err_msg: msg.into(),
        param_errs: Vec::new(),
    })
}
