//! Handwritten messages in the styles of different stacks, and checks on
//! the exact shape of what we emit.

use std::borrow::Cow;

use cwmp::*;

#[test]
fn soap_env_uppercase_prefix_cwmp_1_4_pretty_bootstrap_inform() {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:cwmp="urn:dslforum-org:cwmp-1-4">
  <SOAP-ENV:Header>
    <cwmp:ID SOAP-ENV:mustUnderstand="1">1001</cwmp:ID>
    <cwmp:SupportedCWMPVersions>1.0,1.1,1.2,1.3,1.4</cwmp:SupportedCWMPVersions>
    <cwmp:NoMoreRequests>0</cwmp:NoMoreRequests>
    <vendor:Trace xmlns:vendor="urn:example:trace">abc</vendor:Trace>
  </SOAP-ENV:Header>
  <SOAP-ENV:Body>
    <cwmp:Inform>
      <!-- members in schema order, arrayType counts wrong on purpose -->
      <DeviceId>
        <SerialNumber>SN-9</SerialNumber>
        <OUI>00D09E</OUI>
        <Manufacturer>Acme &amp; Co</Manufacturer>
        <ProductClass><![CDATA[HGW<1>]]></ProductClass>
        <X_ACME_Extra>ignored</X_ACME_Extra>
      </DeviceId>
      <Event SOAP-ENC:arrayType="cwmp:EventStruct[5]">
        <EventStruct><EventCode>0 BOOTSTRAP</EventCode><CommandKey></CommandKey></EventStruct>
        <EventStruct><EventCode>1 BOOT</EventCode><CommandKey/></EventStruct>
      </Event>
      <MaxEnvelopes>1</MaxEnvelopes>
      <CurrentTime>2026-01-02T03:04:05Z</CurrentTime>
      <RetryCount> 3 </RetryCount>
      <ParameterList SOAP-ENC:arrayType="cwmp:ParameterValueStruct[1]">
        <ParameterValueStruct>
          <Value xsi:type="xsd:unsignedint">42</Value>
          <Name>Device.DeviceInfo.UpTime</Name>
        </ParameterValueStruct>
        <ParameterValueStruct><Name>A</Name><Value xsi:type="xsd:Int">-7</Value></ParameterValueStruct>
        <ParameterValueStruct><Name>B</Name><Value xsi:type="XSD:BOOLEAN">1</Value></ParameterValueStruct>
        <ParameterValueStruct><Name>C</Name><Value xsi:type="boolean">false</Value></ParameterValueStruct>
        <ParameterValueStruct><Name>D</Name><Value>untyped</Value></ParameterValueStruct>
        <ParameterValueStruct><Name>E</Name><Value xsi:type="SOAP-ENC:base64">aGk=</Value></ParameterValueStruct>
        <ParameterValueStruct><Name>F</Name><Value xsi:type="xsd:decimal">1.5</Value></ParameterValueStruct>
        <ParameterValueStruct><Name>G</Name><Value xsi:type="xsd:int">twelve</Value></ParameterValueStruct>
        <ParameterValueStruct><Name>H</Name><Value xsi:type="xsd:string">a &lt;b&gt; &#169; &#x263A;</Value></ParameterValueStruct>
      </ParameterList>
    </cwmp:Inform>
  </SOAP-ENV:Body>
</SOAP-ENV:Envelope>"#;
    let env = parse(xml.as_bytes()).unwrap();
    assert_eq!(env.version, CwmpVersion::V1_4);
    assert_eq!(env.header.id.as_deref(), Some("1001"));
    assert_eq!(
        env.header.supported_cwmp_versions.as_deref(),
        Some("1.0,1.1,1.2,1.3,1.4")
    );
    let Body::Inform(i) = &env.body else { panic!() };
    assert_eq!(i.device_id.manufacturer, "Acme & Co");
    assert_eq!(i.device_id.product_class, "HGW<1>");
    assert_eq!(i.device_id.serial_number, "SN-9");
    let codes: Vec<_> = i.event.iter().map(|e| e.event_code.as_ref()).collect();
    assert_eq!(codes, ["0 BOOTSTRAP", "1 BOOT"]);
    assert_eq!(i.retry_count, 3);
    let p = &i.parameter_list;
    assert_eq!(p.len(), 9);
    assert_eq!(
        (p[0].name.as_ref(), p[0].value.ty, p[0].value.as_u32()),
        ("Device.DeviceInfo.UpTime", ValueType::UnsignedInt, Some(42))
    );
    assert_eq!(
        (p[1].value.ty, p[1].value.as_i32()),
        (ValueType::Int, Some(-7))
    );
    assert_eq!(
        (p[2].value.ty, p[2].value.as_bool()),
        (ValueType::Boolean, Some(true))
    );
    assert_eq!(
        (p[3].value.ty, p[3].value.as_bool()),
        (ValueType::Boolean, Some(false))
    );
    assert_eq!(p[4].value, Value::string("untyped"));
    assert_eq!(p[5].value.as_bytes().as_deref(), Some(&b"hi"[..]));
    assert_eq!(p[6].value, Value::string("1.5"));
    assert_eq!(
        (p[7].value.ty, p[7].value.as_i32(), p[7].value.text.as_ref()),
        (ValueType::Int, None, "twelve")
    );
    assert_eq!(p[8].value.text, "a <b> \u{a9} \u{263a}");
    // Escaped text had to be assembled; plain text is borrowed.
    assert!(matches!(p[8].value.text, Cow::Owned(_)));
    assert!(matches!(p[0].name, Cow::Borrowed(_)));
    // Replies reuse the peer's namespace.
    let reply = Envelope::new(
        env.version,
        Body::InformResponse(InformResponse { max_envelopes: 1 }),
    )
    .with_id("1001");
    assert!(reply
        .to_xml()
        .contains("xmlns:cwmp=\"urn:dslforum-org:cwmp-1-4\""));
    assert_eq!(parse(env.to_xml().as_bytes()).unwrap(), env);
}

