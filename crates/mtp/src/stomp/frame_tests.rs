use super::*;
use proptest::prelude::*;

fn frames(input: &[u8]) -> Vec<Frame> {
    decode(input, Limits::default())
        .unwrap()
        .into_iter()
        .filter_map(|i| match i {
            Item::Frame(f) => Some(f),
            _ => None,
        })
        .collect()
}

#[test]
fn message_with_content_length_and_nul_in_body() {
    let wire =
        b"MESSAGE\ndestination:/queue/a\ncontent-length:3\nreply-to-dest:/queue/c\\cx\n\na\0b\0";
    let f = &frames(wire)[0];
    assert_eq!(f.command, Command::Message);
    assert_eq!(f.body.as_ref(), b"a\0b");
    assert_eq!(f.get("reply-to-dest"), Some("/queue/c:x"));
}

#[test]
fn body_up_to_nul_crlf_lines_and_heartbeats() {
    let wire = b"\n\r\nRECEIPT\r\nreceipt-id:77\r\n\r\n\0\nERROR\nmessage:bad\n\noops\0";
    let items = decode(wire, Limits::default()).unwrap();
    assert_eq!(items[0], Item::HeartBeat);
    let Item::Frame(r) = &items[1] else { panic!() };
    assert_eq!(
        (r.command, r.get("receipt-id")),
        (Command::Receipt, Some("77"))
    );
    assert_eq!(items[2], Item::HeartBeat);
    let Item::Frame(e) = &items[3] else { panic!() };
    assert_eq!(e.body.as_ref(), b"oops");
}

#[test]
fn connected_headers_are_raw_and_first_repeat_wins() {
    let f = &frames(b"CONNECTED\nsubscribe-dest:/q/a\\b\nsubscribe-dest:/q/x\n\n\0")[0];
    assert_eq!(f.get("subscribe-dest"), Some("/q/a\\b"));
}

#[test]
fn escaping_round_trips_and_connect_is_not_escaped() {
    let f = Frame::new(Command::Send).header("reply-to-dest", "a:b\\c\r\n");
    let wire = f.to_bytes().unwrap();
    assert!(wire.starts_with(b"SEND\nreply-to-dest:a\\cb\\\\c\\r\\n\n"));
    assert_eq!(frames(&wire), vec![f]);
    let c = Frame::new(Command::Stomp).header("endpoint-id", "os::012345-SN");
    assert!(c
        .to_bytes()
        .unwrap()
        .starts_with(b"STOMP\nendpoint-id:os::012345-SN\n"));
    let bad = Frame::new(Command::Connect).header("passcode", "x\ny");
    assert_eq!(bad.to_bytes(), Err(FrameError::Unescapable));
}

#[test]
fn protocol_violations_are_errors() {
    let l = Limits::default();
    assert_eq!(decode(b"HELLO\n\n\0", l), Err(FrameError::UnknownCommand));
    assert_eq!(decode(b"SEND\nnocolon\n\n\0", l), Err(FrameError::NoColon));
    assert_eq!(decode(b"SEND\na:\\t\n\n\0", l), Err(FrameError::BadEscape));
    assert_eq!(
        decode(b"SEND\ncontent-length:x\n\n\0", l),
        Err(FrameError::BadContentLength)
    );
    assert_eq!(
        decode(b"SEND\ncontent-length:1\n\nab", l),
        Err(FrameError::MissingNul)
    );
}

#[test]
fn limits_bound_lines_headers_and_bodies() {
    let l = Limits {
        max_headers: 2,
        max_line: 16,
        max_body: 4,
    };
    assert_eq!(decode(&[b'A'; 17], l), Err(FrameError::LineTooLong));
    assert_eq!(
        decode(b"SEND\na:1\nb:2\nc:3\n\n\0", l),
        Err(FrameError::TooManyHeaders)
    );
    // Oversized bodies are skipped and the next frame still decodes.
    let wire = b"MESSAGE\ncontent-length:5\n\n12345\0MESSAGE\n\n123456\0SEND\n\nok\0";
    let items = decode(wire, l).unwrap();
    assert!(matches!(
        items[0],
        Item::Oversized {
            length: Some(5),
            ..
        }
    ));
    assert!(matches!(items[1], Item::Oversized { length: None, .. }));
    let Item::Frame(f) = &items[2] else {
        panic!("{items:?}")
    };
    assert_eq!(f.body.as_ref(), b"ok");
}

