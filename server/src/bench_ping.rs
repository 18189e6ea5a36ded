//! `netledger bench ping`: probe N loopback destinations once per interval for S seconds with
//! the shared `Prober` and `Schedule`, writing every round through the `SampleWriter` into a
//! scratch database; then fping probes the same destinations for the same time. Prints
//! samples/s, rounds done vs expected, late and skipped rounds, spurious loss (loopback always
//! answers), CPU cores used, scheduling lateness, the ratios to fping, and last one JSON object.

use std::net::{IpAddr, Ipv4Addr};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use domain::monitoring::stats::RoundStats;
use nix::sys::resource::{getrusage, UsageWho};
use nix::sys::time::TimeValLike;
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::time::Instant;

use crate::adapters::icmp::{ProbeSpec, Prober, Sample, SampleWriter, Schedule};
use crate::bench::{scratch, BenchError};

#[derive(clap::Args, Debug, Clone, Copy)]
pub struct PingBench {
    /// Loopback destinations (127.1.0.1 upwards).
    #[arg(long, default_value_t = 10_000)]
    destinations: usize,
    /// Measured duration.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Round interval per destination.
    #[arg(long, default_value_t = 1_000)]
    interval_ms: u64,
    /// Reply timeout (default: the interval, at most 1 s).
    #[arg(long)]
    timeout_ms: Option<u64>,
    /// Skip the fping baseline.
    #[arg(long)]
    no_fping: bool,
}

/// Lateness above this counts a round as late.
const LATE: Duration = Duration::from_millis(10);
/// Time before the first round, so spawning the probing tasks is not measured as lateness.
const WARM_UP: Duration = Duration::from_millis(500);

/// The `i`-th destination: 127.1.0.1, 127.1.0.2, ... skipping .0 and .255 host parts.
#[must_use]
pub fn destination(i: usize) -> Ipv4Addr {
    let host = i % 254 + 1;
    let rest = i / 254;
    let (b, a) = (rest % 256, rest / 256 % 255 + 1);
    #[allow(clippy::cast_possible_truncation)] // each part is reduced below 256 above
    Ipv4Addr::new(127, a as u8, b as u8, host as u8)
}

fn cpu_us(who: UsageWho) -> i64 {
    getrusage(who).map_or(0, |u| u.user_time().num_microseconds() + u.system_time().num_microseconds())
}