const TC_MEMBERS: [&str; 4] = [
    "<CommandKey>dl-9</CommandKey>",
    "<StartTime>2026-01-02T03:04:05Z</StartTime>",
    "<CompleteTime>2026-01-02T03:05:00Z</CompleteTime>",
    "<FaultStruct><FaultCode>0</FaultCode><FaultString></FaultString></FaultStruct>",
];

fn transfer_complete(order: &[usize], fault_reversed: bool) -> String {
    let mut members: String = order.iter().map(|&i| TC_MEMBERS[i]).collect();
    if fault_reversed {
        members = members.replace(
            "<FaultCode>0</FaultCode><FaultString></FaultString>",
            "<FaultString></FaultString><FaultCode>0</FaultCode>",
        );
    }
    format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2"><soapenv:Body><cwmp:TransferComplete>{members}</cwmp:TransferComplete></soapenv:Body></soapenv:Envelope>"#
    )
}

#[test]
fn transfer_complete_members_in_any_order() {
    let expected = TransferComplete {
        command_key: "dl-9".into(),
        fault_struct: TransferFault {
            fault_code: 0,
            fault_string: "".into(),
        },
        start_time: "2026-01-02T03:04:05Z".into(),
        complete_time: "2026-01-02T03:05:00Z".into(),
    };
    // Schema order, the order seen from a real CPE, and every other one.
    let mut orders = vec![vec![0, 3, 1, 2], vec![0, 1, 2, 3]];
    for a in 0..4 {
        for b in 0..4 {
            for c in 0..4 {
                for d in 0..4 {
                    let o = vec![a, b, c, d];
                    let mut sorted = o.clone();
                    sorted.sort();
                    if sorted == [0, 1, 2, 3] {
                        orders.push(o);
                    }
                }
            }
        }
    }
    assert_eq!(orders.len(), 26);
    for order in &orders {
        for rev in [false, true] {
            let xml = transfer_complete(order, rev);
            let env = parse(xml.as_bytes()).unwrap();
            assert_eq!(env.version, CwmpVersion::V1_2);
            assert_eq!(
                env.body,
                Body::TransferComplete(expected.clone()),
                "{order:?}"
            );
        }
    }
}

#[test]
fn default_namespaces_everywhere() {
    // SOAP in the default namespace; the RPC re-declares the default to cwmp-1-1,
    // so its members are (wrongly) qualified too: still accepted.
    let xml = r#"<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Header><ID xmlns="urn:dslforum-org:cwmp-1-1" mustUnderstand="1">7</ID><HoldRequests xmlns="urn:dslforum-org:cwmp-1-1">true</HoldRequests></Header><Body><GetParameterNames xmlns="urn:dslforum-org:cwmp-1-1"><ParameterPath>Device.</ParameterPath><NextLevel>true</NextLevel></GetParameterNames></Body></Envelope>"#;
    let env = parse(xml.as_bytes()).unwrap();
    assert_eq!(env.version, CwmpVersion::V1_1);
    assert_eq!(env.header.id.as_deref(), Some("7"));
    assert_eq!(env.header.hold_requests, Some(true));
    assert_eq!(
        env.body,
        Body::GetParameterNames(GetParameterNames {
            parameter_path: "Device.".into(),
            next_level: true
        })
    );
}

