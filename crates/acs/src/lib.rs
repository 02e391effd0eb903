//! The gateway's south face as a sans-IO state machine: CWMP sessions
//! (Inform, CPE-originated RPCs, empty POSTs, queued ACS RPCs), the device
//! registry behind a [`Store`], and per-device RPC queues.
//!
//! The engine takes one authenticated HTTP exchange at a time, with the
//! current time and the connection it arrived on, and returns the HTTP
//! answer plus [`Event`]s for the northbound side. Sockets, timers and
//! authentication live in the [`server`] shell.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod engine;
pub mod server;
mod session;
pub mod tls;

pub use engine::{ConnId, Engine, EngineConfig, Event, Reply, Request, RpcId, RpcOutcome};
pub use store::{DeviceKey, DeviceRecord, MemoryStore, Store, StoreError};

#[cfg(test)]
mod tests;
