//! Interworking: a USP request on the CPE's own data model (anything
//! outside the gateway's `Device.LocalAgent.`) becomes a plan of CWMP RPCs,
//! and the CPE's answers become exactly the USP response a native agent
//! would give. No I/O: a [`Plan`] hands out RPCs ([`Step::Send`]), takes
//! their outcomes ([`Plan::feed`]) and ends with an [`agent::dm::Answer`]
//! ([`Step::Done`]); the gateway runs it through the ACS's RPC queue.
//!
//! - [`model`]: the device's supported model, the TR-181 facts cut down to
//!   the names the CPE reports (GetParameterNames), with its writability
//!   and its vendor extensions.
//! - [`cache`]: what the plan has read from the CPE so far, seen by the
//!   data-model engine of crate `agent` through its `Data` trait; every
//!   read it lacks is noted as a miss.
//! - [`read`]: Get and GetInstances. The engine runs over the cache; its
//!   misses become the next round of GetParameterNames/Values, until a run
//!   misses nothing. A search expression thus costs the rounds TR-369
//!   implies: the instances, then the keys it tests, then the targets.
//! - [`write`]: Set, Add and Delete. The engine runs over the cache with
//!   its writes recorded per transaction; a committed transaction becomes
//!   AddObject, one atomic SetParameterValues and DeleteObject, a
//!   rolled-back one deletes what it created; the CPE's refusals go into
//!   the next run, until a run needs nothing new.
//! - [`operate`]: `Device.Reboot()` and `Device.FactoryReset()` as their
//!   RPCs; file transfers ([`transfer`]: firmware `Download()`, vendor
//!   configuration `Backup()`/`Restore()`, log `Upload()`) and the IP
//!   diagnostics as asynchronous commands (a Download or Upload RPC, or an
//!   SPV of `DiagnosticsState=Requested`) that the gateway completes from
//!   the CPE's later reports.
//! - [`dialect`]: the names a CPE speaks. A TR-098 CPE
//!   (`InternetGatewayDevice.`) shows its `DeviceInfo.` and
//!   `ManagementServer.` as TR-181's; its other objects answer 7026 until
//!   the mapping packs land.
//! - [`fault`]: CWMP faults as USP errors.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod cache;
pub mod calls;
pub mod dialect;
pub mod fault;
pub mod mapped;
pub mod model;
pub mod objects;
pub mod operate;
pub mod plan;
pub mod read;
pub mod transfer;
pub mod watch;
pub mod write;

pub use model::DeviceModel;
pub use plan::{Config, Outcome, ParamFault, Plan, Step};
