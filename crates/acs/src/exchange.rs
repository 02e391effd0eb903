//! One HTTP exchange as the engine sees it, and what it tells the
//! northbound side.

use std::time::Duration;

use cwmp::{Body, Envelope};

use crate::connreq::ConnectionRequestOutcome;
use crate::{DeviceKey, Provisioning};

/// Which TCP (or TLS) connection an exchange arrived on; the shell numbers
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnId(pub u64);

/// A ticket for an RPC submitted with [`crate::Engine::submit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RpcId(pub u64);

/// Registry writes staged by the engine, in order. A [`Reply`] carrying one
/// may be sent only once every write up to it is durable
/// ([`crate::Engine::commit_done`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommitTicket(pub u64);

/// One authenticated HTTP POST from a CPE.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub conn: ConnId,
    /// The value of our session cookie, if the CPE sent it back.
    pub cookie: Option<&'a str>,
    /// Who authenticated the request; `None` when authentication is off.
    /// A session resumes only for the identity that opened it.
    pub user: Option<&'a str>,
    pub body: &'a [u8],
}

/// The HTTP answer to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    /// A SOAP envelope, or empty.
    pub body: Vec<u8>,
    /// Value for our session cookie, on the answer that opens a session.
    pub set_cookie: Option<String>,
    pub retry_after: Option<u32>,
    /// Close the connection after this answer.
    pub close: bool,
    /// Hold the answer until this commit is durable; if it fails, send
    /// [`crate::Engine::try_later`] instead.
    pub commit: Option<CommitTicket>,
    /// The device the exchange concerned, once the engine could tell (for
    /// the shell's logs: a 503 names the device it turned away).
    pub device: Option<DeviceKey>,
    /// Not an answer yet: the device is held and its queue is empty, so
    /// the POST waits. Send nothing; ask [`crate::Engine::resume`] again
    /// once [`crate::Engine::poll_unparked`] names this connection or this
    /// time (on the engine's clock) has come. A `commit` on a parked
    /// reply holds the answer that follows.
    pub parked: Option<Duration>,
}

impl Reply {
    pub(crate) fn status(status: u16) -> Reply {
        Reply {
            status,
            body: Vec::new(),
            set_cookie: None,
            retry_after: None,
            close: false,
            commit: None,
            device: None,
            parked: None,
        }
    }

    pub(crate) fn envelope(env: &Envelope<'_>) -> Reply {
        let mut out = Vec::with_capacity(512);
        env.write_xml(&mut out);
        Reply {
            body: out,
            ..Reply::status(200)
        }
    }

    pub(crate) fn parked(until: Duration) -> Reply {
        Reply {
            parked: Some(until),
            ..Reply::status(200)
        }
    }

    pub(crate) fn closing(status: u16) -> Reply {
        Reply {
            close: true,
            ..Reply::status(status)
        }
    }
}

/// How a submitted RPC ended.
#[derive(Debug, Clone, PartialEq)]
pub enum RpcOutcome {
    Response(Body<'static>),
    Fault {
        code: u32,
        string: String,
        /// A SetParameterValues fault's per-parameter causes.
        params: Vec<ParamFault>,
    },
    /// The deadline passed before the RPC could be sent.
    Expired,
    /// Sent, but the session ended without an answer.
    NoAnswer,
    /// Withdrawn unsent: the device had no session and the connection
    /// request that was to wake it failed
    /// ([`crate::Engine::connection_request_failed`]).
    Unreachable(ConnectionRequestOutcome),
}

/// One parameter a SetParameterValues fault names (SetParameterValuesFault).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamFault {
    pub name: String,
    pub code: u32,
    pub string: String,
}

/// What happened, for the northbound side.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// An Inform's effects are durable. `replay` marks a CPE resending an
    /// Inform we had already stored (it never saw our InformResponse):
    /// nothing changed, and the northbound must not notify again.
    Informed {
        device: DeviceKey,
        events: Vec<String>,
        replay: bool,
        /// DeviceInfo.SoftwareVersion as last informed ("" if never):
        /// with the key's OUI and ProductClass it names the device's
        /// data model.
        software_version: String,
        /// The Inform's ParameterList (name, value) as the CPE wrote it;
        /// the parser's limits bound it.
        params: Vec<(String, String)>,
        /// (EventCode, CommandKey) of the "M …" events, which answer an
        /// RPC we sent ("M Reboot", "M Download"): the key ties the event
        /// to the request. Other events carry no key worth keeping.
        command_keys: Vec<(String, String)>,
        /// When the Inform arrived, on the engine's clock (since the Unix
        /// epoch): where the gateway's notification latency starts.
        received: Duration,
    },
    /// A CPE reported a file transfer's end: TransferComplete for a
    /// Download or Upload we asked for (`command_key` is ours), or
    /// AutonomousTransferComplete (`autonomous`, no CommandKey).
    /// `fault_code` 0 means success.
    TransferComplete {
        device: DeviceKey,
        command_key: String,
        fault_code: u32,
        fault_string: String,
        start_time: String,
        complete_time: String,
        autonomous: Option<AutonomousTransfer>,
    },
    /// An RPC is queued for a device with no open session.
    ConnectionRequestNeeded(DeviceKey),
    RpcDone {
        id: RpcId,
        device: DeviceKey,
        outcome: RpcOutcome,
    },
    SessionEnded {
        device: DeviceKey,
        ok: bool,
    },
    /// A CPE authenticated with `device_of_user`'s own credentials but
    /// informed as `device`; it got 403.
    IdentityRefused {
        user: String,
        device: DeviceKey,
        device_of_user: DeviceKey,
    },
    /// The registry could not be read for `device`'s Inform; the CPE got
    /// 503 + Retry-After rather than being taken for a new device.
    StoreUnreadable {
        device: DeviceKey,
        error: String,
    },
    /// The provisioning SetParameterValues ended, durably recorded as
    /// `state` (`Done` or `Failed`).
    Provisioned {
        device: DeviceKey,
        state: Provisioning,
    },
}

/// What an AutonomousTransferComplete says that a TransferComplete leaves
/// to the request it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutonomousTransfer {
    pub is_download: bool,
    pub transfer_url: String,
}

impl Event {
    pub(crate) fn transfer(
        device: DeviceKey,
        command_key: &str,
        fault: &cwmp::TransferFault<'_>,
        (start, complete): (&str, &str),
        autonomous: Option<AutonomousTransfer>,
    ) -> Event {
        Event::TransferComplete {
            device,
            command_key: command_key.to_owned(),
            fault_code: fault.fault_code,
            fault_string: fault.fault_string.to_string(),
            start_time: start.to_owned(),
            complete_time: complete.to_owned(),
            autonomous,
        }
    }
}
