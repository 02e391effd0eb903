//! Building and inspecting USP Msgs.
//!
//! One function per message type, named after its `MsgType` in snake case:
//! requests in [`request`] (`msg::get`, `msg::set`, ...), responses and
//! `msg::error` in [`response`], Notify payloads in [`notify`]. All are
//! re-exported here, so callers write `msg::get_resp(msg_id, results)`.
//! Error codes are taken as `impl Into<u32>`: an [`ErrorCode`] or a number.
//!
//! [`ErrorCode`]: crate::ErrorCode

use std::collections::BTreeMap;

use prost::Message as _;

use crate::proto::usp::{
    body::MsgBody, header::MsgType, request::ReqType, response::RespType, Body, Header, Msg,
    Request, Response,
};

pub mod notify;
pub mod request;
pub mod response;

pub use request::*;
pub use response::*;

/// Decodes a Msg (no validation; see [`Msg::validate`]).
pub fn decode_msg(bytes: &[u8]) -> Result<Msg, prost::DecodeError> {
    Msg::decode(bytes)
}

/// Encodes a Msg.
pub fn encode_msg(msg: &Msg) -> Vec<u8> {
    msg.encode_to_vec()
}

/// A Msg with the given header and body.
pub fn new(msg_id: impl Into<String>, msg_type: MsgType, body: MsgBody) -> Msg {
    Msg {
        header: Some(Header {
            msg_id: msg_id.into(),
            msg_type: msg_type as i32,
        }),
        body: Some(Body {
            msg_body: Some(body),
        }),
    }
}

/// A request Msg; the header's `msg_type` follows from `req`.
pub fn request(msg_id: impl Into<String>, req: ReqType) -> Msg {
    let t = request_type(&req);
    new(
        msg_id,
        t,
        MsgBody::Request(Request {
            req_type: Some(req),
        }),
    )
}

/// A response Msg; the header's `msg_type` follows from `resp`.
pub fn response(msg_id: impl Into<String>, resp: RespType) -> Msg {
    let t = response_type(&resp);
    new(
        msg_id,
        t,
        MsgBody::Response(Response {
            resp_type: Some(resp),
        }),
    )
}

/// The `MsgType` that goes with a request body.
pub fn request_type(req: &ReqType) -> MsgType {
    match req {
        ReqType::Get(_) => MsgType::Get,
        ReqType::GetSupportedDm(_) => MsgType::GetSupportedDm,
        ReqType::GetInstances(_) => MsgType::GetInstances,
        ReqType::Set(_) => MsgType::Set,
        ReqType::Add(_) => MsgType::Add,
        ReqType::Delete(_) => MsgType::Delete,
        ReqType::Operate(_) => MsgType::Operate,
        ReqType::Notify(_) => MsgType::Notify,
        ReqType::GetSupportedProtocol(_) => MsgType::GetSupportedProto,
        ReqType::Register(_) => MsgType::Register,
        ReqType::Deregister(_) => MsgType::Deregister,
    }
}

/// The `MsgType` that goes with a response body.
pub fn response_type(resp: &RespType) -> MsgType {
    match resp {
        RespType::GetResp(_) => MsgType::GetResp,
        RespType::GetSupportedDmResp(_) => MsgType::GetSupportedDmResp,
        RespType::GetInstancesResp(_) => MsgType::GetInstancesResp,
        RespType::SetResp(_) => MsgType::SetResp,
        RespType::AddResp(_) => MsgType::AddResp,
        RespType::DeleteResp(_) => MsgType::DeleteResp,
        RespType::OperateResp(_) => MsgType::OperateResp,
        RespType::NotifyResp(_) => MsgType::NotifyResp,
        RespType::GetSupportedProtocolResp(_) => MsgType::GetSupportedProtoResp,
        RespType::RegisterResp(_) => MsgType::RegisterResp,
        RespType::DeregisterResp(_) => MsgType::DeregisterResp,
    }
}

/// Why a decoded Msg is structurally unusable (R-MSG.6-10, R-ENC.3-5).
/// Answer with 7004 (invalid arguments) when the msg_id is known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MsgError {
    /// No header.
    #[error("msg has no header")]
    MissingHeader,
    /// Empty `msg_id`.
    #[error("msg has no msg_id")]
    MissingMsgId,
    /// No body, or no request/response/error in it, or an empty request/response.
    #[error("msg has no body")]
    MissingBody,
    /// `msg_type` names a type other than the body's (or an unknown number).
    #[error("msg_type {header} does not match the body ({body:?})")]
    TypeMismatch {
        /// Header value.
        header: i32,
        /// Type implied by the body.
        body: MsgType,
    },
}

impl Msg {
    /// `header.msg_id`, or "" without a header.
    pub fn msg_id(&self) -> &str {
        self.header.as_ref().map_or("", |h| h.msg_id.as_str())
    }

    /// `header.msg_type`, if there is a header with a known type.
    pub fn msg_type(&self) -> Option<MsgType> {
        self.header
            .as_ref()
            .and_then(|h| MsgType::try_from(h.msg_type).ok())
    }

    fn msg_body(&self) -> Option<&MsgBody> {
        self.body.as_ref().and_then(|b| b.msg_body.as_ref())
    }

    /// The request, if this is one.
    pub fn request(&self) -> Option<&ReqType> {
        match self.msg_body()? {
            MsgBody::Request(r) => r.req_type.as_ref(),
            _ => None,
        }
    }

