//! Typed parameter values (`<Value xsi:type="...">`).
//!
//! A value keeps the exact text the peer sent next to the declared type, so
//! a CPE that sends `abc` as `xsd:int` loses nothing: the text round-trips
//! and the typed accessors simply return `None`.

use std::borrow::Cow;

use base64::Engine as _;

/// The `xsi:type` of a parameter value. Unknown or absent types are `String`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ValueType {
    #[default]
    String,
    Int,
    UnsignedInt,
    Long,
    UnsignedLong,
    Boolean,
    DateTime,
    Base64,
    HexBinary,
}

impl ValueType {
    /// The qualified name we emit in `xsi:type`.
    pub fn xsi_type(self) -> &'static str {
        match self {
            ValueType::String => "xsd:string",
            ValueType::Int => "xsd:int",
            ValueType::UnsignedInt => "xsd:unsignedInt",
            ValueType::Long => "xsd:long",
            ValueType::UnsignedLong => "xsd:unsignedLong",
            ValueType::Boolean => "xsd:boolean",
            ValueType::DateTime => "xsd:dateTime",
            // TR-069 calls the type "base64"; the XML Schema name is what
            // schema-aware peers (and xmllint) can resolve.
            ValueType::Base64 => "xsd:base64Binary",
            ValueType::HexBinary => "xsd:hexBinary",
        }
    }

    /// Reads an `xsi:type` attribute value. Real devices send any prefix (or
    /// none) and any letter case, e.g. `xsd:unsignedint` or `Int`.
    pub fn from_xsi_type(raw: &[u8]) -> ValueType {
        let local = match raw.iter().rposition(|&b| b == b':') {
            Some(i) => raw.get(i + 1..).unwrap_or_default(),
            None => raw,
        };
        let local = local.trim_ascii();
        const NAMES: [(&[u8], ValueType); 10] = [
            (b"string", ValueType::String),
            (b"int", ValueType::Int),
            (b"unsignedint", ValueType::UnsignedInt),
            (b"long", ValueType::Long),
            (b"unsignedlong", ValueType::UnsignedLong),
            (b"boolean", ValueType::Boolean),
            (b"datetime", ValueType::DateTime),
            (b"base64", ValueType::Base64),
            (b"base64binary", ValueType::Base64),
            (b"hexbinary", ValueType::HexBinary),
        ];
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(local))
            .map(|&(_, t)| t)
            .unwrap_or_default()
    }
}

/// A parameter value: declared type plus the text exactly as received.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Value<'a> {
    #[serde(rename = "type")]
    pub ty: ValueType,
    pub text: Cow<'a, str>,
}

impl<'a> Value<'a> {
    pub fn new(ty: ValueType, text: impl Into<Cow<'a, str>>) -> Self {
        Value {
            ty,
            text: text.into(),
        }
    }

    pub fn string(text: impl Into<Cow<'a, str>>) -> Self {
        Value::new(ValueType::String, text)
    }

    /// Booleans we create use the XML Schema canonical form `true`/`false`.
    pub fn boolean(b: bool) -> Value<'static> {
        Value::new(ValueType::Boolean, if b { "true" } else { "false" })
    }

    pub fn int(v: i32) -> Value<'static> {
        Value::new(ValueType::Int, v.to_string())
    }

    pub fn unsigned_int(v: u32) -> Value<'static> {
        Value::new(ValueType::UnsignedInt, v.to_string())
    }

    pub fn long(v: i64) -> Value<'static> {
        Value::new(ValueType::Long, v.to_string())
    }

    pub fn unsigned_long(v: u64) -> Value<'static> {
        Value::new(ValueType::UnsignedLong, v.to_string())
    }

    pub fn date_time(text: impl Into<Cow<'a, str>>) -> Self {
        Value::new(ValueType::DateTime, text)
    }

    pub fn base64(bytes: &[u8]) -> Value<'static> {
        let text = base64::engine::general_purpose::STANDARD.encode(bytes);
        Value::new(ValueType::Base64, text)
    }

    pub fn hex_binary(bytes: &[u8]) -> Value<'static> {
        let mut text = String::with_capacity(bytes.len() * 2);
        for b in bytes {
            text.push_str(&format!("{b:02X}"));
        }
        Value::new(ValueType::HexBinary, text)
    }

    /// The text as a boolean, accepting `0`, `1`, `true`, `false` in any
    /// case. Works whatever the declared type, because CPEs mislabel values.
    pub fn as_bool(&self) -> Option<bool> {
        parse_bool(&self.text)
    }

    pub fn as_i32(&self) -> Option<i32> {
        self.text.trim().parse().ok()
    }

    pub fn as_u32(&self) -> Option<u32> {
        self.text.trim().parse().ok()
    }

    pub fn as_i64(&self) -> Option<i64> {
        self.text.trim().parse().ok()
    }

    pub fn as_u64(&self) -> Option<u64> {
        self.text.trim().parse().ok()
    }

    /// Decodes base64 or hexBinary values; `None` for other types or bad text.
    pub fn as_bytes(&self) -> Option<Vec<u8>> {
        let text = self.text.trim();
        match self.ty {
            ValueType::Base64 => base64::engine::general_purpose::STANDARD.decode(text).ok(),
            ValueType::HexBinary => decode_hex(text),
            _ => None,
        }
    }

    /// True when the text is valid for the declared type. Informational only:
    /// parsing never rejects a value for this.
    pub fn is_well_typed(&self) -> bool {
        match self.ty {
            ValueType::String | ValueType::DateTime => true,
            ValueType::Int => self.as_i32().is_some(),
            ValueType::UnsignedInt => self.as_u32().is_some(),
            ValueType::Long => self.as_i64().is_some(),
            ValueType::UnsignedLong => self.as_u64().is_some(),
            ValueType::Boolean => self.as_bool().is_some(),
            ValueType::Base64 | ValueType::HexBinary => self.as_bytes().is_some(),
        }
    }

    pub fn into_owned(self) -> Value<'static> {
        Value {
            ty: self.ty,
            text: Cow::Owned(self.text.into_owned()),
        }
    }
}

