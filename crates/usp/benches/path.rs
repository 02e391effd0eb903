//! Path parser throughput on typical controller paths, and Display.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use usp::path::Path;

const PATHS: &[(&str, &str)] = &[
    ("parameter", "Device.DeviceInfo.SoftwareVersion"),
    ("wildcard", "Device.LocalAgent.MTP.*.Enable"),
    (
        "search",
        "Device.IP.Interface.[Type==\"Normal\"&&Stats.ErrorsSent>0].IPv4Address.[AddressingType==\"Static\"].IPAddress",
    ),
    (
        "reference",
        "Device.WiFi.AccessPoint.[SSIDReference+.SSID==\"MyHome\"].AssociatedDevice.*.SignalStrength",
    ),
];

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("path");
    for (name, text) in PATHS {
        g.bench_function(format!("parse/{name}"), |b| {
            b.iter(|| Path::parse(black_box(text)))
        });
        if let Ok(tree) = Path::parse(text) {
            g.bench_function(format!("display/{name}"), |b| {
                b.iter(|| black_box(&tree).to_string())
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
