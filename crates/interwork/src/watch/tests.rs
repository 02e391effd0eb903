use cwmp::Body;
use sim::{DataModel, Profile};

use super::*;
use crate::plan::tests::{answer, cpe, model};

const SSIDS: &str = "Device.WiFi.SSID.*.SSID";

/// The simulator's answer, with attributes (refusing active notification
/// on `reject` as `--reject-notification` does).
fn attr_answer(cpe: &mut DataModel, rpc: &Body<'_>, reject: &[String]) -> Outcome {
    let b = match rpc {
        Body::GetParameterAttributes(r) => sim::rpc::get_parameter_attributes(cpe, r),
        Body::SetParameterAttributes(r) => {
            sim::rpc::set_parameter_attributes_rejecting(cpe, r, reject)
        }
        other => return answer(cpe, other),
    };
    match b {
        Body::Fault(f) => Outcome::Fault {
            code: f.fault_code().unwrap_or(0),
            string: String::new(),
            params: Vec::new(),
        },
        b => Outcome::Response(b),
    }
}

fn run_with(
    mut plan: WatchPlan,
    cpe: &mut DataModel,
    reject: &[String],
) -> (WatchReport, Vec<Vec<Body<'static>>>) {
    let mut rounds = Vec::new();
    loop {
        match plan.poll() {
            WatchStep::Done(r) => return (r, rounds),
            WatchStep::Send(rpcs) => {
                let outcomes = rpcs.iter().map(|b| attr_answer(cpe, b, reject)).collect();
                rounds.push(rpcs);
                plan.feed(outcomes);
                assert!(rounds.len() < 20, "plan does not end");
            }
        }
    }
}

fn watch(cpe: &mut DataModel, wanted: &[&str], applied: Applied) -> WatchReport {
    let m = model(cpe);
    let plan = WatchPlan::new(
        Some(m),
        wanted.iter().map(|s| s.to_string()),
        applied,
        Config::default(),
    );
    run_with(plan, cpe, &[]).0
}

fn ssid_names(cpe: &DataModel) -> Vec<String> {
    (1..=cpe.instance_count("Device.WiFi.SSID."))
        .map(|i| format!("Device.WiFi.SSID.{i}.SSID"))
        .collect()
}

