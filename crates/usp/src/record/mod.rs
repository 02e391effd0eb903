//! USP Records: decoding with validation, encoding, and builders.
//!
//! Version policy: a Record's `version` must be `"<major>.<minor>"` (ASCII
//! digits). Major 1 with any minor is accepted: 1.0-1.4 are what our protos
//! describe, and a later 1.x only adds fields, which proto3 skips. Any other
//! major is rejected as [`RecordError::UnsupportedVersion`].

use prost::Message as _;

use crate::error::ErrorCode;

mod scan;
#[cfg(test)]
mod scan_proptest;
use crate::proto::usp::Msg;
use crate::proto::usp_record::{
    mqtt_connect_record::MqttVersion, record::PayloadSecurity, record::RecordType,
    session_context_record::PayloadSarState, stomp_connect_record::StompVersion, DisconnectRecord,
    MqttConnectRecord, NoSessionContextRecord, Record, SessionContextRecord, StompConnectRecord,
    UdsConnectRecord, WebSocketConnectRecord,
};

/// Largest Record we decode (obuspa's limit too).
pub const MAX_RECORD_SIZE: usize = 5 * 1024 * 1024;

/// The `version` our builders write.
pub const RECORD_VERSION: &str = "1.4";

/// A decoded Record plus its Msg, when it carries a complete one.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DecodedRecord {
    /// The Record as received.
    pub record: Record,
    /// The payload Msg: set for a no-session-context Record and for an
    /// unsegmented (`payload_sar_state` NONE) session-context Record with a
    /// payload; `None` for connect/disconnect Records, for segments (the
    /// caller reassembles) and for an empty session-context payload.
    pub msg: Option<Msg>,
}

/// Why a Record was rejected. [`RecordError::code`] gives the USP code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Input over [`MAX_RECORD_SIZE`].
    #[error("record of {size} bytes exceeds the {max} byte limit")]
    TooLarge {
        /// Input length.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Not a protobuf Record.
    #[error("record could not be parsed: {0}")]
    Parse(prost::DecodeError),
    /// `version` field absent or empty.
    #[error("record version is missing")]
    MissingVersion,
    /// `version` not of the form `major.minor`.
    #[error("record version {0:?} is malformed")]
    MalformedVersion(String),
    /// A major version other than 1.
    #[error("record version {0:?} is not supported")]
    UnsupportedVersion(String),
    /// No `record_type` oneof member set.
    #[error("record has no record_type")]
    MissingRecordType,
    /// `payload_security` is TLS12: end-to-end TLS is not implemented.
    #[error("end-to-end TLS payload security is not supported")]
    SecureSessionNotSupported,
    /// The payload of a complete Record is not a Msg.
    #[error("record payload is not a USP Msg: {0}")]
    Payload(prost::DecodeError),
}

impl RecordError {
    /// USP error code to report (e.g. in a DisconnectRecord).
    ///
    /// A payload that is not a Msg has no Record-level code; it maps to
    /// 7000 (message failed), although R-MTP.5 usually means ignoring it.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::TooLarge { .. } | Self::Parse(_) => ErrorCode::RecordNotParsed,
            Self::MissingVersion
            | Self::MalformedVersion(_)
            | Self::UnsupportedVersion(_)
            | Self::MissingRecordType => ErrorCode::InvalidRecordValue,
            Self::SecureSessionNotSupported => ErrorCode::SecureSessionNotSupported,
            Self::Payload(_) => ErrorCode::MessageFailed,
        }
    }
}

/// Parses `"major.minor"` into numbers, applying the module's version policy.
pub fn check_version(version: &str) -> Result<(u32, u32), RecordError> {
    // Every peer sends "1.<digit>"; the general parse below is for the rest.
    if let [b'1', b'.', minor @ b'0'..=b'9'] = version.as_bytes() {
        return Ok((1, u32::from(minor - b'0')));
    }
    if version.is_empty() {
        return Err(RecordError::MissingVersion);
    }
    let malformed = || RecordError::MalformedVersion(version.to_owned());
    let (major, minor) = version.split_once('.').ok_or_else(malformed)?;
    let number = |s: &str| {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        s.parse::<u32>().map_err(|_| malformed())
    };
    let (major, minor) = (number(major)?, number(minor)?);
    if major != 1 {
        return Err(RecordError::UnsupportedVersion(version.to_owned()));
    }
    Ok((major, minor))
}

/// Decodes and validates a Record, and decodes its Msg where complete.
pub fn decode_record(bytes: &[u8]) -> Result<DecodedRecord, RecordError> {
    decode(bytes, bytes::Bytes::copy_from_slice, || bytes)
}

