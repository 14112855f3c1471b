//! Single-use links sent by e-mail: address verification and password reset.

use chrono::{DateTime, Duration, Utc};

/// What a single-use token is for; each has its own lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenPurpose {
    /// Proves the person receives mail at the address they registered.
    EmailVerification,
    /// Lets the person choose a new password.
    PasswordReset,
    /// Lets a person whose account an advisor created choose their first password.
    Invitation,
}

impl TokenPurpose {
    /// The stable code stored in the database.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            TokenPurpose::EmailVerification => "email_verification",
            TokenPurpose::PasswordReset => "password_reset",
            TokenPurpose::Invitation => "invitation",
        }
    }

    /// How long a token stays usable after it is issued. A reset link is a key to the account,
    /// so it lives one hour; a verification link may wait for Monday's mail; an invitation sent
    /// by an advisor waits a week for a busy HR assistant.
    #[must_use]
    pub fn lifetime(self) -> Duration {
        match self {
            TokenPurpose::EmailVerification => Duration::hours(72),
            TokenPurpose::PasswordReset => Duration::hours(1),
            TokenPurpose::Invitation => Duration::days(7),
        }
    }

    /// When a token issued at `issued_at` stops being usable.
    #[must_use]
    pub fn expires_at(self, issued_at: DateTime<Utc>) -> DateTime<Utc> {
        issued_at + self.lifetime()
    }
}

/// Whether a token can still be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// Usable now.
    Valid,
    /// Already used once (or replaced by a newer one).
    Used,
    /// Past its expiry.
    Expired,
}

/// The state of a token that expires at `expires_at` and was consumed at `used_at`, if ever.
#[must_use]
pub fn token_state(expires_at: DateTime<Utc>, used_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> TokenState {
    if used_at.is_some() {
        TokenState::Used
    } else if now >= expires_at {
        TokenState::Expired
    } else {
        TokenState::Valid
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn reset_links_last_one_hour_to_the_second() {
        let issued = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
        let expires = TokenPurpose::PasswordReset.expires_at(issued);
        assert_eq!(token_state(expires, None, issued + Duration::minutes(59)), TokenState::Valid);
        assert_eq!(token_state(expires, None, issued + Duration::hours(1)), TokenState::Expired);
    }

    #[test]
    fn a_used_token_stays_used_even_before_expiry() {
        let issued = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
        let expires = TokenPurpose::EmailVerification.expires_at(issued);
        assert_eq!(token_state(expires, Some(issued), issued), TokenState::Used);
        assert_eq!(expires - issued, Duration::hours(72));
    }
}
