//! Figures of latency measurements: one round's RTT min/avg/max and jitter, and the summary of
//! many rounds (min/avg/max/p95 RTT, jitter, loss) that charts, exports and alerts share.

use serde::{Deserialize, Serialize};

/// One target's result for one round of `sent` echo requests. Times in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundStats {
    pub sent: u16,
    pub received: u16,
    pub rtt_min_us: Option<u32>,
    pub rtt_avg_us: Option<u32>,
    pub rtt_max_us: Option<u32>,
    /// Mean absolute difference of consecutive replies (RFC 3550's instantaneous jitter without
    /// its smoothing): the first reply of a round is compared with the last reply of the round
    /// before, so one packet per round still gives a jitter series.
    pub jitter_us: Option<u32>,
}

impl RoundStats {
    /// `rtts_us` are the replies in the order their requests were sent; `previous_us` the last
    /// reply of the target's previous round, if any.
    #[must_use]
    pub fn from_rtts(sent: u16, rtts_us: &[u32], previous_us: Option<u32>) -> Self {
        let received = u16::try_from(rtts_us.len()).unwrap_or(u16::MAX).min(sent);
        if rtts_us.is_empty() {
            return Self { sent, received: 0, ..Self::default() };
        }
        let min = rtts_us.iter().copied().min();
        let max = rtts_us.iter().copied().max();
        let sum: u64 = rtts_us.iter().map(|&r| u64::from(r)).sum();
        let avg = u32::try_from(sum / rtts_us.len() as u64).ok();
        let chain: Vec<u32> = previous_us.into_iter().chain(rtts_us.iter().copied()).collect();
        let jitter = (chain.len() >= 2).then(|| {
            let total: u64 = chain.windows(2).map(|w| u64::from(w[0].abs_diff(w[1]))).sum();
            u32::try_from(total / (chain.len() as u64 - 1)).unwrap_or(u32::MAX)
        });
        Self { sent, received, rtt_min_us: min, rtt_avg_us: avg, rtt_max_us: max, jitter_us: jitter }
    }

    #[must_use]
    pub fn loss_pct(&self) -> f64 {
        loss_pct(u64::from(self.sent), u64::from(self.received))
    }
}

/// Lost share of `sent` in percent; nothing sent is no loss.
#[must_use]
pub fn loss_pct(sent: u64, received: u64) -> f64 {
    if sent == 0 {
        0.0
    } else {
        (sent.saturating_sub(received)) as f64 * 100.0 / sent as f64
    }
}

/// Nearest-rank percentile of sorted values (`p` in 0..=100).
#[must_use]
pub fn percentile(sorted: &[u32], p: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

/// The summary of a target's rounds over a time range, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub rounds: u64,
    pub sent: u64,
    pub received: u64,
    pub loss_pct: f64,
    pub rtt_min_ms: Option<f64>,
    pub rtt_avg_ms: Option<f64>,
    pub rtt_max_ms: Option<f64>,
    /// Of the rounds' average RTTs (the RTT itself with one packet per round).
    pub rtt_p95_ms: Option<f64>,
    pub jitter_ms: Option<f64>,
}

fn ms(us: f64) -> f64 {
    (us / 1000.0 * 1000.0).round() / 1000.0
}

/// Accumulates rounds into a `Summary`.
#[derive(Debug, Clone, Default)]
pub struct SummaryBuilder {
    rounds: u64,
    sent: u64,
    received: u64,
    min: Option<u32>,
    max: Option<u32>,
    rtt_sum: u64,
    rtt_weight: u64,
    averages: Vec<u32>,
    jitter_sum: u64,
    jitter_n: u64,
}

impl SummaryBuilder {
    pub fn add(&mut self, r: &RoundStats) {
        self.rounds += 1;
        self.sent += u64::from(r.sent);
        self.received += u64::from(r.received);
        if let Some(v) = r.rtt_min_us {
            self.min = Some(self.min.map_or(v, |m| m.min(v)));
        }
        if let Some(v) = r.rtt_max_us {
            self.max = Some(self.max.map_or(v, |m| m.max(v)));
        }
        if let Some(v) = r.rtt_avg_us {
            // Weighted by replies, so the average is over packets, not rounds.
            self.rtt_sum += u64::from(v) * u64::from(r.received.max(1));
            self.rtt_weight += u64::from(r.received.max(1));
            self.averages.push(v);
        }
        if let Some(v) = r.jitter_us {
            self.jitter_sum += u64::from(v);
            self.jitter_n += 1;
        }
    }

    #[must_use]
    pub fn finish(mut self) -> Summary {
        self.averages.sort_unstable();
        Summary {
            rounds: self.rounds,
            sent: self.sent,
            received: self.received,
            loss_pct: (loss_pct(self.sent, self.received) * 1000.0).round() / 1000.0,
            rtt_min_ms: self.min.map(|v| ms(f64::from(v))),
            rtt_avg_ms: (self.rtt_weight > 0).then(|| ms(self.rtt_sum as f64 / self.rtt_weight as f64)),
            rtt_max_ms: self.max.map(|v| ms(f64::from(v))),
            rtt_p95_ms: percentile(&self.averages, 95.0).map(|v| ms(f64::from(v))),
            jitter_ms: (self.jitter_n > 0).then(|| ms(self.jitter_sum as f64 / self.jitter_n as f64)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_gives_min_avg_max_and_jitter_against_the_previous_reply() {
        let r = RoundStats::from_rtts(4, &[1_000, 3_000, 2_000], Some(2_000));
        assert_eq!((r.sent, r.received), (4, 3));
        assert_eq!((r.rtt_min_us, r.rtt_avg_us, r.rtt_max_us), (Some(1_000), Some(2_000), Some(3_000)));
        // |2000-1000| + |1000-3000| + |3000-2000| = 4000 over 3 pairs
        assert_eq!(r.jitter_us, Some(1_333));
        assert!((r.loss_pct() - 25.0).abs() < 1e-9);
    }

    #[test]
    fn a_lost_round_has_no_rtt_and_full_loss() {
        let r = RoundStats::from_rtts(3, &[], Some(500));
        assert_eq!(r.received, 0);
        assert_eq!(r.rtt_avg_us, None);
        assert_eq!(r.jitter_us, None);
        assert!((r.loss_pct() - 100.0).abs() < 1e-9);
    }

    #[test]
    fn one_packet_without_history_has_no_jitter() {
        assert_eq!(RoundStats::from_rtts(1, &[700], None).jitter_us, None);
    }

    #[test]
    fn percentile_is_nearest_rank() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&v, 95.0), Some(95));
        assert_eq!(percentile(&v, 100.0), Some(100));
        assert_eq!(percentile(&[7], 95.0), Some(7));
        assert_eq!(percentile(&[], 95.0), None);
    }

    #[test]
    fn summary_weights_rtt_by_replies_and_counts_loss() {
        let mut b = SummaryBuilder::default();
        b.add(&RoundStats::from_rtts(2, &[1_000, 1_000], None));
        b.add(&RoundStats::from_rtts(2, &[4_000], Some(1_000)));
        b.add(&RoundStats::from_rtts(2, &[], Some(4_000)));
        let s = b.finish();
        assert_eq!((s.rounds, s.sent, s.received), (3, 6, 3));
        assert!((s.loss_pct - 50.0).abs() < 1e-9);
        assert_eq!(s.rtt_avg_ms, Some(2.0));
        assert_eq!(s.rtt_min_ms, Some(1.0));
        assert_eq!(s.rtt_max_ms, Some(4.0));
        assert_eq!(s.rtt_p95_ms, Some(4.0));
    }
}
