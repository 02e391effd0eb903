//! Parse/emit throughput, and the crates.io `cwmp` crate on the same input.
//!
//! `cd crates/cwmp && cargo bench --bench codec -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const GENIEACS_INFORM: &str =
    include_str!("../../../tests/fixtures/cwmp/genieacs-sim/Inform-00001-000000.txt");

/// The genieacs-sim capture without its HTTP request line and headers.
fn genieacs_inform() -> &'static [u8] {
    let start = GENIEACS_INFORM.find("<?xml").unwrap_or(0);
    &GENIEACS_INFORM.as_bytes()[start..]
}

/// A typical cwmp-1-2 BOOT Inform with eight parameters of mixed types.
fn inform_1_2() -> Vec<u8> {
    use cwmp::*;
    let params = [
        ("Device.DeviceInfo.HardwareVersion", Value::string("HW-2.1")),
        (
            "Device.DeviceInfo.SoftwareVersion",
            Value::string("4.2.0-build17"),
        ),
        ("Device.DeviceInfo.ProvisioningCode", Value::string("")),
        ("Device.DeviceInfo.UpTime", Value::unsigned_int(86_400)),
        (
            "Device.ManagementServer.ConnectionRequestURL",
            Value::string("http://10.0.0.2:7547/cr"),
        ),
        (
            "Device.ManagementServer.ParameterKey",
            Value::string("pk-1"),
        ),
        (
            "Device.ManagementServer.PeriodicInformEnable",
            Value::boolean(true),
        ),
        (
            "Device.IP.Interface.1.IPv4Address.1.IPAddress",
            Value::string("192.0.2.10"),
        ),
    ];
    let inform = Inform {
        device_id: DeviceId {
            manufacturer: "Example Networks".into(),
            oui: "00D09E".into(),
            product_class: "HGW-1000".into(),
            serial_number: "SN0123456789".into(),
        },
        event: vec![
            Event {
                event_code: "1 BOOT".into(),
                command_key: "".into(),
            },
            Event {
                event_code: "M Reboot".into(),
                command_key: "reboot-42".into(),
            },
        ],
        max_envelopes: 1,
        current_time: "2026-11-22T08:19:03Z".into(),
        retry_count: 0,
        parameter_list: params
            .into_iter()
            .map(|(n, v)| ParameterValue::new(n, v))
            .collect(),
    };
    Envelope::new(CwmpVersion::V1_2, Body::Inform(inform))
        .with_id("4711")
        .to_xml()
        .into_bytes()
}

/// A GetParameterValuesResponse with 400 parameters.
fn gpv_response_400() -> Vec<u8> {
    use cwmp::*;
    let parameter_list = (0..400)
        .map(|i| {
            let v = if i % 3 == 0 {
                Value::unsigned_int(i)
            } else {
                Value::string(format!("value {i} & more"))
            };
            ParameterValue::new(format!("Device.Hosts.Host.{i}.HostName"), v)
        })
        .collect();
    let body = Body::GetParameterValuesResponse(GetParameterValuesResponse { parameter_list });
    Envelope::new(CwmpVersion::V1_2, body)
        .with_id("gpv-1")
        .to_xml()
        .into_bytes()
}

fn bench(c: &mut Criterion) {
    let genie = genieacs_inform();
    let inform12 = inform_1_2();
    let gpv = gpv_response_400();

    let mut g = c.benchmark_group("parse_inform");
    g.throughput(Throughput::Elements(1));
    g.bench_function("ours/genieacs-sim", |b| {
        b.iter(|| cwmp::parse(black_box(genie)).map(|e| e.body.method_name()))
    });
    g.bench_function("ours/8-param-1-2", |b| {
        b.iter(|| cwmp::parse(black_box(&inform12)).map(|e| e.body.method_name()))
    });
    // parse(String) only forwards to parse_bytes; calling the latter keeps
    // a String copy out of the peer's numbers.
    // Floor: quick-xml walking the same bytes without building anything.
    g.bench_function("raw-quick-xml-scan/genieacs-sim", |b| {
        b.iter(|| {
            let mut r = quick_xml::Reader::from_reader(black_box(genie));
            let mut n = 0usize;
            while !matches!(r.read_event(), Ok(quick_xml::events::Event::Eof) | Err(_)) {
                n += 1;
            }
            n
        })
    });
    g.bench_function("peer/genieacs-sim", |b| {
        b.iter(|| cwmp_peer::parse_bytes(black_box(genie)).is_ok())
    });
    g.bench_function("peer/8-param-1-2", |b| {
        b.iter(|| cwmp_peer::parse_bytes(black_box(&inform12)).is_ok())
    });
    g.finish();

    let env = cwmp::parse(genie).expect("fixture parses");
    let mut g = c.benchmark_group("emit_inform");
    g.throughput(Throughput::Elements(1));
    let mut out = Vec::with_capacity(4096);
    g.bench_function("ours/genieacs-sim", |b| {
        b.iter(|| {
            out.clear();
            black_box(&env).write_xml(&mut out);
            out.len()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("parse_gpv_response_400");
    g.throughput(Throughput::Elements(1));
    g.bench_function("ours", |b| {
        b.iter(|| cwmp::parse(black_box(&gpv)).map(|e| e.body.method_name()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
