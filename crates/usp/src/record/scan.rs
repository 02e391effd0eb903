//! A borrowing first pass over the Record envelope.
//!
//! Every Record an MTP receives goes through here, so it is the hot path:
//! prost would copy each string through a growing `Vec` and copy the
//! payload into a fresh buffer before the Msg inside could be decoded from
//! it. The scan instead finds each field as a slice of the input, so the Msg
//! is decoded straight from the received bytes and every string is
//! allocated once, at its exact size.
//!
//! The scan only accepts the plain shape real peers send. Anything else
//! (bad wire types, truncation, invalid UTF-8, a oneof member repeated, an
//! unknown wire type) makes it return `None`, and the caller decodes with
//! prost instead. prost therefore stays the one authority on what is valid
//! and on the error reported; a property test checks the two agree.

use prost::Message as _;

use crate::proto::usp_record::{
    record::RecordType, DisconnectRecord, MqttConnectRecord, NoSessionContextRecord,
    SessionContextRecord, StompConnectRecord, UdsConnectRecord, WebSocketConnectRecord,
};

/// The Record's fields as slices of the input.
pub(super) struct Envelope<'a> {
    pub version: &'a str,
    pub to_id: &'a str,
    pub from_id: &'a str,
    pub payload_security: i32,
    pub mac_signature: &'a [u8],
    pub sender_cert: &'a [u8],
    pub record_type: Option<(u32, &'a [u8])>,
}

impl<'a> Envelope<'a> {
    /// The oneof member as the generated type; `None` if prost rejects it.
    /// `bytes` turns a slice of the input into an owned buffer.
    pub fn record_type(
        &self,
        bytes: impl Fn(&'a [u8]) -> bytes::Bytes,
    ) -> Option<Option<RecordType>> {
        let Some((tag, body)) = self.record_type else {
            return Some(None);
        };
        let rt = match tag {
            NO_SESSION_CONTEXT => RecordType::NoSessionContext(NoSessionContextRecord {
                payload: bytes(no_session_payload(body)?),
            }),
            // Through `bytes` so that its payloads can share the input.
            8 => RecordType::SessionContext(SessionContextRecord::decode(bytes(body)).ok()?),
            9 => RecordType::WebsocketConnect(WebSocketConnectRecord::decode(body).ok()?),
            10 => RecordType::MqttConnect(MqttConnectRecord::decode(body).ok()?),
            11 => RecordType::StompConnect(StompConnectRecord::decode(body).ok()?),
            12 => RecordType::Disconnect(DisconnectRecord::decode(body).ok()?),
            13 => RecordType::UdsConnect(UdsConnectRecord::decode(body).ok()?),
            _ => return None,
        };
        Some(Some(rt))
    }
}

const NO_SESSION_CONTEXT: u32 = 7;

/// The wire types the scan understands (proto3 has no groups).
const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LEN: u8 = 2;
const FIXED32: u8 = 5;

/// Scans a Record; `None` means "let prost decide".
pub(super) fn scan(mut input: &[u8]) -> Option<Envelope<'_>> {
    let mut env = Envelope {
        version: "",
        to_id: "",
        from_id: "",
        payload_security: 0,
        mac_signature: &[],
        sender_cert: &[],
        record_type: None,
    };
    while !input.is_empty() {
        let (tag, wire) = key(&mut input)?;
        match (tag, wire) {
            (1, LEN) => env.version = text(&mut input)?,
            (2, LEN) => env.to_id = text(&mut input)?,
            (3, LEN) => env.from_id = text(&mut input)?,
            (4, VARINT) => env.payload_security = i32::try_from(varint(&mut input)?).ok()?,
            (5, LEN) => env.mac_signature = field(&mut input)?,
            (6, LEN) => env.sender_cert = field(&mut input)?,
            (7..=13, LEN) => {
                // A repeated oneof member merges in prost; leave that to it.
                if env.record_type.is_some() {
                    return None;
                }
                env.record_type = Some((tag, field(&mut input)?));
            }
            (1..=13, _) => return None,
            _ => skip(&mut input, wire)?,
        }
    }
    Some(env)
}

/// `NoSessionContextRecord.payload` (field 2): the last occurrence wins.
fn no_session_payload(mut body: &[u8]) -> Option<&[u8]> {
    let mut payload: &[u8] = &[];
    while !body.is_empty() {
        match key(&mut body)? {
            (2, LEN) => payload = field(&mut body)?,
            (2, _) => return None,
            (_, wire) => skip(&mut body, wire)?,
        }
    }
    Some(payload)
}

fn key(input: &mut &[u8]) -> Option<(u32, u8)> {
    // Keys are 32-bit on the wire, as prost insists.
    let k = u32::try_from(varint(input)?).ok()?;
    let tag = k >> 3;
    (tag != 0).then_some((tag, (k & 7) as u8))
}

fn varint(input: &mut &[u8]) -> Option<u64> {
    // Keys and short lengths fit one byte: the common case, kept cheap.
    if let [byte @ 0..=0x7f, rest @ ..] = *input {
        *input = rest;
        return Some(u64::from(*byte));
    }
    let mut value = 0u64;
    for (i, byte) in input.iter().take(10).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            // A tenth byte may only carry the top bit.
            if i == 9 && *byte > 1 {
                return None;
            }
            *input = &input[i + 1..];
            return Some(value);
        }
    }
    None
}

fn field<'a>(input: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = usize::try_from(varint(input)?).ok()?;
    if len > input.len() {
        return None;
    }
    let (value, rest) = input.split_at(len);
    *input = rest;
    Some(value)
}

fn text<'a>(input: &mut &'a [u8]) -> Option<&'a str> {
    std::str::from_utf8(field(input)?).ok()
}

fn skip(input: &mut &[u8], wire: u8) -> Option<()> {
    let n = match wire {
        VARINT => return varint(input).map(drop),
        LEN => return field(input).map(drop),
        FIXED64 => 8,
        FIXED32 => 4,
        _ => return None,
    };
    *input = input.get(n..)?;
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_edges() {
        let mut one: &[u8] = &[0x01, 0xff];
        assert_eq!(varint(&mut one), Some(1));
        assert_eq!(one, &[0xff]);
        let mut max: &[u8] = &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(varint(&mut max), Some(u64::MAX));
        let mut overflow: &[u8] = &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert_eq!(varint(&mut overflow), None);
        let mut unterminated: &[u8] = &[0x80, 0x80];
        assert_eq!(varint(&mut unterminated), None);
    }

    #[test]
    fn declines_what_prost_must_judge() {
        // Field 0, a group start, a truncated string, a wrong wire type.
        for input in [
            &[0x00, 0x00][..],
            &[0x0b][..],
            &[0x0a, 0x05, b'1'][..],
            &[0x08, 0x01][..],
            &[0x3a, 0x00, 0x42, 0x00][..],
        ] {
            assert!(scan(input).is_none(), "{input:?}");
        }
    }

    #[test]
    fn skips_unknown_fields() {
        // version "1.4", unknown field 20 (varint), unknown field 21 (fixed32).
        let input = [
            0x0a, 3, b'1', b'.', b'4', 0xa0, 0x01, 0x05, 0xad, 0x01, 1, 2, 3, 4,
        ];
        let env = scan(&input).map(|e| e.version);
        assert_eq!(env, Some("1.4"));
    }
}
