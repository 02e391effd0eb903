//! USP (TR-369) wire layer: Records and Msgs (prost, compiled from `proto/`),
//! error codes, the path grammar and endpoint IDs. No I/O.
//!
//! - [`proto`]: the generated types, `proto::usp_record::Record` and
//!   `proto::usp::Msg`.
//! - [`record`]: [`decode_record`] / [`encode_record`] plus builders for every
//!   Record type (no-session, session context, connect, disconnect).
//! - [`msg`]: builders for every Msg (`msg::get`, `msg::get_resp`, ...,
//!   `msg::error`) and small accessors on `Msg`.
//! - [`error`]: [`ErrorCode`], the USP error codes 7000-7999.
//! - [`mtp`]: the return address ([`mtp::ReplyTo`]) and link facts
//!   ([`mtp::LinkUp`]) that MTP shells hand to agents.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod endpoint;
pub mod error;
pub mod msg;
pub mod mtp;
pub mod path;
pub mod proto;
pub mod record;

/// Re-exported: the Record's `bytes` fields are `bytes::Bytes`.
pub use bytes;
pub use error::ErrorCode;
pub use msg::{decode_msg, encode_msg};
pub use proto::usp::Msg;
pub use proto::usp_record::Record;
pub use record::{decode_record, decode_record_bytes, encode_record, DecodedRecord, RecordError};