#[test]
fn soap_env_underscore_prefix_and_1_0() {
    let xml = "<soap_env:Envelope xmlns:soap_env=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:c=\"urn:dslforum-org:cwmp-1-0\">\n <soap_env:Body>\n  <c:SetParameterValues>\n   <ParameterList>\n    <ParameterValueStruct><Name>Device.X</Name><Value xsi:type=\"xsd:string\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">v</Value></ParameterValueStruct>\n   </ParameterList>\n   <ParameterKey>k</ParameterKey>\n  </c:SetParameterValues>\n </soap_env:Body>\n</soap_env:Envelope>\n";
    let env = parse(xml.as_bytes()).unwrap();
    assert_eq!(env.version, CwmpVersion::V1_0);
    let Body::SetParameterValues(spv) = &env.body else {
        panic!()
    };
    assert_eq!(
        spv.parameter_list,
        [ParameterValue::new("Device.X", Value::string("v"))]
    );
    assert_eq!(spv.parameter_key, "k");
}

#[test]
fn matches_namespace_not_prefix() {
    // "cwmp" bound to a foreign namespace is not CWMP; "soap-env" bound to the
    // wrong URI is not an envelope.
    let xml = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:example:not-cwmp"><s:Body><cwmp:Reboot><CommandKey/></cwmp:Reboot></s:Body></s:Envelope>"#;
    let env = parse(xml.as_bytes()).unwrap();
    let Body::Unknown(u) = &env.body else {
        panic!("{env:?}")
    };
    assert_eq!(
        (u.name.as_ref(), u.namespace.as_deref()),
        ("Reboot", Some("urn:example:not-cwmp"))
    );
    assert_eq!(parse(env.to_xml().as_bytes()).unwrap(), env);
    let xml =
        r#"<soap-env:Envelope xmlns:soap-env="urn:wrong"><soap-env:Body/></soap-env:Envelope>"#;
    assert_eq!(parse(xml.as_bytes()), Err(Error::NotEnvelope));
}

#[test]
fn unknown_vendor_method_is_kept_for_a_9000_fault() {
    let xml = r#"<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2"><soap-env:Header><cwmp:ID soap-env:mustUnderstand="1">77</cwmp:ID></soap-env:Header><soap-env:Body><cwmp:X_ACME_Frobnicate><Level>3</Level></cwmp:X_ACME_Frobnicate></soap-env:Body></soap-env:Envelope>"#;
    let env = parse(xml.as_bytes()).unwrap();
    assert_eq!(
        env.body,
        Body::Unknown(UnknownMethod {
            name: "X_ACME_Frobnicate".into(),
            namespace: None
        })
    );
    assert_eq!(env.header.id.as_deref(), Some("77"));
    let reply = Envelope::new(
        env.version,
        Body::Fault(Fault::cwmp(9000, "Method not supported")),
    )
    .with_id("77");
    let xml = reply.to_xml();
    assert!(xml.contains("<faultcode>Server</faultcode><faultstring>CWMP fault</faultstring><detail><cwmp:Fault><FaultCode>9000</FaultCode><FaultString>Method not supported</FaultString></cwmp:Fault></detail>"), "{xml}");
}

#[test]
fn fault_version_comes_from_envelope_declaration() {
    let xml = r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-3"><e:Body><e:Fault><faultcode>Client</faultcode><faultstring>CWMP fault</faultstring><detail><cwmp:Fault><FaultCode>9003</FaultCode><FaultString>Invalid arguments</FaultString><SetParameterValuesFault><ParameterName>Device.A</ParameterName><FaultCode>9007</FaultCode><FaultString>bad</FaultString></SetParameterValuesFault><SetParameterValuesFault><FaultCode>9008</FaultCode><ParameterName>Device.B</ParameterName></SetParameterValuesFault></cwmp:Fault></detail></e:Fault></e:Body></e:Envelope>"#;
    let env = parse(xml.as_bytes()).unwrap();
    assert_eq!(env.version, CwmpVersion::V1_3);
    let Body::Fault(f) = &env.body else { panic!() };
    let d = f.detail.as_ref().unwrap();
    assert_eq!(d.fault_code, 9003);
    assert_eq!(d.set_parameter_values_fault.len(), 2);
    assert_eq!(d.set_parameter_values_fault[1].parameter_name, "Device.B");
    assert_eq!(d.set_parameter_values_fault[1].fault_code, 9008);
}

