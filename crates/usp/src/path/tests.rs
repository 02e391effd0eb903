use super::*;

fn p(s: &str) -> Path {
    match Path::parse(s) {
        Ok(p) => p,
        Err(e) => panic!("{s:?} should parse: {e}\n{}", e.caret(s)),
    }
}

fn e(s: &str) -> PathError {
    match Path::parse(s) {
        Ok(p) => panic!("{s:?} should not parse, got {p:?}"),
        Err(e) => e,
    }
}

fn name(s: &str) -> Segment {
    Segment::Name(s.to_owned())
}

fn cmp(param: &str, op: Op, value: Value) -> Comparison {
    Comparison {
        param: param.split('.').map(name).collect(),
        op,
        value,
    }
}

fn string(s: &str) -> Value {
    Value::String(s.to_owned())
}

fn raw(s: &str) -> Value {
    Value::Raw(s.to_owned())
}

/// Parses, checks that Display gives back `canonical`, and that it re-parses
/// to the same tree.
fn round(s: &str, canonical: &str) -> Path {
    let tree = p(s);
    assert_eq!(tree.to_string(), canonical, "display of {s:?}");
    assert_eq!(p(canonical), tree, "re-parse of {canonical:?}");
    assert!(tree.is_well_formed());
    tree
}

#[test]
fn object_paths() {
    let t = round("Device.", "Device.");
    assert_eq!(t.segments, vec![name("Device")]);
    assert_eq!(t.kind, PathKind::Object);
    assert!(t.is_partial());
    assert!(t.is_addressing());

    let t = round("Device.IP.Interface.3.", "Device.IP.Interface.3.");
    assert_eq!(
        t.segments,
        vec![
            name("Device"),
            name("IP"),
            name("Interface"),
            Segment::Instance(3)
        ]
    );
    assert!(t.is_partial());
    assert!(!t.is_search());
    assert_eq!(t.leaf_name(), None);
}

#[test]
fn parameter_command_event() {
    let t = round(
        "Device.DeviceInfo.SerialNumber",
        "Device.DeviceInfo.SerialNumber",
    );
    assert_eq!(t.kind, PathKind::Parameter);
    assert_eq!(t.leaf_name(), Some("SerialNumber"));
    assert!(!t.is_partial());

    let t = round("Device.Reboot()", "Device.Reboot()");
    assert_eq!(t.kind, PathKind::Command);
    assert_eq!(t.segments, vec![name("Device"), name("Reboot")]);
    assert_eq!(t.leaf_name(), Some("Reboot"));

    let t = round("Device.Boot!", "Device.Boot!");
    assert_eq!(t.kind, PathKind::Event);
    assert_eq!(t.leaf_name(), Some("Boot"));

    let t = round(
        "Device.IP.Interface.[Name==\"eth0\"].Reset()",
        "Device.IP.Interface.[Name==\"eth0\"].Reset()",
    );
    assert_eq!(t.kind, PathKind::Command);
    assert!(t.is_search());
}

#[test]
fn names_allow_underscore_digits_and_hyphen() {
    let t = round(
        "Device.X_EXAMPLE-COM_Foo.Bar_2.x9",
        "Device.X_EXAMPLE-COM_Foo.Bar_2.x9",
    );
    assert_eq!(t.segments[1], name("X_EXAMPLE-COM_Foo"));
    round("_a._b", "_a._b");
    assert_eq!(e("Device.-X").offset(), 7);
    assert_eq!(e("Device.9X").offset(), 7); // instance after a name, then junk
    assert_eq!(e("9Device.").kind(), PathErrorKind::MisplacedInstance);
}

