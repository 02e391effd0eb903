//! Property tests for `usp::path`: generated trees round-trip through
//! Display and parse; arbitrary input never panics and errors point inside it.

use proptest::prelude::*;
use usp::path::{Comparison, Expr, Op, Path, PathKind, RefIndex, Segment, Value};

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_-]{0,8}"
}

fn ref_index() -> impl Strategy<Value = RefIndex> {
    prop_oneof![
        Just(RefIndex::First),
        Just(RefIndex::All),
        (1u32..).prop_map(RefIndex::Item),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        // strings full of the characters that need care
        "[\"%25 \\]\\[&.=a-z]{0,10}".prop_map(Value::String),
        // anything at all, including non-ASCII and control characters
        any::<String>().prop_map(Value::String),
        "[A-Za-z0-9_+.:-]{1,10}".prop_map(Value::Raw),
        prop_oneof![
            Just("true"),
            Just("false"),
            Just("0"),
            Just("-1"),
            Just("2021-06-06T08:00:00Z")
        ]
        .prop_map(|s| Value::Raw(s.to_owned())),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    proptest::sample::select(Op::ALL.to_vec())
}

fn comparison() -> impl Strategy<Value = Comparison> {
    (
        proptest::collection::vec((name(), proptest::option::of(ref_index())), 0..3),
        name(),
        op(),
        value(),
    )
        .prop_map(|(prefix, last, op, value)| {
            let mut param: Vec<Segment> = prefix
                .into_iter()
                .map(|(name, idx)| match idx {
                    Some(index) => Segment::Reference { name, index },
                    None => Segment::Name(name),
                })
                .collect();
            param.push(Segment::Name(last));
            Comparison { param, op, value }
        })
}

fn instance() -> impl Strategy<Value = Segment> {
    prop_oneof![
        (1u32..).prop_map(Segment::Instance),
        Just(Segment::Wildcard),
        Just(Segment::Placeholder),
        proptest::collection::vec(comparison(), 1..4).prop_map(|c| Segment::Search(Expr(c))),
    ]
}

#[derive(Debug, Clone)]
enum Item {
    Name(String),
    Table(String, Segment),
    Ref(String, RefIndex),
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        name().prop_map(Item::Name),
        (name(), instance()).prop_map(|(n, i)| Item::Table(n, i)),
        (name(), ref_index()).prop_map(|(n, i)| Item::Ref(n, i)),
    ]
}

fn kind() -> impl Strategy<Value = PathKind> {
    prop_oneof![
        Just(PathKind::Object),
        Just(PathKind::Parameter),
        Just(PathKind::Command),
        Just(PathKind::Event),
    ]
}

/// Any valid path tree.
fn path() -> impl Strategy<Value = Path> {
    (
        name(),
        proptest::collection::vec(item(), 0..6),
        kind(),
        name(),
    )
        .prop_map(|(first, items, kind, leaf)| {
            let mut segments = vec![Segment::Name(first)];
            for it in items {
                match it {
                    Item::Name(n) => segments.push(Segment::Name(n)),
                    Item::Table(n, i) => {
                        segments.push(Segment::Name(n));
                        segments.push(i);
                    }
                    Item::Ref(name, index) => segments.push(Segment::Reference { name, index }),
                }
            }
            if kind != PathKind::Object {
                segments.push(Segment::Name(leaf));
            }
            Path { segments, kind }
        })
}

/// Renders a path with whitespace around every expression operator, around
/// `&&` and inside the brackets (R-ARC.9a).
fn spaced(p: &Path) -> String {
    let mut out = String::new();
    for (i, seg) in p.segments.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        match seg {
            Segment::Search(Expr(comps)) => {
                out.push_str("[ ");
                for (j, c) in comps.iter().enumerate() {
                    if j > 0 {
                        out.push_str(" \t&&  ");
                    }
                    let param: Vec<String> = c.param.iter().map(|s| s.to_string()).collect();
                    out.push_str(&param.join("."));
                    out.push_str(&format!(" {} ", c.op));
                    out.push_str(&c.value.to_string());
                }
                out.push_str(" ]");
            }
            other => out.push_str(&other.to_string()),
        }
    }
    match p.kind {
        PathKind::Object => out.push('.'),
        PathKind::Parameter => {}
        PathKind::Command => out.push_str("()"),
        PathKind::Event => out.push('!'),
    }
    out
}

/// Parses and checks every invariant of the result.
fn check(input: &str) {
    match Path::parse(input) {
        Ok(tree) => {
            let text = tree.to_string();
            let again = Path::parse(&text);
            assert_eq!(again.as_ref(), Ok(&tree), "{input:?} -> {text:?}");
            // canonical text is a fixed point
            assert_eq!(
                again.map(|t| t.to_string()).ok().as_deref(),
                Some(text.as_str())
            );
        }
        Err(e) => {
            assert!(e.offset() <= input.len(), "{e} for {input:?}");
            assert!(input.is_char_boundary(e.offset()));
            assert_eq!(e.found(), input[e.offset()..].chars().next());
            assert_eq!(e.err_code(), 7008);
            assert!(e
                .to_string()
                .starts_with(&format!("invalid path syntax at offset {} (", e.offset())));
            let caret = e.caret(input);
            assert!(caret.ends_with('^'));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn display_then_parse_is_identity(tree in path()) {
        let text = tree.to_string();
        let parsed = Path::parse(&text);
        prop_assert_eq!(parsed.as_ref(), Ok(&tree), "text {:?}", text);
        prop_assert!(tree.is_well_formed());
    }

    #[test]
    fn whitespace_around_operators_is_tolerated(tree in path()) {
        let text = spaced(&tree);
        prop_assert_eq!(Path::parse(&text), Ok(tree), "text {:?}", text);
    }

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        check(&s);
    }

    #[test]
    fn path_alphabet_strings_never_panic(s in "[A-Za-z0-9_.*\\[\\]{}()!+#=<>~&\" %-]{0,40}") {
        check(&s);
    }

    #[test]
    fn mutated_valid_paths_never_panic(
        tree in path(),
        pos in any::<prop::sample::Index>(),
        action in 0u8..3,
        c in proptest::char::any(),
    ) {
        let mut chars: Vec<char> = tree.to_string().chars().collect();
        let i = pos.index(chars.len() + 1);
        match action {
            0 => chars.insert(i, c),
            1 if i < chars.len() => { chars.remove(i); }
            _ if i < chars.len() => chars[i] = c,
            _ => chars.push(c),
        }
        let s: String = chars.into_iter().collect();
        check(&s);
    }

    #[test]
    fn truncated_valid_paths_report_end_or_inner_offsets(tree in path(), cut in any::<prop::sample::Index>()) {
        let text = tree.to_string();
        let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        let end = boundaries[cut.index(boundaries.len())];
        check(&text[..end]);
    }
}
