//! USP commands that move a file, as CWMP Download and Upload RPCs. All
//! are asynchronous: the CPE's TransferComplete, matched by CommandKey,
//! ends them.
//!
//! - `FirmwareImage.{i}.Download()`: Download "1 Firmware Upgrade Image".
//!   CWMP names no target image and always activates what it downloaded,
//!   so AutoActivate=false is refused.
//! - `VendorConfigFile.{i}.Backup()`: Upload "3 Vendor Configuration File
//!   <i>", the instance's file.
//! - `VendorConfigFile.{i}.Restore()`: Download "3 Vendor Configuration
//!   File"; CWMP's Download names no instance, so TargetFileName is how a
//!   controller picks the file.
//! - `VendorLogFile.{i}.Upload()`: Upload "4 Vendor Log File <i>".
//!
//! CWMP's Download carries no checksum, so CheckSum is refused rather than
//! silently not checked.

use usp::proto::usp::Operate;

use crate::calls::Call;
use crate::operate::{invalid, Refusal};

pub const FIRMWARE_DOWNLOAD: &str = "Device.DeviceInfo.FirmwareImage.{i}.Download()";
/// The table a CPE must have for [`FIRMWARE_DOWNLOAD`] to be offered.
pub const FIRMWARE_TABLE: &str = "Device.DeviceInfo.FirmwareImage.{i}.";
pub const CONFIG_BACKUP: &str = "Device.DeviceInfo.VendorConfigFile.{i}.Backup()";
pub const CONFIG_RESTORE: &str = "Device.DeviceInfo.VendorConfigFile.{i}.Restore()";
pub const CONFIG_TABLE: &str = "Device.DeviceInfo.VendorConfigFile.{i}.";
pub const LOG_UPLOAD: &str = "Device.DeviceInfo.VendorLogFile.{i}.Upload()";
pub const LOG_TABLE: &str = "Device.DeviceInfo.VendorLogFile.{i}.";

/// CWMP's limit on URL, Username, Password and TargetFileName.
const MAX_STRING: usize = 256;

/// A command that becomes a file transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    FirmwareDownload,
    ConfigBackup,
    ConfigRestore,
    LogUpload,
}

impl Transfer {
    pub const ALL: [Transfer; 4] = [
        Transfer::FirmwareDownload,
        Transfer::ConfigBackup,
        Transfer::ConfigRestore,
        Transfer::LogUpload,
    ];

    /// The command in `{i}` form.
    pub fn command(self) -> &'static str {
        match self {
            Transfer::FirmwareDownload => FIRMWARE_DOWNLOAD,
            Transfer::ConfigBackup => CONFIG_BACKUP,
            Transfer::ConfigRestore => CONFIG_RESTORE,
            Transfer::LogUpload => LOG_UPLOAD,
        }
    }

    /// The table a CPE must have for the command to be offered.
    pub fn table(self) -> &'static str {
        match self {
            Transfer::FirmwareDownload => FIRMWARE_TABLE,
            Transfer::ConfigBackup | Transfer::ConfigRestore => CONFIG_TABLE,
            Transfer::LogUpload => LOG_TABLE,
        }
    }

    /// The transfer whose command is `template` (`{i}` form).
    pub fn of_template(template: &str) -> Option<Transfer> {
        Transfer::ALL.into_iter().find(|t| t.command() == template)
    }

    /// Whether the CPE sends the file (CWMP Upload) rather than fetches it.
    pub fn is_upload(self) -> bool {
        matches!(self, Transfer::ConfigBackup | Transfer::LogUpload)
    }

    /// The RPC that starts the transfer `o` asks for (its input names
    /// already checked against the command's).
    pub(crate) fn call(self, o: &Operate) -> Result<Call, Refusal> {
        let input = |k: &str| o.input_args.get(k).map(String::as_str);
        let url = input("URL").filter(|u| !u.is_empty() && u.len() <= MAX_STRING);
        let url = url.ok_or_else(|| invalid("URL is required (at most 256 characters)"))?;
        let short = |k: &str| match input(k) {
            Some(v) if v.len() > MAX_STRING => {
                Err(invalid(format!("{k} is longer than 256 characters")))
            }
            v => Ok(v.unwrap_or_default().to_owned()),
        };
        let (username, password) = (short("Username")?, short("Password")?);
        if self.is_upload() {
            let file_type = match self {
                Transfer::ConfigBackup => "3 Vendor Configuration File",
                _ => "4 Vendor Log File",
            };
            return Ok(Call::Upload {
                file_type: format!("{file_type} {}", instance(&o.command)?),
                url: url.to_owned(),
                username,
                password,
            });
        }
        if o.input_args.contains_key("CheckSum") {
            return Err(invalid("CWMP's Download carries no CheckSum"));
        }
        let file_size = match input("FileSize") {
            None | Some("") => 0,
            Some(s) => s
                .parse()
                .map_err(|_| invalid("FileSize is not an unsignedInt"))?,
        };
        let file_type = if self == Transfer::FirmwareDownload {
            if matches!(input("AutoActivate"), Some("false" | "0")) {
                return Err(invalid(
                    "AutoActivate=false cannot be expressed in CWMP: the CPE activates what it downloads",
                ));
            }
            "1 Firmware Upgrade Image"
        } else {
            "3 Vendor Configuration File"
        };
        Ok(Call::Download {
            file_type: file_type.to_owned(),
            url: url.to_owned(),
            username,
            password,
            file_size,
            target_file_name: short("TargetFileName")?,
        })
    }
}

