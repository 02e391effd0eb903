//! Helpers shared by the MTP integration tests (and includable from the
//! workspace's end-to-end tests with `#[path]`): brokers each test starts
//! for itself on free ports of 127.0.0.1, test controllers, and Records
//! checked by rusp-lib.
#![allow(dead_code)]

pub mod controller5;
pub mod controllers;
pub mod mosquitto;
pub mod rabbitmq;
pub mod stomp_controller;
pub mod usp_records;

pub use mosquitto::*;
