//! `Device.LocalAgent.Request.{i}.`: the asynchronous commands under way.
//!
//! An asynchronous command the CPE accepted gets a Request (R-OPR.0),
//! whose path the OperateResp carries; the Request goes when the command
//! completes (R-OPR.2), and what it completed with is handed to the
//! caller, which owes the controller an OperationComplete notification.
//! Requests are few and short-lived, so they live outside the state every
//! write copies for its rollback, and are part of the persisted snapshot.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Requests one agent may track; an Operate beyond is refused.
pub const MAX_REQUESTS: usize = 16;
pub const TABLE: &str = "Device.LocalAgent.Request.{i}.";
const PREFIX: &str = "Device.LocalAgent.Request.";

/// Input arguments never kept (they would be persisted in clear).
const SECRET_INPUTS: &[&str] = &["Password"];

pub(crate) fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The `Status` of a Request (TR-181 `Request.{i}.Status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Requested,
    Active,
    Canceling,
    Canceled,
    Success,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Requested => "Requested",
            Status::Active => "Active",
            Status::Canceling => "Canceling",
            Status::Canceled => "Canceled",
            Status::Success => "Success",
            Status::Error => "Error",
        }
    }
}

/// One asynchronous command under way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub instance: u32,
    /// The requesting controller's endpoint ID.
    pub originator: String,
    /// The command's instantiated path (`Device.IP.Diagnostics.IPPing()`).
    pub command: String,
    pub command_key: String,
    pub status: Status,
    /// The Operate's input arguments, secrets left out.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub inputs: BTreeMap<String, String>,
}

/// `Device.LocalAgent.Request.3.`
pub fn path_of(instance: u32) -> String {
    format!("{PREFIX}{instance}.")
}

impl Request {
    pub fn path(&self) -> String {
        path_of(self.instance)
    }

    /// The value of one of its parameters (`Command`, `Status`, ...).
    pub(crate) fn value(&self, item: &str) -> Option<String> {
        Some(match item {
            "Originator" => self.originator.clone(),
            "Command" => self.command.clone(),
            "CommandKey" => self.command_key.clone(),
            "Status" => self.status.as_str().to_owned(),
            "Alias" => format!("cpe-{}", self.instance),
            _ => return None,
        })
    }
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Success(BTreeMap<String, String>),
    Failure { err_code: u32, err_msg: String },
}

/// A Request that completed and was removed: what issue 7's
/// OperationComplete notification is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completed {
    pub request: Request,
    pub outcome: Outcome,
}

/// An agent's Requests and the last instance number handed out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Requests {
    pub(crate) list: Vec<Request>,
    pub(crate) last: u32,
}

/// Why an Operate may not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The table is full.
    Full,
    /// The same command is still running (one diagnostic of a kind per
    /// device: a second run would clobber the first one's results).
    Running,
}

impl Requests {
    pub(crate) fn get(&self, n: u32) -> Option<&Request> {
        self.list.iter().find(|r| r.instance == n)
    }

    /// Whether an Operate of `command` may start.
    pub(crate) fn admit(&self, command: &str) -> Result<(), Refused> {
        if self.list.iter().any(|r| r.command == command) {
            return Err(Refused::Running);
        }
        if self.list.len() >= MAX_REQUESTS {
            return Err(Refused::Full);
        }
        Ok(())
    }

    /// A Request for a command about to go to the CPE, `Requested` until
    /// [`Requests::settle`] says whether it runs asynchronously. Opened
    /// before the CPE is asked, so a second run of the same command is
    /// refused even while the first is still being started.
    pub(crate) fn open(
        &mut self,
        originator: &str,
        command: &str,
        command_key: &str,
        inputs: impl IntoIterator<Item = (String, String)>,
    ) -> Result<&Request, Refused> {
        self.admit(command)?;
        let n = self.last.checked_add(1).ok_or(Refused::Full)?;
        self.last = n;
        self.list.push(Request {
            instance: n,
            originator: originator.to_owned(),
            command: command.to_owned(),
            command_key: command_key.to_owned(),
            status: Status::Requested,
            inputs: inputs
                .into_iter()
                .filter(|(k, _)| !SECRET_INPUTS.contains(&k.as_str()))
                .collect(),
        });
        self.list.last().ok_or(Refused::Full)
    }

    /// The CPE side answered the command of Request `n`: asynchronous ones
    /// become `Active` and give their path, others are removed.
    pub(crate) fn settle(&mut self, n: u32, asynchronous: bool) -> Option<String> {
        if asynchronous {
            let r = self.list.iter_mut().find(|r| r.instance == n)?;
            r.status = Status::Active;
            Some(r.path())
        } else {
            self.list.retain(|r| r.instance != n);
            None
        }
    }

    /// What is worth persisting: a `Requested` one has no command running
    /// on the CPE yet, and nothing would settle it after a restart.
    pub(crate) fn persisted(&self) -> Vec<Request> {
        self.list
            .iter()
            .filter(|r| r.status != Status::Requested)
            .cloned()
            .collect()
    }

    /// Removes the Request at `path` and returns it with its outcome.
    pub(crate) fn complete(&mut self, path: &str, outcome: Outcome) -> Option<Completed> {
        let n: u32 = path
            .strip_prefix(PREFIX)?
            .trim_end_matches('.')
            .parse()
            .ok()?;
        let i = self.list.iter().position(|r| r.instance == n)?;
        let mut request = self.list.remove(i);
        request.status = match outcome {
            Outcome::Success(_) => Status::Success,
            Outcome::Failure { .. } => Status::Error,
        };
        Some(Completed { request, outcome })
    }

    /// From a snapshot, which may come from an older or tampered file.
    pub(crate) fn restore(mut list: Vec<Request>, last: u32) -> Requests {
        let top = list.iter().map(|r| r.instance).max().unwrap_or(0);
        list.retain(|r| r.status != Status::Requested);
        list.truncate(MAX_REQUESTS);
        list.sort_by_key(|r| r.instance);
        list.dedup_by_key(|r| r.instance);
        Requests {
            list,
            last: last.max(top),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_requests_are_numbered_bounded_and_completed_by_path() {
        let mut r = Requests::default();
        let inputs = [
            ("URL".to_string(), "http://x/fw".to_string()),
            ("Password".to_string(), "secret".to_string()),
        ];
        let a = r.open("ctl", "Device.X()", "k", inputs).unwrap().clone();
        assert_eq!(a.path(), "Device.LocalAgent.Request.1.");
        assert_eq!(a.status, Status::Requested);
        assert!(r.persisted().is_empty());
        assert_eq!(
            r.settle(1, true).as_deref(),
            Some("Device.LocalAgent.Request.1.")
        );
        assert_eq!(r.persisted().len(), 1);
        assert_eq!(a.inputs.keys().collect::<Vec<_>>(), ["URL"]);
        assert_eq!(r.admit("Device.X()"), Err(Refused::Running));
        assert_eq!(r.admit("Device.Y()"), Ok(()));
        for i in 1..MAX_REQUESTS {
            r.open("ctl", &format!("Device.Y{i}()"), "", []).unwrap();
        }
        assert_eq!(
            r.open("ctl", "Device.Z()", "", []).err(),
            Some(Refused::Full)
        );
        assert_eq!(r.admit("Device.Z()"), Err(Refused::Full));
        let done = r
            .complete(
                "Device.LocalAgent.Request.1.",
                Outcome::Success(BTreeMap::new()),
            )
            .unwrap();
        assert_eq!(done.request.status, Status::Success);
        assert!(r.get(1).is_none());
        assert!(r
            .complete(
                "Device.LocalAgent.Request.1.",
                Outcome::Success(BTreeMap::new())
            )
            .is_none());
        // Numbers are never reused.
        let n = r.open("ctl", "Device.Z()", "", []).unwrap().instance;
        assert_eq!(n, MAX_REQUESTS as u32 + 1);
        // A synchronous command leaves nothing behind.
        assert_eq!(r.settle(n, false), None);
        assert!(r.get(n).is_none());
    }

    #[test]
    fn restore_bounds_and_keeps_numbering() {
        let one = |n| Request {
            instance: n,
            originator: String::new(),
            command: String::new(),
            command_key: String::new(),
            status: Status::Active,
            inputs: BTreeMap::new(),
        };
        let mut requested = one(50);
        requested.status = Status::Requested;
        let list = (1..40).map(one).chain([one(3), requested]).collect();
        let r = Requests::restore(list, 2);
        assert_eq!(r.list.len(), MAX_REQUESTS);
        assert!(r.list.iter().all(|r| r.status == Status::Active));
        assert_eq!(r.last, 50, "numbers seen are never handed out again");
    }
}
