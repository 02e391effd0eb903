//! GetSupportedDM: the schema as USP describes it. Paths may be in `{i}`
//! form, instantiated, or omit the final `{i}.`; since USP 1.4 they may
//! also name one parameter, command or event, which is then reported alone
//! inside its object's entry.

use usp::path::{Path, PathKind, Segment};
use usp::proto::usp::get_supported_dm_resp::{
    CmdType, ObjAccessType, ParamAccessType, ParamValueType, RequestedObjectResult,
    SupportedCommandResult, SupportedEventResult, SupportedObjectResult, SupportedParamResult,
    SupportedUniqueKeySet, ValueChangeType,
};
use usp::proto::usp::{response::RespType, GetSupportedDm, GetSupportedDmResp};
use usp::ErrorCode;

use super::schema::{Access, Kind, NodeId, ParamType, Schema};
use super::Answer;

/// Answers a GetSupportedDM.
pub fn get_supported_dm(schema: &Schema, req: &GetSupportedDm) -> Answer {
    let results = req.obj_paths.iter().map(|p| one(schema, req, p)).collect();
    Answer::Resp(RespType::GetSupportedDmResp(GetSupportedDmResp {
        req_obj_results: results,
    }))
}

fn err(requested: &str, code: ErrorCode, msg: String) -> RequestedObjectResult {
    RequestedObjectResult {
        req_obj_path: requested.to_owned(),
        err_code: code.as_u32(),
        err_msg: msg,
        ..Default::default()
    }
}

/// The schema node a supported-DM path names, ignoring instance
/// identifiers.
pub fn find_node(schema: &Schema, path: &Path) -> Option<NodeId> {
    let mut segs = path.segments.iter();
    let mut node = match segs.next() {
        Some(Segment::Name(n)) if *n == schema.node(schema.root()).name => schema.root(),
        _ => return None,
    };
    let mut awaiting_instance = false;
    let mut segs = segs.peekable();
    while let Some(seg) = segs.next() {
        match seg {
            Segment::Name(n) => {
                // An object and a command may share a name (CWMP's
                // `IPPing.` beside USP's `IPPing()`): take the kind named.
                let object = segs.peek().is_some() || path.kind == PathKind::Object;
                node = schema
                    .children_named(node, n)
                    .find(|&c| schema.node(c).object().is_some() == object)
                    .or_else(|| schema.child(node, n))?;
                awaiting_instance = schema.node(node).is_table();
            }
            Segment::Instance(_)
            | Segment::Wildcard
            | Segment::Placeholder
            | Segment::Search(_)
                if awaiting_instance =>
            {
                awaiting_instance = false;
            }
            _ => return None,
        }
    }
    let kind_ok = matches!(
        (&schema.node(node).kind, path.kind),
        (Kind::Object(_), PathKind::Object)
            | (Kind::Param(_), PathKind::Parameter)
            | (Kind::Command(_), PathKind::Command)
            | (Kind::Event(_), PathKind::Event)
    );
    kind_ok.then_some(node)
}

fn one(schema: &Schema, req: &GetSupportedDm, requested: &str) -> RequestedObjectResult {
    let path = match Path::parse(requested) {
        Ok(p) => p,
        Err(e) => return err(requested, ErrorCode::InvalidPathSyntax, e.to_string()),
    };
    let Some(node) = find_node(schema, &path) else {
        return err(
            requested,
            ErrorCode::InvalidPath,
            format!("{requested} is not in the supported data model"),
        );
    };
    let mut objs = Vec::new();
    let n = schema.node(node);
    if n.object().is_some() {
        describe(schema, req, node, None, &mut objs);
        let mut stack: Vec<NodeId> = n.children.iter().rev().copied().collect();
        while let Some(c) = stack.pop() {
            let child = schema.node(c);
            if child.object().is_none() {
                continue;
            }
            if req.first_level_only {
                objs.push(header(schema, c));
                continue;
            }
            describe(schema, req, c, None, &mut objs);
            stack.extend(child.children.iter().rev().copied());
        }
    } else if let Some(parent) = n.parent {
        describe(schema, req, parent, Some(node), &mut objs);
    }
    RequestedObjectResult {
        req_obj_path: requested.to_owned(),
        err_code: 0,
        err_msg: String::new(),
        data_model_inst_uri: schema.uri().to_owned(),
        supported_objs: objs,
    }
}

fn header(schema: &Schema, obj: NodeId) -> SupportedObjectResult {
    let n = schema.node(obj);
    let o = n.object();
    let access = if o.is_some_and(|o| o.writable) {
        ObjAccessType::ObjAddDelete
    } else {
        ObjAccessType::ObjReadOnly
    };
    SupportedObjectResult {
        supported_obj_path: n.path.clone(),
        access: access as i32,
        is_multi_instance: o.is_some_and(|o| o.multi),
        ..Default::default()
    }
}

/// One object's entry; with `only`, just that one item of it.
fn describe(
    schema: &Schema,
    req: &GetSupportedDm,
    obj: NodeId,
    only: Option<NodeId>,
    out: &mut Vec<SupportedObjectResult>,
) {
    let mut r = header(schema, obj);
    let n = schema.node(obj);
    for &c in &n.children {
        if only.is_some_and(|o| o != c) {
            continue;
        }
        let child = schema.node(c);
        match &child.kind {
            Kind::Param(p) if req.return_params || only.is_some() => {
                r.supported_params.push(SupportedParamResult {
                    param_name: child.name.clone(),
                    access: match p.access {
                        Access::ReadOnly => ParamAccessType::ParamReadOnly,
                        _ => ParamAccessType::ParamReadWrite,
                    } as i32,
                    value_type: value_type(p.ty) as i32,
                    value_change: ValueChangeType::ValueChangeAllowed as i32,
                })
            }
            Kind::Command(cmd) if req.return_commands || only.is_some() => {
                r.supported_commands.push(SupportedCommandResult {
                    command_name: format!("{}()", child.name),
                    input_arg_names: cmd.input.clone(),
                    output_arg_names: cmd.output.clone(),
                    command_type: if cmd.is_async {
                        CmdType::CmdAsync
                    } else {
                        CmdType::CmdSync
                    } as i32,
                })
            }
            Kind::Event(e) if req.return_events || only.is_some() => {
                r.supported_events.push(SupportedEventResult {
                    event_name: format!("{}!", child.name),
                    arg_names: e.args.clone(),
                })
            }
            _ => {}
        }
    }
    if req.return_unique_key_sets && only.is_none() {
        if let Some(o) = n.object() {
            r.unique_key_sets = o
                .keys
                .iter()
                .map(|k| SupportedUniqueKeySet {
                    key_names: k.names.clone(),
                })
                .collect();
        }
    }
    out.push(r);
}

fn value_type(t: ParamType) -> ParamValueType {
    match t {
        ParamType::String => ParamValueType::ParamString,
        ParamType::Int => ParamValueType::ParamInt,
        ParamType::UnsignedInt => ParamValueType::ParamUnsignedInt,
        ParamType::Long => ParamValueType::ParamLong,
        ParamType::UnsignedLong => ParamValueType::ParamUnsignedLong,
        ParamType::Boolean => ParamValueType::ParamBoolean,
        ParamType::DateTime => ParamValueType::ParamDateTime,
        ParamType::Base64 => ParamValueType::ParamBase64,
        ParamType::HexBinary => ParamValueType::ParamHexBinary,
        ParamType::Decimal => ParamValueType::ParamDecimal,
    }
}
