//! Requests the CPE behind an agent must answer. The agent hands them out
//! as [`Action::Remote`]; the interworking layer (crate `interwork`) turns
//! each into CWMP RPCs and gives its answer back through
//! [`Agents::finish_remote`], which adds what the gateway itself owns.
//!
//! The remote answer covers every requested path as the CPE's model sees
//! it; on the way back, paths inside the LocalAgent are answered locally
//! instead, and the root (`Device.`), which both own, gets both halves.

use std::time::SystemTime;

use usp::mtp::ReplyTo;
use usp::proto::usp::get_resp::RequestedPathResult;
use usp::proto::usp::get_supported_dm_resp::RequestedObjectResult;
use usp::proto::usp::request::ReqType;
use usp::proto::usp::response::RespType;
use usp::ErrorCode;

use crate::agents::{send, unix, Action, Agents};
use crate::commands;
use crate::dispatch::{route, Route};
use crate::dm::{self, Answer, Schema};
use crate::happening::Happening;
use crate::local::View;
use crate::replay::ReplyCache;

/// A request on its way to the CPE, with what is needed to answer it.
#[derive(Debug, Clone, PartialEq)]
pub struct Remote {
    pub agent: String,
    /// The requesting controller's endpoint ID.
    pub controller: String,
    pub msg_id: String,
    pub reply: ReplyTo,
    pub request: ReqType,
    /// Set for writes, so a redelivered copy is answered from the cache.
    pub(crate) digest: Option<u64>,
    /// The Request opened for an Operate (see [`crate::commands`]).
    pub(crate) tracked: Option<u32>,
    /// Set on a read the gateway makes for itself to complete the Request
    /// at this path: its answer goes to nobody.
    pub completes: Option<String>,
}

impl Remote {
    /// A read of the CPE's model on behalf of the gateway, to complete the
    /// Request at `request_path` with what it finds.
    pub fn completing(agent: &str, request_path: &str, request: ReqType) -> Remote {
        Remote {
            agent: agent.to_owned(),
            controller: String::new(),
            msg_id: format!("gateway:{request_path}"),
            // Never used: `completes` keeps the answer from being sent.
            reply: ReplyTo::WebSocket { link: 0 },
            request,
            digest: None,
            tracked: None,
            completes: Some(request_path.to_owned()),
        }
    }
}

/// Where a request is answered.
pub(crate) enum Placement {
    Local,
    Remote,
    /// A write naming objects on both sides: refused, as it could not be
    /// made atomic.
    Mixed,
}

fn is_root(schema: &Schema, path: &str) -> bool {
    let root = &schema.node(schema.root()).path;
    path.trim_end_matches('.') == root.trim_end_matches('.')
}

/// Reads go to the CPE when any path is the CPE's or the root; writes and
/// commands when their objects are the CPE's.
pub(crate) fn placement(schema: &Schema, req: &ReqType) -> Placement {
    let remote = |p: &String| route(schema, p) == Route::Remote;
    let reads = |paths: &[String]| {
        if paths.iter().any(|p| remote(p) || is_root(schema, p)) {
            Placement::Remote
        } else {
            Placement::Local
        }
    };
    let writes = |paths: Vec<&String>| {
        let n = paths.iter().filter(|p| remote(p)).count();
        match n {
            0 => Placement::Local,
            n if n == paths.len() => Placement::Remote,
            _ => Placement::Mixed,
        }
    };
    match req {
        ReqType::Get(g) => reads(&g.param_paths),
        ReqType::GetInstances(g) => reads(&g.obj_paths),
        ReqType::GetSupportedDm(g) => reads(&g.obj_paths),
        ReqType::Set(s) => writes(s.update_objs.iter().map(|o| &o.obj_path).collect()),
        ReqType::Add(a) => writes(a.create_objs.iter().map(|o| &o.obj_path).collect()),
        ReqType::Delete(d) => writes(d.obj_paths.iter().collect()),
        ReqType::Operate(o) => writes(vec![&o.command]),
        _ => Placement::Local,
    }
}

pub(crate) fn mixed_error() -> Answer {
    Answer::error(
        ErrorCode::InvalidArguments,
        "one request may not write both Device.LocalAgent. and the device's own objects",
    )
}

impl Agents {
    /// Answers a request handed out as [`Action::Remote`] with what the CPE
    /// side found (`None`: no answer is due). An Operate's Request is
    /// settled (see [`crate::commands`]); one with send_resp false is not
    /// answered. A read made by [`Remote::completing`] and an agent
    /// removed meanwhile get nothing.
    pub fn finish_remote(
        &mut self,
        remote: Remote,
        mut answer: Option<Answer>,
        now: SystemTime,
    ) -> Vec<Action> {
        let (schema, config) = (self.schema.clone(), self.config.clone());
        let Some(agent) = self.agents.get_mut(&remote.agent) else {
            return Vec::new();
        };
        if remote.completes.is_some() {
            return Vec::new();
        }
        let mut out = Vec::new();
        if let Some(n) = remote.tracked {
            if commands::settle(&mut agent.local, n, answer.as_mut()) {
                out.push(Action::Persist {
                    agent: remote.agent.clone(),
                    snapshot: agent.local.snapshot(),
                });
            }
        }
        if matches!(&remote.request, ReqType::Operate(o) if !o.send_resp) {
            answer = None;
        }
        // A CWMP CPE does not inform changes the ACS made (TR-069 A.3.2.4),
        // yet the subscribing controller is to hear of its own (R-NOT.0a).
        let changed = answer.as_ref().map(set_values).unwrap_or_default();
        let mut view = View {
            schema: &schema,
            config: &config,
            eid: &remote.agent,
            agent: &mut agent.local,
            now: unix(now),
            requester: None,
        };
        view.requester = view.controller_of(&remote.controller);
        let answer = answer.map(|a| with_local(&view, &remote.request, a));
        let sent = answer.map(|a| {
            let m = a.into_msg(&remote.msg_id);
            let r = usp::record::no_session_context(&remote.controller, &remote.agent, &m);
            send(&remote.agent, &remote.reply, &r)
        });
        if let Some(d) = remote.digest {
            let record = match &sent {
                Some(Action::Send { record, .. }) => Some(record.clone()),
                _ => None,
            };
            let cache = agent.replies.get_or_insert_with(Box::<ReplyCache>::default);
            cache.remember(&remote.controller, &remote.msg_id, d, record);
        }
        out.extend(sent);
        for (path, value) in changed {
            let h = Happening::ValueChange { path, value };
            out.extend(self.notify(&remote.agent, h, now));
        }
        out
    }
}

