//! Helpers shared by the MTP integration tests (and includable from the
//! workspace's end-to-end tests with `#[path]`).
#![allow(dead_code)]

pub mod rabbitmq;
pub mod usp_records;
