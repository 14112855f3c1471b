//! Where "now" comes from.
//!
//! Rules take the date they are asked about as an argument; only the edges (web handlers, jobs)
//! read a [`Clock`]. Tests and demos use a [`FixedClock`] so that expiry can be shown without
//! waiting.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Duration, DurationRound, TimeDelta, Utc};

/// A source of the current instant, truncated to microseconds so that what is stored in either
/// database compares equal to what was computed.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// Truncates an instant to the microsecond, the precision both databases keep.
#[must_use]
pub fn to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(at)
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        to_micros(Utc::now())
    }
}

/// A clock that stands still until told to move; shared between clones.
#[derive(Debug, Clone)]
pub struct FixedClock(Arc<RwLock<DateTime<Utc>>>);

impl FixedClock {
    /// A clock showing `at`.
    #[must_use]
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Arc::new(RwLock::new(to_micros(at))))
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut guard = self.0.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        *guard += by;
    }

    /// Sets the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        let mut guard = self.0.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        *guard = to_micros(at);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The machine's clock shifted by a fixed offset: time goes on, from another starting point. Set
/// for demonstrations and acceptance tests (`ESPACE_NOW`), never in production.
#[derive(Debug, Clone, Copy)]
pub struct ShiftedClock {
    offset: Duration,
}

impl ShiftedClock {
    /// A clock that shows `at` now and moves on from there.
    #[must_use]
    pub fn starting_at(at: DateTime<Utc>) -> Self {
        Self { offset: at - Utc::now() }
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        to_micros(Utc::now() + self.offset)
    }
}

/// The calendar day in Paris of an instant: the day rules are judged on.
#[must_use]
pub fn paris_day(at: DateTime<Utc>) -> chrono::NaiveDate {
    at.with_timezone(&chrono_tz::Europe::Paris).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn fixed_clock_moves_only_when_told_and_clones_share_it() {
        let start = Utc.with_ymd_and_hms(2026, 1, 2, 8, 0, 0).unwrap();
        let clock = FixedClock::new(start);
        let other = clock.clone();
        assert_eq!(clock.now(), start);
        other.advance(Duration::hours(2));
        assert_eq!(clock.now(), start + Duration::hours(2));
    }

    #[test]
    fn the_rules_day_is_the_paris_day() {
        // 23:30 UTC on 9 January is 00:30 on the 10th in Paris.
        let late = Utc.with_ymd_and_hms(2026, 1, 9, 23, 30, 0).unwrap();
        assert_eq!(paris_day(late), chrono::NaiveDate::from_ymd_opt(2026, 1, 10).unwrap());
        let shifted = ShiftedClock::starting_at(late);
        assert!((shifted.now() - late).num_seconds().abs() < 5);
    }

    #[test]
    fn system_clock_has_no_sub_microsecond_part() {
        let now = SystemClock.now();
        assert_eq!(now.timestamp_subsec_nanos() % 1_000, 0);
    }
}
