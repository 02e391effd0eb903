//! USP error codes (TR-369 "Error Codes" and the Record errors of 1.2+).
//!
//! Every `u32` maps to an [`ErrorCode`]: named codes 7000-7031 and
//! 7100-7106, the data-model range 7200-7299, the vendor range 7800-7999,
//! and [`ErrorCode::Other`] for anything else, so decoding never fails.

use std::fmt;

macro_rules! error_codes {
    ($($(#[$doc:meta])* $name:ident = $code:literal, $meaning:literal;)*) => {
        /// A USP error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
        #[serde(into = "u32")]
        pub enum ErrorCode {
            $($(#[$doc])* #[doc = concat!("`", $code, "` ", $meaning)] $name,)*
            /// 7200-7299: defined by a data model.
            DataModel(u32),
            /// 7800-7999: vendor specific.
            Vendor(u32),
            /// Any other number (reserved or outside the USP range).
            Other(u32),
        }

        impl ErrorCode {
            /// Classifies a wire value. Total: never fails.
            pub const fn from_u32(code: u32) -> Self {
                match code {
                    $($code => Self::$name,)*
                    7200..=7299 => Self::DataModel(code),
                    7800..=7999 => Self::Vendor(code),
                    _ => Self::Other(code),
                }
            }

            /// The wire value.
            pub const fn as_u32(&self) -> u32 {
                match self {
                    $(Self::$name => $code,)*
                    Self::DataModel(c) | Self::Vendor(c) | Self::Other(c) => *c,
                }
            }

            /// Short meaning, lower case (usable as a default `err_msg`).
            pub const fn meaning(&self) -> &'static str {
                match self {
                    $(Self::$name => $meaning,)*
                    Self::DataModel(_) => "data-model defined error",
                    Self::Vendor(_) => "vendor specific error",
                    Self::Other(_) => "unknown error code",
                }
            }
        }
    };
}

error_codes! {
    MessageFailed = 7000, "message failed";
    MessageNotSupported = 7001, "message not supported";
    RequestDenied = 7002, "request denied";
    InternalError = 7003, "internal error";
    InvalidArguments = 7004, "invalid arguments";
    ResourcesExceeded = 7005, "resources exceeded";
    PermissionDenied = 7006, "permission denied";
    InvalidConfiguration = 7007, "invalid configuration";
    InvalidPathSyntax = 7008, "invalid path syntax";
    ParameterActionFailed = 7009, "parameter action failed";
    UnsupportedParameter = 7010, "unsupported parameter";
    InvalidType = 7011, "invalid type";
    InvalidValue = 7012, "invalid value";
    ParameterReadOnly = 7013, "attempt to update non-writeable parameter";
    ValueConflict = 7014, "value conflict";
    OperationError = 7015, "operation error";
    ObjectDoesNotExist = 7016, "object does not exist";
    ObjectNotCreated = 7017, "object could not be created";
    ObjectNotATable = 7018, "object is not a table";
    ObjectNotCreatable = 7019, "attempt to create non-creatable object";
    ObjectNotUpdated = 7020, "object could not be updated";
    RequiredParameterFailed = 7021, "required parameter failed";
    CommandFailure = 7022, "command failure";
    CommandCanceled = 7023, "command canceled";
    DeleteFailure = 7024, "delete failure";
    DuplicateUniqueKey = 7025, "object exists with duplicate unique key";
    InvalidPath = 7026, "invalid path";
    InvalidCommandArguments = 7027, "invalid command arguments";
    RegisterFailure = 7028, "register failure";
    /// Register: the path is registered by another USP Service.
    AlreadyInUse = 7029, "already in use";
    DeregisterFailure = 7030, "deregister failure";
    /// Deregister: the path belongs to another USP Service.
    PathAlreadyRegistered = 7031, "path already registered";
    RecordNotParsed = 7100, "record could not be parsed";
    SecureSessionRequired = 7101, "secure session required";
    SecureSessionNotSupported = 7102, "secure session not supported";
    SarNotSupported = 7103, "segmentation and reassembly not supported";
    InvalidRecordValue = 7104, "invalid record value";
    SessionContextTerminated = 7105, "session context terminated";
    SessionContextNotAllowed = 7106, "session context not allowed";
}

impl ErrorCode {
    /// True for 7100-7106, the codes carried in a DisconnectRecord.
    pub const fn is_record_error(&self) -> bool {
        matches!(self.as_u32(), 7100..=7106)
    }
}

impl From<u32> for ErrorCode {
    fn from(code: u32) -> Self {
        Self::from_u32(code)
    }
}

impl From<ErrorCode> for u32 {
    fn from(code: ErrorCode) -> Self {
        code.as_u32()
    }
}

/// `7008 invalid path syntax`
impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.as_u32(), self.meaning())
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn named_codes_round_trip_and_have_meanings() {
        for code in (7000..=7031).chain(7100..=7106) {
            let e = ErrorCode::from_u32(code);
            assert_eq!(e.as_u32(), code);
            assert!(
                !matches!(
                    e,
                    ErrorCode::Other(_) | ErrorCode::DataModel(_) | ErrorCode::Vendor(_)
                ),
                "{code}"
            );
            assert!(!e.meaning().is_empty());
        }
    }

    #[test]
    fn selected_meanings() {
        assert_eq!(ErrorCode::from_u32(7008).meaning(), "invalid path syntax");
        assert_eq!(ErrorCode::InvalidPath.as_u32(), 7026);
        assert_eq!(ErrorCode::from_u32(7013), ErrorCode::ParameterReadOnly);
        assert_eq!(
            ErrorCode::from_u32(7106).meaning(),
            "session context not allowed"
        );
        assert_eq!(ErrorCode::from_u32(7029).meaning(), "already in use");
    }

    #[test]
    fn ranges() {
        assert_eq!(ErrorCode::from_u32(7200), ErrorCode::DataModel(7200));
        assert_eq!(ErrorCode::from_u32(7299), ErrorCode::DataModel(7299));
        assert_eq!(ErrorCode::from_u32(7300), ErrorCode::Other(7300));
        assert_eq!(ErrorCode::from_u32(7800), ErrorCode::Vendor(7800));
        assert_eq!(ErrorCode::from_u32(7999), ErrorCode::Vendor(7999));
        assert_eq!(ErrorCode::from_u32(8000), ErrorCode::Other(8000));
        assert_eq!(ErrorCode::from_u32(7032), ErrorCode::Other(7032));
        assert_eq!(ErrorCode::from_u32(0), ErrorCode::Other(0));
        assert_eq!(ErrorCode::from_u32(u32::MAX).as_u32(), u32::MAX);
        assert!(ErrorCode::InvalidRecordValue.is_record_error());
        assert!(!ErrorCode::MessageFailed.is_record_error());
    }

    #[test]
    fn display() {
        assert_eq!(
            ErrorCode::InvalidPathSyntax.to_string(),
            "7008 invalid path syntax"
        );
        assert_eq!(
            ErrorCode::Vendor(7801).to_string(),
            "7801 vendor specific error"
        );
        assert_eq!(u32::from(ErrorCode::InternalError), 7003);
    }

    #[test]
    fn serializes_as_number() {
        assert_eq!(
            serde_json::to_string(&ErrorCode::InvalidPath).unwrap(),
            "7026"
        );
    }
}
