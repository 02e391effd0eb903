//! Endpoint IDs (TR-369 architecture, "Endpoint Identifier", R-ARC.2a/5/6).
//!
//! An Endpoint ID is `authority-scheme ":" [authority-id] ":" instance-id`.
//! The gateway derives one per CPE from the CWMP `DeviceIdStruct`:
//! `os::<OUI>-<SerialNumber>` ([`EndpointId::os`]) or
//! `ops::<OUI>-<ProductClass>-<SerialNumber>` ([`EndpointId::ops`]).
//!
//! # Encoding
//!
//! Each component is percent-encoded with upper-case hex (as obuspa's
//! `GetDefaultEndpointID` does): ASCII letters, digits, `-`, `.` and `_` are
//! kept, every other byte of the UTF-8 text becomes `%XX` (R-ARC.5; note that
//! `~`, unreserved in RFC 3986, is not in USP's set). A `-` inside a component
//! is kept as well: the spec does not ask for it to be escaped and obuspa does
//! not escape it, so the ID matches the one a native agent on the same device
//! would build. The price is that an `ops` ID cannot always be split back
//! unambiguously; see [`EndpointId::device_id_parts`].
//!
//! # Length
//!
//! The instance-id (as encoded) must be at most [`MAX_INSTANCE_ID_LEN`] = 50
//! characters (R-ARC.6). The builders return
//! [`EndpointIdError::InstanceIdTooLong`] rather than truncating (truncation
//! could make two devices share one ID). A caller wanting a fallback builds
//! it with [`EndpointId::new`], e.g. `oui:<own OUI>:<hash of the DeviceId>`.

use std::fmt;
use std::str::FromStr;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// R-ARC.6: maximum length of an instance-id, in characters.
pub const MAX_INSTANCE_ID_LEN: usize = 50;

/// The prefix of the URN form of an Endpoint ID.
pub const URN_PREFIX: &str = "urn:bbf:usp:id:";

/// Bytes that are percent-encoded: everything but ALPHA / DIGIT / "-" / "." / "_".
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_');

/// An authority-scheme (R-ARC.2a).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// `oui`: authority-id is an IEEE OUI / MAC address block (6, 7 or 9 hex).
    Oui,
    /// `cid`: authority-id is an IEEE CID (6 hex).
    Cid,
    /// `pen`: authority-id is an IANA Private Enterprise Number (decimal).
    Pen,
    /// `self`: authority-id of 0-6 unreserved characters.
    SelfAssigned,
    /// `user`: authority-id of 0-6 unreserved characters.
    User,
    /// `os`: `<OUI>-<SerialNumber>`, empty authority-id.
    Os,
    /// `ops`: `<OUI>-<ProductClass>-<SerialNumber>`, empty authority-id.
    Ops,
    /// `uuid`: a UUID, empty authority-id.
    Uuid,
    /// `imei`: an IMEI, empty authority-id.
    Imei,
    /// `proto`: prototyping only (R-ARC.4); authority-id of 0-6 unreserved
    /// characters other than `.`.
    Proto,
    /// `doc`: documentation only (R-ARC.4); authority-id of 0-6 unreserved
    /// characters.
    Doc,
    /// `fqdn` (USP 1.3): a fully qualified domain name, empty authority-id.
    Fqdn,
}

impl Scheme {
    /// Every scheme.
    pub const ALL: [Scheme; 12] = [
        Scheme::Oui,
        Scheme::Cid,
        Scheme::Pen,
        Scheme::SelfAssigned,
        Scheme::User,
        Scheme::Os,
        Scheme::Ops,
        Scheme::Uuid,
        Scheme::Imei,
        Scheme::Proto,
        Scheme::Doc,
        Scheme::Fqdn,
    ];

