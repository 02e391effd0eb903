//! The TR-181 instance numbers the gateway deals a TR-098 CPE's mapped
//! objects (`mapping::Instances`), kept in the registry's agent-state
//! table under `map/<eid>` so that a restart, or a kill -9, gives every
//! instance the number a controller already knows. Written with the
//! batch of agent states that follows the plan that changed them, before
//! its answer goes out.

use std::collections::HashMap;

use mapping::Instances;
use tracing::warn;

/// Agent-state keys: `map/<eid>`. Endpoint IDs start with their scheme
/// (`os::`), so these never meet an agent's own key.
pub const KEY_PREFIX: &str = "map/";

#[derive(Default)]
pub struct InstanceMaps {
    maps: HashMap<String, Instances>,
    /// Changed maps to write with the next batch of agent states.
    pub persist: Vec<(String, Option<Vec<u8>>)>,
}

impl InstanceMaps {
    /// Takes back a stored map; false if `key` is not one.
    pub fn restore(&mut self, key: &str, bytes: &[u8]) -> bool {
        let Some(eid) = key.strip_prefix(KEY_PREFIX) else {
            return false;
        };
        match serde_json::from_slice::<Instances>(bytes) {
            Ok(m) => {
                self.maps.insert(eid.to_owned(), m);
            }
            Err(e) => warn!(agent = eid, error = %e, "instance map unreadable: numbering afresh"),
        }
        true
    }

    /// The numbers dealt to `agent`'s device so far.
    pub fn of(&self, agent: &str) -> Instances {
        self.maps.get(agent).cloned().unwrap_or_default()
    }

    /// A plan ended with this map: kept, and written if it changed.
    pub fn learned(&mut self, agent: &str, map: &Instances) {
        if self.maps.get(agent) == Some(map) {
            return;
        }
        match serde_json::to_vec(map) {
            Ok(bytes) => self
                .persist
                .push((format!("{KEY_PREFIX}{agent}"), Some(bytes))),
            Err(e) => warn!(agent, error = %e, "instance map not stored"),
        }
        self.maps.insert(agent.to_owned(), map.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_map_is_written_once_and_read_back() {
        let mut maps = InstanceMaps::default();
        let mut m = Instances::default();
        m.number("Device.NAT.PortMapping.", "IGD.X.PortMapping.2.");
        maps.learned("os::A-1", &m);
        maps.learned("os::A-1", &m);
        assert_eq!(maps.persist.len(), 1);
        let (key, bytes) = maps.persist.pop().unwrap();
        let mut back = InstanceMaps::default();
        assert!(back.restore(&key, &bytes.unwrap()));
        assert_eq!(back.of("os::A-1"), m);
        assert!(!back.restore("os::A-1", b"{}"), "an agent's own key");
        assert!(
            back.restore("map/os::B-2", b"garbage"),
            "unreadable, still ours"
        );
        assert_eq!(back.of("os::B-2"), Instances::default());
    }
}
