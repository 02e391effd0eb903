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
//!   [`Agents::on_mtp_up`] / [`Agents::on_mtp_down`] (Connect records,
//!   which links a Notify may use).
//! - [`events`]: USP notifications. The gateway tells an agent what
//!   happened on its CPE ([`Happening`], [`Agents::notify`]); each enabled
//!   subscription whose NotifType and ReferenceList match gets a Notify.
//!   Completed Requests notify OperationComplete by themselves
//!   ([`Agents::complete_request`]); [`periodic`] fires
//!   `Device.LocalAgent.Periodic!` from the timeout. [`Action::Watch`] and
//!   [`Agents::watched`] tell the gateway which CPE parameters the
//!   ValueChange subscriptions watch; [`Agents::boot_parameters`] which
//!   ones `Device.Boot!` reports; [`Agents::notify_stats`] counts what
//!   was sent, retried and dropped.
//! - [`notify`]: notifications that wait for a NotifyResp: the
//!   OnBoardRequest ([`Agents::on_board`], or the controller's
//!   `SendOnBoardRequest()`) and those of NotifRetry subscriptions,
//!   retried on the R-NOT.1-4 schedule with explicit time: the caller
//!   sleeps until [`Agents::poll_timeout`] and calls
//!   [`Agents::handle_timeout`] with the time and random numbers. They are
//!   part of the persisted [`local::Snapshot`], at most
//!   [`notify::MAX_PENDING`] per agent (the oldest go first).
//! - [`commands`]: the `Request.{i}` objects of asynchronous commands the
//!   CPE runs (R-OPR.0-2), opened with the Operate, completed by the
//!   gateway ([`Agents::complete_request`]), part of the snapshot.
//! - [`replay`]: the last few Set/Add/Delete/Operate answers of each
//!   agent, so a redelivered request (MQTT QoS 1) is answered again
//!   without running twice (R-MSG.4).
//!
//! # Interworking seam
//!
//! Only paths inside the LocalAgent schema are answered by the engine.
//! [`dispatch::route`] sends every other path (`Device.DeviceInfo.`, ...)
//! to the CPE side, which for now answers them as outside the supported
//! model (7026); the interworking issue plugs the CPE's cached model in
//! there (see [`dispatch`]).
//!
//! # LocalAgent commands
//!
//! `Controller.{i}.BootParameter.{i}.` may be added by controllers (none
//! are configured).
//!
//! `Controller.{i}.SendOnBoardRequest()` runs (it queues an OnBoardRequest
//! to that controller and succeeds with no output arguments); every other
//! command fails in the OperateResp with 7022.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod agents;
pub mod boot;
pub mod commands;
pub mod dispatch;
pub mod dm;
pub mod events;
pub mod happening;
pub mod local;
pub mod notify;
pub mod periodic;
pub mod record;
pub mod remote;
pub mod replay;
pub mod route;

pub use agents::{Action, AddError, Agent, Agents, IdScheme, SubscriptionView};
pub use events::NotifyStats;
pub use happening::Happening;
pub use remote::Remote;
pub use usp::mtp::{LinkUp, MqttVersion, ReplyTo};