    /// The scheme's text.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Oui => "oui",
            Scheme::Cid => "cid",
            Scheme::Pen => "pen",
            Scheme::SelfAssigned => "self",
            Scheme::User => "user",
            Scheme::Os => "os",
            Scheme::Ops => "ops",
            Scheme::Uuid => "uuid",
            Scheme::Imei => "imei",
            Scheme::Proto => "proto",
            Scheme::Doc => "doc",
            Scheme::Fqdn => "fqdn",
        }
    }

    /// False for `proto` and `doc`, which MUST NOT be used in production
    /// (R-ARC.4).
    pub fn is_production(self) -> bool {
        !matches!(self, Scheme::Proto | Scheme::Doc)
    }

    /// Checks an authority-id against this scheme's rule (R-ARC.2a).
    fn check_authority(self, a: &str) -> Result<(), &'static str> {
        let hex = |a: &str| a.bytes().all(|b| b.is_ascii_hexdigit());
        let short_unreserved = |a: &str| a.len() <= 6 && a.bytes().all(is_unreserved);
        let ok = match self {
            Scheme::Oui => matches!(a.len(), 6 | 7 | 9) && hex(a),
            Scheme::Cid => a.len() == 6 && hex(a),
            Scheme::Pen => !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()),
            Scheme::SelfAssigned | Scheme::User | Scheme::Doc => short_unreserved(a),
            Scheme::Proto => short_unreserved(a) && !a.contains('.'),
            Scheme::Os | Scheme::Ops | Scheme::Uuid | Scheme::Imei | Scheme::Fqdn => a.is_empty(),
        };
        if ok {
            return Ok(());
        }
        Err(match self {
            Scheme::Oui => "must be 6, 7 or 9 hex digits",
            Scheme::Cid => "must be 6 hex digits",
            Scheme::Pen => "must be a decimal number",
            Scheme::SelfAssigned | Scheme::User | Scheme::Doc => {
                "must be 0 to 6 unreserved characters"
            }
            Scheme::Proto => "must be 0 to 6 unreserved characters other than '.'",
            Scheme::Os | Scheme::Ops | Scheme::Uuid | Scheme::Imei | Scheme::Fqdn => {
                "must be empty"
            }
        })
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scheme {
    type Err = EndpointIdError;

    fn from_str(s: &str) -> Result<Scheme, EndpointIdError> {
        Scheme::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| EndpointIdError::UnknownScheme(s.to_owned()))
    }
}

/// Why an Endpoint ID could not be built or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointIdError {
    /// A DeviceId component (OUI, ProductClass, SerialNumber) is empty.
    #[error("empty {0} in the device identity")]
    EmptyComponent(&'static str),
    /// The instance-id is longer than 50 characters (R-ARC.6).
    #[error("instance-id is {len} characters long; at most {max} are allowed (R-ARC.6)")]
    InstanceIdTooLong {
        /// Its length.
        len: usize,
        /// The limit, [`MAX_INSTANCE_ID_LEN`].
        max: usize,
    },
    /// Not `scheme:authority:instance`.
    #[error("an endpoint ID has the form scheme:[authority-id]:instance-id")]
    Malformed,
    /// An authority-scheme the spec does not define.
    #[error("unknown authority-scheme {0:?}")]
    UnknownScheme(String),
    /// An authority-id that breaks its scheme's rule.
    #[error("invalid authority-id {authority:?} for scheme {scheme}: {reason}")]
    InvalidAuthorityId {
        /// The scheme.
        scheme: Scheme,
        /// The authority-id.
        authority: String,
        /// The rule.
        reason: &'static str,
    },
    /// The instance-id is empty.
    #[error("empty instance-id")]
    EmptyInstanceId,
    /// A character outside R-ARC.5's set, or a `%` not followed by two hex
    /// digits, at this byte offset of the instance-id.
    #[error("invalid character {ch:?} at offset {offset} of the instance-id (R-ARC.5)")]
    InvalidInstanceIdChar {
        /// Byte offset in the instance-id.
        offset: usize,
        /// The character.
        ch: char,
    },
    /// The instance-id of an `os` / `ops` ID lacks its `-` separators.
    #[error("an {0} instance-id needs the form {1}")]
    BadDeviceIdForm(Scheme, &'static str),
}

/// A validated Endpoint ID.
///
/// Holds the text as it goes on the wire (instance-id percent-encoded).
/// Equality is textual, as the spec compares Endpoint IDs as strings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EndpointId {
    scheme: Scheme,
    authority: String,
    instance: String,
}

