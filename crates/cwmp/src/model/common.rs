//! Structs shared by several RPCs.

use std::borrow::Cow;

use crate::codec::{array_item, cwmp_struct};
use crate::value::Value;

cwmp_struct! {
    /// `ParameterValueStruct`: a parameter name and its typed value.
    ParameterValue<'a> {
        name: Cow<'a, str> = "Name",
        value: Value<'a> = "Value",
    }
}
array_item!(
    ParameterValue,
    "ParameterValueStruct",
    "cwmp:ParameterValueStruct"
);

impl<'a> ParameterValue<'a> {
    pub fn new(name: impl Into<Cow<'a, str>>, value: Value<'a>) -> Self {
        ParameterValue {
            name: name.into(),
            value,
        }
    }
}

cwmp_struct! {
    /// `FaultStruct` of TransferComplete and AutonomousTransferComplete;
    /// `FaultCode` 0 means success.
    TransferFault<'a> {
        fault_code: u32 = "FaultCode",
        fault_string: Cow<'a, str> = "FaultString",
    }
}
