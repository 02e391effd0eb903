//! RPCs the ACS calls on the CPE, and the CPE's responses.

use std::borrow::Cow;

use crate::codec::{array_item, cwmp_struct};
use crate::model::common::ParameterValue;

cwmp_struct! {
    GetRPCMethodsResponse<'a> {
        method_list: Vec<Cow<'a, str>> = "MethodList",
    }
}

cwmp_struct! {
    SetParameterValues<'a> {
        parameter_list: Vec<ParameterValue<'a>> = "ParameterList",
        parameter_key: Cow<'a, str> = "ParameterKey",
    }
}

cwmp_struct! {
    /// `Status` 0: applied; 1: applied but committed only after a reboot.
    SetParameterValuesResponse {
        status: i32 = "Status",
    }
}

cwmp_struct! {
    GetParameterValues<'a> {
        parameter_names: Vec<Cow<'a, str>> = "ParameterNames",
    }
}

cwmp_struct! {
    GetParameterValuesResponse<'a> {
        parameter_list: Vec<ParameterValue<'a>> = "ParameterList",
    }
}

cwmp_struct! {
    GetParameterNames<'a> {
        parameter_path: Cow<'a, str> = "ParameterPath",
        next_level: bool = "NextLevel",
    }
}

cwmp_struct! {
    /// `ParameterInfoStruct`.
    ParameterInfo<'a> {
        name: Cow<'a, str> = "Name",
        writable: bool = "Writable",
    }
}
array_item!(
    ParameterInfo,
    "ParameterInfoStruct",
    "cwmp:ParameterInfoStruct"
);

cwmp_struct! {
    GetParameterNamesResponse<'a> {
        parameter_list: Vec<ParameterInfo<'a>> = "ParameterList",
    }
}

cwmp_struct! {
    /// `SetParameterAttributesStruct`. Notification: 0 off, 1 passive, 2 active.
    SetParameterAttributesStruct<'a> {
        name: Cow<'a, str> = "Name",
        notification_change: bool = "NotificationChange",
        notification: i32 = "Notification",
        access_list_change: bool = "AccessListChange",
        access_list: Vec<Cow<'a, str>> = "AccessList",
    }
}
array_item!(
    SetParameterAttributesStruct,
    "SetParameterAttributesStruct",
    "cwmp:SetParameterAttributesStruct"
);

cwmp_struct! {
    SetParameterAttributes<'a> {
        parameter_list: Vec<SetParameterAttributesStruct<'a>> = "ParameterList",
    }
}

cwmp_struct! {
    GetParameterAttributes<'a> {
        parameter_names: Vec<Cow<'a, str>> = "ParameterNames",
    }
}

cwmp_struct! {
    /// `ParameterAttributeStruct`.
    ParameterAttribute<'a> {
        name: Cow<'a, str> = "Name",
        notification: i32 = "Notification",
        access_list: Vec<Cow<'a, str>> = "AccessList",
    }
}
array_item!(
    ParameterAttribute,
    "ParameterAttributeStruct",
    "cwmp:ParameterAttributeStruct"
);

cwmp_struct! {
    GetParameterAttributesResponse<'a> {
        parameter_list: Vec<ParameterAttribute<'a>> = "ParameterList",
    }
}

cwmp_struct! {
    /// `ObjectName` ends with a dot, e.g. `Device.NAT.PortMapping.`.
    AddObject<'a> {
        object_name: Cow<'a, str> = "ObjectName",
        parameter_key: Cow<'a, str> = "ParameterKey",
    }
}

cwmp_struct! {
    AddObjectResponse {
        instance_number: u32 = "InstanceNumber",
        status: i32 = "Status",
    }
}

cwmp_struct! {
    DeleteObject<'a> {
        object_name: Cow<'a, str> = "ObjectName",
        parameter_key: Cow<'a, str> = "ParameterKey",
    }
}

cwmp_struct! {
    DeleteObjectResponse {
        status: i32 = "Status",
    }
}

cwmp_struct! {
    Reboot<'a> {
        command_key: Cow<'a, str> = "CommandKey",
    }
}

cwmp_struct! {
    /// FileType e.g. `1 Firmware Upgrade Image`, `3 Vendor Configuration File`.
    Download<'a> {
        command_key: Cow<'a, str> = "CommandKey",
        file_type: Cow<'a, str> = "FileType",
        url: Cow<'a, str> = "URL",
        username: Cow<'a, str> = "Username",
        password: Cow<'a, str> = "Password",
        file_size: u32 = "FileSize",
        target_file_name: Cow<'a, str> = "TargetFileName",
        delay_seconds: u32 = "DelaySeconds",
        success_url: Cow<'a, str> = "SuccessURL",
        failure_url: Cow<'a, str> = "FailureURL",
    }
}

cwmp_struct! {
    /// Shared by DownloadResponse and UploadResponse. Status 1: the transfer
    /// has not completed yet; a TransferComplete follows.
    TransferResponse<'a> {
        status: i32 = "Status",
        start_time: Cow<'a, str> = "StartTime",
        complete_time: Cow<'a, str> = "CompleteTime",
    }
}

