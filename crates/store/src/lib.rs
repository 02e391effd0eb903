//! The gateway's durable state: the device registry and the devices' own
//! credentials, behind the [`Store`] trait, kept in memory
//! ([`MemoryStore`], tests) or in redb, an embedded crash-safe database
//! ([`RedbStore`], `cwmp2usp run`). A PostgreSQL store for multi-node
//! deployments can implement the same trait.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod codec;
mod device;
mod memory;
mod redb_store;
mod secret;

pub use device::{DeviceCredential, DeviceKey, DeviceRecord, Provisioning, Store, StoreError};
pub use memory::MemoryStore;
pub use redb_store::{RedbStore, DEFAULT_CACHE_BYTES};
pub use secret::Secret;
