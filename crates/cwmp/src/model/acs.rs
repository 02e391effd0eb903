//! RPCs the CPE calls on the ACS, and the ACS's responses.

use std::borrow::Cow;

use crate::codec::{array_item, cwmp_struct};
use crate::model::common::{ParameterValue, TransferFault};

cwmp_struct! {
    /// `DeviceIdStruct`.
    DeviceId<'a> {
        manufacturer: Cow<'a, str> = "Manufacturer",
        oui: Cow<'a, str> = "OUI",
        product_class: Cow<'a, str> = "ProductClass",
        serial_number: Cow<'a, str> = "SerialNumber",
    }
}

cwmp_struct! {
    /// `EventStruct`, e.g. `1 BOOT`, or `M Reboot` with the ACS's CommandKey.
    Event<'a> {
        event_code: Cow<'a, str> = "EventCode",
        command_key: Cow<'a, str> = "CommandKey",
    }
}
array_item!(Event, "EventStruct", "cwmp:EventStruct");

cwmp_struct! {
    Inform<'a> {
        device_id: DeviceId<'a> = "DeviceId",
        event: Vec<Event<'a>> = "Event",
        max_envelopes: u32 = "MaxEnvelopes",
        current_time: Cow<'a, str> = "CurrentTime",
        retry_count: u32 = "RetryCount",
        parameter_list: Vec<ParameterValue<'a>> = "ParameterList",
    }
}

cwmp_struct! {
    /// `MaxEnvelopes` must be 1.
    InformResponse {
        max_envelopes: u32 = "MaxEnvelopes",
    }
}

cwmp_struct! {
    TransferComplete<'a> {
        command_key: Cow<'a, str> = "CommandKey",
        fault_struct: TransferFault<'a> = "FaultStruct",
        start_time: Cow<'a, str> = "StartTime",
        complete_time: Cow<'a, str> = "CompleteTime",
    }
}

cwmp_struct! {
    AutonomousTransferComplete<'a> {
        announce_url: Cow<'a, str> = "AnnounceURL",
        transfer_url: Cow<'a, str> = "TransferURL",
        is_download: bool = "IsDownload",
        file_type: Cow<'a, str> = "FileType",
        file_size: u32 = "FileSize",
        target_file_name: Cow<'a, str> = "TargetFileName",
        fault_struct: TransferFault<'a> = "FaultStruct",
        start_time: Cow<'a, str> = "StartTime",
        complete_time: Cow<'a, str> = "CompleteTime",
    }
}

cwmp_struct! {
    /// `ArgStruct` of RequestDownload's FileTypeArg.
    Arg<'a> {
        name: Cow<'a, str> = "Name",
        value: Cow<'a, str> = "Value",
    }
}
array_item!(Arg, "ArgStruct", "cwmp:ArgStruct");

cwmp_struct! {
    RequestDownload<'a> {
        file_type: Cow<'a, str> = "FileType",
        file_type_arg: Vec<Arg<'a>> = "FileTypeArg",
    }
}

cwmp_struct! {
    Kicked<'a> {
        command: Cow<'a, str> = "Command",
        referer: Cow<'a, str> = "Referer",
        arg: Cow<'a, str> = "Arg",
        next: Cow<'a, str> = "Next",
    }
}

cwmp_struct! {
    KickedResponse<'a> {
        next_url: Cow<'a, str> = "NextURL",
    }
}
