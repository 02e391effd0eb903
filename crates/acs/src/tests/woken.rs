//! Devices woken for the northbound's RPCs, end to end on loopback: the
//! served ACS and the simulator's fleet (its real Digest-protected
//! connection-request listener) in one process.

use std::sync::atomic::Ordering;

use super::northbound::{config, serve_acs, until, Acs, WAIT};
use super::*;
use crate::server::WakeConfig;
use crate::{ProvisionConfig, Provisioning};

const SOFTWARE: &str = "Device.DeviceInfo.SoftwareVersion";
const INTERVAL: &str = "Device.ManagementServer.PeriodicInformInterval";
const PORTMAP: &str = "Device.NAT.PortMapping.";
const DEADLINE: Duration = Duration::from_secs(30);

pub(super) fn provisioning() -> EngineConfig {
    EngineConfig {
        provision: Some(ProvisionConfig::default()),
        ..EngineConfig::default()
    }
}

/// One simulated CPE informing to `acs` (hourly, so only connection
/// requests bring it back within a test); its device key.
pub(super) async fn cpe(
    acs: &Acs,
    prefix: &str,
    tune: impl FnOnce(&mut sim::CpeConfig),
) -> DeviceKey {
    let mut cpe = sim::CpeConfig {
        serial_prefix: prefix.into(),
        periodic_interval: Duration::from_secs(3600),
        ..sim::CpeConfig::default()
    };
    tune(&mut cpe);
    let device = DeviceKey {
        oui: cpe.oui.clone(),
        product_class: cpe.product_class.clone(),
        serial: cpe.serial(0),
    };
    let opts = sim::driver::FleetOptions {
        acs_url: acs.url.clone(),
        count: 1,
        cpe,
        progress_every: None,
        ..sim::driver::FleetOptions::default()
    };
    let profile = sim::Profile::from_model_arg("tr181").unwrap().into_shared();
    let fleet = sim::driver::run(opts, profile, |_| {}, std::future::pending());
    // Runs until the test's runtime goes away.
    tokio::spawn(async move {
        let _ = fleet.await;
    });
    device
}

pub(super) fn informs(acs: &Acs) -> u64 {
    acs.counters.informs.load(Ordering::Relaxed)
}

fn record(acs: &Acs, device: &DeviceKey) -> Option<DeviceRecord> {
    acs.store.get(device).unwrap()
}

/// Waits for the device's boot session to be over.
pub(super) async fn booted(acs: &Acs, device: &DeviceKey, provisioned: bool) {
    until("booted", || {
        let idle = !acs.shared.engine.lock().unwrap().in_session(device);
        let done =
            |r: DeviceRecord| !provisioned || matches!(r.provisioning, Provisioning::Done { .. });
        idle && record(acs, device).is_some_and(done)
    })
    .await;
}

pub(super) fn gpv(name: &str) -> Body<'static> {
    Body::GetParameterValues(GetParameterValues {
        parameter_names: vec![Cow::Owned(name.to_string())],
    })
}

