//! `Device.LocalAgent.TransferComplete!` from a TransferComplete or an
//! AutonomousTransferComplete: the Request it ends says the command, its
//! requestor and the way the file went; an autonomous one says its own.

use std::collections::BTreeMap;

use agent::Happening;
use interwork::operate::{command_of, Command};

use super::{TransferDone, TRANSFER_OBJECT};

pub(super) fn transfer_complete(t: &TransferDone<'_>) -> Happening {
    let (command, requestor, url, affected) = match t.request {
        Some(r) => (
            r.command.clone(),
            r.originator.clone(),
            r.inputs.get("URL").cloned().unwrap_or_default(),
            // The object the command was on: `Device.DeviceInfo.VendorLogFile.1.`.
            r.command
                .rfind('.')
                .map_or("", |i| &r.command[..=i])
                .to_owned(),
        ),
        None => Default::default(),
    };
    // A Request's command says which way the file went, an autonomous
    // transfer says so itself.
    let upload = t.request.map(|r| command_of(&r.command));
    let upload = matches!(upload, Some(Some(Command::Transfer(x))) if x.is_upload());
    let (transfer_type, url) = match t.autonomous {
        Some(a) if a.is_download => ("Download", a.transfer_url.clone()),
        Some(a) => ("Upload", a.transfer_url.clone()),
        None if upload => ("Upload", url),
        None => ("Download", url),
    };
    let (code, message) = if t.fault_code == 0 {
        (0, String::new())
    } else {
        (
            interwork::fault::usp_code(t.fault_code, false).as_u32(),
            interwork::fault::message(t.fault_code, t.fault_string),
        )
    };
    let params = BTreeMap::from([
        ("Command".to_owned(), command),
        ("CommandKey".to_owned(), t.command_key.to_owned()),
        ("Requestor".to_owned(), requestor),
        ("TransferType".to_owned(), transfer_type.to_owned()),
        ("Affected".to_owned(), affected),
        ("TransferURL".to_owned(), url),
        ("StartTime".to_owned(), t.start_time.to_owned()),
        ("CompleteTime".to_owned(), t.complete_time.to_owned()),
        ("FaultCode".to_owned(), code.to_string()),
        ("FaultString".to_owned(), message),
    ]);
    Happening::Event {
        obj_path: TRANSFER_OBJECT.to_owned(),
        event_name: "TransferComplete!".to_owned(),
        params,
    }
}
