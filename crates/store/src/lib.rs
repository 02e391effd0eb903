//! The gateway's durable state. Today: the device registry, behind the
//! [`Store`] trait, kept in memory ([`MemoryStore`], tests) or in redb, an
//! embedded crash-safe database ([`RedbStore`], `cwmp2usp run`). A
//! PostgreSQL store for multi-node deployments can implement the same trait.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod device;
mod redb_store;

pub use device::{DeviceKey, DeviceRecord, MemoryStore, Store, StoreError};
pub use redb_store::RedbStore;
