//! What the load controllers read back: their own answers, and the CPU
//! time of processes from /proc. Shared by every load example.

use usp::proto::usp::response::RespType;

/// User plus system CPU of process `pid` (`None`: this process), in clock
/// ticks (1/100 s); 0 if it cannot be read.
pub fn cpu_ticks_of(pid: Option<u32>) -> u64 {
    let path = pid.map_or_else(
        || "/proc/self/stat".to_owned(),
        |p| format!("/proc/{p}/stat"),
    );
    let Ok(stat) = std::fs::read_to_string(path) else {
        return 0;
    };
    // Fields after the command name, which may hold spaces: state is the
    // first, utime and stime the 12th and 13th.
    let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
        return 0;
    };
    let mut fields = rest.split_whitespace().skip(11);
    let mut next = || fields.next().and_then(|f| f.parse::<u64>().ok());
    match (next(), next()) {
        (Some(user), Some(system)) => user + system,
        _ => 0,
    }
}

/// Our request number, error count and parameter count from an answer;
/// `None` for anything that is not an answer to us (a Connect record, a
/// Notify).
pub fn read_answer(payload: &[u8]) -> Option<(u64, u64, usize)> {
    let decoded = usp::decode_record(payload).ok()?;
    let msg = decoded.msg?;
    let n = msg.msg_id().strip_prefix('L')?.parse().ok()?;
    if msg.error().is_some() {
        return Some((n, 1, 0));
    }
    match msg.response() {
        Some(RespType::GetResp(resp)) => {
            let mut errors = 0;
            let mut params = 0;
            for r in &resp.req_path_results {
                errors += u64::from(r.err_code != 0);
                params += r
                    .resolved_path_results
                    .iter()
                    .map(|p| p.result_params.len())
                    .sum::<usize>();
            }
            Some((n, errors, params))
        }
        // The echo responder sends our own Get back.
        _ => Some((n, 0, 0)),
    }
}
