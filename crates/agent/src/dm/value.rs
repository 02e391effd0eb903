//! Parameter values: type checks for writes, comparisons for searches, and
//! the dateTime text of a point in time.

use std::cmp::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use usp::ErrorCode;

use super::schema::{Param, ParamType};

/// Checks `v` against a parameter's type: text that is not of the type at
/// all is 7011 (invalid type), a number out of the type's range 7012.
pub fn check(p: &Param, v: &str) -> Result<(), (ErrorCode, String)> {
    if p.list {
        if v.is_empty() {
            return Ok(());
        }
        return v
            .split(',')
            .try_for_each(|item| check_one(p.ty, item.trim()));
    }
    check_one(p.ty, v)
}

fn check_one(ty: ParamType, v: &str) -> Result<(), (ErrorCode, String)> {
    let bad_type = |what: &str| Err((ErrorCode::InvalidType, format!("{v:?} is not {what}")));
    let range = |what: &str| {
        Err((
            ErrorCode::InvalidValue,
            format!("{v:?} is out of range for {what}"),
        ))
    };
    let int = |s: &str| -> Option<i128> {
        let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
        if digits.is_empty() || digits.len() > 30 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    match ty {
        ParamType::String => Ok(()),
        ParamType::Boolean => match v {
            "true" | "false" | "1" | "0" => Ok(()),
            _ => bad_type("a boolean"),
        },
        ParamType::Int | ParamType::UnsignedInt | ParamType::Long | ParamType::UnsignedLong => {
            let Some(n) = int(v) else {
                return bad_type("an integer");
            };
            let (lo, hi): (i128, i128) = match ty {
                ParamType::Int => (i32::MIN.into(), i32::MAX.into()),
                ParamType::UnsignedInt => (0, u32::MAX.into()),
                ParamType::Long => (i64::MIN.into(), i64::MAX.into()),
                _ => (0, u64::MAX.into()),
            };
            if n < lo || n > hi {
                return range("its type");
            }
            Ok(())
        }
        ParamType::Decimal => match v.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(()),
            _ => bad_type("a decimal"),
        },
        ParamType::DateTime => {
            if parse_date_time(v).is_some() {
                Ok(())
            } else {
                bad_type("a dateTime")
            }
        }
        ParamType::HexBinary => {
            if v.len().is_multiple_of(2) && v.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(())
            } else {
                bad_type("hexBinary")
            }
        }
        ParamType::Base64 => {
            let ok = v.len().is_multiple_of(4)
                && v.trim_end_matches('=')
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
                && v.len() - v.trim_end_matches('=').len() <= 2;
            if ok {
                Ok(())
            } else {
                bad_type("base64")
            }
        }
    }
}

/// A number for numeric comparisons.
pub fn number(v: &str) -> Option<f64> {
    let t = v.trim();
    if t.is_empty() {
        return None;
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Compares two numeric texts; integers exactly, the rest as f64.
pub fn compare_numbers(a: &str, b: &str) -> Option<Ordering> {
    if let (Ok(x), Ok(y)) = (a.trim().parse::<i128>(), b.trim().parse::<i128>()) {
        return Some(x.cmp(&y));
    }
    number(a)?.partial_cmp(&number(b)?)
}

/// Seconds since the epoch of an xsd dateTime (`YYYY-MM-DDThh:mm:ss`, an
/// optional fraction, `Z` or `±hh:mm` or no zone), or `None`.
pub fn parse_date_time(v: &str) -> Option<i64> {
    let b = v.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = v.get(r)?;
        if !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut rest = &v[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        rest = &frac[n..];
    }
    let offset = match rest {
        "" | "Z" => 0,
        z if z.len() == 6
            && z.is_ascii()
            && (z.starts_with('+') || z.starts_with('-'))
            && &z[3..4] == ":" =>
        {
            let hh: i64 = z[1..3].parse().ok()?;
            let mm: i64 = z[4..6].parse().ok()?;
            let o = hh * 3600 + mm * 60;
            if z.starts_with('-') {
                -o
            } else {
                o
            }
        }
        _ => return None,
    };
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s - offset)
}

/// `YYYY-MM-DDThh:mm:ssZ` for a point in time (before the epoch: the
/// epoch; TR-181's "unknown" is 0001-01-01T00:00:00Z, not used here).
pub fn format_date_time(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    let secs = i64::try_from(secs).unwrap_or(i64::MAX / 2);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

// Howard Hinnant's civil calendar algorithms (public domain description).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// A type's zero value, what an unset parameter reads.
pub fn zero(ty: ParamType) -> &'static str {
    match ty {
        ParamType::Boolean => "false",
        ParamType::DateTime => "0001-01-01T00:00:00Z",
        t if t.is_numeric() => "0",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dm::schema::Access;

    fn p(ty: ParamType, list: bool) -> Param {
        Param {
            ty,
            access: Access::ReadWrite,
            list,
            hidden: false,
        }
    }

    #[test]
    fn type_checks() {
        let ui = p(ParamType::UnsignedInt, false);
        assert!(check(&ui, "42").is_ok());
        assert_eq!(check(&ui, "abc").unwrap_err().0, ErrorCode::InvalidType);
        assert_eq!(check(&ui, "-1").unwrap_err().0, ErrorCode::InvalidValue);
        assert_eq!(
            check(&ui, "4294967296").unwrap_err().0,
            ErrorCode::InvalidValue
        );
        assert!(check(&p(ParamType::Int, false), "-5").is_ok());
        let b = p(ParamType::Boolean, false);
        assert!(check(&b, "true").is_ok() && check(&b, "0").is_ok());
        assert_eq!(check(&b, "yes").unwrap_err().0, ErrorCode::InvalidType);
        let dt = p(ParamType::DateTime, false);
        assert!(check(&dt, "2024-01-02T03:04:05Z").is_ok());
        assert!(check(&dt, "2024-01-02T03:04:05.5+01:00").is_ok());
        assert!(check(&dt, "2024-13-02T03:04:05Z").is_err());
        assert!(check(&dt, "yesterday").is_err());
        let l = p(ParamType::UnsignedInt, true);
        assert!(check(&l, "1,2, 3").is_ok() && check(&l, "1,x").is_err());
        assert!(check(&p(ParamType::HexBinary, false), "0aFF").is_ok());
        assert!(check(&p(ParamType::HexBinary, false), "0aF").is_err());
        assert!(check(&p(ParamType::Base64, false), "QUJD").is_ok());
        assert!(check(&p(ParamType::Base64, false), "QUJ").is_err());
    }

    #[test]
    fn date_time_round_trip() {
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let s = format_date_time(t);
        assert_eq!(s, "2023-11-14T22:13:20Z");
        assert_eq!(parse_date_time(&s), Some(1_700_000_000));
        assert_eq!(format_date_time(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(parse_date_time("2000-02-29T00:00:00Z"), Some(951_782_400));
    }

    #[test]
    fn numbers_compare() {
        assert_eq!(compare_numbers("10", "9"), Some(Ordering::Greater));
        assert_eq!(compare_numbers("1.5", "1.50"), Some(Ordering::Equal));
        assert_eq!(compare_numbers("x", "1"), None);
    }
}