/// The (path, value) pairs a SetResp says were written.
fn set_values(answer: &Answer) -> Vec<(String, String)> {
    use usp::proto::usp::set_resp::updated_object_result::operation_status::OperStatus;
    let Answer::Resp(RespType::SetResp(r)) = answer else {
        return Vec::new();
    };
    r.updated_obj_results
        .iter()
        .filter_map(|o| match o.oper_status.as_ref()?.oper_status.as_ref()? {
            OperStatus::OperSuccess(ok) => Some(&ok.updated_inst_results),
            OperStatus::OperFailure(_) => None,
        })
        .flatten()
        .flat_map(|i| {
            i.updated_params
                .iter()
                .map(|(k, v)| (format!("{}{k}", i.affected_path), v.clone()))
        })
        .collect()
}

/// Puts the gateway's own half into a read answered by the CPE side.
fn with_local(view: &View<'_>, req: &ReqType, answer: Answer) -> Answer {
    let schema = view.schema;
    match (req, answer) {
        (ReqType::Get(g), Answer::Resp(RespType::GetResp(mut resp))) => {
            for (path, result) in g.param_paths.iter().zip(resp.req_path_results.iter_mut()) {
                if route(schema, path) == Route::Remote && !is_root(schema, path) {
                    continue;
                }
                let local = dm::get::get_path(schema, view, path, g.max_depth);
                *result = if is_root(schema, path) {
                    merge_get(local, std::mem::take(result))
                } else {
                    local
                };
            }
            Answer::Resp(RespType::GetResp(resp))
        }
        (ReqType::GetSupportedDm(g), Answer::Resp(RespType::GetSupportedDmResp(mut resp))) => {
            let local = match dm::supported::get_supported_dm(schema, g) {
                Answer::Resp(RespType::GetSupportedDmResp(l)) => l.req_obj_results,
                _ => Vec::new(),
            };
            for ((path, result), mine) in g
                .obj_paths
                .iter()
                .zip(resp.req_obj_results.iter_mut())
                .zip(local)
            {
                if route(schema, path) == Route::Remote && !is_root(schema, path) {
                    continue;
                }
                *result = if is_root(schema, path) {
                    merge_supported(mine, std::mem::take(result))
                } else {
                    mine
                };
            }
            Answer::Resp(RespType::GetSupportedDmResp(resp))
        }
        (ReqType::GetInstances(g), Answer::Resp(RespType::GetInstancesResp(mut resp))) => {
            let local = match dm::instances::get_instances(schema, view, g) {
                Answer::Resp(RespType::GetInstancesResp(l)) => l.req_path_results,
                _ => Vec::new(),
            };
            for ((path, result), mine) in g
                .obj_paths
                .iter()
                .zip(resp.req_path_results.iter_mut())
                .zip(local)
            {
                if route(schema, path) == Route::Local {
                    *result = mine;
                }
            }
            Answer::Resp(RespType::GetInstancesResp(resp))
        }
        (_, a) => a,
    }
}

/// The root read on both sides: the CPE's objects and ours, the root
/// object's own parameters from both. An error on one side stands only if
/// the other side has nothing either.
fn merge_get(local: RequestedPathResult, remote: RequestedPathResult) -> RequestedPathResult {
    if remote.err_code != 0 {
        return local;
    }
    if local.err_code != 0 {
        return remote;
    }
    let mut out = remote;
    for r in local.resolved_path_results {
        match out
            .resolved_path_results
            .iter_mut()
            .find(|x| x.resolved_path == r.resolved_path)
        {
            Some(x) => x.result_params.extend(r.result_params),
            None => out.resolved_path_results.push(r),
        }
    }
    out
}

fn merge_supported(
    local: RequestedObjectResult,
    remote: RequestedObjectResult,
) -> RequestedObjectResult {
    if remote.err_code != 0 {
        return local;
    }
    if local.err_code != 0 {
        return remote;
    }
    let mut out = remote;
    for o in local.supported_objs {
        match out
            .supported_objs
            .iter_mut()
            .find(|x| x.supported_obj_path == o.supported_obj_path)
        {
            Some(x) => {
                for p in o.supported_params {
                    if !x
                        .supported_params
                        .iter()
                        .any(|y| y.param_name == p.param_name)
                    {
                        x.supported_params.push(p);
                    }
                }
                x.supported_commands.extend(o.supported_commands);
                x.supported_events.extend(o.supported_events);
            }
            None => out.supported_objs.push(o),
        }
    }
    out
}
