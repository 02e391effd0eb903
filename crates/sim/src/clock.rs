//! Wall-clock text for CWMP `dateTime` fields, computed from Unix seconds so
//! the core never reads a clock itself.

/// `2026-11-23T00:26:07Z` for the given Unix time.
pub fn date_time(unix_secs: u64) -> String {
    let days = i64::try_from(unix_secs / 86_400).unwrap_or(0);
    let rem = unix_secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    // Digit by digit: every Inform carries one, and format! with six
    // padded fields cost more than the rest of the timestamp logic.
    let mut out = String::with_capacity(20);
    let mut field = |n: u64, width: u32, sep: char| {
        for place in (0..width).rev() {
            out.push(char::from(b'0' + (n / 10u64.pow(place) % 10) as u8));
        }
        out.push(sep);
    };
    field(u64::try_from(y.clamp(0, 9999)).unwrap_or(0), 4, '-');
    field(u64::from(m), 2, '-');
    field(u64::from(d), 2, 'T');
    field(rem / 3600, 2, ':');
    field((rem / 60) % 60, 2, ':');
    field(rem % 60, 2, 'Z');
    out
}

/// Appends `n` in decimal. Used for the numbers of every session (message
/// IDs, UpTime, Content-Length), where `format!` and `to_string` went
/// through the formatting machinery for one integer each.
pub fn push_decimal(out: &mut Vec<u8>, n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// [`push_decimal`] for text.
pub fn decimal(n: u64) -> String {
    let mut out = Vec::with_capacity(20);
    push_decimal(&mut out, n);
    // Only ASCII digits were written.
    String::from_utf8(out).unwrap_or_default()
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian
/// calendar (the well-known era-based algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

/// CWMP's "unknown time" value.
pub const UNKNOWN_TIME: &str = "0001-01-01T00:00:00Z";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_match_display() {
        for n in [0, 7, 10, 99, 1000, 123_456_789, u64::MAX] {
            assert_eq!(decimal(n), n.to_string());
        }
    }

    #[test]
    fn known_dates() {
        assert_eq!(date_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(date_time(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(date_time(1_795_393_567), "2026-11-23T00:26:07Z");
    }
}