fn method(b: &Body<'_>) -> &'static str {
    b.method_name()
}

#[test]
fn wildcards_resolve_and_names_are_read_before_they_are_set() {
    let mut cpe = cpe();
    let m = model(&mut cpe);
    let plan = WatchPlan::new(
        Some(m),
        [SSIDS.to_string()],
        Applied::default(),
        Config::default(),
    );
    let (report, rounds) = run_with(plan, &mut cpe, &[]);
    let methods: Vec<Vec<&str>> = rounds
        .iter()
        .map(|r| r.iter().map(method).collect())
        .collect();
    assert_eq!(
        methods,
        vec![
            vec!["GetParameterNames"],
            vec!["GetParameterAttributes"],
            vec!["SetParameterAttributes"]
        ]
    );
    let names = ssid_names(&cpe);
    assert!(!names.is_empty());
    assert_eq!(
        report.applied.active.keys().cloned().collect::<Vec<_>>(),
        names
    );
    for n in &names {
        assert_eq!(cpe.notification(n), 2, "{n}");
    }
    assert!(report.errors.is_empty() && report.fell_back.is_empty());
    // Only the parameters the path names, not their siblings.
    assert_eq!(cpe.notification("Device.WiFi.SSID.1.Enable"), 0);
}

#[test]
fn partial_paths_watch_every_parameter_under_them() {
    let mut cpe = cpe();
    let report = watch(&mut cpe, &["Device.WiFi.SSID.1."], Applied::default());
    assert!(report
        .applied
        .active
        .contains_key("Device.WiFi.SSID.1.SSID"));
    assert!(report
        .applied
        .active
        .contains_key("Device.WiFi.SSID.1.Enable"));
    assert!(report
        .applied
        .active
        .keys()
        .all(|n| n.starts_with("Device.WiFi.SSID.1.")));
}

#[test]
fn unwatched_names_get_their_original_notification_back() {
    let mut cpe = cpe();
    let first = "Device.WiFi.SSID.1.SSID";
    cpe.set_attributes(
        first,
        sim::model::Attributes {
            notification: 1,
            ..Default::default()
        },
    );
    let report = watch(&mut cpe, &[SSIDS, first], Applied::default());
    assert_eq!(report.applied.active.get(first), Some(&1));
    assert_eq!(cpe.notification(first), 2);
    // Still watched by the other path: left active.
    let report = watch(&mut cpe, &[SSIDS], report.applied);
    assert_eq!(cpe.notification(first), 2);
    assert_eq!(report.applied.active.get(first), Some(&1));
    let report = watch(&mut cpe, &[], report.applied);
    assert_eq!(cpe.notification(first), 1);
    for n in ssid_names(&cpe).iter().skip(1) {
        assert_eq!(cpe.notification(n), 0, "{n}");
    }
    assert_eq!(report.applied, Applied::default());
}

#[test]
fn an_unchanged_set_costs_only_the_listing() {
    let mut cpe = cpe();
    let report = watch(&mut cpe, &[SSIDS], Applied::default());
    let m = model(&mut cpe);
    let plan = WatchPlan::new(
        Some(m),
        [SSIDS.to_string()],
        report.applied.clone(),
        Config::default(),
    );
    let (again, rounds) = run_with(plan, &mut cpe, &[]);
    assert_eq!(rounds.len(), 1);
    assert_eq!(again.applied, report.applied);
}

#[test]
fn refused_names_fall_back_to_polling_alone() {
    let mut cpe = cpe();
    let m = model(&mut cpe);
    let reject = vec!["Device.WiFi.SSID.2.*".to_string()];
    let wanted = [
        "Device.WiFi.SSID.1.SSID",
        "Device.WiFi.SSID.2.SSID",
        "Device.DeviceInfo.UpTime",
    ];
    let plan = WatchPlan::new(
        Some(m),
        wanted.iter().map(|s| s.to_string()),
        Applied::default(),
        Config::default(),
    );
    let (report, _) = run_with(plan, &mut cpe, &reject);
    let polled: Vec<&str> = report.applied.polled.iter().map(String::as_str).collect();
    // UpTime: the simulator, as real CPE, refuses counters anyway.
    assert_eq!(
        polled,
        vec!["Device.DeviceInfo.UpTime", "Device.WiFi.SSID.2.SSID"]
    );
    assert_eq!(report.fell_back.len(), 2);
    assert!(report.fell_back[0].1.contains("9009"));
    assert_eq!(cpe.notification("Device.WiFi.SSID.1.SSID"), 2);
    assert!(report
        .applied
        .active
        .contains_key("Device.WiFi.SSID.1.SSID"));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    // No longer watched: polling stops, nothing to restore.
    let report = watch(&mut cpe, &["Device.WiFi.SSID.1.SSID"], report.applied);
    assert!(report.applied.polled.is_empty());
    assert_eq!(report.applied.active.len(), 1);
}

#[test]
fn per_parameter_faults_fall_back_and_the_rest_goes_again() {
    let mut cpe = cpe();
    let m = model(&mut cpe);
    let mut plan = WatchPlan::new(
        Some(m),
        [
            "Device.WiFi.SSID.1.SSID".into(),
            "Device.WiFi.SSID.1.Enable".into(),
        ],
        Applied::default(),
        Config::default(),
    );
    for _ in 0..2 {
        let WatchStep::Send(rpcs) = plan.poll() else {
            panic!()
        };
        plan.feed(rpcs.iter().map(|b| attr_answer(&mut cpe, b, &[])).collect());
    }
    let WatchStep::Send(rpcs) = plan.poll() else {
        panic!()
    };
    assert_eq!(rpcs.len(), 1);
    plan.feed(vec![Outcome::Fault {
        code: 9003,
        string: "Invalid arguments".into(),
        params: vec![crate::ParamFault {
            name: "Device.WiFi.SSID.1.Enable".into(),
            code: 9009,
            string: "Notification request rejected".into(),
        }],
    }]);
    let WatchStep::Send(rpcs) = plan.poll() else {
        panic!()
    };
    let Body::SetParameterAttributes(r) = &rpcs[0] else {
        panic!()
    };
    assert_eq!(r.parameter_list.len(), 1);
    assert_eq!(r.parameter_list[0].name, "Device.WiFi.SSID.1.SSID");
    plan.feed(vec![Outcome::Response(
        Body::SetParameterAttributesResponse,
    )]);
    let WatchStep::Done(report) = plan.poll() else {
        panic!()
    };
    assert!(report.applied.polled.contains("Device.WiFi.SSID.1.Enable"));
    assert!(report
        .applied
        .active
        .contains_key("Device.WiFi.SSID.1.SSID"));
}

#[test]
fn a_failed_listing_changes_nothing() {
    let mut cpe = cpe();
    let applied = watch(&mut cpe, &[SSIDS], Applied::default()).applied;
    let m = model(&mut cpe);
    let mut plan = WatchPlan::new(Some(m), Vec::new(), applied.clone(), Config::default());
    // Nothing wanted: no listing, straight to restoring.
    let WatchStep::Send(rpcs) = plan.poll() else {
        panic!()
    };
    assert_eq!(method(&rpcs[0]), "SetParameterAttributes");
    let m = model(&mut cpe);
    let mut plan = WatchPlan::new(
        Some(m),
        [SSIDS.to_string()],
        applied.clone(),
        Config::default(),
    );
    let WatchStep::Send(_) = plan.poll() else {
        panic!()
    };
    plan.feed(vec![Outcome::Failed {
        code: 7002,
        msg: "unreachable".into(),
    }]);
    let WatchStep::Done(report) = plan.poll() else {
        panic!()
    };
    assert_eq!(report.applied, applied);
    assert_eq!(report.errors.len(), 1);
}

#[test]
fn tr098_cpe_get_their_own_names_and_an_unknown_model_is_discovered() {
    let mut cpe = DataModel::new(Profile::from_model_arg("tr098").unwrap().into_shared());
    let name = "Device.DeviceInfo.ProvisioningCode";
    let plan = WatchPlan::new(
        None,
        [name.to_string()],
        Applied::default(),
        Config::default(),
    );
    let (report, rounds) = run_with(plan, &mut cpe, &[]);
    let mapped = report.model.as_ref().and_then(|m| m.mapping());
    assert!(mapped.is_some(), "the mapped model is kept");
    assert!(report.applied.active.contains_key(name), "{report:?}");
    assert_eq!(
        cpe.notification("InternetGatewayDevice.DeviceInfo.ProvisioningCode"),
        2
    );
    let Some(Body::SetParameterAttributes(r)) = rounds.last().and_then(|r| r.first()) else {
        panic!()
    };
    assert_eq!(
        r.parameter_list[0].name,
        "InternetGatewayDevice.DeviceInfo.ProvisioningCode"
    );
    // Polling reads them under the CPE's names too.
    let model = report.model.as_deref();
    let calls = poll_calls(model, &[name.to_string()].into(), 32);
    let Body::GetParameterValues(g) = &calls[0].1 else {
        panic!()
    };
    assert_eq!(
        g.parameter_names[0],
        "InternetGatewayDevice.DeviceInfo.ProvisioningCode"
    );
    let answer = attr_answer(&mut cpe, &calls[0].1, &[]);
    let values = polled_values(model, &calls[0].0, answer);
    assert_eq!(values.len(), 1);
    assert_eq!(values[0].0, name);
}

#[test]
fn watched_tables_get_active_notification_on_their_count() {
    let mut cpe = cpe();
    let m = model(&mut cpe);
    let plan = WatchPlan::new(Some(m), Vec::new(), Applied::default(), Config::default())
        .counting(vec!["Device.NAT.PortMapping.".into()]);
    let (r, _) = run_with(plan, &mut cpe, &[]);
    let count = "Device.NAT.PortMappingNumberOfEntries";
    assert_eq!(r.applied.active.keys().collect::<Vec<_>>(), [count]);
    assert_eq!(cpe.notification(count), 2);
}
