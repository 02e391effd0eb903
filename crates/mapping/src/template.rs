//! Paths in `{i}` form against concrete paths.

/// Whether `path` is `template` with a number for each `{i}`.
pub fn matches(template: &str, path: &str) -> bool {
    prefix_len(template, path) == Some(path.len())
}

/// The length of the part of `path` that `template` matches from the
/// start, segment by segment (`template` must end at a segment's end).
pub fn prefix_len(template: &str, path: &str) -> Option<usize> {
    let mut used = 0;
    let mut rest = path;
    for seg in template.split_inclusive('.') {
        let (want, dot) = match seg.strip_suffix('.') {
            Some(s) => (s, true),
            None => (seg, false),
        };
        let end = rest.find('.').map_or(rest.len(), |i| i);
        let have = &rest[..end];
        let ok = if want == "{i}" {
            !have.is_empty() && have.len() <= 10 && have.bytes().all(|b| b.is_ascii_digit())
        } else {
            want == have
        };
        if !ok {
            return None;
        }
        let take = if dot {
            if end == rest.len() {
                return None;
            }
            end + 1
        } else {
            end
        };
        used += take;
        rest = &rest[take..];
    }
    Some(used)
}

/// The number of `{i}` in a template.
pub fn depth(template: &str) -> usize {
    template.matches("{i}").count()
}

/// A table template (`….{i}.`) without its last `{i}.`: `Device.A.{i}.B.`.
pub fn table_of(template: &str) -> Option<&str> {
    template.strip_suffix("{i}.")
}

/// Orders concrete paths with their numbers as numbers (`2.` before `10.`).
pub fn natural_key(path: &str) -> Vec<Result<u64, &str>> {
    path.split('.')
        .map(|s| s.parse::<u64>().map_err(|_| s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_numbers_only_where_they_say_so() {
        let t = "InternetGatewayDevice.LANDevice.{i}.WLANConfiguration.{i}.";
        assert!(matches(
            t,
            "InternetGatewayDevice.LANDevice.1.WLANConfiguration.12."
        ));
        assert!(!matches(
            t,
            "InternetGatewayDevice.LANDevice.x.WLANConfiguration.1."
        ));
        assert!(!matches(
            t,
            "InternetGatewayDevice.LANDevice.1.WLANConfiguration."
        ));
        assert!(!matches(
            t,
            "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"
        ));
        assert_eq!(
            prefix_len(
                "InternetGatewayDevice.WANDevice.{i}.",
                "InternetGatewayDevice.WANDevice.3.WANConnectionDevice.1."
            ),
            Some("InternetGatewayDevice.WANDevice.3.".len())
        );
        assert_eq!(prefix_len("A.B.", "A.C."), None);
        assert_eq!(depth(t), 2);
        assert_eq!(table_of("Device.WiFi.SSID.{i}."), Some("Device.WiFi.SSID."));
        let mut v = ["A.10.", "A.2.", "A.1."];
        v.sort_by_key(|p| natural_key(p));
        assert_eq!(v, ["A.1.", "A.2.", "A.10."]);
    }
}
