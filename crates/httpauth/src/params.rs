//! `WWW-Authenticate` / `Authorization` value grammar (RFC 9110 §11):
//! `scheme [token68 | #auth-param]`, several challenges per header.

use crate::AuthError;

/// Headers longer than this are refused before parsing.
pub const MAX_HEADER_LEN: usize = 4096;
const MAX_PARAMS: usize = 64;

/// One challenge or credentials: a scheme and its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthParams {
    /// Scheme as written (compare with [`AuthParams::is`]).
    pub scheme: String,
    /// Parameters in order, names lowercased, values unquoted.
    pub params: Vec<(String, String)>,
    /// The token68 form (e.g. Basic credentials), when used instead of params.
    pub token68: Option<String>,
}

impl AuthParams {
    pub fn is(&self, scheme: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(scheme)
    }

    /// First value of a parameter, by case-insensitive name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn require(&self, name: &'static str) -> Result<&str, AuthError> {
        self.get(name).ok_or(AuthError::Missing(name))
    }
}

fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

fn is_token68(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-._~+/".contains(&c)
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }
    fn skip_ws_commas(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.pos += 1;
        }
    }
    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &str {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.pos += 1;
        }
        // Only ASCII bytes pass the predicates used here.
        std::str::from_utf8(&self.s[start..self.pos]).unwrap_or_default()
    }
    fn at_end_or_comma(&self) -> bool {
        matches!(self.peek(), None | Some(b','))
    }
    fn quoted(&mut self) -> Result<String, AuthError> {
        self.pos += 1; // opening quote
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(AuthError::Unterminated),
                Some(b'"') => {
                    self.pos += 1;
                    return String::from_utf8(out).map_err(|_| AuthError::Syntax(self.pos));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        None => return Err(AuthError::Unterminated),
                        Some(c) => out.push(c),
                    }
                    self.pos += 1;
                }
                Some(c) if c < 0x20 && c != b'\t' || c == 0x7f => {
                    return Err(AuthError::Syntax(self.pos))
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }
}

/// Parses every challenge (or credentials) in one header value.
pub fn parse_challenges(header: &str) -> Result<Vec<AuthParams>, AuthError> {
    if header.len() > MAX_HEADER_LEN {
        return Err(AuthError::TooLong);
    }
    let mut c = Cursor {
        s: header.as_bytes(),
        pos: 0,
    };
    let mut out = Vec::new();
    let mut count = 0usize;
    loop {
        c.skip_ws_commas();
        if c.peek().is_none() {
            break;
        }
        let scheme = c.take_while(is_tchar).to_string();
        if scheme.is_empty() {
            return Err(AuthError::Syntax(c.pos));
        }
        let mut current = AuthParams {
            scheme,
            ..AuthParams::default()
        };
        let had_space = matches!(c.peek(), Some(b' ' | b'\t'));
        c.skip_ws();
        if !had_space && !c.at_end_or_comma() {
            return Err(AuthError::Syntax(c.pos));
        }
        // token68: only when the whole item is token68 chars and padding.
        let mark = c.pos;
        let t = c.take_while(is_token68).len();
        c.take_while(|b| b == b'=');
        c.skip_ws();
        if t > 0 && c.at_end_or_comma() {
            let raw = std::str::from_utf8(&c.s[mark..c.pos]).unwrap_or_default();
            current.token68 = Some(raw.trim_end().to_string());
            out.push(current);
            continue;
        }
        c.pos = mark;
        loop {
            c.skip_ws_commas();
            if c.peek().is_none() {
                break;
            }
            let before = c.pos;
            let name = c.take_while(is_tchar).to_ascii_lowercase();
            if name.is_empty() {
                return Err(AuthError::Syntax(c.pos));
            }
            c.skip_ws();
            if c.peek() != Some(b'=') {
                // A token not followed by `=` starts the next challenge.
                c.pos = before;
                break;
            }
            c.pos += 1;
            c.skip_ws();
            let value = if c.peek() == Some(b'"') {
                c.quoted()?
            } else {
                let v = c.take_while(is_tchar).to_string();
                if v.is_empty() {
                    return Err(AuthError::Syntax(c.pos));
                }
                v
            };
            count += 1;
            if count > MAX_PARAMS {
                return Err(AuthError::TooManyParams);
            }
            current.params.push((name, value));
            c.skip_ws();
            if !c.at_end_or_comma() {
                return Err(AuthError::Syntax(c.pos));
            }
        }
        out.push(current);
    }
    if out.is_empty() {
        return Err(AuthError::Empty);
    }
    Ok(out)
}

/// Quotes a value for a header, escaping `"` and `\`.
pub(crate) fn quote(v: &str) -> String {
    let mut s = String::with_capacity(v.len() + 2);
    s.push('"');
    for ch in v.chars() {
        if ch == '"' || ch == '\\' {
            s.push('\\');
        }
        s.push(ch);
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn several_challenges_any_order_and_case() {
        let h = r#"Digest realm="a, b", QOP="auth,auth-int", algorithm=SHA-256, nonce="n\"1", Basic realm="x", Newauth"#;
        let v = parse_challenges(h).unwrap();
        assert_eq!(v.len(), 3);
        assert!(v[0].is("digest"));
        assert_eq!(v[0].get("realm"), Some("a, b"));
        assert_eq!(v[0].get("qop"), Some("auth,auth-int"));
        assert_eq!(v[0].get("nonce"), Some("n\"1"));
        assert_eq!(v[0].get("Algorithm"), Some("SHA-256"));
        assert!(v[1].is("BASIC"));
        assert_eq!(v[1].get("realm"), Some("x"));
        assert_eq!(v[2].scheme, "Newauth");
    }

    #[test]
    fn token68_credentials() {
        let v = parse_challenges("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==").unwrap();
        assert_eq!(
            v[0].token68.as_deref(),
            Some("QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        );
    }

    #[test]
    fn errors_are_typed() {
        assert_eq!(parse_challenges(""), Err(AuthError::Empty));
        assert_eq!(
            parse_challenges(r#"Digest realm="x"#),
            Err(AuthError::Unterminated)
        );
        assert!(matches!(
            parse_challenges("Digest realm=\"x\" junk"),
            Err(AuthError::Syntax(_))
        ));
        assert_eq!(
            parse_challenges(&"a".repeat(MAX_HEADER_LEN + 1)),
            Err(AuthError::TooLong)
        );
        let many = format!("Digest {}", "a=b,".repeat(100));
        assert_eq!(parse_challenges(&many), Err(AuthError::TooManyParams));
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = parse_challenges(&s);
        }

        #[test]
        fn never_panics_on_near_grammar(s in "[A-Za-z =,\"\\\\]{0,200}") {
            let _ = parse_challenges(&s);
        }

        #[test]
        fn quoted_values_round_trip(v in "[ -~]{0,60}", name in "[a-z]{1,8}") {
            let h = format!("Digest {name}={}, x=y", quote(&v));
            let p = parse_challenges(&h).unwrap();
            prop_assert_eq!(p.len(), 1);
            prop_assert_eq!(p[0].get(&name), Some(v.as_str()));
        }
    }
}
