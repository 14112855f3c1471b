//! Browsers an account has signed in from, recognised by a long-lived cookie, so that sign-in
//! throttling caused by someone else does not lock the owner out (see `domain::throttle`).

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::entity::trusted_device::{ActiveModel, Column, Entity};
use crate::secret::{self, Secret};

/// Remembers a browser for an account and returns the cookie's secret.
///
/// # Errors
/// The driver's error, or no randomness.
pub async fn remember(conn: &impl ConnectionTrait, user_id: i64, now: DateTime<Utc>) -> Result<Secret, DbErr> {
    let secret = secret::draw("").map_err(|e| DbErr::Custom(format!("no randomness: {e}")))?;
    ActiveModel {
        user_id: Set(user_id),
        token_hash: Set(secret.digest.clone()),
        created_at: Set(now),
        last_used_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(secret)
}

/// The device id when `plain` is a device cookie issued for this account.
///
/// # Errors
/// The driver's error.
pub async fn recognise(conn: &impl ConnectionTrait, plain: &str, user_id: i64) -> Result<Option<i64>, DbErr> {
    Ok(Entity::find()
        .filter(Column::TokenHash.eq(secret::digest(plain)))
        .filter(Column::UserId.eq(user_id))
        .one(conn)
        .await?
        .map(|row| row.id))
}

/// Records that the device signed in again.
///
/// # Errors
/// The driver's error.
pub async fn touch(conn: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<(), DbErr> {
    Entity::update_many().col_expr(Column::LastUsedAt, now.into()).filter(Column::Id.eq(id)).exec(conn).await?;
    Ok(())
}
