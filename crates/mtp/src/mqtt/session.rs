//! One agent's connection life, sans-IO: CONNACK → SUBSCRIBE → SUBACK →
//! up, and back to nothing when the connection goes. The shells feed it
//! what rumqttc reports and do what it answers.

use std::sync::Arc;

use super::topic::{reply_topic_granted, subscribe_plan};

#[derive(Debug)]
enum State {
    Connecting,
    Subscribing {
        filters: Vec<String>,
        reply: Arc<str>,
    },
    Up,
}

/// What a SUBACK means for the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subscribed {
    /// Controllers can reach us on this reply topic: announce the link.
    Up(Arc<str>),
    /// Nothing covering our reply topic was granted: disconnect
    /// (R-MQTT.17) and try again later.
    Refused,
    /// Not the SUBACK we wait for.
    Ignored,
}

#[derive(Debug)]
pub struct Session {
    v5: bool,
    agent_topic: Arc<str>,
    state: State,
}

impl Session {
    pub fn new(v5: bool, agent_topic: Arc<str>) -> Self {
        Session {
            v5,
            agent_topic,
            state: State::Connecting,
        }
    }

    /// The broker accepted our CONNECT: the filters to subscribe to now.
    pub fn connected<'a>(
        &mut self,
        subscribe_topics: impl IntoIterator<Item = &'a str>,
        response_information: Option<&str>,
    ) -> Vec<String> {
        let plan = subscribe_plan(
            self.v5,
            &self.agent_topic,
            subscribe_topics,
            response_information,
        );
        self.state = State::Subscribing {
            filters: plan.filters.clone(),
            reply: Arc::from(plan.reply_topic),
        };
        plan.filters
    }

    /// A SUBACK arrived; `granted[i]` answers the i-th filter.
    pub fn subscribed(&mut self, granted: &[bool]) -> Subscribed {
        let State::Subscribing { filters, reply } = &self.state else {
            return Subscribed::Ignored;
        };
        if reply_topic_granted(filters, granted, reply) {
            let reply = reply.clone();
            self.state = State::Up;
            Subscribed::Up(reply)
        } else {
            self.state = State::Connecting;
            Subscribed::Refused
        }
    }

    /// The connection is gone; true when the agent had been told it was up,
    /// so it must now hear it is down.
    pub fn lost(&mut self) -> bool {
        let was_up = matches!(self.state, State::Up);
        self.state = State::Connecting;
        was_up
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v5_comes_up_on_the_response_information_topic() {
        let mut s = Session::new(true, "usp/agent/x".into());
        assert_eq!(s.subscribed(&[true]), Subscribed::Ignored);
        let filters = s.connected(["extra/x"], Some("resp/x"));
        assert_eq!(filters, ["usp/agent/x", "extra/x", "resp/x"]);
        assert_eq!(
            s.subscribed(&[true, true, true]),
            Subscribed::Up("resp/x".into())
        );
        assert_eq!(s.subscribed(&[true]), Subscribed::Ignored);
        assert!(s.lost());
        assert!(!s.lost());
    }

    #[test]
    fn a_refused_reply_topic_keeps_the_agent_down() {
        let mut s = Session::new(true, "usp/agent/x".into());
        s.connected([], Some("resp/x"));
        assert_eq!(s.subscribed(&[true, false]), Subscribed::Refused);
        assert!(!s.lost());
    }

    #[test]
    fn v311_comes_up_on_the_agent_topic() {
        let mut s = Session::new(false, "usp/agent/x".into());
        assert_eq!(s.connected([], None), ["usp/agent/x/#"]);
        assert_eq!(s.subscribed(&[true]), Subscribed::Up("usp/agent/x".into()));
    }
}
