//! The message model: an [`Envelope`] with a [`Header`] and a [`Body`].
//!
//! Names follow the CWMP schemas: a body variant, its struct and its XML
//! element share one name (`Body::Inform(Inform)` is `<cwmp:Inform>`), and
//! struct fields are the snake_case member names.

pub mod acs;
pub mod common;
pub mod cpe;
pub mod du;
pub mod fault;

use std::borrow::Cow;

use crate::codec::Field;
use crate::emit::Writer;
use crate::error::Error;
use crate::namespace::CwmpVersion;
use crate::owned::IntoStatic;
use crate::parse::cursor::{Cursor, Elem};

use acs::*;
use cpe::*;
use du::*;
use fault::Fault;

/// A CWMP message: one SOAP envelope, or an empty HTTP body.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Envelope<'a> {
    /// The cwmp namespace the peer used; replies should reuse it.
    pub version: CwmpVersion,
    pub header: Header<'a>,
    pub body: Body<'a>,
}

/// CWMP SOAP header blocks. `NoMoreRequests` (deprecated) is accepted on
/// input and dropped.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Header<'a> {
    /// `cwmp:ID`: a response carries the ID of the request it answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Cow<'a, str>>,
    /// `cwmp:HoldRequests` (ACS to CPE only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold_requests: Option<bool>,
    /// `cwmp:SessionTimeout` in seconds (CWMP 1.3+).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_timeout: Option<u32>,
    /// `cwmp:SupportedCWMPVersions`, e.g. `1.0,1.1,1.2,1.3,1.4` (CPE, 1.4+).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supported_cwmp_versions: Option<Cow<'a, str>>,
    /// `cwmp:UseCWMPVersion` (ACS, 1.4+).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_cwmp_version: Option<Cow<'a, str>>,
}

impl Header<'_> {
    pub fn is_empty(&self) -> bool {
        *self == Header::default()
    }

    pub fn into_owned(self) -> Header<'static> {
        Header {
            id: self.id.into_static(),
            hold_requests: self.hold_requests,
            session_timeout: self.session_timeout,
            supported_cwmp_versions: self.supported_cwmp_versions.into_static(),
            use_cwmp_version: self.use_cwmp_version.into_static(),
        }
    }
}

/// A body element this crate does not model (e.g. a vendor RPC). Kept so a
/// gateway can still answer it with a "method not supported" fault.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct UnknownMethod<'a> {
    /// Local name of the element.
    pub name: Cow<'a, str>,
    /// Namespace URI when it is not a cwmp one, as written by the peer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<Cow<'a, str>>,
}

