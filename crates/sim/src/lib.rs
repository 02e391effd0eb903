//! CPE fleet simulator: many TR-069 CPE in one process.
//!
//! The core is sans-IO: [`Profile`] (the parameters a CPE starts with,
//! shared by all), [`DataModel`] (one CPE's differences from it) and
//! [`Cpe`] (the session and event state machine). [`driver`] runs a fleet
//! of them over real sockets with tokio and hyper.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod clock;
pub mod config;
pub mod cpe;
pub mod driver;
pub mod events;
pub mod model;
pub mod profile;
pub mod rpc;

pub use config::CpeConfig;
pub use cpe::{Action, Cpe, HttpRequest, HttpResponse, TransferJob, TransferResult, Trigger};
pub use model::DataModel;
pub use profile::Profile;
