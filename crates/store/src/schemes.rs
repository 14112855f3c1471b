//! What the rule calendar leaves to people: the State agreement that opens PIC IAE (C7).

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

use crate::entity::scheme_setting;

/// When the agreement opening `scheme` was recorded, with its reference.
///
/// # Errors
/// The driver's error.
pub async fn agreement(
    conn: &impl ConnectionTrait,
    scheme: &str,
) -> Result<Option<(DateTime<Utc>, Option<String>)>, DbErr> {
    Ok(scheme_setting::Entity::find_by_id(scheme.to_owned())
        .one(conn)
        .await?
        .and_then(|row| row.agreement_recorded_at.map(|at| (at, row.agreement_reference))))
}

/// Records (or, with `None`, withdraws) the agreement opening `scheme`.
///
/// # Errors
/// The driver's error.
pub async fn set_agreement(
    conn: &impl ConnectionTrait,
    scheme: &str,
    reference: Option<&str>,
    by: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = scheme_setting::ActiveModel {
        scheme: Set(scheme.to_owned()),
        agreement_recorded_at: Set(reference.map(|_| now)),
        agreement_recorded_by: Set(Some(by)),
        agreement_reference: Set(reference.map(str::to_owned)),
    };
    if scheme_setting::Entity::find_by_id(scheme.to_owned()).one(conn).await?.is_some() {
        row.update(conn).await?;
    } else {
        row.insert(conn).await?;
    }
    Ok(())
}