#[test]
fn instances() {
    let t = round("Device.A.4294967295.B", "Device.A.4294967295.B");
    assert_eq!(t.segments[2], Segment::Instance(u32::MAX));
    let err = e("Device.A.4294967296.B");
    assert_eq!((err.offset(), err.kind()), (9, PathErrorKind::OutOfRange));
    let err = e("Device.A.0.B");
    assert_eq!((err.offset(), err.kind()), (9, PathErrorKind::NotPositive));
    let err = e("Device.A.01.B");
    assert_eq!((err.offset(), err.kind()), (9, PathErrorKind::NotPositive));
    let err = e("Device.A.1.2.");
    assert_eq!(
        (err.offset(), err.kind()),
        (11, PathErrorKind::MisplacedInstance)
    );
    let err = e("Device.A.1x.");
    assert_eq!(err.offset(), 10);
    assert_eq!(err.found(), Some('x'));
    // instance at the end without '.'
    let err = e("Device.IP.Interface.3");
    assert_eq!((err.offset(), err.found()), (21, None));
}

#[test]
fn wildcard() {
    let t = round("Device.IP.Interface.*.Type", "Device.IP.Interface.*.Type");
    assert_eq!(t.segments[3], Segment::Wildcard);
    assert!(t.is_search());
    assert!(t.is_wildcarded());
    assert!(!t.is_addressing());
    round("Device.IP.Interface.*.", "Device.IP.Interface.*.");
    // the root object is not a table
    let err = e("Device.*.");
    assert_eq!(
        (err.offset(), err.kind()),
        (7, PathErrorKind::MisplacedInstance)
    );
    assert_eq!(e("Device.1.").kind(), PathErrorKind::MisplacedInstance);
    assert_eq!(e("Device.IP.**.").offset(), 11);
}

#[test]
fn first_segment_must_be_a_name_followed_by_dot() {
    let err = e("Device");
    assert_eq!((err.offset(), err.found()), (6, None));
    assert_eq!(e("Reboot()").offset(), 6);
    assert_eq!(e("Boot!").offset(), 4);
    assert_eq!(e("Ref+.Name").offset(), 3);
    assert_eq!(e("*.").kind(), PathErrorKind::MisplacedInstance);
    assert_eq!(e(".Device.").offset(), 0);
}

#[test]
fn placeholder() {
    let t = round("Device.WiFi.SSID.{i}.", "Device.WiFi.SSID.{i}.");
    assert_eq!(t.segments[3], Segment::Placeholder);
    assert!(t.has_placeholder());
    assert!(!t.is_addressing());
    round(
        "Device.WiFi.SSID.{i}.Stats.BytesSent",
        "Device.WiFi.SSID.{i}.Stats.BytesSent",
    );
    round(
        "Device.WiFi.SSID.{i}.Reset()",
        "Device.WiFi.SSID.{i}.Reset()",
    );
    let err = e("Device.WiFi.SSID.{j}.");
    assert_eq!(
        (err.offset(), err.kind()),
        (17, PathErrorKind::Expected("'{i}'"))
    );
    // the spec's invalid example: curly brackets around an expression
    assert_eq!(
        e("Device.IP.Interface.{Type==\"Normal\"}.Status").offset(),
        20
    );
}

