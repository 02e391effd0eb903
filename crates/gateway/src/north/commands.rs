//! Completing the asynchronous commands a CPE runs for a controller.
//!
//! A file transfer (firmware `Download()`, a vendor file's `Backup()`,
//! `Restore()` or `Upload()`) ends with the CPE's TransferComplete,
//! matched to its Request by CommandKey. An IP diagnostic ends when the CPE
//! informs "8 DIAGNOSTICS COMPLETE" (or reboots, which ends it too): a
//! read of each running diagnostic's object then either finds it still
//! running or gives the Request its outcome. No state of its own: the
//! agents' Requests say what is running.
//!
//! The completed Request and its output arguments are logged; the
//! OperationComplete notification that carries them to the controller is
//! the events issue's.
//!
//! Inform events and TransferCompletes also become the agent's
//! Happenings here (see [`super::events`]).

use std::time::SystemTime;

use agent::dm::Answer;
use agent::local::request::Outcome;
use agent::local::Completed;
use agent::{Action, Happening, IdScheme, Remote};
use interwork::calls::key_of;
use interwork::operate::{command_of, Command, Diagnostic};
use store::{DeviceKey, Store};
use tracing::{debug, info, warn};
use usp::endpoint::EndpointId;
use usp::proto::usp::request::ReqType;
use usp::proto::usp::response::RespType;
use usp::proto::usp::Get;
use usp::ErrorCode;

use super::cpe::Interworker;
use super::events::{self, TransferDone};
use super::North;

/// Inform events after which running diagnostics are looked at.
const DIAGNOSTICS_ENDED: &[&str] = &["8 DIAGNOSTICS COMPLETE", "1 BOOT", "0 BOOTSTRAP"];

/// A TransferComplete, as the ACS reported it.
pub(super) struct Transfer {
    pub device: DeviceKey,
    pub command_key: String,
    pub fault_code: u32,
    pub fault_string: String,
    /// StartTime, CompleteTime.
    pub times: (String, String),
    /// An AutonomousTransferComplete: no Request of ours.
    pub autonomous: Option<acs::AutonomousTransfer>,
}

fn endpoint_id(scheme: IdScheme, d: &DeviceKey) -> Option<String> {
    let id = match scheme {
        IdScheme::Os => EndpointId::os(&d.oui, &d.serial),
        IdScheme::Ops => EndpointId::ops(&d.oui, &d.product_class, &d.serial),
    };
    id.ok().map(|e| e.to_string())
}

