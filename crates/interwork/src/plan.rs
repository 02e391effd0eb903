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

use std::sync::Arc;

use agent::dm::{self, Answer, Refusal};
use cwmp::{Body, ValueType};
use usp::proto::usp::request::ReqType;
use usp::proto::usp::{Error, Operate};
use usp::ErrorCode;

use crate::cache::Cache;
use crate::calls::{body, key_of, Call};
use crate::fault;
use crate::model::DeviceModel;
use crate::operate;
use crate::read;
use crate::write::{self, Run, Writes};

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
    /// A CWMP fault from the CPE, with a SetParameterValues fault's
    /// per-parameter causes.
    Fault {
        code: u32,
        string: String,
        params: Vec<ParamFault>,
    },
    /// No answer from the CPE: `code` is the USP error to report.
    Failed {
        code: u32,
        msg: String,
    },
}

/// One parameter of a SetParameterValues fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamFault {
    pub name: String,
    pub code: u32,
    pub string: String,
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
    writes: Writes,
    /// ParameterKey / CommandKey of the RPCs that change the CPE.
    key: String,
    /// The command ran (Operate): `Some(true)` when it goes on after its
    /// RPC (asynchronous, see [`crate::operate`]).
    operated: Option<bool>,
    queue: Vec<Call>,
    sent: Vec<Call>,
    rounds: u32,
    started: bool,
    config: Config,
    done: Option<Answer>,
}

fn internal(msg: &str) -> Answer {
    error(ErrorCode::InternalError.as_u32(), msg)
}

fn error(code: u32, msg: impl Into<String>) -> Answer {
    Answer::Error(Error {
        err_code: code,
        err_msg: msg.into(),
        param_errs: Vec::new(),
    })
}

impl Plan {
    /// A plan for `request`; `model` is the device's model if known (it is
    /// read from the CPE first otherwise, see [`Plan::model`]).
    /// `msg_id` becomes the ParameterKey of the changes it makes.
    pub fn new(
        request: ReqType,
        msg_id: &str,
        model: Option<Arc<DeviceModel>>,
        config: Config,
    ) -> Plan {
        let key = match &request {
            ReqType::Operate(o) => key_of(&o.command_key),
            _ => key_of(msg_id),
        };
        Plan {
            request,
            model,
            cache: Cache::default(),
            writes: Writes::default(),
            key,
            operated: None,
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

    /// Values read from this CPE before, fresh enough to answer a Get
    /// without asking again (the caller decides what is fresh). Ignored by
    /// every other request: writes and commands never act on cached state.
    pub fn remember(&mut self, values: impl IntoIterator<Item = (String, String, ValueType)>) {
        if matches!(self.request, ReqType::Get(_)) {
            for (p, v, t) in values {
                self.cache.remember(p, v, t);
            }
        }
    }

    /// Values this plan read from the CPE or wrote to it, for the caller to
    /// keep.
    pub fn read_values(&self) -> impl Iterator<Item = (&str, &str, ValueType)> + '_ {
        self.cache.read_values()
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
            self.queue = vec![Call::Discover];
            return self.send();
        };
        if !self.started {
            self.started = true;
            let cache = &self.cache;
            self.queue = read::prefetch(model.schema(), &self.request, self.config.batch, &|p| {
                cache.knows(p)
            });
        }
        if !self.queue.is_empty() {
            return self.send();
        }
        let schema = model.schema();
        let (answer, writes) = match &self.request {
            ReqType::Set(_) | ReqType::Add(_) | ReqType::Delete(_) => {
                let mut run = Run::new(schema, &self.cache, &self.writes);
                let answer = match &self.request {
                    ReqType::Set(r) => dm::set::set(schema, &mut run, r),
                    ReqType::Add(r) => dm::add::add(schema, &mut run, r),
                    ReqType::Delete(r) => dm::delete::delete(schema, &mut run, r),
                    _ => return Step::Done(internal("not a write")),
                };
                let final_ = run.is_final();
                let calls = if run.adds.is_empty() {
                    run.rest
                } else {
                    run.adds
                };
                (answer, Some((final_, calls)))
            }
            ReqType::Operate(o) => match self.operate(o) {
                Ok(answer) => (answer, None),
                Err(call) => {
                    self.queue = vec![call];
                    return self.send();
                }
            },
            req => match read::answer(schema, &self.cache, req) {
                Some(a) => (a, None),
                None => {
                    return Step::Done(error(
                        ErrorCode::MessageNotSupported.as_u32(),
                        "an agent does not take this message",
                    ))
                }
            },
        };
        let misses = self.cache.take_misses();
        let calls = if !misses.is_empty() {
            read::calls_for(misses, self.config.batch)
        } else {
            match writes {
                Some((false, calls)) | Some((true, calls)) if !calls.is_empty() => calls,
                Some((false, _)) => return Step::Done(internal("a write plan stalled")),
                _ => return Step::Done(answer),
            }
        };
        self.rounds += 1;
        if self.rounds >= self.config.max_rounds {
            return Step::Done(error(
                ErrorCode::RequestDenied.as_u32(),
                "the request needs more rounds of RPCs than allowed",
            ));
        }
        self.queue = calls;
        self.send()
    }

