//! The TR-369 path grammar (USP 1.4 architecture, "Path Names" and its BNF).
//!
//! [`Path`] is a typed tree of one Path Name. It is produced by
//! [`str::parse`] / [`Path::parse`] and printed back by [`fmt::Display`] in a
//! canonical form (no whitespace, string constants re-escaped) that parses to
//! an equal tree.
//!
//! # Grammar covered
//!
//! * Object and Object Instance paths (`Device.IP.Interface.1.`, ending in
//!   `.`), Parameter paths (`Device.DeviceInfo.SerialNumber`), Command paths
//!   (`Device.Reboot()`) and Event paths (`Device.Boot!`).
//! * Instance identifiers after a table name: instance numbers (`1`, no
//!   leading zero, at most `u32::MAX`), the wildcard `*`, search / unique-key
//!   expressions `[...]`, and the Supported Data Model placeholder `{i}`.
//! * Expressions: one or more components joined by `&&` (no OR); each
//!   component is a relative parameter path (which may follow references but
//!   never contains instance identifiers, so it cannot descend into a child
//!   table), an operator (`==` `!=` `~=` `<` `>` `<=` `>=`) and a constant.
//!   Constants are double-quoted strings (`%22` and `%25` are decoded into the
//!   tree and re-encoded on output) or unquoted tokens (numbers, booleans,
//!   dateTimes: `[A-Za-z0-9_+\-.:]+`). Whitespace (space, tab, CR, LF) is
//!   tolerated around operators, around `&&` and inside the brackets
//!   (R-ARC.9a); it is not printed back (R-ARC.9b).
//! * Reference following: `Param+.`, `Param#n+.`, `Param#*+.` followed by a
//!   relative path, at path level and inside expressions.
//!
//! Unique-key addressing and searching share one syntax; which one a given
//! expression is depends on the data model, so both are [`Segment::Search`].
//!
//! Deviations from the BNF, on purpose:
//! * names may contain `-` after the first character (vendor prefixes such as
//!   `X_EXAMPLE-COM_Foo` need it); the first character is a letter or `_`;
//! * unquoted constants accept more than the BNF's `number` (the spec's own
//!   examples use `true`, `08` and `2021-06-06T08:00:00Z`);
//! * inside a string constant a `%` that does not start `%22` or `%25` is kept
//!   literally (Display then writes it as `%25`).
//!
//! # Limits
//!
//! Input is bounded by [`MAX_PATH_LEN`] bytes, [`MAX_SEGMENTS`] segments per
//! path (and per relative path in an expression) and [`MAX_EXPR_COMPONENTS`]
//! components per expression. The parser is iterative (expressions cannot
//! nest), never panics and allocates at most proportionally to the input.

use std::fmt;
use std::str::FromStr;

mod error;
mod parse;
#[cfg(test)]
mod tests;

pub use error::{PathError, PathErrorKind, ERR_INVALID_PATH_SYNTAX};

/// Maximum length of a path in bytes. obuspa uses 256-character paths; search
/// expressions with long string constants need more, so we allow 4 KiB.
pub const MAX_PATH_LEN: usize = 4096;
/// Maximum number of segments in a path, and in one relative path inside an
/// expression.
pub const MAX_SEGMENTS: usize = 128;
/// Maximum number of `&&`-joined components in one expression.
pub const MAX_EXPR_COMPONENTS: usize = 32;

/// One Path Name.
///
/// The fields are public so that trees can be built directly; a tree built by
/// hand prints text that re-parses to itself only if it respects the grammar
/// (first segment a [`Segment::Name`], instance identifiers only after a
/// plain name, a name last unless the kind is [`PathKind::Object`], ...).
/// [`Path::is_well_formed`] checks exactly that.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path {
    /// The dot-separated segments, in order.
    pub segments: Vec<Segment>,
    /// What the path addresses, i.e. how it ends.
    pub kind: PathKind,
}

/// How a path ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PathKind {
    /// Ends in `.`: an Object, Object Instance or Partial Path.
    Object,
    /// Ends in a name: a Parameter Path.
    Parameter,
    /// Ends in `Name()`: a Command Path.
    Command,
    /// Ends in `Name!`: an Event Path.
    Event,
}

/// One dot-separated segment of a path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// An object, parameter, command or event name.
    Name(String),
    /// An instance number (>= 1).
    Instance(u32),
    /// The instance wildcard `*`.
    Wildcard,
    /// A search expression or unique-key address `[...]`.
    Search(Expr),
    /// The Supported Data Model placeholder `{i}`.
    Placeholder,
    /// A reference parameter to follow: `name+`, `name#n+` or `name#*+`.
    Reference {
        /// The reference parameter's name.
        name: String,
        /// Which list item(s) to follow.
        index: RefIndex,
    },
}

/// Which item(s) of a reference list to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefIndex {
    /// Plain `+`: the first item (same meaning as `#1+`, kept apart so that
    /// the text round-trips).
    First,
    /// `#n+`, 1-based (n >= 1).
    Item(u32),
    /// `#*+`: every item.
    All,
}

impl RefIndex {
    /// The 1-based list item this selects, or `None` for [`RefIndex::All`].
    pub fn item(self) -> Option<u32> {
        match self {
            RefIndex::First => Some(1),
            RefIndex::Item(n) => Some(n),
            RefIndex::All => None,
        }
    }
}

/// A search (or unique-key) expression: components joined by `&&`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Expr(pub Vec<Comparison>);

/// One expression component: `param op value`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Comparison {
    /// The relative parameter path (`Name`, `Stats.ErrorsSent`,
    /// `SSIDReference+.SSID`). Only [`Segment::Name`] and
    /// [`Segment::Reference`] occur here, and it ends in a [`Segment::Name`].
    pub param: Vec<Segment>,
    /// The operator.
    pub op: Op,
    /// The constant compared against.
    pub value: Value,
}

