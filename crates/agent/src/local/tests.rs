use super::*;

fn cfg() -> AgentConfig {
    AgentConfig {
        software_version: "9".into(),
        mtps: vec![AgentMtp::WebSocket {
            port: 8080,
            path: "/usp/{eid}".into(),
        }],
        controllers: vec![ControllerConfig {
            endpoint_id: "proto::c".into(),
            assigned_role: String::new(),
            mtps: vec![],
        }],
        notif_retry_min_wait: None,
    }
}

#[test]
fn embedded_schema_is_the_local_agent_only() {
    let s = schema().unwrap();
    assert!(s
        .find("Device.LocalAgent.Subscription.{i}.ReferenceList")
        .is_some());
    assert!(s
        .find("Device.LocalAgent.Controller.{i}.MTP.{i}.MQTT.Topic")
        .is_some());
    assert!(s.find("Device.DeviceInfo.").is_none());
    assert!(s.find("Device.RootDataModelVersion").is_none());
    assert!(s.find("Device.LocalAgent.ControllerTrust.").is_none());
    assert!(s.find("Device.LocalAgent.MTP.{i}.CoAP.").is_none());
    assert_eq!(s.uri(), MODEL_URI);
}

#[test]
fn fill_replaces_in_order_and_cuts_at_a_missing_number() {
    assert_eq!(
        fill(CONTROLLER_MTP, &[2, 5]),
        "Device.LocalAgent.Controller.2.MTP.5."
    );
    assert_eq!(
        fill(CONTROLLER_MTP, &[2]),
        "Device.LocalAgent.Controller.2.MTP."
    );
}

#[test]
fn computed_values_and_rollback() {
    let s = schema().unwrap();
    let c = cfg();
    let mut la = LocalAgent::new(100);
    let mut v = View {
        schema: &s,
        config: &c,
        eid: "os::A-B",
        agent: &mut la,
        now: 160,
        requester: Some(1),
    };
    assert_eq!(v.value("Device.LocalAgent.UpTime", &[]).unwrap(), "60");
    assert_eq!(
        v.value("Device.LocalAgent.SupportedProtocols", &[])
            .unwrap(),
        "WebSocket"
    );
    assert_eq!(
        v.value("Device.LocalAgent.MTP.{i}.WebSocket.Path", &[1])
            .unwrap(),
        "/usp/os::A-B"
    );
    assert_eq!(v.controller_of("proto::c"), Some(1));

    v.begin();
    let n = v.add(SUB, &[]).unwrap();
    v.set("Device.LocalAgent.Subscription.{i}.ID", &[n], "x")
        .unwrap();
    let m = v.add(CONTROLLER, &[]).unwrap();
    assert_eq!(m, 2);
    v.rollback();
    assert!(v.instances(SUB, &[]).is_empty());
    assert_eq!(v.instances(CONTROLLER, &[]), [1]);

    v.begin();
    v.delete(CONTROLLER, &[1]).unwrap();
    v.commit();
    assert!(v.instances(CONTROLLER, &[]).is_empty());
    assert_eq!(
        v.add(CONTROLLER, &[]).unwrap(),
        2,
        "configured numbers are never reused"
    );
    assert_eq!(v.add(CONTROLLER_MTP, &[2]).unwrap(), 1);
    v.delete(CONTROLLER, &[2]).unwrap();
    assert_eq!(
        v.add(CONTROLLER, &[]).unwrap(),
        3,
        "added numbers are never reused"
    );
    assert!(v.instances(CONTROLLER_MTP, &[3]).is_empty());
}
