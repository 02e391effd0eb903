use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use cwmp::*;

use super::test_acs::*;
use super::*;

fn spv(pairs: &[(&str, Value<'static>)], key: &str) -> Body<'static> {
    Body::SetParameterValues(SetParameterValues {
        parameter_list: pairs
            .iter()
            .map(|(n, v)| ParameterValue::new(n.to_string(), v.clone()))
            .collect(),
        parameter_key: key.to_string().into(),
    })
}

fn gpv(names: &[&str]) -> Body<'static> {
    Body::GetParameterValues(GetParameterValues {
        parameter_names: names.iter().map(|n| Cow::Owned(n.to_string())).collect(),
    })
}

fn fault_code(b: &Body<'_>) -> u32 {
    match b {
        Body::Fault(f) => f.fault_code().unwrap(),
        other => panic!("expected a fault, got {other:?}"),
    }
}

#[test]
fn thousands_of_cpe_run_full_sessions_without_sockets() {
    let profile = tr181();
    let cfg = Arc::new(config());
    let mut acs = FakeAcs::default();
    let n = 3000;
    for i in 0..n {
        let mut cpe = Cpe::new(cfg.clone(), profile.clone(), i);
        acs.queue(gpv(&["Device.DeviceInfo.SerialNumber"]));
        cpe.power_on(Duration::ZERO);
        acs.pump(&mut cpe, Duration::ZERO);
        assert_eq!(cpe.stats.sessions_ok, 1);
        assert!(cpe.pending_events().is_empty());
        let Some(Body::GetParameterValuesResponse(r)) = acs.answers().last().map(|b| (*b).clone())
        else {
            panic!("no GPV answer");
        };
        assert_eq!(r.parameter_list[0].value.text, cfg.serial(i));
    }
    assert_eq!(acs.informs().len(), n as usize);
    assert!(acs.ended.iter().all(|ok| *ok));
    let first = acs.informs()[0];
    let codes: Vec<_> = first
        .event
        .iter()
        .map(|e| e.event_code.to_string())
        .collect();
    assert_eq!(codes, ["0 BOOTSTRAP", "1 BOOT"]);
    assert_eq!(first.device_id.serial_number, "SIM000000");
    let names: Vec<_> = first
        .parameter_list
        .iter()
        .map(|p| p.name.to_string())
        .collect();
    for want in [
        "Device.RootDataModelVersion",
        "Device.DeviceInfo.SoftwareVersion",
        "Device.ManagementServer.ConnectionRequestURL",
        "Device.ManagementServer.ParameterKey",
        "Device.IP.Interface.1.IPv4Address.1.IPAddress",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
}

#[test]
fn events_repeat_with_retry_count_until_acknowledged() {
    let mut cpe = Cpe::new(Arc::new(config()), tr181(), 1);
    let mut acs = FakeAcs {
        fail_informs: 2,
        ..FakeAcs::default()
    };
    let mut now = Duration::ZERO;
    cpe.power_on(now);
    acs.run_until(&mut cpe, &mut now, Duration::from_secs(60));
    let informs = acs.informs();
    assert_eq!(informs.len(), 3);
    let retries: Vec<u32> = informs.iter().map(|i| i.retry_count).collect();
    assert_eq!(retries, [0, 1, 2]);
    for i in &informs {
        let codes: Vec<_> = i.event.iter().map(|e| e.event_code.to_string()).collect();
        assert_eq!(codes, ["0 BOOTSTRAP", "1 BOOT"]);
    }
    assert_eq!(acs.ended, [false, false, true]);
    assert!(cpe.pending_events().is_empty());
    assert_eq!(cpe.retry_count(), 0);
}

#[test]
fn backoff_grows() {
    let mut cpe = Cpe::new(Arc::new(config()), tr181(), 1);
    let w1 = cpe.backoff(1);
    let w4 = cpe.backoff(4);
    assert!(
        w1 >= Duration::from_millis(100) && w1 < Duration::from_millis(200),
        "{w1:?}"
    );
    assert!(
        w4 >= Duration::from_millis(800) && w4 < Duration::from_millis(1600),
        "{w4:?}"
    );
}

#[test]
fn active_notification_starts_a_value_change_session() {
    let (mut cpe, mut acs, mut now) = booted(config());
    let ssid = "Device.WiFi.SSID.1.SSID";
    let spa = Body::SetParameterAttributes(SetParameterAttributes {
        parameter_list: vec![SetParameterAttributesStruct {
            name: ssid.into(),
            notification_change: true,
            notification: 2,
            access_list_change: false,
            access_list: vec![],
        }],
    });
    let a = session(&mut cpe, &mut acs, &mut now, vec![spa]);
    assert_eq!(a, [Body::SetParameterAttributesResponse]);
    let informs_before = acs.informs().len();
    cpe.handle_local_set(now, ssid, "lab-net").unwrap();
    acs.pump(&mut cpe, now);
    assert_eq!(acs.informs().len(), informs_before + 1);
    let inform = acs.informs()[informs_before];
    assert_eq!(inform.event[0].event_code, "4 VALUE CHANGE");
    let p = inform
        .parameter_list
        .iter()
        .find(|p| p.name == ssid)
        .unwrap();
    assert_eq!(p.value.text, "lab-net");
    // Delivered: the next Inform no longer carries it.
    cpe.trigger(now, Trigger::Periodic);
    acs.pump(&mut cpe, now);
    let last = acs.informs().last().copied().unwrap();
    assert!(last.parameter_list.iter().all(|p| p.name != ssid));
}

#[test]
fn informs_carry_current_standard_values_once() {
    // The standard parameters are encoded once per model revision; a value
    // changed in between (here a notified one, so it is also in the
    // changed set) must show its new value, and only once.
    let (mut cpe, mut acs, mut now) = booted(config());
    let code = "Device.DeviceInfo.ProvisioningCode";
    let spa = Body::SetParameterAttributes(SetParameterAttributes {
        parameter_list: vec![SetParameterAttributesStruct {
            name: code.into(),
            notification_change: true,
            notification: 1,
            access_list_change: false,
            access_list: vec![],
        }],
    });
    session(&mut cpe, &mut acs, &mut now, vec![spa]);
    for value in ["first", "second"] {
        cpe.handle_local_set(now, code, value).unwrap();
        cpe.trigger(now, Trigger::Periodic);
        acs.pump(&mut cpe, now);
        let last = acs.informs().last().copied().unwrap();
        let seen: Vec<_> = last
            .parameter_list
            .iter()
            .filter(|p| p.name == code)
            .map(|p| p.value.text.to_string())
            .collect();
        assert_eq!(seen, [value]);
        let n = last.parameter_list.len();
        assert_eq!(n, acs.informs()[0].parameter_list.len());
    }
}

#[test]
fn passive_notification_waits_for_the_next_inform() {
    let (mut cpe, mut acs, mut now) = booted(config());
    let name = "Device.DeviceInfo.ProvisioningCode";
    let spa = Body::SetParameterAttributes(SetParameterAttributes {
        parameter_list: vec![SetParameterAttributesStruct {
            name: "Device.Time.".into(),
            notification_change: true,
            notification: 1,
            access_list_change: true,
            access_list: vec!["Subscriber".into()],
        }],
    });
    session(&mut cpe, &mut acs, &mut now, vec![spa]);
    let ntp = "Device.Time.NTPServer1";
    let gpa = Body::GetParameterAttributes(GetParameterAttributes {
        parameter_names: vec![ntp.into()],
    });
    let a = session(&mut cpe, &mut acs, &mut now, vec![gpa]);
    let Body::GetParameterAttributesResponse(r) = &a[0] else {
        panic!("{a:?}")
    };
    assert_eq!(r.parameter_list[0].notification, 1);
    assert_eq!(r.parameter_list[0].access_list, ["Subscriber"]);
    let n = acs.informs().len();
    cpe.handle_local_set(now, ntp, "ntp.lab").unwrap();
    cpe.handle_local_set(now, name, "X").unwrap();
    acs.pump(&mut cpe, now);
    assert_eq!(acs.informs().len(), n, "passive changes start no session");
    cpe.trigger(now, Trigger::Periodic);
    acs.pump(&mut cpe, now);
    let last = acs.informs().last().copied().unwrap();
    assert!(last.event.iter().any(|e| e.event_code == "4 VALUE CHANGE"));
    assert!(last
        .parameter_list
        .iter()
        .any(|p| p.name == ntp && p.value.text == "ntp.lab"));
}

#[test]
fn reboot_then_boot_and_m_reboot_with_command_key() {
    let (mut cpe, mut acs, mut now) = booted(config());
    let a = session(
        &mut cpe,
        &mut acs,
        &mut now,
        vec![Body::Reboot(Reboot {
            command_key: "rk-1".into(),
        })],
    );
    assert_eq!(a, [Body::RebootResponse]);
    acs.run_for(&mut cpe, &mut now, Duration::from_secs(1));
    assert_eq!(
        acs.last_inform_events(),
        [
            ("1 BOOT".to_string(), String::new()),
            ("M Reboot".to_string(), "rk-1".to_string())
        ]
    );
}

#[test]
fn factory_reset_restores_profile_and_bootstraps() {
    let (mut cpe, mut acs, mut now) = booted(config());
    let name = "Device.WiFi.SSID.1.SSID";
    let default = cpe.model().value(name).unwrap().to_string();
    session(
        &mut cpe,
        &mut acs,
        &mut now,
        vec![spv(&[(name, Value::string("changed"))], "k")],
    );
    assert_eq!(cpe.model().value(name), Some("changed"));
    session(&mut cpe, &mut acs, &mut now, vec![Body::FactoryReset]);
    acs.run_for(&mut cpe, &mut now, Duration::from_secs(1));
    let codes: Vec<String> = acs.last_inform_events().into_iter().map(|e| e.0).collect();
    assert_eq!(codes, ["0 BOOTSTRAP", "1 BOOT"]);
    assert_eq!(cpe.model().value(name), Some(default.as_str()));
    assert_eq!(
        cpe.model().value("Device.DeviceInfo.SerialNumber"),
        Some("SIM000007")
    );
}

fn download(url: &str, key: &str) -> Body<'static> {
    Body::Download(Download {
        command_key: key.to_string().into(),
        file_type: "1 Firmware Upgrade Image".into(),
        url: url.to_string().into(),
        ..Download::default()
    })
}

#[test]
fn download_reports_transfer_complete_with_fault_struct() {
    for (code, expect) in [(0u32, 0u32), (9016, 9016)] {
        let (mut cpe, mut acs, mut now) = booted(config());
        let a = session(
            &mut cpe,
            &mut acs,
            &mut now,
            vec![download("http://files/fw.bin", "dl-1")],
        );
        let Body::DownloadResponse(r) = &a[0] else {
            panic!("{a:?}")
        };
        assert_eq!(r.status, 1);
        assert_eq!(acs.transfers.len(), 1, "the fetch starts after the session");
        let job = acs.transfers[0].clone();
        assert_eq!(job.url, "http://files/fw.bin");
        cpe.handle_transfer_done(
            now,
            TransferResult {
                id: job.id,
                fault_code: code,
                fault_string: "Cannot access file".into(),
                start: now,
                complete: now,
            },
        );
        acs.pump(&mut cpe, now);
        let codes: Vec<String> = acs.last_inform_events().into_iter().map(|e| e.0).collect();
        assert_eq!(codes, ["7 TRANSFER COMPLETE", "M Download"]);
        let tc = acs
            .received
            .iter()
            .rev()
            .find_map(|e| match &e.body {
                Body::TransferComplete(t) => Some(t.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(tc.command_key, "dl-1");
        assert_eq!(tc.fault_struct.fault_code, expect);
        assert!(cpe.pending_events().is_empty());
    }
}

#[test]
fn upload_and_schedule_inform() {
    let (mut cpe, mut acs, mut now) = booted(config());
    let up = Body::Upload(Upload {
        command_key: "up".into(),
        file_type: "1 Vendor Configuration File".into(),
        url: "http://files/up".into(),
        ..Upload::default()
    });
    let si = Body::ScheduleInform(ScheduleInform {
        delay_seconds: 30,
        command_key: "si".into(),
    });
    let a = session(&mut cpe, &mut acs, &mut now, vec![up, si]);
    assert!(matches!(a[0], Body::UploadResponse(ref r) if r.status == 1));
    assert_eq!(a[1], Body::ScheduleInformResponse);
    assert!(acs.transfers[0].upload);
    let n = acs.informs().len();
    acs.run_for(&mut cpe, &mut now, Duration::from_secs(29));
    assert_eq!(acs.informs().len(), n);
    acs.run_for(&mut cpe, &mut now, Duration::from_secs(2));
    assert_eq!(
        acs.last_inform_events(),
        [
            ("3 SCHEDULED".to_string(), String::new()),
            ("M ScheduleInform".to_string(), "si".to_string())
        ]
    );
}

#[test]
fn ipping_diagnostics_complete_after_the_session() {
    let (mut cpe, mut acs, mut now) = booted(config());
    let p = "Device.IP.Diagnostics.IPPing.";
    let set = spv(
        &[
            (&format!("{p}Host"), Value::string("192.0.2.1")),
            (&format!("{p}NumberOfRepetitions"), Value::unsigned_int(4)),
            (&format!("{p}DiagnosticsState"), Value::string("Requested")),
        ],
        "diag",
    );
    session(&mut cpe, &mut acs, &mut now, vec![set]);
    let codes: Vec<String> = acs.last_inform_events().into_iter().map(|e| e.0).collect();
    assert_eq!(codes, ["8 DIAGNOSTICS COMPLETE"]);
    let a = session(&mut cpe, &mut acs, &mut now, vec![gpv(&[p])]);
    let Body::GetParameterValuesResponse(r) = &a[0] else {
        panic!("{a:?}")
    };
    let get = |n: &str| {
        r.parameter_list
            .iter()
            .find(|x| x.name == format!("{p}{n}"))
            .map(|x| x.value.text.to_string())
    };
    assert_eq!(get("DiagnosticsState").as_deref(), Some("Complete"));
    assert_eq!(get("SuccessCount").as_deref(), Some("4"));
    assert_eq!(get("FailureCount").as_deref(), Some("0"));
    assert!(get("AverageResponseTime").unwrap().parse::<u32>().unwrap() > 0);
}

#[test]
fn get_rpc_methods_unknown_methods_and_injected_faults() {
    let mut cfg = config();
    cfg.fault_rpc.insert("GetParameterNames".into(), 9002);
    let (mut cpe, mut acs, mut now) = booted(cfg);
    let gpn = Body::GetParameterNames(GetParameterNames {
        parameter_path: "Device.".into(),
        next_level: true,
    });
    let cancel = Body::CancelTransfer(CancelTransfer {
        command_key: "x".into(),
    });
    let a = session(
        &mut cpe,
        &mut acs,
        &mut now,
        vec![Body::GetRPCMethods, cancel, gpn],
    );
    let Body::GetRPCMethodsResponse(m) = &a[0] else {
        panic!("{a:?}")
    };
    assert!(m.method_list.iter().any(|x| x == "Download"));
    assert_eq!(fault_code(&a[1]), 9000);
    assert_eq!(fault_code(&a[2]), 9002);
}

#[test]
fn drop_after_rpc_fails_the_session_and_retries() {
    let mut cfg = config();
    cfg.fault_drop_after_rpc = Some(1);
    let (mut cpe, mut acs, mut now) = booted(cfg);
    let a = session(
        &mut cpe,
        &mut acs,
        &mut now,
        vec![
            gpv(&["Device.DeviceInfo.UpTime"]),
            gpv(&["Device.DeviceInfo.UpTime"]),
        ],
    );
    assert_eq!(a.len(), 1);
    assert_eq!(acs.drops, 1);
    assert_eq!(acs.ended.last(), Some(&false));
}

#[test]
fn digest_challenge_is_answered() {
    let mut cfg = config();
    cfg.acs_user = "cpe".into();
    cfg.acs_password = "secret".into();
    cfg.acs_path = "/acs".into();
    let mut verifier = httpauth::server::Verifier::new("acs", [7; 32]);
    let challenge = verifier.challenges(0, [1; 16], false).join(", ");
    let mut cpe = Cpe::new(Arc::new(cfg), tr181(), 1);
    let mut acs = FakeAcs {
        challenge: Some(challenge),
        ..FakeAcs::default()
    };
    acs.queue(gpv(&["Device.DeviceInfo.UpTime"]));
    cpe.power_on(Duration::ZERO);
    acs.pump(&mut cpe, Duration::ZERO);
    assert_eq!(acs.ended, [true]);
    assert!(acs.authorizations.len() >= 3);
    for a in &acs.authorizations {
        let a = a.as_deref().unwrap();
        let lookup = |u: &str| (u == "cpe").then(|| "secret".to_string());
        let ok = verifier.verify_request(a, "POST", Some("/acs"), lookup, 0);
        assert!(
            matches!(ok, httpauth::server::Outcome::Ok { .. }),
            "{a}: {ok:?}"
        );
    }
}

#[test]
fn wrong_credentials_end_the_session() {
    let mut cfg = config();
    cfg.acs_user = "cpe".into();
    let mut cpe = Cpe::new(Arc::new(cfg), tr181(), 1);
    let mut acs = FakeAcs {
        challenge: Some("Basic realm=\"x\"".into()),
        ..FakeAcs::default()
    };
    // The fake ACS accepts any Authorization, so count the 401 rounds.
    cpe.power_on(Duration::ZERO);
    acs.pump(&mut cpe, Duration::ZERO);
    assert_eq!(acs.ended, [true]);
    let mut no_creds = Cpe::new(Arc::new(config()), tr181(), 2);
    let mut acs2 = FakeAcs {
        challenge: Some("Basic realm=\"x\"".into()),
        ..FakeAcs::default()
    };
    no_creds.power_on(Duration::ZERO);
    acs2.pump(&mut no_creds, Duration::ZERO);
    assert_eq!(
        acs2.ended,
        [false],
        "no credentials: the 401 ends the session"
    );
}

#[test]
fn every_version_is_emitted_and_parses_back() {
    for v in CwmpVersion::ALL {
        let mut cfg = config();
        cfg.version = v;
        let (_cpe, acs, _now) = booted(cfg);
        assert!(acs
            .received
            .iter()
            .filter(|e| !e.is_empty())
            .all(|e| e.version == v));
    }
}

#[test]
fn refilled_informs_are_byte_for_byte_fresh_ones() {
    let mut cpe = Cpe::new(Arc::new(config()), tr181(), 7);
    cpe.events.push("1 BOOT", "");
    let mut refilled = 0;
    for step in 0..60u64 {
        let now = Duration::from_millis(step * 300);
        match step % 9 {
            2 => cpe.events.push("2 PERIODIC", ""),
            4 => cpe.retry_count += 1,
            6 => {
                let name = cpe.rooted("ManagementServer.ParameterKey");
                cpe.model.set(&name, &format!("key{step}"));
            }
            8 => cpe.events.clear(),
            _ => {}
        }
        let before = cpe.inform_template.as_ref().map(|t| t.key().clone());
        let built = cpe.build_inform(now);
        let id = format!("{}-{}", cpe.serial, cpe.next_id);
        let time = crate::clock::date_time(cpe.unix_now(now));
        assert_eq!(built.body, cpe.encode_inform((&id, &time)), "step {step}");
        let after = cpe.inform_template.as_ref().map(|t| t.key().clone());
        if before.is_some() && before == after {
            refilled += 1;
        }
    }
    assert!(refilled > 30, "only {refilled} Informs were refilled");
}

#[test]
fn uptime_is_no_inform_parameter_so_its_refresh_may_skip_the_revision() {
    // start_session refreshes UpTime without moving the model revision,
    // which the Inform caches are keyed on: that is only right while the
    // Inform does not carry it.
    assert!(!super::inform::INFORM_PARAMS.contains(&"DeviceInfo.UpTime"));
    let mut cpe = Cpe::new(Arc::new(config()), tr181(), 1);
    cpe.power_on(Duration::ZERO);
    let before = cpe.model.revision();
    cpe.handle_transport_error(Duration::from_secs(5));
    cpe.handle_timeout(Duration::from_secs(3600));
    assert!(cpe.in_session());
    assert_eq!(cpe.model.revision(), before);
    let uptime = cpe.model.value("Device.DeviceInfo.UpTime").unwrap();
    assert_ne!(uptime, "0");
}

#[test]
fn a_local_add_or_delete_notifies_the_table_count() {
    let (mut cpe, mut acs, mut now) = booted(config());
    let count = "Device.NAT.PortMappingNumberOfEntries";
    let spa = Body::SetParameterAttributes(SetParameterAttributes {
        parameter_list: vec![SetParameterAttributesStruct {
            name: count.into(),
            notification_change: true,
            notification: 2,
            access_list_change: false,
            access_list: vec![],
        }],
    });
    session(&mut cpe, &mut acs, &mut now, vec![spa]);
    let before = cpe.model().instance_count("Device.NAT.PortMapping.");
    let n = cpe
        .handle_local_object(now, "Device.NAT.PortMapping.", true)
        .unwrap()
        .unwrap();
    acs.pump(&mut cpe, now);
    let inform = acs.informs().last().copied().unwrap();
    assert_eq!(inform.event[0].event_code, "4 VALUE CHANGE");
    let p = inform
        .parameter_list
        .iter()
        .find(|p| p.name == count)
        .unwrap();
    assert_eq!(p.value.text, (before + 1).to_string());
    let gone = format!("Device.NAT.PortMapping.{n}.");
    assert_eq!(cpe.handle_local_object(now, &gone, false), Ok(None));
    assert!(cpe.handle_local_object(now, &gone, false).is_err());
    assert_eq!(
        cpe.model().instance_count("Device.NAT.PortMapping."),
        before
    );
}