/// An expression operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `~=` (list contains)
    Contains,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
}

impl Op {
    /// Every operator.
    pub const ALL: [Op; 7] = [Op::Eq, Op::Ne, Op::Contains, Op::Lt, Op::Gt, Op::Le, Op::Ge];

    /// The operator's text.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Contains => "~=",
            Op::Lt => "<",
            Op::Gt => ">",
            Op::Le => "<=",
            Op::Ge => ">=",
        }
    }
}

/// An expression constant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// A double-quoted string constant, already unescaped (`%22` -> `"`,
    /// `%25` -> `%`).
    String(String),
    /// An unquoted constant (number, boolean, dateTime, ...), verbatim.
    Raw(String),
}

impl Path {
    /// Parses a Path Name (same as [`str::parse`]).
    pub fn parse(input: &str) -> Result<Path, PathError> {
        parse::parse(input, false)
    }

    /// Parses the value of a reference parameter (R-ARC.11): like
    /// [`Path::parse`], but an Object Instance path may omit its final `.`
    /// (`Device.IP.Interface.1`, `Device.IP.Interface.[Name=="eth0"]`); such a
    /// path comes back as [`PathKind::Object`].
    pub fn parse_reference_value(input: &str) -> Result<Path, PathError> {
        parse::parse(input, true)
    }

    /// The segments.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The kind.
    pub fn kind(&self) -> PathKind {
        self.kind
    }

    /// True for Object / Object Instance paths (ending in `.`), which the spec
    /// also calls Partial Paths.
    pub fn is_partial(&self) -> bool {
        self.kind == PathKind::Object
    }

    /// True if the path is a Search Path: it contains a search expression or
    /// a wildcard. Unique-key addresses count too: the syntax cannot tell
    /// them apart.
    pub fn is_search(&self) -> bool {
        self.segments
            .iter()
            .any(|s| matches!(s, Segment::Search(_) | Segment::Wildcard))
    }

    /// True if the path contains the instance wildcard `*`.
    pub fn is_wildcarded(&self) -> bool {
        self.segments.iter().any(|s| matches!(s, Segment::Wildcard))
    }

    /// True if the path follows a reference, at path level or inside an
    /// expression.
    pub fn has_reference(&self) -> bool {
        self.segments.iter().any(|s| match s {
            Segment::Reference { .. } => true,
            Segment::Search(Expr(comps)) => comps.iter().any(|c| {
                c.param
                    .iter()
                    .any(|p| matches!(p, Segment::Reference { .. }))
            }),
            _ => false,
        })
    }

    /// True if the path contains a `{i}` placeholder (a Supported Data Model
    /// path, as taken by GetSupportedDM).
    pub fn has_placeholder(&self) -> bool {
        self.segments
            .iter()
            .any(|s| matches!(s, Segment::Placeholder))
    }

    /// True if the path can only address (never search): no wildcard, no
    /// expression, no `#*+`, no placeholder.
    pub fn is_addressing(&self) -> bool {
        self.segments.iter().all(|s| match s {
            Segment::Name(_) | Segment::Instance(_) => true,
            Segment::Reference { index, .. } => *index != RefIndex::All,
            Segment::Wildcard | Segment::Search(_) | Segment::Placeholder => false,
        })
    }

    /// The final name of a Parameter, Command or Event path (without `()` or
    /// `!`); `None` for Object paths.
    pub fn leaf_name(&self) -> Option<&str> {
        if self.kind == PathKind::Object {
            return None;
        }
        match self.segments.last() {
            Some(Segment::Name(n)) => Some(n),
            _ => None,
        }
    }

    /// True if the tree respects the grammar, i.e. its [`fmt::Display`] text
    /// parses back to an equal tree.
    pub fn is_well_formed(&self) -> bool {
        Path::parse(&self.to_string()).is_ok_and(|p| &p == self)
    }
}

impl FromStr for Path {
    type Err = PathError;

    fn from_str(s: &str) -> Result<Path, PathError> {
        Path::parse(s)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.segments.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            fmt::Display::fmt(seg, f)?;
        }
        match self.kind {
            PathKind::Object => f.write_str("."),
            PathKind::Parameter => Ok(()),
            PathKind::Command => f.write_str("()"),
            PathKind::Event => f.write_str("!"),
        }
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Segment::Name(n) => f.write_str(n),
            Segment::Instance(i) => write!(f, "{i}"),
            Segment::Wildcard => f.write_str("*"),
            Segment::Search(e) => write!(f, "[{e}]"),
            Segment::Placeholder => f.write_str("{i}"),
            Segment::Reference { name, index } => match index {
                RefIndex::First => write!(f, "{name}+"),
                RefIndex::Item(n) => write!(f, "{name}#{n}+"),
                RefIndex::All => write!(f, "{name}#*+"),
            },
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("&&")?;
            }
            fmt::Display::fmt(c, f)?;
        }
        Ok(())
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.param.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            fmt::Display::fmt(seg, f)?;
        }
        f.write_str(self.op.as_str())?;
        fmt::Display::fmt(&self.value, f)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Raw(s) => f.write_str(s),
            Value::String(s) => {
                f.write_str("\"")?;
                let mut rest = s.as_str();
                while let Some(i) = rest.find(['"', '%']) {
                    f.write_str(&rest[..i])?;
                    f.write_str(if rest[i..].starts_with('"') {
                        "%22"
                    } else {
                        "%25"
                    })?;
                    rest = &rest[i + 1..];
                }
                f.write_str(rest)?;
                f.write_str("\"")
            }
        }
    }
}
