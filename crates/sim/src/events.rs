//! The CPE's persistent event queue: events stay until an InformResponse
//! acknowledges the Inform that carried them, and are repeated otherwise.

/// Bound on queued events whatever happens (real CPE keep a few dozen).
pub const MAX_EVENTS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedEvent {
    pub code: Box<str>,
    pub command_key: Box<str>,
}

#[derive(Debug, Clone, Default)]
pub struct EventQueue {
    events: Vec<QueuedEvent>,
}

impl EventQueue {
    /// Single events (`1 BOOT`, `2 PERIODIC`...) appear once; `M ...`
    /// events keep one entry per CommandKey.
    pub fn push(&mut self, code: &str, command_key: &str) {
        let multiple = code.starts_with("M ");
        let dup = self
            .events
            .iter()
            .any(|e| &*e.code == code && (!multiple || &*e.command_key == command_key));
        if dup {
            return;
        }
        if self.events.len() >= MAX_EVENTS {
            // Drop the oldest periodic-like event rather than a method event.
            let victim = self
                .events
                .iter()
                .position(|e| !e.code.starts_with("M ") && !e.code.starts_with('0'))
                .unwrap_or(0);
            self.events.remove(victim);
        }
        self.events.push(QueuedEvent {
            code: code.into(),
            command_key: command_key.into(),
        });
    }

    pub fn contains(&self, code: &str) -> bool {
        self.events.iter().any(|e| &*e.code == code)
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &QueuedEvent> {
        self.events.iter()
    }

    pub fn clear(&mut self) {
        self.events.clear();
    }

    /// Removes the events an acknowledged Inform carried, except those in
    /// `keep` (transfer events wait for TransferCompleteResponse).
    pub fn acknowledge(&mut self, delivered: &[QueuedEvent], keep: impl Fn(&QueuedEvent) -> bool) {
        self.events
            .retain(|e| keep(e) || !delivered.iter().any(|d| d == e));
    }

    pub fn remove_code(&mut self, code: &str) {
        self.events.retain(|e| &*e.code != code);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_events_dedupe_method_events_do_not() {
        let mut q = EventQueue::default();
        q.push("1 BOOT", "");
        q.push("1 BOOT", "");
        q.push("M Reboot", "a");
        q.push("M Reboot", "b");
        q.push("M Reboot", "a");
        assert_eq!(q.len(), 3);
    }

    #[test]
    fn bounded() {
        let mut q = EventQueue::default();
        for i in 0..1000 {
            q.push("M Download", &i.to_string());
        }
        assert_eq!(q.len(), MAX_EVENTS);
    }
}
