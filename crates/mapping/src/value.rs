//! Value transforms of a mapped parameter: enumerations, unit factors.

use crate::compile::Param;
use crate::view::Untranslatable;

/// A TR-098 value as TR-181 says it. A value the pack does not list, or
/// a number the factor cannot scale, passes unchanged: the controller
/// sees what the CPE said rather than nothing.
pub fn from_cpe(p: &Param, cwmp: &str) -> String {
    if let Some((_, usp)) = p.values.iter().find(|(c, _)| c == cwmp) {
        return usp.clone();
    }
    match p.factor {
        Some(f) => cwmp
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|v| v.checked_mul(i64::from(f)))
            .map_or_else(|| cwmp.to_owned(), |v| v.to_string()),
        None => cwmp.to_owned(),
    }
}

/// A TR-181 value as the CPE must be given it.
pub fn to_cpe(p: &Param, usp: &str) -> Result<String, Untranslatable> {
    if let Some((cwmp, _)) = p.values.iter().find(|(_, u)| u == usp) {
        return Ok(cwmp.clone());
    }
    if !p.values.is_empty() && p.values.iter().any(|(c, _)| c == usp) {
        // A TR-098 spelling the pack renames: TR-181 never says it.
        return Err(Untranslatable(format!(
            "{usp:?} is not a value of {}",
            p.usp
        )));
    }
    match p.factor {
        Some(f) => {
            let v: i64 = usp
                .trim()
                .parse()
                .map_err(|_| Untranslatable(format!("{usp:?} is not a number")))?;
            let f = i64::from(f);
            if v % f != 0 {
                return Err(Untranslatable(format!(
                    "{usp} cannot be said in TR-098, whose unit is {f} times larger"
                )));
            }
            Ok((v / f).to_string())
        }
        None => Ok(usp.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::Source;
    use proptest::prelude::*;

    fn param(values: &[(&str, &str)], factor: Option<u32>) -> Param {
        Param {
            usp: "X".into(),
            source: Source::Cwmp(vec!["Y".into()]),
            values: values
                .iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect(),
            factor,
            path: None,
            read_only: false,
        }
    }

    #[test]
    fn enumerations_map_both_ways_and_unlisted_values_pass() {
        let p = param(&[("11i", "WPA2-Personal"), ("Basic", "WEP-128")], None);
        assert_eq!(from_cpe(&p, "11i"), "WPA2-Personal");
        assert_eq!(from_cpe(&p, "None"), "None");
        assert_eq!(to_cpe(&p, "WPA2-Personal").unwrap(), "11i");
        assert_eq!(to_cpe(&p, "None").unwrap(), "None");
        assert!(to_cpe(&p, "11i").is_err(), "a TR-098 spelling");
    }

    #[test]
    fn factors_scale_and_refuse_what_does_not_divide() {
        let p = param(&[], Some(1000));
        assert_eq!(from_cpe(&p, "12"), "12000");
        assert_eq!(from_cpe(&p, "n/a"), "n/a");
        assert_eq!(to_cpe(&p, "12000").unwrap(), "12");
        assert!(to_cpe(&p, "12001").is_err());
        assert!(to_cpe(&p, "x").is_err());
    }

    proptest! {
        #[test]
        fn a_written_value_reads_back(v in -1_000_000i64..1_000_000, f in 1u32..10_000) {
            let p = param(&[], Some(f));
            let usp = (v * i64::from(f)).to_string();
            let cwmp = to_cpe(&p, &usp).unwrap();
            prop_assert_eq!(from_cpe(&p, &cwmp), usp);
        }

        #[test]
        fn transforms_never_panic(s in ".{0,40}", f in proptest::option::of(1u32..100)) {
            let p = param(&[("a", "b")], f);
            let _ = from_cpe(&p, &s);
            let _ = to_cpe(&p, &s);
        }
    }
}
