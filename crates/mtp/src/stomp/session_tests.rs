use super::*;

fn identity(destination: &str) -> Identity {
    Identity {
        agent: "os::012345-SN1".into(),
        vhost: "/".into(),
        login: Some("guest".into()),
        passcode: Some("pw".into()),
        destination: destination.into(),
        heartbeat_send: Duration::from_secs(10),
        heartbeat_receive: Duration::from_secs(20),
    }
}

fn connected(headers: &[(&str, &str)]) -> Frame {
    let mut f = Frame::new(Command::Connected).header("version", "1.2");
    for (n, v) in headers {
        f = f.header(*n, *v);
    }
    f
}

#[test]
fn connect_frame_carries_the_usp_headers() {
    let s = Session::new(identity("/queue/a"), 100);
    let f = s.connect_frame();
    assert_eq!(f.command, Command::Stomp);
    assert_eq!(f.get("accept-version"), Some("1.2"));
    assert_eq!(f.get("host"), Some("/"));
    assert_eq!(f.get("endpoint-id"), Some("os::012345-SN1"));
    assert_eq!(f.get("login"), Some("guest"));
    assert_eq!(f.get("passcode"), Some("pw"));
    assert_eq!(f.get("heart-beat"), Some("10000,20000"));
    let mut quiet = identity("/queue/a");
    quiet.heartbeat_send = Duration::ZERO;
    quiet.heartbeat_receive = Duration::ZERO;
    assert_eq!(
        Session::new(quiet, 100).connect_frame().get("heart-beat"),
        None
    );
}

#[test]
fn subscribe_dest_wins_over_the_configured_destination() {
    let mut s = Session::new(identity("/queue/configured"), 100);
    let actions = s
        .on_frame(connected(&[
            ("subscribe-dest", "/queue/from-server"),
            ("heart-beat", "30000,5000"),
        ]))
        .unwrap();
    let [Action::Write(sub)] = &actions[..] else {
        panic!("{actions:?}")
    };
    assert_eq!(sub.command, Command::Subscribe);
    assert_eq!(sub.get("destination"), Some("/queue/from-server"));
    assert_eq!(sub.get("ack"), Some("auto"));
    // send: max(10 s ours, 5 s theirs); expect: max(20 s, 30 s).
    assert_eq!(
        s.heartbeats(),
        (Some(Duration::from_secs(10)), Some(Duration::from_secs(30)))
    );
    assert_eq!(
        s.send_frame("/queue/c", Bytes::new()),
        None,
        "not subscribed yet"
    );
    let receipt = Frame::new(Command::Receipt).header("receipt-id", sub.get("receipt").unwrap());
    assert_eq!(
        s.on_frame(receipt).unwrap(),
        vec![Action::Up {
            destination: "/queue/from-server".into()
        }]
    );
}

#[test]
fn configured_destination_and_none_at_all() {
    let mut s = Session::new(identity("/queue/configured"), 100);
    let actions = s.on_frame(connected(&[])).unwrap();
    let [Action::Write(sub)] = &actions[..] else {
        panic!()
    };
    assert_eq!(sub.get("destination"), Some("/queue/configured"));
    assert_eq!(s.heartbeats(), (None, None), "server offered none");
    let mut s = Session::new(identity(""), 100);
    assert_eq!(s.on_frame(connected(&[])), Err(SessionError::NoDestination));
}

#[test]
fn messages_become_records_and_sends_name_our_destination() {
    let mut s = Session::new(identity("/queue/a"), 4);
    s.on_frame(connected(&[])).unwrap();
    let msg = |reply: Option<&str>, body: &'static [u8]| {
        let mut f = Frame::new(Command::Message).header("destination", "/queue/a");
        if let Some(r) = reply {
            f = f.header("reply-to-dest", r);
        }
        f.body(Bytes::from_static(body))
    };
    // A MESSAGE overtaking the RECEIPT implies the subscription.
    let actions = s.on_frame(msg(Some("/queue/ctl"), b"rec")).unwrap();
    assert_eq!(
        actions[0],
        Action::Up {
            destination: "/queue/a".into()
        }
    );
    assert_eq!(
        actions[1],
        Action::Record {
            reply: ReplyTo::Stomp {
                destination: "/queue/ctl".into()
            },
            payload: Bytes::from_static(b"rec")
        }
    );
    assert!(matches!(
        s.on_frame(msg(None, b"rec")).unwrap()[..],
        [Action::Dropped { .. }]
    ));
    assert!(matches!(
        s.on_frame(msg(Some("/q"), b"toobig")).unwrap()[..],
        [Action::Dropped { .. }]
    ));
    let send = s
        .send_frame("/queue/ctl", Bytes::from_static(b"\0x"))
        .unwrap();
    assert_eq!(send.command, Command::Send);
    assert_eq!(send.get("destination"), Some("/queue/ctl"));
    assert_eq!(send.get("content-type"), Some(USP_CONTENT_TYPE));
    assert_eq!(send.get("content-length"), Some("2"));
    assert_eq!(send.get("reply-to-dest"), Some("/queue/a"));
}

#[test]
fn error_frames_end_the_session() {
    let mut s = Session::new(identity("/queue/a"), 100);
    let err = Frame::new(Command::Error).header("message", "Access refused");
    assert!(
        matches!(s.on_frame(err), Err(SessionError::Broker(m)) if m.contains("Access refused"))
    );
    let mut s = Session::new(identity("/queue/a"), 100);
    assert_eq!(
        s.on_frame(Frame::new(Command::Message)),
        Err(SessionError::Unexpected(Command::Message))
    );
}
