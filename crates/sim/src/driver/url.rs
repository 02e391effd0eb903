//! The few URL forms the driver needs: `http[s]://host[:port][/path]`.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    pub host: String,
    pub port: u16,
    /// Request-target, at least `/`.
    pub path: String,
    /// `https://`.
    pub tls: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("only http:// and https:// URLs are supported (got {0:?})")]
    Scheme(String),
    #[error("malformed URL {0:?}")]
    Malformed(String),
}

impl HttpUrl {
    pub fn parse(url: &str) -> Result<HttpUrl, UrlError> {
        let bad = || UrlError::Malformed(url.chars().take(200).collect());
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(bad());
        };
        let tls = scheme.eq_ignore_ascii_case("https");
        if !tls && !scheme.eq_ignore_ascii_case("http") {
            return Err(UrlError::Scheme(scheme.chars().take(20).collect()));
        }
        let default_port = if tls { 443 } else { 80 };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => (
                rest.get(..i).unwrap_or_default(),
                rest.get(i..).unwrap_or("/"),
            ),
            None => (rest, "/"),
        };
        let path = if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_string()
        };
        if authority.contains('@') || authority.is_empty() {
            return Err(bad());
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(bad)?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().map_err(|_| bad())?,
                None if after.is_empty() => default_port,
                None => return Err(bad()),
            };
            (h.to_string(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), p.parse().map_err(|_| bad())?),
                None => (authority.to_string(), default_port),
            }
        };
        if host.is_empty() || path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        Ok(HttpUrl {
            host,
            port,
            path,
            tls,
        })
    }

    /// `host:port` for the Host header and for connecting.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let u = HttpUrl::parse("http://127.0.0.1:7547/acs?x=1").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("127.0.0.1", 7547, "/acs?x=1")
        );
        let u = HttpUrl::parse("http://example.net").unwrap();
        assert_eq!((u.port, u.path.as_str()), (80, "/"));
        let u = HttpUrl::parse("http://[::1]:8080/x").unwrap();
        assert_eq!(
            (u.host.as_str(), u.authority()),
            ("::1", "[::1]:8080".to_string())
        );
        let u = HttpUrl::parse("HTTPS://acs.example/cwmp").unwrap();
        assert_eq!((u.port, u.tls, u.path.as_str()), (443, true, "/cwmp"));
        assert!(!HttpUrl::parse("http://a/").unwrap().tls);
        assert!(matches!(
            HttpUrl::parse("ftp://a/"),
            Err(UrlError::Scheme(_))
        ));
        assert!(HttpUrl::parse("http://a:99999/").is_err());
        assert!(HttpUrl::parse("nonsense").is_err());
        assert!(HttpUrl::parse("http://u@h/").is_err());
    }
}