/// [`decode_record`] for an owned buffer (e.g. `Bytes::from(vec)` from an
/// MTP): the Record's `bytes` fields, including the payload, then share the
/// buffer instead of being copied.
pub fn decode_record_bytes(bytes: bytes::Bytes) -> Result<DecodedRecord, RecordError> {
    decode(&bytes, |part| bytes.slice_ref(part), || bytes.clone())
}

/// The fast path (see [`scan`]) with prost as the fallback. `bytes` owns a
/// slice of `input`; `whole` is `input` again, as a buffer prost can take.
///
/// Inlined so that the result is built where the caller wants it: these
/// structs are a few hundred bytes, and moving them through `Option`s and
/// `Result`s is measurable next to decoding a small Get.
#[inline(always)]
fn decode<'a, B: bytes::Buf>(
    input: &'a [u8],
    bytes: impl Fn(&'a [u8]) -> bytes::Bytes,
    whole: impl FnOnce() -> B,
) -> Result<DecodedRecord, RecordError> {
    if input.len() > MAX_RECORD_SIZE {
        return Err(RecordError::TooLarge {
            size: input.len(),
            max: MAX_RECORD_SIZE,
        });
    }
    let scanned = scan::scan(input).and_then(|env| Some((env.record_type(&bytes)?, env)));
    let Some((record_type, env)) = scanned else {
        return decode_with_prost(whole());
    };
    let mut out = DecodedRecord {
        record: Record {
            version: env.version.to_owned(),
            to_id: env.to_id.to_owned(),
            from_id: env.from_id.to_owned(),
            payload_security: env.payload_security,
            mac_signature: bytes(env.mac_signature),
            sender_cert: bytes(env.sender_cert),
            record_type,
        },
        msg: None,
    };
    validate(&mut out)?;
    Ok(out)
}

fn decode_with_prost(buf: impl bytes::Buf) -> Result<DecodedRecord, RecordError> {
    let mut out = DecodedRecord {
        record: Record::default(),
        msg: None,
    };
    out.record.merge(buf).map_err(RecordError::Parse)?;
    validate(&mut out)?;
    Ok(out)
}

fn validate(out: &mut DecodedRecord) -> Result<(), RecordError> {
    check_version(&out.record.version)?;
    merge_msg(&out.record, &mut out.msg)
}

/// The Msg carried by a Record, if it carries a complete one (see
/// [`DecodedRecord::msg`]).
pub fn record_msg(record: &Record) -> Result<Option<Msg>, RecordError> {
    let mut msg = None;
    merge_msg(record, &mut msg)?;
    Ok(msg)
}

fn merge_msg(record: &Record, out: &mut Option<Msg>) -> Result<(), RecordError> {
    let payload: &[u8] = match &record.record_type {
        None => return Err(RecordError::MissingRecordType),
        Some(_) if record.payload_security != PayloadSecurity::Plaintext as i32 => {
            return Err(RecordError::SecureSessionNotSupported)
        }
        Some(RecordType::NoSessionContext(r)) => &r.payload,
        Some(RecordType::SessionContext(s)) => {
            if s.payload_sar_state != PayloadSarState::None as i32 {
                return Ok(());
            }
            match s.payload.as_slice() {
                [] => return Ok(()),
                [one] => one,
                many => {
                    let whole = many.concat();
                    let msg = Msg::decode(whole.as_slice()).map_err(RecordError::Payload)?;
                    *out = Some(msg);
                    return Ok(());
                }
            }
        }
        Some(_) => return Ok(()),
    };
    let msg = out.insert(Msg::default());
    if let Err(e) = msg.merge(payload) {
        *out = None;
        return Err(RecordError::Payload(e));
    }
    Ok(())
}

/// Encodes a Record.
pub fn encode_record(record: &Record) -> Vec<u8> {
    record.encode_to_vec()
}

fn record(to_id: impl Into<String>, from_id: impl Into<String>, rt: RecordType) -> Record {
    Record {
        version: RECORD_VERSION.to_owned(),
        to_id: to_id.into(),
        from_id: from_id.into(),
        payload_security: PayloadSecurity::Plaintext as i32,
        mac_signature: Default::default(),
        sender_cert: Default::default(),
        record_type: Some(rt),
    }
}

/// A NoSessionContext Record carrying `msg`.
pub fn no_session_context(
    to_id: impl Into<String>,
    from_id: impl Into<String>,
    msg: &Msg,
) -> Record {
    let payload = msg.encode_to_vec().into();
    record(
        to_id,
        from_id,
        RecordType::NoSessionContext(NoSessionContextRecord { payload }),
    )
}

/// An unsegmented SessionContext Record carrying `msg` (retransmit_id 0).
pub fn session_context(
    to_id: impl Into<String>,
    from_id: impl Into<String>,
    session_id: u64,
    sequence_id: u64,
    expected_id: u64,
    msg: &Msg,
) -> Record {
    let sc = SessionContextRecord {
        session_id,
        sequence_id,
        expected_id,
        retransmit_id: 0,
        payload_sar_state: PayloadSarState::None as i32,
        payloadrec_sar_state: PayloadSarState::None as i32,
        payload: vec![msg.encode_to_vec().into()],
    };
    record(to_id, from_id, RecordType::SessionContext(sc))
}

