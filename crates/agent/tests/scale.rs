//! 10,000 agents in one gateway: every one answers, and the per-agent
//! memory is reported (printed, never asserted: it depends on the
//! allocator and the machine).

mod common;
use common::*;

use std::sync::Arc;

use agent::{Action, Agents, IdScheme};
use usp::msg;

fn rss_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[test]
fn ten_thousand_agents() {
    const N: usize = 10_000;
    let mut a = Agents::new(Arc::new(config())).unwrap();
    let before = rss_bytes();
    let mut eids = Vec::with_capacity(N);
    for i in 0..N {
        eids.push(
            a.add("00D09E", "IGD", &format!("SN{i:06}"), IdScheme::Os, t0())
                .unwrap(),
        );
    }
    let after = rss_bytes();
    assert_eq!(a.len(), N);
    println!(
        "size_of::<Agent>() = {} bytes; endpoint ID ~{} bytes",
        std::mem::size_of::<agent::Agent>(),
        eids[0].len()
    );
    if let (Some(b), Some(x)) = (before, after) {
        println!(
            "RSS grew by {} bytes for {N} agents: ~{} bytes per agent",
            x.saturating_sub(b),
            x.saturating_sub(b) / N
        );
    }
    // Every agent answers for itself only.
    for eid in eids.iter().step_by(997) {
        let m = msg::get("g", ["Device.LocalAgent.EndpointID"], 0);
        let out = a.handle_record(eid, &record_from(C1, eid, &m), reply_to(), t0());
        let [Action::Send { record, .. }] = out.as_slice() else {
            panic!()
        };
        let (rec, msg) = crosscheck(record);
        assert_eq!(&rec.from_id, eid);
        let Some(usp::proto::usp::response::RespType::GetResp(g)) =
            msg.as_ref().and_then(|m| m.response())
        else {
            panic!()
        };
        assert_eq!(
            &g.req_path_results[0].resolved_path_results[0].result_params["EndpointID"],
            eid
        );
    }
}
