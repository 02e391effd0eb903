//! Provisioning on first contact: one SetParameterValues on the device's
//! ManagementServer with connection-request credentials of its own and the
//! operator's periodic Inform settings. The credentials enter the registry
//! only once the CPE accepted them.

use std::time::Duration;

use cwmp::{Body, ParameterValue, SetParameterValues, Value, ValueType};

use crate::entropy::random_hex;
use crate::exchange::{CommitTicket, Event};
use crate::{DeviceKey, DeviceRecord, Engine, Provisioning, Secret, Store};

/// What we are about to set on one device.
pub(crate) struct Offer {
    /// `Device.` or `InternetGatewayDevice.`
    root: String,
    username: String,
    password: Secret,
}

/// Marks the device's configuration as ours (ParameterKey is at most 32
/// characters).
const PARAMETER_KEY: &str = "cwmp2usp-provisioning";

impl<S: Store> Engine<S> {
    /// Fresh credentials for `record` if it is due for provisioning.
    pub(crate) fn provision_offer(
        &mut self,
        record: &DeviceRecord,
        now: Duration,
    ) -> Option<Offer> {
        let cfg = self.config.provision.as_ref()?;
        if record.root.is_empty() {
            // No parameter told us the data model: nothing safe to name.
            return None;
        }
        let due = match record.provisioning {
            Provisioning::Needed => true,
            Provisioning::Done { .. } => false,
            Provisioning::Failed { at, .. } => now >= at + cfg.retry_backoff,
        };
        if !due {
            return None;
        }
        let username = format!("cwmp2usp-{}", random_hex(&mut self.random, 8)?);
        let password = Secret::new(random_hex(&mut self.random, 16)?);
        Some(Offer {
            root: record.root.clone(),
            username,
            password,
        })
    }

    /// The SetParameterValues carrying `offer`.
    pub(crate) fn provision_rpc(&self, offer: &Offer) -> Body<'static> {
        let interval = self
            .config
            .provision
            .as_ref()
            .map_or(0, |p| p.periodic_inform_interval);
        let ms = |rel: &str| format!("{}ManagementServer.{rel}", offer.root);
        let string = |v: &str| Value::new(ValueType::String, v.to_string());
        Body::SetParameterValues(SetParameterValues {
            parameter_list: vec![
                ParameterValue::new(ms("ConnectionRequestUsername"), string(&offer.username)),
                ParameterValue::new(
                    ms("ConnectionRequestPassword"),
                    string(offer.password.expose()),
                ),
                ParameterValue::new(
                    ms("PeriodicInformEnable"),
                    Value::new(ValueType::Boolean, "true"),
                ),
                ParameterValue::new(
                    ms("PeriodicInformInterval"),
                    Value::new(ValueType::UnsignedInt, interval.to_string()),
                ),
            ],
            parameter_key: PARAMETER_KEY.into(),
        })
    }

    /// Records the CPE's answer to our SetParameterValues; the reply to
    /// the exchange that carried it must wait for the returned ticket.
    pub(crate) fn provision_answered(
        &mut self,
        now: Duration,
        sid: u64,
        device: &DeviceKey,
        offer: Offer,
        answer: &Body<'_>,
    ) -> Option<CommitTicket> {
        // Unreadable: the answer stays unrecorded and the offer is made
        // again after the backoff, as for a lost answer.
        let mut record = self.device(device).ok().flatten()?;
        match answer {
            // 1: applied, effective after the CPE commits or reboots.
            Body::SetParameterValuesResponse(r) if matches!(r.status, 0 | 1) => {
                record.connection_request_username = Some(offer.username);
                record.connection_request_password = Some(offer.password);
                record.provisioning = Provisioning::Done { at: now };
            }
            Body::Fault(f) => {
                record.provisioning = Provisioning::Failed {
                    at: now,
                    fault: f.fault_code(),
                };
            }
            _ => {
                record.provisioning = Provisioning::Failed {
                    at: now,
                    fault: None,
                };
            }
        }
        let event = Event::Provisioned {
            device: device.clone(),
            state: record.provisioning,
        };
        Some(self.stage(record, sid, vec![event]))
    }

    /// The session ended with our SetParameterValues unanswered: counts as
    /// a failure, so a CPE that drops the connection on it is not sent it
    /// again at once.
    pub(crate) fn provision_unanswered(&mut self, device: &DeviceKey, at: Duration) {
        let Ok(Some(mut record)) = self.device(device) else {
            return;
        };
        record.provisioning = Provisioning::Failed { at, fault: None };
        self.events.push_back(Event::Provisioned {
            device: device.clone(),
            state: record.provisioning,
        });
        self.stage_quietly(record);
    }
}