#[test]
fn search_expressions_from_the_spec() {
    let t = round(
        "Device.IP.Interface.[Type==\"Normal\"].Status",
        "Device.IP.Interface.[Type==\"Normal\"].Status",
    );
    assert_eq!(
        t.segments[3],
        Segment::Search(Expr(vec![cmp("Type", Op::Eq, string("Normal"))]))
    );
    let t = round(
        "Device.IP.Interface.[Type==\"Normal\"&&Stats.ErrorsSent>0].IPv4Address.[AddressingType==\"Static\"].IPAddress",
        "Device.IP.Interface.[Type==\"Normal\"&&Stats.ErrorsSent>0].IPv4Address.[AddressingType==\"Static\"].IPAddress",
    );
    assert_eq!(
        t.segments[3],
        Segment::Search(Expr(vec![
            cmp("Type", Op::Eq, string("Normal")),
            cmp("Stats.ErrorsSent", Op::Gt, raw("0")),
        ]))
    );
    round(
        "Device.DSL.Line.[Enable==true].CurrentProfile",
        "Device.DSL.Line.[Enable==true].CurrentProfile",
    );
    round(
        "Device.DSL.Line.[Enable==1].CurrentProfile",
        "Device.DSL.Line.[Enable==1].CurrentProfile",
    );
    let t = round(
        "Device.IP.Interface.*.IPv6Address.[ValidLifetime<2021-06-06T08:00:00Z].IPAddress",
        "Device.IP.Interface.*.IPv6Address.[ValidLifetime<2021-06-06T08:00:00Z].IPAddress",
    );
    assert_eq!(
        t.segments[5],
        Segment::Search(Expr(vec![cmp(
            "ValidLifetime",
            Op::Lt,
            raw("2021-06-06T08:00:00Z")
        )]))
    );
    round(
        "Device.USB.USBHosts.Host.*.Device.[DeviceClass==08].",
        "Device.USB.USBHosts.Host.*.Device.[DeviceClass==08].",
    );
    round(
        "Device.PCP.Client.*.Server.[Capabilities~=\"IPv6Firewall\"].",
        "Device.PCP.Client.*.Server.[Capabilities~=\"IPv6Firewall\"].",
    );
    round(
        "Device.PeriodicStatistics.SampleSet.[SampleSeconds~=5].",
        "Device.PeriodicStatistics.SampleSet.[SampleSeconds~=5].",
    );
    // unique key addressing, including a multi-parameter key
    let t = round(
        "Device.NAT.PortMapping.[RemoteHost==\"\"&&ExternalPort==0&&Protocol==\"TCP\"].",
        "Device.NAT.PortMapping.[RemoteHost==\"\"&&ExternalPort==0&&Protocol==\"TCP\"].",
    );
    assert_eq!(
        t.segments[3],
        Segment::Search(Expr(vec![
            cmp("RemoteHost", Op::Eq, string("")),
            cmp("ExternalPort", Op::Eq, raw("0")),
            cmp("Protocol", Op::Eq, string("TCP")),
        ]))
    );
    // Syntactically a string compare: whether Enable is a boolean is a
    // data-model question, so this parses.
    round(
        "Device.DSL.Line.[Enable==\"true\"].CurrentProfile",
        "Device.DSL.Line.[Enable==\"true\"].CurrentProfile",
    );
}

#[test]
fn every_operator() {
    for op in Op::ALL {
        let s = format!("Device.A.[X{}-5].", op.as_str());
        let t = round(&s, &s);
        assert_eq!(
            t.segments[2],
            Segment::Search(Expr(vec![cmp("X", op, raw("-5"))]))
        );
        // and with whitespace around it
        let spaced = format!("Device.A.[X {} -5].", op);
        assert_eq!(p(&spaced), t);
    }
    // longest match: `<=` is not `<` followed by `=5`
    assert_eq!(
        p("Device.A.[X<=5].").segments[2],
        Segment::Search(Expr(vec![cmp("X", Op::Le, raw("5"))]))
    );
}

#[test]
fn single_equals_is_7008_at_the_equals() {
    let s = "Device.DSL.Line.[Enable=true].";
    let err = e(s);
    assert_eq!(err.err_code(), 7008);
    assert_eq!(err.offset(), 23);
    assert_eq!(err.found(), Some('='));
    assert_eq!(err.kind(), PathErrorKind::SingleEquals);
    assert_eq!(
        err.to_string(),
        "invalid path syntax at offset 23 ('='): expected '==' (a single '=' is not an operator)"
    );
    assert_eq!(
        err.caret(s),
        "Device.DSL.Line.[Enable=true].\n                       ^"
    );
}

