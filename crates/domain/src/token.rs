//! Single-use links sent by e-mail (address verification and password reset), and the lifetime
//! of personal API tokens.

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

/// The validities a person may give an API token, in days. There is no "never": a token
/// forgotten in a script must stop working on its own.
pub const API_TOKEN_DAYS: [u32; 3] = [30, 90, 365];

/// Why an API token cannot be given the validity asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ApiTokenExpiryError {
    /// No validity, or 0 (which used to mean "never").
    #[error(
        "Indiquez la durée de validité du jeton : 30, 90 ou 365 jours. Un jeton sans expiration n’est pas possible."
    )]
    Missing,
    /// A number of days not offered.
    #[error("Choisissez une durée de validité parmi celles proposées : 30, 90 ou 365 jours.")]
    NotOffered,
}

/// When a new API token expires: `asked_days` from `now` (one of [`API_TOKEN_DAYS`]), but never
/// after `caller_expiry`, the expiry of the token the request was made with (`None` when the
/// person is signed in with their password). A leaked token thus cannot make itself immortal by
/// minting successors.
///
/// # Errors
/// [`ApiTokenExpiryError`] when no validity or one not offered is asked for.
pub fn api_token_expiry(
    now: DateTime<Utc>,
    asked_days: Option<u32>,
    caller_expiry: Option<DateTime<Utc>>,
) -> Result<DateTime<Utc>, ApiTokenExpiryError> {
    let days = match asked_days {
        None | Some(0) => return Err(ApiTokenExpiryError::Missing),
        Some(days) if API_TOKEN_DAYS.contains(&days) => days,
        Some(_) => return Err(ApiTokenExpiryError::NotOffered),
    };
    let asked = now + Duration::days(i64::from(days));
    Ok(caller_expiry.map_or(asked, |caller| asked.min(caller)))
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

    #[test]
    fn an_api_token_always_expires_within_the_offered_durations() {
        let now = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
        assert_eq!(api_token_expiry(now, Some(90), None), Ok(now + Duration::days(90)));
        assert_eq!(api_token_expiry(now, Some(365), None), Ok(now + Duration::days(365)));
        assert_eq!(api_token_expiry(now, None, None), Err(ApiTokenExpiryError::Missing));
        assert_eq!(api_token_expiry(now, Some(0), None), Err(ApiTokenExpiryError::Missing));
        assert_eq!(api_token_expiry(now, Some(12), None), Err(ApiTokenExpiryError::NotOffered));
        assert_eq!(api_token_expiry(now, Some(u32::MAX), None), Err(ApiTokenExpiryError::NotOffered));
    }

    #[test]
    fn a_token_made_with_a_token_never_outlives_it() {
        let now = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
        let caller = now + Duration::days(10);
        assert_eq!(api_token_expiry(now, Some(365), Some(caller)), Ok(caller));
        let far = now + Duration::days(400);
        assert_eq!(api_token_expiry(now, Some(30), Some(far)), Ok(now + Duration::days(30)));
        assert_eq!(api_token_expiry(now, None, Some(caller)), Err(ApiTokenExpiryError::Missing));
    }
}
