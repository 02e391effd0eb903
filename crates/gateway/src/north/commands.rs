//! Completing the asynchronous commands a CPE runs for a controller.
//!
//! A firmware `Download()` ends with the CPE's TransferComplete, matched
//! to its Request by CommandKey. An IP diagnostic ends when the CPE
//! informs "8 DIAGNOSTICS COMPLETE" (or reboots, which ends it too): a
//! read of each running diagnostic's object then either finds it still
//! running or gives the Request its outcome. No state of its own: the
//! agents' Requests say what is running.
//!
//! The completed Request and its output arguments are logged; the
//! OperationComplete notification that carries them to the controller is
//! the events issue's.

use agent::dm::Answer;
use agent::local::request::Outcome;
use agent::local::Completed;
use agent::{Action, IdScheme, Remote};
use interwork::calls::key_of;
use interwork::operate::{command_of, Command, Diagnostic};
use store::{DeviceKey, Store};
use tracing::{debug, info, warn};
use usp::endpoint::EndpointId;
use usp::ErrorCode;

use super::cpe::Interworker;
use super::North;

/// Inform events after which running diagnostics are looked at.
const DIAGNOSTICS_ENDED: &[&str] = &["8 DIAGNOSTICS COMPLETE", "1 BOOT", "0 BOOTSTRAP"];

/// A TransferComplete, as the ACS reported it.
pub(super) struct Transfer {
    pub device: DeviceKey,
    pub command_key: String,
    pub fault_code: u32,
    pub fault_string: String,
}

fn endpoint_id(scheme: IdScheme, d: &DeviceKey) -> Option<String> {
    let id = match scheme {
        IdScheme::Os => EndpointId::os(&d.oui, &d.serial),
        IdScheme::Ops => EndpointId::ops(&d.oui, &d.product_class, &d.serial),
    };
    id.ok().map(|e| e.to_string())
}

impl<S: Store + Clone + Send + Sync + 'static> North<S> {
    /// The CPE finished a transfer: the oldest firmware Download() of its
    /// agent with that CommandKey completes.
    pub(super) fn on_transfer(&mut self, t: Transfer) -> Vec<Action> {
        let Some(eid) = endpoint_id(self.scheme, &t.device) else {
            return Vec::new();
        };
        let path = self
            .agents
            .requests(&eid)
            .iter()
            .filter(|r| command_of(&r.command) == Some(Command::FirmwareDownload))
            .find(|r| key_of(&r.command_key) == t.command_key)
            .map(|r| r.path());
        let Some(path) = path else {
            debug!(agent = %eid, command_key = ?t.command_key, "TransferComplete for no Request");
            return Vec::new();
        };
        let outcome = if t.fault_code == 0 {
            Outcome::Success(Default::default())
        } else {
            // The CWMP code stays in the message (TR-369 has none for it).
            Outcome::Failure {
                err_code: ErrorCode::CommandFailure.as_u32(),
                err_msg: interwork::fault::message(t.fault_code, &t.fault_string),
            }
        };
        self.complete(&eid, &path, outcome)
    }

    /// After an Inform that may end diagnostics: read the results of each
    /// one the agent has running.
    pub(super) fn check_diagnostics(
        &mut self,
        eid: &str,
        device: &DeviceKey,
        events: &[String],
        cpe: &mut Interworker,
    ) {
        if !events
            .iter()
            .any(|e| DIAGNOSTICS_ENDED.contains(&e.as_str()))
        {
            return;
        }
        let running: Vec<(String, Diagnostic)> = self
            .agents
            .requests(eid)
            .iter()
            .filter_map(|r| Some((r.path(), Diagnostic::of_command(&r.command)?)))
            .collect();
        for (path, d) in running {
            let read = Remote::completing(eid, &path, d.results_request());
            if let Err(f) = cpe.submit(read, device.clone()) {
                // The Request stays: the CPE's next such Inform retries.
                warn!(agent = %eid, request = %path, answer = ?f.answer, "diagnostic results not read");
            }
        }
    }

    /// A read of a diagnostic's results ended.
    pub(super) fn on_results(
        &mut self,
        eid: &str,
        path: &str,
        answer: Option<Answer>,
    ) -> Vec<Action> {
        let d = self
            .agents
            .requests(eid)
            .iter()
            .find(|r| r.path() == path)
            .and_then(|r| Diagnostic::of_command(&r.command));
        let (Some(d), Some(answer)) = (d, answer) else {
            return Vec::new();
        };
        match d.outcome(&answer) {
            Some(outcome) => self.complete(eid, path, outcome),
            None => {
                debug!(agent = %eid, request = %path, "diagnostic still running");
                Vec::new()
            }
        }
    }

    fn complete(&mut self, eid: &str, path: &str, outcome: Outcome) -> Vec<Action> {
        let (done, actions) = self.agents.complete_request(eid, path, outcome);
        if let Some(Completed { request, outcome }) = &done {
            info!(
                agent = %eid,
                request = %path,
                command = %request.command,
                command_key = ?request.command_key,
                status = request.status.as_str(),
                ?outcome,
                "command complete"
            );
        }
        actions
    }
}
