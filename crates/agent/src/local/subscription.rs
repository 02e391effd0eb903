//! `Device.LocalAgent.Subscription.{i}.`, kept typed: the notification
//! logic reads these fields directly.

use serde::{Deserialize, Serialize};
use usp::ErrorCode;

use crate::dm::value::format_date_time;
use crate::dm::Refusal;

/// `NotifType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NotifType {
    ValueChange,
    ObjectCreation,
    ObjectDeletion,
    OperationComplete,
    Event,
}

impl NotifType {
    pub fn as_str(self) -> &'static str {
        match self {
            NotifType::ValueChange => "ValueChange",
            NotifType::ObjectCreation => "ObjectCreation",
            NotifType::ObjectDeletion => "ObjectDeletion",
            NotifType::OperationComplete => "OperationComplete",
            NotifType::Event => "Event",
        }
    }

    fn parse(s: &str) -> Option<NotifType> {
        Some(match s {
            "ValueChange" => NotifType::ValueChange,
            "ObjectCreation" => NotifType::ObjectCreation,
            "ObjectDeletion" => NotifType::ObjectDeletion,
            "OperationComplete" => NotifType::OperationComplete,
            "Event" => NotifType::Event,
            _ => return None,
        })
    }
}

/// One subscription of one agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// The instance number.
    pub instance: u32,
    pub alias: String,
    pub enable: bool,
    /// The `Device.LocalAgent.Controller.{i}` instance that created it.
    pub recipient: Option<u32>,
    pub id: String,
    /// `None` until a controller sets it.
    pub notif_type: Option<NotifType>,
    /// Paths, as the controller wrote them.
    pub reference_list: Vec<String>,
    pub persistent: bool,
    pub time_to_live: u32,
    pub notif_retry: bool,
    pub notif_expiration: u32,
    /// Seconds since the Unix epoch.
    pub creation_date: u64,
    pub trigger_action: String,
}

/// Longest value a subscription keeps (a ReferenceList of many paths).
const MAX_VALUE_LEN: usize = 4096;

impl Subscription {
    /// When TimeToLive removes it (seconds since the Unix epoch); `None`
    /// for 0, which keeps it.
    pub(crate) fn expires(&self) -> Option<u64> {
        (self.time_to_live > 0).then(|| {
            self.creation_date
                .saturating_add(u64::from(self.time_to_live))
        })
    }

    pub(crate) fn new(instance: u32, recipient: Option<u32>, now: u64) -> Subscription {
        Subscription {
            instance,
            alias: format!("cpe-{instance}"),
            enable: false,
            recipient,
            // Unique per agent: instance numbers are never reused.
            id: format!("{instance}-{now:x}-gw"),
            notif_type: None,
            reference_list: Vec::new(),
            persistent: false,
            time_to_live: 0,
            notif_retry: false,
            notif_expiration: 0,
            creation_date: now,
            trigger_action: "Notify".into(),
        }
    }

    pub(crate) fn value(&self, item: &str) -> Option<String> {
        Some(match item {
            "Alias" => self.alias.clone(),
            "Enable" => self.enable.to_string(),
            "Recipient" => self
                .recipient
                .map(|c| format!("Device.LocalAgent.Controller.{c}"))
                .unwrap_or_default(),
            "ID" => self.id.clone(),
            "NotifType" => self.notif_type.map(NotifType::as_str).unwrap_or("").into(),
            "ReferenceList" => self.reference_list.join(","),
            "Persistent" => self.persistent.to_string(),
            "TimeToLive" => self.time_to_live.to_string(),
            "NotifRetry" => self.notif_retry.to_string(),
            "NotifExpiration" => self.notif_expiration.to_string(),
            "CreationDate" => format_date_time(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(self.creation_date),
            ),
            "TriggerAction" => self.trigger_action.clone(),
            "TriggerConfigSettings" => String::new(),
            _ => return None,
        })
    }

    /// Writes a field the engine has type-checked.
    pub(crate) fn set(&mut self, item: &str, v: &str) -> Result<(), Refusal> {
        if v.len() > MAX_VALUE_LEN {
            return Err(Refusal::new(ErrorCode::InvalidValue, "value too long"));
        }
        let b = || matches!(v, "true" | "1");
        let n = || {
            v.parse::<u32>()
                .map_err(|_| Refusal::new(ErrorCode::InvalidValue, "out of range"))
        };
        match item {
            "Alias" => self.alias = v.into(),
            "Enable" => self.enable = b(),
            "ID" => {
                if v.is_empty() {
                    return Err(Refusal::new(ErrorCode::InvalidValue, "ID may not be empty"));
                }
                self.id = v.into()
            }
            "NotifType" => {
                let t = NotifType::parse(v).ok_or_else(|| {
                    Refusal::new(ErrorCode::InvalidValue, format!("{v:?} is not a NotifType"))
                })?;
                self.notif_type = Some(t);
            }
            "ReferenceList" => {
                // Immutable once set (TR-181): a new list means a new
                // subscription.
                if !self.reference_list.is_empty() {
                    return Err(Refusal::new(
                        ErrorCode::ParameterReadOnly,
                        "ReferenceList cannot change once set",
                    ));
                }
                self.reference_list = v
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
            "Persistent" => self.persistent = b(),
            "TimeToLive" => self.time_to_live = n()?,
            "NotifRetry" => self.notif_retry = b(),
            "NotifExpiration" => self.notif_expiration = n()?,
            "TriggerAction" => match v {
                "Notify" | "Config" | "NotifyAndConfig" => self.trigger_action = v.into(),
                _ => {
                    return Err(Refusal::new(
                        ErrorCode::InvalidValue,
                        format!("{v:?} is not a TriggerAction"),
                    ))
                }
            },
            _ => {
                return Err(Refusal::new(
                    ErrorCode::ParameterReadOnly,
                    format!("{item} is not writable"),
                ))
            }
        }
        Ok(())
    }
}
