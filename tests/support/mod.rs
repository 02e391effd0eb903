//! Shared helpers of the end-to-end tests.
#![allow(dead_code)]

pub mod acs;
pub mod files;
pub mod gateway;
pub mod http;
#[path = "../../crates/mtp/tests/support/mosquitto.rs"]
pub mod mosquitto;
pub mod mqtt_ctl;
pub mod rpc;
pub mod sim;
pub mod tls;
pub mod usp_ws;
pub mod xsd;
