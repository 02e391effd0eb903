//! Values for profile parameters: checking a value against a parameter's
//! syntax, and the fallback a parameter gets when nothing else names one.

use crate::bbf::Syntax;

/// What TR-106 calls the unknown time; a CPE reports it before it has NTP.
pub const UNKNOWN_TIME: &str = "0001-01-01T00:00:00Z";

/// The value a parameter gets when neither the spec nor a rule names one:
/// the BBF default if it is valid, else the first enumeration value, else a
/// type-appropriate zero.
pub fn fallback(syn: &Syntax) -> String {
    if let Some(d) = &syn.default {
        if check(d, syn).is_ok() {
            return d.clone();
        }
    }
    if !syn.list {
        if let Some(first) = syn.enums.first() {
            return first.clone();
        }
    }
    match syn.ty.as_str() {
        "boolean" => "false".to_owned(),
        "int" | "long" | "unsignedInt" | "unsignedLong" => syn.min.unwrap_or(0).max(0).to_string(),
        "dateTime" => UNKNOWN_TIME.to_owned(),
        _ => String::new(),
    }
}

/// Whether `value` is acceptable for a parameter of this syntax; the error
/// says why not.
pub fn check(value: &str, syn: &Syntax) -> Result<(), String> {
    let numeric_min = |v: i128| match syn.min {
        Some(min) if v < i128::from(min) => Err(format!("{value} is below the minimum {min}")),
        _ => Ok(()),
    };
    match syn.ty.as_str() {
        "boolean" => match value {
            "true" | "false" | "1" | "0" => Ok(()),
            _ => Err(format!("{value:?} is not a boolean")),
        },
        "int" => integer::<i32>(value).and_then(numeric_min),
        "long" => integer::<i64>(value).and_then(numeric_min),
        "unsignedInt" => integer::<u32>(value).and_then(numeric_min),
        "unsignedLong" => integer::<u64>(value).and_then(numeric_min),
        "dateTime" => date_time(value),
        "hexBinary"
            if !value.len().is_multiple_of(2) || !value.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Err(format!("{value:?} is not hexBinary"))
        }
        _ => string(value, syn),
    }
}

fn integer<T: std::str::FromStr + Into<i128>>(value: &str) -> Result<i128, String> {
    value
        .parse::<T>()
        .map(Into::into)
        .map_err(|_| format!("{value:?} is not a valid number of this type"))
}

fn date_time(value: &str) -> Result<(), String> {
    let b = value.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let shape = b.len() >= 19
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if shape {
        Ok(())
    } else {
        Err(format!("{value:?} is not an xsd:dateTime"))
    }
}

fn string(value: &str, syn: &Syntax) -> Result<(), String> {
    if let Some(max) = syn.max_len {
        if !syn.list && value.chars().count() > max {
            return Err(format!("{value:?} is longer than {max} characters"));
        }
    }
    if syn.enums.is_empty() {
        return Ok(());
    }
    if syn.list {
        if value.is_empty() {
            return Ok(());
        }
        return match value
            .split(',')
            .map(str::trim)
            .find(|item| !syn.enums.iter().any(|e| e == item))
        {
            Some(bad) => Err(format!("{bad:?} is not one of {}", syn.enums.join("|"))),
            None => Ok(()),
        };
    }
    if syn.enums.iter().any(|e| e == value) {
        Ok(())
    } else {
        Err(format!("{value:?} is not one of {}", syn.enums.join("|")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syn(ty: &str) -> Syntax {
        Syntax {
            ty: ty.into(),
            ..Syntax::default()
        }
    }

    #[test]
    fn fallbacks_are_valid_for_their_type() {
        assert_eq!(fallback(&syn("boolean")), "false");
        assert_eq!(fallback(&syn("dateTime")), UNKNOWN_TIME);
        assert_eq!(
            fallback(&Syntax {
                min: Some(1),
                ..syn("unsignedInt")
            }),
            "1"
        );
        assert_eq!(
            fallback(&Syntax {
                min: Some(-1),
                ..syn("int")
            }),
            "0"
        );
        let enumerated = Syntax {
            enums: vec!["None".into(), "Requested".into()],
            ..syn("string")
        };
        assert_eq!(fallback(&enumerated), "None");
        let bad_default = Syntax {
            default: Some("Nope".into()),
            ..enumerated.clone()
        };
        assert_eq!(fallback(&bad_default), "None");
        let good_default = Syntax {
            default: Some("Requested".into()),
            ..enumerated
        };
        assert_eq!(fallback(&good_default), "Requested");
        for ty in [
            "string",
            "int",
            "unsignedInt",
            "long",
            "unsignedLong",
            "base64",
            "hexBinary",
        ] {
            assert!(check(&fallback(&syn(ty)), &syn(ty)).is_ok(), "{ty}");
        }
    }

    #[test]
    fn checks_values_against_syntax() {
        assert!(check("true", &syn("boolean")).is_ok());
        assert!(check("yes", &syn("boolean")).is_err());
        assert!(check("-5", &syn("int")).is_ok());
        assert!(check("-5", &syn("unsignedInt")).is_err());
        assert!(check("4294967296", &syn("unsignedInt")).is_err());
        assert!(check("4294967296", &syn("unsignedLong")).is_ok());
        assert!(check(
            "0",
            &Syntax {
                min: Some(1),
                ..syn("unsignedInt")
            }
        )
        .is_err());
        assert!(check("2024-05-01T10:00:00Z", &syn("dateTime")).is_ok());
        assert!(check("2024-05-01", &syn("dateTime")).is_err());
        assert!(check("0aFF", &syn("hexBinary")).is_ok());
        assert!(check("0aF", &syn("hexBinary")).is_err());
        let e = Syntax {
            enums: vec!["Up".into(), "Down".into()],
            ..syn("string")
        };
        assert!(check("Up", &e).is_ok());
        assert!(check("Sideways", &e).is_err());
        let list = Syntax { list: true, ..e };
        assert!(check("Up,Down", &list).is_ok());
        assert!(check("", &list).is_ok());
        assert!(check("Up,Left", &list).is_err());
        assert!(check(
            "abcd",
            &Syntax {
                max_len: Some(3),
                ..syn("string")
            }
        )
        .is_err());
    }
}
