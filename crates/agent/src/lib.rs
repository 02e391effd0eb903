//! The USP Agent logic of cwmp2usp: one virtual USP Agent per CPE, with no
//! I/O. MTP shells (crate `mtp`) hand it Records and MTP events; it hands
//! back [`Action`]s (Records to send, state to persist).
//!
//! - [`dm`]: a generic data-model engine. A [`dm::Schema`] built from a
//!   facts TSV, a [`dm::Data`] trait for the instance tree (owned by the
//!   caller), path resolution (instance numbers, `*`, search expressions,
//!   unique keys, reference following, max_depth) and Get, Set, Add,
//!   Delete, GetInstances and GetSupportedDM with the exact USP answers.
//!   The CPE's cached model will reuse it.
//! - [`local`]: the `Device.LocalAgent.` model of one agent, lean enough
//!   for tens of thousands of agents: computed values, the shared
//!   [`local::AgentConfig`] for MTPs and controllers, per-agent overrides
//!   and typed [`local::Subscription`]s, and a serde [`local::Snapshot`].
//! - [`Agents`]: every agent by endpoint ID; [`Agents::handle_record`]
//!   (Record in, Records out, the USP generic rules, see [`record`]) and
//!   [`Agents::on_mtp_up`] (Connect records).
//!
//! # Interworking seam
//!
//! Only paths inside the LocalAgent schema are answered by the engine.
//! [`dispatch::route`] sends every other path (`Device.DeviceInfo.`, ...)
//! to the CPE side, which for now answers them as outside the supported
//! model (7026); the interworking issue plugs the CPE's cached model in
//! there (see [`dispatch`]).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod agents;
pub mod dispatch;
pub mod dm;
pub mod local;
pub mod notify;
pub mod record;
pub mod replay;

pub use agents::{Action, Agent, Agents, IdScheme, SubscriptionView};
pub use usp::mtp::{LinkUp, MqttVersion, ReplyTo};
