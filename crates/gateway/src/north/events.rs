//! What a CPE's Inform and TransferComplete tell a USP agent: `Device.Boot!`,
//! ValueChange and `Device.LocalAgent.TransferComplete!` (TR-369 §Notify;
//! ../shared/reference/interworking.md §2). Pure: the tokio loop feeds in
//! what the ACS reported and hands the Happenings to `Agents::notify`.
//!
//! The CPE's Inform does not say everything a Boot! carries, so a little is
//! remembered per device, in memory (lost on restart, which only makes the
//! next Boot! say less): whether the gateway asked for a FactoryReset, and
//! whether a firmware Download completed since the last boot.
//!
//! ValueChange: every Inform carries the forced-inform parameters
//! (DeviceInfo versions, ConnectionRequestURL, …) whether they changed or
//! not, so for those the last informed value is kept and only a real
//! change is told; a forced parameter first seen after a restart is not.
//!
//! Boot!'s ParameterMap holds the BootParameters' values: those the
//! Inform carries, and the rest read from the CPE in the same session
//! ([`Memory::take_boot_read`], [`Memory::boot_read`]); the Boot! waits
//! for that read, as it waits for a TransferComplete in that session.

use std::collections::{BTreeMap, HashMap};

use agent::Happening;
use interwork::dialect::Root;
use tracing::debug;

/// Devices remembered; beyond it one is forgotten for each new one.
const MAX_DEVICES: usize = 262_144;
/// Forced-inform values kept per device (a few, plus interface addresses).
const MAX_FORCED: usize = 32;
/// BootParameter names read per boot, and values kept in a ParameterMap.
const MAX_BOOT_READ: usize = 64;
const MAX_BOOT_VALUES: usize = 1024;
/// The `completes` path of the gateway's read of BootParameters: no
/// Request has it.
pub(super) const BOOT_READ: &str = "Device.Boot!";

/// Forced-inform parameters (TR-069 Annex / TR-181 forcedInform), as
/// TR-181 names them.
const FORCED: &[&str] = &[
    "Device.RootDataModelVersion",
    "Device.DeviceInfo.HardwareVersion",
    "Device.DeviceInfo.SoftwareVersion",
    "Device.DeviceInfo.ProvisioningCode",
    "Device.DeviceInfo.SpecVersion",
    "Device.DeviceInfo.Manufacturer",
    "Device.DeviceInfo.ManufacturerOUI",
    "Device.DeviceInfo.ProductClass",
    "Device.DeviceInfo.SerialNumber",
    "Device.ManagementServer.ParameterKey",
    "Device.ManagementServer.ConnectionRequestURL",
    "Device.ManagementServer.AliasBasedAddressing",
];

const BOOT_OBJECT: &str = "Device.";
const TRANSFER_OBJECT: &str = "Device.LocalAgent.";

/// An Inform, as the ACS reported it.
pub(super) struct Informed<'a> {
    pub events: &'a [String],
    /// (EventCode, CommandKey) of its "M …" events.
    pub command_keys: &'a [(String, String)],
    pub params: &'a [(String, String)],
    pub replay: bool,
}

/// A TransferComplete or AutonomousTransferComplete.
pub(super) struct TransferDone<'a> {
    pub command_key: &'a str,
    pub fault_code: u32,
    pub fault_string: &'a str,
    pub start_time: &'a str,
    pub complete_time: &'a str,
    /// An AutonomousTransferComplete: what it says.
    pub autonomous: Option<&'a acs::AutonomousTransfer>,
    /// The agent's Request it completes, when one matched.
    pub request: Option<&'a agent::local::request::Request>,
}

#[derive(Default)]
struct Device {
    factory_reset_asked: bool,
    firmware_updated: bool,
    forced: Vec<(String, String)>,
    /// A Boot! waiting for what the Inform could not say.
    pending_boot: Option<Box<PendingBoot>>,
    /// BootParameters to read for the pending Boot!, until taken.
    boot_read: Vec<String>,
}

struct PendingBoot {
    args: BTreeMap<String, String>,
    map: serde_json::Map<String, serde_json::Value>,
    /// FirmwareUpdated waits for this session's TransferComplete ("1
    /// BOOT" + "M Download": the transfer is told after the Inform).
    awaits_transfer: bool,
    /// ParameterMap waits for a read of BootParameters the Inform lacks.
    awaits_read: bool,
}

