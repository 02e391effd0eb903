//! The UDP connection request datagram (TR-069 Annex G, TR-111 part 2):
//! building and signing it for the ACS, parsing and verifying it for a CPE
//! (tests, and later the simulator). No sockets, no clock.
//!
//! The signature is HMAC-SHA1 keyed with the connection-request password
//! over the text `ts || id || un || cn`, in hex. Values travel
//! percent-encoded in the query; the signature covers them decoded.

use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha1::Sha1;

/// Larger datagrams are refused before parsing: a real one is a few
/// hundred bytes.
pub const MAX_DATAGRAM: usize = 2048;

/// Everything but RFC 3986 unreserved characters is encoded in values.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One UDP connection request, as sent or as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpConnectionRequest {
    /// `host:port` of the CPE, as in the request line.
    pub authority: String,
    /// Unix seconds when the ACS signed it.
    pub ts: u64,
    /// Random per request: a CPE drops repeats of an `id` it has seen.
    pub id: String,
    pub un: String,
    /// Random per request, so equal `ts`/`id` never sign alike.
    pub cn: String,
    pub sig: [u8; 20],
}

/// Why a datagram is not a valid connection request for us.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UdpRequestError {
    #[error("datagram larger than {MAX_DATAGRAM} bytes")]
    TooLarge,
    #[error("not an HTTP GET request line: {0}")]
    NotHttp(String),
    #[error("missing query parameter `{0}`")]
    Missing(&'static str),
    #[error("query parameter `{0}` appears twice")]
    Duplicate(&'static str),
    #[error("invalid value for `{0}`")]
    Invalid(&'static str),
    #[error("user name does not match")]
    WrongUser,
    #[error("signature does not match")]
    BadSignature,
    #[error("timestamp {ts} is more than {max_age} s from now ({now})")]
    Stale { ts: u64, now: u64, max_age: u64 },
}

fn signature(password: &str, parts: &[&str]) -> [u8; 20] {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(password.as_bytes()) else {
        return [0; 20]; // unreachable: HMAC takes keys of any length
    };
    for p in parts {
        mac.update(p.as_bytes());
    }
    mac.finalize().into_bytes().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 20]> {
    let raw = text.as_bytes();
    if raw.len() != 40 {
        return None;
    }
    let mut out = [0u8; 20];
    for (o, pair) in out.iter_mut().zip(raw.chunks_exact(2)) {
        let digit = |c: u8| (c as char).to_digit(16);
        *o = u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok()?;
    }
    Some(out)
}

impl UdpConnectionRequest {
    /// A request signed with `password`.
    pub fn signed(authority: &str, ts: u64, id: &str, un: &str, cn: &str, password: &str) -> Self {
        let ts_text = ts.to_string();
        UdpConnectionRequest {
            authority: authority.to_string(),
            ts,
            id: id.to_string(),
            un: un.to_string(),
            cn: cn.to_string(),
            sig: signature(password, &[&ts_text, id, un, cn]),
        }
    }

    /// The datagram's bytes.
    pub fn to_datagram(&self) -> Vec<u8> {
        let enc = |v: &str| utf8_percent_encode(v, QUERY_VALUE).to_string();
        format!(
            "GET http://{a}?ts={ts}&id={id}&un={un}&cn={cn}&sig={sig} HTTP/1.1\r\nHost: {a}\r\n\r\n",
            a = self.authority,
            ts = self.ts,
            id = enc(&self.id),
            un = enc(&self.un),
            cn = enc(&self.cn),
            sig = hex(&self.sig),
        )
        .into_bytes()
    }

    /// Reads a datagram; says nothing yet about its signature.
    pub fn parse(datagram: &[u8]) -> Result<Self, UdpRequestError> {
        if datagram.len() > MAX_DATAGRAM {
            return Err(UdpRequestError::TooLarge);
        }
        let mut headers = [httparse::EMPTY_HEADER; 8];
        let mut req = httparse::Request::new(&mut headers);
        // A datagram is the whole message: a missing blank line at the end
        // is no reason to refuse it, so a partial parse with a target will do.
        if let Err(e) = req.parse(datagram) {
            return Err(UdpRequestError::NotHttp(e.to_string()));
        }
        if req.method != Some("GET") {
            return Err(UdpRequestError::NotHttp("method is not GET".into()));
        }
        let target = req
            .path
            .ok_or_else(|| UdpRequestError::NotHttp("no request target".into()))?;
        let (before, query) = target
            .split_once('?')
            .ok_or(UdpRequestError::Missing("ts"))?;
        let authority = before
            .strip_prefix("http://")
            .unwrap_or(before)
            .trim_end_matches('/')
            .to_string();
        let mut fields: [Option<String>; 5] = Default::default();
        const NAMES: [&str; 5] = ["ts", "id", "un", "cn", "sig"];
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let Some(i) = NAMES.iter().position(|n| *n == name) else {
                continue;
            };
            if fields[i].is_some() {
                return Err(UdpRequestError::Duplicate(NAMES[i]));
            }
            let decoded = percent_decode_str(value)
                .decode_utf8()
                .map_err(|_| UdpRequestError::Invalid(NAMES[i]))?;
            fields[i] = Some(decoded.into_owned());
        }
        let [ts, id, un, cn, sig] = fields;
        let ts = ts.ok_or(UdpRequestError::Missing("ts"))?;
        let ts = if !ts.is_empty() && ts.bytes().all(|b| b.is_ascii_digit()) {
            ts.parse().map_err(|_| UdpRequestError::Invalid("ts"))?
        } else {
            return Err(UdpRequestError::Invalid("ts"));
        };
        let sig = sig.ok_or(UdpRequestError::Missing("sig"))?;
        Ok(UdpConnectionRequest {
            authority,
            ts,
            id: id.ok_or(UdpRequestError::Missing("id"))?,
            un: un.ok_or(UdpRequestError::Missing("un"))?,
            cn: cn.ok_or(UdpRequestError::Missing("cn"))?,
            sig: unhex(&sig).ok_or(UdpRequestError::Invalid("sig"))?,
        })
    }

    /// Checks the user, the signature (in constant time) and that `ts` is
    /// within `max_age` seconds of `now` either way (clocks drift).
    pub fn verify(
        &self,
        user: &str,
        password: &str,
        now: u64,
        max_age: u64,
    ) -> Result<(), UdpRequestError> {
        if self.un != user {
            return Err(UdpRequestError::WrongUser);
        }
        let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(password.as_bytes()) else {
            return Err(UdpRequestError::BadSignature);
        };
        for p in [self.ts.to_string().as_str(), &self.id, &self.un, &self.cn] {
            mac.update(p.as_bytes());
        }
        mac.verify_slice(&self.sig)
            .map_err(|_| UdpRequestError::BadSignature)?;
        if now.abs_diff(self.ts) > max_age {
            return Err(UdpRequestError::Stale {
                ts: self.ts,
                now,
                max_age,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hmac_sha1_known_vector() {
        // The common HMAC-SHA1 example, split as the four signed fields are.
        let sig = signature(
            "key",
            &["The quick", " brown fox", " jumps over", " the lazy dog"],
        );
        assert_eq!(hex(&sig), "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9");
    }

    fn sample() -> UdpConnectionRequest {
        UdpConnectionRequest::signed(
            "198.51.100.7:30001",
            1_700_000_000,
            "a1b2",
            "cr user",
            "c3d4",
            "pw",
        )
    }

    #[test]
    fn the_signature_covers_ts_id_un_cn_in_that_order() {
        let want = signature("pw", &["1700000000a1b2cr userc3d4"]);
        assert_eq!(sample().sig, want);
    }

    #[test]
    fn round_trip_and_verify() {
        let req = sample();
        let bytes = req.to_datagram();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.starts_with(
                "GET http://198.51.100.7:30001?ts=1700000000&id=a1b2&un=cr%20user&cn=c3d4&sig="
            ),
            "{text}"
        );
        assert!(
            text.ends_with(" HTTP/1.1\r\nHost: 198.51.100.7:30001\r\n\r\n"),
            "{text}"
        );
        let back = UdpConnectionRequest::parse(&bytes).unwrap();
        assert_eq!(back, req);
        assert_eq!(back.verify("cr user", "pw", 1_700_000_010, 30), Ok(()));
    }

    #[test]
    fn wrong_password_user_or_age_fail() {
        let req = UdpConnectionRequest::parse(&sample().to_datagram()).unwrap();
        let now = 1_700_000_000;
        assert_eq!(
            req.verify("cr user", "nope", now, 30),
            Err(UdpRequestError::BadSignature)
        );
        assert_eq!(
            req.verify("other", "pw", now, 30),
            Err(UdpRequestError::WrongUser)
        );
        assert!(matches!(
            req.verify("cr user", "pw", now + 31, 30),
            Err(UdpRequestError::Stale { .. })
        ));
        assert!(matches!(
            req.verify("cr user", "pw", now - 31, 30),
            Err(UdpRequestError::Stale { .. })
        ));
        let mut tampered = req.clone();
        tampered.id.push('x');
        assert_eq!(
            tampered.verify("cr user", "pw", now, 30),
            Err(UdpRequestError::BadSignature)
        );
    }

    #[test]
    fn malformed_datagrams_say_why() {
        let ok = String::from_utf8(sample().to_datagram()).unwrap();
        let cases: Vec<(String, UdpRequestError)> = vec![
            (
                ok.replacen("GET", "POST", 1),
                UdpRequestError::NotHttp("method is not GET".into()),
            ),
            (
                ok.replacen("ts=1700000000&", "", 1),
                UdpRequestError::Missing("ts"),
            ),
            (
                ok.replacen("ts=1700000000", "ts=17x", 1),
                UdpRequestError::Invalid("ts"),
            ),
            (
                ok.replacen("ts=1700000000", "ts=", 1),
                UdpRequestError::Invalid("ts"),
            ),
            (
                ok.replacen("&cn=c3d4", "", 1),
                UdpRequestError::Missing("cn"),
            ),
            (
                ok.replacen("id=a1b2", "id=a1b2&id=b", 1),
                UdpRequestError::Duplicate("id"),
            ),
            (
                ok.replacen("un=cr%20user", "un=%FF", 1),
                UdpRequestError::Invalid("un"),
            ),
            (
                ok.replacen("&sig=", "&sig=zz", 1),
                UdpRequestError::Invalid("sig"),
            ),
            (ok.replacen('?', "#", 1), UdpRequestError::Missing("ts")),
        ];
        for (text, want) in cases {
            assert_eq!(
                UdpConnectionRequest::parse(text.as_bytes()),
                Err(want),
                "{text}"
            );
        }
        assert_eq!(
            UdpConnectionRequest::parse(&vec![b'G'; MAX_DATAGRAM + 1]),
            Err(UdpRequestError::TooLarge)
        );
        assert!(matches!(
            UdpConnectionRequest::parse(b"\x00\x01"),
            Err(UdpRequestError::NotHttp(_))
        ));
        // Without the final blank line it still parses.
        let short = ok.trim_end_matches("\r\n");
        assert!(UdpConnectionRequest::parse(short.as_bytes()).is_ok());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..3000)) {
            if let Ok(req) = UdpConnectionRequest::parse(&bytes) {
                let _ = req.verify("u", "p", 0, 30);
            }
        }

        #[test]
        fn mutated_requests_never_panic(pos in 0usize..200, byte in any::<u8>()) {
            let mut bytes = sample().to_datagram();
            if let Some(b) = bytes.get_mut(pos) {
                *b = byte;
            }
            if let Ok(req) = UdpConnectionRequest::parse(&bytes) {
                let _ = req.verify("cr user", "pw", 1_700_000_000, 30);
            }
        }
    }
}
