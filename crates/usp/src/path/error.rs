//! Path syntax errors (USP error 7008).

use std::fmt;

/// USP error code "Invalid path syntax".
pub const ERR_INVALID_PATH_SYNTAX: u32 = 7008;

/// A path that does not match the grammar.
///
/// Displays as e.g.
/// `invalid path syntax at offset 21 ('='): expected '==' (a single '=' is not an operator)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    offset: usize,
    found: Option<char>,
    kind: PathErrorKind,
}

/// What was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathErrorKind {
    /// The path is empty.
    Empty,
    /// The path is longer than [`super::MAX_PATH_LEN`] bytes.
    TooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// More than [`super::MAX_SEGMENTS`] segments.
    TooManySegments {
        /// The limit.
        limit: usize,
    },
    /// More than [`super::MAX_EXPR_COMPONENTS`] components in one expression.
    TooManyComponents {
        /// The limit.
        limit: usize,
    },
    /// Something else was expected here; the text says what.
    Expected(&'static str),
    /// `=` where `==` was meant.
    SingleEquals,
    /// An instance number or list index of 0 or with a leading zero.
    NotPositive,
    /// An instance number or list index above `u32::MAX`.
    OutOfRange,
    /// An instance identifier that does not follow a plain object name.
    MisplacedInstance,
    /// `[]`.
    EmptyExpression,
    /// A string constant without its closing `"`.
    UnterminatedString,
}

impl PathError {
    pub(crate) fn new(offset: usize, found: Option<char>, kind: PathErrorKind) -> PathError {
        PathError {
            offset,
            found,
            kind,
        }
    }

    /// The USP error code: always 7008 (invalid path syntax).
    pub fn err_code(&self) -> u32 {
        ERR_INVALID_PATH_SYNTAX
    }

    /// Byte offset of the offending character in the input (the input's
    /// length if the input ended too early). Always on a char boundary.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The offending character, `None` at end of input.
    pub fn found(&self) -> Option<char> {
        self.found
    }

    /// What was wrong.
    pub fn kind(&self) -> PathErrorKind {
        self.kind
    }

    /// Renders `input` and a caret line pointing at the offending character:
    ///
    /// ```text
    /// Device.DSL.Line.[Enable=true].
    ///                        ^
    /// ```
    ///
    /// Control characters are shown as `?` so the caret stays aligned.
    pub fn caret(&self, input: &str) -> String {
        let shown: String = input
            .chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect();
        let before = input.get(..self.offset).unwrap_or(input).chars().count();
        let mut out = String::with_capacity(shown.len() + before + 2);
        out.push_str(&shown);
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', before));
        out.push('^');
        out
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid path syntax at offset {} (", self.offset)?;
        match self.found {
            Some(c) => write!(f, "'{}'", c.escape_debug())?,
            None => f.write_str("end of input")?,
        }
        write!(f, "): {}", self.kind)
    }
}

impl std::error::Error for PathError {}

impl fmt::Display for PathErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathErrorKind::Empty => f.write_str("empty path"),
            PathErrorKind::TooLong { limit } => write!(f, "path longer than {limit} bytes"),
            PathErrorKind::TooManySegments { limit } => {
                write!(f, "more than {limit} path segments")
            }
            PathErrorKind::TooManyComponents { limit } => {
                write!(f, "more than {limit} components in one expression")
            }
            PathErrorKind::Expected(what) => write!(f, "expected {what}"),
            PathErrorKind::SingleEquals => {
                f.write_str("expected '==' (a single '=' is not an operator)")
            }
            PathErrorKind::NotPositive => {
                f.write_str("expected a positive integer without leading zeros")
            }
            PathErrorKind::OutOfRange => f.write_str("number too large (maximum 4294967295)"),
            PathErrorKind::MisplacedInstance => {
                f.write_str("an instance identifier must follow an object name")
            }
            PathErrorKind::EmptyExpression => f.write_str("empty search expression"),
            PathErrorKind::UnterminatedString => {
                f.write_str("unterminated string constant (missing closing '\"')")
            }
        }
    }
}
