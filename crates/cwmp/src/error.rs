//! Typed errors. Every message is one line so gateways can log it as is.

/// Why an input could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("input is {size} bytes, over the {limit}-byte limit")]
    InputTooLarge { size: usize, limit: usize },
    #[error("document type declarations (DTD) are not accepted")]
    DtdForbidden,
    #[error("entity declarations are not accepted")]
    EntityDeclarationForbidden,
    #[error("reference to undefined entity {0:?}")]
    UnknownEntity(String),
    #[error("invalid character reference")]
    InvalidCharRef,
    #[error("elements nested deeper than the limit of {limit}")]
    TooDeep { limit: usize },
    #[error("more than {limit} elements")]
    TooManyElements { limit: usize },
    #[error("text content of <{element}> exceeds the {limit}-byte limit")]
    ValueTooLong { element: String, limit: usize },
    #[error("input is not valid UTF-8")]
    InvalidUtf8,
    #[error("input ended before the envelope was complete")]
    UnexpectedEof,
    #[error("malformed XML: {0}")]
    Xml(String),
    #[error("root element is not a SOAP 1.1 Envelope")]
    NotEnvelope,
    #[error("invalid value {value:?} in <{element}>")]
    InvalidValue { element: String, value: String },
    #[error("unsupported element name {0:?}")]
    InvalidName(String),
    #[error("unknown ChangeDUState operation type {0:?}")]
    UnknownOperationType(String),
}

impl Error {
    /// Builds an [`Error::InvalidValue`] with bounded, printable fields, so a
    /// hostile value can neither bloat nor break a log line.
    pub(crate) fn invalid_value(element: &[u8], value: &str) -> Self {
        Error::InvalidValue {
            element: String::from_utf8_lossy(clip(element, 64)).into_owned(),
            value: clip_str(value, 64).to_owned(),
        }
    }
}

fn clip(b: &[u8], max: usize) -> &[u8] {
    b.get(..max).unwrap_or(b)
}

pub(crate) fn clip_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}
