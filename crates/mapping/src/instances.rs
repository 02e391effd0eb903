//! Stable TR-181 instance numbers for one CPE. A TR-181 instance made
//! from TR-098 objects has no number of its own on the CPE (a split gives
//! three tables one WLANConfiguration; IP.Interface gathers WAN and LAN
//! connections), so the gateway hands them out and keeps them: the
//! gateway persists this with the device's other state, and a number is
//! never given to another source, even after its source went (USP's
//! instance numbers are never reused while the agent lives).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Tables kept per CPE, and sources per table: beyond them nothing new
/// is numbered (a hostile listing cannot grow this without bound).
pub const MAX_TABLES: usize = 4096;
pub const MAX_PER_TABLE: usize = 4096;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instances {
    /// By concrete TR-181 table path (`Device.IP.Interface.2.IPv4Address.`).
    tables: BTreeMap<String, Table>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Table {
    /// The last number handed out.
    last: u32,
    /// Source (the TR-098 instance path, `#item` for list items) → number.
    by_source: BTreeMap<String, u32>,
}

impl Instances {
    /// The number of `source` in `table`, handed out now if it has none;
    /// `None` when the limits are reached.
    pub fn number(&mut self, table: &str, source: &str) -> Option<u32> {
        if !self.tables.contains_key(table) && self.tables.len() >= MAX_TABLES {
            return None;
        }
        let t = self.tables.entry(table.to_owned()).or_default();
        if let Some(n) = t.by_source.get(source) {
            return Some(*n);
        }
        if t.by_source.len() >= MAX_PER_TABLE || t.last == u32::MAX {
            return None;
        }
        t.last += 1;
        t.by_source.insert(source.to_owned(), t.last);
        Some(t.last)
    }

    /// Forgets sources no longer seen; their numbers stay used. `seen`
    /// holds (table, source) pairs of the latest discovery.
    pub fn retain(&mut self, seen: &std::collections::HashSet<(String, String)>) {
        for (table, t) in &mut self.tables {
            t.by_source
                .retain(|source, _| seen.contains(&(table.clone(), source.clone())));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_stable_and_never_reused() {
        let mut i = Instances::default();
        let t = "Device.WiFi.SSID.";
        assert_eq!(i.number(t, "IGD.LANDevice.1.WLANConfiguration.1."), Some(1));
        assert_eq!(i.number(t, "IGD.LANDevice.1.WLANConfiguration.2."), Some(2));
        assert_eq!(i.number(t, "IGD.LANDevice.1.WLANConfiguration.1."), Some(1));
        let seen = [(
            t.to_owned(),
            "IGD.LANDevice.1.WLANConfiguration.2.".to_owned(),
        )];
        i.retain(&seen.into_iter().collect());
        assert_eq!(i.number(t, "IGD.LANDevice.1.WLANConfiguration.1."), Some(3));
        let json = serde_json::to_string(&i).unwrap();
        let back: Instances = serde_json::from_str(&json).unwrap();
        assert_eq!(back, i);
    }
}
