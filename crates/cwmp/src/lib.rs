//! Sans-IO CWMP (TR-069) SOAP codec: parses and emits every RPC in both
//! directions, without touching sockets.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
