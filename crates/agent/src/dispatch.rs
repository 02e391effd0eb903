//! One request Msg in, one answer out, for one agent.
//!
//! # The seam for interworking
//!
//! Every path is first routed ([`route`]): paths inside the LocalAgent
//! schema are answered here by the [`crate::dm`] engine; every other path
//! (`Device.DeviceInfo.`, ...) belongs to the CPE behind the agent. Until
//! the interworking layer exists such paths are answered as outside the
//! supported model (7026, the same answer the engine gives), by the
//! `foreign_*` functions below; the interworking issue replaces those with
//! a hand-off to the CPE's cached model.

use usp::msg;
use usp::path::{Path, Segment};
use usp::proto::usp::get_resp::RequestedPathResult;
use usp::proto::usp::request::ReqType;
use usp::proto::usp::response::RespType;
use usp::proto::usp::{GetResp, Operate};
use usp::ErrorCode;

use crate::dm::{self, resolve, Answer, Kind, Schema};
use crate::local::View;
use crate::notify;

/// USP versions this agent speaks (GetSupportedProtocol).
pub const SUPPORTED_VERSIONS: &str = "1.0,1.1,1.2,1.3,1.4";

/// Who answers a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// The LocalAgent schema (or a path too broken to belong anywhere).
    Local,
    /// The CPE's model (interworking).
    Remote,
}

/// Routes a requested path: local when it parses and its first object
/// below the root is one the local schema has (or it is the root itself).
pub fn route(schema: &Schema, path: &str) -> Route {
    let Ok(p) = Path::parse(path) else {
        return Route::Local;
    };
    let root = schema.root();
    match p.segments.as_slice() {
        [Segment::Name(r), ..] if *r != schema.node(root).name => Route::Local,
        [_] => Route::Local,
        [_, Segment::Name(n), ..] if schema.child(root, n).is_some() => Route::Local,
        _ => Route::Remote,
    }
}

fn foreign_get(path: &str) -> RequestedPathResult {
    msg::get_path_err(
        path,
        ErrorCode::InvalidPath,
        "not in this agent's supported data model",
    )
}

/// Answers a request; `None` when no answer is due (Operate with
/// send_resp false).
pub fn request(view: &mut View<'_>, req: &ReqType) -> Option<Answer> {
    let schema = view.schema;
    Some(match req {
        ReqType::Get(g) => {
            let results = g
                .param_paths
                .iter()
                .map(|p| match route(schema, p) {
                    Route::Local => dm::get::get_path(schema, &*view, p, g.max_depth),
                    Route::Remote => foreign_get(p),
                })
                .collect();
            Answer::Resp(RespType::GetResp(GetResp {
                req_path_results: results,
            }))
        }
        ReqType::Set(s) => dm::set::set(schema, view, s),
        ReqType::Add(a) => dm::add::add(schema, view, a),
        ReqType::Delete(d) => dm::delete::delete(schema, view, d),
        ReqType::GetInstances(g) => dm::instances::get_instances(schema, &*view, g),
        ReqType::GetSupportedDm(g) => dm::supported::get_supported_dm(schema, g),
        ReqType::GetSupportedProtocol(_) => Answer::Resp(RespType::GetSupportedProtocolResp(
            usp::proto::usp::GetSupportedProtocolResp {
                agent_supported_protocol_versions: SUPPORTED_VERSIONS.into(),
            },
        )),
        ReqType::Operate(o) => return operate(view, o),
        // Notify, Register and Deregister go from an agent to a
        // controller, never the other way.
        ReqType::Notify(_) | ReqType::Register(_) | ReqType::Deregister(_) => Answer::error(
            ErrorCode::MessageNotSupported,
            "an agent does not take this message",
        ),
    })
}

/// The one LocalAgent command this agent runs.
const SEND_ON_BOARD: &str = "Device.LocalAgent.Controller.{i}.SendOnBoardRequest()";

/// Operate: `Controller.{i}.SendOnBoardRequest()` queues an OnBoardRequest
/// to that controller (R-NOT.5; sent and retried by [`crate::notify`]) and
/// succeeds with no output; every other command the path resolves to
/// fails in the OperateResp (R-OPR.4). A path that does not resolve to
/// commands is an Error. With send_resp false the commands still run.
fn operate(view: &mut View<'_>, o: &Operate) -> Option<Answer> {
    let schema = view.schema;
    let path = match Path::parse(&o.command) {
        Ok(p) => p,
        Err(e) => return Some(Answer::error(ErrorCode::InvalidPathSyntax, e.to_string())),
    };
    if route(schema, &o.command) == Route::Remote {
        return Some(Answer::error(
            ErrorCode::InvalidPath,
            "not in this agent's supported data model",
        ));
    }
    let r = match resolve(schema, &*view, &path) {
        Ok(r) => r,
        Err(e) => return Some(Answer::error(e.code(), e.message())),
    };
    let mut results = Vec::new();
    for l in &r.locs {
        let node = schema.node(l.node);
        if !matches!(node.kind, Kind::Command(_)) {
            continue;
        }
        let executed = l.path(schema);
        let why = match (node.path.as_str(), l.inst.as_slice()) {
            (SEND_ON_BOARD, &[c]) if notify::queue_on_board(view, c) => None,
            (SEND_ON_BOARD, _) => Some("the controller is disabled or has no EndpointID"),
            _ => Some("command not supported by this agent yet"),
        };
        results.push(match why {
            None => msg::operate_output(executed, std::iter::empty::<(String, String)>()),
            Some(why) => msg::operate_failure(executed, ErrorCode::CommandFailure, why),
        });
    }
    if !o.send_resp {
        return None;
    }
    Some(Answer::Resp(RespType::OperateResp(
        usp::proto::usp::OperateResp {
            operation_results: results,
        },
    )))
}