pub(super) fn value_of(outcome: &Result<RpcOutcome, SubmitError>) -> String {
    match outcome {
        Ok(RpcOutcome::Response(Body::GetParameterValuesResponse(r))) => {
            r.parameter_list[0].value.text.to_string()
        }
        other => panic!("not a GetParameterValuesResponse: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rpc_wakes_its_device_and_queued_ones_share_one_session() {
    let acs = serve_acs(provisioning(), config(WakeConfig::default())).await;
    let device = cpe(&acs, "WAKE", |_| {}).await;
    booted(&acs, &device, true).await;
    let h = &acs.handle;

    let first = tokio::time::timeout(WAIT, h.submit(device.clone(), gpv(SOFTWARE), DEADLINE))
        .await
        .unwrap();
    assert!(!value_of(&first).is_empty());
    let r = record(&acs, &device).unwrap();
    assert!(
        r.last_events.iter().any(|e| e == "6 CONNECTION REQUEST"),
        "woken with its own credentials: {:?}",
        r.last_events
    );
    let cr = &acs.counters.connection_requests;
    until("one request counted", || cr.ok.load(Ordering::Relaxed) == 1).await;

    let before = informs(&acs);
    let set = Body::SetParameterValues(SetParameterValues {
        parameter_list: vec![ParameterValue::new(
            INTERVAL,
            Value::new(ValueType::UnsignedInt, "1234"),
        )],
        parameter_key: "k".into(),
    });
    let add = Body::AddObject(AddObject {
        object_name: PORTMAP.into(),
        parameter_key: "".into(),
    });
    // Queued in this order before the device is awake.
    let (set, get, add) = tokio::time::timeout(WAIT, async {
        tokio::join!(
            h.submit(device.clone(), set, DEADLINE),
            h.submit(device.clone(), gpv(INTERVAL), DEADLINE),
            h.submit(device.clone(), add, DEADLINE),
        )
    })
    .await
    .unwrap();
    assert!(
        matches!(
            set,
            Ok(RpcOutcome::Response(Body::SetParameterValuesResponse(_)))
        ),
        "{set:?}"
    );
    assert_eq!(value_of(&get), "1234", "the Get ran after the Set");
    match add {
        Ok(RpcOutcome::Response(Body::AddObjectResponse(a))) => assert!(a.instance_number > 0),
        other => panic!("{other:?}"),
    }
    until("second request counted", || cr.total() == 2).await;
    assert_eq!(cr.ok.load(Ordering::Relaxed), 2);
    assert_eq!(informs(&acs), before + 1, "all three in one session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cpe_that_refuses_connection_requests_fails_the_rpc() {
    let acs = serve_acs(provisioning(), config(WakeConfig::default())).await;
    let device = cpe(&acs, "REFUSE", |c| c.refuse_cr = true).await;
    booted(&acs, &device, true).await;
    let outcome = tokio::time::timeout(
        WAIT,
        acs.handle.submit(device.clone(), gpv(SOFTWARE), DEADLINE),
    )
    .await
    .unwrap();
    assert!(
        matches!(
            outcome,
            Err(SubmitError::ConnectionRequestFailed(
                ConnectionRequestOutcome::RateLimited { .. }
            ))
        ),
        "{outcome:?}"
    );
    let cr = &acs.counters.connection_requests;
    assert_eq!(
        (cr.rate_limited.load(Ordering::Relaxed), cr.total()),
        (1, 1)
    );
    assert_eq!(acs.shared.engine.lock().unwrap().queued(&device), 0);
}

/// Without provisioning the gateway knows no device's own credentials:
/// the shared ones are tried, and a CPE with others refuses them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unprovisioned_devices_are_woken_with_the_shared_credentials() {
    let wake = WakeConfig {
        shared_user: "fleet".into(),
        shared_password: Secret::new("fleet-pw"),
        ..WakeConfig::default()
    };
    let acs = serve_acs(EngineConfig::default(), config(wake)).await;
    let ours = cpe(&acs, "OURS", |c| {
        c.cr_user = "fleet".into();
        c.cr_password = "fleet-pw".into();
    })
    .await;
    let other = cpe(&acs, "OTHER", |c| c.cr_password = "its-own".into()).await;
    booted(&acs, &ours, false).await;
    booted(&acs, &other, false).await;

    let h = &acs.handle;
    let woken = tokio::time::timeout(WAIT, h.connection_request(ours.clone()))
        .await
        .unwrap();
    assert_eq!(woken, ConnectionRequestOutcome::Ok);
    until("the woken session", || {
        record(&acs, &ours)
            .is_some_and(|r| r.last_events.iter().any(|e| e == "6 CONNECTION REQUEST"))
    })
    .await;
    let refused = tokio::time::timeout(WAIT, h.submit(other, gpv(SOFTWARE), DEADLINE))
        .await
        .unwrap();
    assert!(
        matches!(
            refused,
            Err(SubmitError::ConnectionRequestFailed(
                ConnectionRequestOutcome::AuthFailed(_)
            ))
        ),
        "{refused:?}"
    );
    let cr = &acs.counters.connection_requests;
    assert_eq!(cr.auth_failed.load(Ordering::Relaxed), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rpc_whose_deadline_passes_unsent_expires() {
    let acs = serve_acs(provisioning(), config(WakeConfig::default())).await;
    let device = cpe(&acs, "LATE", |_| {}).await;
    booted(&acs, &device, true).await;
    // Due before any session could carry it.
    let outcome = tokio::time::timeout(
        WAIT,
        acs.handle.submit(device, gpv(SOFTWARE), Duration::ZERO),
    )
    .await
    .unwrap();
    assert_eq!(outcome, Ok(RpcOutcome::Expired));
}
