//! Commands the CPE runs, and the `Request.{i}` objects of the
//! asynchronous ones (R-OPR.0-2).
//!
//! An Operate for the CPE opens a `Requested` Request before it leaves
//! (so a second run of the same command is refused while the first one is
//! under way: a diagnostic's results would be clobbered). The CPE side
//! then answers an asynchronous command with an OperateResp whose
//! `req_obj_path` is empty ([`ASYNC`]): [`Agents::finish_remote`] puts the
//! Request's path there and the Request turns `Active`; any other answer
//! removes it. The gateway completes it later ([`Agents::complete_request`])
//! from what the CPE reports (TransferComplete, "8 DIAGNOSTICS COMPLETE").

use usp::proto::usp::operate_resp::operation_result::OperationResp;
use usp::proto::usp::request::ReqType;
use usp::proto::usp::response::RespType;
use usp::proto::usp::OperateResp;
use usp::{msg, ErrorCode};

use crate::agents::{Action, Agents};
use crate::dm::Answer;
use crate::happening::Happening;
use crate::local::request::{self, Completed, Outcome, Refused, Request};
use crate::local::LocalAgent;

/// The `req_obj_path` by which the CPE side says "asynchronous: the agent
/// gives the Request's path".
pub const ASYNC: &str = "";

/// Opens the Request of an Operate (`Ok(Some(instance))`); other requests
/// need none. `Err` is the refusal to answer with (`None` when the
/// Operate wants no response).
pub(crate) fn open_request(
    local: &mut LocalAgent,
    controller: &str,
    req: &ReqType,
) -> Result<Option<u32>, Option<Answer>> {
    let ReqType::Operate(o) = req else {
        return Ok(None);
    };
    let inputs = o.input_args.iter().map(|(k, v)| (k.clone(), v.clone()));
    match local
        .requests
        .open(controller, &o.command, &o.command_key, inputs)
    {
        Ok(r) => Ok(Some(r.instance)),
        Err(why) => {
            let (code, text) = match why {
                Refused::Full => (
                    ErrorCode::ResourcesExceeded,
                    "too many commands under way on this agent",
                ),
                Refused::Running => (
                    ErrorCode::CommandFailure,
                    "this command is still running on the CPE",
                ),
            };
            let failure = msg::operate_failure(o.command.clone(), code, text);
            Err(o.send_resp.then(|| {
                Answer::Resp(RespType::OperateResp(OperateResp {
                    operation_results: vec![failure],
                }))
            }))
        }
    }
}

/// Settles Request `n` from the CPE side's answer: returns whether the
/// agent's persisted state changed (a Request went `Active`).
pub(crate) fn settle(local: &mut LocalAgent, n: u32, answer: Option<&mut Answer>) -> bool {
    let results = match answer {
        Some(Answer::Resp(RespType::OperateResp(r))) => r.operation_results.iter_mut(),
        _ => Default::default(),
    };
    let mut pending: Vec<&mut String> = results
        .filter_map(|r| match &mut r.operation_resp {
            Some(OperationResp::ReqObjPath(p)) if p == ASYNC => Some(p),
            _ => None,
        })
        .collect();
    let asynchronous = !pending.is_empty();
    let changed = local.requests.settle(n, asynchronous).is_some();
    // Even when the CPE already reported the end (its TransferComplete
    // overtook this answer), the controller learns which Request it was.
    let path = request::path_of(n);
    for p in pending.iter_mut() {
        **p = path.clone();
    }
    changed
}

impl Agents {
    /// The asynchronous commands of `eid` under way.
    pub fn requests(&self, eid: &str) -> &[Request] {
        self.agents.get(eid).map_or(&[][..], |a| a.local.requests())
    }

    /// The command of the Request at `path` ended: the Request goes
    /// (R-OPR.2) and comes back with how it ended; the matching
    /// OperationComplete subscriptions are notified (the Notify messages
    /// are among the actions, then one Persist). `None` if there is no such
    /// Request. The time is the latest any call was given.
    pub fn complete_request(
        &mut self,
        eid: &str,
        path: &str,
        outcome: Outcome,
    ) -> (Option<Completed>, Vec<Action>) {
        let Some(agent) = self.agents.get_mut(eid) else {
            return (None, Vec::new());
        };
        let Some(done) = agent.local.requests.complete(path, outcome) else {
            return (None, Vec::new());
        };
        let (obj_path, command_name) = split_command(&done.request.command);
        let h = Happening::OperationComplete {
            obj_path: obj_path.to_owned(),
            command_name: command_name.to_owned(),
            command_key: done.request.command_key.clone(),
            outcome: done.outcome.clone(),
        };
        let now = self.clock;
        let mut out: Vec<Action> = self
            .deliver(eid, &h, now, None)
            .into_iter()
            .filter(|a| !matches!(a, Action::Persist { .. }))
            .collect();
        if let Some(agent) = self.agents.get(eid) {
            out.push(Action::Persist {
                agent: eid.to_owned(),
                snapshot: agent.local.snapshot(),
            });
        }
        (Some(done), out)
    }
}

/// `Device.X.1.Download()` as (`Device.X.1.`, `Download()`).
fn split_command(command: &str) -> (&str, &str) {
    match command.rfind('.') {
        Some(i) => command.split_at(i + 1),
        None => ("", command),
    }
}
