//! USP commands on a CPE, as CWMP RPCs.
//!
//! - `Device.Reboot()`, `Device.FactoryReset()`: their RPCs, synchronous.
//! - `Device.DeviceInfo.FirmwareImage.{i}.Download()` and the vendor
//!   file commands (`VendorConfigFile.{i}.Backup()`, `.Restore()`,
//!   `VendorLogFile.{i}.Upload()`): a Download or Upload RPC, asynchronous:
//!   the CPE's TransferComplete ends it (see [`crate::transfer`]).
//! - `Device.IP.Diagnostics.IPPing()` and the other IP diagnostics: one
//!   SetParameterValues of the inputs and `DiagnosticsState=Requested` on
//!   the CWMP diagnostics object, asynchronous: the CPE informs "8
//!   DIAGNOSTICS COMPLETE", and a read of the object gives the outputs
//!   ([`Diagnostic::outcome`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use agent::dm::{Answer, Schema};
use agent::local::request::Outcome as RequestOutcome;
use agent::local::FACTS;
use cwmp::ValueType;
use usp::proto::usp::operate_resp::OperationResult;
use usp::proto::usp::request::ReqType;
use usp::proto::usp::response::RespType;
use usp::proto::usp::{Get, Operate, OperateResp};
use usp::{msg, ErrorCode};

use crate::calls::Call;
use crate::fault;
use crate::model::template;
use crate::plan::ParamFault;
pub use crate::transfer::{Transfer, FIRMWARE_DOWNLOAD, FIRMWARE_TABLE};

/// What a command becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Reboot,
    FactoryReset,
    /// A file transfer: a Download or Upload RPC.
    Transfer(Transfer),
    Diagnostic(Diagnostic),
}

/// The IP diagnostics TR-181 has as both a USP command and a CWMP object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Diagnostic {
    IpPing,
    TraceRoute,
    Download,
    Upload,
}

impl Diagnostic {
    pub const ALL: [Diagnostic; 4] = [
        Diagnostic::IpPing,
        Diagnostic::TraceRoute,
        Diagnostic::Download,
        Diagnostic::Upload,
    ];

    fn name(self) -> &'static str {
        match self {
            Diagnostic::IpPing => "IPPing",
            Diagnostic::TraceRoute => "TraceRoute",
            Diagnostic::Download => "DownloadDiagnostics",
            Diagnostic::Upload => "UploadDiagnostics",
        }
    }

    /// `Device.IP.Diagnostics.IPPing()`
    pub fn command(self) -> String {
        format!("Device.IP.Diagnostics.{}()", self.name())
    }

    /// The CWMP object of its inputs and results:
    /// `Device.IP.Diagnostics.IPPing.`
    pub fn object(self) -> String {
        format!("Device.IP.Diagnostics.{}.", self.name())
    }

    pub fn of_command(command: &str) -> Option<Diagnostic> {
        Diagnostic::ALL.into_iter().find(|d| d.command() == command)
    }

    /// The read that fetches its results.
    pub fn results_request(self) -> ReqType {
        ReqType::Get(Get {
            param_paths: vec![self.object()],
            max_depth: 0,
        })
    }

    /// What the read of [`Diagnostic::results_request`] says: `None` while
    /// the CPE still runs it, then the command's output arguments (the
    /// CWMP `DiagnosticsState` becomes `Status`), or why it failed.
    pub fn outcome(self, answer: &Answer) -> Option<RequestOutcome> {
        let failure =
            |err_code: u32, err_msg: String| Some(RequestOutcome::Failure { err_code, err_msg });
        let results = match answer {
            Answer::Resp(RespType::GetResp(r)) => r.req_path_results.first(),
            Answer::Error(e) => return failure(e.err_code, e.err_msg.clone()),
            _ => None,
        };
        let Some(results) = results else {
            return failure(ErrorCode::InternalError.as_u32(), "no results".into());
        };
        if results.err_code != 0 {
            return failure(results.err_code, results.err_msg.clone());
        }
        let object = self.object();
        let (_, outputs) = args(&self.command());
        let mut out = BTreeMap::new();
        for r in &results.resolved_path_results {
            let Some(rel) = r.resolved_path.strip_prefix(&object) else {
                continue;
            };
            for (name, value) in &r.result_params {
                let name = format!("{rel}{name}");
                if name == "DiagnosticsState" {
                    out.insert("Status".to_owned(), value.clone());
                } else if outputs.contains_key(&template(&name)) {
                    out.insert(name, value.clone());
                }
            }
        }
        match out.get("Status").map(String::as_str) {
            Some("Requested") => None,
            Some("Complete") => Some(RequestOutcome::Success(out)),
            Some(s) if s.starts_with("Error") => Some(RequestOutcome::Success(out)),
            state => failure(
                ErrorCode::CommandFailure.as_u32(),
                format!("the diagnostic ended as {state:?}; another party may have reset it"),
            ),
        }
    }
}

