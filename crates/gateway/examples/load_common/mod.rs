//! The closed loop shared by the USP load controllers: K requests kept in
//! flight, each answer matched to its request by msg_id (`L<n>`), lost
//! requests replaced after a timeout, latencies in an hdrhistogram. The
//! transport (MQTT, WebSocket) only sends request n and hands answers in.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::bail;
use bytes::Bytes;
use hdrhistogram::Histogram;
use tokio::sync::mpsc;

pub mod answer;
use answer::read_answer;

/// How often lost requests are looked for and the phase is checked.
const TICK: Duration = Duration::from_millis(50);
/// After the measured window: how long to wait for the last answers.
const DRAIN: Duration = Duration::from_secs(1);

/// The phases of one run.
pub struct Window {
    pub outstanding: usize,
    /// Answers awaited before the warm-up starts (priming caches).
    pub prime: u64,
    pub warmup: Duration,
    pub seconds: Duration,
    /// A request unanswered this long counts as lost and is replaced.
    pub timeout: Duration,
    /// Processes (name, pid) whose CPU time over the measured window is
    /// reported per answer.
    pub watch: Vec<(String, u32)>,
}

/// What one run saw.
pub struct Tally {
    pub latency_us: Histogram<u64>,
    pub answered: u64,
    /// Error Msgs, and GetResp paths with a non-zero err_code.
    pub errors: u64,
    pub lost: u64,
    /// Parameters and bytes in the last answer: what one Get returned.
    pub params: usize,
    pub bytes: usize,
    /// CPU of each watched process over the measured window, in µs.
    pub cpu_us: Vec<(String, u64)>,
}

impl Tally {
    /// Prints one JSON line: `run` (what was measured) and the figures.
    pub fn print(&self, mut run: serde_json::Value, seconds: f64) {
        if let (Some(line), serde_json::Value::Object(s)) =
            (run.as_object_mut(), self.summary(seconds))
        {
            line.extend(s);
        }
        println!("{run}");
    }

    /// Throughput and latency of the measured window.
    fn summary(&self, seconds: f64) -> serde_json::Value {
        let h = &self.latency_us;
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        serde_json::json!({
            "answered": self.answered,
            "per_second": (self.answered as f64 / seconds).round(),
            "p50_ms": ms(0.50),
            "p90_ms": ms(0.90),
            "p99_ms": ms(0.99),
            "max_ms": h.max() as f64 / 1000.0,
            "errors": self.errors,
            "lost": self.lost,
            "params_per_answer": self.params,
            "bytes_per_answer": self.bytes,
            "cpu_us_per_answer": self.cpu_us.iter().map(|(name, us)| {
                (name.clone(), serde_json::json!(us / self.answered.max(1)))
            }).collect::<serde_json::Map<_, _>>(),
        })
    }
}

/// User plus system CPU of each process, in clock ticks (1/100 s).
fn cpu_ticks(watch: &[(String, u32)]) -> Vec<u64> {
    watch
        .iter()
        .map(|(_, pid)| answer::cpu_ticks_of(Some(*pid)))
        .collect()
}

/// Runs the loop: `send(n)` sends request `L<n>`; `answers` brings every
/// Record back.
pub async fn closed_loop(
    window: &Window,
    mut send: impl FnMut(u64) -> anyhow::Result<()>,
    answers: &mut mpsc::Receiver<Bytes>,
) -> anyhow::Result<Tally> {
    let k = window.outstanding.max(1);
    let mut next_id: u64 = 0;
    let mut in_flight: HashMap<u64, Instant> = HashMap::with_capacity(k);
    let mut send_next = |in_flight: &mut HashMap<u64, Instant>| -> anyhow::Result<()> {
        send(next_id)?;
        in_flight.insert(next_id, Instant::now());
        next_id += 1;
        Ok(())
    };
    let mut tally = Tally {
        latency_us: Histogram::new_with_bounds(1, 60_000_000, 3)?,
        answered: 0,
        errors: 0,
        lost: 0,
        params: 0,
        bytes: 0,
        cpu_us: Vec::new(),
    };
    let (mut cpu_from, mut cpu_to) = (None, None);
    let mut primed = 0;
    let mut measure_from = Instant::now() + window.warmup;
    let mut measure_to = measure_from + window.seconds;
    let mut priming = window.prime > 0;
    if priming {
        // Out of reach until the last priming answer sets them.
        measure_from += Duration::from_secs(86_400);
        measure_to += Duration::from_secs(86_400);
    }
    for _ in 0..k {
        send_next(&mut in_flight)?;
    }
    let mut tick = tokio::time::interval(TICK);
    loop {
        tokio::select! {
            answer = answers.recv() => {
                let Some(payload) = answer else { bail!("the transport ended") };
                let now = Instant::now();
                sample_cpu(window, now, (measure_from, measure_to), (&mut cpu_from, &mut cpu_to));
                let Some((n, errors, params)) = read_answer(&payload) else { continue };
                let Some(sent) = in_flight.remove(&n) else { continue };
                if priming {
                    primed += 1;
                    if primed >= window.prime {
                        priming = false;
                        measure_from = now + window.warmup;
                        measure_to = measure_from + window.seconds;
                    }
                }
                if now >= measure_from && now < measure_to {
                    let us = u64::try_from(now.duration_since(sent).as_micros()).unwrap_or(u64::MAX);
                    tally.latency_us.saturating_record(us.max(1));
                    tally.answered += 1;
                    tally.errors += errors;
                    (tally.params, tally.bytes) = (params, payload.len());
                }
                if now < measure_to {
                    send_next(&mut in_flight)?;
                }
            }
            _ = tick.tick() => {
                let now = Instant::now();
                sample_cpu(window, now, (measure_from, measure_to), (&mut cpu_from, &mut cpu_to));
                if now >= measure_to + DRAIN || (now >= measure_to && in_flight.is_empty()) {
                    break;
                }
                let before = in_flight.len();
                in_flight.retain(|_, sent| now.duration_since(*sent) < window.timeout);
                let gone = before - in_flight.len();
                if now >= measure_from && now < measure_to {
                    tally.lost += gone as u64;
                }
                for _ in 0..gone {
                    if now < measure_to {
                        send_next(&mut in_flight)?;
                    }
                }
            }
        }
    }
    if let (Some(from), Some(to)) = (cpu_from, cpu_to) {
        tally.cpu_us = window
            .watch
            .iter()
            .zip(to.iter().zip(from))
            .map(|((name, _), (to, from))| (name.clone(), to.saturating_sub(from) * 10_000))
            .collect();
    }
    Ok(tally)
}

/// Reads the watched processes' CPU at the window's edges (to within one
/// tick).
fn sample_cpu(
    window: &Window,
    now: Instant,
    (from, to): (Instant, Instant),
    (at_from, at_to): (&mut Option<Vec<u64>>, &mut Option<Vec<u64>>),
) {
    if at_from.is_none() && now >= from {
        *at_from = Some(cpu_ticks(&window.watch));
    }
    if at_to.is_none() && now >= to {
        *at_to = Some(cpu_ticks(&window.watch));
    }
}
