//! Untrusted input: every case must return a typed error, never panic.

use cwmp::{parse, parse_with_limits, Body, Error, Limits};

const HEAD: &str = r#"<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap-env:Body>"#;
const TAIL: &str = "</soap-env:Body></soap-env:Envelope>";

fn wrap(body: &str) -> String {
    format!("{HEAD}{body}{TAIL}")
}

#[test]
fn dtd_is_rejected() {
    let doc = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE x [ <!ELEMENT x ANY> ]>{}",
        wrap("")
    );
    assert_eq!(parse(doc.as_bytes()), Err(Error::DtdForbidden));
    let doc = format!(
        "<!DOCTYPE soap-env:Envelope SYSTEM \"http://evil/x.dtd\">{}",
        wrap("")
    );
    assert_eq!(parse(doc.as_bytes()), Err(Error::DtdForbidden));
}

#[test]
fn entity_declaration_is_rejected() {
    let doc = format!(
        "<!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>{}",
        wrap("<cwmp:Reboot><CommandKey>&xxe;</CommandKey></cwmp:Reboot>")
    );
    assert_eq!(
        parse(doc.as_bytes()),
        Err(Error::EntityDeclarationForbidden)
    );
}

#[test]
fn billion_laughs_is_rejected() {
    let mut dtd = String::from("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", i - 1)
        };
        dtd.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">",
            format!("&{prev};").repeat(10)
        ));
    }
    dtd.push_str("]>");
    let doc = format!(
        "{dtd}{}",
        wrap("<cwmp:Reboot><CommandKey>&lol9;</CommandKey></cwmp:Reboot>")
    );
    assert_eq!(
        parse(doc.as_bytes()),
        Err(Error::EntityDeclarationForbidden)
    );
}

#[test]
fn undefined_entity_reference_is_rejected() {
    let doc = wrap("<cwmp:Reboot><CommandKey>&lol9;</CommandKey></cwmp:Reboot>");
    assert_eq!(
        parse(doc.as_bytes()),
        Err(Error::UnknownEntity("lol9".into()))
    );
}

#[test]
fn bad_char_ref() {
    let doc = wrap("<cwmp:Reboot><CommandKey>&#xFFFFFFFF;</CommandKey></cwmp:Reboot>");
    assert_eq!(parse(doc.as_bytes()), Err(Error::InvalidCharRef));
}

#[test]
fn too_deep() {
    let inner = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
    let doc = wrap(&format!("<cwmp:Reboot>{inner}</cwmp:Reboot>"));
    assert_eq!(parse(doc.as_bytes()), Err(Error::TooDeep { limit: 32 }));
    // The limit is configurable and exact: 3 (Envelope/Body/Reboot) + 29 = 32 is fine.
    let inner = format!("{}{}", "<a>".repeat(29), "</a>".repeat(29));
    let doc = wrap(&format!("<cwmp:Reboot>{inner}</cwmp:Reboot>"));
    assert!(parse(doc.as_bytes()).is_ok());
}

#[test]
fn too_many_elements() {
    let items = "<string>x</string>".repeat(2000);
    let doc = wrap(&format!("<cwmp:GetParameterValues><ParameterNames>{items}</ParameterNames></cwmp:GetParameterValues>"));
    let limits = Limits {
        max_elements: 1000,
        ..Limits::default()
    };
    assert_eq!(
        parse_with_limits(doc.as_bytes(), &limits),
        Err(Error::TooManyElements { limit: 1000 })
    );
    assert!(parse(doc.as_bytes()).is_ok());
}

#[test]
fn oversized_value() {
    let big = "A".repeat(70 * 1024);
    let doc = wrap(&format!(
        "<cwmp:Reboot><CommandKey>{big}</CommandKey></cwmp:Reboot>"
    ));
    assert!(matches!(
        parse(doc.as_bytes()),
        Err(Error::ValueTooLong { limit: 65536, .. })
    ));
    // Split into many references so the limit is hit while accumulating.
    let refs = "&amp;".repeat(70 * 1024);
    let doc = wrap(&format!(
        "<cwmp:Reboot><CommandKey>{refs}</CommandKey></cwmp:Reboot>"
    ));
    assert!(matches!(
        parse(doc.as_bytes()),
        Err(Error::ValueTooLong { .. })
    ));
}

#[test]
fn oversized_input() {
    let limits = Limits {
        max_input_bytes: 100,
        ..Limits::default()
    };
    let doc = wrap("<cwmp:GetRPCMethods/>");
    assert_eq!(
        parse_with_limits(doc.as_bytes(), &limits),
        Err(Error::InputTooLarge {
            size: doc.len(),
            limit: 100
        })
    );
}

