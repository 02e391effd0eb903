//! Server side: issue challenges and verify `Authorization` headers.
//!
//! Nonces are stateless (`time || random || HMAC`), so any number can be
//! issued without memory; only nonces actually used are kept, in a bounded
//! table, to refuse replayed nonce counts.

use std::collections::{HashMap, VecDeque};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::digest::{self, Algorithm};
use crate::params::{parse_challenges, quote, AuthParams};
use crate::AuthError;

/// A `WWW-Authenticate: Digest` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    pub algorithm: Algorithm,
    pub nonce: String,
    pub opaque: Option<String>,
    /// Tells the client its password was right but the nonce expired.
    pub stale: bool,
}

impl Challenge {
    /// The header value; always offers qop="auth".
    pub fn header(&self) -> String {
        let mut h = format!(
            "Digest realm={}, qop=\"auth\", algorithm={}, nonce={}",
            quote(&self.realm),
            self.algorithm,
            quote(&self.nonce)
        );
        if let Some(o) = &self.opaque {
            h.push_str(&format!(", opaque={}", quote(o)));
        }
        if self.stale {
            h.push_str(", stale=true");
        }
        h
    }
}

/// `WWW-Authenticate` value for Basic.
pub fn basic_challenge(realm: &str) -> String {
    format!("Basic realm={}", quote(realm))
}

/// What a verification concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok {
        user: String,
    },
    /// Right credentials on an expired nonce: challenge again with stale=true.
    Stale,
    Denied,
}

/// Parsed Digest credentials from an `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestCredentials {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    pub algorithm: Algorithm,
    pub cnonce: Option<String>,
    /// `None` for RFC 2069 style (no qop).
    pub nc: Option<u32>,
    pub opaque: Option<String>,
}

impl DigestCredentials {
    pub fn parse(authorization: &str) -> Result<Self, AuthError> {
        let all = parse_challenges(authorization)?;
        let p = match all.as_slice() {
            [p] if p.is("Digest") => p,
            _ => return Err(AuthError::Unsupported),
        };
        Self::from_params(p)
    }

    fn from_params(p: &AuthParams) -> Result<Self, AuthError> {
        if p.get("userhash")
            .is_some_and(|u| u.eq_ignore_ascii_case("true"))
        {
            return Err(AuthError::Unsupported);
        }
        let algorithm = Algorithm::parse(p.get("algorithm")).ok_or(AuthError::Unsupported)?;
        let nc = match p.get("qop") {
            None => None,
            Some(q) if q.eq_ignore_ascii_case("auth") => {
                let nc = p.require("nc")?;
                if nc.len() != 8 {
                    return Err(AuthError::Invalid("nc"));
                }
                Some(u32::from_str_radix(nc, 16).map_err(|_| AuthError::Invalid("nc"))?)
            }
            Some(_) => return Err(AuthError::Unsupported),
        };
        let cnonce = p.get("cnonce").map(str::to_string);
        if (nc.is_some() || matches!(algorithm, Algorithm::Md5Sess | Algorithm::Sha256Sess))
            && cnonce.is_none()
        {
            return Err(AuthError::Missing("cnonce"));
        }
        Ok(Self {
            username: p.require("username")?.to_string(),
            realm: p.require("realm")?.to_string(),
            nonce: p.require("nonce")?.to_string(),
            uri: p.require("uri")?.to_string(),
            response: p.require("response")?.to_ascii_lowercase(),
            algorithm,
            cnonce,
            nc,
            opaque: p.get("opaque").map(str::to_string),
        })
    }

    /// Whether `response` is right for this password (no nonce checks).
    pub fn matches(&self, method: &str, password: &str) -> bool {
        let nc = self.nc.map(|n| format!("{n:08x}"));
        let cnonce = self.cnonce.as_deref().unwrap_or("");
        let expected = digest::response(&digest::Inputs {
            algorithm: self.algorithm,
            user: &self.username,
            realm: &self.realm,
            password,
            method,
            uri: &self.uri,
            nonce: &self.nonce,
            qop_auth: nc.as_deref().map(|n| (n, cnonce)),
            cnonce,
        });
        digest::same(&expected, &self.response)
    }
}

const NONCE_BYTES: usize = 8 + 16 + 16;