cwmp_struct! {
    Upload<'a> {
        command_key: Cow<'a, str> = "CommandKey",
        file_type: Cow<'a, str> = "FileType",
        url: Cow<'a, str> = "URL",
        username: Cow<'a, str> = "Username",
        password: Cow<'a, str> = "Password",
        delay_seconds: u32 = "DelaySeconds",
    }
}

cwmp_struct! {
    ScheduleInform<'a> {
        delay_seconds: u32 = "DelaySeconds",
        command_key: Cow<'a, str> = "CommandKey",
    }
}

cwmp_struct! {
    /// `TimeWindowStruct` (WindowStart/WindowEnd in seconds from now).
    TimeWindow<'a> {
        window_start: u32 = "WindowStart",
        window_end: u32 = "WindowEnd",
        window_mode: Cow<'a, str> = "WindowMode",
        user_message: Cow<'a, str> = "UserMessage",
        max_retries: i32 = "MaxRetries",
    }
}
array_item!(TimeWindow, "TimeWindowStruct", "cwmp:TimeWindowStruct");

cwmp_struct! {
    ScheduleDownload<'a> {
        command_key: Cow<'a, str> = "CommandKey",
        file_type: Cow<'a, str> = "FileType",
        url: Cow<'a, str> = "URL",
        username: Cow<'a, str> = "Username",
        password: Cow<'a, str> = "Password",
        file_size: u32 = "FileSize",
        target_file_name: Cow<'a, str> = "TargetFileName",
        time_window_list: Vec<TimeWindow<'a>> = "TimeWindowList",
    }
}

cwmp_struct! {
    CancelTransfer<'a> {
        command_key: Cow<'a, str> = "CommandKey",
    }
}

cwmp_struct! {
    /// `QueuedTransferStruct`. State: 1 not yet started, 2 in progress, 3 completed.
    QueuedTransfer<'a> {
        command_key: Cow<'a, str> = "CommandKey",
        state: i32 = "State",
    }
}
array_item!(
    QueuedTransfer,
    "QueuedTransferStruct",
    "cwmp:QueuedTransferStruct"
);

cwmp_struct! {
    GetQueuedTransfersResponse<'a> {
        transfer_list: Vec<QueuedTransfer<'a>> = "TransferList",
    }
}

cwmp_struct! {
    /// `AllQueuedTransferStruct`.
    AllQueuedTransfer<'a> {
        command_key: Cow<'a, str> = "CommandKey",
        state: i32 = "State",
        is_download: bool = "IsDownload",
        file_type: Cow<'a, str> = "FileType",
        file_size: u32 = "FileSize",
        target_file_name: Cow<'a, str> = "TargetFileName",
    }
}
array_item!(
    AllQueuedTransfer,
    "AllQueuedTransferStruct",
    "cwmp:AllQueuedTransferStruct"
);

cwmp_struct! {
    GetAllQueuedTransfersResponse<'a> {
        transfer_list: Vec<AllQueuedTransfer<'a>> = "TransferList",
    }
}

/// A signed voucher, base64 text as sent (decoding is left to the caller).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[serde(transparent)]
pub struct Voucher<'a>(pub Cow<'a, str>);

impl<'a> crate::codec::Field<'a> for Voucher<'a> {
    fn decode(
        c: &mut crate::parse::cursor::Cursor<'a>,
        el: &crate::parse::cursor::Elem<'a>,
    ) -> Result<Self, crate::Error> {
        c.text(el).map(Voucher)
    }
    fn encode(&self, name: &str, w: &mut crate::emit::Writer<'_>) {
        w.leaf(name, &self.0);
    }
}
array_item!(Voucher, "base64", "soap-enc:base64");

impl crate::owned::IntoStatic for Voucher<'_> {
    type Static = Voucher<'static>;
    fn into_static(self) -> Voucher<'static> {
        Voucher(self.0.into_static())
    }
}

cwmp_struct! {
    SetVouchers<'a> {
        voucher_list: Vec<Voucher<'a>> = "VoucherList",
    }
}

cwmp_struct! {
    GetOptions<'a> {
        option_name: Cow<'a, str> = "OptionName",
    }
}

cwmp_struct! {
    /// `OptionStruct`.
    OptionInfo<'a> {
        option_name: Cow<'a, str> = "OptionName",
        voucher_sn: u32 = "VoucherSN",
        state: u32 = "State",
        mode: i32 = "Mode",
        start_date: Cow<'a, str> = "StartDate",
        expiration_date: Option<Cow<'a, str>> = "ExpirationDate",
        is_transferable: i32 = "IsTransferable",
    }
}
array_item!(OptionInfo, "OptionStruct", "cwmp:OptionStruct");

cwmp_struct! {
    GetOptionsResponse<'a> {
        option_list: Vec<OptionInfo<'a>> = "OptionList",
    }
}
