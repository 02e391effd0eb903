//! WebSocket MTP.