impl<S: Store + Clone + Send + Sync + 'static> North<S> {
    /// The CPE finished a transfer: the oldest transfer command of its
    /// agent with that CommandKey completes, and the agent is told
    /// TransferComplete! (and the Boot! that waited for it).
    pub(super) fn on_transfer(&mut self, t: Transfer) -> Vec<Action> {
        let Some(eid) = endpoint_id(self.scheme, &t.device) else {
            return Vec::new();
        };
        let request = self
            .agents
            .requests(&eid)
            .iter()
            .filter(|r| matches!(command_of(&r.command), Some(Command::Transfer(_))))
            .find(|r| t.autonomous.is_none() && key_of(&r.command_key) == t.command_key)
            .cloned();
        // Only new firmware makes the next Boot!'s FirmwareUpdated.
        let firmware = request.as_ref().is_some_and(|r| {
            command_of(&r.command)
                == Some(Command::Transfer(
                    interwork::transfer::Transfer::FirmwareDownload,
                ))
        });
        let done = TransferDone {
            command_key: request.as_ref().map_or(&t.command_key, |r| &r.command_key),
            fault_code: t.fault_code,
            fault_string: &t.fault_string,
            start_time: &t.times.0,
            complete_time: &t.times.1,
            autonomous: t.autonomous.as_ref(),
            request: request.as_ref(),
        };
        let happenings = self.memory.transfer(&eid, &done, firmware);
        let mut actions = Vec::new();
        match &request {
            Some(r) => {
                let outcome = if t.fault_code == 0 {
                    Outcome::Success(Default::default())
                } else {
                    // The CWMP code stays in the message (TR-369 has none for it).
                    Outcome::Failure {
                        err_code: ErrorCode::CommandFailure.as_u32(),
                        err_msg: interwork::fault::message(t.fault_code, &t.fault_string),
                    }
                };
                actions = self.complete(&eid, &r.path(), outcome);
            }
            None if t.autonomous.is_none() => {
                debug!(agent = %eid, command_key = ?t.command_key, "TransferComplete for no Request")
            }
            None => {}
        }
        actions.extend(self.tell(&eid, happenings));
        actions
    }

    /// What the ACS reported: agents come up, Requests complete, and
    /// agents are told what happened.
    pub(super) fn on_device_event(&mut self, ev: acs::Event, cpe: &mut Interworker) -> Vec<Action> {
        let ev = match ev {
            acs::Event::TransferComplete {
                device,
                command_key,
                fault_code,
                fault_string,
                start_time,
                complete_time,
                autonomous,
            } => {
                let t = Transfer {
                    device,
                    command_key,
                    fault_code,
                    fault_string,
                    times: (start_time, complete_time),
                    autonomous,
                };
                return self.on_transfer(t);
            }
            acs::Event::SessionEnded { device, .. } => return self.on_session_ended(&device),
            other => other,
        };
        let acs::Event::Informed {
            device,
            events,
            software_version,
            params,
            command_keys,
            replay,
            received,
        } = ev
        else {
            return Vec::new();
        };
        let product = (
            device.oui.clone(),
            device.product_class.clone(),
            software_version,
        );
        let before = self.agents.len();
        let added = self.agents.add(
            &device.oui,
            &device.product_class,
            &device.serial,
            self.scheme,
            SystemTime::now(),
        );
        let eid = match added {
            Ok(eid) => eid,
            Err(e) => {
                warn!(device = %device.endpoint_id(), error = %e, "no USP agent");
                return Vec::new();
            }
        };
        cpe.informed(&eid, product, &events);
        if events.iter().any(|e| e == "0 BOOTSTRAP") {
            self.on_bootstrap(&eid, cpe);
        }
        self.check_diagnostics(&eid, &device, &events, cpe);
        let inform = events::Informed {
            events: &events,
            command_keys: &command_keys,
            params: &params,
            replay,
        };
        let mapped = cpe.model(&eid).filter(|m| m.mapping().is_some());
        let mut actions = self.on_informed(&eid, &inform, mapped.as_deref());
        actions.extend(self.read_boot_parameters(&eid, &device, cpe));
        // Each session of a CPE whose tables are watched lists them.
        self.list_objects(&eid, cpe);
        let notifies = actions
            .iter()
            .filter(|a| matches!(a, Action::Send { .. }))
            .count();
        if notifies > 0 {
            self.told.push((received, notifies as u64));
        }
        if self.agents.len() > before {
            info!(agent = %eid, "USP agent up");
            self.mtps.bring_up(&eid);
            // Registered at this Inform: the device's first (agents of
            // devices already registered came up at start).
            if self.onboard_request {
                actions.extend(self.agents.on_board(&eid, None, SystemTime::now()));
            }
        }
        actions
    }

    /// An Inform's Happenings, told to the agent.
    /// A TR-098 CPE's parameters are told in the TR-181 names its
    /// mapping gives them (`mapped`), once a request has built it.
    pub(super) fn on_informed(
        &mut self,
        eid: &str,
        inform: &events::Informed<'_>,
        mapped: Option<&interwork::DeviceModel>,
    ) -> Vec<Action> {
        let boot_parameters = self.agents.boot_parameters(eid);
        let happenings = match mapped.and_then(|m| m.mapping()) {
            Some(m) => {
                let params = events::mapped_params(m.view(), inform.params);
                let translated = events::Informed {
                    params: &params,
                    ..*inform
                };
                let root = interwork::dialect::Root::Tr181;
                self.memory
                    .informed(eid, &translated, root, &boot_parameters)
            }
            None => {
                let root = events::root_of(inform.params);
                self.memory.informed(eid, inform, root, &boot_parameters)
            }
        };
        self.tell(eid, happenings)
    }

    /// Reads the BootParameters a boot Inform lacked, in its session; the
    /// Boot! waits for the answer ([`Self::on_results`]).
    fn read_boot_parameters(
        &mut self,
        eid: &str,
        device: &DeviceKey,
        cpe: &mut Interworker,
    ) -> Vec<Action> {
        let names = self.memory.take_boot_read(eid);
        if names.is_empty() {
            return Vec::new();
        }
        let get = ReqType::Get(Get {
            param_paths: names,
            max_depth: 0,
        });
        let read = Remote::completing(eid, events::BOOT_READ, get);
        match cpe.submit(read, device.clone()) {
            Ok(()) => Vec::new(),
            Err(f) => {
                warn!(agent = %eid, answer = ?f.answer, "BootParameters not read");
                let happenings = self.memory.boot_read(eid, Vec::new());
                self.tell(eid, happenings)
            }
        }
    }

    /// A session ended: a Boot! that waited for its TransferComplete goes.
    pub(super) fn on_session_ended(&mut self, device: &DeviceKey) -> Vec<Action> {
        let Some(eid) = endpoint_id(self.scheme, device) else {
            return Vec::new();
        };
        let happenings = self.memory.session_ended(&eid);
        self.tell(&eid, happenings)
    }

    fn tell(&mut self, eid: &str, happenings: Vec<Happening>) -> Vec<Action> {
        let now = SystemTime::now();
        let mut actions = Vec::new();
        for h in happenings {
            debug!(agent = %eid, happening = ?h, "told the agent");
            actions.extend(self.agents.notify(eid, h, now));
        }
        actions
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
        if path == events::BOOT_READ {
            let values = answer.as_ref().map(read_values).unwrap_or_default();
            let happenings = self.memory.boot_read(eid, values);
            return self.tell(eid, happenings);
        }
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

/// (path, value) of each parameter a gateway-made Get found; the paths
/// it could not read are left out.
fn read_values(answer: &Answer) -> Vec<(String, String)> {
    let Answer::Resp(RespType::GetResp(r)) = answer else {
        return Vec::new();
    };
    r.req_path_results
        .iter()
        .filter(|p| p.err_code == 0)
        .flat_map(|p| &p.resolved_path_results)
        .flat_map(|o| {
            o.result_params
                .iter()
                .map(|(k, v)| (format!("{}{k}", o.resolved_path), v.clone()))
        })
        .collect()
}

/// A controller's `Device.FactoryReset()`: the CPE's next "0 BOOTSTRAP"
/// is the reset the gateway asked for.
pub(super) fn is_factory_reset(request: &ReqType) -> bool {
    matches!(request, ReqType::Operate(o) if command_of(&o.command) == Some(Command::FactoryReset))
}
