//! One USP request on the CPE's model, as a sans-IO state machine.
//!
//! ```text
//! poll() -> Send([rpc, ...])   the caller runs them, in order, in the
//! feed([outcome, ...])         device's session, and hands back outcomes
//! poll() -> Send(...) | Done(answer)
//! ```
//!
//! All RPCs of one `Send` are independent, so the caller may queue them
//! together and they share one CWMP session.

use std::borrow::Cow;
use std::sync::Arc;

use agent::dm::Answer;
use cwmp::{Body, GetParameterNames, GetParameterValues};
use usp::proto::usp::request::ReqType;
use usp::proto::usp::Error;
use usp::ErrorCode;

use crate::cache::Cache;
use crate::dialect::{self, Root};
use crate::fault;
use crate::model::DeviceModel;
use crate::read::{self, Call};

/// Tuning of plans.
#[derive(Debug, Clone)]
pub struct Config {
    /// Names per GetParameterValues.
    pub batch: usize,
    /// Engine runs a read may take before it gives up (each run after the
    /// first is one round of RPCs).
    pub max_rounds: u32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            batch: 32,
            max_rounds: 8,
        }
    }
}

/// What became of one RPC.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Response(Body<'static>),
    /// A CWMP fault from the CPE.
    Fault {
        code: u32,
        string: String,
    },
    /// No answer from the CPE: `code` is the USP error to report.
    Failed {
        code: u32,
        msg: String,
    },
}

/// What the caller does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Send(Vec<Body<'static>>),
    Done(Answer),
}

/// A request under way.
#[derive(Debug)]
pub struct Plan {
    request: ReqType,
    model: Option<Arc<DeviceModel>>,
    cache: Cache,
    queue: Vec<Call>,
    sent: Vec<Call>,
    rounds: u32,
    started: bool,
    config: Config,
    done: Option<Answer>,
}

fn error(code: u32, msg: impl Into<String>) -> Answer {
    Answer::Error(Error {
        err_code: code,
        err_msg: msg.into(),
        param_errs: Vec::new(),
    })
}

fn body(call: &Call) -> Body<'static> {
    match call {
        Call::Discover(root) => Body::GetParameterNames(GetParameterNames {
            parameter_path: Cow::Borrowed(root.cpe_root()),
            next_level: false,
        }),
        Call::Gpv(names) => Body::GetParameterValues(GetParameterValues {
            parameter_names: names.iter().map(|n| Cow::Owned(n.clone())).collect(),
        }),
        Call::Gpn { path, next_level } => Body::GetParameterNames(GetParameterNames {
            parameter_path: Cow::Owned(path.clone()),
            next_level: *next_level,
        }),
    }
}

impl Plan {
    /// A plan for `request`; `model` is the device's model if known (it is
    /// read from the CPE first otherwise, see [`Plan::model`]).
    pub fn new(request: ReqType, model: Option<Arc<DeviceModel>>, config: Config) -> Plan {
        Plan {
            request,
            model,
            cache: Cache::default(),
            queue: Vec::new(),
            sent: Vec::new(),
            rounds: 0,
            started: false,
            config,
            done: None,
        }
    }

    /// The device's model, once known: the caller keeps it for the next
    /// plans of this device.
    pub fn model(&self) -> Option<&Arc<DeviceModel>> {
        self.model.as_ref()
    }

    /// The next step. After a `Send`, call [`Plan::feed`] before polling
    /// again.
    pub fn poll(&mut self) -> Step {
        if let Some(a) = self.done.take() {
            return Step::Done(a);
        }
        if !self.sent.is_empty() {
            return Step::Done(error(
                ErrorCode::InternalError.as_u32(),
                "plan polled before its RPCs were answered",
            ));
        }
        let Some(model) = self.model.clone() else {
            // dialect: a TR-181 listing first; a 9005 queues TR-098's.
            if self.queue.is_empty() {
                self.queue = vec![Call::Discover(Root::Tr181)];
            }
            return self.send();
        };
        if !self.started {
            self.started = true;
            self.queue = read::prefetch(model.schema(), &self.request, self.config.batch);
        }
        if !self.queue.is_empty() {
            return self.send();
        }
        let Some(answer) = read::answer(model.schema(), &self.cache, &self.request) else {
            return Step::Done(error(
                ErrorCode::CommandFailure.as_u32(),
                "writes and commands on the device's own objects are not translated yet",
            ));
        };
        let misses = self.cache.take_misses();
        if misses.is_empty() {
            return Step::Done(answer);
        }
        self.rounds += 1;
        if self.rounds >= self.config.max_rounds {
            return Step::Done(error(
                ErrorCode::RequestDenied.as_u32(),
                "the request needs more rounds of RPCs than allowed",
            ));
        }
        self.queue = read::calls_for(misses, self.config.batch);
        self.send()
    }

