//! Provisioning on first contact, against the simulator's CPE core: it
//! answers SetParameterValues for real and checks writability.

use std::collections::HashMap;

use super::*;
use crate::{ProvisionConfig, Provisioning};

fn provisioning_engine() -> Engine<MemoryStore> {
    Engine::new(
        EngineConfig {
            provision: Some(ProvisionConfig {
                periodic_inform_interval: 600,
                ..ProvisionConfig::default()
            }),
            ..EngineConfig::default()
        },
        MemoryStore::default(),
    )
}

fn cpe(model: &str, cfg: sim::CpeConfig) -> sim::Cpe {
    let profile = sim::Profile::from_model_arg(model).unwrap().into_shared();
    sim::Cpe::new(Arc::new(cfg), profile, 0)
}

fn sim_key(cpe: &sim::Cpe) -> DeviceKey {
    DeviceKey {
        oui: "00D09E".into(),
        product_class: "SimGateway".into(),
        serial: cpe.serial().to_string(),
    }
}

fn provisioned(e: &mut Engine<MemoryStore>) -> Vec<Provisioning> {
    events(e)
        .into_iter()
        .filter_map(|ev| match ev {
            crate::Event::Provisioned { state, .. } => Some(state),
            _ => None,
        })
        .collect()
}

/// Boots a CPE, then runs `rounds` periodic sessions an hour apart.
fn boot_and_inform(e: &mut Engine<MemoryStore>, cpe: &mut sim::Cpe, rounds: u64) -> Duration {
    cpe.power_on(SEC);
    assert_eq!(drive(e, cpe, SEC, 1), [true]);
    let mut now = SEC;
    for round in 1..=rounds {
        now = Duration::from_secs(1 + round * 3600);
        cpe.trigger(now, sim::Trigger::Periodic);
        assert_eq!(drive(e, cpe, now, 1 + round), [true]);
    }
    now
}

#[test]
fn a_new_device_gets_its_own_cr_credentials_and_periodic_settings() {
    for (model, root) in [("tr181", "Device."), ("tr098", "InternetGatewayDevice.")] {
        let mut e = provisioning_engine();
        let mut cpe = cpe(model, sim::CpeConfig::default());
        boot_and_inform(&mut e, &mut cpe, 2);
        let record = e.store().get(&sim_key(&cpe)).unwrap().unwrap();
        assert_eq!(record.root, root);
        assert!(matches!(record.provisioning, Provisioning::Done { .. }));
        let on_cpe = |rel: &str| {
            cpe.model()
                .value(&format!("{root}ManagementServer.{rel}"))
                .map(str::to_string)
        };
        assert_eq!(
            on_cpe("ConnectionRequestUsername"),
            record.connection_request_username
        );
        assert_eq!(
            on_cpe("ConnectionRequestPassword").as_deref(),
            record
                .connection_request_password
                .as_ref()
                .map(|p| p.expose())
        );
        assert_eq!(on_cpe("PeriodicInformEnable").as_deref(), Some("true"));
        assert_eq!(on_cpe("PeriodicInformInterval").as_deref(), Some("600"));
        let password = record.connection_request_password.clone().unwrap();
        assert_eq!(password.expose().len(), 32, "128 random bits");
        assert!(!format!("{record:?}").contains(password.expose()));
        // Once, not on every Inform.
        assert_eq!(provisioned(&mut e).len(), 1, "{model}");
    }
}

#[test]
fn each_device_gets_different_credentials() {
    let mut e = provisioning_engine();
    let profile = sim::Profile::from_model_arg("tr181").unwrap().into_shared();
    let cfg = Arc::new(sim::CpeConfig::default());
    let mut seen = HashMap::new();
    for i in 0..20 {
        let mut cpe = sim::Cpe::new(cfg.clone(), profile.clone(), i);
        cpe.power_on(SEC);
        drive(&mut e, &mut cpe, SEC, u64::from(i));
        let r = e.store().get(&sim_key(&cpe)).unwrap().unwrap();
        let user = r.connection_request_username.unwrap();
        let pass = r.connection_request_password.unwrap().expose().to_string();
        assert!(seen.insert(user, pass).is_none());
    }
    let passwords: std::collections::HashSet<_> = seen.values().collect();
    assert_eq!(passwords.len(), 20);
}

