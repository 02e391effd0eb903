use super::*;

const EID: &str = "os::00D09E-SIM000001";

fn report(active: &[(&str, u8)], polled: &[&str]) -> WatchReport {
    WatchReport {
        applied: Applied {
            active: active.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
            polled: polled.iter().map(|n| n.to_string()).collect(),
        },
        fell_back: polled
            .iter()
            .map(|n| {
                (
                    n.to_string(),
                    "fault 9009 Notification request rejected".into(),
                )
            })
            .collect(),
        ..WatchReport::default()
    }
}

fn plan_done(w: &mut Watcher, r: WatchReport) -> Finished {
    w.finished(WatchFinished {
        agent: EID.into(),
        result: WatchResult::Plan(r),
    })
}

fn polled(w: &mut Watcher, values: &[(&str, &str)]) -> Finished {
    w.finished(WatchFinished {
        agent: EID.into(),
        result: WatchResult::Poll(
            values
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        ),
    })
}

#[test]
fn one_plan_at_a_time_and_the_latest_set_wins() {
    let mut w = Watcher::default();
    let job = w.want(EID, vec!["Device.A".into()]);
    assert!(matches!(job, Some(WatchJob::Plan { ref wanted, .. }) if wanted == &["Device.A"]));
    assert!(w.want(EID, vec!["Device.A".into()]).is_none());
    // Changed while the plan runs: it follows once the plan ends.
    assert!(w.want(EID, vec!["Device.B".into()]).is_none());
    let done = plan_done(&mut w, report(&[("Device.A", 0)], &[]));
    let Some(WatchJob::Plan {
        wanted, applied, ..
    }) = done.next
    else {
        panic!("no next plan")
    };
    assert_eq!(wanted, ["Device.B"]);
    assert_eq!(applied.active.get("Device.A"), Some(&0));
}

#[test]
fn applied_state_persists_and_restores() {
    let mut w = Watcher::default();
    w.want(EID, vec!["Device.A".into(), "Device.U".into()]);
    let done = plan_done(&mut w, report(&[("Device.A", 1)], &["Device.U"]));
    assert_eq!(w.fallbacks, 1);
    let (key, bytes) = done.persist.expect("persisted");
    assert_eq!(key, format!("{KEY_PREFIX}{EID}"));
    let mut back = Watcher::default();
    assert!(back.restore(&key, &bytes.expect("bytes")));
    assert!(
        !back.restore(EID, b"{}"),
        "an agent's own state is not ours"
    );
    let a = &back.agents[EID].applied;
    assert_eq!(a.active.get("Device.A"), Some(&1));
    assert!(a.polled.contains("Device.U"));
    // Restored polled names are polled before the agent says anything.
    let jobs = back.tick();
    assert!(matches!(&jobs[..], [(e, WatchJob::Poll(n))] if e == EID && n.contains("Device.U")));
    // Nothing applied any more: the key goes.
    w.want(EID, Vec::new());
    let done = plan_done(&mut w, report(&[], &[]));
    assert_eq!(done.persist, Some((key, None)));
}

#[test]
fn polls_report_changes_of_polled_names_only() {
    let mut w = Watcher::default();
    w.want(EID, vec!["Device.U".into()]);
    plan_done(&mut w, report(&[], &["Device.U"]));
    let jobs = w.tick();
    assert_eq!(jobs.len(), 1);
    // A poll under way is not doubled.
    assert!(w.tick().is_empty());
    // The first read is the baseline.
    assert!(polled(&mut w, &[("Device.U", "1")]).changes.is_empty());
    w.tick();
    assert!(polled(&mut w, &[("Device.U", "1")]).changes.is_empty());
    w.tick();
    let done = polled(&mut w, &[("Device.U", "2"), ("Device.X", "9")]);
    assert_eq!(
        done.changes,
        vec![(EID.to_string(), "Device.U".to_string(), "2".to_string())]
    );
}

#[test]
fn a_refused_job_is_retried_at_the_next_tick() {
    let mut w = Watcher::default();
    assert!(w.want(EID, vec!["Device.A".into()]).is_some());
    w.refused(EID, false);
    let jobs = w.tick();
    assert!(matches!(&jobs[..], [(_, WatchJob::Plan { .. })]));
}

#[test]
fn a_reset_cpe_gets_its_attributes_set_again() {
    let mut w = Watcher::default();
    w.want(EID, vec!["Device.A".into()]);
    plan_done(&mut w, report(&[("Device.A", 0)], &[]));
    w.persist.clear();
    let Some(WatchJob::Plan {
        wanted, applied, ..
    }) = w.bootstrapped(EID)
    else {
        panic!("no plan after a reset")
    };
    assert_eq!(wanted, ["Device.A"]);
    assert_eq!(applied, Applied::default());
    assert_eq!(w.persist, vec![(format!("{KEY_PREFIX}{EID}"), None)]);
    assert!(w.bootstrapped("os::unknown").is_none());
}

