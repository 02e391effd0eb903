//! The path parser: a single left-to-right pass over the bytes, no recursion.
//! Every syntactically significant character is ASCII, so byte offsets of
//! those characters are always char boundaries.

use super::error::{PathError, PathErrorKind as K};
use super::{
    Comparison, Expr, Op, Path, PathKind, RefIndex, Segment, Value, MAX_EXPR_COMPONENTS,
    MAX_PATH_LEN, MAX_SEGMENTS,
};

pub(super) fn parse(input: &str, ref_value: bool) -> Result<Path, PathError> {
    let p = Parser {
        s: input,
        b: input.as_bytes(),
        pos: 0,
    };
    if input.len() > MAX_PATH_LEN {
        let mut off = MAX_PATH_LEN;
        while !input.is_char_boundary(off) {
            off -= 1;
        }
        return Err(p.err_at(
            off,
            K::TooLong {
                limit: MAX_PATH_LEN,
            },
        ));
    }
    if input.is_empty() {
        return Err(p.err(K::Empty));
    }
    let end = input.len();
    let tree = p.path(ref_value)?;
    // Display re-escapes a lenient lone '%' as "%25" and gives a reference
    // value its final '.', so the canonical text can outgrow the input. A
    // path we accept must print as text we accept again, so the limit also
    // holds for that text. Only inputs near the limit pay for the check.
    let worst_case = end + 1 + 2 * input.bytes().filter(|&b| b == b'%').count();
    if worst_case > MAX_PATH_LEN && tree.to_string().len() > MAX_PATH_LEN {
        return Err(PathError::new(
            end,
            None,
            K::TooLong {
                limit: MAX_PATH_LEN,
            },
        ));
    }
    Ok(tree)
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
}

const EXPECT_FIRST_DOT: &str = "'.' after the first name";
const EXPECT_AFTER_NAME: &str = "'.', '()', '!', '+', '#' or end of path after a name";
const EXPECT_AFTER_INSTANCE: &str = "'.' after an instance identifier";
const EXPECT_AFTER_FOLLOW: &str = "'.' after '+' (reference following)";
const EXPECT_END: &str = "end of path";

fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