    fn send(&mut self) -> Step {
        self.sent = std::mem::take(&mut self.queue);
        // dialect: names leave in the CPE's model.
        let root = self.root();
        Step::Send(
            self.sent
                .iter()
                .map(|c| root.body_to_cpe(body(c)))
                .collect(),
        )
    }

    /// The names the CPE speaks (TR-181 until its model is known).
    fn root(&self) -> Root {
        self.model.as_ref().map_or(Root::Tr181, |m| m.root())
    }

    /// The outcomes of the RPCs of the last `Send`, in order.
    pub fn feed(&mut self, outcomes: Vec<Outcome>) {
        let sent = std::mem::take(&mut self.sent);
        let mut outcomes = outcomes.into_iter();
        for call in sent {
            let outcome = outcomes.next().unwrap_or(Outcome::Failed {
                code: ErrorCode::InternalError.as_u32(),
                msg: "no outcome for an RPC".into(),
            });
            if self.done.is_none() {
                self.take(call, outcome);
            }
        }
    }

    fn take(&mut self, call: Call, outcome: Outcome) {
        let fail = |code: u32, string: &str| {
            error(
                fault::usp_code(code, false).as_u32(),
                fault::message(code, string),
            )
        };
        // dialect: names come back in USP's model before the cache.
        let outcome = self.root().outcome_from_cpe(outcome);
        match (call, outcome) {
            (_, Outcome::Failed { code, msg }) => self.done = Some(error(code, msg)),
            (Call::Discover(root), Outcome::Response(Body::GetParameterNamesResponse(r))) => {
                let names = r.parameter_list.iter().map(|p| (&*p.name, p.writable));
                self.set_model(dialect::discovered(root, names));
            }
            (Call::Discover(Root::Tr181), Outcome::Fault { code: 9005, .. }) => {
                self.queue.push(Call::Discover(Root::Tr098))
            }
            // Neither TR-181 nor TR-098: nothing of it is in a USP model.
            (Call::Discover(_), Outcome::Fault { code: 9005, .. }) => {
                self.set_model(DeviceModel::empty())
            }
            (Call::Gpv(names), Outcome::Response(Body::GetParameterValuesResponse(r))) => {
                if let Some(m) = &self.model {
                    let got = r.parameter_list.iter().map(|p| (&*p.name, &*p.value.text));
                    self.cache.take_values(m.schema(), &names, got);
                }
            }
            // One bad name faults the whole call: halve until it is alone.
            (Call::Gpv(mut names), Outcome::Fault { code: 9005, .. }) if names.len() > 1 => {
                let back = names.split_off(names.len() / 2);
                self.queue.push(Call::Gpv(names));
                self.queue.push(Call::Gpv(back));
            }
            (Call::Gpv(names), Outcome::Fault { code: 9005, .. }) => {
                names.iter().for_each(|n| self.cache.take_absent(n))
            }
            (
                Call::Gpn { path, next_level },
                Outcome::Response(Body::GetParameterNamesResponse(r)),
            ) => {
                self.cache
                    .take_names(&path, next_level, r.parameter_list.iter().map(|p| &*p.name))
            }
            (Call::Gpn { path, .. }, Outcome::Fault { code: 9005, .. }) => {
                self.cache.take_absent(&path)
            }
            (_, Outcome::Fault { code, string }) => self.done = Some(fail(code, &string)),
            (_, Outcome::Response(b)) => {
                self.done = Some(error(
                    ErrorCode::InternalError.as_u32(),
                    format!("the CPE answered with {}", b.method_name()),
                ))
            }
        }
    }

    fn set_model(&mut self, model: Result<DeviceModel, agent::dm::schema::SchemaError>) {
        match model {
            Ok(m) => self.model = Some(Arc::new(m)),
            Err(e) => {
                self.done = Some(error(
                    ErrorCode::InternalError.as_u32(),
                    format!("data model facts: {e:?}"),
                ))
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
