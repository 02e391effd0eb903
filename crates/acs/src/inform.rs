//! A session's first message: the Inform. Who may send it, whether it
//! repeats one we already stored, and what it changes in the registry.

use std::time::Duration;

use cwmp::{Body, CwmpVersion, Envelope, Inform, InformResponse};

use crate::entropy::random_hex;
use crate::exchange::{Event, Reply, Request};
use crate::session::Session;
use crate::{DeviceKey, DeviceRecord, Engine, Provisioning, Store};

impl<S: Store> Engine<S> {
    pub(crate) fn start(&mut self, now: Duration, req: Request<'_>, env: Envelope<'_>) -> Reply {
        let inform = match env.body {
            Body::Inform(inform) => inform,
            // An empty POST outside a session: nothing to do.
            Body::Empty => return Reply::status(204),
            _ => return Reply::closing(400),
        };
        let id = &inform.device_id;
        let device = DeviceKey {
            oui: id.oui.to_string(),
            product_class: id.product_class.to_string(),
            serial: id.serial_number.to_string(),
        };
        if let Some(user) = req.user {
            // Shared credentials bind to no device; a device's own bind to it.
            let cred = match self.store.credential(user) {
                Ok(c) => c,
                Err(e) => return self.store_unreadable(&device, &e),
            };
            if let Some(cred) = cred {
                if cred.device != device {
                    self.events.push_back(Event::IdentityRefused {
                        user: user.to_string(),
                        device: device.clone(),
                        device_of_user: cred.device,
                    });
                    return Reply {
                        device: Some(device),
                        ..Reply::closing(403)
                    };
                }
            }
        }
        if self.by_device.contains_key(&device)
            || self.sessions.len() >= self.config.max_sessions
            || !self.can_stage()
        {
            return Reply {
                device: Some(device),
                ..self.try_later()
            };
        }
        let previous = match self.device(&device) {
            Ok(p) => p,
            Err(e) => return self.store_unreadable(&device, &e),
        };
        let replay = previous.as_ref().is_some_and(|p| is_replay(p, &inform));
        let record = merge(previous, now, &device, env.version, &inform, replay);
        let Some(cookie) = random_hex(&mut self.random, 16) else {
            return Reply {
                device: Some(device),
                ..self.try_later()
            };
        };
        let provision = self.provision_offer(&record, now);
        self.next_session += 1;
        let sid = self.next_session;
        self.by_conn.insert(req.conn, sid);
        self.by_cookie.insert(cookie.clone(), sid);
        self.by_device.insert(device.clone(), sid);
        self.sessions.insert(
            sid,
            Session {
                device: device.clone(),
                version: env.version,
                conn: req.conn,
                cookie: cookie.clone(),
                user: req.user.map(str::to_string),
                started: now,
                last_seen: now,
                outstanding: None,
                provision,
                parked: None,
            },
        );
        let informed = Event::Informed {
            device: device.clone(),
            events: inform
                .event
                .iter()
                .map(|e| e.event_code.to_string())
                .collect(),
            replay,
            software_version: record
                .params
                .iter()
                .find(|(n, _)| n.ends_with(".DeviceInfo.SoftwareVersion"))
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
            params: inform
                .parameter_list
                .iter()
                .map(|p| (p.name.to_string(), p.value.text.to_string()))
                .collect(),
            command_keys: inform
                .event
                .iter()
                .filter(|e| e.event_code.starts_with("M "))
                .map(|e| (e.event_code.to_string(), e.command_key.to_string()))
                .collect(),
            received: now,
        };
        let ticket = self.stage(record, sid, vec![informed]);
        let mut answer = Envelope::new(
            env.version,
            Body::InformResponse(InformResponse { max_envelopes: 1 }),
        );
        answer.header.id = env.header.id.map(|i| i.into_owned().into());
        Reply {
            set_cookie: Some(cookie),
            commit: Some(ticket),
            device: Some(device),
            ..Reply::envelope(&answer)
        }
    }
}

/// A CPE resending an Inform we stored but whose InformResponse it never
/// saw: RetryCount > 0, the same events, and no value we do not already
/// hold. Requiring the values too keeps a genuinely new Inform that merely
/// repeats event codes (a second "4 VALUE CHANGE" after a failed commit)
/// from being taken for a replay and losing its changes.
fn is_replay(previous: &DeviceRecord, inform: &Inform<'_>) -> bool {
    if inform.retry_count == 0 {
        return false;
    }
    let mut now_events: Vec<&str> = inform.event.iter().map(|e| e.event_code.as_ref()).collect();
    let mut then_events: Vec<&str> = previous.last_events.iter().map(String::as_str).collect();
    now_events.sort_unstable();
    then_events.sort_unstable();
    now_events == then_events
        && inform.parameter_list.iter().all(|p| {
            previous
                .params
                .iter()
                .any(|(n, v)| n == p.name.as_ref() && v == p.value.text.as_ref())
        })
}

/// The device's record after this Inform. A replay changes nothing but the
/// time of contact: in particular a replayed "0 BOOTSTRAP" does not wipe
/// again what the first one's session may have learnt.
fn merge(
    previous: Option<DeviceRecord>,
    now: Duration,
    device: &DeviceKey,
    version: CwmpVersion,
    inform: &Inform<'_>,
    replay: bool,
) -> DeviceRecord {
    let mut record = previous.unwrap_or_else(|| DeviceRecord::new(device.clone(), now));
    record.last_inform = now;
    record.cwmp_version = version.to_string();
    if replay {
        return record;
    }
    if inform.event.iter().any(|e| e.event_code == "0 BOOTSTRAP") {
        // A new or factory-reset device: what we knew, and what we had set
        // on it, is gone.
        record.params.clear();
        record.connection_request_url = None;
        record.connection_request_username = None;
        record.connection_request_password = None;
        record.provisioning = Provisioning::Needed;
    }
    record.manufacturer = inform.device_id.manufacturer.to_string();
    record.last_events = inform
        .event
        .iter()
        .map(|e| e.event_code.to_string())
        .collect();
    for p in &inform.parameter_list {
        let name = p.name.as_ref();
        if record.root.is_empty() {
            if let Some(dot) = name.find('.') {
                record.root = name[..=dot].to_string();
            }
        }
        if name.ends_with("ManagementServer.ConnectionRequestURL") {
            record.connection_request_url = Some(p.value.text.to_string());
        }
        let value = p.value.text.to_string();
        match record.params.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => record.params.push((name.to_string(), value)),
        }
    }
    record
}
