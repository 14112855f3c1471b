//! Random secrets handed to people (links, cookies, API tokens) and how they are kept.
//!
//! Only a SHA-256 digest of each secret is stored: a copy of the database does not give access to
//! a session, a reset link or an API token. The secrets carry 256 bits of entropy, so a plain
//! digest (no salt, no slow hash) is enough and lets us look them up by digest.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// A freshly drawn secret: the text to hand out once, and the digest to store.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    /// What the person receives (URL- and cookie-safe).
    pub plain: String,
    /// What the database keeps.
    pub digest: String,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secret").field("digest", &self.digest).finish_non_exhaustive()
    }
}

/// Draws a new secret with the given prefix (e.g. `efp_` for API tokens, so leaked tokens are
/// recognisable by secret scanners).
///
/// # Errors
/// When the operating system cannot provide randomness.
pub fn draw(prefix: &str) -> Result<Secret, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let plain = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes));
    let digest = digest(&plain);
    Ok(Secret { plain, digest })
}

/// 64 random bits, for codes people retype (activation codes use 60 of them).
///
/// # Errors
/// When the operating system cannot provide randomness.
pub fn random_u64() -> Result<u64, getrandom::Error> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)?;
    Ok(u64::from_le_bytes(bytes))
}

/// The digest under which a secret is stored.
#[must_use]
pub fn digest(plain: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(plain.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_unique_and_stored_only_as_digest() {
        let a = draw("efp_").unwrap();
        let b = draw("efp_").unwrap();
        assert_ne!(a.plain, b.plain);
        assert!(a.plain.starts_with("efp_") && a.plain.len() == 4 + 43);
        assert_eq!(digest(&a.plain), a.digest);
        assert!(!format!("{a:?}").contains(&a.plain));
    }
}