#[test]
fn operator_errors() {
    let err = e("Device.A.[X!5].");
    assert_eq!((err.offset(), err.found()), (12, Some('5')));
    let err = e("Device.A.[X~5].");
    assert_eq!(err.offset(), 12);
    let err = e("Device.A.[X 5].");
    assert_eq!((err.offset(), err.found()), (12, Some('5')));
    let err = e("Device.A.[X].");
    assert_eq!((err.offset(), err.found()), (11, Some(']')));
    let err = e("Device.A.[X===5].");
    assert_eq!((err.offset(), err.found()), (13, Some('=')));
    let err = e("Device.A.[X==].");
    assert_eq!((err.offset(), err.found()), (13, Some(']')));
}

#[test]
fn whitespace_tolerance() {
    let canonical = "Device.IP.Interface.[Type==\"Normal\"&&Enable==true].Status";
    let t = round(canonical, canonical);
    for s in [
        "Device.IP.Interface.[Type == \"Normal\"&&Enable==true].Status",
        "Device.IP.Interface.[ Type==\"Normal\" && Enable == true ].Status",
        "Device.IP.Interface.[\tType\t==\t\"Normal\"\t&&\tEnable\t==\ttrue\t].Status",
    ] {
        assert_eq!(p(s), t, "{s:?}");
        assert_eq!(p(s).to_string(), canonical);
    }
    // whitespace inside a string constant is data
    assert_eq!(
        p("Device.A.[X==\" a b \"].").segments[2],
        Segment::Search(Expr(vec![cmp("X", Op::Eq, string(" a b "))]))
    );
    // but not outside the brackets, nor inside a name or an operator
    assert_eq!(e("Device. IP.").offset(), 7);
    assert_eq!(e("Device.IP .").offset(), 9);
    assert_eq!(e("Device.A.[X = = 1].").kind(), PathErrorKind::SingleEquals);
    assert_eq!(e("Device.A.[X==1 & & Y==2].").offset(), 15);
    assert_eq!(e("Device.A.[Stats. X==1].").offset(), 16);
}

#[test]
fn string_escapes() {
    let t = round(
        "Device.A.[X==\"say %22hi%22 100%25\"].",
        "Device.A.[X==\"say %22hi%22 100%25\"].",
    );
    assert_eq!(
        t.segments[2],
        Segment::Search(Expr(vec![cmp("X", Op::Eq, string("say \"hi\" 100%"))]))
    );
    // a lone '%' (not %22 / %25) is kept, and re-encoded as %25
    let t = round("Device.A.[X==\"%41%2\"].", "Device.A.[X==\"%2541%252\"].");
    assert_eq!(
        t.segments[2],
        Segment::Search(Expr(vec![cmp("X", Op::Eq, string("%41%2"))]))
    );
    // %2522 is an escaped '%' followed by "22"
    let t = p("Device.A.[X==\"%2522\"].");
    assert_eq!(
        t.segments[2],
        Segment::Search(Expr(vec![cmp("X", Op::Eq, string("%22"))]))
    );
    // brackets, &&, dots and non-ASCII inside strings are data
    let t = round("Device.A.[X==\"]&&.[é\"].", "Device.A.[X==\"]&&.[é\"].");
    assert_eq!(
        t.segments[2],
        Segment::Search(Expr(vec![cmp("X", Op::Eq, string("]&&.[é"))]))
    );
    // Display escapes a tree built by hand
    let built = Path {
        segments: vec![
            name("Device"),
            name("A"),
            Segment::Search(Expr(vec![cmp("X", Op::Ne, string("\"%\""))])),
        ],
        kind: PathKind::Object,
    };
    assert_eq!(built.to_string(), "Device.A.[X!=\"%22%25%22\"].");
    assert!(built.is_well_formed());
}

#[test]
fn string_errors() {
    let s = "Device.A.[X==\"abc].";
    let err = e(s);
    assert_eq!(
        (err.offset(), err.found(), err.kind()),
        (13, Some('"'), PathErrorKind::UnterminatedString)
    );
    // a raw '"' inside a string ends it
    let err = e("Device.A.[X==\"a\"b\"].");
    assert_eq!((err.offset(), err.found()), (16, Some('b')));
}