#[test]
fn a_refusal_is_recorded_and_retried_only_after_the_backoff_or_a_bootstrap() {
    let mut e = provisioning_engine();
    let mut faulty = sim::CpeConfig::default();
    faulty.fault_rpc.insert("SetParameterValues".into(), 9001);
    let mut cpe = cpe("tr181", faulty);
    let now = boot_and_inform(&mut e, &mut cpe, 3);
    let record = e.store().get(&sim_key(&cpe)).unwrap().unwrap();
    assert!(!record.has_connection_request_credentials());
    assert_eq!(
        record.provisioning,
        Provisioning::Failed {
            at: SEC,
            fault: Some(9001)
        }
    );
    assert_eq!(provisioned(&mut e).len(), 1, "not retried every session");

    // Past the backoff (six hours by default), one more try.
    let later = now + Duration::from_secs(4 * 3600);
    cpe.trigger(later, sim::Trigger::Periodic);
    drive(&mut e, &mut cpe, later, 50);
    assert_eq!(provisioned(&mut e).len(), 1);

    // A factory reset brings "0 BOOTSTRAP": tried again at once.
    let mut e2 = provisioning_engine();
    let mut cpe = cpe_fresh();
    boot_and_inform(&mut e2, &mut cpe, 0);
    let first = e2.store().get(&sim_key(&cpe)).unwrap().unwrap();
    e2.submit(sim_key(&cpe), Body::FactoryReset, Duration::from_secs(7200))
        .unwrap();
    cpe.trigger(2 * SEC, sim::Trigger::Periodic);
    drive(&mut e2, &mut cpe, 2 * SEC, 60);
    // The reset takes a reboot; the CPE comes back bootstrapping.
    let back = 10 * SEC;
    cpe.handle_timeout(back);
    assert_eq!(drive(&mut e2, &mut cpe, back, 61), [true]);
    let again = e2.store().get(&sim_key(&cpe)).unwrap().unwrap();
    assert!(again.last_events.contains(&"0 BOOTSTRAP".to_string()));
    assert!(again.has_connection_request_credentials());
    assert_ne!(
        again.connection_request_username,
        first.connection_request_username
    );
    assert_eq!(provisioned(&mut e2).len(), 2);
}

fn cpe_fresh() -> sim::Cpe {
    cpe("tr181", sim::CpeConfig::default())
}

#[test]
fn an_unanswered_provisioning_counts_as_a_failure() {
    let mut e = provisioning_engine();
    let dropper = sim::CpeConfig {
        // Closes the connection instead of answering our first RPC.
        fault_drop_after_rpc: Some(0),
        ..sim::CpeConfig::default()
    };
    let mut cpe = cpe("tr181", dropper);
    cpe.power_on(SEC);
    drive(&mut e, &mut cpe, SEC, 1);
    e.commit_staged().unwrap();
    let record = e.store().get(&sim_key(&cpe)).unwrap().unwrap();
    assert_eq!(
        record.provisioning,
        Provisioning::Failed {
            at: SEC,
            fault: None
        }
    );
}

#[test]
fn provision_none_leaves_devices_untouched() {
    let mut e = engine();
    let mut cpe = cpe_fresh();
    let before = cpe
        .model()
        .value("Device.ManagementServer.ConnectionRequestUsername")
        .map(str::to_string);
    boot_and_inform(&mut e, &mut cpe, 1);
    assert_eq!(
        cpe.model()
            .value("Device.ManagementServer.ConnectionRequestUsername")
            .map(str::to_string),
        before
    );
    assert_eq!(
        cpe.model().value("Device.ManagementServer.ParameterKey"),
        Some("")
    );
    let record = e.store().get(&sim_key(&cpe)).unwrap().unwrap();
    assert_eq!(record.provisioning, Provisioning::Needed);
    assert!(provisioned(&mut e).is_empty());
}
