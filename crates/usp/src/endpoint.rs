//! Endpoint IDs.