#[test]
fn a_restart_plans_again_only_when_the_watched_paths_moved() {
    let mut w = Watcher::default();
    w.want(EID, vec!["Device.U".into(), "Device.A".into()]);
    let done = plan_done(&mut w, report(&[("Device.A", 0)], &[]));
    let (key, bytes) = done.persist.expect("persisted");
    let bytes = bytes.expect("bytes");

    // Same paths (in another order): the restored state stands, no session.
    let mut same = Watcher::default();
    same.restore(&key, &bytes);
    assert!(same
        .resume(EID, vec!["Device.A".into(), "Device.U".into()], Vec::new())
        .is_none());
    assert!(same.tick().is_empty());

    // A subscription added just before a crash: the CPE is brought in line.
    let mut moved = Watcher::default();
    moved.restore(&key, &bytes);
    let job = moved.resume(EID, vec!["Device.A".into(), "Device.B".into()], Vec::new());
    assert!(
        matches!(&job, Some(WatchJob::Plan { wanted, applied, .. })
            if wanted == &["Device.A", "Device.B"] && applied.active.contains_key("Device.A")),
        "{job:?}"
    );

    // An agent that watches nothing and had nothing applied costs nothing.
    let mut idle = Watcher::default();
    assert!(idle
        .resume("os::000000-OTHER", Vec::new(), Vec::new())
        .is_none());
}

const MAPS: &str = "Device.NAT.PortMapping.";

fn listed(w: &mut Watcher, report: ListReport) -> Finished {
    w.finished(WatchFinished {
        agent: EID.into(),
        result: WatchResult::List(report),
    })
}

fn listing(instances: &[&str]) -> Listing {
    Listing::from([(
        MAPS.to_owned(),
        instances.iter().map(|s| s.to_string()).collect(),
    )])
}

#[test]
fn watched_tables_take_a_baseline_then_list_once_per_session() {
    let mut w = Watcher::default();
    let jobs = w.want_tables(EID, vec![MAPS.into()]);
    // The counts' notification, and the baseline listing.
    assert!(
        matches!(&jobs[..], [WatchJob::Plan { tables, .. }, WatchJob::List { known, .. }]
            if tables == &[MAPS] && known.is_empty()),
        "{jobs:?}"
    );
    assert!(w.want_tables(EID, vec![MAPS.into()]).is_empty());
    // Sessions while the listing runs: one more listing after it, not one each.
    assert!(w.list(EID).is_none());
    assert!(w.list(EID).is_none());
    let done = listed(
        &mut w,
        ListReport {
            listing: listing(&["Device.NAT.PortMapping.1."]),
            ..ListReport::default()
        },
    );
    assert!(done.objects.is_empty());
    assert!(
        matches!(&done.next_list, Some(WatchJob::List { known, .. }) if known == &listing(&["Device.NAT.PortMapping.1."]))
    );
    // The plan still runs: a listing does not end it.
    let plan = plan_done(&mut w, report(&[], &[]));
    assert!(plan.next.is_none());
    let done = listed(
        &mut w,
        ListReport {
            listing: listing(&["Device.NAT.PortMapping.2."]),
            created: vec![("Device.NAT.PortMapping.2.".into(), BTreeMap::new())],
            deleted: vec!["Device.NAT.PortMapping.1.".into()],
            ..ListReport::default()
        },
    );
    assert_eq!(
        done.objects,
        [
            (
                "Device.NAT.PortMapping.2.".to_owned(),
                Some(BTreeMap::new())
            ),
            ("Device.NAT.PortMapping.1.".to_owned(), None)
        ]
    );
    assert!(done.next_list.is_none());
    // No table watched, no listing.
    w.want_tables(EID, Vec::new());
    assert!(w.list(EID).is_none());
    assert!(Watcher::default().list(EID).is_none());
}

#[test]
fn the_listing_survives_a_restart_and_old_records_still_load() {
    let mut w = Watcher::default();
    w.want_tables(EID, vec![MAPS.into()]);
    plan_done(
        &mut w,
        report(&[("Device.NAT.PortMappingNumberOfEntries", 0)], &[]),
    );
    let done = listed(
        &mut w,
        ListReport {
            listing: listing(&["Device.NAT.PortMapping.1."]),
            ..ListReport::default()
        },
    );
    let (key, bytes) = done.persist.expect("persisted");
    let bytes = bytes.expect("bytes");
    let mut back = Watcher::default();
    assert!(back.restore(&key, &bytes));
    // Same tables: no plan, and the next session diffs against the old list.
    assert!(back.resume(EID, Vec::new(), vec![MAPS.into()]).is_none());
    assert!(
        matches!(back.list(EID), Some(WatchJob::List { known, .. }) if known == listing(&["Device.NAT.PortMapping.1."]))
    );

    // A record from before tables were watched.
    let old = br#"{"active":{"Device.A":0},"polled":[],"wanted":["Device.A"]}"#;
    let mut old_w = Watcher::default();
    assert!(old_w.restore(&key, old));
    assert!(old_w
        .resume(EID, vec!["Device.A".into()], Vec::new())
        .is_none());
    // A subscription on a table came while the gateway was down.
    let mut moved = Watcher::default();
    moved.restore(&key, old);
    let job = moved.resume(EID, vec!["Device.A".into()], vec![MAPS.into()]);
    assert!(matches!(job, Some(WatchJob::Plan { tables, .. }) if tables == [MAPS]));
    assert!(matches!(moved.list(EID), Some(WatchJob::List { known, .. }) if known.is_empty()));
}
