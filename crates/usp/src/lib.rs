//! USP (TR-369) wire layer: Records and Msgs (prost, compiled from `proto/`),
//! error codes, the path grammar and endpoint IDs. No I/O.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod endpoint;
pub mod path;