    /// The response, if this is one.
    pub fn response(&self) -> Option<&RespType> {
        match self.msg_body()? {
            MsgBody::Response(r) => r.resp_type.as_ref(),
            _ => None,
        }
    }

    /// The Error body, if this is one.
    pub fn error(&self) -> Option<&crate::proto::usp::Error> {
        match self.msg_body()? {
            MsgBody::Error(e) => Some(e),
            _ => None,
        }
    }

    /// The `MsgType` implied by the body, if it has one.
    pub fn body_type(&self) -> Option<MsgType> {
        match self.msg_body()? {
            MsgBody::Request(r) => r.req_type.as_ref().map(request_type),
            MsgBody::Response(r) => r.resp_type.as_ref().map(response_type),
            MsgBody::Error(_) => Some(MsgType::Error),
        }
    }

    /// Checks header, msg_id, body presence and header/body agreement.
    pub fn validate(&self) -> Result<(), MsgError> {
        let header = self.header.as_ref().ok_or(MsgError::MissingHeader)?;
        if header.msg_id.is_empty() {
            return Err(MsgError::MissingMsgId);
        }
        let body = self.body_type().ok_or(MsgError::MissingBody)?;
        if header.msg_type != body as i32 {
            return Err(MsgError::TypeMismatch {
                header: header.msg_type,
                body,
            });
        }
        Ok(())
    }
}

/// Collects `(key, value)` pairs into a proto map.
pub fn map<K: Into<String>, V: Into<String>>(
    pairs: impl IntoIterator<Item = (K, V)>,
) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect()
}

pub(crate) fn strings<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Vec<String> {
    items.into_iter().map(Into::into).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_catches_structural_problems() {
        let good = get("1", ["Device."], 0);
        assert_eq!(good.validate(), Ok(()));
        assert_eq!(good.msg_id(), "1");
        assert_eq!(good.msg_type(), Some(MsgType::Get));
        assert!(good.request().is_some() && good.response().is_none() && good.error().is_none());

        let mut m = good.clone();
        m.header = None;
        assert_eq!(m.validate(), Err(MsgError::MissingHeader));
        assert_eq!(m.msg_id(), "");

        let mut m = good.clone();
        m.header.as_mut().unwrap().msg_id.clear();
        assert_eq!(m.validate(), Err(MsgError::MissingMsgId));

        let mut m = good.clone();
        m.body = Some(Body {
            msg_body: Some(MsgBody::Request(Request { req_type: None })),
        });
        assert_eq!(m.validate(), Err(MsgError::MissingBody));

        let mut m = good.clone();
        m.header.as_mut().unwrap().msg_type = MsgType::Set as i32;
        assert_eq!(
            m.validate(),
            Err(MsgError::TypeMismatch {
                header: 4,
                body: MsgType::Get
            })
        );
        assert_eq!(decode_msg(&encode_msg(&good)), Ok(good));
    }

    #[test]
    fn every_builder_sets_matching_msg_type() {
        for m in crate::msg::tests_support::one_of_each() {
            assert_eq!(m.validate(), Ok(()), "{m:?}");
            assert_eq!(decode_msg(&encode_msg(&m)).as_ref(), Ok(&m));
        }
    }
}

/// One Msg of every type, for tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;
    use crate::ErrorCode;

    pub(crate) fn one_of_each() -> Vec<Msg> {
        vec![
            get("1", ["Device."], 1),
            get_resp(
                "1",
                vec![get_path_ok(
                    "Device.",
                    vec![resolved("Device.", [("A", "1")])],
                )],
            ),
            set("2", false, vec![set_obj("Device.X.", [("A", "1", true)])]),
            set_resp(
                "2",
                vec![set_obj_ok(
                    "Device.X.",
                    vec![set_inst_ok("Device.X.1.", [("A", "1")])],
                )],
            ),
            add(
                "3",
                true,
                vec![add_obj("Device.T.", [("Alias", "a", false)])],
            ),
            add_resp(
                "3",
                vec![add_obj_ok("Device.T.", "Device.T.2.", [("Alias", "a")])],
            ),
            delete("4", false, ["Device.T.2."]),
            delete_resp("4", vec![delete_obj_ok("Device.T.2.", ["Device.T.2."])]),
            operate("5", "Device.Reboot()", "k", true, [("Delay", "1")]),
            operate_resp("5", vec![operate_output("Device.Reboot()", [("x", "y")])]),
            notify("6", "sub", true, notify::value_change("Device.A", "1")),
            notify_resp("6", "sub"),
            get_supported_dm("7", ["Device."], false),
            get_supported_dm_resp("7", vec![]),
            get_instances("8", ["Device.T."], true),
            get_instances_resp(
                "8",
                vec![instances_ok(
                    "Device.T.",
                    vec![instance("Device.T.1.", [("Alias", "a")])],
                )],
            ),
            get_supported_protocol("9", "1.3,1.4"),
            get_supported_protocol_resp("9", "1.0,1.1,1.2,1.3,1.4"),
            register("10", true, ["Device.X."]),
            register_resp("10", vec![register_ok("Device.X.", "Device.X.")]),
            deregister("11", ["Device.X."]),
            deregister_resp("11", vec![deregister_ok("Device.X.", ["Device.X."])]),
            error(
                "12",
                ErrorCode::InvalidPathSyntax,
                "bad",
                vec![param_error("Device.", 7008u32, "bad")],
            ),
        ]
    }
}
