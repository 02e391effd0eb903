//! Software module management (deployment units), CWMP 1.2+.

use std::borrow::Cow;

use crate::codec::{cwmp_struct, Field};
use crate::emit::Writer;
use crate::error::Error;
use crate::parse::cursor::{Cursor, Elem};

cwmp_struct! {
    InstallOp<'a> {
        url: Cow<'a, str> = "URL",
        uuid: Option<Cow<'a, str>> = "UUID",
        username: Option<Cow<'a, str>> = "Username",
        password: Option<Cow<'a, str>> = "Password",
        execution_env_ref: Option<Cow<'a, str>> = "ExecutionEnvRef",
    }
}

cwmp_struct! {
    UpdateOp<'a> {
        uuid: Option<Cow<'a, str>> = "UUID",
        version: Option<Cow<'a, str>> = "Version",
        url: Option<Cow<'a, str>> = "URL",
        username: Option<Cow<'a, str>> = "Username",
        password: Option<Cow<'a, str>> = "Password",
    }
}

cwmp_struct! {
    UninstallOp<'a> {
        uuid: Cow<'a, str> = "UUID",
        version: Option<Cow<'a, str>> = "Version",
        execution_env_ref: Option<Cow<'a, str>> = "ExecutionEnvRef",
    }
}

/// One ChangeDUState `Operations` element. The schema type is abstract, so
/// the concrete kind travels in `xsi:type`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "op")]
pub enum Operation<'a> {
    Install(InstallOp<'a>),
    Update(UpdateOp<'a>),
    Uninstall(UninstallOp<'a>),
}

impl<'a> Field<'a> for Operation<'a> {
    fn decode(c: &mut Cursor<'a>, el: &Elem<'a>) -> Result<Self, Error> {
        let ty = c.xsi_type(el).unwrap_or_default();
        let local = match ty.iter().rposition(|&b| b == b':') {
            Some(i) => ty.get(i + 1..).unwrap_or_default(),
            None => &ty[..],
        };
        if local.eq_ignore_ascii_case(b"InstallOpStruct") {
            InstallOp::decode(c, el).map(Operation::Install)
        } else if local.eq_ignore_ascii_case(b"UpdateOpStruct") {
            UpdateOp::decode(c, el).map(Operation::Update)
        } else if local.eq_ignore_ascii_case(b"UninstallOpStruct") {
            UninstallOp::decode(c, el).map(Operation::Uninstall)
        } else {
            let shown = local.get(..64).unwrap_or(local);
            Err(Error::UnknownOperationType(
                String::from_utf8_lossy(shown).into_owned(),
            ))
        }
    }

    fn encode(&self, name: &str, w: &mut Writer<'_>) {
        w.open_attr(name, "xsi:type", self.xsi_type());
        match self {
            Operation::Install(op) => op.encode_fields(w),
            Operation::Update(op) => op.encode_fields(w),
            Operation::Uninstall(op) => op.encode_fields(w),
        }
        w.close(name);
    }
}

impl Operation<'_> {
    fn xsi_type(&self) -> &'static str {
        match self {
            Operation::Install(_) => "cwmp:InstallOpStruct",
            Operation::Update(_) => "cwmp:UpdateOpStruct",
            Operation::Uninstall(_) => "cwmp:UninstallOpStruct",
        }
    }
}

impl crate::owned::IntoStatic for Operation<'_> {
    type Static = Operation<'static>;
    fn into_static(self) -> Operation<'static> {
        match self {
            Operation::Install(op) => Operation::Install(op.into_static()),
            Operation::Update(op) => Operation::Update(op.into_static()),
            Operation::Uninstall(op) => Operation::Uninstall(op.into_static()),
        }
    }
}

cwmp_struct! {
    ChangeDUState<'a> {
        operations: Vec<Operation<'a>> = many "Operations",
        command_key: Option<Cow<'a, str>> = "CommandKey",
    }
}

cwmp_struct! {
    /// `DeploymentUnitFaultStruct`; FaultCode 0 means success.
    DuFault<'a> {
        fault_code: u32 = "FaultCode",
        fault_string: Cow<'a, str> = "FaultString",
    }
}

cwmp_struct! {
    /// `OpResultStruct`. CurrentState: Installed, Uninstalled or Failed.
    OpResult<'a> {
        uuid: Cow<'a, str> = "UUID",
        deployment_unit_ref: Cow<'a, str> = "DeploymentUnitRef",
        version: Cow<'a, str> = "Version",
        current_state: Cow<'a, str> = "CurrentState",
        resolved: bool = "Resolved",
        execution_unit_ref_list: Cow<'a, str> = "ExecutionUnitRefList",
        start_time: Cow<'a, str> = "StartTime",
        complete_time: Cow<'a, str> = "CompleteTime",
        fault: DuFault<'a> = "Fault",
    }
}

cwmp_struct! {
    /// `AutonOpResultStruct`: an OpResult plus the operation the CPE chose.
    AutonOpResult<'a> {
        uuid: Cow<'a, str> = "UUID",
        deployment_unit_ref: Cow<'a, str> = "DeploymentUnitRef",
        version: Cow<'a, str> = "Version",
        current_state: Cow<'a, str> = "CurrentState",
        resolved: bool = "Resolved",
        execution_unit_ref_list: Cow<'a, str> = "ExecutionUnitRefList",
        start_time: Cow<'a, str> = "StartTime",
        complete_time: Cow<'a, str> = "CompleteTime",
        fault: DuFault<'a> = "Fault",
        operation_performed: Cow<'a, str> = "OperationPerformed",
    }
}

cwmp_struct! {
    DUStateChangeComplete<'a> {
        results: Vec<OpResult<'a>> = many "Results",
        command_key: Option<Cow<'a, str>> = "CommandKey",
    }
}

cwmp_struct! {
    AutonomousDUStateChangeComplete<'a> {
        results: Vec<AutonOpResult<'a>> = many "Results",
    }
}