    /// The command's RPC while it has not run (`Err`), then its answer.
    /// Only commands that resolve in the device's model run; the model
    /// holds only those the gateway maps (see [`crate::model::COMMANDS`]).
    fn operate(&self, o: &Operate) -> Result<Answer, Call> {
        let Some(model) = &self.model else {
            return Ok(internal("no model"));
        };
        operate::step(model.schema(), o, self.operated)
    }

    fn send(&mut self) -> Step {
        self.sent = std::mem::take(&mut self.queue);
        let key = &self.key;
        Step::Send(self.sent.iter().map(|c| body(c, key)).collect())
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
        let refusal = |code: u32, string: &str, on_param: bool| {
            Refusal::new(
                fault::usp_code(code, on_param),
                fault::message(code, string),
            )
        };
        match (call, outcome) {
            (_, Outcome::Failed { code, msg }) => self.done = Some(error(code, msg)),
            (Call::Discover, Outcome::Response(Body::GetParameterNamesResponse(r))) => {
                let names = r.parameter_list.iter().map(|p| (&*p.name, p.writable));
                self.set_model(DeviceModel::from_names(names));
            }
            // Not a TR-181 device: nothing of it is in a USP model.
            (Call::Discover, Outcome::Fault { code: 9005, .. }) => {
                self.set_model(DeviceModel::empty())
            }
            (Call::Gpv(names), Outcome::Response(Body::GetParameterValuesResponse(r))) => {
                if let Some(m) = &self.model {
                    let got = r
                        .parameter_list
                        .iter()
                        .map(|p| (&*p.name, &*p.value.text, p.value.ty));
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
            (Call::Spv(list), Outcome::Response(Body::SetParameterValuesResponse(_))) => {
                for (p, _, v) in &list {
                    self.cache.put(p, v);
                }
                let applied = list.into_iter().map(|(p, _, v)| (p, v)).collect();
                self.writes.applied.insert(applied);
            }
            (
                Call::Spv(list),
                Outcome::Fault {
                    code,
                    string,
                    params,
                },
            ) => {
                if params.is_empty() {
                    // No cause named: the whole set failed as one.
                    for (p, _, _) in &list {
                        let r = refusal(code, &string, true);
                        self.writes.refused.insert(p.clone(), r);
                    }
                }
                for f in params {
                    let r = refusal(f.code, &f.string, true);
                    self.writes.refused.insert(f.name, r);
                }
            }
            (Call::Add { table, ordinal }, Outcome::Response(Body::AddObjectResponse(r))) => {
                self.writes
                    .added
                    .insert((table, ordinal), r.instance_number);
            }
            (Call::Add { table, ordinal }, Outcome::Fault { code, string, .. }) => {
                let r = refusal(code, &string, false);
                write::refuse_add(&mut self.writes, &table, ordinal, r);
            }
            (Call::Delete(path), Outcome::Response(Body::DeleteObjectResponse(_))) => {
                self.writes.deleted.insert(path);
            }
            (Call::Delete(path), Outcome::Fault { code, string, .. }) => {
                let r = refusal(code, &string, false);
                self.writes.refused_objects.insert(path, r);
            }
            (Call::Reboot, Outcome::Response(Body::RebootResponse))
            | (Call::FactoryReset, Outcome::Response(Body::FactoryResetResponse)) => {
                self.operated = Some(false)
            }
            // Status 0: downloaded and applied already, no TransferComplete.
            (Call::Download { .. }, Outcome::Response(Body::DownloadResponse(r))) => {
                self.operated = Some(r.status != 0)
            }
            (Call::Diagnose(_), Outcome::Response(Body::SetParameterValuesResponse(_))) => {
                self.operated = Some(true)
            }
            (
                Call::Reboot | Call::FactoryReset | Call::Download { .. } | Call::Diagnose(_),
                Outcome::Fault {
                    code,
                    string,
                    params,
                },
            ) => {
                let cmd = match &self.request {
                    ReqType::Operate(o) => o.command.clone(),
                    _ => String::new(),
                };
                self.done = Some(operate::failed(cmd, code, &string, &params));
            }
            (_, Outcome::Fault { code, string, .. }) => {
                self.done = Some(error(
                    fault::usp_code(code, false).as_u32(),
                    fault::message(code, &string),
                ))
            }
            (_, Outcome::Response(b)) => {
                self.done = Some(internal(&format!(
                    "the CPE answered with {}",
                    b.method_name()
                )))
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
mod operate_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod write_tests;
