//! Whole simulated fleets through the engine, no sockets.

use super::*;

/// The simulator's CPE core against the engine, no sockets: boot sessions
/// for a whole fleet, then a periodic round.
#[test]
fn a_thousand_simulated_cpe_boot_and_inform() {
    let profile = sim::Profile::from_model_arg("tr181").unwrap().into_shared();
    let cfg = Arc::new(sim::CpeConfig {
        periodic_interval: Duration::from_secs(300),
        ..sim::CpeConfig::default()
    });
    let mut e = engine();
    let n = 1000;
    let mut fleet: Vec<sim::Cpe> = (0..n)
        .map(|i| sim::Cpe::new(cfg.clone(), profile.clone(), i))
        .collect();
    let mut ok = 0;
    for round in 0..2u64 {
        let now = Duration::from_secs(1 + round * 301);
        for (i, cpe) in fleet.iter_mut().enumerate() {
            if round == 0 {
                cpe.power_on(now);
            } else {
                cpe.handle_timeout(now);
            }
            let conn = ConnId(round * 10_000 + i as u64);
            let mut cookie: Option<String> = None;
            while let Some(action) = cpe.poll_action() {
                match action {
                    sim::Action::Send(req) => {
                        let reply = send(&mut e, now, post(conn.0, cookie.as_deref(), &req.body));
                        if let Some(c) = &reply.set_cookie {
                            cookie = Some(c.clone());
                        }
                        let resp = sim::HttpResponse::new(reply.status, [], reply.body.into());
                        cpe.handle_response(now, resp);
                    }
                    sim::Action::SessionEnded { ok: true, .. } => ok += 1,
                    _ => {}
                }
            }
        }
    }
    assert_eq!(ok, 2 * n);
    assert_eq!(e.store().len(), n as usize);
    assert_eq!(e.open_sessions(), 0);
    let informed: Vec<Vec<String>> = events(&mut e)
        .into_iter()
        .filter_map(|ev| match ev {
            crate::Event::Informed { events, .. } => Some(events),
            _ => None,
        })
        .collect();
    assert_eq!(informed.len(), 2 * n as usize);
    assert!(informed[0].contains(&"1 BOOT".to_string()));
    assert!(informed[n as usize].contains(&"2 PERIODIC".to_string()));
}