#[test]
fn expression_errors() {
    let err = e("Device.IP.Interface.[].");
    assert_eq!(
        (err.offset(), err.kind()),
        (21, PathErrorKind::EmptyExpression)
    );
    let err = e("Device.IP.Interface.[ ].");
    assert_eq!(
        (err.offset(), err.kind()),
        (22, PathErrorKind::EmptyExpression)
    );
    // descends into a child table
    let err = e(
        "Device.IP.Interface.[Type==\"Normal\"&&IPv4Address.*.AddressingType==\"Static\"].Status",
    );
    assert_eq!((err.offset(), err.found()), (49, Some('*')));
    let err = e("Device.A.[X==1");
    assert_eq!((err.offset(), err.found()), (14, None));
    let err = e("Device.A.[X==1]");
    assert_eq!((err.offset(), err.found()), (15, None));
    let err = e("Device.A.[X==1&&].");
    assert_eq!((err.offset(), err.found()), (16, Some(']')));
    let err = e("Device.A.[X==1||Y==2].");
    assert_eq!((err.offset(), err.found()), (14, Some('|')));
    let err = e("Device.A.[X==1&Y==2].");
    assert_eq!((err.offset(), err.found()), (14, Some('&')));
    let err = e("Device.A.[1==1].");
    assert_eq!((err.offset(), err.found()), (10, Some('1')));
    // an expression must follow a plain name
    assert_eq!(
        e("Device.A.1.[X==1].").kind(),
        PathErrorKind::MisplacedInstance
    );
}

#[test]
fn reference_following() {
    let t = round(
        "Device.NAT.PortMapping.1.Interface+.Name",
        "Device.NAT.PortMapping.1.Interface+.Name",
    );
    assert_eq!(
        t.segments[4],
        Segment::Reference {
            name: "Interface".into(),
            index: RefIndex::First
        }
    );
    assert_eq!(t.kind, PathKind::Parameter);
    assert!(t.has_reference());
    assert!(t.is_addressing());

    let t = round(
        "Device.WiFi.SSID.1.LowerLayers#1+.Name",
        "Device.WiFi.SSID.1.LowerLayers#1+.Name",
    );
    assert_eq!(
        t.segments[4],
        Segment::Reference {
            name: "LowerLayers".into(),
            index: RefIndex::Item(1)
        }
    );
    assert_eq!(RefIndex::Item(1).item(), RefIndex::First.item());

    let t = round(
        "Device.WiFi.SSID.1.LowerLayers#*+.",
        "Device.WiFi.SSID.1.LowerLayers#*+.",
    );
    assert_eq!(t.kind, PathKind::Object);
    assert_eq!(
        t.segments.last(),
        Some(&Segment::Reference {
            name: "LowerLayers".into(),
            index: RefIndex::All
        })
    );
    assert!(!t.is_addressing());
    assert_eq!(RefIndex::All.item(), None);

    // chained, and with a following table
    round("Device.A.1.B+.C#2+.D.*.E()", "Device.A.1.B+.C#2+.D.*.E()");
    round(
        "Device.LocalAgent.Subscription.*.Recipient+.EndpointID",
        "Device.LocalAgent.Subscription.*.Recipient+.EndpointID",
    );
}

#[test]
fn reference_following_inside_search() {
    let s = "Device.WiFi.AccessPoint.[SSIDReference+.SSID==\"MyHome\"].AssociatedDevice.[OperatingStandard==\"ac\"].SignalStrength";
    let t = round(s, s);
    assert_eq!(
        t.segments[3],
        Segment::Search(Expr(vec![Comparison {
            param: vec![
                Segment::Reference {
                    name: "SSIDReference".into(),
                    index: RefIndex::First
                },
                name("SSID")
            ],
            op: Op::Eq,
            value: string("MyHome"),
        }]))
    );
    assert!(t.has_reference());
    round(
        "Device.A.[L#*+.N==1&&L#3+.M.K!=\"x\"].",
        "Device.A.[L#*+.N==1&&L#3+.M.K!=\"x\"].",
    );
}