#[allow(clippy::cast_precision_loss)]
fn per_s(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

#[allow(clippy::cast_precision_loss)]
fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

fn quantile_ms(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

/// What one destination's task saw.
#[derive(Default)]
struct Tally {
    rounds: u64,
    expected: u64,
    skipped: u64,
    late: u64,
    sent: u64,
    received: u64,
    send_errors: u64,
    lateness_us: Vec<u32>,
}

async fn probe_destination(
    prober: Prober,
    writer: SampleWriter,
    mut schedule: Schedule,
    end: Instant,
    addr: Ipv4Addr,
    spec: ProbeSpec,
) -> Tally {
    let mut t = Tally::default();
    while schedule.deadline(t.expected) < end {
        t.expected += 1;
    }
    let job: Arc<str> = Arc::from("bench");
    let target: Arc<str> = Arc::from(addr.to_string());
    let mut previous = None;
    loop {
        // Checked before sleeping, so the run ends at `end` rather than one interval later.
        let tick = schedule.next();
        if tick.at >= end {
            break;
        }
        tokio::time::sleep_until(tick.at).await;
        t.skipped += tick.skipped;
        let lateness = Instant::now().saturating_duration_since(tick.at);
        t.lateness_us.push(u32::try_from(lateness.as_micros()).unwrap_or(u32::MAX));
        if lateness > LATE {
            t.late += 1;
        }
        let at = chrono::Utc::now();
        let result = prober.probe(IpAddr::V4(addr), &spec).await;
        if result.error.is_some() {
            t.send_errors += 1;
        }
        let stats = RoundStats::from_rtts(result.sent, &result.rtts_us, previous);
        previous = result.rtts_us.last().copied().or(previous);
        t.rounds += 1;
        t.sent += u64::from(stats.sent);
        t.received += u64::from(stats.received);
        writer.write(Sample { job_id: job.clone(), target: target.clone(), at, stats }).await;
    }
    t
}

async fn ours(args: PingBench, pool: &PgPool, spec: ProbeSpec) -> Result<Value, BenchError> {
    let prober = Prober::new().map_err(|e| BenchError::Other(e.to_string()))?;
    let s = scratch(pool, 8).await?;
    let writer = SampleWriter::spawn(s.pool.clone());
    let interval = Duration::from_millis(args.interval_ms.max(1));
    let n = args.destinations.max(1);
    let cpu0 = cpu_us(UsageWho::RUSAGE_SELF);
    let wall = Instant::now();
    let start = wall + WARM_UP;
    let end = start + Duration::from_secs(args.seconds);
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let schedule = Schedule::staggered(start, interval, i, n);
            tokio::spawn(probe_destination(prober.clone(), writer.clone(), schedule, end, destination(i), spec))
        })
        .collect();
    let mut all = Tally::default();
    for task in tasks {
        let t = task.await.map_err(|e| BenchError::Other(e.to_string()))?;
        all.rounds += t.rounds;
        all.expected += t.expected;
        all.skipped += t.skipped;
        all.late += t.late;
        all.sent += t.sent;
        all.received += t.received;
        all.send_errors += t.send_errors;
        all.lateness_us.extend(t.lateness_us);
    }
    let probing_done = Instant::now();
    let flushed = writer.flush().await;
    let flush_ms = probing_done.elapsed().as_secs_f64() * 1000.0;
    let elapsed = wall.elapsed().saturating_sub(WARM_UP);
    let cpu = cpu_us(UsageWho::RUSAGE_SELF) - cpu0;
    let w = writer.stats();
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM monitor_samples").fetch_one(&s.pool).await?;
    let rollup_rounds: Option<i64> =
        sqlx::query_scalar("SELECT sum(rounds)::bigint FROM monitor_rollup_1m").fetch_one(&s.pool).await?;
    drop(prober);
    s.drop_db().await;
    all.lateness_us.sort_unstable();
    let measured = Duration::from_secs(args.seconds);
    #[allow(clippy::cast_precision_loss)]
    let cores = cpu as f64 / 1e6 / elapsed.as_secs_f64().max(1e-9);
    Ok(json!({
        "destinations": n,
        "seconds": args.seconds,
        "interval_ms": args.interval_ms,
        "rounds_expected": all.expected,
        "rounds_done": all.rounds,
        "rounds_skipped": all.skipped,
        "rounds_late_10ms": all.late,
        "sent": all.sent,
        "received": all.received,
        "send_errors": all.send_errors,
        "spurious_loss_pct": pct(all.sent - all.received.min(all.sent), all.sent),
        "samples_written": w.rows,
        "samples_per_s": per_s(w.rows, measured.max(probing_done.saturating_duration_since(start))),
        "samples_in_db": stored,
        "rollup_1m_rounds": rollup_rounds.unwrap_or(0),
        "writer_batches": w.batches,
        "writer_errors": w.errors,
        "writer_dropped": w.dropped,
        "flush_ok": flushed.is_ok(),
        "flush_after_probing_ms": flush_ms,
        "cpu_cores": cores,
        "lateness_p50_ms": quantile_ms(&all.lateness_us, 0.5),
        "lateness_p99_ms": quantile_ms(&all.lateness_us, 0.99),
        "lateness_max_ms": quantile_ms(&all.lateness_us, 1.0),
    }))
}

