//! Events from outside a session: connection requests, local changes and
//! triggers (control API), finished transfers.

use std::time::Duration;

use super::{Action, Cpe, TransferJob, TransferResult, Trigger};
use crate::profile::Kind;
use crate::rpc;

impl Cpe {
    /// A connection request arrived (already authenticated by the driver).
    /// Returns false when the CPE refuses it (the driver answers 503).
    pub fn handle_connection_request(&mut self, now: Duration) -> bool {
        if self.cfg.refuse_cr || self.reboot_due.is_some() {
            return false;
        }
        self.events.push("6 CONNECTION REQUEST", "");
        // An explicit request from the ACS overrides the retry backoff.
        self.retry_due = None;
        self.maybe_start(now);
        true
    }

    pub fn trigger(&mut self, now: Duration, t: Trigger) {
        match t {
            Trigger::Reboot => {
                if self.session.take().is_some() {
                    self.actions.push_back(Action::SessionEnded {
                        ok: false,
                        inform_rtt: None,
                    });
                    self.stats.sessions_failed += 1;
                }
                self.start_reboot(now);
            }
            Trigger::Boot => {
                self.events.push("1 BOOT", "");
                self.maybe_start(now);
            }
            Trigger::Periodic => {
                self.events.push("2 PERIODIC", "");
                self.maybe_start(now);
            }
        }
    }

    /// A local user changes a value (any value parameter, writable or not).
    /// Notification attributes decide whether this starts a session.
    pub fn handle_local_set(
        &mut self,
        now: Duration,
        name: &str,
        value: &str,
    ) -> Result<(), String> {
        let entry = self
            .model
            .get(name)
            .ok_or_else(|| format!("no parameter {name:?}"))?;
        let Kind::Value(ty) = entry.kind else {
            return Err(format!("{name:?} is an object"));
        };
        let text = rpc::check_value(name, ty, value).map_err(|code| match code {
            9006 => format!("{value:?} is not a valid {ty:?}"),
            _ => format!("{value:?} is not an acceptable value for {name:?}"),
        })?;
        if self.model.value(name) == Some(text.as_str()) {
            return Ok(());
        }
        self.model.set(name, &text);
        match self.model.notification(name) {
            2 => {
                self.changed.insert(name.into());
                self.events.push("4 VALUE CHANGE", "");
                self.maybe_start(now);
            }
            1 => {
                self.changed.insert(name.into());
            }
            _ => {}
        }
        Ok(())
    }

    /// A local user adds an instance to the table `name` (`add`), or
    /// deletes the instance `name`: the instance number added. The
    /// table's `...NumberOfEntries` changes and notifies per the
    /// attributes the ACS set, as a local set would.
    pub fn handle_local_object(
        &mut self,
        now: Duration,
        name: &str,
        add: bool,
    ) -> Result<Option<u32>, String> {
        let done = if add {
            self.model.add_object(name).map(Some)
        } else {
            self.model.delete_object(name).map(|()| None)
        };
        let done = done.map_err(|e| format!("{name:?}: {e:?}"))?;
        let table = if add {
            name
        } else {
            let inst = name.trim_end_matches('.');
            inst.rsplit_once('.')
                .map_or(name, |(t, _)| &name[..t.len() + 1])
        };
        let count = format!("{}NumberOfEntries", table.trim_end_matches('.'));
        if self.model.get(&count).is_some() {
            let n = self.model.instance_count(table).to_string();
            self.model.set(&count, &n);
            match self.model.notification(&count) {
                2 => {
                    self.changed.insert(count.into());
                    self.events.push("4 VALUE CHANGE", "");
                    self.maybe_start(now);
                }
                1 => {
                    self.changed.insert(count.into());
                }
                _ => {}
            }
        }
        Ok(done)
    }

    /// The driver finished a Download or Upload.
    pub fn handle_transfer_done(&mut self, now: Duration, r: TransferResult) {
        let Some(job) = self.finished_job(r.id) else {
            return;
        };
        let method = if job.upload { "M Upload" } else { "M Download" };
        self.events.push("7 TRANSFER COMPLETE", "");
        self.events.push(method, &job.command_key);
        self.pending_transfer = Some(cwmp::TransferComplete {
            command_key: job.command_key.into(),
            fault_struct: cwmp::TransferFault {
                fault_code: r.fault_code,
                fault_string: if r.fault_code == 0 {
                    String::new()
                } else {
                    r.fault_string
                }
                .into(),
            },
            start_time: crate::clock::date_time(self.unix_now(r.start)).into(),
            complete_time: crate::clock::date_time(self.unix_now(r.complete)).into(),
        });
        self.maybe_start(now);
    }

    fn finished_job(&mut self, id: u64) -> Option<TransferJob> {
        let pos = self.in_flight.iter().position(|j| j.id == id)?;
        Some(self.in_flight.remove(pos))
    }

    pub(super) fn start_transfer(&mut self, job: TransferJob) {
        self.in_flight.push(job.clone());
        self.actions.push_back(Action::Transfer(job));
    }
}