/// The CWMP DeviceId parts recovered from an `os` / `ops` Endpoint ID,
/// percent-decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceIdParts {
    /// The OUI.
    pub oui: String,
    /// The ProductClass (`ops` only).
    pub product_class: Option<String>,
    /// The SerialNumber.
    pub serial_number: String,
}

/// Percent-encodes one component for an instance-id: ASCII letters, digits,
/// `-`, `.` and `_` are kept, every other UTF-8 byte becomes `%XX`.
pub fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, NOT_UNRESERVED).to_string()
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')
}

fn check_instance(instance: &str) -> Result<(), EndpointIdError> {
    if instance.is_empty() {
        return Err(EndpointIdError::EmptyInstanceId);
    }
    let b = instance.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if is_unreserved(c) {
            i += 1;
        } else if c == b'%'
            && b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
        {
            i += 3;
        } else {
            let ch = instance
                .get(i..)
                .and_then(|r| r.chars().next())
                .unwrap_or('\u{fffd}');
            return Err(EndpointIdError::InvalidInstanceIdChar { offset: i, ch });
        }
    }
    // Only ASCII remains here, so bytes == characters.
    if instance.len() > MAX_INSTANCE_ID_LEN {
        return Err(EndpointIdError::InstanceIdTooLong {
            len: instance.len(),
            max: MAX_INSTANCE_ID_LEN,
        });
    }
    Ok(())
}

fn non_empty(what: &'static str, s: &str) -> Result<(), EndpointIdError> {
    if s.is_empty() {
        Err(EndpointIdError::EmptyComponent(what))
    } else {
        Ok(())
    }
}

impl EndpointId {
    /// Builds and validates an Endpoint ID from its three parts; `instance_id`
    /// must already be encoded (see [`encode_component`]).
    pub fn new(
        scheme: Scheme,
        authority_id: &str,
        instance_id: &str,
    ) -> Result<EndpointId, EndpointIdError> {
        scheme.check_authority(authority_id).map_err(|reason| {
            EndpointIdError::InvalidAuthorityId {
                scheme,
                authority: authority_id.to_owned(),
                reason,
            }
        })?;
        check_instance(instance_id)?;
        match scheme {
            Scheme::Os if !instance_id.contains('-') => {
                return Err(EndpointIdError::BadDeviceIdForm(
                    scheme,
                    "<OUI>-<SerialNumber>",
                ))
            }
            Scheme::Ops if instance_id.matches('-').count() < 2 => {
                return Err(EndpointIdError::BadDeviceIdForm(
                    scheme,
                    "<OUI>-<ProductClass>-<SerialNumber>",
                ))
            }
            _ => {}
        }
        Ok(EndpointId {
            scheme,
            authority: authority_id.to_owned(),
            instance: instance_id.to_owned(),
        })
    }

    /// `os::<OUI>-<SerialNumber>` from CWMP DeviceId parts (raw, unencoded).
    pub fn os(oui: &str, serial_number: &str) -> Result<EndpointId, EndpointIdError> {
        non_empty("OUI", oui)?;
        non_empty("SerialNumber", serial_number)?;
        let instance = format!(
            "{}-{}",
            encode_component(oui),
            encode_component(serial_number)
        );
        EndpointId::new(Scheme::Os, "", &instance)
    }

    /// `ops::<OUI>-<ProductClass>-<SerialNumber>` from CWMP DeviceId parts
    /// (raw, unencoded).
    pub fn ops(
        oui: &str,
        product_class: &str,
        serial_number: &str,
    ) -> Result<EndpointId, EndpointIdError> {
        non_empty("OUI", oui)?;
        non_empty("ProductClass", product_class)?;
        non_empty("SerialNumber", serial_number)?;
        let instance = format!(
            "{}-{}-{}",
            encode_component(oui),
            encode_component(product_class),
            encode_component(serial_number)
        );
        EndpointId::new(Scheme::Ops, "", &instance)
    }

