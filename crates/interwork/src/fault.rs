//! CWMP faults as USP error codes (the pairs are in
//! ../shared/reference/interworking.md §2).

use usp::ErrorCode;

/// The vendor codes the gateway uses when the CPE gave no answer at all.
pub mod vendor {
    /// The CPE could not be reached (connection request failed).
    pub const UNREACHABLE: u32 = 7800;
    /// The CPE was reached but did not answer in time.
    pub const NO_ANSWER: u32 = 7801;
    /// The gateway could not queue the RPC (overloaded, registry down).
    pub const NOT_QUEUED: u32 = 7802;
}

/// The USP code for a CWMP fault. `on_param` picks the code a Set or Add
/// parameter gets for an unknown name (7010) over a path's (7026).
pub fn usp_code(cwmp: u32, on_param: bool) -> ErrorCode {
    let code = match cwmp {
        9000 => 7001,
        9001 => 7002,
        9002 => 7003,
        9003 => 7004,
        9004 | 9027 => 7005,
        9005 if on_param => 7010,
        9005 => 7026,
        9006 => 7011,
        9007 => 7012,
        9008 => 7013,
        9009 => 7002,
        9010..=9032 => 7022,
        9800..=9899 => cwmp - 9800 + 7800,
        _ => 7003,
    };
    ErrorCode::from_u32(code)
}

/// The message a USP error carries for a CWMP fault: the CPE's own words
/// and its code, which USP has no field for.
pub fn message(cwmp: u32, string: &str) -> String {
    if string.is_empty() {
        format!("CPE fault {cwmp}")
    } else {
        format!("CPE fault {cwmp}: {string}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_the_listed_pairs() {
        assert_eq!(usp_code(9005, false).as_u32(), 7026);
        assert_eq!(usp_code(9005, true).as_u32(), 7010);
        assert_eq!(usp_code(9008, true).as_u32(), 7013);
        assert_eq!(usp_code(9015, false).as_u32(), 7022);
        assert_eq!(usp_code(9801, false).as_u32(), 7801);
        assert_eq!(usp_code(8005, false).as_u32(), 7003);
        assert_eq!(message(9002, ""), "CPE fault 9002");
    }
}
