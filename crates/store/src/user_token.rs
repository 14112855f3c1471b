//! Single-use tokens sent by e-mail (address verification, password reset).

use chrono::{DateTime, Utc};
use domain::token::TokenPurpose;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::entity::user_token::{ActiveModel, Column, Entity, Model};
use crate::secret::{self, Secret};

/// A token row.
pub type UserToken = Model;

/// The kind of the job that answers a forgotten-password request: the page only queues it, so
/// that it answers known and unknown addresses after the same work.
pub const RESET_REQUEST_JOB: &str = "password.reset_request";

/// A forgotten-password request as queued: the address typed and where the request came from,
/// for the audit journal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResetRequest {
    /// The address typed (valid, maybe unknown).
    pub email: String,
    /// The client's address.
    pub ip: String,
    /// The request id found in the logs.
    pub request_id: String,
}

impl ResetRequest {
    /// As a job payload.
    #[must_use]
    pub fn to_payload(&self) -> serde_json::Value {
        serde_json::json!({ "email": self.email, "ip": self.ip, "request_id": self.request_id })
    }

    /// Read back from a job payload.
    ///
    /// # Errors
    /// When the payload is not a request.
    pub fn from_payload(payload: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(payload)
    }
}

/// Why a token could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// No randomness available.
    #[error("no randomness: {0}")]
    Random(getrandom::Error),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Issues a token for `purpose`, retiring the person's earlier unused ones for the same purpose:
/// only the newest link works.
///
/// # Errors
/// [`IssueError`].
pub async fn issue(
    conn: &impl ConnectionTrait,
    user_id: i64,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> Result<Secret, IssueError> {
    Entity::update_many()
        .col_expr(Column::UsedAt, now.into())
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Purpose.eq(purpose.code()))
        .filter(Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    let secret = secret::draw("").map_err(IssueError::Random)?;
    ActiveModel {
        user_id: Set(user_id),
        purpose: Set(purpose.code().to_owned()),
        token_hash: Set(secret.digest.clone()),
        created_at: Set(now),
        expires_at: Set(purpose.expires_at(now)),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(secret)
}

/// The token a link carries, if it exists for one of these purposes.
///
/// # Errors
/// The driver's error.
pub async fn find_any(
    conn: &impl ConnectionTrait,
    plain: &str,
    purposes: &[TokenPurpose],
) -> Result<Option<UserToken>, DbErr> {
    Entity::find()
        .filter(Column::TokenHash.eq(secret::digest(plain)))
        .filter(Column::Purpose.is_in(purposes.iter().map(|p| p.code())))
        .one(conn)
        .await
}

/// The token a link carries, if it exists for this purpose.
///
/// # Errors
/// The driver's error.
pub async fn find(conn: &impl ConnectionTrait, plain: &str, purpose: TokenPurpose) -> Result<Option<UserToken>, DbErr> {
    Entity::find()
        .filter(Column::TokenHash.eq(secret::digest(plain)))
        .filter(Column::Purpose.eq(purpose.code()))
        .one(conn)
        .await
}

/// Marks a token used. Returns `false` when it was already used: of two simultaneous uses,
/// exactly one wins.
///
/// # Errors
/// The driver's error.
pub async fn consume(conn: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let result = Entity::update_many()
        .col_expr(Column::UsedAt, now.into())
        .filter(Column::Id.eq(id))
        .filter(Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}
