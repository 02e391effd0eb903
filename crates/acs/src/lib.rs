//! The gateway's south face as a sans-IO state machine: CWMP sessions
//! (Inform, CPE-originated RPCs, empty POSTs, queued ACS RPCs), the device
//! registry behind a [`Store`], per-device RPC queues and provisioning on
//! first contact.
//!
//! The engine takes one authenticated HTTP exchange at a time, with the
//! current time and the connection it arrived on, and returns the HTTP
//! answer plus [`Event`]s for the northbound side. Registry writes are
//! staged: the shell commits them in batches ([`Engine::poll_commit`],
//! [`Engine::commit_done`]) and holds each reply until its
//! [`CommitTicket`] is durable. Sockets, timers, authentication and the
//! committer live in the [`server`] shell. [`connreq`]
//! wakes a CPE that has no session open; the shell does so by itself when
//! an RPC is queued for one, and the northbound side submits RPCs and
//! awaits their outcome through an [`AcsHandle`].
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod auth;
mod commit;
mod config;
pub mod connreq;
mod content;
mod counters;
mod engine;
pub mod entropy;
mod exchange;
mod handle;
mod hold;
mod inform;
mod park;
mod provision;
mod queue;
pub mod server;
mod session;
mod shared;
mod staging;
pub mod tls;
mod wake;

pub use config::{EngineConfig, ProvisionConfig};
pub use connreq::{ConnectionRequestConfig, ConnectionRequestOutcome, ConnectionRequester};
pub use engine::Engine;
pub use entropy::RandomSource;
pub use exchange::{
    AutonomousTransfer, CommitTicket, ConnId, Event, ParamFault, Reply, Request, RpcId, RpcOutcome,
};
pub use handle::{AcsHandle, Hold, SubmitError};
pub use staging::CommitBatch;
pub use store::{
    DeviceCredential, DeviceKey, DeviceRecord, MemoryStore, Provisioning, Secret, Store, StoreError,
};

#[cfg(test)]
mod tests;