#[test]
fn reference_errors() {
    // a reference is followed by '.' (it points to an object)
    let err = e("Device.NAT.PortMapping.1.Interface+");
    assert_eq!((err.offset(), err.found()), (35, None));
    let err = e("Device.A.B+Name");
    assert_eq!((err.offset(), err.found()), (11, Some('N')));
    let err = e("Device.A.B#+.C");
    assert_eq!((err.offset(), err.found()), (11, Some('+')));
    let err = e("Device.A.B#0+.C");
    assert_eq!((err.offset(), err.kind()), (11, PathErrorKind::NotPositive));
    let err = e("Device.A.B#1.C");
    assert_eq!((err.offset(), err.found()), (12, Some('.')));
    let err = e("Device.A.B#99999999999+.C");
    assert_eq!((err.offset(), err.kind()), (11, PathErrorKind::OutOfRange));
    // no instance right after a reference
    assert_eq!(e("Device.A.B+.1.").kind(), PathErrorKind::MisplacedInstance);
    assert_eq!(e("Device.A.[B+==1].").offset(), 12);
}

#[test]
fn command_and_event_must_end_the_path() {
    let err = e("Device.Reboot().");
    assert_eq!((err.offset(), err.found()), (15, Some('.')));
    let err = e("Device.Reboot(x)");
    assert_eq!((err.offset(), err.found()), (14, Some('x')));
    let err = e("Device.Boot!.X");
    assert_eq!(err.offset(), 12);
    let err = e("Device.Boot!!");
    assert_eq!(err.offset(), 12);
    let err = e("Device.A$");
    assert_eq!((err.offset(), err.found()), (8, Some('$')));
}

#[test]
fn empty_and_dots() {
    let err = e("");
    assert_eq!(
        (err.offset(), err.found(), err.kind()),
        (0, None, PathErrorKind::Empty)
    );
    assert_eq!(e(".").offset(), 0);
    assert_eq!(e("Device..").offset(), 7);
    assert_eq!(e("Device.IP..X").offset(), 10);
}

#[test]
fn non_ascii_offsets_are_char_boundaries() {
    let s = "Device.Ünicode.";
    let err = e(s);
    assert_eq!((err.offset(), err.found()), (7, Some('Ü')));
    let s = "Device.A€";
    let err = e(s);
    assert_eq!((err.offset(), err.found()), (8, Some('€')));
    assert_eq!(err.caret(s), "Device.A€\n        ^");
    let s = "Device.\u{1}X";
    assert_eq!(e(s).caret(s), "Device.?X\n       ^");
    assert_eq!(
        e(s).to_string(),
        "invalid path syntax at offset 7 ('\\u{1}'): expected a name (a letter or '_' first)"
    );
}

#[test]
fn limits() {
    // exactly MAX_PATH_LEN bytes is fine
    let mut s = String::from("Device.");
    s.push_str(&"A".repeat(MAX_PATH_LEN - s.len()));
    assert!(Path::parse(&s).is_ok());
    s.push('B');
    let err = e(&s);
    assert_eq!(
        (err.offset(), err.kind()),
        (
            MAX_PATH_LEN,
            PathErrorKind::TooLong {
                limit: MAX_PATH_LEN
            }
        )
    );
    // the offset of an over-long path lands on a char boundary
    let mut s = String::from("Device.");
    s.push_str(&"A".repeat(MAX_PATH_LEN - s.len() - 1));
    s.push('é');
    let err = e(&s);
    assert_eq!((err.offset(), err.found()), (MAX_PATH_LEN - 1, Some('é')));

    let ok = "A.".repeat(MAX_SEGMENTS);
    assert_eq!(p(&ok).segments.len(), MAX_SEGMENTS);
    let too_many = "A.".repeat(MAX_SEGMENTS + 1);
    let err = e(&too_many);
    assert_eq!(
        (err.offset(), err.kind()),
        (
            2 * MAX_SEGMENTS,
            PathErrorKind::TooManySegments {
                limit: MAX_SEGMENTS
            }
        )
    );

    let comps = |n: usize| vec!["X==1"; n].join("&&");
    assert!(Path::parse(&format!("Device.A.[{}].", comps(MAX_EXPR_COMPONENTS))).is_ok());
    let err = e(&format!("Device.A.[{}].", comps(MAX_EXPR_COMPONENTS + 1)));
    assert_eq!(
        err.kind(),
        PathErrorKind::TooManyComponents {
            limit: MAX_EXPR_COMPONENTS
        }
    );
    assert_eq!(err.offset(), 10 + 6 * MAX_EXPR_COMPONENTS);

    let rel = vec!["A"; MAX_SEGMENTS + 1].join(".");
    let err = e(&format!("Device.T.[{rel}==1]."));
    assert_eq!(
        err.kind(),
        PathErrorKind::TooManySegments {
            limit: MAX_SEGMENTS
        }
    );
}

