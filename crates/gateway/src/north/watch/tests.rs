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
    let Some(WatchJob::Plan { wanted, applied }) = done.next else {
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
    w.refused(EID);
    let jobs = w.tick();
    assert!(matches!(&jobs[..], [(_, WatchJob::Plan { .. })]));
}

#[test]
fn a_reset_cpe_gets_its_attributes_set_again() {
    let mut w = Watcher::default();
    w.want(EID, vec!["Device.A".into()]);
    plan_done(&mut w, report(&[("Device.A", 0)], &[]));
    w.persist.clear();
    let Some(WatchJob::Plan { wanted, applied }) = w.bootstrapped(EID) else {
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
        .resume(EID, vec!["Device.A".into(), "Device.U".into()])
        .is_none());
    assert!(same.tick().is_empty());

    // A subscription added just before a crash: the CPE is brought in line.
    let mut moved = Watcher::default();
    moved.restore(&key, &bytes);
    let job = moved.resume(EID, vec!["Device.A".into(), "Device.B".into()]);
    assert!(
        matches!(&job, Some(WatchJob::Plan { wanted, applied })
            if wanted == &["Device.A", "Device.B"] && applied.active.contains_key("Device.A")),
        "{job:?}"
    );

    // An agent that watches nothing and had nothing applied costs nothing.
    let mut idle = Watcher::default();
    assert!(idle.resume("os::000000-OTHER", Vec::new()).is_none());
}