#[test]
fn session_headers() {
    let xml = r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-4"><e:Header><cwmp:ID e:mustUnderstand="1">9</cwmp:ID><cwmp:HoldRequests e:mustUnderstand="1">0</cwmp:HoldRequests><cwmp:SessionTimeout>45</cwmp:SessionTimeout><cwmp:UseCWMPVersion e:mustUnderstand="1">1.4</cwmp:UseCWMPVersion></e:Header><e:Body><cwmp:GetRPCMethods/></e:Body></e:Envelope>"#;
    let env = parse(xml.as_bytes()).unwrap();
    assert_eq!(env.header.hold_requests, Some(false));
    assert_eq!(env.header.session_timeout, Some(45));
    assert_eq!(env.header.use_cwmp_version.as_deref(), Some("1.4"));
    assert_eq!(env.body, Body::GetRPCMethods);
    let out = env.to_xml();
    assert!(out.contains(r#"<cwmp:HoldRequests soap-env:mustUnderstand="1">0</cwmp:HoldRequests>"#));
    assert!(out.contains(r#"<cwmp:SessionTimeout>45</cwmp:SessionTimeout>"#));
    assert!(out
        .contains(r#"<cwmp:UseCWMPVersion soap-env:mustUnderstand="1">1.4</cwmp:UseCWMPVersion>"#));
}

#[test]
fn emitted_shape_is_what_peers_expect() {
    let env = Envelope::new(
        CwmpVersion::V1_0,
        Body::GetParameterValuesResponse(GetParameterValuesResponse {
            parameter_list: vec![
                ParameterValue::new("A", Value::string("x<y")),
                ParameterValue::new("B", Value::unsigned_int(5)),
                ParameterValue::new("C", Value::boolean(false)),
            ],
        }),
    )
    .with_id("acs-1");
    let xml = env.to_xml();
    for needle in [
        r#"<?xml version="1.0" encoding="UTF-8"?><soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:soap-enc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:cwmp="urn:dslforum-org:cwmp-1-0">"#,
        r#"<soap-env:Header><cwmp:ID soap-env:mustUnderstand="1">acs-1</cwmp:ID></soap-env:Header>"#,
        r#"<soap-env:Body><cwmp:GetParameterValuesResponse><ParameterList soap-enc:arrayType="cwmp:ParameterValueStruct[3]">"#,
        r#"<ParameterValueStruct><Name>A</Name><Value xsi:type="xsd:string">x&lt;y</Value></ParameterValueStruct>"#,
        r#"<Value xsi:type="xsd:unsignedInt">5</Value>"#,
        r#"<Value xsi:type="xsd:boolean">false</Value>"#,
        r#"</ParameterList></cwmp:GetParameterValuesResponse></soap-env:Body></soap-env:Envelope>"#,
    ] {
        assert!(xml.contains(needle), "missing {needle}\nin {xml}");
    }
    let gpv = Envelope::new(
        CwmpVersion::V1_2,
        Body::GetParameterValues(GetParameterValues {
            parameter_names: vec!["A.".into(), "B".into()],
        }),
    );
    assert!(gpv.to_xml().contains(r#"<ParameterNames soap-enc:arrayType="xsd:string[2]"><string>A.</string><string>B</string></ParameterNames>"#));
    let gpn = Envelope::new(
        CwmpVersion::V1_2,
        Body::GetParameterNames(GetParameterNames {
            parameter_path: "Device.".into(),
            next_level: true,
        }),
    );
    assert!(gpn.to_xml().contains("<NextLevel>1</NextLevel>"));
    // No header block at all when none is set.
    assert!(!gpn.to_xml().contains("Header"));
}

#[test]
fn json_is_readable() {
    let env = Envelope::new(
        CwmpVersion::V1_2,
        Body::Reboot(Reboot {
            command_key: "r1".into(),
        }),
    )
    .with_id("5");
    let json = serde_json::to_string(&env).unwrap();
    assert_eq!(
        json,
        r#"{"version":"cwmp-1-2","header":{"id":"5"},"body":{"method":"Reboot","command_key":"r1"}}"#
    );
    let json = serde_json::to_string(&Envelope::default()).unwrap();
    assert_eq!(
        json,
        r#"{"version":"cwmp-1-0","header":{},"body":{"method":"Empty"}}"#
    );
    let v = serde_json::to_string(&Value::unsigned_int(3)).unwrap();
    assert_eq!(v, r#"{"type":"unsignedInt","text":"3"}"#);
}
