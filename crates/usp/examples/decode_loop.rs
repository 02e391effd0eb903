//! Decodes one Record 10,000 times with our codec or rusp-lib, for
//! instruction counts that machine load cannot disturb:
//!
//! ```sh
//! cargo build --release -p usp --example decode_loop
//! valgrind --tool=callgrind --callgrind-out-file=cg.out target/release/examples/decode_loop ours get_resp
//! callgrind_annotate cg.out | grep 'PROGRAM TOTALS'     # divide by 10,000
//! ```
//!
//! Arguments: `ours|rusp`, a payload of benches/payloads.rs (`get`,
//! `get_resp`, `get_resp_50`) and optionally the number of rounds.

use std::hint::black_box;

use rusp_lib::usp_decoder::{try_decode_msg, try_decode_record};
use rusp_lib::usp_record::mod_Record::OneOfrecord_type;
use usp::record;

#[path = "../benches/payloads.rs"]
mod payloads;

const DEFAULT_ROUNDS: usize = 10_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(codec), Some(payload)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: decode_loop ours|rusp get|get_resp|get_resp_50 [rounds]");
        std::process::exit(2);
    };
    let found = payloads::all().into_iter().find(|(n, _)| n == payload);
    let Some((_, m)) = found else {
        eprintln!("unknown payload {payload:?}");
        std::process::exit(2);
    };
    let bytes = record::encode_record(&record::no_session_context(
        "proto::controller-1",
        "os::00D09E-SN0123456789",
        &m,
    ));
    let rounds = args
        .get(3)
        .and_then(|r| r.parse().ok())
        .unwrap_or(DEFAULT_ROUNDS);
    let mut checksum = 0usize;
    for _ in 0..rounds {
        checksum += if codec == "ours" {
            match usp::decode_record(black_box(&bytes)) {
                Ok(d) => d.msg.as_ref().map_or(0, |m| m.msg_id().len()),
                Err(_) => 0,
            }
        } else {
            match try_decode_record(black_box(&bytes)) {
                Ok(r) => match &r.record_type {
                    OneOfrecord_type::no_session_context(n) => {
                        try_decode_msg(&n.payload).map_or(0, |m| m.msg_id().len())
                    }
                    _ => 0,
                },
                Err(_) => 0,
            }
        };
    }
    println!("{checksum}");
}