impl crate::owned::IntoStatic for Value<'_> {
    type Static = Value<'static>;
    fn into_static(self) -> Value<'static> {
        self.into_owned()
    }
}

pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    let t = text.trim();
    if t == "1" || t.eq_ignore_ascii_case("true") {
        Some(true)
    } else if t == "0" || t.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    b.chunks_exact(2)
        .map(|pair| {
            let hi = (pair.first()?.to_ascii_lowercase() as char).to_digit(16)?;
            let lo = (pair.get(1)?.to_ascii_lowercase() as char).to_digit(16)?;
            u8::try_from(hi * 16 + lo).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xsi_type_is_case_and_prefix_insensitive() {
        assert_eq!(
            ValueType::from_xsi_type(b"xsd:unsignedint"),
            ValueType::UnsignedInt
        );
        assert_eq!(ValueType::from_xsi_type(b"xsd:Int"), ValueType::Int);
        assert_eq!(
            ValueType::from_xsi_type(b"unsignedLong"),
            ValueType::UnsignedLong
        );
        assert_eq!(ValueType::from_xsi_type(b"foo:BOOLEAN"), ValueType::Boolean);
        assert_eq!(
            ValueType::from_xsi_type(b"soap-enc:base64"),
            ValueType::Base64
        );
        assert_eq!(ValueType::from_xsi_type(b"xsd:decimal"), ValueType::String);
        assert_eq!(ValueType::from_xsi_type(b""), ValueType::String);
    }

    #[test]
    fn booleans() {
        for (t, b) in [
            ("1", true),
            ("true", true),
            ("TRUE", true),
            ("0", false),
            ("false", false),
        ] {
            assert_eq!(Value::new(ValueType::Boolean, t).as_bool(), Some(b), "{t}");
        }
        assert_eq!(Value::new(ValueType::Boolean, "yes").as_bool(), None);
        assert_eq!(Value::boolean(true).text, "true");
        assert_eq!(Value::boolean(false).text, "false");
    }

    #[test]
    fn mistyped_value_keeps_text() {
        let v = Value::new(ValueType::Int, "abc");
        assert_eq!(v.as_i32(), None);
        assert!(!v.is_well_typed());
        assert_eq!(v.text, "abc");
    }

    #[test]
    fn binary() {
        assert_eq!(
            Value::base64(b"hi!").as_bytes().as_deref(),
            Some(&b"hi!"[..])
        );
        assert_eq!(Value::hex_binary(&[0, 0xab]).text, "00AB");
        assert_eq!(
            Value::new(ValueType::HexBinary, "00ab").as_bytes(),
            Some(vec![0, 0xab])
        );
        assert_eq!(Value::new(ValueType::HexBinary, "0").as_bytes(), None);
        assert_eq!(Value::new(ValueType::HexBinary, "zz").as_bytes(), None);
    }

    #[test]
    fn numbers() {
        assert_eq!(Value::unsigned_int(7).as_u32(), Some(7));
        assert_eq!(Value::long(-5).as_i64(), Some(-5));
        assert_eq!(Value::unsigned_long(u64::MAX).as_u64(), Some(u64::MAX));
        assert_eq!(Value::int(-1).as_u32(), None);
    }
}
