//! Parses one envelope many times, for instruction counts under callgrind
//! (which machine load cannot disturb):
//!
//! ```sh
//! cargo build --release -p cwmp@0.1.0 --example parse_loop
//! valgrind --tool=callgrind --callgrind-out-file=cg.out \
//!     target/release/examples/parse_loop FILE 10000
//! callgrind_annotate cg.out | grep 'PROGRAM TOTALS'     # divide by rounds
//! ```
//!
//! FILE holds a bare SOAP envelope; `-` parses an InformResponse like the
//! simulator's load-test ACS sends.

use std::hint::black_box;

const INFORM_RESPONSE: &str = "<soap-env:Envelope \
    xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\" \
    xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\"><soap-env:Header>\
    <cwmp:ID soap-env:mustUnderstand=\"1\">SN0001-1</cwmp:ID></soap-env:Header>\
    <soap-env:Body><cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes>\
    </cwmp:InformResponse></soap-env:Body></soap-env:Envelope>";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let input = match args.get(1).map(String::as_str) {
        None | Some("-") => INFORM_RESPONSE.as_bytes().to_vec(),
        Some(path) => std::fs::read(path).unwrap_or_else(|e| {
            eprintln!("{path}: {e}");
            std::process::exit(2)
        }),
    };
    let rounds: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(10_000);
    let mut ok = 0usize;
    for _ in 0..rounds {
        ok += usize::from(cwmp::parse(black_box(&input)).is_ok());
    }
    println!("{ok}");
}
