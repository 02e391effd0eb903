//! The tokio side of the plans: each step's RPCs queued together on the
//! ACS (so they share the device's session, held for the whole plan),
//! their outcomes fed back, until the plan is done.

use std::time::{Duration, Instant};

use acs::{AcsHandle, RpcOutcome, SubmitError};
use agent::dm::Answer;
use interwork::fault::vendor;
use interwork::objects::{ListPlan, ListReport, ListStep};
use interwork::watch::{WatchPlan, WatchReport, WatchStep};
use interwork::{Outcome, Plan, Step};
use store::DeviceKey;

pub(super) async fn drive(
    mut plan: Plan,
    acs: &AcsHandle,
    device: &DeviceKey,
    deadline: Duration,
    waited: &mut Duration,
) -> (Answer, Plan) {
    // Every step of the plan in the session the first step opens: one
    // connection request per USP request, not one per round.
    let _hold = acs.hold(device.clone());
    loop {
        match plan.poll() {
            Step::Done(a) => return (a, plan),
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

pub(super) async fn drive_watch(
    mut plan: WatchPlan,
    acs: &AcsHandle,
    device: &DeviceKey,
    deadline: Duration,
) -> WatchReport {
    let _hold = acs.hold(device.clone());
    loop {
        match plan.poll() {
            WatchStep::Done(r) => return r,
            WatchStep::Send(rpcs) => {
                let submits = rpcs
                    .into_iter()
                    .map(|rpc| acs.submit(device.clone(), rpc, deadline));
                let results = futures_util::future::join_all(submits).await;
                plan.feed(results.into_iter().map(outcome).collect());
            }
        }
    }
}

pub(super) async fn drive_list(
    mut plan: ListPlan,
    acs: &AcsHandle,
    device: &DeviceKey,
    deadline: Duration,
) -> ListReport {
    let _hold = acs.hold(device.clone());
    loop {
        match plan.poll() {
            ListStep::Done(r) => return r,
            ListStep::Send(rpcs) => {
                let submits = rpcs
                    .into_iter()
                    .map(|rpc| acs.submit(device.clone(), rpc, deadline));
                let results = futures_util::future::join_all(submits).await;
                plan.feed(results.into_iter().map(outcome).collect());
            }
        }
    }
}

pub(super) fn outcome(r: Result<RpcOutcome, SubmitError>) -> Outcome {
    let failed = |code: u32, msg: String| Outcome::Failed { code, msg };
    match r {
        Ok(RpcOutcome::Response(b)) => Outcome::Response(b),
        Ok(RpcOutcome::Fault {
            code,
            string,
            params,
        }) => Outcome::Fault {
            code,
            string,
            params: params
                .into_iter()
                .map(|p| interwork::ParamFault {
                    name: p.name,
                    code: p.code,
                    string: p.string,
                })
                .collect(),
        },
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
