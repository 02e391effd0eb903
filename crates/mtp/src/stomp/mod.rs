//! STOMP 1.2 MTP.
pub mod frame;