/// Issues nonces and verifies Digest (and, if allowed, Basic) credentials.
pub struct Verifier {
    realm: String,
    key: [u8; 32],
    opaque: String,
    algorithms: Vec<Algorithm>,
    lifetime: u64,
    allow_basic: bool,
    allow_no_qop: bool,
    max_nonces: usize,
    /// Last nonce count seen per used nonce, with its issue time.
    used: HashMap<String, u32>,
    order: VecDeque<(String, u64)>,
    /// Nonces issued at or before this time and no longer in the table are stale.
    forgotten_up_to: Option<u64>,
}

impl Verifier {
    /// `key` must be secret random bytes (e.g. from the OS at startup).
    pub fn new(realm: impl Into<String>, key: [u8; 32]) -> Self {
        let opaque = digest::hex(&mac(&key, b"opaque")[..16]);
        Self {
            realm: realm.into(),
            key,
            opaque,
            algorithms: vec![Algorithm::Sha256, Algorithm::Md5],
            lifetime: 300,
            allow_basic: false,
            allow_no_qop: false,
            max_nonces: 10_000,
            used: HashMap::new(),
            order: VecDeque::new(),
            forgotten_up_to: None,
        }
    }

    /// Algorithms to offer and accept, strongest first.
    pub fn algorithms(mut self, algorithms: &[Algorithm]) -> Self {
        self.algorithms = algorithms.to_vec();
        self
    }
    /// Seconds a nonce stays valid.
    pub fn nonce_lifetime(mut self, secs: u64) -> Self {
        self.lifetime = secs;
        self
    }
    pub fn allow_basic(mut self, yes: bool) -> Self {
        self.allow_basic = yes;
        self
    }
    /// Accept RFC 2069 responses (no qop), which cannot be replay-protected.
    pub fn allow_no_qop(mut self, yes: bool) -> Self {
        self.allow_no_qop = yes;
        self
    }
    /// Bound on remembered nonces (memory stays bounded whatever clients do).
    pub fn max_nonces(mut self, n: usize) -> Self {
        self.max_nonces = n.max(1);
        self
    }

    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// A fresh nonce for time `now` (seconds) and caller-supplied randomness.
    pub fn nonce(&self, now: u64, random: [u8; 16]) -> String {
        let mut raw = Vec::with_capacity(NONCE_BYTES);
        raw.extend_from_slice(&now.to_be_bytes());
        raw.extend_from_slice(&random);
        let tag = mac(&self.key, &raw);
        raw.extend_from_slice(&tag[..16]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// `WWW-Authenticate` values to send with a 401, strongest first.
    pub fn challenges(&self, now: u64, random: [u8; 16], stale: bool) -> Vec<String> {
        let nonce = self.nonce(now, random);
        let mut v: Vec<String> = self
            .algorithms
            .iter()
            .map(|&algorithm| {
                Challenge {
                    realm: self.realm.clone(),
                    algorithm,
                    nonce: nonce.clone(),
                    opaque: Some(self.opaque.clone()),
                    stale,
                }
                .header()
            })
            .collect();
        if self.allow_basic {
            v.push(basic_challenge(&self.realm));
        }
        v
    }

    /// Issue time of a nonce we made, or `None` if forged or malformed.
    fn nonce_time(&self, nonce: &str) -> Option<u64> {
        let raw = URL_SAFE_NO_PAD.decode(nonce).ok()?;
        if raw.len() != NONCE_BYTES {
            return None;
        }
        let (body, tag) = raw.split_at(24);
        let want = mac(&self.key, body);
        if !digest::same(&digest::hex(&want[..16]), &digest::hex(tag)) {
            return None;
        }
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&body[..8]);
        Some(u64::from_be_bytes(ts))
    }

    /// Verifies an `Authorization` value for `method`; `lookup` maps a user
    /// to its password; `now` is seconds on the same clock as [`Self::nonce`].
    pub fn verify(
        &mut self,
        authorization: &str,
        method: &str,
        lookup: impl Fn(&str) -> Option<String>,
        now: u64,
    ) -> Outcome {
        self.verify_request(authorization, method, None, lookup, now)
    }

    /// As [`Self::verify`], also requiring the digest `uri` to equal `request_uri`.
    pub fn verify_request(
        &mut self,
        authorization: &str,
        method: &str,
        request_uri: Option<&str>,
        lookup: impl Fn(&str) -> Option<String>,
        now: u64,
    ) -> Outcome {
        let Ok(all) = parse_challenges(authorization) else {
            return Outcome::Denied;
        };
        let [p] = all.as_slice() else {
            return Outcome::Denied;
        };
        if p.is("Basic") {
            return if self.allow_basic {
                verify_basic(p, lookup)
            } else {
                Outcome::Denied
            };
        }
        if !p.is("Digest") {
            return Outcome::Denied;
        }
        let Ok(c) = DigestCredentials::from_params(p) else {
            return Outcome::Denied;
        };
        let acceptable = self.algorithms.contains(&c.algorithm)
            && c.realm == self.realm
            && (c.nc.is_some() || self.allow_no_qop)
            && request_uri.is_none_or(|u| u == c.uri)
            && c.opaque.as_ref().is_none_or(|o| *o == self.opaque);
        let Some(password) = lookup(&c.username).filter(|_| acceptable) else {
            return Outcome::Denied;
        };
        if !c.matches(method, &password) {
            return Outcome::Denied;
        }
        let Some(issued) = self.nonce_time(&c.nonce) else {
            return Outcome::Denied;
        };
        if now.saturating_sub(issued) > self.lifetime {
            return Outcome::Stale;
        }
        self.count_use(&c.nonce, issued, c.nc, now, c.username)
    }

    fn count_use(
        &mut self,
        nonce: &str,
        issued: u64,
        nc: Option<u32>,
        now: u64,
        user: String,
    ) -> Outcome {
        let Some(nc) = nc else {
            return Outcome::Ok { user };
        };
        // Forget expired nonces first: expiry alone now makes them stale.
        while let Some((n, t)) = self.order.front() {
            if now.saturating_sub(*t) <= self.lifetime {
                break;
            }
            self.used.remove(n);
            self.order.pop_front();
        }
        match self.used.get_mut(nonce) {
            Some(last) if nc > *last => {
                *last = nc;
                Outcome::Ok { user }
            }
            Some(_) => Outcome::Denied,
            None if self.forgotten_up_to.is_some_and(|f| issued <= f) => Outcome::Stale,
            None => {
                if self.used.len() >= self.max_nonces {
                    if let Some((n, t)) = self.order.pop_front() {
                        self.used.remove(&n);
                        self.forgotten_up_to = Some(self.forgotten_up_to.map_or(t, |f| f.max(t)));
                    }
                }
                self.used.insert(nonce.to_string(), nc);
                self.order.push_back((nonce.to_string(), issued));
                Outcome::Ok { user }
            }
        }
    }

    /// Nonces currently remembered (for tests and metrics).
    pub fn remembered(&self) -> usize {
        self.used.len()
    }
}

fn mac(key: &[u8; 32], data: &[u8]) -> [u8; 32] {
    let Ok(mut m) = Hmac::<Sha256>::new_from_slice(key) else {
        return [0; 32]; // unreachable: HMAC takes keys of any length
    };
    m.update(data);
    m.finalize().into_bytes().into()
}

fn verify_basic(p: &AuthParams, lookup: impl Fn(&str) -> Option<String>) -> Outcome {
    let decoded = p
        .token68
        .as_deref()
        .and_then(|t| STANDARD.decode(t).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let Some((user, given)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
        return Outcome::Denied;
    };
    match lookup(user) {
        Some(pw) if digest::same(&pw, given) => Outcome::Ok {
            user: user.to_string(),
        },
        _ => Outcome::Denied,
    }
}

/// The user name an `Authorization` value claims (Basic or Digest), for
/// logging a refusal: never the password, and `None` when the value is
/// neither or malformed. Digest's `userhash` names nobody readable.
pub fn claimed_user(authorization: &str) -> Option<String> {
    let all = parse_challenges(authorization).ok()?;
    let [p] = all.as_slice() else {
        return None;
    };
    if p.is("Basic") {
        let decoded = STANDARD.decode(p.token68.as_deref()?).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        return text.split_once(':').map(|(user, _)| user.to_string());
    }
    if p.is("Digest")
        && !p
            .get("userhash")
            .is_some_and(|u| u.eq_ignore_ascii_case("true"))
    {
        return p.get("username").map(str::to_string);
    }
    None
}

/// Verifies a Basic `Authorization` value on its own.
pub fn check_basic(authorization: &str, lookup: impl Fn(&str) -> Option<String>) -> Outcome {
    match parse_challenges(authorization).as_deref() {
        Ok([p]) if p.is("Basic") => verify_basic(p, lookup),
        _ => Outcome::Denied,
    }
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