fn is_raw_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'+' | b'-' | b'.' | b':')
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<u8> {
        self.b.get(self.pos + n).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.b.len()
    }

    fn err(&self, kind: K) -> PathError {
        self.err_at(self.pos, kind)
    }

    fn err_at(&self, pos: usize, kind: K) -> PathError {
        let found = self.s.get(pos..).and_then(|r| r.chars().next());
        PathError::new(pos, found, kind)
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(is_ws) {
            self.pos += 1;
        }
    }

    fn path(mut self, ref_value: bool) -> Result<Path, PathError> {
        let mut segs: Vec<Segment> = Vec::new();
        loop {
            if segs.len() >= MAX_SEGMENTS {
                return Err(self.err(K::TooManySegments {
                    limit: MAX_SEGMENTS,
                }));
            }
            let start = self.pos;
            match self.peek() {
                Some(b'0'..=b'9' | b'*' | b'[' | b'{') => {
                    // BNF: an instance identifier follows a plain name
                    // that is not the first segment.
                    if segs.len() < 2 || !matches!(segs.last(), Some(Segment::Name(_))) {
                        return Err(self.err_at(start, K::MisplacedInstance));
                    }
                    let seg = self.instance()?;
                    segs.push(seg);
                    match self.peek() {
                        Some(b'.') => {
                            self.pos += 1;
                            if self.at_end() {
                                return Ok(Path {
                                    segments: segs,
                                    kind: PathKind::Object,
                                });
                            }
                        }
                        None if ref_value => {
                            return Ok(Path {
                                segments: segs,
                                kind: PathKind::Object,
                            })
                        }
                        _ => return Err(self.err(K::Expected(EXPECT_AFTER_INSTANCE))),
                    }
                }
                _ => {
                    let name = self.name()?;
                    let first = segs.is_empty();
                    match self.peek() {
                        Some(b'.') => {
                            self.pos += 1;
                            segs.push(Segment::Name(name));
                            if self.at_end() {
                                return Ok(Path {
                                    segments: segs,
                                    kind: PathKind::Object,
                                });
                            }
                        }
                        _ if first => return Err(self.err(K::Expected(EXPECT_FIRST_DOT))),
                        Some(b'+' | b'#') => {
                            let index = self.ref_follow()?;
                            if self.peek() != Some(b'.') {
                                return Err(self.err(K::Expected(EXPECT_AFTER_FOLLOW)));
                            }
                            self.pos += 1;
                            segs.push(Segment::Reference { name, index });
                            if self.at_end() {
                                return Ok(Path {
                                    segments: segs,
                                    kind: PathKind::Object,
                                });
                            }
                        }
                        Some(b'(') => {
                            self.pos += 1;
                            if self.peek() != Some(b')') {
                                return Err(self.err(K::Expected("')' to close '()'")));
                            }
                            self.pos += 1;
                            return self.finish(segs, name, PathKind::Command);
                        }
                        Some(b'!') => {
                            self.pos += 1;
                            return self.finish(segs, name, PathKind::Event);
                        }
                        None => return self.finish(segs, name, PathKind::Parameter),
                        Some(_) => return Err(self.err(K::Expected(EXPECT_AFTER_NAME))),
                    }
                }
            }
        }
    }

    fn finish(
        &self,
        mut segs: Vec<Segment>,
        name: String,
        kind: PathKind,
    ) -> Result<Path, PathError> {
        if !self.at_end() {
            return Err(self.err(K::Expected(EXPECT_END)));
        }
        segs.push(Segment::Name(name));
        Ok(Path {
            segments: segs,
            kind,
        })
    }

    fn name(&mut self) -> Result<String, PathError> {
        let start = self.pos;
        if !self.peek().is_some_and(is_name_start) {
            return Err(self.err(K::Expected("a name (a letter or '_' first)")));
        }
        self.pos += 1;
        while self.peek().is_some_and(is_name_char) {
            self.pos += 1;
        }
        Ok(self.s[start..self.pos].to_owned())
    }

    /// `[1-9][0-9]*` fitting in a u32.
    fn posnum(&mut self) -> Result<u32, PathError> {
        let start = self.pos;
        if self.peek() == Some(b'0') {
            return Err(self.err(K::NotPositive));
        }
        let mut n: u32 = 0;
        let mut overflow = false;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            match n
                .checked_mul(10)
                .and_then(|v| v.checked_add(u32::from(c - b'0')))
            {
                Some(v) => n = v,
                None => overflow = true,
            }
            self.pos += 1;
        }
        if overflow {
            return Err(self.err_at(start, K::OutOfRange));
        }
        Ok(n)
    }

    /// An instance identifier; the cursor is on its first character.
    fn instance(&mut self) -> Result<Segment, PathError> {
        match self.peek() {
            Some(b'*') => {
                self.pos += 1;
                Ok(Segment::Wildcard)
            }
            Some(b'[') => self.expr().map(Segment::Search),
            Some(b'{') => {
                if self.b.get(self.pos..self.pos + 3) == Some(b"{i}".as_slice()) {
                    self.pos += 3;
                    Ok(Segment::Placeholder)
                } else {
                    Err(self.err(K::Expected("'{i}'")))
                }
            }
            _ => self.posnum().map(Segment::Instance),
        }
    }

    /// `+`, `#n+` or `#*+`; the cursor is on `+` or `#`.
    fn ref_follow(&mut self) -> Result<RefIndex, PathError> {
        if self.peek() == Some(b'+') {
            self.pos += 1;
            return Ok(RefIndex::First);
        }
        self.pos += 1; // '#'
        let index = match self.peek() {
            Some(b'*') => {
                self.pos += 1;
                RefIndex::All
            }
            Some(b'0'..=b'9') => RefIndex::Item(self.posnum()?),
            _ => return Err(self.err(K::Expected("a list item number or '*' after '#'"))),
        };
        if self.peek() != Some(b'+') {
            return Err(self.err(K::Expected("'+' after the list item")));
        }
        self.pos += 1;
        Ok(index)
    }

    /// `[comp && comp ...]`; the cursor is on `[`.
    fn expr(&mut self) -> Result<Expr, PathError> {
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b']') {
            return Err(self.err(K::EmptyExpression));
        }
        let mut comps = Vec::new();
        loop {
            if comps.len() >= MAX_EXPR_COMPONENTS {
                return Err(self.err(K::TooManyComponents {
                    limit: MAX_EXPR_COMPONENTS,
                }));
            }
            let param = self.relpath()?;
            self.skip_ws();
            let op = self.op()?;
            self.skip_ws();
            let value = self.value()?;
            comps.push(Comparison { param, op, value });
            self.skip_ws();
            match self.peek() {
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Expr(comps));
                }
                Some(b'&') if self.peek_at(1) == Some(b'&') => {
                    self.pos += 2;
                    self.skip_ws();
                }
                None => return Err(self.err(K::Expected("']' to close the expression"))),
                Some(_) => return Err(self.err(K::Expected("'&&' or ']'"))),
            }
        }
    }

    /// `name (reffollow? '.' name)*`
    fn relpath(&mut self) -> Result<Vec<Segment>, PathError> {
        let mut segs = Vec::new();
        loop {
            if segs.len() >= MAX_SEGMENTS {
                return Err(self.err(K::TooManySegments {
                    limit: MAX_SEGMENTS,
                }));
            }
            let name = self.name()?;
            match self.peek() {
                Some(b'+' | b'#') => {
                    let index = self.ref_follow()?;
                    if self.peek() != Some(b'.') {
                        return Err(self.err(K::Expected(EXPECT_AFTER_FOLLOW)));
                    }
                    self.pos += 1;
                    segs.push(Segment::Reference { name, index });
                }
                Some(b'.') => {
                    self.pos += 1;
                    segs.push(Segment::Name(name));
                }
                _ => {
                    segs.push(Segment::Name(name));
                    return Ok(segs);
                }
            }
        }
    }

    fn op(&mut self) -> Result<Op, PathError> {
        let (op, len) = match (self.peek(), self.peek_at(1)) {
            (Some(b'='), Some(b'=')) => (Op::Eq, 2),
            (Some(b'='), _) => return Err(self.err(K::SingleEquals)),
            (Some(b'!'), Some(b'=')) => (Op::Ne, 2),
            (Some(b'~'), Some(b'=')) => (Op::Contains, 2),
            (Some(b'<'), Some(b'=')) => (Op::Le, 2),
            (Some(b'>'), Some(b'=')) => (Op::Ge, 2),
            (Some(b'<'), _) => (Op::Lt, 1),
            (Some(b'>'), _) => (Op::Gt, 1),
            (Some(b'!' | b'~'), _) => {
                return Err(self.err_at(self.pos + 1, K::Expected("'=' to complete the operator")))
            }
            _ => {
                return Err(self.err(K::Expected(
                    "an operator (==, !=, ~=, <, >, <=, >=) after the parameter",
                )))
            }
        };
        self.pos += len;
        Ok(op)
    }

    fn value(&mut self) -> Result<Value, PathError> {
        let start = self.pos;
        if self.peek() == Some(b'"') {
            let body = start + 1;
            let Some(len) = self.b[body..].iter().position(|&c| c == b'"') else {
                return Err(self.err_at(start, K::UnterminatedString));
            };
            self.pos = body + len + 1;
            return Ok(Value::String(unescape(&self.s[body..body + len])));
        }
        while self.peek().is_some_and(is_raw_char) {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.err(K::Expected(
                "a value (a \"string\", or an unquoted number or boolean)",
            )));
        }
        Ok(Value::Raw(self.s[start..self.pos].to_owned()))
    }
}

/// Decodes `%22` and `%25`; any other `%` stays as it is.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(r) = tail.strip_prefix("%22") {
            out.push('"');
            rest = r;
        } else if let Some(r) = tail.strip_prefix("%25") {
            out.push('%');
            rest = r;
        } else {
            out.push('%');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}
