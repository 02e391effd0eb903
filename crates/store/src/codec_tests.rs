use std::time::Duration;

use super::*;

fn record(provisioning: Provisioning) -> DeviceRecord {
    DeviceRecord {
        manufacturer: "Acme ÿ".into(),
        root: "Device.".into(),
        cwmp_version: "urn:dslforum-org:cwmp-1-2".into(),
        connection_request_url: Some("http://10.0.0.1:7547/cr".into()),
        last_events: vec!["1 BOOT".into(), "M Reboot".into()],
        params: (0..200)
            .map(|i| (format!("Device.X.{i}.Value"), "v".repeat(i)))
            .collect(),
        connection_request_username: Some("u".into()),
        connection_request_password: Some(Secret::new("p")),
        provisioning,
        ..DeviceRecord::new(
            DeviceKey {
                oui: "00D09E".into(),
                product_class: "HGW".into(),
                serial: "SN1".into(),
            },
            Duration::new(1_795_393_567, 123_456_789),
        )
    }
}

fn every_state() -> Vec<DeviceRecord> {
    let at = Duration::new(7, 5);
    vec![
        record(Provisioning::Needed),
        record(Provisioning::Done { at }),
        record(Provisioning::Failed { at, fault: None }),
        record(Provisioning::Failed {
            at,
            fault: Some(u32::MAX),
        }),
        DeviceRecord::new(record(Provisioning::Needed).key, Duration::ZERO),
    ]
}

fn encoded(r: &DeviceRecord) -> Vec<u8> {
    let mut out = vec![9, 9, 9];
    encode_record(r, &mut out);
    out
}

#[test]
fn every_record_reads_back_as_written() {
    for r in every_state() {
        let bytes = encoded(&r);
        assert_eq!(bytes[0], FORMAT_V1);
        assert_eq!(decode_record(&bytes), Ok(r));
    }
}

#[test]
fn json_records_written_before_still_read() {
    for r in every_state() {
        let json = serde_json::to_vec(&r).unwrap();
        assert_eq!(decode_record(&json), Ok(r));
    }
}

#[test]
fn the_binary_form_is_smaller_than_json() {
    // Inform parameters as a CPE sends them: names longer than values.
    let r = DeviceRecord {
        params: (0..10)
            .map(|i| (format!("Device.DeviceInfo.X{i}"), i.to_string()))
            .collect(),
        ..record(Provisioning::Done {
            at: Duration::from_secs(1),
        })
    };
    let (bin, json) = (encoded(&r).len(), serde_json::to_vec(&r).unwrap().len());
    assert!(bin < json * 9 / 10, "{bin} vs {json}");
}

#[test]
fn a_cut_record_is_an_error_at_every_length() {
    let bytes = encoded(&record(Provisioning::Failed {
        at: Duration::from_secs(3),
        fault: Some(9002),
    }));
    for n in 0..bytes.len() {
        assert!(decode_record(&bytes[..n]).is_err(), "cut at {n}");
    }
}

#[test]
fn damaged_records_are_errors() {
    let good = encoded(&record(Provisioning::Needed));
    let mut trailing = good.clone();
    trailing.push(0);
    assert!(decode_record(&trailing).is_err());
    let mut format = good.clone();
    format[0] = 2;
    assert!(decode_record(&format).is_err());
    // A length far beyond the record's end.
    let huge = [
        FORMAT_V1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
    ];
    assert!(decode_record(&huge).is_err());
    let endless = [
        FORMAT_V1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ];
    assert!(decode_record(&endless).is_err());
    // An OUI that is not UTF-8.
    assert!(decode_record(&[FORMAT_V1, 1, 0xff]).is_err());
}
