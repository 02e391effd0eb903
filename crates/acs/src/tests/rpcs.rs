//! RPCs both ways: queued ACS RPCs and CPE-originated ones.

use super::*;

#[test]
fn queued_rpcs_run_in_order_in_the_next_session() {
    let mut e = engine();
    let gpv = |n: &str| {
        Body::GetParameterValues(GetParameterValues {
            parameter_names: vec![Cow::Owned(n.to_string())],
        })
    };
    let a = e
        .submit(key("SN1"), gpv("Device.DeviceInfo."), 60 * SEC)
        .unwrap();
    let b = e
        .submit(
            key("SN1"),
            Body::Reboot(Reboot {
                command_key: "k".into(),
            }),
            60 * SEC,
        )
        .unwrap();
    assert_eq!(
        events(&mut e),
        [crate::Event::ConnectionRequestNeeded(key("SN1"))]
    );

    let r = send(
        &mut e,
        SEC,
        post(1, None, &inform_xml("SN1", &["6 CONNECTION REQUEST"], "1")),
    );
    let cookie = r.set_cookie.unwrap();
    let r = send(&mut e, SEC, post(1, Some(&cookie), b""));
    let sent = cwmp::parse(&r.body).unwrap();
    assert!(matches!(sent.body, Body::GetParameterValues(_)));
    let id = sent.header.id.unwrap().into_owned();

    let answer = Envelope::new(
        CwmpVersion::V1_0,
        Body::GetParameterValuesResponse(GetParameterValuesResponse {
            parameter_list: vec![],
        }),
    )
    .with_id(id)
    .to_xml();
    let r = send(&mut e, SEC, post(1, Some(&cookie), answer.as_bytes()));
    let sent = cwmp::parse(&r.body).unwrap();
    assert!(
        matches!(sent.body, Body::Reboot(_)),
        "second RPC follows the first"
    );
    let fault = Envelope::new(CwmpVersion::V1_0, Body::Fault(Fault::cwmp(9001, "no")))
        .with_id(sent.header.id.unwrap().into_owned())
        .to_xml();
    let r = send(&mut e, SEC, post(1, Some(&cookie), fault.as_bytes()));
    assert_eq!(r.status, 204);
    let done: Vec<_> = events(&mut e)
        .into_iter()
        .filter_map(|ev| match ev {
            crate::Event::RpcDone { id, outcome, .. } => Some((id, outcome)),
            _ => None,
        })
        .collect();
    assert_eq!(done.len(), 2);
    assert_eq!(done[0].0, a);
    assert!(matches!(
        done[0].1,
        RpcOutcome::Response(Body::GetParameterValuesResponse(_))
    ));
    assert_eq!(
        done[1],
        (
            b,
            RpcOutcome::Fault {
                code: 9001,
                string: "no".into(),
                params: Vec::new(),
            }
        )
    );
}

#[test]
fn cpe_originated_rpcs_get_their_responses_and_unknown_ones_8000() {
    let mut e = engine();
    let r = send(
        &mut e,
        SEC,
        post(1, None, &inform_xml("SN1", &["7 TRANSFER COMPLETE"], "1")),
    );
    let cookie = r.set_cookie.unwrap();
    let tc = Envelope::new(
        CwmpVersion::V1_0,
        Body::TransferComplete(TransferComplete {
            command_key: "dl".into(),
            fault_struct: TransferFault {
                fault_code: 0,
                fault_string: "".into(),
            },
            start_time: "2026-11-23T00:00:00Z".into(),
            complete_time: "2026-11-23T00:00:01Z".into(),
        }),
    )
    .with_id("tc-1")
    .to_xml();
    events(&mut e);
    let r = send(&mut e, SEC, post(1, Some(&cookie), tc.as_bytes()));
    let answer = cwmp::parse(&r.body).unwrap();
    assert_eq!(answer.header.id.as_deref(), Some("tc-1"));
    assert!(matches!(answer.body, Body::TransferCompleteResponse));
    // The northbound learns of it, to complete the command behind it.
    assert_eq!(
        events(&mut e),
        [crate::Event::TransferComplete {
            device: key("SN1"),
            command_key: "dl".into(),
            fault_code: 0,
            fault_string: String::new(),
            start_time: "2026-11-23T00:00:00Z".into(),
            complete_time: "2026-11-23T00:00:01Z".into(),
            autonomous: None,
        }]
    );
    let atc = Envelope::new(
        CwmpVersion::V1_0,
        Body::AutonomousTransferComplete(cwmp::AutonomousTransferComplete {
            transfer_url: "http://logs/up".into(),
            is_download: false,
            fault_struct: TransferFault {
                fault_code: 0,
                fault_string: "".into(),
            },
            ..Default::default()
        }),
    )
    .with_id("atc-1")
    .to_xml();
    let r = send(&mut e, SEC, post(1, Some(&cookie), atc.as_bytes()));
    let answer = cwmp::parse(&r.body).unwrap();
    assert!(matches!(
        answer.body,
        Body::AutonomousTransferCompleteResponse
    ));
    let told = events(&mut e);
    let [crate::Event::TransferComplete { autonomous, .. }] = told.as_slice() else {
        panic!("{told:?}")
    };
    let about = crate::AutonomousTransfer {
        is_download: false,
        transfer_url: "http://logs/up".into(),
    };
    assert_eq!(autonomous.as_ref(), Some(&about));

    let rpc = Envelope::new(CwmpVersion::V1_0, Body::GetRPCMethods)
        .with_id("g")
        .to_xml();
    let r = send(&mut e, SEC, post(1, Some(&cookie), rpc.as_bytes()));
    match cwmp::parse(&r.body).unwrap().body {
        Body::GetRPCMethodsResponse(m) => {
            assert!(m.method_list.iter().any(|x| x == "TransferComplete"))
        }
        other => panic!("{other:?}"),
    }

    let odd = Envelope::new(CwmpVersion::V1_0, Body::FactoryReset)
        .with_id("f")
        .to_xml();
    let r = send(&mut e, SEC, post(1, Some(&cookie), odd.as_bytes()));
    let answer = cwmp::parse(&r.body).unwrap();
    assert_eq!(answer.header.id.as_deref(), Some("f"));
    match answer.body {
        Body::Fault(f) => assert_eq!(f.fault_code(), Some(8000)),
        other => panic!("{other:?}"),
    }
}
