//! Hostile and broken CPE against a real `cwmp2usp run`: each gets a clear
//! answer, and a normal session works right after.

mod support;

use support::gateway::Gateway;
use support::http::{self, Conn};

fn inform(serial: &str, with_id: bool) -> String {
    let header = if with_id {
        "<soap-env:Header><cwmp:ID soap-env:mustUnderstand=\"1\">h-1</cwmp:ID></soap-env:Header>"
    } else {
        ""
    };
    format!(
        "<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\" \
         xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\">{header}<soap-env:Body><cwmp:Inform>\
         <DeviceId><Manufacturer>Acme</Manufacturer><OUI>00D09E</OUI>\
         <ProductClass>HG</ProductClass><SerialNumber>{serial}</SerialNumber></DeviceId>\
         <Event><EventStruct><EventCode>2 PERIODIC</EventCode><CommandKey></CommandKey>\
         </EventStruct></Event><MaxEnvelopes>1</MaxEnvelopes>\
         <CurrentTime>2026-11-23T00:00:00Z</CurrentTime><RetryCount>0</RetryCount>\
         <ParameterList><ParameterValueStruct><Name>Device.ManagementServer.ConnectionRequestURL</Name>\
         <Value>http://127.0.0.1:9/cr</Value></ParameterValueStruct></ParameterList>\
         </cwmp:Inform></soap-env:Body></soap-env:Envelope>"
    )
}

/// A whole session on one connection: Inform, then the empty POST.
fn normal_session(url: &str, serial: &str) {
    let mut c = Conn::open(url);
    let r = c.post(&inform(serial, true));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("InformResponse"), "{}", r.body);
    assert_eq!(c.post("").status, 204);
}

#[test]
fn an_inform_without_cwmp_id_is_answered_without_one() {
    let gw = Gateway::start(&["--cwmp-auth", "none", "--provision", "none"]);
    let mut c = Conn::open(&gw.cwmp_url());
    let r = c.post(&inform("NOID", false));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("InformResponse"), "{}", r.body);
    assert!(!r.body.contains("cwmp:ID"), "{}", r.body);
    assert_eq!(c.post("").status, 204);
}

#[test]
fn an_unknown_namespace_is_refused_and_the_next_session_works() {
    let gw = Gateway::start(&["--cwmp-auth", "none", "--provision", "none"]);
    let url = gw.cwmp_url();
    let foreign = inform("NS1", true).replace("urn:dslforum-org:cwmp-1-2", "urn:example:other");
    let r = http::request("POST", &url, &[], &foreign);
    assert_eq!(r.status, 400, "{}", r.body);
    normal_session(&url, "NS1");
}

#[test]
fn a_second_concurrent_session_for_one_serial_gets_503_with_retry_after() {
    let gw = Gateway::start(&["--cwmp-auth", "none", "--provision", "none"]);
    let url = gw.cwmp_url();
    let mut first = Conn::open(&url);
    assert_eq!(first.post(&inform("TWIN", true)).status, 200);
    let mut second = Conn::open(&url);
    let r = second.post(&inform("TWIN", true));
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.header("Retry-After").is_some(), "{:?}", r.headers);
    // Another device is not held up by it.
    normal_session(&url, "OTHER");
    // The first session carries on and ends normally.
    assert_eq!(first.post("").status, 204);
    normal_session(&url, "TWIN");
}

#[test]
fn a_cpe_that_vanishes_mid_session_can_start_again_at_once() {
    let gw = Gateway::start(&["--cwmp-auth", "none", "--provision", "none"]);
    let url = gw.cwmp_url();
    let mut c = Conn::open(&url);
    assert_eq!(c.post(&inform("GONE", true)).status, 200);
    drop(c);
    // The closed connection ends its session; the next Inform is not a
    // "concurrent" one. The engine learns of the close asynchronously, so
    // allow a few tries before calling it stuck.
    for attempt in 0.. {
        let mut c = Conn::open(&url);
        let r = c.post(&inform("GONE", true));
        if r.status == 200 {
            assert_eq!(c.post("").status, 204);
            break;
        }
        assert!(attempt < 50, "still refused: {} {:?}", r.status, r.headers);
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn a_stalled_body_gets_408_and_stalled_heads_are_dropped() {
    let gw = Gateway::start(&[
        "--cwmp-auth",
        "none",
        "--provision",
        "none",
        "--read-timeout",
        "1",
    ]);
    let url = gw.cwmp_url();
    let (host, path) = http::split_url(&url);
    // Slowloris: many connections that never finish their request head.
    let mut heads: Vec<Conn> = (0..50)
        .map(|_| {
            let mut c = Conn::open(&url);
            c.send_raw(format!("POST {path} HTTP/1.1\r\nHost: {host}\r\n").as_bytes());
            c
        })
        .collect();
    // A body that stops halfway.
    let mut slow = Conn::open(&url);
    slow.send_raw(
        format!("POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 1000\r\n\r\n<soap")
            .as_bytes(),
    );
    let r = slow.read_reply().expect("a 408 before the close");
    assert_eq!(r.status, 408);
    for c in &mut heads {
        assert!(c.closed_by_peer());
    }
    normal_session(&url, "AFTER-SLOW");
}

#[test]
fn gzip_deflate_and_chunked_bodies_are_accepted() {
    use std::io::Write;
    let gw = Gateway::start(&[
        "--cwmp-auth",
        "none",
        "--provision",
        "none",
        "--max-body",
        "4096",
    ]);
    let url = gw.cwmp_url();
    let (host, path) = http::split_url(&url);
    let compressed = |gzip: bool, data: &[u8]| -> Vec<u8> {
        if gzip {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        } else {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
    };
    for (coding, serial) in [("gzip", "GZ"), ("deflate", "DF")] {
        let body = compressed(coding == "gzip", inform(serial, true).as_bytes());
        let mut c = Conn::open(&url);
        c.send_raw(
            format!(
                "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Encoding: {coding}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        );
        c.send_raw(&body);
        let r = c.read_reply().expect("a reply");
        assert_eq!(r.status, 200, "{coding}: {}", r.body);
        assert!(r.body.contains("InformResponse"), "{}", r.body);
        assert_eq!(c.post("").status, 204);
    }
    // Chunked, in three pieces.
    let body = inform("CHUNKED", true);
    let (a, rest) = body.split_at(100);
    let (b, c_) = rest.split_at(200);
    let mut c = Conn::open(&url);
    let mut req =
        format!("POST {path} HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n");
    for piece in [a, b, c_] {
        req.push_str(&format!("{:x}\r\n{piece}\r\n", piece.len()));
    }
    req.push_str("0\r\n\r\n");
    c.send_raw(req.as_bytes());
    let r = c.read_reply().expect("a reply");
    assert_eq!(r.status, 200, "{}", r.body);
    // A compressed bomb is refused by its decoded size, an unknown coding
    // by name, and the gateway carries on.
    let bomb = compressed(true, &vec![b' '; 1 << 20]);
    let mut c = Conn::open(&url);
    c.send_raw(
        format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
            bomb.len()
        )
        .as_bytes(),
    );
    c.send_raw(&bomb);
    assert_eq!(c.read_reply().expect("a reply").status, 413);
    let r = http::request(
        "POST",
        &url,
        &[("Content-Encoding", "br")],
        &inform("BR", true),
    );
    assert_eq!(r.status, 415);
    normal_session(&url, "AFTER-BOMB");
}