/// The command `path` (instantiated) names, if the gateway maps it.
pub fn command_of(path: &str) -> Option<Command> {
    match path {
        "Device.Reboot()" => return Some(Command::Reboot),
        "Device.FactoryReset()" => return Some(Command::FactoryReset),
        _ => {}
    }
    if let Some(t) = Transfer::of_template(&template(path)) {
        return Some(Command::Transfer(t));
    }
    Diagnostic::of_command(path).map(Command::Diagnostic)
}

/// Whether the command is offered by a CPE that reports these objects (in
/// `{i}` form): a diagnostic needs its CWMP object, a transfer the table
/// of its instance.
pub fn offered(command: &str, have: &dyn Fn(&str) -> bool) -> bool {
    match command_of(command) {
        Some(Command::Reboot | Command::FactoryReset) => true,
        Some(Command::Transfer(t)) => have(t.table()),
        Some(Command::Diagnostic(d)) => have(&d.object()),
        None => false,
    }
}

/// Input and output argument names of a command of the TR-181 facts, with
/// their types.
type Args = (HashMap<String, ValueType>, HashMap<String, ValueType>);

fn args(command: &str) -> &'static Args {
    static ARGS: OnceLock<HashMap<String, Args>> = OnceLock::new();
    static NONE: OnceLock<Args> = OnceLock::new();
    let all = ARGS.get_or_init(|| {
        let wanted: Vec<String> = Transfer::ALL
            .iter()
            .map(|t| t.command().to_owned())
            .chain(Diagnostic::ALL.iter().map(|d| d.command()))
            .collect();
        FACTS
            .lines()
            .filter_map(|l| {
                let mut cols = l.split('\t');
                let path = cols.next()?;
                let flags = cols.nth(2)?;
                wanted.iter().any(|w| w == path).then(|| {
                    let list = |key: &str| {
                        flags
                            .split(' ')
                            .find_map(|f| f.strip_prefix(key))
                            .map(parse_args)
                            .unwrap_or_default()
                    };
                    (path.to_owned(), (list("in="), list("out=")))
                })
            })
            .collect()
    });
    all.get(command)
        .unwrap_or_else(|| NONE.get_or_init(Default::default))
}

fn parse_args(list: &str) -> HashMap<String, ValueType> {
    list.split(',')
        .filter_map(|a| {
            let (name, ty) = a.split_once(':')?;
            let ty = match ty {
                "int" => ValueType::Int,
                "unsignedInt" => ValueType::UnsignedInt,
                "long" => ValueType::Long,
                "unsignedLong" => ValueType::UnsignedLong,
                "boolean" => ValueType::Boolean,
                "dateTime" => ValueType::DateTime,
                "base64" => ValueType::Base64,
                "hexBinary" => ValueType::HexBinary,
                _ => ValueType::String,
            };
            Some((name.to_owned(), ty))
        })
        .collect()
}

/// A refusal of the command's input: (code, message).
pub type Refusal = (ErrorCode, String);

pub(crate) fn invalid(msg: impl Into<String>) -> Refusal {
    (ErrorCode::InvalidArguments, msg.into())
}

