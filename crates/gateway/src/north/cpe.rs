//! Runs interworking plans. Each request the agents hand to the CPE side
//! becomes a task driving its `interwork::Plan` through the ACS's RPC
//! queue; the answer goes back to the northbound loop, which owns the
//! agents. The RPCs of one plan step are queued together, so they share
//! the device's session.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use acs::{AcsHandle, RpcOutcome, SubmitError};
use agent::dm::Answer;
use agent::Remote;
use interwork::fault::vendor;
use interwork::{DeviceModel, Outcome, Plan, Step};
use store::DeviceKey;
use tokio::sync::mpsc;
use usp::proto::usp::request::ReqType;
use usp::ErrorCode;

/// Plans under way at once; beyond it requests fail with 7005 at once.
const MAX_PLANS: usize = 4096;
/// Distinct device models kept (a fleet has a handful).
const MAX_MODELS: usize = 256;

/// A plan that ended.
pub struct Finished {
    pub remote: Remote,
    pub answer: Option<Answer>,
    /// The device's model, when this plan learned it.
    pub model: Option<Arc<DeviceModel>>,
    /// When the plan started and how long it waited on the CPE (none
    /// when no plan ran).
    pub timing: Option<(Instant, Duration)>,
}

pub struct Interworker {
    acs: AcsHandle,
    done: mpsc::Sender<Finished>,
    running: Arc<AtomicUsize>,
    config: interwork::Config,
    /// How long each RPC may wait for the device's session.
    deadline: Duration,
    by_device: HashMap<String, Arc<DeviceModel>>,
    by_fingerprint: HashMap<u64, Arc<DeviceModel>>,
}

impl Interworker {
    pub fn new(acs: AcsHandle, done: mpsc::Sender<Finished>, deadline: Duration) -> Interworker {
        Interworker {
            acs,
            done,
            running: Arc::new(AtomicUsize::new(0)),
            config: interwork::Config::default(),
            deadline,
            by_device: HashMap::new(),
            by_fingerprint: HashMap::new(),
        }
    }

    /// Starts the plan for `remote` on `device`; `Err` carries the answer
    /// when no plan can start.
    pub fn start(&mut self, remote: Remote, device: DeviceKey) -> Result<(), Box<Finished>> {
        if self.running.load(Ordering::Relaxed) >= MAX_PLANS {
            let answer = error(
                ErrorCode::ResourcesExceeded,
                "too many requests to CPE under way",
            );
            return Err(Box::new(finished(remote, Some(answer), None)));
        }
        let model = self.by_device.get(&remote.agent).cloned();
        let plan = Plan::new(remote.request.clone(), model.clone(), self.config.clone());
        let (acs, done, deadline) = (self.acs.clone(), self.done.clone(), self.deadline);
        let running = self.running.clone();
        running.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        tokio::spawn(async move {
            let mut waited = Duration::ZERO;
            let (answer, learned) = drive(plan, &acs, &device, deadline, &mut waited).await;
            let learned = learned.filter(|m| model.as_ref().is_none_or(|old| !Arc::ptr_eq(old, m)));
            let mut f = finished(remote, Some(answer), learned);
            f.timing = Some((started, waited));
            let _ = done.send(f).await;
            running.fetch_sub(1, Ordering::Relaxed);
        });
        Ok(())
    }

    /// Keeps a model a plan learned, shared with every device that
    /// reported the same names.
    pub fn learned(&mut self, agent: &str, model: Arc<DeviceModel>) {
        let shared = match self.by_fingerprint.get(&model.fingerprint()) {
            Some(m) => m.clone(),
            None if self.by_fingerprint.len() < MAX_MODELS => {
                self.by_fingerprint
                    .insert(model.fingerprint(), model.clone());
                model
            }
            None => model,
        };
        self.by_device.insert(agent.to_owned(), shared);
    }

    /// The device may have a new model (new firmware, factory reset).
    pub fn forget(&mut self, agent: &str) {
        self.by_device.remove(agent);
    }
}

fn finished(remote: Remote, answer: Option<Answer>, model: Option<Arc<DeviceModel>>) -> Finished {
    // Operate with send_resp false: the command runs, nobody is told.
    let answer = match &remote.request {
        ReqType::Operate(o) if !o.send_resp => None,
        _ => answer,
    };
    Finished {
        remote,
        answer,
        model,
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

async fn drive(
    mut plan: Plan,
    acs: &AcsHandle,
    device: &DeviceKey,
    deadline: Duration,
    waited: &mut Duration,
) -> (Answer, Option<Arc<DeviceModel>>) {
    // Every step of the plan in the session the first step opens: one
    // connection request per USP request, not one per round.
    let _hold = acs.hold(device.clone());
    loop {
        match plan.poll() {
            Step::Done(a) => return (a, plan.model().cloned()),
            Step::Send(rpcs) => {
                let submits = rpcs
                    .into_iter()
                    .map(|rpc| acs.submit(device.clone(), rpc, deadline));
                // All of it is the CPE's: waking it, its session, its answers.
                let asked = Instant::now();
                let results = futures_util::future::join_all(submits).await;
                *waited += asked.elapsed();
                plan.feed(results.into_iter().map(outcome).collect());
            }
        }
    }
}

fn outcome(r: Result<RpcOutcome, SubmitError>) -> Outcome {
    let failed = |code: u32, msg: String| Outcome::Failed { code, msg };
    match r {
        Ok(RpcOutcome::Response(b)) => Outcome::Response(b),
        Ok(RpcOutcome::Fault { code, string }) => Outcome::Fault { code, string },
        Ok(RpcOutcome::Expired) => failed(
            vendor::NO_ANSWER,
            "the CPE did not open a session in time".into(),
        ),
        Ok(RpcOutcome::NoAnswer) => failed(vendor::NO_ANSWER, "the CPE did not answer".into()),
        Ok(RpcOutcome::Unreachable(why)) | Err(SubmitError::ConnectionRequestFailed(why)) => {
            failed(vendor::UNREACHABLE, format!("CPE unreachable: {why}"))
        }
        Err(SubmitError::UnknownDevice) => {
            failed(vendor::UNREACHABLE, "the CPE is not registered".into())
        }
        Err(e) => failed(vendor::NOT_QUEUED, e.to_string()),
    }
}
