//! Client side: answer a `WWW-Authenticate` challenge with an `Authorization` value.

use crate::digest::{self, Algorithm};
use crate::params::{parse_challenges, quote, AuthParams};
use crate::{basic_header, AuthError};

/// The challenge we chose to answer out of a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chosen {
    Digest {
        algorithm: Algorithm,
        realm: String,
        nonce: String,
        opaque: Option<String>,
        /// false: the server sent no qop (RFC 2069 style).
        qop_auth: bool,
        stale: bool,
    },
    Basic {
        realm: Option<String>,
    },
}

fn digest_of(p: &AuthParams) -> Result<Chosen, AuthError> {
    let algorithm = Algorithm::parse(p.get("algorithm")).ok_or(AuthError::Unsupported)?;
    let qop_auth = match p.get("qop") {
        None => false,
        Some(q) if q.split(',').any(|t| t.trim().eq_ignore_ascii_case("auth")) => true,
        Some(_) => return Err(AuthError::Unsupported), // auth-int only
    };
    Ok(Chosen::Digest {
        algorithm,
        realm: p.require("realm")?.to_string(),
        nonce: p.require("nonce")?.to_string(),
        opaque: p.get("opaque").map(str::to_string),
        qop_auth,
        stale: p
            .get("stale")
            .is_some_and(|s| s.eq_ignore_ascii_case("true")),
    })
}

/// Picks the strongest supported challenge: Digest (SHA-256 over MD5) over Basic.
pub fn choose(challenge_header: &str) -> Result<Chosen, AuthError> {
    let all = parse_challenges(challenge_header)?;
    let mut best: Option<Chosen> = None;
    let mut first_err = None;
    for p in &all {
        let cand = if p.is("Digest") {
            match digest_of(p) {
                Ok(c) => c,
                Err(e) => {
                    first_err.get_or_insert(e);
                    continue;
                }
            }
        } else if p.is("Basic") {
            Chosen::Basic {
                realm: p.get("realm").map(str::to_string),
            }
        } else {
            continue;
        };
        let rank = |c: &Chosen| match c {
            Chosen::Basic { .. } => 0,
            Chosen::Digest { algorithm, .. } => 1 + *algorithm as u8,
        };
        if best.as_ref().is_none_or(|b| rank(&cand) > rank(b)) {
            best = Some(cand);
        }
    }
    best.ok_or(first_err.unwrap_or(AuthError::Unsupported))
}

/// `Authorization` value answering `challenge_header` (Digest or Basic).
///
/// `cnonce` should be fresh random text from the caller; `nc` counts the
/// requests made with this nonce, starting at 1.
pub fn respond(
    challenge_header: &str,
    method: &str,
    uri: &str,
    user: &str,
    password: &str,
    cnonce: &str,
    nc: u32,
) -> Result<String, AuthError> {
    Ok(authorize(
        &choose(challenge_header)?,
        method,
        uri,
        user,
        password,
        cnonce,
        nc,
    ))
}

/// `Authorization` value for an already chosen challenge.
pub fn authorize(
    chosen: &Chosen,
    method: &str,
    uri: &str,
    user: &str,
    password: &str,
    cnonce: &str,
    nc: u32,
) -> String {
    let Chosen::Digest {
        algorithm,
        realm,
        nonce,
        opaque,
        qop_auth,
        ..
    } = chosen
    else {
        return basic_header(user, password);
    };
    let nc = format!("{nc:08x}");
    let response = digest::response(&digest::Inputs {
        algorithm: *algorithm,
        user,
        realm,
        password,
        method,
        uri,
        nonce,
        qop_auth: qop_auth.then_some((nc.as_str(), cnonce)),
        cnonce,
    });
    let mut h = format!(
        "Digest username={}, realm={}, nonce={}, uri={}, algorithm={algorithm}, response=\"{response}\"",
        quote(user),
        quote(realm),
        quote(nonce),
        quote(uri),
    );
    if *qop_auth || matches!(algorithm, Algorithm::Md5Sess | Algorithm::Sha256Sess) {
        h.push_str(&format!(", cnonce={}", quote(cnonce)));
    }
    if *qop_auth {
        h.push_str(&format!(", qop=auth, nc={nc}"));
    }
    if let Some(o) = opaque {
        h.push_str(&format!(", opaque={}", quote(o)));
    }
    h
}

/// Keeps the last challenge of a connection so later requests can
/// authenticate up front with an increasing nonce count.
#[derive(Debug, Clone)]
pub struct DigestClient {
    user: String,
    password: String,
    chosen: Option<Chosen>,
    nc: u32,
}

