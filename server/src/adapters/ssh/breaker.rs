//! Circuit breaker per device: after N consecutive failed opens, fail fast until a cooldown has
//! passed, then let exactly one trial through (half-open).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What the breaker of one device would do with the next open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Opens go through.
    Closed,
    /// Opens fail fast for `retry_after` more.
    Open { retry_after: Duration },
    /// Cooldown over: the next open is a trial that closes or re-opens the breaker.
    HalfOpen,
}

#[derive(Debug, Default)]
struct Entry {
    consecutive_failures: u32,
    opened_at: Option<Instant>,
    trial_in_flight: bool,
}

#[derive(Debug)]
pub(crate) struct Breakers {
    threshold: u32,
    cooldown: Duration,
    devices: Mutex<HashMap<String, Entry>>,
}

/// Permission to try a device; returned by [`Breakers::admit`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    Go,
    Refused { retry_after: Duration },
}

impl Breakers {
    pub(crate) fn new(threshold: u32, cooldown: Duration) -> Self {
        Self { threshold: threshold.max(1), cooldown, devices: Mutex::new(HashMap::new()) }
    }

    fn with<R>(&self, f: impl FnOnce(&mut HashMap<String, Entry>) -> R) -> R {
        // A poisoned lock only means another thread panicked mid-update of plain counters.
        let mut guard = self.devices.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    pub(crate) fn state(&self, device_id: &str, now: Instant) -> BreakerState {
        self.with(|devices| devices.get(device_id).map_or(BreakerState::Closed, |e| self.state_of(e, now)))
    }

    fn state_of(&self, entry: &Entry, now: Instant) -> BreakerState {
        match entry.opened_at {
            None => BreakerState::Closed,
            Some(at) => {
                let elapsed = now.saturating_duration_since(at);
                if elapsed < self.cooldown {
                    BreakerState::Open { retry_after: self.cooldown - elapsed }
                } else {
                    BreakerState::HalfOpen
                }
            }
        }
    }

    pub(crate) fn admit(&self, device_id: &str, now: Instant) -> Admission {
        self.with(|devices| {
            let Some(entry) = devices.get_mut(device_id) else { return Admission::Go };
            match self.state_of(entry, now) {
                BreakerState::Closed => Admission::Go,
                BreakerState::Open { retry_after } => Admission::Refused { retry_after },
                BreakerState::HalfOpen if entry.trial_in_flight => {
                    // Another caller is running the trial; it decides for everyone.
                    Admission::Refused { retry_after: Duration::from_millis(100) }
                }
                BreakerState::HalfOpen => {
                    entry.trial_in_flight = true;
                    Admission::Go
                }
            }
        })
    }

    pub(crate) fn record_success(&self, device_id: &str) {
        self.with(|devices| {
            devices.remove(device_id);
        });
    }

    /// Ends a trial that was abandoned (caller dropped) without counting it either way.
    pub(crate) fn release_trial(&self, device_id: &str) {
        self.with(|devices| {
            if let Some(entry) = devices.get_mut(device_id) {
                entry.trial_in_flight = false;
            }
        });
    }

    pub(crate) fn record_failure(&self, device_id: &str, now: Instant) {
        self.with(|devices| {
            let entry = devices.entry(device_id.to_owned()).or_default();
            entry.consecutive_failures = entry.consecutive_failures.saturating_add(1);
            if entry.trial_in_flight || entry.consecutive_failures >= self.threshold {
                entry.opened_at = Some(now);
            }
            entry.trial_in_flight = false;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_threshold_then_half_opens_after_cooldown() {
        let b = Breakers::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..2 {
            b.record_failure("r1", t0);
        }
        assert_eq!(b.state("r1", t0), BreakerState::Closed);
        assert_eq!(b.admit("r1", t0), Admission::Go);
        b.record_failure("r1", t0);
        assert_eq!(
            b.state("r1", t0 + Duration::from_secs(10)),
            BreakerState::Open { retry_after: Duration::from_secs(50) }
        );
        assert!(matches!(b.admit("r1", t0 + Duration::from_secs(10)), Admission::Refused { .. }));
        // Other devices are unaffected.
        assert_eq!(b.admit("r2", t0), Admission::Go);

        let later = t0 + Duration::from_secs(61);
        assert_eq!(b.state("r1", later), BreakerState::HalfOpen);
        assert_eq!(b.admit("r1", later), Admission::Go);
        // Only one trial at a time.
        assert!(matches!(b.admit("r1", later), Admission::Refused { .. }));
        // A failed trial re-opens at once, without needing N more failures.
        b.record_failure("r1", later);
        assert!(matches!(b.state("r1", later), BreakerState::Open { .. }));

        let much_later = later + Duration::from_secs(61);
        assert_eq!(b.admit("r1", much_later), Admission::Go);
        b.record_success("r1");
        assert_eq!(b.state("r1", much_later), BreakerState::Closed);
    }

    #[test]
    fn success_resets_the_count() {
        let b = Breakers::new(2, Duration::from_secs(1));
        let t0 = Instant::now();
        b.record_failure("r1", t0);
        b.record_success("r1");
        b.record_failure("r1", t0);
        assert_eq!(b.state("r1", t0), BreakerState::Closed);
    }
}