impl PendingBoot {
    /// The Boot!, once nothing is awaited.
    fn ready(self: Box<Self>) -> Result<Happening, Box<Self>> {
        if self.awaits_transfer || self.awaits_read {
            return Err(self);
        }
        let mut args = self.args;
        let map = serde_json::Value::Object(self.map).to_string();
        args.insert("ParameterMap".to_owned(), map);
        Ok(boot(args))
    }
}

/// What the gateway remembers of each device between its Informs, by
/// agent endpoint ID.
#[derive(Default)]
pub(super) struct Memory {
    devices: HashMap<String, Device>,
}

impl Memory {
    fn device(&mut self, eid: &str) -> &mut Device {
        if !self.devices.contains_key(eid) && self.devices.len() >= MAX_DEVICES {
            if let Some(k) = self.devices.keys().next().cloned() {
                self.devices.remove(&k);
            }
        }
        self.devices.entry(eid.to_owned()).or_default()
    }

    /// The gateway sent the CPE a FactoryReset: its next "0 BOOTSTRAP" is
    /// a RemoteFactoryReset.
    pub fn factory_reset_asked(&mut self, eid: &str) {
        self.device(eid).factory_reset_asked = true;
    }

    /// The Happenings of an Inform. `boot_parameters` are the agent's
    /// BootParameter names (TR-181, possibly partial paths).
    pub fn informed(
        &mut self,
        eid: &str,
        inform: &Informed<'_>,
        root: Root,
        boot_parameters: &[String],
    ) -> Vec<Happening> {
        if inform.replay {
            return Vec::new();
        }
        let has = |code: &str| inform.events.iter().any(|e| e == code);
        let params: Vec<(String, &str)> = inform
            .params
            .iter()
            .filter_map(|(n, v)| match root.from_cpe(n) {
                Some(name) => Some((name.into_owned(), v.as_str())),
                None => {
                    debug!(agent = eid, name = %n, "informed parameter with no USP name");
                    None
                }
            })
            .collect();
        let dev = self.device(eid);
        let mut out = Vec::new();
        let value_change = has("4 VALUE CHANGE");
        for (name, value) in &params {
            if !is_forced(name) {
                if value_change {
                    out.push(Happening::ValueChange {
                        path: name.clone(),
                        value: (*value).to_owned(),
                    });
                }
                continue;
            }
            let full = dev.forced.len() >= MAX_FORCED;
            match dev.forced.iter_mut().find(|(n, _)| n == name) {
                Some(slot) if slot.1 != *value => {
                    slot.1 = (*value).to_owned();
                    if value_change {
                        out.push(Happening::ValueChange {
                            path: name.clone(),
                            value: (*value).to_owned(),
                        });
                    }
                }
                Some(_) => {}
                None if !full => {
                    dev.forced.push((name.clone(), (*value).to_owned()));
                }
                None => {}
            }
        }
        if has("1 BOOT") || has("0 BOOTSTRAP") {
            let key_of = |code: &str| {
                inform
                    .command_keys
                    .iter()
                    .find(|(c, _)| c == code)
                    .map(|(_, k)| k.clone())
            };
            let reboot_key = key_of("M Reboot");
            let (cause, key) = if has("0 BOOTSTRAP") && dev.factory_reset_asked {
                ("RemoteFactoryReset", String::new())
            } else if let Some(k) = reboot_key {
                ("RemoteReboot", k)
            } else if has("0 BOOTSTRAP") {
                ("LocalFactoryReset", String::new())
            } else {
                ("LocalReboot", String::new())
            };
            let mut args = BTreeMap::from([
                ("CommandKey".to_owned(), key),
                ("Cause".to_owned(), cause.to_owned()),
            ]);
            let awaits_transfer = key_of("M Download").is_some();
            if !awaits_transfer {
                let firmware = std::mem::take(&mut dev.firmware_updated);
                args.insert("FirmwareUpdated".to_owned(), firmware.to_string());
            }
            dev.factory_reset_asked = false;
            // A partial path, or a name the Inform lacks, is read from the
            // CPE in this session.
            dev.boot_read = boot_parameters
                .iter()
                .filter(|w| !params.iter().any(|(n, _)| n == *w))
                .take(MAX_BOOT_READ)
                .cloned()
                .collect();
            let pending = Box::new(PendingBoot {
                args,
                map: parameter_map(&params, boot_parameters),
                awaits_transfer,
                awaits_read: !dev.boot_read.is_empty(),
            });
            match pending.ready() {
                Ok(boot) => out.push(boot),
                Err(p) => dev.pending_boot = Some(p),
            }
        }
        out
    }