impl DigestClient {
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            password: password.into(),
            chosen: None,
            nc: 0,
        }
    }

    /// Records a 401's challenge; the nonce count restarts.
    pub fn challenged(&mut self, challenge_header: &str) -> Result<(), AuthError> {
        self.chosen = Some(choose(challenge_header)?);
        self.nc = 0;
        Ok(())
    }

    /// The `Authorization` for the next request, if a challenge is known.
    pub fn authorization(&mut self, method: &str, uri: &str, cnonce: &str) -> Option<String> {
        let chosen = self.chosen.as_ref()?;
        self.nc = self.nc.wrapping_add(1).max(1);
        Some(authorize(
            chosen,
            method,
            uri,
            &self.user,
            &self.password,
            cnonce,
            self.nc,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::parse_challenges;

    const RFC7616_CHALLENGE: &str = r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;
    const CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

    fn response_of(h: &str) -> String {
        parse_challenges(h).unwrap()[0]
            .get("response")
            .unwrap()
            .to_string()
    }

    #[test]
    fn rfc7616_sha256_and_md5_vectors() {
        let h = respond(
            RFC7616_CHALLENGE,
            "GET",
            "/dir/index.html",
            "Mufasa",
            "Circle of Life",
            CNONCE,
            1,
        )
        .unwrap();
        assert!(h.contains("algorithm=SHA-256"), "{h}");
        assert_eq!(
            response_of(&h),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
        assert!(
            h.contains("nc=00000001") && h.contains("qop=auth,") && h.contains("opaque=\"FQhe")
        );
        let md5_only = RFC7616_CHALLENGE
            .split(", Digest")
            .nth(1)
            .map(|s| format!("Digest{s}"))
            .unwrap();
        let h = respond(
            &md5_only,
            "GET",
            "/dir/index.html",
            "Mufasa",
            "Circle of Life",
            CNONCE,
            1,
        )
        .unwrap();
        assert_eq!(response_of(&h), "8ca523f5e9506fed4657c9700eebdbec");
    }

    #[test]
    fn rfc2617_vector() {
        let c = r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#;
        let h = respond(
            c,
            "GET",
            "/dir/index.html",
            "Mufasa",
            "Circle Of Life",
            "0a4f113b",
            1,
        )
        .unwrap();
        assert_eq!(response_of(&h), "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn easycwmp_libcurl_interop() {
        // Nonce, cnonce and nc copied from the captured request in
        // tests/fixtures/cwmp/easycwmp/Inform-00001 (password found: acspass).
        let c = r#"Digest realm="miniacs", nonce="92200c0eeceb4ff38b39422c3cd27b8b", qop="auth""#;
        let cn = "NDNhOTY4YjRmYmY4ZTkwYWUyZTdlOWE1NDQ2OTE4MGU=";
        let h = respond(c, "POST", "/", "acsuser", "acspass", cn, 10).unwrap();
        assert_eq!(response_of(&h), "a5ffa2d227d5e2db41f72d83618e227d");
    }

    #[test]
    fn no_qop_is_rfc2069() {
        let c = r#"Digest realm="r", nonce="n""#;
        let h = respond(c, "POST", "/", "u", "p", "c", 1).unwrap();
        assert!(!h.contains("qop") && !h.contains("nc="));
        let ha1 = Algorithm::Md5.hash("u:r:p");
        let ha2 = Algorithm::Md5.hash("POST:/");
        assert_eq!(
            response_of(&h),
            Algorithm::Md5.hash(&format!("{ha1}:n:{ha2}"))
        );
    }

    #[test]
    fn prefers_digest_over_basic_and_skips_unknown() {
        let h = respond(r#"Basic realm="x", Digest realm="x", nonce="n", algorithm=SHA-512, Digest realm="x", nonce="n""#, "POST", "/", "u", "p", "c", 1).unwrap();
        assert!(
            h.starts_with("Digest ") && h.contains("algorithm=MD5"),
            "{h}"
        );
        let h = respond(
            r#"Basic realm="x""#,
            "POST",
            "/",
            "Aladdin",
            "open sesame",
            "c",
            1,
        )
        .unwrap();
        assert_eq!(h, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert_eq!(
            respond(
                r#"Digest realm="x", nonce="n", qop="auth-int""#,
                "GET",
                "/",
                "u",
                "p",
                "c",
                1
            ),
            Err(AuthError::Unsupported)
        );
        assert_eq!(
            respond(r#"Digest realm="x""#, "GET", "/", "u", "p", "c", 1),
            Err(AuthError::Missing("nonce"))
        );
        assert_eq!(
            respond("Bearer", "GET", "/", "u", "p", "c", 1),
            Err(AuthError::Unsupported)
        );
    }

    #[test]
    fn stateful_client_counts_requests() {
        let mut c = DigestClient::new("u", "p");
        assert_eq!(c.authorization("POST", "/", "c"), None);
        c.challenged(r#"Digest realm="r", nonce="n", qop="auth""#)
            .unwrap();
        assert!(c
            .authorization("POST", "/", "c")
            .unwrap()
            .contains("nc=00000001"));
        assert!(c
            .authorization("POST", "/", "c")
            .unwrap()
            .contains("nc=00000002"));
    }
}
