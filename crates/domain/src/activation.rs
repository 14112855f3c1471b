//! Activation codes sent by post to a company's head office (SPEC A4).
//!
//! A code is 12 characters of Crockford's base 32 (60 bits), printed in three groups of four
//! (`K7QM-4XPA-93TF`). People retype it from paper, so reading is forgiving: case, spaces and
//! dashes are ignored, and the letters O, I and L read as the digits 0, 1 and 1.

use chrono::{DateTime, Duration, Utc};

/// The alphabet: digits and letters without I, L, O, U.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in a code.
pub const CODE_LEN: usize = 12;

/// How long codes live and how many wrong tries are allowed.
///
/// Holds are per person only: a count per company, whoever typed, would let a handful of
/// throwaway accounts lock the real letter holder out. With 60-bit codes, ten guesses a day per
/// account cannot find one, so nothing is gained by holding everyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivationPolicy {
    /// Validity of a code from the day its letter is prepared.
    pub validity: Duration,
    /// Wrong codes a person may enter for one company per window.
    pub attempts_per_user_and_company: usize,
    /// Wrong codes a person may enter per window, all companies together.
    pub attempts_per_user: usize,
    /// The window attempts are counted in.
    pub window: Duration,
}

impl Default for ActivationPolicy {
    fn default() -> Self {
        Self {
            validity: Duration::days(60),
            attempts_per_user_and_company: 5,
            attempts_per_user: 10,
            window: Duration::hours(24),
        }
    }
}

/// A person's wrong codes within the policy's window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OwnFailures {
    /// Wrong codes this person entered for the company they are trying now.
    pub on_company: u64,
    /// Wrong codes this person entered, whatever the company.
    pub in_all: u64,
}

impl ActivationPolicy {
    /// Whether a person with these recent failures must wait before trying another code.
    /// Only the person's own failures count: others' cannot hold them.
    #[must_use]
    pub fn holds(&self, own: OwnFailures) -> bool {
        let reached = |count: u64, limit: usize| usize::try_from(count).unwrap_or(usize::MAX) >= limit;
        reached(own.on_company, self.attempts_per_user_and_company) || reached(own.in_all, self.attempts_per_user)
    }
}

/// Turns 60 random bits (the low bits of `random`) into a code.
#[must_use]
pub fn code_from_bits(random: u64) -> String {
    (0..CODE_LEN)
        .map(|i| {
            let index = (random >> (5 * (CODE_LEN - 1 - i))) & 0x1f;
            char::from(ALPHABET[usize::try_from(index).unwrap_or(0)])
        })
        .collect()
}

/// The code as printed: `K7QM-4XPA-93TF`.
#[must_use]
pub fn printed(code: &str) -> String {
    code.as_bytes().chunks(4).map(|chunk| String::from_utf8_lossy(chunk).into_owned()).collect::<Vec<_>>().join("-")
}

/// Why what was typed cannot be a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeInputError {
    /// Nothing typed.
    #[error("Saisissez le code d’activation reçu par courrier.")]
    Empty,
    /// Not 12 characters of the alphabet.
    #[error("Le code d’activation comporte 12 caractères (lettres et chiffres), par exemple K7QM-4XPA-93TF.")]
    Malformed,
}

/// Normalises what a person typed into the canonical code, forgiving case, spaces, dashes and
/// the usual confusions (O→0, I/L→1).
///
/// # Errors
/// [`CodeInputError`] when it cannot be a code.
pub fn normalise(typed: &str) -> Result<String, CodeInputError> {
    let cleaned: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '.')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    if cleaned.is_empty() {
        return Err(CodeInputError::Empty);
    }
    if cleaned.chars().count() != CODE_LEN || !cleaned.bytes().all(|b| ALPHABET.contains(&b)) {
        return Err(CodeInputError::Malformed);
    }
    Ok(cleaned)
}

/// Why a code does not work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeRejection {
    /// No such code for this company (or replaced by a newer letter).
    #[error("Ce code ne correspond pas à l’entreprise indiquée, ou il a été remplacé par un courrier plus récent.")]
    Unknown,
    /// Used once already.
    #[error("Ce code a déjà été utilisé. Demandez à l’administrateur de votre entreprise de vous rattacher.")]
    Used,
    /// Past its validity.
    #[error("Ce code a expiré. Demandez un nouveau courrier à votre conseiller.")]
    Expired,
}

/// Whether a code found for the company can be used at `now`.
///
/// # Errors
/// [`CodeRejection`].
pub fn check_code(
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), CodeRejection> {
    if used_at.is_some() {
        Err(CodeRejection::Used)
    } else if revoked_at.is_some() {
        Err(CodeRejection::Unknown)
    } else if now >= expires_at {
        Err(CodeRejection::Expired)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    #[test]
    fn codes_print_in_three_groups_and_read_back_forgivingly() {
        let code = code_from_bits(0x0fed_cba9_8765_4321);
        assert_eq!(code.len(), 12);
        let shown = printed(&code);
        assert_eq!(shown.len(), 14);
        assert_eq!(normalise(&shown.to_lowercase()), Ok(code.clone()));
        assert_eq!(normalise(&format!("  {} ", shown.replace('-', " "))), Ok(code));
        assert_eq!(normalise("K7QM-4XPA-93TO"), Ok("K7QM4XPA93T0".to_owned()));
        assert_eq!(normalise("ilIL-0000-0000"), Ok("111100000000".to_owned()));
        assert_eq!(normalise(""), Err(CodeInputError::Empty));
        assert_eq!(normalise("K7QM-4XPA"), Err(CodeInputError::Malformed));
        assert_eq!(normalise("K7QM-4XPA-93U!"), Err(CodeInputError::Malformed));
    }

    #[test]
    fn a_code_works_once_until_it_expires() {
        let issued = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
        let expires = issued + ActivationPolicy::default().validity;
        assert_eq!(check_code(expires, None, None, issued), Ok(()));
        assert_eq!(check_code(expires, None, None, expires - Duration::seconds(1)), Ok(()));
        assert_eq!(check_code(expires, None, None, expires), Err(CodeRejection::Expired));
        assert_eq!(check_code(expires, Some(issued), None, issued), Err(CodeRejection::Used));
        assert_eq!(check_code(expires, None, Some(issued), issued), Err(CodeRejection::Unknown));
    }

    #[test]
    fn a_person_is_held_by_their_own_failures_only() {
        let policy = ActivationPolicy::default();
        assert!(!policy.holds(OwnFailures::default()));
        assert!(!policy.holds(OwnFailures { on_company: 4, in_all: 9 }));
        assert!(policy.holds(OwnFailures { on_company: 5, in_all: 5 }));
        assert!(policy.holds(OwnFailures { on_company: 0, in_all: 10 }));
    }

    proptest! {
        #[test]
        fn every_60_bit_value_gives_a_valid_code(bits in 0u64..(1 << 60)) {
            let code = code_from_bits(bits);
            prop_assert_eq!(normalise(&printed(&code)), Ok(code));
        }
    }
}
