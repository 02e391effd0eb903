//! How a device record is laid out in the registry file.
//!
//! Every Inform reads its device's record and writes it back before the
//! InformResponse goes out, so the encoding sits on the hottest path of a
//! session: as JSON its decode and encode were a fifth of the gateway's
//! non-TLS CPU per session. Records are now written in a compact binary
//! form whose first byte is a format number; records written as JSON by
//! earlier versions (always starting with `{`) still read, and are
//! rewritten in the new form the next time their device informs.
//!
//! The binary form: strings and lists are a LEB128 length then their
//! content, an `Option` a 0/1 byte then the value, a `Duration` LEB128
//! seconds then LEB128 nanoseconds, fields in the order of the struct.

use std::time::Duration;

use crate::{DeviceKey, DeviceRecord, Provisioning, Secret};

/// First byte of a binary record. A JSON record starts with `{` (0x7B), so
/// the two never mix; a later layout takes the next number.
const FORMAT_V1: u8 = 1;

/// Why stored bytes are not a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unreadable(pub String);

pub(crate) fn encode_record(record: &DeviceRecord, out: &mut Vec<u8>) {
    out.clear();
    out.push(FORMAT_V1);
    let r = record;
    put_str(out, &r.key.oui);
    put_str(out, &r.key.product_class);
    put_str(out, &r.key.serial);
    put_str(out, &r.manufacturer);
    put_str(out, &r.root);
    put_str(out, &r.cwmp_version);
    put_opt_str(out, r.connection_request_url.as_deref());
    put_len(out, r.last_events.len());
    for e in &r.last_events {
        put_str(out, e);
    }
    put_duration(out, r.last_inform);
    put_len(out, r.params.len());
    for (name, value) in &r.params {
        put_str(out, name);
        put_str(out, value);
    }
    put_opt_str(out, r.connection_request_username.as_deref());
    put_opt_str(
        out,
        r.connection_request_password.as_ref().map(Secret::expose),
    );
    match r.provisioning {
        Provisioning::Needed => out.push(0),
        Provisioning::Done { at } => {
            out.push(1);
            put_duration(out, at);
        }
        Provisioning::Failed { at, fault } => {
            out.push(2);
            put_duration(out, at);
            match fault {
                None => out.push(0),
                Some(f) => {
                    out.push(1);
                    put_varint(out, u64::from(f));
                }
            }
        }
    }
}

/// Reads a record in either form.
pub(crate) fn decode_record(bytes: &[u8]) -> Result<DeviceRecord, Unreadable> {
    match bytes.first() {
        Some(b'{') => serde_json::from_slice(bytes).map_err(|e| Unreadable(e.to_string())),
        Some(&FORMAT_V1) => {
            let mut r = Reader { rest: &bytes[1..] };
            let record = r.record()?;
            if !r.rest.is_empty() {
                return Err(Unreadable(format!(
                    "{} bytes after the record",
                    r.rest.len()
                )));
            }
            Ok(record)
        }
        Some(other) => Err(Unreadable(format!("unknown record format {other}"))),
        None => Err(Unreadable("empty record".into())),
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_len(out: &mut Vec<u8>, n: usize) {
    put_varint(out, n as u64);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_len(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

fn put_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_str(out, s);
        }
    }
}

fn put_duration(out: &mut Vec<u8>, d: Duration) {
    put_varint(out, d.as_secs());
    put_varint(out, u64::from(d.subsec_nanos()));
}

/// A cursor over a record's bytes; every read checks what is left, so a
/// damaged record is an error, never a panic or a huge allocation.
struct Reader<'a> {
    rest: &'a [u8],
}

fn short() -> Unreadable {
    Unreadable("record ends early".into())
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, Unreadable> {
        let (&b, rest) = self.rest.split_first().ok_or_else(short)?;
        self.rest = rest;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, Unreadable> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(Unreadable("length too long".into()))
    }

    /// A length, which can never exceed the bytes left: each item takes
    /// at least one.
    fn len(&mut self) -> Result<usize, Unreadable> {
        let n = self.varint()?;
        match usize::try_from(n) {
            Ok(n) if n <= self.rest.len() => Ok(n),
            _ => Err(short()),
        }
    }

    fn string(&mut self) -> Result<String, Unreadable> {
        let n = self.len()?;
        let (s, rest) = self.rest.split_at(n);
        self.rest = rest;
        String::from_utf8(s.to_vec()).map_err(|_| Unreadable("text is not UTF-8".into()))
    }

    fn flag(&mut self) -> Result<bool, Unreadable> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(Unreadable(format!("bad option tag {b}"))),
        }
    }

    fn opt_string(&mut self) -> Result<Option<String>, Unreadable> {
        if self.flag()? {
            self.string().map(Some)
        } else {
            Ok(None)
        }
    }

    fn duration(&mut self) -> Result<Duration, Unreadable> {
        let secs = self.varint()?;
        let nanos = u32::try_from(self.varint()?)
            .ok()
            .filter(|n| *n < 1_000_000_000)
            .ok_or_else(|| Unreadable("bad nanoseconds".into()))?;
        Ok(Duration::new(secs, nanos))
    }

    fn record(&mut self) -> Result<DeviceRecord, Unreadable> {
        let key = DeviceKey {
            oui: self.string()?,
            product_class: self.string()?,
            serial: self.string()?,
        };
        let manufacturer = self.string()?;
        let root = self.string()?;
        let cwmp_version = self.string()?;
        let connection_request_url = self.opt_string()?;
        let n = self.len()?;
        let mut last_events = Vec::with_capacity(n);
        for _ in 0..n {
            last_events.push(self.string()?);
        }
        let last_inform = self.duration()?;
        let n = self.len()?;
        let mut params = Vec::with_capacity(n);
        for _ in 0..n {
            params.push((self.string()?, self.string()?));
        }
        let connection_request_username = self.opt_string()?;
        let connection_request_password = self.opt_string()?.map(Secret::new);
        let provisioning = match self.byte()? {
            0 => Provisioning::Needed,
            1 => Provisioning::Done {
                at: self.duration()?,
            },
            2 => {
                let at = self.duration()?;
                let fault = if self.flag()? {
                    let f = self.varint()?;
                    Some(u32::try_from(f).map_err(|_| Unreadable("fault out of range".into()))?)
                } else {
                    None
                };
                Provisioning::Failed { at, fault }
            }
            b => return Err(Unreadable(format!("bad provisioning state {b}"))),
        };
        Ok(DeviceRecord {
            key,
            manufacturer,
            root,
            cwmp_version,
            connection_request_url,
            last_events,
            last_inform,
            params,
            connection_request_username,
            connection_request_password,
            provisioning,
        })
    }
}

#[cfg(test)]
#[path = "codec_tests.rs"]
mod tests;
