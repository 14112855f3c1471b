//! The record of sign-in attempts that throttling counts.

use chrono::{DateTime, Utc};
use domain::throttle::{RecentFailures, ThrottlePolicy};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use sea_orm::ExprTrait as _;

use crate::entity::login_attempt::{ActiveModel, Column, Entity};

/// One attempt to sign in.
#[derive(Debug, Clone)]
pub struct Attempt<'a> {
    /// The normalised address typed (known or not: unknown ones are throttled the same way).
    pub email: &'a str,
    /// Client address.
    pub ip: &'a str,
    /// The trusted device it came from, if the browser presented one for this account.
    pub device_id: Option<i64>,
    /// Whether the password was right.
    pub succeeded: bool,
}

/// Records an attempt.
///
/// # Errors
/// The driver's error.
pub async fn record(conn: &impl ConnectionTrait, attempt: Attempt<'_>, now: DateTime<Utc>) -> Result<(), DbErr> {
    ActiveModel {
        attempted_at: Set(now),
        email: Set(attempt.email.to_owned()),
        ip: Set(attempt.ip.to_owned()),
        device_id: Set(attempt.device_id),
        succeeded: Set(attempt.succeeded),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The failures the policy counts for an attempt on `email` from `ip` (and `device_id` when the
/// browser is trusted for that account). Failures on the account before `account_since` (its last
/// successful sign-in or password change) no longer count against it.
///
/// # Errors
/// The driver's error.
pub async fn recent_failures(
    conn: &impl ConnectionTrait,
    policy: &ThrottlePolicy,
    email: &str,
    ip: &str,
    device_id: Option<i64>,
    account_since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<RecentFailures, DbErr> {
    let window_start = now - policy.window;
    if let Some(device_id) = device_id {
        let device = failures(conn, Column::DeviceId.eq(device_id), window_start, policy.per_device).await?;
        return Ok(RecentFailures { device: Some(device), ..RecentFailures::default() });
    }
    let since = account_since.map_or(window_start, |at| Ord::max(at, window_start));
    let account = failures(
        conn,
        Column::Email.eq(email).and(Column::DeviceId.is_null()).and(Column::AttemptedAt.gt(since)),
        window_start,
        policy.per_account,
    )
    .await?;
    let address =
        failures(conn, Column::Ip.eq(ip).and(Column::DeviceId.is_null()), window_start, policy.per_address).await?;
    Ok(RecentFailures { account, address, device: None })
}

/// When an address last signed in successfully.
///
/// # Errors
/// The driver's error.
pub async fn last_success(conn: &impl ConnectionTrait, email: &str) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(Entity::find()
        .filter(Column::Email.eq(email))
        .filter(Column::Succeeded.eq(true))
        .order_by_desc(Column::AttemptedAt)
        .one(conn)
        .await?
        .map(|row| row.attempted_at))
}

async fn failures(
    conn: &impl ConnectionTrait,
    which: sea_orm::sea_query::SimpleExpr,
    window_start: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<DateTime<Utc>>, DbErr> {
    Ok(Entity::find()
        .filter(which)
        .filter(Column::Succeeded.eq(false))
        .filter(Column::AttemptedAt.gt(window_start))
        .order_by_desc(Column::AttemptedAt)
        .limit(u64::try_from(limit).unwrap_or(u64::MAX))
        .all(conn)
        .await?
        .into_iter()
        .map(|row| row.attempted_at)
        .collect())
}

/// Forgets attempts older than `before`; they no longer matter to throttling.
///
/// # Errors
/// The driver's error.
pub async fn purge_before(conn: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(Entity::delete_many().filter(Column::AttemptedAt.lt(before)).exec(conn).await?.rows_affected)
}
