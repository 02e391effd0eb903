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

use agent::dm::{self, Answer};
use cwmp::{Body, ValueType};
use usp::proto::usp::request::ReqType;
use usp::proto::usp::{Error, Operate};
use usp::ErrorCode;

use crate::cache::Cache;
use crate::calls::{body, key_of, Call};
use crate::dialect::Root;
use crate::model::DeviceModel;
use crate::operate;
use crate::read;
use crate::write::{Run, Writes};

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
    /// How a TR-098 CPE is mapped, and its listing while the values of
    /// its list parameters are read.
    tr098: Tr098,
    listing: Option<Vec<(String, bool)>>,
}

/// The pack and extension root a TR-098 CPE's model is built with.
#[derive(Debug, Clone)]
pub struct Tr098 {
    pub pack: Option<Arc<mapping::Pack>>,
    pub ext_root: String,
    pub instances: mapping::Instances,
}

impl Tr098 {
    /// The pack for a CPE of this identity (the most specific shipped
    /// pack that selects it); its unmapped names go under
    /// `Device.X_<OUI>_TR098.`.
    pub fn for_device(oui: &str, product_class: &str, software_version: &str) -> Tr098 {
        let pack = library().and_then(|l| l.select(oui, product_class, software_version));
        let oui: String = oui.chars().filter(char::is_ascii_alphanumeric).collect();
        let ext_root = if oui.is_empty() {
            "Device.X_TR098.".to_owned()
        } else {
            format!("Device.X_{oui}_TR098.")
        };
        Tr098 {
            pack,
            ext_root,
            instances: mapping::Instances::default(),
        }
    }
}

impl Tr098 {
    /// The TR-098 list parameters to read before [`Tr098::model`].
    pub fn lists(&self, listing: &[(String, bool)]) -> Vec<String> {
        self.pack
            .as_ref()
            .map(|p| mapping::list_parameters(p, listing))
            .unwrap_or_default()
    }

    /// The mapped model of a CPE with this listing and these list
    /// values; `None` without a pack.
    pub fn model(
        &self,
        listing: Vec<(String, bool)>,
        lists: std::collections::HashMap<String, String>,
    ) -> Option<Result<DeviceModel, agent::dm::schema::SchemaError>> {
        let pack = self.pack.clone()?;
        let m = crate::mapped::Mapped::new(
            pack,
            self.ext_root.clone(),
            listing,
            lists,
            self.instances.clone(),
        );
        Some(DeviceModel::mapped(m))
    }
}

/// The values of a GetParameterValues answer by name (none for a fault:
/// a list the CPE would not read makes no instances).
pub(crate) fn list_values(outcome: Outcome) -> std::collections::HashMap<String, String> {
    match outcome {
        Outcome::Response(Body::GetParameterValuesResponse(r)) => r
            .parameter_list
            .into_iter()
            .map(|p| (p.name.into_owned(), p.value.text.into_owned()))
            .collect(),
        _ => Default::default(),
    }
}

impl Default for Tr098 {
    fn default() -> Tr098 {
        Tr098::for_device("", "", "")
    }
}

/// The shipped packs, read once; `None` if they do not parse (a test
/// keeps them parsing).
fn library() -> Option<&'static mapping::Library> {
    static LIB: std::sync::OnceLock<Option<mapping::Library>> = std::sync::OnceLock::new();
    LIB.get_or_init(|| mapping::Library::embedded().ok())
        .as_ref()
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
            tr098: Tr098::default(),
            listing: None,
        }
    }

    /// How to map the CPE should it turn out to speak TR-098.
    pub fn tr098(&mut self, tr098: Tr098) {
        self.tr098 = tr098;
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
            // dialect: a TR-181 listing first; a 9005 queues TR-098's.
            if self.queue.is_empty() {
                self.queue = vec![Call::Discover(Root::Tr181)];
            }
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
        // dialect: names leave in the CPE's model.
        let key = &self.key;
        let bodies = match &self.model {
            Some(m) => self.sent.iter().map(|c| m.body(c, key)).collect(),
            None => self.sent.iter().map(|c| body(c, key)).collect(),
        };
        Step::Send(bodies)
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
}

mod outcome;

#[cfg(test)]
mod operate_tests;
#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod write_tests;