    /// [`EndpointId::ops`] when a non-empty ProductClass is given, else
    /// [`EndpointId::os`].
    pub fn from_device_id(
        oui: &str,
        product_class: Option<&str>,
        serial_number: &str,
    ) -> Result<EndpointId, EndpointIdError> {
        match product_class {
            Some(pc) if !pc.is_empty() => EndpointId::ops(oui, pc, serial_number),
            _ => EndpointId::os(oui, serial_number),
        }
    }

    /// Parses the URN form `urn:bbf:usp:id:<endpoint id>`.
    pub fn from_urn(s: &str) -> Result<EndpointId, EndpointIdError> {
        s.strip_prefix(URN_PREFIX)
            .ok_or(EndpointIdError::Malformed)?
            .parse()
    }

    /// The authority-scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The authority-id (often empty).
    pub fn authority_id(&self) -> &str {
        &self.authority
    }

    /// The instance-id, percent-encoded as on the wire.
    pub fn instance_id(&self) -> &str {
        &self.instance
    }

    /// The URN form, `urn:bbf:usp:id:<endpoint id>`.
    pub fn to_urn(&self) -> String {
        format!("{URN_PREFIX}{self}")
    }

    /// For `os` and `ops` IDs, the decoded DeviceId parts; `None` for other
    /// schemes or when a part does not decode to UTF-8.
    ///
    /// The OUI ends at the first `-`. For `ops`, the ProductClass is taken to
    /// end at the next `-`, so a ProductClass that itself contained `-` is
    /// split wrongly (its tail goes to the SerialNumber): the encoding keeps
    /// `-` as is, like obuspa.
    pub fn device_id_parts(&self) -> Option<DeviceIdParts> {
        let decode = |s: &str| {
            percent_decode_str(s)
                .decode_utf8()
                .ok()
                .map(|c| c.into_owned())
        };
        match self.scheme {
            Scheme::Os => {
                let (oui, serial) = self.instance.split_once('-')?;
                Some(DeviceIdParts {
                    oui: decode(oui)?,
                    product_class: None,
                    serial_number: decode(serial)?,
                })
            }
            Scheme::Ops => {
                let (oui, rest) = self.instance.split_once('-')?;
                let (pc, serial) = rest.split_once('-')?;
                Some(DeviceIdParts {
                    oui: decode(oui)?,
                    product_class: Some(decode(pc)?),
                    serial_number: decode(serial)?,
                })
            }
            _ => None,
        }
    }
}

impl fmt::Display for EndpointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.scheme, self.authority, self.instance)
    }
}

impl FromStr for EndpointId {
    type Err = EndpointIdError;

    /// Parses `scheme:[authority-id]:instance-id` (not the URN form; see
    /// [`EndpointId::from_urn`]). Scheme names are case-sensitive.
    fn from_str(s: &str) -> Result<EndpointId, EndpointIdError> {
        let (scheme, rest) = s.split_once(':').ok_or(EndpointIdError::Malformed)?;
        let (authority, instance) = rest.split_once(':').ok_or(EndpointIdError::Malformed)?;
        EndpointId::new(scheme.parse()?, authority, instance)
    }
}

