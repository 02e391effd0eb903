//! Decodes one Record 10,000 times with our codec or rusp-lib, for
//! instruction counts that machine load cannot disturb:
//!
//! ```sh
//! cargo build --release -p usp --example decode_loop
//! valgrind --tool=callgrind --callgrind-out-file=cg.out target/release/examples/decode_loop ours get_resp
//! callgrind_annotate cg.out | grep 'PROGRAM TOTALS'     # divide by 10,000
//! ```
//!
//! Arguments: `ours|rusp` and `get|get_resp` (the payloads of benches/codec.rs).

use std::hint::black_box;

use rusp_lib::usp_decoder::{try_decode_msg, try_decode_record};
use rusp_lib::usp_record::mod_Record::OneOfrecord_type;
use usp::{msg, record};

const ROUNDS: usize = 10_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(codec), Some(payload)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: decode_loop ours|rusp get|get_resp");
        std::process::exit(2);
    };
    let m = if payload == "get" {
        msg::get(
            "AXSS-1544114045.442596",
            [
                "Device.DeviceInfo.",
                "Device.LocalAgent.MTP.*.",
                "Device.WiFi.SSID.[Enable==true].SSID",
            ],
            0,
        )
    } else {
        let params: Vec<(String, String)> = (0..50)
            .map(|i| {
                (
                    format!("Stats.X_Vendor_Counter{i:02}"),
                    format!("{}", 1_000_000 + i * 7919),
                )
            })
            .collect();
        msg::get_resp(
            "AXSS-1544114045.442596",
            vec![msg::get_path_ok(
                "Device.IP.Interface.1.",
                vec![msg::resolved("Device.IP.Interface.1.", params)],
            )],
        )
    };
    let bytes = record::encode_record(&record::no_session_context(
        "proto::controller-1",
        "os::00D09E-SN0123456789",
        &m,
    ));
    let mut checksum = 0usize;
    for _ in 0..ROUNDS {
        checksum += if codec == "ours" {
            usp::decode_record(black_box(&bytes))
                .ok()
                .and_then(|d| d.msg)
                .map_or(0, |m| m.msg_id().len())
        } else {
            match try_decode_record(black_box(&bytes)).map(|r| r.record_type) {
                Ok(OneOfrecord_type::no_session_context(n)) => {
                    try_decode_msg(&n.payload).map_or(0, |m| m.msg_id().len())
                }
                _ => 0,
            }
        };
    }
    println!("{checksum}");
}