#[test]
fn reference_values_may_omit_the_final_dot() {
    let t = match Path::parse_reference_value("Device.IP.Interface.1") {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(t, p("Device.IP.Interface.1."));
    let t = match Path::parse_reference_value(
        "Object.FooObject.[KeyParam==\"KeyValueForInstance5\"]",
    ) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(t.kind, PathKind::Object);
    assert_eq!(
        t.to_string(),
        "Object.FooObject.[KeyParam==\"KeyValueForInstance5\"]."
    );
    // other forms are unchanged
    assert!(Path::parse_reference_value("Device.IP.Interface.1.Name")
        .is_ok_and(|t| t.kind == PathKind::Parameter));
    assert!(Path::parse_reference_value("Device").is_err());
    // plain parse still insists on the dot
    assert!(Path::parse("Device.IP.Interface.1").is_err());
}

#[test]
fn from_str_and_display_of_parts() {
    let t: Path = match "Device.A.[X>=3].B".parse() {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(t.kind(), PathKind::Parameter);
    assert_eq!(t.segments().len(), 4);
    assert_eq!(t.segments()[2].to_string(), "[X>=3]");
    assert_eq!(Op::Contains.to_string(), "~=");
    assert_eq!(string("a\"b").to_string(), "\"a%22b\"");
    assert_eq!(raw("true").to_string(), "true");
}

#[test]
fn hand_built_malformed_trees_are_detected() {
    let t = Path {
        segments: vec![Segment::Instance(1)],
        kind: PathKind::Object,
    };
    assert!(!t.is_well_formed());
    let t = Path {
        segments: vec![name("Device"), Segment::Wildcard],
        kind: PathKind::Parameter,
    };
    assert!(!t.is_well_formed());
}

/// Found by the fuzzer: an accepted path whose canonical text outgrew
/// MAX_PATH_LEN no longer re-parsed. Now the limit holds for both.
#[test]
fn canonical_text_of_an_accepted_path_stays_within_the_limit() {
    let lone_percents = format!("Device.A.[X==\"{}\"].", "%".repeat(2000));
    assert!(lone_percents.len() <= MAX_PATH_LEN);
    let err = Path::parse(&lone_percents).unwrap_err();
    assert!(matches!(err.kind(), PathErrorKind::TooLong { .. }), "{err}");
    assert_eq!(err.offset(), lone_percents.len());

    // A reference value without its final '.' gains one when printed.
    let name = "A".repeat(MAX_PATH_LEN - "Device..B.1".len());
    let exact = format!("Device.{name}.B.1");
    assert_eq!(exact.len(), MAX_PATH_LEN);
    assert!(Path::parse_reference_value(&exact).is_err());
    let fits = format!("Device.{}.B.1", &name[1..]);
    assert!(Path::parse_reference_value(&fits).is_ok_and(|t| Path::parse(&t.to_string()).is_ok()));

    // Small inputs with lone '%' are still accepted.
    assert!(Path::parse("Device.A.[X==\"100%\"].").is_ok());
}