/// A WebSocketConnect Record (sent once the WebSocket is open).
pub fn websocket_connect(to_id: impl Into<String>, from_id: impl Into<String>) -> Record {
    record(
        to_id,
        from_id,
        RecordType::WebsocketConnect(WebSocketConnectRecord {}),
    )
}

/// An MQTTConnect Record naming the topic the sender subscribed to.
pub fn mqtt_connect(
    to_id: impl Into<String>,
    from_id: impl Into<String>,
    version: MqttVersion,
    subscribed_topic: impl Into<String>,
) -> Record {
    let m = MqttConnectRecord {
        version: version as i32,
        subscribed_topic: subscribed_topic.into(),
    };
    record(to_id, from_id, RecordType::MqttConnect(m))
}

/// A STOMPConnect Record (STOMP 1.2) naming the sender's destination.
pub fn stomp_connect(
    to_id: impl Into<String>,
    from_id: impl Into<String>,
    subscribed_destination: impl Into<String>,
) -> Record {
    let s = StompConnectRecord {
        version: StompVersion::V12 as i32,
        subscribed_destination: subscribed_destination.into(),
    };
    record(to_id, from_id, RecordType::StompConnect(s))
}

/// A UDSConnect Record.
pub fn uds_connect(to_id: impl Into<String>, from_id: impl Into<String>) -> Record {
    record(to_id, from_id, RecordType::UdsConnect(UdsConnectRecord {}))
}

