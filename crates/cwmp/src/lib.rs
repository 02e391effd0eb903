//! Sans-IO CWMP (TR-069) SOAP codec: parses and emits every RPC in both
//! directions, without touching sockets.
//!
//! [`parse`] turns the body of an HTTP POST (or response) into an
//! [`Envelope`] borrowing from the input; [`Envelope::to_xml`] writes one
//! back. Parsing is tolerant where real devices are sloppy (any namespace
//! prefix, cwmp-1-0 .. cwmp-1-4, members in any order, wrong `arrayType`
//! counts, odd `xsi:type` spelling) and strict where input is hostile (no
//! DTDs or entities, bounded depth, size and element count; see [`Limits`]).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod codec;
mod emit;
mod error;
mod limits;
mod namespace;
mod owned;
mod parse;
mod splice;
mod template;
mod value;

pub mod model;

pub use error::Error;
pub use limits::Limits;
pub use model::acs::*;
pub use model::common::*;
pub use model::cpe::*;
pub use model::du::*;
pub use model::fault::*;
pub use model::{Body, Envelope, Header, UnknownMethod};
pub use namespace::CwmpVersion;
pub use owned::IntoStatic;
pub use splice::EncodedParameters;
pub use template::IdTemplate;
pub use value::{Value, ValueType};

/// Parses one CWMP message with the default [`Limits`]. Empty (or
/// whitespace-only) input yields an envelope with [`Body::Empty`].
pub fn parse(input: &[u8]) -> Result<Envelope<'_>, Error> {
    parse_with_limits(input, &Limits::default())
}

/// Parses one CWMP message with explicit [`Limits`].
pub fn parse_with_limits<'a>(input: &'a [u8], limits: &Limits) -> Result<Envelope<'a>, Error> {
    parse::parse_envelope(input, limits)
}
