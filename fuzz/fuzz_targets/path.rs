//! Fuzz the USP path parser: no input may panic, and every accepted path must
//! print as canonical text that parses back to the same tree (and prints the
//! same again). Errors must point inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use usp::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    for reference_value in [false, true] {
        let parsed = if reference_value {
            Path::parse_reference_value(input)
        } else {
            Path::parse(input)
        };
        match parsed {
            Ok(tree) => {
                let text = tree.to_string();
                let again = match Path::parse(&text) {
                    Ok(t) => t,
                    Err(e) => panic!("{input:?} -> {text:?} does not re-parse: {e}"),
                };
                assert_eq!(again, tree, "{input:?} -> {text:?}");
                assert_eq!(again.to_string(), text);
            }
            Err(e) => {
                assert!(e.offset() <= input.len());
                assert!(input.is_char_boundary(e.offset()));
                assert_eq!(e.found(), input[e.offset()..].chars().next());
                assert_eq!(e.err_code(), 7008);
                let _ = e.caret(input);
            }
        }
    }
});
