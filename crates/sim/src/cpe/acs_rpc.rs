//! Answers to the ACS's RPCs, with their side effects on the CPE.

use std::borrow::Cow;
use std::time::Duration;

use cwmp::{Body, Envelope, Fault, GetRPCMethodsResponse, TransferResponse};

use super::{Action, AfterSession, Cpe, TransferJob};
use crate::clock::UNKNOWN_TIME;
use crate::rpc;

/// The CPE methods this simulator implements (GetRPCMethodsResponse).
pub const CPE_METHODS: &[&str] = &[
    "GetRPCMethods",
    "SetParameterValues",
    "GetParameterValues",
    "GetParameterNames",
    "SetParameterAttributes",
    "GetParameterAttributes",
    "AddObject",
    "DeleteObject",
    "Reboot",
    "Download",
    "Upload",
    "FactoryReset",
    "ScheduleInform",
];

fn fault(code: u32, msg: &'static str) -> Body<'static> {
    Body::Fault(Fault::cwmp(code, msg))
}

impl Cpe {
    pub(super) fn answer_rpc(&mut self, now: Duration, env: &Envelope<'_>) -> Body<'static> {
        let method = match &env.body {
            Body::Unknown(u) => u.name.to_string(),
            b => b.method_name().to_string(),
        };
        if let Some(&code) = self.cfg.fault_rpc.get(&method) {
            return Body::Fault(Fault::cwmp(code, "Injected fault"));
        }
        let key_name = self.rooted("ManagementServer.ParameterKey");
        match &env.body {
            Body::GetRPCMethods => Body::GetRPCMethodsResponse(GetRPCMethodsResponse {
                method_list: CPE_METHODS.iter().map(|m| Cow::Borrowed(*m)).collect(),
            }),
            Body::GetParameterValues(r) => rpc::get_parameter_values(&self.model, r),
            Body::GetParameterNames(r) => rpc::get_parameter_names(&self.model, r),
            Body::GetParameterAttributes(r) => rpc::get_parameter_attributes(&self.model, r),
            Body::SetParameterAttributes(r) => rpc::set_parameter_attributes_rejecting(
                &mut self.model,
                r,
                &self.cfg.reject_notification,
            ),
            Body::AddObject(r) => rpc::add_object(&mut self.model, r, &key_name),
            Body::DeleteObject(r) => rpc::delete_object(&mut self.model, r, &key_name),
            Body::SetParameterValues(r) => {
                let (answer, applied) = rpc::set_parameter_values(&mut self.model, r, &key_name);
                if let Some(applied) = applied {
                    self.after_set(now, &applied.changed);
                }
                answer
            }
            Body::Reboot(r) => {
                self.after_session
                    .push(AfterSession::Reboot(r.command_key.to_string()));
                Body::RebootResponse
            }
            Body::FactoryReset => {
                self.after_session.push(AfterSession::FactoryReset);
                Body::FactoryResetResponse
            }
            Body::ScheduleInform(r) => {
                if r.delay_seconds == 0 {
                    return fault(9003, "DelaySeconds must be positive");
                }
                if self.scheduled.len() >= 16 {
                    return fault(9004, "Too many scheduled informs");
                }
                self.scheduled.push((
                    now + Duration::from_secs(u64::from(r.delay_seconds)),
                    r.command_key.as_ref().into(),
                ));
                Body::ScheduleInformResponse
            }
            Body::Download(r) => self.queue_transfer(
                false,
                &r.url,
                &r.username,
                &r.password,
                &r.command_key,
                &r.file_type,
                r.delay_seconds,
                "DownloadResponse",
            ),
            Body::Upload(r) => self.queue_transfer(
                true,
                &r.url,
                &r.username,
                &r.password,
                &r.command_key,
                &r.file_type,
                r.delay_seconds,
                "UploadResponse",
            ),
            _ => fault(9000, "Method not supported"),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn queue_transfer(
        &mut self,
        upload: bool,
        url: &str,
        username: &str,
        password: &str,
        command_key: &str,
        file_type: &str,
        delay_seconds: u32,
        _response: &str,
    ) -> Body<'static> {
        if url.is_empty() || url.len() > 1024 {
            return fault(9003, "Invalid URL");
        }
        if self.in_flight.len() + self.delayed_transfers.len() >= 4 {
            return fault(9004, "Too many transfers queued");
        }
        self.next_id += 1;
        let job = TransferJob {
            id: self.next_id,
            upload,
            url: url.to_string(),
            username: username.to_string(),
            password: password.to_string(),
            command_key: command_key.to_string(),
            file_type: file_type.to_string(),
        };
        self.after_session.push(AfterSession::Transfer(
            job,
            Duration::from_secs(u64::from(delay_seconds)),
        ));
        // Status 1: the transfer completes later, with a TransferComplete.
        let resp = TransferResponse {
            status: 1,
            start_time: UNKNOWN_TIME.into(),
            complete_time: UNKNOWN_TIME.into(),
        };
        if upload {
            Body::UploadResponse(resp)
        } else {
            Body::DownloadResponse(resp)
        }
    }

    /// Side effects of values the ACS changed.
    fn after_set(&mut self, now: Duration, changed: &[String]) {
        let root = self.model.root().to_string();
        let mut reschedule = false;
        let mut cr_changed = false;
        for name in changed {
            if let Some(prefix) = name.strip_suffix("DiagnosticsState") {
                if self.model.value(name) == Some("Requested") {
                    let prefix = prefix.to_string();
                    let dup = self
                        .after_session
                        .iter()
                        .any(|a| matches!(a, AfterSession::Diagnostics(p) if *p == prefix));
                    if !dup {
                        self.after_session.push(AfterSession::Diagnostics(prefix));
                    }
                }
            }
            let rel = name.strip_prefix(&root).unwrap_or(name);
            reschedule |= matches!(
                rel,
                "ManagementServer.PeriodicInformInterval" | "ManagementServer.PeriodicInformEnable"
            );
            cr_changed |= matches!(
                rel,
                "ManagementServer.ConnectionRequestUsername"
                    | "ManagementServer.ConnectionRequestPassword"
            );
        }
        if reschedule && !self.cfg.periodic_interval.is_zero() {
            self.periodic_due = self.periodic_interval().map(|i| now + i);
        }
        if cr_changed {
            let user = self
                .model
                .value(&self.rooted("ManagementServer.ConnectionRequestUsername"))
                .unwrap_or_default()
                .to_string();
            let password = self
                .model
                .value(&self.rooted("ManagementServer.ConnectionRequestPassword"))
                .unwrap_or_default()
                .to_string();
            self.actions
                .push_back(Action::CrCredentials { user, password });
        }
    }
}
