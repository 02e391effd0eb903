//! Inform parameters encoded once and spliced into many Informs.
//!
//! A CPE sends much the same ParameterList in every Inform; only the header,
//! events, time and retry count move between sessions. Encoding the list
//! was about a fifth of a simulated CPE's work per session, so a caller
//! that knows the values have not changed can keep the encoded bytes and
//! hand them to [`Envelope::write_xml_with`].

use crate::codec::Field;
use crate::emit::Writer;
use crate::model::{Body, Envelope};
use crate::ParameterValue;

/// `ParameterValueStruct` elements, already written as XML.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EncodedParameters {
    xml: Vec<u8>,
    count: usize,
}

/// The opening of an Inform's ParameterList as [`Envelope::write_xml`]
/// writes it, up to the item count.
const LIST_OPEN: &[u8] = b"<ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[";

impl EncodedParameters {
    pub fn push(&mut self, p: &ParameterValue<'_>) {
        p.encode("ParameterValueStruct", &mut Writer::new(&mut self.xml));
        self.count += 1;
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn clear(&mut self) {
        self.xml.clear();
        self.count = 0;
    }
}

impl Envelope<'_> {
    /// Writes what [`Envelope::write_xml`] would if this Inform's
    /// ParameterList began with `pre`'s parameters. Any other body is
    /// written as is.
    pub fn write_xml_with(&self, pre: &EncodedParameters, out: &mut Vec<u8>) {
        let start = out.len();
        self.write_xml(out);
        if pre.is_empty() || !matches!(self.body, Body::Inform(_)) {
            return;
        }
        // The ParameterList is the Inform's last member and every name and
        // value inside it is escaped, so the last opening tag is the one.
        let written = out.get(start..).unwrap_or_default();
        // Step back from `<` to `<`: only the closing tags and the Inform's
        // own (usually no) parameters lie after the tag.
        let mut end = written.len();
        let at = loop {
            let Some(lt) = written
                .get(..end)
                .and_then(|w| w.iter().rposition(|&b| b == b'<'))
            else {
                return;
            };
            if written.get(lt..).is_some_and(|w| w.starts_with(LIST_OPEN)) {
                break lt;
            }
            end = lt;
        };
        let digits = start + at + LIST_OPEN.len();
        let Some(len) = out
            .get(digits..)
            .and_then(|rest| rest.iter().position(|b| !b.is_ascii_digit()))
        else {
            return;
        };
        let own: usize = std::str::from_utf8(out.get(digits..digits + len).unwrap_or_default())
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        // Items begin after `]">`. Our own writer put the tag there, so
        // the checks below cannot fail short of a change to `write_xml`,
        // which the tests would catch.
        let items = digits + len + 3;
        if out.get(digits + len..items) != Some(b"]\">") {
            debug_assert!(false, "ParameterList tag not as written");
            return;
        }
        // Open a gap by moving the tail (the Inform's own parameters and
        // the closing tags, a few dozen bytes) right, then fill it: the
        // new count, `]">` and the encoded parameters.
        let mut count_buf = [0; 20];
        let count = crate::emit::itoa((own + pre.count) as u64, &mut count_buf).as_bytes();
        let old_end = out.len();
        let gap = count.len() + 3 + pre.xml.len();
        let new_items = digits + gap;
        out.resize(new_items + (old_end - items), 0);
        out.copy_within(items..old_end, new_items);
        let mut at = digits;
        for piece in [count, b"]\">", &pre.xml] {
            if let Some(slot) = out.get_mut(at..at + piece.len()) {
                slot.copy_from_slice(piece);
            }
            at += piece.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use proptest::prelude::*;

    use super::*;
    use crate::{CwmpVersion, DeviceId, Event, Inform, Value, ValueType};

    fn inform(params: Vec<ParameterValue<'static>>) -> Envelope<'static> {
        Envelope::new(
            CwmpVersion::V1_0,
            Body::Inform(Inform {
                device_id: DeviceId {
                    manufacturer: "Acme <&> Co".into(),
                    oui: "00D09E".into(),
                    product_class: "ParameterList".into(),
                    serial_number: "SN1".into(),
                },
                event: vec![Event {
                    event_code: "2 PERIODIC".into(),
                    command_key: Cow::Borrowed(""),
                }],
                max_envelopes: 1,
                current_time: "2026-11-23T00:00:00Z".into(),
                retry_count: 0,
                parameter_list: params,
            }),
        )
        .with_id("id-1")
    }

    fn param(name: String, value: String) -> ParameterValue<'static> {
        ParameterValue::new(name, Value::new(ValueType::String, value))
    }

    fn spliced(pre: &[ParameterValue<'static>], own: Vec<ParameterValue<'static>>) -> Vec<u8> {
        let mut enc = EncodedParameters::default();
        for p in pre {
            enc.push(p);
        }
        let mut out = b"leading bytes stay".to_vec();
        inform(own).write_xml_with(&enc, &mut out);
        out.split_off(18)
    }

    #[test]
    fn splices_before_the_informs_own_parameters() {
        let pre = vec![param("Device.A".into(), "<ParameterList x".into())];
        let own = vec![param("Device.B".into(), "2".into())];
        let mut all = pre.clone();
        all.extend(own.clone());
        let mut want = Vec::new();
        inform(all).write_xml(&mut want);
        assert_eq!(spliced(&pre, own), want);
    }

    #[test]
    fn other_bodies_and_empty_lists_are_written_plainly() {
        let env = Envelope::new(CwmpVersion::V1_2, Body::GetRPCMethods);
        let mut enc = EncodedParameters::default();
        enc.push(&param("Device.A".into(), "1".into()));
        let (mut a, mut b) = (Vec::new(), Vec::new());
        env.write_xml_with(&enc, &mut a);
        env.write_xml(&mut b);
        assert_eq!(a, b);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        inform(vec![]).write_xml_with(&EncodedParameters::default(), &mut a);
        inform(vec![]).write_xml(&mut b);
        assert_eq!(a, b);
    }

    proptest! {
        #[test]
        fn same_bytes_as_one_list(
            pre in prop::collection::vec(("\\PC{0,20}", "\\PC{0,20}"), 0..12),
            own in prop::collection::vec(("\\PC{0,20}", "\\PC{0,20}"), 0..12),
        ) {
            let pre: Vec<_> = pre.into_iter().map(|(n, v)| param(n, v)).collect();
            let own: Vec<_> = own.into_iter().map(|(n, v)| param(n, v)).collect();
            let mut all = pre.clone();
            all.extend(own.clone());
            let mut want = Vec::new();
            inform(all).write_xml(&mut want);
            let got = spliced(&pre, own);
            prop_assert_eq!(&got, &want);
            let back = crate::parse(&got).map(|e| e.body.into_owned());
            prop_assert!(matches!(back, Ok(Body::Inform(_))));
        }
    }
}
