use std::sync::Arc;

use agent::dm::Answer;
use cwmp::Body;
use sim::{DataModel, Profile};
use usp::proto::usp::get_supported_dm_resp::ParamAccessType;
use usp::proto::usp::request::ReqType;
use usp::proto::usp::response::RespType;
use usp::proto::usp::GetSupportedDm;

use super::*;
use crate::plan::tests::{get, param, results, run};
use crate::plan::{Config, Plan, Step};

fn gateway() -> DataModel {
    DataModel::new(Profile::from_model_arg("tr098").unwrap().into_shared())
}

fn tr098_model(cpe: &DataModel) -> Arc<DeviceModel> {
    let names = cpe.under(TR098_ROOT).map(|e| (e.name, e.writable));
    Arc::new(discovered(Root::Tr098, names).unwrap())
}

#[test]
fn names_cross_only_in_the_mapped_subtrees() {
    let t = Root::Tr098;
    assert_eq!(
        t.to_cpe("Device.DeviceInfo.ModelName"),
        "InternetGatewayDevice.DeviceInfo.ModelName"
    );
    assert_eq!(
        t.from_cpe("InternetGatewayDevice.ManagementServer.URL")
            .as_deref(),
        Some("Device.ManagementServer.URL")
    );
    assert_eq!(t.from_cpe("InternetGatewayDevice.").as_deref(), Some(ROOT));
    assert_eq!(t.from_cpe("InternetGatewayDevice.LANDevice.1."), None);
    // A prefix of a mapped name is not that name.
    assert_eq!(t.from_cpe("InternetGatewayDevice.DeviceInfoX"), None);
    assert_eq!(t.from_cpe("Device.DeviceInfo."), None);
    assert_eq!(
        Root::Tr181.to_cpe("Device.DeviceInfo.ModelName"),
        "Device.DeviceInfo.ModelName"
    );
}

