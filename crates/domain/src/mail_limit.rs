//! How many e-mails of one kind a person may receive: however often someone asks for a reset
//! link, registers an address again or triggers a notification, a mailbox is not flooded from
//! the portal (and the portal's sending reputation is not spent on it).

use chrono::Duration;

/// At most `per_kind` messages of one kind to one address within `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailLimit {
    /// Messages of one kind an address may receive per window.
    pub per_kind: u64,
    /// The sliding window they are counted in.
    pub window: Duration,
}

impl Default for MailLimit {
    fn default() -> Self {
        Self { per_kind: 3, window: Duration::hours(1) }
    }
}

impl MailLimit {
    /// Whether one more message may go to an address that was sent `already_queued` of the same
    /// kind within the window.
    #[must_use]
    pub fn allows(&self, already_queued: u64) -> bool {
        already_queued < self.per_kind
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_messages_of_a_kind_per_hour_then_none() {
        let limit = MailLimit::default();
        assert_eq!(limit.window, Duration::hours(1));
        assert!(limit.allows(0) && limit.allows(2));
        assert!(!limit.allows(3) && !limit.allows(10));
    }
}
