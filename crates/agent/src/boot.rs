//! What `Device.Boot!` reports: the parameters controllers asked for in
//! `Controller.{i}.BootParameter.{j}.` (its ParameterMap). The gateway
//! reads their values from the CPE.

use crate::agents::Agents;
use crate::dm::Data;
use crate::local::{View, BOOT_PARAMETER};
use crate::route::enabled_controllers;

impl Agents {
    /// The `ParameterName` of every enabled BootParameter of every enabled
    /// controller of `eid`, in order, once each, empty names left out.
    pub fn boot_parameters(&self, eid: &str) -> Vec<String> {
        let Some(agent) = self.agents.get(eid) else {
            return Vec::new();
        };
        // The Data view wants a mutable agent; a copy keeps this read-only.
        let mut local = agent.local.clone();
        let view = View {
            schema: &self.schema,
            config: &self.config,
            eid,
            agent: &mut local,
            now: 0,
            requester: None,
        };
        let mut out: Vec<String> = Vec::new();
        for c in enabled_controllers(&view) {
            for j in view.instances(BOOT_PARAMETER, &[c]) {
                let get = |item: &str| view.value(&format!("{BOOT_PARAMETER}{item}"), &[c, j]);
                if get("Enable").as_deref() != Some("true") {
                    continue;
                }
                if let Some(name) = get("ParameterName").filter(|n| !n.is_empty()) {
                    if !out.contains(&name) {
                        out.push(name);
                    }
                }
            }
        }
        out
    }
}
