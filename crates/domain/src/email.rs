//! E-mail addresses as identities.
//!
//! An address is trimmed and lower-cased once, here, so that `Marie.Dupont@Exemple.FR` and
//! `marie.dupont@exemple.fr` are the same person everywhere: at registration, at login, and when
//! legacy accounts are matched.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why an e-mail address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Nothing was entered.
    #[error("Saisissez votre adresse e-mail.")]
    Empty,
    /// Longer than an address can be (RFC 5321: 254 characters).
    #[error("L’adresse e-mail est trop longue (254 caractères au plus).")]
    TooLong,
    /// Not of the form `nom@domaine.fr`.
    #[error("L’adresse e-mail n’est pas valide ; elle doit être de la forme nom@domaine.fr.")]
    Invalid,
}

/// A normalised e-mail address (trimmed, lower-case), valid per RFC 5322 with a dotted domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses and normalises what a person typed.
    ///
    /// # Errors
    /// [`EmailError`] when the input is empty, too long or not an address.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        if trimmed.chars().count() > 254 {
            return Err(EmailError::TooLong);
        }
        let normalised = trimmed.to_lowercase();
        let parsed = email_address::EmailAddress::from_str(&normalised).map_err(|_| EmailError::Invalid)?;
        // Quoted local parts and address literals are legal but never used by real mailboxes here;
        // refusing them keeps the identity simple to compare and to print.
        let domain = parsed.domain();
        let local = parsed.local_part();
        let plain_domain = domain.contains('.')
            && !domain.starts_with('[')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if !plain_domain || local.starts_with('"') || normalised.chars().any(char::is_whitespace) {
            return Err(EmailError::Invalid);
        }
        Ok(Self(normalised))
    }

    /// The normalised address.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The domain part, after the `@`.
    #[must_use]
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = EmailError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalises_case_and_spaces() {
        let email = Email::parse("  Marie.Dupont@Exemple.FR ").unwrap();
        assert_eq!(email.as_str(), "marie.dupont@exemple.fr");
        assert_eq!(email.domain(), "exemple.fr");
    }

    #[test]
    fn accepts_usual_addresses() {
        for ok in ["a@b.fr", "prenom.nom+rh@interim-ouest.com", "x_y-z@sous.domaine.gouv.fr"] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        assert_eq!(Email::parse("   "), Err(EmailError::Empty));
        for bad in [
            "marie",
            "marie@",
            "@exemple.fr",
            "marie@exemple",
            "marie dupont@exemple.fr",
            "marie@exemple..fr",
            "marie@[127.0.0.1]",
            "\"m d\"@exemple.fr",
            "marie@@exemple.fr",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError::Invalid), "{bad}");
        }
        let long = format!("{}@exemple.fr", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    }

    proptest! {
        #[test]
        fn parsing_is_idempotent_and_case_insensitive(local in "[a-zA-Z0-9._-]{1,20}", domain in "[a-zA-Z0-9-]{1,15}\\.(fr|com|org)") {
            let input = format!("{local}@{domain}");
            if let Ok(email) = Email::parse(&input) {
                prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email.clone());
                prop_assert_eq!(Email::parse(&input.to_uppercase()).unwrap(), email);
            }
        }
    }
}
