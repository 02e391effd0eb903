//! USP Agent logic (placeholder doc, rewritten below).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod dm;
