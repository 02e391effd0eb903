//! What happened on a CPE, as the gateway tells an agent: the input of
//! USP notifications (TR-369 §Notifications). The gateway turns Inform
//! events, TransferCompletes, polls and instance-list diffs into these; the
//! agent decides which subscriptions they match and what to send.
//!
//! Paths are TR-181 paths as a controller sees them (`Device.…`), already
//! translated from the CPE's own dialect.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::local::request::Outcome;

/// One thing a subscription may be told about; [`crate::Agents::notify`]
/// delivers it (see [`crate::events`]). Serialized inside the snapshot
/// while its Notify waits for a NotifyResp.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Happening {
    /// A parameter's value changed (CWMP "4 VALUE CHANGE", or a poll).
    ValueChange { path: String, value: String },
    /// An event of the model (`Device.Boot!`, `Device.LocalAgent.Periodic!`,
    /// `Device.LocalAgent.TransferComplete!`): `obj_path` ends with a dot,
    /// `event_name` with `!`.
    Event {
        obj_path: String,
        event_name: String,
        params: BTreeMap<String, String>,
    },
    /// An instance appeared; `path` is the instance's path with its dot.
    ObjectCreation {
        path: String,
        unique_keys: BTreeMap<String, String>,
    },
    /// An instance went.
    ObjectDeletion { path: String },
    /// An asynchronous command ended. `obj_path` ends with a dot,
    /// `command_name` with `()`.
    OperationComplete {
        obj_path: String,
        command_name: String,
        command_key: String,
        outcome: Outcome,
    },
}