#[test]
fn a_tr098_cpe_is_found_after_the_tr181_listing_faults() {
    let mut cpe = gateway();
    let plan = Plan::new_test(
        get(&["Device.DeviceInfo.ModelName"], 0),
        None,
        Config::default(),
    );
    let (a, rounds) = run(plan, &mut cpe);
    let asked: Vec<_> = rounds
        .iter()
        .map(|r| match &r[0] {
            Body::GetParameterNames(n) => n.parameter_path.to_string(),
            Body::GetParameterValues(v) => v.parameter_names.join(","),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        asked,
        [
            "Device.",
            "InternetGatewayDevice.",
            // The lists the pack makes tables of, then the read itself.
            "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.DNSServers,InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1.DNSServers",
            "InternetGatewayDevice.DeviceInfo.ModelName"
        ]
    );
    let r = results(a);
    assert_eq!(
        param(&r[0], "Device.DeviceInfo.", "ModelName"),
        Some("ADSL-2300")
    );
}

#[test]
fn the_model_keeps_the_mapped_names_that_tr181_has() {
    let cpe = gateway();
    let m = tr098_model(&cpe);
    assert_eq!(m.root(), Root::Tr098);
    let s = m.schema();
    assert!(s.find("Device.DeviceInfo.SoftwareVersion").is_some());
    // TR-098 alone defines it: no TR-181 name to give it.
    assert!(s.find("Device.DeviceInfo.ModemFirmwareVersion").is_none());
    assert!(s.find("Device.LANDevice.").is_none());
    assert!(s.find("Device.WiFi.").is_none());
    // CWMP-only in TR-181, so an extension, as on a TR-181 CPE.
    assert!(s
        .find("Device.ManagementServer.PeriodicInformInterval")
        .is_some());
    // Vendor names join as on a TR-181 CPE.
    let names = [
        ("InternetGatewayDevice.DeviceInfo.", false),
        ("InternetGatewayDevice.DeviceInfo.X_ACME_Fan", true),
        ("InternetGatewayDevice.DeviceInfo.SpecVersion", false),
    ];
    let v = discovered(Root::Tr098, names).unwrap();
    assert!(v.schema().find("Device.DeviceInfo.X_ACME_Fan").is_some());
    assert!(v.schema().find("Device.DeviceInfo.SpecVersion").is_none());
    // The same USP names on a TR-181 CPE are another model.
    let usp = names.map(|(n, w)| (n.replacen(TR098_ROOT, ROOT, 1), w));
    let tr181 = DeviceModel::from_names(usp.iter().map(|(n, w)| (n.as_str(), *w))).unwrap();
    assert_ne!(tr181.fingerprint(), v.fingerprint());
}

#[test]
fn gets_read_the_gateway_under_its_own_names() {
    let mut cpe = gateway();
    let m = tr098_model(&cpe);
    let req = get(
        &[
            "Device.DeviceInfo.ModelName",
            "Device.DeviceInfo.SoftwareVersion",
            "Device.ManagementServer.",
            "Device.WiFi.SSID.1.SSID",
            "Device.LANDevice.",
        ],
        0,
    );
    let (a, rounds) = run(Plan::new_test(req, Some(m), Config::default()), &mut cpe);
    assert_eq!(rounds.len(), 1, "{rounds:?}");
    let Body::GetParameterValues(gpv) = &rounds[0][0] else {
        panic!("{rounds:?}")
    };
    assert!(
        gpv.parameter_names
            .iter()
            .all(|n| n.starts_with(TR098_ROOT)),
        "{gpv:?}"
    );
    let r = results(a);
    assert_eq!(
        param(&r[0], "Device.DeviceInfo.", "ModelName"),
        Some("ADSL-2300")
    );
    assert_eq!(
        param(&r[1], "Device.DeviceInfo.", "SoftwareVersion"),
        Some("3.10.4-build412")
    );
    assert_eq!(r[2].err_code, 0, "{:?}", r[2]);
    let ms = param(&r[2], "Device.ManagementServer.", "URL");
    assert_eq!(ms, Some("http://acs.example.invalid:7547/"));
    assert_eq!(
        param(&r[2], "Device.ManagementServer.", "PeriodicInformEnable"),
        Some("true")
    );
    assert_eq!(r[3].err_code, 7026);
    assert_eq!(r[4].err_code, 7026);
}

#[test]
fn supported_dm_shows_the_mapped_objects() {
    let mut cpe = gateway();
    let req = ReqType::GetSupportedDm(GetSupportedDm {
        obj_paths: vec!["Device.DeviceInfo.".into(), "Device.WiFi.".into()],
        first_level_only: true,
        return_commands: true,
        return_events: true,
        return_params: true,
        return_unique_key_sets: true,
    });
    let plan = Plan::new_test(req, Some(tr098_model(&cpe)), Config::default());
    let (a, rounds) = run(plan, &mut cpe);
    assert!(rounds.is_empty());
    let Answer::Resp(RespType::GetSupportedDmResp(r)) = a else {
        panic!("{a:?}")
    };
    let info = &r.req_obj_results[0].supported_objs[0];
    let code = info
        .supported_params
        .iter()
        .find(|p| p.param_name == "ProvisioningCode")
        .unwrap();
    assert_eq!(code.access, ParamAccessType::ParamReadWrite as i32);
    assert!(info
        .supported_params
        .iter()
        .any(|p| p.param_name == "ModelName"));
    assert_eq!(r.req_obj_results[1].err_code, 7026);
}

#[test]
fn sets_leave_with_the_cpe_names() {
    let body = Body::SetParameterValues(cwmp::SetParameterValues {
        parameter_list: vec![cwmp::ParameterValue::new(
            "Device.ManagementServer.URL",
            cwmp::Value::string("http://x/"),
        )],
        parameter_key: "k".into(),
    });
    let Body::SetParameterValues(s) = Root::Tr098.body_to_cpe(body) else {
        panic!()
    };
    assert_eq!(
        s.parameter_list[0].name,
        "InternetGatewayDevice.ManagementServer.URL"
    );
}

#[test]
fn a_cpe_of_neither_model_has_an_empty_one() {
    let mut plan = Plan::new_test(get(&["Device.DeviceInfo."], 0), None, Config::default());
    for _ in 0..2 {
        let Step::Send(_) = plan.poll() else { panic!() };
        plan.feed(vec![Outcome::Fault {
            code: 9005,
            string: String::new(),
            params: Vec::new(),
        }]);
    }
    let m = plan.model().unwrap();
    assert_eq!(m.root(), Root::Tr181);
    assert!(m.schema().find("Device.DeviceInfo.").is_none());
}

/// TR098_ONLY is what the committed facts say: the mapped TR-098 names
/// that the TR-181 CWMP facts lack.
#[test]
fn tr098_only_names_follow_the_facts() {
    let paths = |facts: &'static str, root: &'static str| {
        facts
            .lines()
            .filter_map(|l| l.split('\t').next())
            .filter_map(move |p| Some(format!("{ROOT}{}", p.strip_prefix(root)?)))
            .filter(|p| SAME_NAMES.iter().any(|s| p[ROOT.len()..].starts_with(s)))
            .collect::<std::collections::BTreeSet<_>>()
    };
    let tr098 = paths(
        include_str!("../../../../mappings/facts/tr-098-1-8-0.tsv"),
        TR098_ROOT,
    );
    let tr181 = paths(
        include_str!("../../../../mappings/facts/tr-181-2-17-0-cwmp.tsv"),
        ROOT,
    );
    let only: Vec<&str> = tr098.difference(&tr181).map(String::as_str).collect();
    assert_eq!(only, TR098_ONLY);
}

#[test]
fn listings_come_back_in_usp_names_without_the_unmapped() {
    let listing = Body::GetParameterNamesResponse(cwmp::GetParameterNamesResponse {
        parameter_list: [
            "InternetGatewayDevice.ManagementServer.URL",
            "InternetGatewayDevice.LANDevice.1.",
        ]
        .map(|n| cwmp::ParameterInfo {
            name: n.into(),
            writable: true,
        })
        .to_vec(),
    });
    let Outcome::Response(Body::GetParameterNamesResponse(r)) =
        Root::Tr098.outcome_from_cpe(Outcome::Response(listing))
    else {
        panic!()
    };
    let names: Vec<&str> = r.parameter_list.iter().map(|p| &*p.name).collect();
    assert_eq!(names, ["Device.ManagementServer.URL"]);
}

#[test]
fn a_tr098_cpe_with_vendor_files_offers_their_commands() {
    let mut cpe = gateway();
    let m = tr098_model(&cpe);
    for t in crate::transfer::Transfer::ALL {
        let offered = m.schema().find(t.command()).is_some();
        // TR-098 has no firmware image table.
        assert_eq!(
            offered,
            t != crate::transfer::Transfer::FirmwareDownload,
            "{t:?}"
        );
    }
    let op = usp::msg::operate(
        "o1",
        "Device.DeviceInfo.VendorLogFile.1.Upload()",
        "ck",
        true,
        [("URL", "http://files.example/log")],
    );
    let plan = Plan::new_test(op.request().unwrap().clone(), Some(m), Config::default());
    let (_, rounds) = run(plan, &mut cpe);
    let Body::Upload(u) = &rounds[0][0] else {
        panic!("{rounds:?}")
    };
    assert_eq!(u.file_type, "4 Vendor Log File 1");
}
