//! Sans-IO HTTP Digest (RFC 7616) and Basic authentication, both sides.
//!
//! Nothing here touches a socket or a clock: callers pass header values,
//! the request method, credentials, and (on the server side) the current
//! time and fresh random bytes, and get header values or a verdict back.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod client;
mod digest;
mod params;
pub mod server;

pub use client::DigestClient;
pub use digest::Algorithm;
pub use params::{parse_challenges, AuthParams, MAX_HEADER_LEN};

use base64::Engine as _;

/// Why a header could not be parsed or answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("header longer than {MAX_HEADER_LEN} bytes")]
    TooLong,
    #[error("malformed header at byte {0}")]
    Syntax(usize),
    #[error("unterminated quoted string")]
    Unterminated,
    #[error("too many parameters")]
    TooManyParams,
    #[error("no challenge in header")]
    Empty,
    #[error("no supported challenge (Digest MD5/SHA-256 with qop=auth or none, or Basic)")]
    Unsupported,
    #[error("missing parameter `{0}`")]
    Missing(&'static str),
    #[error("invalid value for `{0}`")]
    Invalid(&'static str),
}

/// `Authorization` value for HTTP Basic.
pub fn basic_header(user: &str, password: &str) -> String {
    let raw = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_matches_rfc7617_example() {
        assert_eq!(
            basic_header("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }
}
