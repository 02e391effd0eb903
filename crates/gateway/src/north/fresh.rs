//! Values read from CPE that a Get may serve again for a while
//! (`--get-max-age`). Only parameters an operator listed are kept, so the
//! store is bounded by those rules times the devices.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cwmp::ValueType;
use interwork::model::template;

/// Values kept per device at most.
const MAX_PER_DEVICE: usize = 512;

/// (`{i}` path or subtree ending in `.`, max age).
pub type Rules = Arc<[(String, Duration)]>;

/// How long the value of `path` may be served from cache, if at all.
pub fn max_age(rules: &Rules, path: &str) -> Option<Duration> {
    if rules.is_empty() {
        return None;
    }
    let t = template(path);
    rules
        .iter()
        .filter(|(r, _)| *r == t || (r.ends_with('.') && t.starts_with(r.as_str())))
        .map(|(_, age)| *age)
        .min()
}

struct Entry {
    value: String,
    ty: ValueType,
    at: Instant,
}

pub struct Fresh {
    rules: Rules,
    by_device: HashMap<String, HashMap<String, Entry>>,
}

impl Fresh {
    pub fn new(rules: Rules) -> Fresh {
        Fresh {
            rules,
            by_device: HashMap::new(),
        }
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The device's values still within their max age at `now`.
    pub fn fresh(&self, agent: &str, now: Instant) -> Vec<(String, String, ValueType)> {
        let Some(values) = self.by_device.get(agent) else {
            return Vec::new();
        };
        values
            .iter()
            .filter(|(p, e)| {
                max_age(&self.rules, p).is_some_and(|age| now.duration_since(e.at) <= age)
            })
            .map(|(p, e)| (p.clone(), e.value.clone(), e.ty))
            .collect()
    }

    /// Keeps values just read from the device (already filtered by the
    /// rules).
    pub fn keep(&mut self, agent: &str, values: Vec<(String, String, ValueType)>, now: Instant) {
        if values.is_empty() {
            return;
        }
        let kept = self.by_device.entry(agent.to_owned()).or_default();
        for (path, value, ty) in values {
            if kept.len() >= MAX_PER_DEVICE && !kept.contains_key(&path) {
                continue;
            }
            kept.insert(path, Entry { value, ty, at: now });
        }
    }

    /// The device was reset or changed firmware: nothing read before holds.
    pub fn forget(&mut self, agent: &str) {
        self.by_device.remove(agent);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_listed_values_within_their_age() {
        let rules: Rules = vec![
            ("Device.DeviceInfo.".to_owned(), Duration::from_secs(60)),
            (
                "Device.WiFi.SSID.{i}.SSID".to_owned(),
                Duration::from_secs(5),
            ),
        ]
        .into();
        assert_eq!(
            max_age(&rules, "Device.WiFi.SSID.2.SSID"),
            Some(Duration::from_secs(5))
        );
        assert_eq!(max_age(&rules, "Device.WiFi.SSID.2.Enable"), None);
        let mut f = Fresh::new(rules);
        let t0 = Instant::now();
        let v = |p: &str| (p.to_owned(), "x".to_owned(), ValueType::String);
        f.keep(
            "a",
            vec![
                v("Device.DeviceInfo.ModelName"),
                v("Device.WiFi.SSID.1.SSID"),
            ],
            t0,
        );
        assert_eq!(f.fresh("a", t0 + Duration::from_secs(3)).len(), 2);
        let later = f.fresh("a", t0 + Duration::from_secs(30));
        assert_eq!(later.len(), 1);
        assert_eq!(later[0].0, "Device.DeviceInfo.ModelName");
        assert!(f.fresh("b", t0).is_empty());
        f.forget("a");
        assert!(f.fresh("a", t0).is_empty());
    }
}
