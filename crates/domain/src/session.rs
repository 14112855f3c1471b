//! How long a signed-in session lives.
//!
//! A session ends after a period without activity (idle) and, whatever the activity, a fixed
//! time after sign-in (absolute), so that a stolen cookie does not live for ever.

use chrono::{DateTime, Duration, Utc};

/// Lifetimes of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Longest time without a request before the session ends.
    pub idle: Duration,
    /// Longest time after sign-in before the session ends.
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    /// Two hours idle suits a case manager's lunch break; twelve hours covers a working day.
    fn default() -> Self {
        Self { idle: Duration::hours(2), absolute: Duration::hours(12) }
    }
}

/// What a session is at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Usable. `touch` says the last-seen time is old enough to be worth rewriting; rewriting it
    /// at most once a minute keeps reads from turning into writes.
    Active {
        /// Whether to record this request as the session's last activity.
        touch: bool,
    },
    /// No request for longer than [`SessionPolicy::idle`].
    IdleExpired,
    /// Signed in longer ago than [`SessionPolicy::absolute`].
    AbsoluteExpired,
}

impl SessionPolicy {
    /// When a session opened at `created_at` ends at the latest.
    #[must_use]
    pub fn absolute_expiry(&self, created_at: DateTime<Utc>) -> DateTime<Utc> {
        created_at + self.absolute
    }

    /// The state of a session opened at `created_at` and last used at `last_seen_at`.
    #[must_use]
    pub fn state(&self, created_at: DateTime<Utc>, last_seen_at: DateTime<Utc>, now: DateTime<Utc>) -> SessionState {
        if now >= self.absolute_expiry(created_at) {
            SessionState::AbsoluteExpired
        } else if now >= last_seen_at + self.idle {
            SessionState::IdleExpired
        } else {
            SessionState::Active { touch: now - last_seen_at >= Duration::minutes(1) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, h, m, 0).unwrap()
    }

    #[test]
    fn idle_and_absolute_limits() {
        let policy = SessionPolicy { idle: Duration::minutes(30), absolute: Duration::hours(8) };
        assert_eq!(policy.state(at(8, 0), at(8, 0), at(8, 0)), SessionState::Active { touch: false });
        assert_eq!(policy.state(at(8, 0), at(8, 0), at(8, 29)), SessionState::Active { touch: true });
        assert_eq!(policy.state(at(8, 0), at(8, 0), at(8, 30)), SessionState::IdleExpired);
        // Busy all day: still ends eight hours after sign-in.
        assert_eq!(policy.state(at(8, 0), at(15, 59), at(16, 0)), SessionState::AbsoluteExpired);
    }
}
