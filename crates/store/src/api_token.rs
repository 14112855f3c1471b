//! Personal API tokens: bearer credentials a person creates for scripts, shown once.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder,
};

use crate::entity::api_token::{ActiveModel, Column, Entity, Model};
use crate::secret::{self, Secret};

/// An API token row (never holds the token itself).
pub type ApiToken = Model;

/// The prefix of every token, so that a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "efp_";

/// Creates a token; the returned secret is the only time its text exists outside the client.
///
/// # Errors
/// The driver's error, or no randomness.
pub async fn create(
    conn: &impl ConnectionTrait,
    user_id: i64,
    name: &str,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(ApiToken, Secret), DbErr> {
    let secret = secret::draw(TOKEN_PREFIX).map_err(|e| DbErr::Custom(format!("no randomness: {e}")))?;
    let row = ActiveModel {
        user_id: Set(user_id),
        name: Set(name.to_owned()),
        token_hash: Set(secret.digest.clone()),
        prefix: Set(secret.plain.chars().take(TOKEN_PREFIX.len() + 6).collect()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok((row, secret))
}

/// A person's tokens, newest first, revoked ones included (marked).
///
/// # Errors
/// The driver's error.
pub async fn list_for_user(conn: &impl ConnectionTrait, user_id: i64) -> Result<Vec<ApiToken>, DbErr> {
    Entity::find()
        .filter(Column::UserId.eq(user_id))
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id)
        .all(conn)
        .await
}

/// Revokes one of a person's own tokens; returns whether a live token was revoked.
///
/// # Errors
/// The driver's error.
pub async fn revoke_own(conn: &impl ConnectionTrait, user_id: i64, id: i64, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let result = Entity::update_many()
        .col_expr(Column::RevokedAt, now.into())
        .filter(Column::Id.eq(id))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Revokes every live token of a person (their password was reset or changed: whoever learnt
/// the old one may have made tokens with it); returns how many were live.
///
/// # Errors
/// The driver's error.
pub async fn revoke_all_for_user(conn: &impl ConnectionTrait, user_id: i64, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let result = Entity::update_many()
        .col_expr(Column::RevokedAt, now.into())
        .filter(Column::UserId.eq(user_id))
        .filter(Column::RevokedAt.is_null())
        .filter(Condition::any().add(Column::ExpiresAt.is_null()).add(Column::ExpiresAt.gt(now)))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

/// The live token whose text is `plain` (not revoked, not expired), marked as used now.
///
/// # Errors
/// The driver's error.
pub async fn authenticate(
    conn: &impl ConnectionTrait,
    plain: &str,
    now: DateTime<Utc>,
) -> Result<Option<ApiToken>, DbErr> {
    let Some(token) = Entity::find().filter(Column::TokenHash.eq(secret::digest(plain))).one(conn).await? else {
        return Ok(None);
    };
    let expired = token.expires_at.is_some_and(|at| now >= at);
    if token.revoked_at.is_some() || expired {
        return Ok(None);
    }
    ActiveModel { id: Set(token.id), last_used_at: Set(Some(now)), ..Default::default() }.update(conn).await?;
    Ok(Some(token))
}

// --- A person's tokens as a bounded list (SPEC Q5).

/// At most `limit` of a person's tokens, newest first, and whether there are more.
///
/// # Errors
/// The driver's error.
pub async fn recent_for_user(
    conn: &impl ConnectionTrait,
    user_id: i64,
    limit: u64,
) -> Result<(Vec<ApiToken>, bool), DbErr> {
    use sea_orm::QuerySelect as _;
    let mut rows = Entity::find()
        .filter(Column::UserId.eq(user_id))
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id)
        .limit(limit.saturating_add(1))
        .all(conn)
        .await?;
    let more = u64::try_from(rows.len()).unwrap_or(u64::MAX) > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok((rows, more))
}