#[test]
fn truncated_input_at_every_length() {
    let doc = wrap("<cwmp:Reboot><CommandKey>k</CommandKey></cwmp:Reboot>");
    for n in 1..doc.len() {
        let r = parse(&doc.as_bytes()[..n]);
        assert!(r.is_err(), "prefix of {n} bytes parsed: {r:?}");
        // Display is one line.
        assert!(!r.unwrap_err().to_string().contains('\n'));
    }
    assert!(parse(doc.as_bytes()).is_ok());
    assert_eq!(
        parse(&doc.as_bytes()[..doc.len() - 10]),
        Err(Error::UnexpectedEof)
    );
}

#[test]
fn garbage() {
    assert_eq!(parse(b"hello world"), Err(Error::NotEnvelope));
    assert_eq!(
        parse(b"<html><body>502</body></html>"),
        Err(Error::NotEnvelope)
    );
    assert!(parse(b"\x00\x01\x02<<<>>>&&&").is_err());
    assert!(parse(b"<a b=>").is_err());
    assert!(parse(b"</x>").is_err());
    // A SOAP 1.2 envelope is not CWMP.
    assert_eq!(
        parse(br#"<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>"#),
        Err(Error::NotEnvelope)
    );
}

#[test]
fn invalid_utf8() {
    let mut doc = wrap("<cwmp:Reboot><CommandKey>XX</CommandKey></cwmp:Reboot>").into_bytes();
    let at = doc.windows(2).position(|w| w == b"XX").unwrap();
    doc[at] = 0xff;
    doc[at + 1] = 0xfe;
    assert_eq!(parse(&doc), Err(Error::InvalidUtf8));
}

#[test]
fn mismatched_end_tag() {
    let doc = wrap("<cwmp:Reboot><CommandKey>k</Command></cwmp:Reboot>");
    assert!(matches!(parse(doc.as_bytes()), Err(Error::Xml(_))));
}

#[test]
fn bad_numbers_are_typed_errors() {
    let doc = wrap(
        "<cwmp:ScheduleInform><DelaySeconds>-1</DelaySeconds><CommandKey/></cwmp:ScheduleInform>",
    );
    assert_eq!(
        parse(doc.as_bytes()),
        Err(Error::InvalidValue {
            element: "DelaySeconds".into(),
            value: "-1".into()
        })
    );
    let doc = wrap("<cwmp:GetParameterNames><ParameterPath/><NextLevel>maybe</NextLevel></cwmp:GetParameterNames>");
    assert!(matches!(
        parse(doc.as_bytes()),
        Err(Error::InvalidValue { .. })
    ));
}

#[test]
fn unknown_du_operation_type() {
    let doc = wrap(
        r#"<cwmp:ChangeDUState><Operations xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="cwmp:RebootOpStruct"/></cwmp:ChangeDUState>"#,
    );
    assert_eq!(
        parse(doc.as_bytes()),
        Err(Error::UnknownOperationType("RebootOpStruct".into()))
    );
}

#[test]
fn empty_inputs_are_not_errors() {
    for input in [&b""[..], b"   \r\n\t  "] {
        assert_eq!(parse(input).unwrap().body, Body::Empty);
    }
    assert_eq!(parse(wrap("").as_bytes()).unwrap().body, Body::Empty);
}

#[test]
fn many_random_mutations_never_panic() {
    // A cheap in-test fuzz pass; the real one is fuzz/fuzz_targets/soap.rs.
    let seed = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/cwmp/easycwmp/Inform-00001-FFFFFF123456.txt"
    ))
    .unwrap();
    let start = seed.windows(5).position(|w| w == b"<?xml").unwrap();
    let seed = seed[start..].to_vec();
    let (mut ok, mut x): (usize, u64) = (0, 0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let mut doc = seed.clone();
        for _ in 0..3 {
            if doc.is_empty() {
                break;
            }
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x as usize) % doc.len();
            match x % 8 {
                0 => doc.truncate(i),
                1..=3 => {
                    doc.remove(i);
                }
                _ => doc[i] = (x >> 32) as u8,
            }
        }
        if let Ok(env) = parse(&doc) {
            ok += 1;
            let xml = env.to_xml();
            assert_eq!(parse(xml.as_bytes()).as_ref(), Ok(&env), "{xml}");
        }
    }
    // Most single-byte damage lands in text or whitespace and still parses.
    assert!(ok > 150, "only {ok} mutants parsed");
}