#[test]
fn oversized_body_is_not_buffered() {
    let l = Limits {
        max_headers: 8,
        max_line: 64,
        max_body: 10,
    };
    let mut d = Decoder::new(l);
    d.feed(b"MESSAGE\ncontent-length:100000\n\n");
    assert!(matches!(d.next(), Ok(Some(Item::Oversized { .. }))));
    for _ in 0..100 {
        d.feed(&[7u8; 1000]);
        assert_eq!(d.next(), Ok(None));
        assert_eq!(d.buffered(), 0);
    }
    d.feed(b"\0RECEIPT\nreceipt-id:1\n\n\0");
    assert!(matches!(d.next(), Ok(Some(Item::Frame(_)))));
    // Without a length, the buffer stops growing at the limit too.
    let mut d = Decoder::new(l);
    d.feed(b"MESSAGE\n\n");
    for _ in 0..100 {
        d.feed(&[7u8; 1000]);
        let _ = d.next();
        assert!(d.buffered() <= 1000 + 64);
    }
}

fn arb_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![Just(':'), Just('\\'), Just('\r'), Just('\n'), any::<char>()],
        0..12,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn arb_frame() -> impl Strategy<Value = Frame> {
    let commands: Vec<Command> = Command::all().filter(|c| c.escapes_headers()).collect();
    (
        proptest::sample::select(commands),
        proptest::collection::vec((arb_text(), arb_text()), 0..6),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..200)),
    )
        .prop_map(|(command, headers, body)| {
            let mut f = Frame::new(command);
            f.headers = headers
                .into_iter()
                .filter(|(n, _)| n != "content-length")
                .collect();
            match body {
                Some(b) => f.body(Bytes::from(b)),
                None => f,
            }
        })
}

proptest! {
    #[test]
    fn encode_then_decode_is_identity(fs in proptest::collection::vec(arb_frame(), 1..4), chunk in 1usize..64) {
        let mut wire = BytesMut::new();
        for f in &fs {
            f.encode(&mut wire).unwrap();
            wire.extend_from_slice(b"\n");
        }
        // Fed in arbitrary chunks, as a socket would deliver them.
        let limits = Limits { max_headers: 16, max_line: 1024, max_body: 4096 };
        let mut d = Decoder::new(limits);
        let mut out = Vec::new();
        for piece in wire.chunks(chunk) {
            d.feed(piece);
            while let Some(item) = d.next().unwrap() {
                if let Item::Frame(f) = item { out.push(f) }
            }
        }
        prop_assert_eq!(out, fs);
    }

    #[test]
    fn arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&input, Limits { max_headers: 4, max_line: 32, max_body: 16 });
    }

    #[test]
    fn frame_shaped_noise_never_panics(parts in proptest::collection::vec(
        prop_oneof![Just(b"SEND\n".to_vec()), Just(b"content-length:3\n".to_vec()), Just(b"\n".to_vec()),
                    Just(b"\0".to_vec()), Just(b"a:\\c\n".to_vec()), Just(b"\r\n".to_vec()),
                    proptest::collection::vec(any::<u8>(), 0..8)], 0..40)) {
        let input: Vec<u8> = parts.concat();
        let mut d = Decoder::new(Limits { max_headers: 4, max_line: 32, max_body: 16 });
        for piece in input.chunks(3) {
            d.feed(piece);
            loop {
                match d.next() {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    // A broken stream is closed by the caller: nothing more is fed.
                    Err(_) => return Ok(()),
                }
            }
            // Head lines (command, 4 headers, one over) plus a body plus a chunk.
            prop_assert!(d.buffered() <= 6 * (32 + 2) + 16 + 3);
        }
    }
}
