//! The password policy.
//!
//! Length rules follow NIST SP 800-63B: at least 12 characters, up to 128 so that passphrases fit,
//! no composition rules, and common or guessable passwords refused. Guessability is estimated by
//! zxcvbn against its dictionaries plus French words and the person's own details, which an
//! attacker would try first.

use std::fmt;

/// Fewest characters a password may have.
pub const MIN_CHARS: usize = 12;
/// Most characters a password may have (hashing cost stays bounded).
pub const MAX_CHARS: usize = 128;

/// Words an attacker tries first against a French portal, beyond zxcvbn's English lists.
const FRENCH_CONTEXT: &[&str] = &[
    "motdepasse",
    "mot de passe",
    "azerty",
    "azertyuiop",
    "bonjour",
    "soleil",
    "formation",
    "espace",
    "espaceformation",
    "opco",
    "akto",
    "interim",
    "intérim",
    "entreprise",
    "france",
    "paris",
    "marseille",
    "lyon",
    "toulouse",
    "chouchou",
    "doudou",
    "loulou",
    "jetaime",
    "nicolas",
    "julien",
    "camille",
    "marie",
    "password",
    "janvier",
    "fevrier",
    "février",
];

/// Why a new password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Nothing was entered.
    #[error("Saisissez un mot de passe.")]
    Empty,
    /// Shorter than [`MIN_CHARS`].
    #[error("Le mot de passe doit contenir au moins {MIN_CHARS} caractères.")]
    TooShort,
    /// Longer than [`MAX_CHARS`].
    #[error("Le mot de passe doit contenir au plus {MAX_CHARS} caractères.")]
    TooLong,
    /// Found in a list of common passwords, or built from the person's details.
    #[error(
        "Ce mot de passe est trop courant ou trop facile à deviner. Choisissez par exemple \
         plusieurs mots sans lien entre eux."
    )]
    TooCommon,
}

/// A password as typed, which never shows itself in logs or debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps what was typed, unchanged: spaces are significant in a passphrase.
    #[must_use]
    pub fn new(typed: impl Into<String>) -> Self {
        Self(typed.into())
    }

    /// The password itself, for hashing or verifying only.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether nothing was typed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// Checks a new password against the policy.
///
/// `personal` holds what an attacker knows of the person (e-mail, names): a password built from
/// it is refused.
///
/// # Errors
/// The first rule the password breaks, as a [`PasswordError`].
pub fn check_new_password(password: &Password, personal: &[&str]) -> Result<(), PasswordError> {
    let typed = password.expose();
    let chars = typed.chars().count();
    if chars == 0 {
        return Err(PasswordError::Empty);
    }
    if chars < MIN_CHARS {
        return Err(PasswordError::TooShort);
    }
    if chars > MAX_CHARS {
        return Err(PasswordError::TooLong);
    }
    let mut context: Vec<String> = FRENCH_CONTEXT.iter().map(|w| (*w).to_owned()).collect();
    for item in personal {
        context.push((*item).to_owned());
        // An e-mail's local part, its pieces and the pieces run together are the first guesses.
        if let Some((local, domain)) = item.split_once('@') {
            let pieces: Vec<&str> = local.split(['.', '-', '_', '+']).collect();
            context.push(local.to_owned());
            context.push(pieces.concat());
            context.extend(pieces.iter().map(|p| (*p).to_owned()));
            let name = domain.rsplit_once('.').map_or(domain, |(name, _tld)| name);
            context.push(name.replace(['.', '-'], ""));
            context.extend(domain.split(['.', '-']).map(str::to_owned));
        }
    }
    context.retain(|word| word.chars().count() >= 3);
    let words: Vec<&str> = context.iter().map(String::as_str).collect();
    let estimate = zxcvbn::zxcvbn(typed, &words);
    if (estimate.score() as u8) < 3 {
        return Err(PasswordError::TooCommon);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(p: &str) -> Result<(), PasswordError> {
        check_new_password(&Password::new(p), &["marie.dupont@interim-ouest.fr", "Marie", "Dupont"])
    }

    #[test]
    fn length_bounds_count_characters_not_bytes() {
        assert_eq!(check(""), Err(PasswordError::Empty));
        assert_eq!(check("Ab3$efgh9jk"), Err(PasswordError::TooShort));
        // Twelve accented characters are twelve characters, though more bytes.
        assert_ne!(check("éèàùâêîôûçëï"), Err(PasswordError::TooShort));
        assert_eq!(check(&"x".repeat(129)), Err(PasswordError::TooLong));
    }

    #[test]
    fn common_and_personal_passwords_are_refused() {
        for weak in [
            "motdepasse123",
            "azertyuiop123",
            "password1234",
            "123456789012",
            "aaaaaaaaaaaa",
            "mariedupont2026",
            "interimouest1",
            "Formation2026",
        ] {
            assert_eq!(check(weak), Err(PasswordError::TooCommon), "{weak}");
        }
    }

    #[test]
    fn long_unrelated_passphrases_are_accepted() {
        for strong in ["cheval agrafe batterie correcte", "Tulipe-Orage-Piano-42", "vK9#qLm2!xR7@tW"] {
            assert_eq!(check(strong), Ok(()), "{strong}");
        }
        assert_eq!(check(&"Tulipe orage piano ".repeat(7)[..128]), Ok(()));
    }

    #[test]
    fn debug_never_shows_the_password() {
        let shown = format!("{:?}", Password::new("secret-phrase-123"));
        assert!(!shown.contains("secret"));
    }
}
