//! Rounds at absolute deadlines `start + k * interval`.
//!
//! Deadlines are computed from the start, never from the previous wake-up, so sleep overshoot
//! does not accumulate into drift. When a round's whole slot has passed before we get to it
//! (a stalled runtime, a suspended process) the round is skipped and counted instead of being
//! fired in a burst with the ones after it: a burst would measure our own queue, not the network.

use std::time::Duration;

use tokio::time::Instant;

/// The next round to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    /// Round number, counted from 0 at `start`.
    pub round: u64,
    /// When the round is due.
    pub at: Instant,
    /// Rounds given up since the previous tick because their slot had already passed.
    pub skipped: u64,
}

#[derive(Debug, Clone)]
pub struct Schedule {
    start: Instant,
    interval: Duration,
    next_round: u64,
}

/// The shortest interval accepted; zero would spin.
const MIN_INTERVAL: Duration = Duration::from_millis(1);

impl Schedule {
    #[must_use]
    pub fn new(start: Instant, interval: Duration) -> Self {
        Self { start, interval: interval.max(MIN_INTERVAL), next_round: 0 }
    }

    /// Target `index` of `count` offset by `index / count` of an interval, so that many targets
    /// sharing an interval send evenly spread instead of all at the same instant.
    #[must_use]
    pub fn staggered(start: Instant, interval: Duration, index: usize, count: usize) -> Self {
        let interval = interval.max(MIN_INTERVAL);
        let count = count.max(1) as u128;
        let offset_ns = interval.as_nanos() * (index as u128 % count) / count;
        let offset = Duration::from_nanos(u64::try_from(offset_ns).unwrap_or(u64::MAX));
        Self::new(start + offset, interval)
    }

    #[must_use]
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Deadline of round `k`.
    #[must_use]
    pub fn deadline(&self, round: u64) -> Instant {
        let nanos = self.interval.as_nanos().saturating_mul(u128::from(round));
        self.start + Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// The next round as seen at `now`: rounds whose slot `[deadline, deadline + interval)`
    /// ended before `now` are skipped; the returned round may be due in the past (late but
    /// still inside its slot), which the caller runs at once.
    pub fn next_at(&mut self, now: Instant) -> Tick {
        let mut round = self.next_round;
        let due = self.deadline(round);
        let mut skipped = 0;
        if now > due {
            let behind = (now - due).as_nanos() / self.interval.as_nanos();
            skipped = u64::try_from(behind).unwrap_or(u64::MAX);
            round = round.saturating_add(skipped);
        }
        self.next_round = round.saturating_add(1);
        Tick { round, at: self.deadline(round), skipped }
    }

    /// `next_at(Instant::now())`. Not `Iterator::next`: the answer depends on the clock.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Tick {
        self.next_at(Instant::now())
    }

    /// Waits until the next round is due and returns it. `Tick::at` is the deadline, so
    /// `Instant::now() - at` after this call is the scheduling lateness.
    pub async fn tick(&mut self) -> Tick {
        let tick = self.next();
        tokio::time::sleep_until(tick.at).await;
        tick
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn deadlines_are_absolute_multiples_of_the_interval() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, S);
        // Waking a little late every time does not shift later deadlines.
        for k in 0..5u32 {
            let tick = s.next_at(t0 + S * k + Duration::from_millis(300));
            assert_eq!(tick.round, u64::from(k));
            assert_eq!(tick.at, t0 + S * k);
            assert_eq!(tick.skipped, 0);
        }
    }

    #[test]
    fn early_callers_get_the_next_deadline_in_the_future() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, S);
        assert_eq!(s.next_at(t0 - Duration::from_millis(5)).at, t0);
        assert_eq!(s.next_at(t0).at, t0 + S);
    }

    #[test]
    fn rounds_whose_slot_passed_are_skipped_and_counted_not_bunched() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, S);
        assert_eq!(s.next_at(t0).round, 0);
        // Stalled for 3.5 s after round 0: rounds 1 and 2 are gone, round 3 is still in its slot.
        let tick = s.next_at(t0 + Duration::from_millis(3_500));
        assert_eq!((tick.round, tick.skipped), (3, 2));
        assert_eq!(tick.at, t0 + S * 3);
        // And the one after is back on the grid, not immediately due.
        let tick = s.next_at(t0 + Duration::from_millis(3_501));
        assert_eq!((tick.round, tick.skipped, tick.at), (4, 0, t0 + S * 4));
    }

    #[test]
    fn staggered_offsets_spread_targets_over_one_interval() {
        let t0 = Instant::now();
        let offsets: Vec<Duration> = (0..4).map(|i| Schedule::staggered(t0, S, i, 4).deadline(0) - t0).collect();
        assert_eq!(offsets, [0, 250, 500, 750].map(Duration::from_millis));
        // Index beyond count wraps instead of leaving the interval.
        assert_eq!(Schedule::staggered(t0, S, 5, 4).deadline(0) - t0, Duration::from_millis(250));
    }

    #[test]
    fn a_zero_interval_is_raised_to_the_minimum() {
        let t0 = Instant::now();
        let s = Schedule::new(t0, Duration::ZERO);
        assert_eq!(s.interval(), MIN_INTERVAL);
        assert_eq!(s.deadline(3), t0 + MIN_INTERVAL * 3);
    }

    #[tokio::test]
    async fn tick_sleeps_until_each_deadline() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, Duration::from_millis(20));
        for k in 0..3u32 {
            let tick = s.tick().await;
            assert_eq!(tick.at, t0 + Duration::from_millis(20) * k);
            assert!(Instant::now() >= tick.at);
        }
    }
}
