//! Password hashing with Argon2id, off the async runtime.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use domain::password::Password;

use crate::error::AppError;

/// A digest of a password nobody knows, verified when the account does not exist so that a
/// sign-in with an unknown address takes as long as one with a wrong password.
static DUMMY_HASH: LazyLock<Option<String>> =
    LazyLock::new(|| Argon2::default().hash_password(b"espace-formation: aucun compte").ok().map(|h| h.to_string()));

/// Hashes a password (Argon2id, default parameters: 19 MiB, 2 passes).
///
/// # Errors
/// [`AppError::Internal`] when hashing fails.
pub async fn hash(password: Password) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.expose().as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::internal(format!("argon2: {e}")))
    })
    .await?
}

/// Whether `password` matches `digest`. With no digest (unknown account, or no password set),
/// spends the same time and answers `false`.
///
/// # Errors
/// [`AppError::Internal`] when the blocking task cannot run.
pub async fn verify(password: Password, digest: Option<String>) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let known = digest.is_some();
        let Some(stored) = digest.or_else(|| DUMMY_HASH.clone()) else {
            return false;
        };
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        let matches = Argon2::default().verify_password(password.expose().as_bytes(), &parsed).is_ok();
        known && matches
    })
    .await
    .map_err(AppError::from)
}

/// Computes the dummy digest now, so the first unknown-address sign-in is not slower.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}