/// A Disconnect Record with a reason and a code (usually 7100-7106).
pub fn disconnect(
    to_id: impl Into<String>,
    from_id: impl Into<String>,
    reason: impl Into<String>,
    reason_code: impl Into<u32>,
) -> Record {
    let d = DisconnectRecord {
        reason: reason.into(),
        reason_code: reason_code.into(),
    };
    record(to_id, from_id, RecordType::Disconnect(d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg;

    fn with_version(v: &str) -> Vec<u8> {
        let mut r = websocket_connect("to", "from");
        r.version = v.to_owned();
        encode_record(&r)
    }

    #[test]
    fn accepts_versions_1_0_to_1_4_and_later_minors() {
        for v in ["1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.10"] {
            let d = decode_record(&with_version(v)).unwrap();
            assert_eq!(d.record.version, v);
            assert_eq!(d.msg, None);
        }
        assert_eq!(check_version("1.3"), Ok((1, 3)));
    }

    #[test]
    fn rejects_bad_versions() {
        assert_eq!(
            decode_record(&with_version("")),
            Err(RecordError::MissingVersion)
        );
        for v in [
            "1",
            "1.",
            ".1",
            "1.2.3",
            "v1.2",
            "1.x",
            " 1.2",
            "1.2 ",
            "+1.2",
            "1.99999999999",
        ] {
            assert_eq!(
                decode_record(&with_version(v)),
                Err(RecordError::MalformedVersion(v.to_owned())),
                "{v}"
            );
        }
        for v in ["0.9", "2.0"] {
            let e = decode_record(&with_version(v)).unwrap_err();
            assert_eq!(e, RecordError::UnsupportedVersion(v.to_owned()));
            assert_eq!(e.code(), ErrorCode::InvalidRecordValue);
        }
    }

    #[test]
    fn rejects_missing_record_type() {
        let mut r = websocket_connect("to", "from");
        r.record_type = None;
        let e = decode_record(&encode_record(&r)).unwrap_err();
        assert_eq!(e, RecordError::MissingRecordType);
        assert_eq!(e.code().as_u32(), 7104);
    }

    #[test]
    fn rejects_oversize_and_garbage() {
        let big = vec![0u8; MAX_RECORD_SIZE + 1];
        let e = decode_record(&big).unwrap_err();
        assert!(matches!(e, RecordError::TooLarge { size, .. } if size == MAX_RECORD_SIZE + 1));
        assert_eq!(e.code().as_u32(), 7100);
        let e = decode_record(&[0xff, 0xff, 0xff]).unwrap_err();
        assert!(matches!(e, RecordError::Parse(_)));
        assert_eq!(e.code(), ErrorCode::RecordNotParsed);
        // Empty input decodes to an all-default Record: no version.
        assert_eq!(decode_record(&[]), Err(RecordError::MissingVersion));
    }

    #[test]
    fn rejects_tls_and_bad_payload() {
        let mut r = no_session_context("to", "from", &msg::get("1", ["Device."], 0));
        r.payload_security = PayloadSecurity::Tls12 as i32;
        let e = decode_record(&encode_record(&r)).unwrap_err();
        assert_eq!(e, RecordError::SecureSessionNotSupported);
        assert_eq!(e.code().as_u32(), 7102);

        let mut r = no_session_context("to", "from", &msg::get("1", ["Device."], 0));
        r.record_type = Some(RecordType::NoSessionContext(NoSessionContextRecord {
            payload: vec![0x0a, 0x05, 0x01].into(),
        }));
        assert!(matches!(
            decode_record(&encode_record(&r)),
            Err(RecordError::Payload(_))
        ));
    }

    #[test]
    fn owned_input_decodes_the_same_and_shares_the_buffer() {
        let m = msg::get("id-1", ["Device."], 0);
        let wire = bytes::Bytes::from(encode_record(&no_session_context("a", "b", &m)));
        let borrowed = decode_record(&wire).unwrap();
        let owned = decode_record_bytes(wire.clone()).unwrap();
        assert_eq!(owned, borrowed);
        let Some(RecordType::NoSessionContext(n)) = &owned.record.record_type else {
            panic!()
        };
        let inside = wire.as_ptr_range();
        assert!(inside.contains(&n.payload.as_ptr()), "payload was copied");
        let big = bytes::Bytes::from(vec![0u8; MAX_RECORD_SIZE + 1]);
        assert!(matches!(
            decode_record_bytes(big),
            Err(RecordError::TooLarge { .. })
        ));
    }

    #[test]
    fn no_session_context_carries_msg() {
        let m = msg::get("id-1", ["Device.DeviceInfo."], 2);
        let r = no_session_context("proto::agent", "proto::ctrl", &m);
        assert_eq!(r.version, RECORD_VERSION);
        let d = decode_record(&encode_record(&r)).unwrap();
        assert_eq!(d.record, r);
        assert_eq!(d.msg, Some(m));
    }

    #[test]
    fn session_context_concatenates_payloads_only_when_unsegmented() {
        let m = msg::get_resp("7", vec![]);
        let bytes = m.encode_to_vec();
        let mut r = session_context("a", "b", 1, 2, 3, &m);
        let Some(RecordType::SessionContext(sc)) = &mut r.record_type else {
            unreachable!()
        };
        let (head, tail) = bytes.split_at(bytes.len() / 2);
        sc.payload = vec![head.to_vec().into(), tail.to_vec().into()];
        assert_eq!(
            decode_record(&encode_record(&r)).unwrap().msg,
            Some(m.clone())
        );

        for state in [
            PayloadSarState::Begin,
            PayloadSarState::Inprocess,
            PayloadSarState::Complete,
        ] {
            let mut seg = r.clone();
            let Some(RecordType::SessionContext(sc)) = &mut seg.record_type else {
                unreachable!()
            };
            sc.payload_sar_state = state as i32;
            assert_eq!(decode_record(&encode_record(&seg)).unwrap().msg, None);
        }
        let mut empty = r.clone();
        let Some(RecordType::SessionContext(sc)) = &mut empty.record_type else {
            unreachable!()
        };
        sc.payload.clear();
        assert_eq!(decode_record(&encode_record(&empty)).unwrap().msg, None);
    }

    #[test]
    fn connect_and_disconnect_builders() {
        let r = mqtt_connect("c", "a", MqttVersion::V5, "usp/agent/x");
        let Some(RecordType::MqttConnect(m)) = &r.record_type else {
            panic!()
        };
        assert_eq!((m.version, m.subscribed_topic.as_str()), (1, "usp/agent/x"));

        let r = stomp_connect("c", "a", "/queue/agent");
        let Some(RecordType::StompConnect(s)) = &r.record_type else {
            panic!()
        };
        assert_eq!(s.subscribed_destination, "/queue/agent");

        let r = disconnect("c", "a", "bye", ErrorCode::SessionContextNotAllowed);
        let Some(RecordType::Disconnect(d)) = &r.record_type else {
            panic!()
        };
        assert_eq!((d.reason.as_str(), d.reason_code), ("bye", 7106));

        for r in [websocket_connect("c", "a"), uds_connect("c", "a"), r] {
            let d = decode_record(&encode_record(&r)).unwrap();
            assert_eq!((d.record, d.msg), (r, None));
        }
    }

    #[test]
    fn json_prints_enum_names() {
        let r = mqtt_connect("c", "a", MqttVersion::V5, "t");
        let d = decode_record(&encode_record(&r)).unwrap();
        let j = serde_json::to_value(&d).unwrap();
        assert_eq!(j["record"]["payload_security"], "PLAINTEXT");
        assert_eq!(j["record"]["record_type"]["mqtt_connect"]["version"], "V5");
        let m = msg::get("x", ["Device."], 0);
        let j = serde_json::to_value(&m).unwrap();
        assert_eq!(j["header"]["msg_type"], "GET");
    }
}
