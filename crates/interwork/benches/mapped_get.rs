//! The gateway's own work for one translated Get: a plan of the same 66
//! Wi-Fi parameters run against a TR-181 CPE directly and against a
//! TR-098 CPE through the core mapping pack, the simulator's data model
//! answering in process. The simulator's share is measured apart
//! (`cpe_only`) so that the difference is the translation's.
//!
//! cargo bench -p interwork --bench mapped_get

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use cwmp::Body;
use interwork::{DeviceModel, Outcome, Plan, Step};
use sim::{DataModel, Profile};
use usp::proto::usp::request::ReqType;
use usp::proto::usp::Get;

fn cpe(model: &str) -> DataModel {
    DataModel::new(Profile::from_model_arg(model).unwrap().into_shared())
}

fn answer(cpe: &DataModel, rpc: &Body<'_>) -> Outcome {
    let b = match rpc {
        Body::GetParameterValues(r) => sim::rpc::get_parameter_values(cpe, r),
        Body::GetParameterNames(r) => sim::rpc::get_parameter_names(cpe, r),
        other => panic!("unexpected {other:?}"),
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

/// Runs a plan to its answer; the RPCs it sent.
fn run(
    req: &ReqType,
    model: Option<Arc<DeviceModel>>,
    cpe: &DataModel,
) -> (Plan, Vec<Body<'static>>) {
    let mut plan = Plan::new(req.clone(), "bench", model, interwork::Config::default());
    let mut sent = Vec::new();
    loop {
        match plan.poll() {
            Step::Done(_) => return (plan, sent),
            Step::Send(rpcs) => {
                plan.feed(rpcs.iter().map(|b| answer(cpe, b)).collect());
                sent.extend(rpcs);
            }
        }
    }
}

fn wifi_names() -> Vec<String> {
    let mut out = Vec::new();
    for i in 1..=2 {
        for p in [
            "SSID",
            "BSSID",
            "MACAddress",
            "Enable",
            "Status",
            "Name",
            "LowerLayers",
        ] {
            out.push(format!("Device.WiFi.SSID.{i}.{p}"));
        }
        for p in [
            "Channel",
            "Enable",
            "AutoChannelEnable",
            "PossibleChannels",
            "TransmitPower",
            "RegulatoryDomain",
        ] {
            out.push(format!("Device.WiFi.Radio.{i}.{p}"));
        }
        for p in [
            "Enable",
            "Status",
            "SSIDReference",
            "SSIDAdvertisementEnabled",
            "Security.ModeEnabled",
            "Security.KeyPassphrase",
        ] {
            out.push(format!("Device.WiFi.AccessPoint.{i}.{p}"));
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let req = ReqType::Get(Get {
        param_paths: wifi_names(),
        max_depth: 0,
    });
    let mut g = c.benchmark_group("wifi_get");
    for name in ["tr181", "tr098"] {
        let cpe = cpe(name);
        let (plan, _) = run(&req, None, &cpe);
        let model = plan.model().cloned();
        let (_, rpcs) = run(&req, model.clone(), &cpe);
        g.bench_function(format!("{name}_plan"), |b| {
            b.iter(|| run(&req, model.clone(), &cpe))
        });
        g.bench_function(format!("{name}_cpe_only"), |b| {
            b.iter(|| rpcs.iter().map(|r| answer(&cpe, r)).collect::<Vec<_>>())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
