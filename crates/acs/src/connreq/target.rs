//! Where a connection request goes: the CPE's ConnectionRequestURL or its
//! UDPConnectionRequestAddress, checked before any socket is opened.

use hyper::http::uri::{Authority, Uri};

/// Longest URL or address accepted. The data model allows 256 characters;
/// the slack tolerates CPE that exceed it without letting a stored value
/// grow without bound.
pub const MAX_TARGET_LEN: usize = 1024;

/// An `http://host[:port][/path][?query]` ConnectionRequestURL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpTarget {
    /// Host to connect to: a name or an IP literal without brackets.
    pub host: String,
    pub port: u16,
    /// `host[:port]` as written, for the `Host` header.
    pub authority: String,
    /// The request target, also the Digest `uri`.
    pub path: String,
}

/// A `host[:port]` UDPConnectionRequestAddress (port 80 when absent, as
/// the data model says).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpTarget {
    pub host: String,
    pub port: u16,
    /// `host:port`, for the datagram's request line and `Host` header.
    pub authority: String,
}

fn check_len(text: &str) -> Result<&str, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty".into());
    }
    if t.len() > MAX_TARGET_LEN {
        return Err(format!("longer than {MAX_TARGET_LEN} bytes"));
    }
    Ok(t)
}

/// Host (brackets dropped) and port out of an authority, refusing user
/// info and bad ports. The port is read here because `Authority::port`
/// quietly drops one it cannot parse.
fn host_port(a: &Authority, default_port: u16) -> Result<(String, u16), String> {
    let text = a.as_str();
    if text.contains('@') {
        return Err("user info in the address is not allowed".into());
    }
    let (host, port) = match text.strip_prefix('[') {
        Some(rest) => {
            let (inner, after) = rest.split_once(']').ok_or("unclosed `[`")?;
            match after {
                "" => (inner, None),
                _ => (
                    inner,
                    Some(after.strip_prefix(':').ok_or("junk after `]`")?),
                ),
            }
        }
        None => match text.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (text, None),
        },
    };
    if host.is_empty() {
        return Err("no host".into());
    }
    let port = match port {
        None | Some("") => default_port,
        Some(p) => match p.parse::<u16>() {
            Ok(0) => return Err("port 0".into()),
            Ok(n) if p.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => return Err(format!("bad port `{p}`")),
        },
    };
    Ok((host.to_string(), port))
}

impl HttpTarget {
    pub fn parse(url: &str) -> Result<HttpTarget, String> {
        let url = check_len(url)?;
        let uri: Uri = url.parse().map_err(|e| format!("not a URL: {e}"))?;
        match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("http") => {}
            Some(s) => return Err(format!("scheme `{s}` is not supported (only http)")),
            None => return Err("not an absolute http:// URL".into()),
        }
        let authority = uri.authority().ok_or("no host")?;
        let (host, port) = host_port(authority, 80)?;
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
        Ok(HttpTarget {
            host,
            port,
            authority: authority.as_str().to_string(),
            path: if path.is_empty() { "/".into() } else { path },
        })
    }
}

impl UdpTarget {
    pub fn parse(address: &str) -> Result<UdpTarget, String> {
        let address = check_len(address)?;
        let authority: Authority = address
            .parse()
            .map_err(|e| format!("not host[:port]: {e}"))?;
        let (host, port) = host_port(&authority, 80)?;
        let shown = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        Ok(UdpTarget {
            host,
            port,
            authority: shown,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usual_connection_request_urls() {
        let t = HttpTarget::parse("http://10.0.0.1:7547/cr/SIM000001").unwrap();
        assert_eq!(
            t,
            HttpTarget {
                host: "10.0.0.1".into(),
                port: 7547,
                authority: "10.0.0.1:7547".into(),
                path: "/cr/SIM000001".into(),
            }
        );
        let t = HttpTarget::parse(" HTTP://cpe.lab ").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("cpe.lab", 80, "/")
        );
        let t = HttpTarget::parse("http://[2001:db8::1]:30005/x?a=b").unwrap();
        assert_eq!(t.host, "2001:db8::1");
        assert_eq!(t.authority, "[2001:db8::1]:30005");
        assert_eq!(t.path, "/x?a=b");
    }

    #[test]
    fn bad_urls_say_why() {
        for (url, why) in [
            ("", "empty"),
            ("https://10.0.0.1/", "scheme `https`"),
            ("ftp://10.0.0.1/", "scheme `ftp`"),
            ("/cr/only-a-path", "absolute"),
            ("10.0.0.1:7547", "absolute"),
            ("http://", "not a URL"),
            ("http://:7547/", "no host"),
            ("http://10.0.0.1:0/", "port 0"),
            ("http://10.0.0.1:70000/", "bad port"),
            ("http://10.0.0.1:+80/", "bad port"),
            ("http://u:p@10.0.0.1/", "user info"),
            ("http://10.0.0.1/a b", "not a URL"),
        ] {
            let err = HttpTarget::parse(url).unwrap_err();
            assert!(err.contains(why), "{url:?}: {err}");
        }
        let long = format!("http://h/{}", "a".repeat(MAX_TARGET_LEN));
        assert!(HttpTarget::parse(&long).unwrap_err().contains("longer"));
    }

    #[test]
    fn udp_addresses() {
        let t = UdpTarget::parse("198.51.100.7:30001").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("198.51.100.7", 30001));
        assert_eq!(t.authority, "198.51.100.7:30001");
        assert_eq!(UdpTarget::parse("cpe.lab").unwrap().authority, "cpe.lab:80");
        assert_eq!(
            UdpTarget::parse("[2001:db8::1]:9").unwrap().authority,
            "[2001:db8::1]:9"
        );
        for bad in ["", "h:0", "u@h:1", "h:x", "http://h:1/", ":5"] {
            assert!(UdpTarget::parse(bad).is_err(), "{bad}");
        }
    }
}
