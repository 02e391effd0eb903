//! Namespace URIs and the CWMP protocol version a peer speaks.

pub(crate) const SOAP_ENV: &[u8] = b"http://schemas.xmlsoap.org/soap/envelope/";
pub(crate) const SOAP_ENV_STR: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub(crate) const SOAP_ENC_STR: &str = "http://schemas.xmlsoap.org/soap/encoding/";
pub(crate) const XSD_STR: &str = "http://www.w3.org/2001/XMLSchema";
pub(crate) const XSI: &[u8] = b"http://www.w3.org/2001/XMLSchema-instance";
pub(crate) const XSI_STR: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Which `urn:dslforum-org:cwmp-1-x` namespace an envelope uses. Replies
/// should use the version the peer used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize)]
pub enum CwmpVersion {
    #[default]
    #[serde(rename = "cwmp-1-0")]
    V1_0,
    #[serde(rename = "cwmp-1-1")]
    V1_1,
    #[serde(rename = "cwmp-1-2")]
    V1_2,
    #[serde(rename = "cwmp-1-3")]
    V1_3,
    #[serde(rename = "cwmp-1-4")]
    V1_4,
}

impl CwmpVersion {
    /// Every version, oldest first.
    pub const ALL: [CwmpVersion; 5] = [
        CwmpVersion::V1_0,
        CwmpVersion::V1_1,
        CwmpVersion::V1_2,
        CwmpVersion::V1_3,
        CwmpVersion::V1_4,
    ];

    /// The namespace URI, e.g. `urn:dslforum-org:cwmp-1-2`.
    pub fn namespace(self) -> &'static str {
        match self {
            CwmpVersion::V1_0 => "urn:dslforum-org:cwmp-1-0",
            CwmpVersion::V1_1 => "urn:dslforum-org:cwmp-1-1",
            CwmpVersion::V1_2 => "urn:dslforum-org:cwmp-1-2",
            CwmpVersion::V1_3 => "urn:dslforum-org:cwmp-1-3",
            CwmpVersion::V1_4 => "urn:dslforum-org:cwmp-1-4",
        }
    }

    /// Recognises a cwmp namespace URI.
    pub fn from_namespace(uri: &[u8]) -> Option<CwmpVersion> {
        CwmpVersion::ALL
            .into_iter()
            .find(|v| v.namespace().as_bytes() == uri)
    }
}

impl std::fmt::Display for CwmpVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.namespace())
    }
}

/// The namespace of an element, reduced to what the codec cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ns {
    Soap,
    Cwmp(CwmpVersion),
    /// No namespace, or a prefix nobody declared: broken peers do both, so
    /// callers treat it leniently.
    Unqualified,
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_round_trip() {
        for v in CwmpVersion::ALL {
            assert_eq!(
                CwmpVersion::from_namespace(v.namespace().as_bytes()),
                Some(v)
            );
        }
        assert_eq!(
            CwmpVersion::from_namespace(b"urn:dslforum-org:cwmp-1-5"),
            None
        );
    }
}
