use cwmp::Body;
use sim::DataModel;

use super::*;
use crate::plan::tests::{answer, cpe, model};

const MAPS: &str = "Device.NAT.PortMapping.";
const ADDRS: &str = "Device.IP.Interface.*.IPv4Address.";

fn run(cpe: &mut DataModel, patterns: &[&str], known: Listing) -> (ListReport, usize) {
    let m = model(cpe);
    let mut plan = ListPlan::new(
        Some(m),
        patterns.iter().map(|s| s.to_string()),
        known,
        Config::default(),
    );
    let mut rounds = 0;
    loop {
        match plan.poll() {
            ListStep::Done(r) => return (r, rounds),
            ListStep::Send(rpcs) => {
                rounds += 1;
                assert!(rounds < 20, "plan does not end");
                plan.feed(rpcs.iter().map(|b| answer(cpe, b)).collect());
            }
        }
    }
}

#[test]
fn the_first_listing_is_a_baseline() {
    let mut cpe = cpe();
    let (r, _) = run(&mut cpe, &[MAPS], Listing::new());
    let maps = &r.listing[MAPS];
    assert_eq!(maps.len(), cpe.instance_count(MAPS));
    assert!(maps.contains("Device.NAT.PortMapping.1."));
    assert!(r.created.is_empty() && r.deleted.is_empty(), "{r:?}");
}

#[test]
fn new_and_gone_instances_are_told_once_with_their_keys() {
    let mut cpe = cpe();
    let (base, _) = run(&mut cpe, &[MAPS], Listing::new());
    let n = cpe.add_object(MAPS).unwrap();
    cpe.set("Device.NAT.PortMapping.1.ExternalPort", "8080");
    cpe.delete_object("Device.NAT.PortMapping.1.").unwrap();
    let (r, _) = run(&mut cpe, &[MAPS], base.listing);
    let added = format!("{MAPS}{n}.");
    assert_eq!(r.created.len(), 1, "{r:?}");
    assert_eq!(r.created[0].0, added);
    let keys = &r.created[0].1;
    // Functional keys only (Alias is marked `~`).
    for k in ["RemoteHost", "ExternalPort", "Protocol"] {
        assert!(keys.contains_key(k), "{keys:?}");
    }
    assert!(!keys.contains_key("Alias"));
    assert_eq!(r.deleted, ["Device.NAT.PortMapping.1."]);
    assert!(r.listing[MAPS].contains(&added));
    let (again, _) = run(&mut cpe, &[MAPS], r.listing);
    assert!(again.created.is_empty() && again.deleted.is_empty());
}

#[test]
fn wildcards_are_listed_level_by_level() {
    let mut cpe = cpe();
    let (base, rounds) = run(&mut cpe, &[ADDRS], Listing::new());
    assert!(rounds >= 2);
    let addrs = &base.listing[ADDRS];
    assert!(
        addrs.contains("Device.IP.Interface.1.IPv4Address.1."),
        "{addrs:?}"
    );
    let n = cpe
        .add_object("Device.IP.Interface.1.IPv4Address.")
        .unwrap();
    let (r, _) = run(&mut cpe, &[ADDRS], base.listing);
    let created: Vec<&str> = r.created.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(created, [format!("Device.IP.Interface.1.IPv4Address.{n}.")]);
}

#[test]
fn a_failed_listing_keeps_the_last_one() {
    let mut cpe = cpe();
    let (base, _) = run(&mut cpe, &[MAPS], Listing::new());
    let mut plan = ListPlan::new(
        Some(model(&mut cpe)),
        [MAPS.to_owned()],
        base.listing.clone(),
        Config::default(),
    );
    let ListStep::Send(rpcs) = plan.poll() else {
        panic!("no listing")
    };
    plan.feed(
        rpcs.iter()
            .map(|_| Outcome::Failed {
                code: 7002,
                msg: "no answer".into(),
            })
            .collect(),
    );
    let ListStep::Done(r) = plan.poll() else {
        panic!("no end")
    };
    assert!(r.created.is_empty() && r.deleted.is_empty());
    assert_eq!(r.listing, base.listing);
}

#[test]
fn entries_that_are_no_table_are_not_listed() {
    let mut cpe = cpe();
    let known = Listing::from([("Device.Gone.".to_owned(), Default::default())]);
    let (r, rounds) = run(
        &mut cpe,
        &["Device.NAT.", "Device.NAT.PortMapping.1."],
        known,
    );
    assert_eq!(rounds, 0);
    assert!(
        r.listing.is_empty(),
        "patterns no longer wanted are dropped"
    );
    assert_eq!(r.errors.len(), 2);
}

#[test]
fn an_unknown_model_is_discovered_first() {
    let mut cpe = cpe();
    let mut plan = ListPlan::new(None, [MAPS.to_owned()], Listing::new(), Config::default());
    let ListStep::Send(rpcs) = plan.poll() else {
        panic!()
    };
    assert!(matches!(&rpcs[0], Body::GetParameterNames(g) if !g.next_level));
    plan.feed(rpcs.iter().map(|b| answer(&mut cpe, b)).collect());
    loop {
        match plan.poll() {
            ListStep::Done(r) => {
                assert!(r.model.is_some());
                assert!(!r.listing[MAPS].is_empty());
                break;
            }
            ListStep::Send(rpcs) => plan.feed(rpcs.iter().map(|b| answer(&mut cpe, b)).collect()),
        }
    }
}

#[test]
fn tables_are_counted_by_their_number_of_entries() {
    let mut cpe = cpe();
    let m = model(&mut cpe);
    assert_eq!(
        count_path(&m, MAPS).as_deref(),
        Some("Device.NAT.PortMappingNumberOfEntries")
    );
    assert_eq!(
        count_path(&m, ADDRS).as_deref(),
        Some("Device.IP.Interface.*.IPv4AddressNumberOfEntries")
    );
    assert_eq!(count_path(&m, "Device.NAT."), None);
}
