//! Record codec: ours (prost) vs rusp-lib (quick-protobuf) on the same bytes.
//!
//! The payloads are in payloads.rs. "decode" is Record + payload Msg (what `decode_record` does);
//! "encode" is Msg → payload → Record → bytes. `ours_owned` decodes from a
//! `Bytes` (zero-copy payload), the others from `&[u8]`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rusp_lib::usp_decoder::{try_decode_msg, try_decode_record};
use rusp_lib::usp_record as rr;
use usp::proto::usp::Msg;

mod payloads;
use usp::{decode_record, decode_record_bytes, encode_msg, encode_record, record};

const TO: &str = "proto::controller-1";
const FROM: &str = "os::00D09E-SN0123456789";

fn ours_decode(bytes: &[u8]) -> usize {
    let d = decode_record(bytes).unwrap();
    d.msg.map_or(0, |m| m.msg_id().len())
}

fn rusp_decode(bytes: &[u8]) -> usize {
    let rec = try_decode_record(bytes).unwrap();
    match &rec.record_type {
        rr::mod_Record::OneOfrecord_type::no_session_context(n) => {
            let m = try_decode_msg(&n.payload).unwrap();
            m.msg_id().len()
        }
        _ => 0,
    }
}

fn ours_encode(m: &Msg) -> Vec<u8> {
    encode_record(&record::no_session_context(TO, FROM, m))
}

fn rusp_encode(m: &rusp_lib::usp::Msg) -> Vec<u8> {
    let rec = rr::Record {
        version: usp::record::RECORD_VERSION.to_owned(),
        to_id: TO.to_owned(),
        from_id: FROM.to_owned(),
        record_type: rr::mod_Record::OneOfrecord_type::no_session_context(
            rr::NoSessionContextRecord {
                payload: m.to_vec().unwrap(),
            },
        ),
        ..Default::default()
    };
    rec.to_vec().unwrap()
}

fn bench(c: &mut Criterion) {
    for (name, m) in payloads::all() {
        let bytes = encode_record(&record::no_session_context(TO, FROM, &m));
        // Same bytes for both decoders; sanity-check they agree first.
        assert_eq!(ours_decode(&bytes), rusp_decode(&bytes));
        let rusp_msg = try_decode_msg(&encode_msg(&m)).unwrap();

        let mut g = c.benchmark_group(format!("decode/{name}"));
        g.throughput(Throughput::Elements(1));
        g.bench_function("ours", |b| b.iter(|| ours_decode(black_box(&bytes))));
        // Owned input (what an MTP hands over): the payload is not copied.
        let owned = bytes::Bytes::from(bytes.clone());
        g.bench_function("ours_owned", |b| {
            b.iter(|| {
                let d = decode_record_bytes(black_box(owned.clone())).unwrap();
                d.msg.map_or(0, |m| m.msg_id().len())
            })
        });
        g.bench_function("rusp", |b| b.iter(|| rusp_decode(black_box(&bytes))));
        g.finish();

        let mut g = c.benchmark_group(format!("encode/{name}"));
        g.throughput(Throughput::Elements(1));
        g.bench_function("ours", |b| b.iter(|| ours_encode(black_box(&m))));
        g.bench_function("rusp", |b| b.iter(|| rusp_encode(black_box(&rusp_msg))));
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