    /// The Happenings of a TransferComplete: TransferComplete!, then the
    /// Boot! that waited for it. `firmware` says it completed a firmware
    /// `Download()` of the agent.
    pub fn transfer(&mut self, eid: &str, t: &TransferDone<'_>, firmware: bool) -> Vec<Happening> {
        let dev = self.device(eid);
        let mut out = vec![transfer_complete(t)];
        let ok = t.fault_code == 0;
        match dev.pending_boot.as_mut().filter(|p| p.awaits_transfer) {
            Some(p) => {
                let updated = (ok && t.autonomous.is_none()).to_string();
                p.args.insert("FirmwareUpdated".to_owned(), updated);
                p.awaits_transfer = false;
                out.extend(dev.release_boot());
            }
            None if ok && firmware => dev.firmware_updated = true,
            None => {}
        }
        out
    }

    /// The CPE's session ended: a Boot! still waiting for a
    /// TransferComplete goes out without it (a read still holds it).
    pub fn session_ended(&mut self, eid: &str) -> Vec<Happening> {
        let Some(dev) = self.devices.get_mut(eid) else {
            return Vec::new();
        };
        let Some(p) = dev.pending_boot.as_mut().filter(|p| p.awaits_transfer) else {
            return Vec::new();
        };
        let firmware = std::mem::take(&mut dev.firmware_updated);
        p.args
            .insert("FirmwareUpdated".to_owned(), firmware.to_string());
        p.awaits_transfer = false;
        dev.release_boot().into_iter().collect()
    }

    /// The BootParameters the pending Boot! needs read, once.
    pub fn take_boot_read(&mut self, eid: &str) -> Vec<String> {
        self.devices
            .get_mut(eid)
            .map(|d| std::mem::take(&mut d.boot_read))
            .unwrap_or_default()
    }

    /// The read of BootParameters ended with `values` (none if it
    /// failed): the Boot! that waited for it, unless a transfer still
    /// holds it.
    pub fn boot_read(&mut self, eid: &str, values: Vec<(String, String)>) -> Vec<Happening> {
        let Some(dev) = self.devices.get_mut(eid) else {
            return Vec::new();
        };
        let Some(p) = dev.pending_boot.as_mut().filter(|p| p.awaits_read) else {
            return Vec::new();
        };
        for (n, v) in values.into_iter().take(MAX_BOOT_VALUES) {
            p.map.insert(n, serde_json::Value::String(v));
        }
        p.awaits_read = false;
        dev.release_boot().into_iter().collect()
    }
}

impl Device {
    fn release_boot(&mut self) -> Option<Happening> {
        match self.pending_boot.take()?.ready() {
            Ok(boot) => Some(boot),
            Err(p) => {
                self.pending_boot = Some(p);
                None
            }
        }
    }
}

/// A TR-098 Inform's parameters under the TR-181 names its mapping gives
/// them (one TR-098 parameter may feed several), values transformed.
pub(super) fn mapped_params(
    view: &mapping::View,
    params: &[(String, String)],
) -> Vec<(String, String)> {
    params
        .iter()
        .flat_map(|(n, v)| {
            view.from_cpe(n)
                .iter()
                .map(move |usp| (usp.clone(), view.value_from_cpe(usp, v)))
        })
        .collect()
}

/// The dialect a CPE writes, told by its Inform's names.
pub(super) fn root_of(params: &[(String, String)]) -> Root {
    let tr098 = params
        .iter()
        .any(|(n, _)| n.starts_with(interwork::dialect::TR098_ROOT));
    if tr098 {
        Root::Tr098
    } else {
        Root::Tr181
    }
}

fn is_forced(name: &str) -> bool {
    FORCED.contains(&name)
        || (name.starts_with("Device.IP.Interface.") && name.ends_with(".IPAddress"))
}

fn boot(params: BTreeMap<String, String>) -> Happening {
    Happening::Event {
        obj_path: BOOT_OBJECT.to_owned(),
        event_name: "Boot!".to_owned(),
        params,
    }
}

/// The BootParameters' values the Inform carries; a name ending in a dot
/// takes every parameter under it.
fn parameter_map(
    params: &[(String, &str)],
    names: &[String],
) -> serde_json::Map<String, serde_json::Value> {
    let mut map = serde_json::Map::new();
    for (n, v) in params {
        let wanted = names
            .iter()
            .any(|w| w == n || (w.ends_with('.') && n.starts_with(w.as_str())));
        if wanted {
            map.insert(n.clone(), serde_json::Value::String((*v).to_owned()));
        }
    }
    map
}

mod transfer;
use transfer::transfer_complete;

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