/// fping over the same destinations: `-C` rounds, `-p` period per target, `-i` between
/// packets so the rounds are spread over the period like ours.
async fn fping(args: PingBench, timeout: Duration) -> Result<Value, BenchError> {
    let n = args.destinations.max(1);
    let interval_ms = args.interval_ms.max(1);
    let count = (args.seconds * 1000 / interval_ms).max(1);
    let list: String = (0..n).map(|i| format!("{}\n", destination(i))).collect();
    let file = std::env::temp_dir().join(format!("netledger-bench-fping-{}.txt", std::process::id()));
    std::fs::write(&file, list).map_err(|e| BenchError::Other(format!("writing {}: {e}", file.display())))?;
    #[allow(clippy::cast_precision_loss)]
    let spacing_ms = (interval_ms as f64 / n as f64).max(0.001);
    let cpu0 = cpu_us(UsageWho::RUSAGE_CHILDREN);
    let wall = Instant::now();
    let output = tokio::process::Command::new("fping")
        .arg("-q")
        .arg("-C")
        .arg(count.to_string())
        .arg("-p")
        .arg(interval_ms.to_string())
        .arg("-i")
        .arg(format!("{spacing_ms:.3}"))
        .arg("-t")
        .arg(timeout.as_millis().to_string())
        .arg("-f")
        .arg(&file)
        .output()
        .await;
    let elapsed = wall.elapsed();
    let _ = std::fs::remove_file(&file);
    let output = output.map_err(|e| BenchError::Other(format!("running fping: {e}")))?;
    let cpu = cpu_us(UsageWho::RUSAGE_CHILDREN) - cpu0;
    // `-C` prints "<target> : <rtt|-> <rtt|-> ..." per target on stderr.
    let text = String::from_utf8_lossy(&output.stderr);
    let (mut samples, mut received) = (0u64, 0u64);
    for line in text.lines() {
        let Some((_, results)) = line.split_once(" : ") else { continue };
        for r in results.split_whitespace() {
            samples += 1;
            if r != "-" {
                received += 1;
            }
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let cores = cpu as f64 / 1e6 / elapsed.as_secs_f64().max(1e-9);
    Ok(json!({
        "rounds_expected": count * n as u64,
        "samples": samples,
        "received": received,
        // Over the time fping actually took (less its wait for the last replies): it stretches
        // the run when it cannot keep its pace.
        "samples_per_s": per_s(samples, elapsed.saturating_sub(timeout).max(Duration::from_secs(args.seconds))),
        "loss_pct": pct(samples - received, samples),
        "cpu_cores": cores,
        "wall_s": elapsed.as_secs_f64(),
    }))
}

fn fnum(v: &Value, key: &str) -> f64 {
    v.get(key).and_then(Value::as_f64).unwrap_or(0.0)
}

#[allow(clippy::print_stdout)] // the benchmark's output is its interface
pub async fn run(args: PingBench, pool: &PgPool) -> ExitCode {
    let interval = Duration::from_millis(args.interval_ms.max(1));
    let timeout = Duration::from_millis(args.timeout_ms.unwrap_or(args.interval_ms.min(1_000)).max(1));
    let spec = ProbeSpec { packets: 1, size: 56, timeout, spacing: interval };
    println!(
        "bench ping: {} loopback destinations every {} ms for {} s (timeout {} ms)",
        args.destinations,
        args.interval_ms,
        args.seconds,
        timeout.as_millis()
    );
    let ours = match ours(args, pool, spec).await {
        Ok(v) => v,
        Err(e) => {
            eprintln!("bench failed: {e}");
            return ExitCode::from(1);
        }
    };
    println!(
        "netledger: {:.0} samples/s written ({} of {} rounds, {} skipped, {} late > 10 ms), spurious loss {:.3} %, \
         {:.3} cores, lateness p50 {:.2} ms p99 {:.2} ms",
        fnum(&ours, "samples_per_s"),
        ours["rounds_done"],
        ours["rounds_expected"],
        ours["rounds_skipped"],
        ours["rounds_late_10ms"],
        fnum(&ours, "spurious_loss_pct"),
        fnum(&ours, "cpu_cores"),
        fnum(&ours, "lateness_p50_ms"),
        fnum(&ours, "lateness_p99_ms"),
    );
    let baseline = if args.no_fping {
        Value::Null
    } else {
        match fping(args, timeout).await {
            Ok(v) => {
                println!(
                    "fping:     {:.0} samples/s, loss {:.3} %, {:.3} cores",
                    fnum(&v, "samples_per_s"),
                    fnum(&v, "loss_pct"),
                    fnum(&v, "cpu_cores")
                );
                v
            }
            Err(e) => {
                println!("fping baseline unavailable: {e}");
                json!({ "error": e.to_string() })
            }
        }
    };
    let ratio = |key: &str| {
        let b = fnum(&baseline, key);
        (b > 0.0).then(|| fnum(&ours, key) / b)
    };
    let (rate_ratio, cpu_ratio) = (ratio("samples_per_s"), ratio("cpu_cores"));
    if let (Some(r), Some(c)) = (rate_ratio, cpu_ratio) {
        println!("ours/fping: samples/s x{r:.3}, CPU x{c:.3}");
    }
    let targets_met = fnum(&ours, "samples_per_s")
        >= 0.99 * per_s(args.destinations as u64 * 1000 / args.interval_ms.max(1), Duration::from_secs(1))
        && fnum(&ours, "spurious_loss_pct") < 0.1;
    println!(
        "{}",
        json!({
            "bench": "ping",
            "ours": ours,
            "fping": baseline,
            "samples_per_s_vs_fping": rate_ratio,
            "cpu_vs_fping": cpu_ratio,
            "rate_and_loss_targets_met": targets_met,
        })
    );
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_distinct_loopback_hosts_outside_127_0_0() {
        let all: std::collections::HashSet<Ipv4Addr> = (0..70_000).map(destination).collect();
        assert_eq!(all.len(), 70_000);
        for a in &all {
            let o = a.octets();
            assert!(a.is_loopback());
            assert_ne!(o[1], 0);
            assert!(o[3] != 0 && o[3] != 255, "{a}");
        }
        assert_eq!(destination(0), Ipv4Addr::new(127, 1, 0, 1));
        assert_eq!(destination(254), Ipv4Addr::new(127, 1, 1, 1));
    }
}