macro_rules! body {
    (
        $lt:lifetime;
        units { $( $(#[$um:meta])* $unit:ident ),* $(,)? }
        structs { $( $(#[$sm:meta])* $var:ident($ty:ty) ),* $(,)? }
    ) => {
        /// The message in the SOAP Body. Variant names are the element names.
        #[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
        #[serde(tag = "method")]
        pub enum Body<$lt> {
            $( $(#[$um])* $unit, )*
            $( $(#[$sm])* $var($ty), )*
            Fault(Fault<$lt>),
            Unknown(UnknownMethod<$lt>),
            /// An empty HTTP body or an empty SOAP Body: "nothing more to
            /// send" in a CWMP session.
            #[default]
            Empty,
        }

        impl<$lt> Body<$lt> {
            /// The element name (`"Inform"`, `"Fault"`), `"Unknown"` or `"Empty"`.
            pub fn method_name(&self) -> &'static str {
                match self {
                    $( Body::$unit => stringify!($unit), )*
                    $( Body::$var(_) => stringify!($var), )*
                    Body::Fault(_) => "Fault",
                    Body::Unknown(_) => "Unknown",
                    Body::Empty => "Empty",
                }
            }

            /// Decodes a body element by local name; `None` if unknown.
            pub(crate) fn decode_method(
                name: &[u8],
                c: &mut Cursor<$lt>,
                el: &Elem<$lt>,
            ) -> Result<Option<Self>, Error> {
                $(
                    if name == stringify!($unit).as_bytes() {
                        c.skip()?;
                        return Ok(Some(Body::$unit));
                    }
                )*
                $(
                    if name == stringify!($var).as_bytes() {
                        return Ok(Some(Body::$var(Field::decode(c, el)?)));
                    }
                )*
                Ok(None)
            }

            pub(crate) fn encode(&self, w: &mut Writer<'_>) {
                match self {
                    $(
                        Body::$unit => {
                            const NAME: &str = concat!("cwmp:", stringify!($unit));
                            w.open(NAME);
                            w.close(NAME);
                        }
                    )*
                    $( Body::$var(m) => m.encode(concat!("cwmp:", stringify!($var)), w), )*
                    Body::Fault(f) => f.encode("soap-env:Fault", w),
                    Body::Unknown(u) => write_unknown(u, w),
                    Body::Empty => {}
                }
            }

            pub fn into_owned(self) -> Body<'static> {
                match self {
                    $( Body::$unit => Body::$unit, )*
                    $( Body::$var(m) => Body::$var(m.into_static()), )*
                    Body::Fault(f) => Body::Fault(f.into_static()),
                    Body::Unknown(u) => Body::Unknown(UnknownMethod {
                        name: u.name.into_static(),
                        namespace: u.namespace.into_static(),
                    }),
                    Body::Empty => Body::Empty,
                }
            }
        }
    };
}

body! {
    'a;
    units {
        /// Both directions: either side may ask which RPCs the other supports.
        GetRPCMethods,
        SetParameterAttributesResponse,
        RebootResponse,
        FactoryReset,
        FactoryResetResponse,
        ScheduleInformResponse,
        ScheduleDownloadResponse,
        CancelTransferResponse,
        ChangeDUStateResponse,
        GetQueuedTransfers,
        GetAllQueuedTransfers,
        SetVouchersResponse,
        TransferCompleteResponse,
        AutonomousTransferCompleteResponse,
        DUStateChangeCompleteResponse,
        AutonomousDUStateChangeCompleteResponse,
        RequestDownloadResponse,
    }
    structs {
        GetRPCMethodsResponse(GetRPCMethodsResponse<'a>),
        SetParameterValues(SetParameterValues<'a>),
        SetParameterValuesResponse(SetParameterValuesResponse),
        GetParameterValues(GetParameterValues<'a>),
        GetParameterValuesResponse(GetParameterValuesResponse<'a>),
        GetParameterNames(GetParameterNames<'a>),
        GetParameterNamesResponse(GetParameterNamesResponse<'a>),
        SetParameterAttributes(SetParameterAttributes<'a>),
        GetParameterAttributes(GetParameterAttributes<'a>),
        GetParameterAttributesResponse(GetParameterAttributesResponse<'a>),
        AddObject(AddObject<'a>),
        AddObjectResponse(AddObjectResponse),
        DeleteObject(DeleteObject<'a>),
        DeleteObjectResponse(DeleteObjectResponse),
        Reboot(Reboot<'a>),
        Download(Download<'a>),
        DownloadResponse(TransferResponse<'a>),
        Upload(Upload<'a>),
        UploadResponse(TransferResponse<'a>),
        ScheduleInform(ScheduleInform<'a>),
        ScheduleDownload(ScheduleDownload<'a>),
        CancelTransfer(CancelTransfer<'a>),
        ChangeDUState(ChangeDUState<'a>),
        GetQueuedTransfersResponse(GetQueuedTransfersResponse<'a>),
        GetAllQueuedTransfersResponse(GetAllQueuedTransfersResponse<'a>),
        SetVouchers(SetVouchers<'a>),
        GetOptions(GetOptions<'a>),
        GetOptionsResponse(GetOptionsResponse<'a>),
        Inform(Inform<'a>),
        InformResponse(InformResponse),
        TransferComplete(TransferComplete<'a>),
        AutonomousTransferComplete(AutonomousTransferComplete<'a>),
        DUStateChangeComplete(DUStateChangeComplete<'a>),
        AutonomousDUStateChangeComplete(AutonomousDUStateChangeComplete<'a>),
        RequestDownload(RequestDownload<'a>),
        Kicked(Kicked<'a>),
        KickedResponse(KickedResponse<'a>),
    }
}

impl<'a> Envelope<'a> {
    /// An envelope in the given namespace version with no header blocks.
    pub fn new(version: CwmpVersion, body: Body<'a>) -> Self {
        Envelope {
            version,
            header: Header::default(),
            body,
        }
    }

    /// Sets the `cwmp:ID` header.
    pub fn with_id(mut self, id: impl Into<Cow<'a, str>>) -> Self {
        self.header.id = Some(id.into());
        self
    }

    /// True for an empty HTTP body (answer with 204 / an empty POST rather
    /// than calling [`Envelope::to_xml`]).
    pub fn is_empty(&self) -> bool {
        self.body == Body::Empty
    }

    /// See [`Body::method_name`].
    pub fn method_name(&self) -> &'static str {
        self.body.method_name()
    }

    /// Detaches the envelope from the input buffer.
    pub fn into_owned(self) -> Envelope<'static> {
        Envelope {
            version: self.version,
            header: self.header.into_owned(),
            body: self.body.into_owned(),
        }
    }

    /// Serialises the envelope. [`Body::Empty`] is written as an envelope
    /// with an empty Body, so version and header survive a round trip; send
    /// no body at all if an empty HTTP message is meant.
    pub fn to_xml(&self) -> String {
        let mut out = Vec::with_capacity(1024);
        self.write_xml(&mut out);
        // Everything written is either ASCII markup or a &str we were given.
        String::from_utf8(out).unwrap_or_default()
    }

    /// Appends the serialised envelope to `out`.
    pub fn write_xml(&self, out: &mut Vec<u8>) {
        use crate::namespace::{SOAP_ENC_STR, SOAP_ENV_STR, XSD_STR, XSI_STR};
        let mut w = Writer::new(out);
        w.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        w.raw("<soap-env:Envelope xmlns:soap-env=\"");
        w.raw(SOAP_ENV_STR);
        w.raw("\" xmlns:soap-enc=\"");
        w.raw(SOAP_ENC_STR);
        w.raw("\" xmlns:xsd=\"");
        w.raw(XSD_STR);
        w.raw("\" xmlns:xsi=\"");
        w.raw(XSI_STR);
        w.raw("\" xmlns:cwmp=\"");
        w.raw(self.version.namespace());
        w.raw("\">");
        if !self.header.is_empty() {
            write_header(&self.header, &mut w);
        }
        w.open("soap-env:Body");
        self.body.encode(&mut w);
        w.close("soap-env:Body");
        w.close("soap-env:Envelope");
    }
}

fn write_unknown(u: &UnknownMethod<'_>, w: &mut Writer<'_>) {
    match &u.namespace {
        None => {
            w.raw("<cwmp:");
            w.raw(&u.name);
            w.raw("></cwmp:");
        }
        Some(ns) => {
            // The URI is kept exactly as it stood between its quotes, so it
            // goes back out verbatim between the same kind of quotes.
            let q = if ns.contains('"') { "'" } else { "\"" };
            w.raw("<x:");
            w.raw(&u.name);
            w.raw(" xmlns:x=");
            w.raw(q);
            w.raw(ns);
            w.raw(q);
            w.raw("></x:");
        }
    }
    w.raw(&u.name);
    w.raw(">");
}

fn write_header(h: &Header<'_>, w: &mut Writer<'_>) {
    const MUST: &str = "soap-env:mustUnderstand";
    w.open("soap-env:Header");
    if let Some(id) = &h.id {
        w.open_attr("cwmp:ID", MUST, "1");
        w.text(id);
        w.close("cwmp:ID");
    }
    if let Some(hold) = h.hold_requests {
        w.open_attr("cwmp:HoldRequests", MUST, "1");
        w.raw(if hold { "1" } else { "0" });
        w.close("cwmp:HoldRequests");
    }
    if let Some(t) = h.session_timeout {
        // The schema fixes mustUnderstand to 0 here, so it is left out.
        w.leaf_u64("cwmp:SessionTimeout", t.into());
    }
    if let Some(v) = &h.supported_cwmp_versions {
        w.leaf("cwmp:SupportedCWMPVersions", v);
    }
    if let Some(v) = &h.use_cwmp_version {
        w.open_attr("cwmp:UseCWMPVersion", MUST, "1");
        w.text(v);
        w.close("cwmp:UseCWMPVersion");
    }
    w.close("soap-env:Header");
}
