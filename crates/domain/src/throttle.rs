//! Login throttling that slows attackers without locking the real user out.
//!
//! Three counters of recent failed sign-ins are kept: per client address, per account (for
//! clients the account has never signed in from), and per trusted device. A browser that has
//! signed in to an account before carries a device cookie for it; attempts from that browser are
//! judged only on its own failures, so an attacker hammering the account from elsewhere cannot
//! lock its owner out (OWASP's "device cookie" scheme). From an unknown browser the owner can
//! always get back in through the password-reset e-mail, which is not throttled by these counters.

use chrono::{DateTime, Duration, Utc};

/// Limits on failed sign-ins within a sliding window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// The sliding window failures are counted in.
    pub window: Duration,
    /// Failures allowed per account from browsers without its device cookie.
    pub per_account: usize,
    /// Failures allowed per client address, whatever the account.
    pub per_address: usize,
    /// Failures allowed per trusted device.
    pub per_device: usize,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self { window: Duration::minutes(15), per_account: 5, per_address: 30, per_device: 10 }
    }
}

/// Recent failures, newest first, as the store found them (at most the policy's limit of each).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecentFailures {
    /// Failures on this account from browsers without its device cookie.
    pub account: Vec<DateTime<Utc>>,
    /// Failures from this client address.
    pub address: Vec<DateTime<Utc>>,
    /// Failures from this trusted device, when the browser presents a device cookie valid for
    /// the account; `None` for any other browser.
    pub device: Option<Vec<DateTime<Utc>>>,
}

/// Whether a sign-in attempt may be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleDecision {
    /// Check the password.
    Allow,
    /// Refuse without checking, until `retry_at`.
    Deny {
        /// When the oldest counted failure leaves the window.
        retry_at: DateTime<Utc>,
    },
}

impl ThrottlePolicy {
    /// Decides on an attempt made at `now` given the recent failures.
    #[must_use]
    pub fn decide(&self, failures: &RecentFailures, now: DateTime<Utc>) -> ThrottleDecision {
        let checks: Vec<(&[DateTime<Utc>], usize)> = match &failures.device {
            Some(device) => vec![(device, self.per_device)],
            None => vec![(&failures.account, self.per_account), (&failures.address, self.per_address)],
        };
        checks
            .into_iter()
            .filter_map(|(times, limit)| self.blocked_until(times, limit, now))
            .max()
            .map_or(ThrottleDecision::Allow, |retry_at| ThrottleDecision::Deny { retry_at })
    }

    /// When `limit` or more failures fall within the window, the instant the `limit`-th newest
    /// leaves it.
    fn blocked_until(&self, newest_first: &[DateTime<Utc>], limit: usize, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let recent: Vec<_> = newest_first.iter().filter(|at| now - **at < self.window).collect();
        if limit == 0 || recent.len() < limit {
            return None;
        }
        recent.get(limit - 1).map(|at| **at + self.window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap() + Duration::minutes(min)
    }

    fn times(mins: &[i64]) -> Vec<DateTime<Utc>> {
        mins.iter().rev().map(|m| t(*m)).collect()
    }

    #[test]
    fn an_account_is_held_after_five_failures_until_the_fifth_newest_ages_out() {
        let policy = ThrottlePolicy::default();
        let failures = RecentFailures { account: times(&[0, 1, 2, 3]), ..Default::default() };
        assert_eq!(policy.decide(&failures, t(4)), ThrottleDecision::Allow);
        let failures = RecentFailures { account: times(&[0, 1, 2, 3, 4]), ..Default::default() };
        assert_eq!(policy.decide(&failures, t(5)), ThrottleDecision::Deny { retry_at: t(15) });
        assert_eq!(policy.decide(&failures, t(15)), ThrottleDecision::Allow);
    }

    #[test]
    fn the_owner_on_a_trusted_device_is_not_locked_out_by_an_attack() {
        let policy = ThrottlePolicy::default();
        let attacked = RecentFailures { account: times(&[0, 1, 2, 3, 4, 5]), address: vec![], device: Some(vec![]) };
        assert_eq!(policy.decide(&attacked, t(6)), ThrottleDecision::Allow);
        let own_typos = RecentFailures { device: Some(times(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9])), ..attacked };
        assert!(matches!(policy.decide(&own_typos, t(10)), ThrottleDecision::Deny { .. }));
    }

    #[test]
    fn an_address_spraying_many_accounts_is_held() {
        let policy = ThrottlePolicy { per_address: 3, ..ThrottlePolicy::default() };
        let failures = RecentFailures { address: times(&[0, 1, 2]), ..Default::default() };
        assert_eq!(policy.decide(&failures, t(3)), ThrottleDecision::Deny { retry_at: t(15) });
    }

    #[test]
    fn failures_older_than_the_window_do_not_count() {
        let policy = ThrottlePolicy::default();
        let failures = RecentFailures { account: times(&[-60, -50, -40, -30, -20]), ..Default::default() };
        assert_eq!(policy.decide(&failures, t(0)), ThrottleDecision::Allow);
    }
}
