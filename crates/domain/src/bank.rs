//! Bank details change slowly (SPEC Q3): a new account of a company takes effect only after a
//! waiting period, during which the company's administrators and its advisor are told and any
//! administrator can cancel it. This is the defence against « fraude au RIB »: an account taken
//! over (or an administrator added behind the company's back) cannot divert the next payment.
//!
//! The first account of a company that has none takes effect at once when nothing could be
//! diverted: no invoice of the company is waiting to be paid. Otherwise it waits like any change.
//!
//! Which account is in force is a function of the registered accounts and an instant, so that a
//! payment run right at the end of the waiting period pays the right account whether or not the
//! change has been recorded as applied yet.

use chrono::{DateTime, Duration, Utc};

/// The default waiting period before a new account takes effect: 72 hours.
pub const DEFAULT_DELAY_HOURS: u32 = 72;

/// When an account requested at `requested_at` takes effect.
///
/// At once when the company has no account in force and no invoice waiting to be paid (nothing
/// to divert); after `delay` otherwise.
#[must_use]
pub fn takes_effect(
    requested_at: DateTime<Utc>,
    delay: Duration,
    has_account_in_force: bool,
    invoices_awaiting_payment: bool,
) -> DateTime<Utc> {
    if has_account_in_force || invoices_awaiting_payment { requested_at + delay } else { requested_at }
}

/// A registered account of a company (or a change asked for), not cancelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered<T> {
    /// Its id, the order in which it was asked for.
    pub id: i64,
    /// When it takes (or took) effect.
    pub effective_at: DateTime<Utc>,
    /// The account itself.
    pub account: T,
}

/// The accounts of a company at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing<T> {
    /// The account payments go to: the latest to have taken effect.
    pub current: Option<Registered<T>>,
    /// The change waiting for its date, the latest asked for.
    pub pending: Option<Registered<T>>,
}

impl<T> Default for Standing<T> {
    fn default() -> Self {
        Self { current: None, pending: None }
    }
}

/// The account in force at `at` and the change still pending then, from the company's
/// registered accounts that were not cancelled (in any order). An account takes effect at its
/// date exactly: at `effective_at` it is in force.
#[must_use]
pub fn standing<T>(accounts: Vec<Registered<T>>, at: DateTime<Utc>) -> Standing<T> {
    let mut out = Standing::default();
    for account in accounts {
        if account.effective_at <= at {
            let newer = out
                .current
                .as_ref()
                .is_none_or(|c: &Registered<T>| (account.effective_at, account.id) > (c.effective_at, c.id));
            if newer {
                out.current = Some(account);
            }
        } else if out.pending.as_ref().is_none_or(|p: &Registered<T>| account.id > p.id) {
            out.pending = Some(account);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, h, 0, 0).unwrap()
    }

    fn reg(id: i64, effective_at: DateTime<Utc>, name: &'static str) -> Registered<&'static str> {
        Registered { id, effective_at, account: name }
    }

    #[test]
    fn a_change_waits_unless_it_is_the_first_account_with_nothing_to_pay() {
        let delay = Duration::hours(i64::from(DEFAULT_DELAY_HOURS));
        assert_eq!(takes_effect(at(8), delay, true, false), at(8) + Duration::hours(72));
        assert_eq!(takes_effect(at(8), delay, true, true), at(8) + Duration::hours(72));
        assert_eq!(takes_effect(at(8), delay, false, true), at(8) + Duration::hours(72), "invoices could be diverted");
        assert_eq!(takes_effect(at(8), delay, false, false), at(8), "nothing to divert");
    }

    #[test]
    fn the_account_in_force_changes_exactly_at_the_date_of_the_change() {
        let change = at(8) + Duration::hours(72);
        let accounts = || vec![reg(2, change, "new"), reg(1, at(7), "old")];
        let before = standing(accounts(), change - Duration::microseconds(1));
        assert_eq!(before.current.map(|c| c.account), Some("old"));
        assert_eq!(before.pending.map(|p| p.account), Some("new"));
        let boundary = standing(accounts(), change);
        assert_eq!(boundary.current.map(|c| c.account), Some("new"), "in force at its date exactly");
        assert_eq!(boundary.pending, None);
        let later = standing(accounts(), change + Duration::days(30));
        assert_eq!(later.current.map(|c| c.account), Some("new"));
    }

    #[test]
    fn without_any_account_nothing_is_in_force_and_the_latest_request_is_pending() {
        assert_eq!(standing::<&str>(vec![], at(8)), Standing::default());
        let s = standing(vec![reg(3, at(20), "third"), reg(2, at(18), "second")], at(8));
        assert_eq!(s.current, None);
        assert_eq!(s.pending.map(|p| p.account), Some("third"));
        // Two accounts taking effect at the same instant: the one asked for last wins.
        let s = standing(vec![reg(4, at(7), "a"), reg(5, at(7), "b"), reg(1, at(6), "c")], at(8));
        assert_eq!(s.current.map(|c| c.account), Some("b"));
    }
}
