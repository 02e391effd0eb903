//! Resource limits applied while parsing untrusted input.

/// Bounds on what [`crate::parse_with_limits`] accepts. Exceeding any of them
/// yields a typed [`crate::Error`] instead of unbounded work or memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Limits {
    /// Whole input, in bytes.
    pub max_input_bytes: usize,
    /// Element nesting depth; real CWMP messages stay under 10.
    pub max_depth: usize,
    /// Elements in the whole document.
    pub max_elements: usize,
    /// Decoded text of a single element, in bytes.
    pub max_value_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // A full GetParameterNamesResponse of a large TR-181 tree runs to
            // a few MiB; leave headroom but stay bounded.
            max_input_bytes: 16 * 1024 * 1024,
            max_depth: 32,
            max_elements: 100_000,
            max_value_bytes: 64 * 1024,
        }
    }
}