impl serde::Serialize for EndpointId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for EndpointId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(r: Result<EndpointId, EndpointIdError>) -> EndpointId {
        match r {
            Ok(id) => id,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn os_and_ops_examples_from_the_spec() {
        let id = ok(EndpointId::os("00256D", "0123456789"));
        assert_eq!(id.to_string(), "os::00256D-0123456789");
        assert_eq!(id.scheme(), Scheme::Os);
        assert_eq!(id.authority_id(), "");
        assert_eq!(id.instance_id(), "00256D-0123456789");
        let id = ok(EndpointId::ops("00256D", "STB", "0123456789"));
        assert_eq!(id.to_string(), "ops::00256D-STB-0123456789");
        assert_eq!(id.to_urn(), "urn:bbf:usp:id:ops::00256D-STB-0123456789");
        assert_eq!(
            id.device_id_parts(),
            Some(DeviceIdParts {
                oui: "00256D".into(),
                product_class: Some("STB".into()),
                serial_number: "0123456789".into(),
            })
        );
    }

    #[test]
    fn from_device_id_picks_the_scheme() {
        assert_eq!(
            ok(EndpointId::from_device_id("00256D", None, "S1")).to_string(),
            "os::00256D-S1"
        );
        assert_eq!(
            ok(EndpointId::from_device_id("00256D", Some(""), "S1")).to_string(),
            "os::00256D-S1"
        );
        assert_eq!(
            ok(EndpointId::from_device_id("00256D", Some("IGD"), "S1")).to_string(),
            "ops::00256D-IGD-S1"
        );
    }

    #[test]
    fn components_are_percent_encoded() {
        // space, '/', ':', '~', '%', '+' and non-ASCII are encoded, upper-case hex
        let id = ok(EndpointId::ops("00256D", "Home Gateway/2", "SN:1~2%+é"));
        assert_eq!(
            id.instance_id(),
            "00256D-Home%20Gateway%2F2-SN%3A1%7E2%25%2B%C3%A9"
        );
        // '-', '.', '_' are kept, including '-' inside a component
        let id = ok(EndpointId::os("00256D", "AB-12.x_y"));
        assert_eq!(id.to_string(), "os::00256D-AB-12.x_y");
        assert_eq!(
            id.device_id_parts().map(|p| p.serial_number),
            Some("AB-12.x_y".to_owned())
        );
        assert_eq!(
            ok(EndpointId::os("00256D", "a b")).device_id_parts(),
            Some(DeviceIdParts {
                oui: "00256D".into(),
                product_class: None,
                serial_number: "a b".into(),
            })
        );
        assert_eq!(encode_component("a:b"), "a%3Ab");
    }

    #[test]
    fn ops_with_hyphen_in_product_class_is_ambiguous_on_the_way_back() {
        let id = ok(EndpointId::ops("00256D", "HG-8", "S-1"));
        assert_eq!(id.instance_id(), "00256D-HG-8-S-1");
        let parts = id.device_id_parts();
        assert_eq!(
            parts.as_ref().and_then(|p| p.product_class.as_deref()),
            Some("HG")
        );
        assert_eq!(parts.map(|p| p.serial_number), Some("8-S-1".to_owned()));
    }

    #[test]
    fn fifty_character_rule() {
        // "00256D-" is 7 characters, so a 43-character serial fits exactly
        let serial = "A".repeat(43);
        let id = ok(EndpointId::os("00256D", &serial));
        assert_eq!(id.instance_id().len(), 50);
        let serial = "A".repeat(44);
        assert_eq!(
            EndpointId::os("00256D", &serial),
            Err(EndpointIdError::InstanceIdTooLong { len: 51, max: 50 })
        );
        // the limit applies to the encoded form: 14 spaces = 42 characters
        let serial = " ".repeat(14);
        assert_eq!(
            ok(EndpointId::os("00256D", &serial)).instance_id().len(),
            49
        );
        let serial = " ".repeat(15);
        assert_eq!(
            EndpointId::os("00256D", &serial),
            Err(EndpointIdError::InstanceIdTooLong { len: 52, max: 50 })
        );
        assert!(matches!(
            "os::00256D-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".parse::<EndpointId>(),
            Err(EndpointIdError::InstanceIdTooLong { len: 51, .. })
        ));
        let e = EndpointIdError::InstanceIdTooLong { len: 51, max: 50 };
        assert_eq!(
            e.to_string(),
            "instance-id is 51 characters long; at most 50 are allowed (R-ARC.6)"
        );
    }

    #[test]
    fn empty_components() {
        assert_eq!(
            EndpointId::os("", "S"),
            Err(EndpointIdError::EmptyComponent("OUI"))
        );
        assert_eq!(
            EndpointId::os("00256D", ""),
            Err(EndpointIdError::EmptyComponent("SerialNumber"))
        );
        assert_eq!(
            EndpointId::ops("00256D", "", "S"),
            Err(EndpointIdError::EmptyComponent("ProductClass"))
        );
    }

    #[test]
    fn parse_and_display() {
        for s in [
            "os::00256D-0123456789",
            "ops::00256D-STB-0123456789",
            "oui:00256D:my-unique-bbf-id-42",
            "oui:00256D1:x",
            "oui:00256D123:x",
            "cid:3AA3F8:my-unique-usp-id-42",
            "pen:3561:my-unique-bbf-id-42",
            "self::my-Agent",
            "self:abc:my-Agent",
            "user::x",
            "uuid::f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
            "imei::990000862471854",
            "proto::my-Agent",
            "doc:a.b:x",
            "fqdn::www.example.org",
            "os::00256D-a%2fb",
        ] {
            let id = ok(s.parse());
            assert_eq!(id.to_string(), s);
            assert_eq!(ok(EndpointId::from_urn(&id.to_urn())), id);
        }
        let id = ok("oui:00256D:x".parse());
        assert_eq!(
            (id.scheme(), id.authority_id(), id.instance_id()),
            (Scheme::Oui, "00256D", "x")
        );
        assert!(!Scheme::Proto.is_production());
        assert!(Scheme::Os.is_production());
    }

    #[test]
    fn parse_errors() {
        use EndpointIdError as E;
        let err = |s: &str| match s.parse::<EndpointId>() {
            Ok(id) => panic!("{s:?} parsed as {id:?}"),
            Err(e) => e,
        };
        assert_eq!(err("os"), E::Malformed);
        assert_eq!(err("os:00256D-1"), E::Malformed);
        assert_eq!(err("OS::00256D-1"), E::UnknownScheme("OS".into()));
        assert_eq!(err("foo::x"), E::UnknownScheme("foo".into()));
        assert!(matches!(
            err("os:x:00256D-1"),
            E::InvalidAuthorityId {
                scheme: Scheme::Os,
                ..
            }
        ));
        assert!(matches!(err("oui:00256:x"), E::InvalidAuthorityId { .. }));
        assert!(matches!(err("oui:00256G:x"), E::InvalidAuthorityId { .. }));
        assert!(matches!(err("cid:00256D1:x"), E::InvalidAuthorityId { .. }));
        assert!(matches!(err("pen::x"), E::InvalidAuthorityId { .. }));
        assert!(matches!(err("pen:12a:x"), E::InvalidAuthorityId { .. }));
        assert!(matches!(
            err("self:1234567:x"),
            E::InvalidAuthorityId { .. }
        ));
        assert!(matches!(err("proto:a.b:x"), E::InvalidAuthorityId { .. }));
        assert_eq!(err("self::"), E::EmptyInstanceId);
        assert_eq!(
            err("self::a:b"),
            E::InvalidInstanceIdChar { offset: 1, ch: ':' }
        );
        assert_eq!(
            err("self::a~b"),
            E::InvalidInstanceIdChar { offset: 1, ch: '~' }
        );
        assert_eq!(
            err("self::ab%2"),
            E::InvalidInstanceIdChar { offset: 2, ch: '%' }
        );
        assert_eq!(
            err("self::ab%zz"),
            E::InvalidInstanceIdChar { offset: 2, ch: '%' }
        );
        assert_eq!(
            err("self::é"),
            E::InvalidInstanceIdChar {
                offset: 0, ch: 'é'
            }
        );
        assert_eq!(
            err("os::00256D"),
            E::BadDeviceIdForm(Scheme::Os, "<OUI>-<SerialNumber>")
        );
        assert!(matches!(
            err("ops::00256D-S"),
            E::BadDeviceIdForm(Scheme::Ops, _)
        ));
        assert_eq!(EndpointId::from_urn("os::00256D-1"), Err(E::Malformed));
    }

    #[test]
    fn device_id_parts_only_for_os_and_ops() {
        assert_eq!(ok("self::a-b".parse()).device_id_parts(), None);
        // undecodable UTF-8
        assert_eq!(ok("os::00256D-%FF".parse()).device_id_parts(), None);
    }

    #[test]
    fn serde_as_a_string() {
        let id = ok(EndpointId::os("00256D", "1"));
        let json = serde_json::to_string(&id).unwrap_or_default();
        assert_eq!(json, "\"os::00256D-1\"");
        let back: EndpointId = match serde_json::from_str(&json) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(back, id);
        assert!(serde_json::from_str::<EndpointId>("\"nope\"").is_err());
    }
}