/// The command's RPC while it has not run (`Err`), then its answer
/// (`operated`: whether it goes on after its RPC). Only commands that
/// resolve in the device's model run; the model holds only those the
/// gateway maps (see [`crate::model::COMMANDS`]).
pub(crate) fn step(schema: &Schema, o: &Operate, operated: Option<bool>) -> Result<Answer, Call> {
    let known = |p: &str| schema.find(&template(p)).is_some();
    let Some(command) = command_of(&o.command).filter(|_| known(&o.command)) else {
        return Ok(Answer::Error(usp::proto::usp::Error {
            err_code: ErrorCode::InvalidPath.as_u32(),
            err_msg: format!("{} is not a command this agent supports", o.command),
            param_errs: Vec::new(),
        }));
    };
    let result = match operated {
        None => match call(command, o, &known) {
            Ok(call) => return Err(call),
            Err((code, msg)) => msg::operate_failure(o.command.clone(), code, msg),
        },
        Some(false) => {
            msg::operate_output(o.command.clone(), std::iter::empty::<(String, String)>())
        }
        Some(true) => msg::operate_async(o.command.clone(), agent::commands::ASYNC),
    };
    Ok(resp(result))
}

/// The CPE refused the command's RPC.
pub(crate) fn failed(command: String, code: u32, string: &str, params: &[ParamFault]) -> Answer {
    let mut why = fault::message(code, string);
    for p in params {
        why.push_str(&format!(
            "; {}: {}",
            p.name,
            fault::message(p.code, &p.string)
        ));
    }
    resp(msg::operate_failure(
        command,
        ErrorCode::CommandFailure,
        why,
    ))
}

fn resp(result: OperationResult) -> Answer {
    Answer::Resp(RespType::OperateResp(OperateResp {
        operation_results: vec![result],
    }))
}

/// The RPC that starts `command`; `known` says whether a parameter exists
/// in the CPE's model.
pub(crate) fn call(
    command: Command,
    o: &Operate,
    known: &dyn Fn(&str) -> bool,
) -> Result<Call, Refusal> {
    let check = |name: &str| {
        let (inputs, _) = args(name);
        match o.input_args.keys().find(|k| !inputs.contains_key(*k)) {
            Some(k) => Err(invalid(format!("{k} is not an input of {}", o.command))),
            None => Ok(inputs),
        }
    };
    match command {
        Command::Reboot => Ok(Call::Reboot),
        Command::FactoryReset => Ok(Call::FactoryReset),
        Command::Transfer(t) => {
            check(t.command())?;
            t.call(o)
        }
        Command::Diagnostic(d) => {
            let inputs = check(&d.command())?;
            let object = d.object();
            let mut list = Vec::new();
            for (k, v) in &o.input_args {
                let name = format!("{object}{k}");
                if !known(&name) {
                    return Err(invalid(format!("the CPE has no {name}")));
                }
                let ty = inputs.get(k).copied().unwrap_or_default();
                list.push((name, ty, v.clone()));
            }
            list.sort_by(|a, b| a.0.cmp(&b.0));
            let state = format!("{object}DiagnosticsState");
            list.push((state, ValueType::String, "Requested".to_owned()));
            Ok(Call::Diagnose(list))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_their_arguments_come_from_the_facts() {
        let (i, o) = args("Device.IP.Diagnostics.IPPing()");
        assert_eq!(i.get("NumberOfRepetitions"), Some(&ValueType::UnsignedInt));
        assert_eq!(i.get("Host"), Some(&ValueType::String));
        assert!(o.contains_key("SuccessCount"));
        let (_, o) = args("Device.IP.Diagnostics.TraceRoute()");
        assert!(o.contains_key("RouteHops.{i}.Host"));
        assert!(args(FIRMWARE_DOWNLOAD).0.contains_key("AutoActivate"));
        assert!(args("Device.Nothing()").0.is_empty());
        assert_eq!(
            command_of("Device.DeviceInfo.FirmwareImage.2.Download()"),
            Some(Command::Transfer(Transfer::FirmwareDownload))
        );
        assert_eq!(
            command_of("Device.DeviceInfo.VendorLogFile.1.Upload()"),
            Some(Command::Transfer(Transfer::LogUpload))
        );
        let (i, _) = args(crate::transfer::CONFIG_RESTORE);
        assert_eq!(i.get("FileSize"), Some(&ValueType::UnsignedInt));
        assert!(args(crate::transfer::CONFIG_BACKUP).0.contains_key("URL"));
        assert_eq!(
            command_of("Device.IP.Diagnostics.UploadDiagnostics()"),
            Some(Command::Diagnostic(Diagnostic::Upload))
        );
        assert_eq!(command_of("Device.IP.Diagnostics.UDPEcho()"), None);
    }
}