/// The instance number of `Device.DeviceInfo.VendorLogFile.3.Upload()`.
fn instance(command: &str) -> Result<u32, Refusal> {
    command
        .split('.')
        .nth(3)
        .and_then(|i| i.parse().ok())
        .ok_or_else(|| invalid(format!("{command} names no instance")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(command: &str, inputs: &[(&str, &str)]) -> Result<Call, Refusal> {
        let o = Operate {
            command: command.to_owned(),
            command_key: "ck".to_owned(),
            send_resp: true,
            input_args: inputs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        let t = Transfer::of_template(&crate::model::template(command)).expect("a transfer");
        t.call(&o)
    }

    fn refused(r: Result<Call, Refusal>, why: &str) {
        match r {
            Err((code, msg)) => {
                assert_eq!(code, usp::ErrorCode::InvalidArguments);
                assert!(msg.contains(why), "{msg}");
            }
            Ok(c) => panic!("{c:?}"),
        }
    }

    #[test]
    fn backup_uploads_the_instances_configuration_file() {
        let c = call(
            "Device.DeviceInfo.VendorConfigFile.3.Backup()",
            &[
                ("URL", "http://f/cfg"),
                ("Username", "u"),
                ("Password", "p"),
            ],
        );
        assert_eq!(
            c,
            Ok(Call::Upload {
                file_type: "3 Vendor Configuration File 3".into(),
                url: "http://f/cfg".into(),
                username: "u".into(),
                password: "p".into(),
            })
        );
        assert!(Transfer::ConfigBackup.is_upload());
    }

    #[test]
    fn log_upload_names_the_log_instance() {
        let c = call(
            "Device.DeviceInfo.VendorLogFile.12.Upload()",
            &[("URL", "http://f/log")],
        );
        let Ok(Call::Upload {
            file_type,
            username,
            ..
        }) = c
        else {
            panic!("{c:?}")
        };
        assert_eq!(file_type, "4 Vendor Log File 12");
        assert_eq!(username, "");
    }

    #[test]
    fn restore_downloads_a_configuration_file() {
        let c = call(
            "Device.DeviceInfo.VendorConfigFile.1.Restore()",
            &[
                ("URL", "http://f/cfg"),
                ("FileSize", "1024"),
                ("TargetFileName", "running.cfg"),
                ("CheckSumAlgorithm", "SHA-256"),
            ],
        );
        assert_eq!(
            c,
            Ok(Call::Download {
                file_type: "3 Vendor Configuration File".into(),
                url: "http://f/cfg".into(),
                username: String::new(),
                password: String::new(),
                file_size: 1024,
                target_file_name: "running.cfg".into(),
            })
        );
        assert!(!Transfer::ConfigRestore.is_upload());
    }

    #[test]
    fn bad_inputs_are_refused() {
        let restore = "Device.DeviceInfo.VendorConfigFile.1.Restore()";
        let backup = "Device.DeviceInfo.VendorConfigFile.1.Backup()";
        let log = "Device.DeviceInfo.VendorLogFile.1.Upload()";
        let firmware = "Device.DeviceInfo.FirmwareImage.1.Download()";
        refused(
            call(restore, &[("URL", "http://f/c"), ("CheckSum", "ab")]),
            "CheckSum",
        );
        refused(
            call(restore, &[("URL", "http://f/c"), ("FileSize", "-1")]),
            "FileSize",
        );
        let long = "x".repeat(257);
        refused(
            call(restore, &[("URL", "http://f/c"), ("TargetFileName", &long)]),
            "TargetFileName",
        );
        refused(call(backup, &[]), "URL is required");
        refused(call(backup, &[("URL", "")]), "URL is required");
        refused(call(log, &[("URL", &long)]), "URL is required");
        refused(
            call(log, &[("URL", "http://f/l"), ("Password", &long)]),
            "Password",
        );
        refused(
            call(
                firmware,
                &[("URL", "http://f/i"), ("AutoActivate", "false")],
            ),
            "AutoActivate",
        );
    }

    #[test]
    fn each_command_needs_its_table() {
        assert_eq!(Transfer::ConfigRestore.table(), CONFIG_TABLE);
        assert_eq!(Transfer::LogUpload.table(), LOG_TABLE);
        assert_eq!(
            Transfer::of_template("Device.DeviceInfo.VendorConfigFile.{i}.Backup()"),
            Some(Transfer::ConfigBackup)
        );
        assert_eq!(Transfer::of_template("Device.DeviceInfo.Backup()"), None);
    }
}
