//! The rate limit on the forms anyone may post without being signed in (sign-in, registration,
//! forgotten password, reset): at most `burst` posts per client address within a fixed window.
//!
//! The count lives in the database (one row per address: when its window started and how many
//! posts it saw), so every process of the portal shares it: two web processes behind one proxy
//! admit `burst` posts from an address in all, not `burst` each (SPEC Q5). This module only
//! decides from what the store counted; it reads no clock of its own.
//!
//! A fixed window rather than a token bucket: the store's one atomic statement can reset or
//! increment a counter, and a fixed window needs nothing else. Its known weakness (up to twice
//! the burst across a window's boundary) is acceptable for a first line of defence; sign-in
//! throttling per account, which matters, is [`crate::throttle`].

use chrono::{DateTime, Duration, Utc};

/// At most `burst` posts per address within `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Posts allowed per address and window.
    pub burst: u32,
    /// How long a window lasts from its first post.
    pub window: Duration,
}

impl Default for RateLimit {
    /// Twenty posts a minute: a person who mistypes a password several times is never held,
    /// a script is after a few seconds.
    fn default() -> Self {
        Self { burst: 20, window: Duration::seconds(60) }
    }
}

/// An address's window as the store counted it, the current post included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// When its first post was counted.
    pub start: DateTime<Utc>,
    /// Posts counted in it, this one included.
    pub count: i64,
}

/// Whether a post goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    /// Let it through.
    Allow,
    /// Refuse it; a new window opens in `retry_after_secs` seconds (at least 1).
    Deny {
        /// Whole seconds until the window ends, rounded up (`Retry-After`).
        retry_after_secs: u64,
    },
}

impl RateLimit {
    /// Whether the limit can admit anything (the configuration is checked with it).
    #[must_use]
    pub fn is_usable(&self) -> bool {
        self.burst > 0 && self.window > Duration::zero()
    }

    /// A stored window that started at or before this instant is over: the store starts a new
    /// one at `now` instead of counting in it.
    #[must_use]
    pub fn expired_at_or_before(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.window
    }

    /// Decides on a post made at `now`, given its window as counted.
    #[must_use]
    pub fn decide(&self, window: Window, now: DateTime<Utc>) -> RateDecision {
        if window.count <= i64::from(self.burst) {
            return RateDecision::Allow;
        }
        let left = (window.start + self.window - now).num_milliseconds();
        // Rounded up: a client that waits the advertised time finds the new window open.
        let secs = u64::try_from(left.max(0)).unwrap_or(0).div_ceil(1000);
        RateDecision::Deny { retry_after_secs: secs.max(1) }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use chrono::TimeZone as _;

    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap() + Duration::seconds(secs)
    }

    const LIMIT: RateLimit = RateLimit { burst: 3, window: Duration::seconds(60) };

    #[test]
    fn admits_exactly_the_burst_in_a_window() {
        let start = at(0);
        for count in 1..=3 {
            assert_eq!(LIMIT.decide(Window { start, count }, at(10)), RateDecision::Allow, "post {count}");
        }
        assert_eq!(LIMIT.decide(Window { start, count: 4 }, at(10)), RateDecision::Deny { retry_after_secs: 50 });
        assert!(matches!(LIMIT.decide(Window { start, count: 400 }, at(10)), RateDecision::Deny { .. }));
    }

    #[test]
    fn retry_after_is_rounded_up_and_never_zero() {
        let start = at(0);
        let now = start + Duration::milliseconds(59_001);
        assert_eq!(LIMIT.decide(Window { start, count: 4 }, now), RateDecision::Deny { retry_after_secs: 1 });
        let now = start + Duration::milliseconds(58_999);
        assert_eq!(LIMIT.decide(Window { start, count: 4 }, now), RateDecision::Deny { retry_after_secs: 2 });
        // A clock slightly behind another process's: the window seems over already, still 1 s.
        assert_eq!(LIMIT.decide(Window { start, count: 4 }, at(61)), RateDecision::Deny { retry_after_secs: 1 });
    }

    #[test]
    fn a_window_is_over_a_full_window_after_it_started() {
        assert_eq!(LIMIT.expired_at_or_before(at(100)), at(40));
    }

    #[test]
    fn the_default_is_twenty_a_minute_and_an_empty_limit_is_refused() {
        assert_eq!(RateLimit::default(), RateLimit { burst: 20, window: Duration::seconds(60) });
        assert!(RateLimit::default().is_usable());
        assert!(!RateLimit { burst: 0, ..RateLimit::default() }.is_usable());
        assert!(!RateLimit { window: Duration::zero(), ..RateLimit::default() }.is_usable());
    }
}
