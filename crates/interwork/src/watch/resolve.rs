//! TR-181 paths as ReferenceLists write them (`*` wildcards, search
//! expressions `[...]`, partial paths ending in `.`) matched against the
//! concrete names a CPE lists.
//!
//! A search expression or an instance alias is matched as `*`: the CPE
//! cannot evaluate it, and its keys may change at any time. Watching
//! every instance is the safe side; whoever raises the notification tests
//! the subscription's own path (see `agent::Agents::notify`).

/// The segments of `path`, split at dots outside `[...]` and quotes.
pub(crate) fn segments(path: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut quote, mut start) = (0usize, None, 0usize);
    for (i, c) in path.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') if depth > 0 => quote = Some(c),
            (None, '[') => depth += 1,
            (None, ']') => depth = depth.saturating_sub(1),
            (None, '.') if depth == 0 => {
                out.push(&path[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&path[start..]);
    out
}

fn any_instance(seg: &str) -> bool {
    seg == "*" || seg.starts_with('[')
}

/// The object or parameter to list on the CPE for `path`: the part
/// before its first wildcard or search expression.
pub(crate) fn listing_root(path: &str) -> String {
    let segs = segments(path);
    match segs.iter().position(|s| any_instance(s)) {
        Some(i) => {
            let mut root = segs[..i].join(".");
            root.push('.');
            root
        }
        None => path.to_owned(),
    }
}

/// Whether the concrete parameter `name` is one `path` refers to.
pub(crate) fn matches(path: &str, name: &str) -> bool {
    let pat = segments(path);
    let got: Vec<&str> = name.split('.').collect();
    // `Device.WiFi.` splits to [.., "WiFi", ""]: everything under it.
    let partial = pat.last().is_some_and(|s| s.is_empty());
    let pat = if partial {
        &pat[..pat.len() - 1]
    } else {
        &pat[..]
    };
    if got.len() < pat.len() || (!partial && got.len() != pat.len()) {
        return false;
    }
    pat.iter().zip(&got).all(|(p, g)| {
        if any_instance(p) {
            !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit())
        } else {
            p == g
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_expressions_keep_their_dots() {
        assert_eq!(
            segments("Device.X.[Name==\"a.b\"].Y"),
            vec!["Device", "X", "[Name==\"a.b\"]", "Y"]
        );
        assert_eq!(listing_root("Device.X.[Name==\"a.b\"].Y"), "Device.X.");
        assert_eq!(listing_root("Device.WiFi.SSID.*.SSID"), "Device.WiFi.SSID.");
        assert_eq!(listing_root("Device.WiFi."), "Device.WiFi.");
        assert_eq!(
            listing_root("Device.DeviceInfo.UpTime"),
            "Device.DeviceInfo.UpTime"
        );
    }

    #[test]
    fn wildcards_match_instances_only() {
        assert!(matches(
            "Device.WiFi.SSID.*.SSID",
            "Device.WiFi.SSID.2.SSID"
        ));
        assert!(!matches(
            "Device.WiFi.SSID.*.SSID",
            "Device.WiFi.SSID.2.Enable"
        ));
        assert!(!matches(
            "Device.WiFi.SSID.*.SSID",
            "Device.WiFi.SSID.x.SSID"
        ));
        assert!(matches(
            "Device.WiFi.SSID.[Enable==true].SSID",
            "Device.WiFi.SSID.1.SSID"
        ));
        assert!(matches("Device.WiFi.", "Device.WiFi.SSID.1.SSID"));
        assert!(!matches("Device.WiFi.", "Device.WiFiX.A"));
        assert!(matches(
            "Device.DeviceInfo.UpTime",
            "Device.DeviceInfo.UpTime"
        ));
        assert!(!matches(
            "Device.DeviceInfo.UpTime",
            "Device.DeviceInfo.UpTimeX"
        ));
    }
}
