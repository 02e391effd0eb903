//! SOAP Fault carrying a CWMP fault in its `detail`.

use std::borrow::Cow;

use crate::codec::{cwmp_struct, Field};
use crate::emit::Writer;
use crate::error::Error;
use crate::parse::cursor::{Cursor, Elem};

cwmp_struct! {
    /// Per-parameter fault of a failed SetParameterValues.
    SetParameterValuesFault<'a> {
        parameter_name: Cow<'a, str> = "ParameterName",
        fault_code: u32 = "FaultCode",
        fault_string: Cow<'a, str> = "FaultString",
    }
}

cwmp_struct! {
    /// `cwmp:Fault`, the content of the SOAP fault's `detail`.
    CwmpFault<'a> {
        fault_code: u32 = "FaultCode",
        fault_string: Cow<'a, str> = "FaultString",
        set_parameter_values_fault: Vec<SetParameterValuesFault<'a>> = many "SetParameterValuesFault",
    }
}

/// A SOAP 1.1 Fault. CWMP uses `faultcode` `Client` or `Server` and
/// `faultstring` `CWMP fault`; the meaning is in `detail`.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Fault<'a> {
    /// `faultcode`, as sent (`Client`, `Server`, sometimes prefixed).
    pub code: Cow<'a, str>,
    /// `faultstring`.
    pub string: Cow<'a, str>,
    /// `detail/cwmp:Fault`; absent in faults from non-conforming peers.
    pub detail: Option<CwmpFault<'a>>,
}

impl<'a> Fault<'a> {
    /// A conventional CWMP fault. The SOAP faultcode is `Client` for the
    /// "invalid arguments" family (8003, 9003, 9005-9008) — the sender's
    /// fault — and `Server` otherwise.
    pub fn cwmp(fault_code: u32, fault_string: impl Into<Cow<'a, str>>) -> Self {
        let client = matches!(fault_code, 8003 | 9003 | 9005..=9008);
        Fault {
            code: Cow::Borrowed(if client { "Client" } else { "Server" }),
            string: Cow::Borrowed("CWMP fault"),
            detail: Some(CwmpFault {
                fault_code,
                fault_string: fault_string.into(),
                set_parameter_values_fault: Vec::new(),
            }),
        }
    }

    /// The CWMP fault code, if the detail is present.
    pub fn fault_code(&self) -> Option<u32> {
        self.detail.as_ref().map(|d| d.fault_code)
    }
}

impl<'a> Field<'a> for Fault<'a> {
    fn decode(c: &mut Cursor<'a>, _el: &Elem<'a>) -> Result<Self, Error> {
        let mut f = Fault::default();
        c.children(|c, child| match child.local() {
            b"faultcode" => {
                f.code = c.text(child)?;
                Ok(())
            }
            b"faultstring" => {
                f.string = c.text(child)?;
                Ok(())
            }
            b"detail" => c.children(|c, d| {
                if d.local() == b"Fault" && f.detail.is_none() {
                    f.detail = Some(CwmpFault::decode(c, d)?);
                    Ok(())
                } else {
                    c.skip()
                }
            }),
            _ => c.skip(),
        })?;
        Ok(f)
    }

    fn encode(&self, name: &str, w: &mut Writer<'_>) {
        w.open(name);
        w.leaf("faultcode", &self.code);
        w.leaf("faultstring", &self.string);
        if let Some(d) = &self.detail {
            w.open("detail");
            d.encode("cwmp:Fault", w);
            w.close("detail");
        }
        w.close(name);
    }
}

impl crate::owned::IntoStatic for Fault<'_> {
    type Static = Fault<'static>;
    fn into_static(self) -> Fault<'static> {
        Fault {
            code: self.code.into_static(),
            string: self.string.into_static(),
            detail: self.detail.into_static(),
        }
    }
}
