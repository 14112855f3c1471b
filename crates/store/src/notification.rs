//! Notifications: the bell in the header. Rows per person, read or unread.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::entity::{app_user, notification};

/// A notification row.
pub type Notification = notification::Model;

/// What to tell someone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    /// A stable code of the event (`attachment.requested`, `attachment.approved`…).
    pub kind: &'static str,
    /// One line.
    pub title: String,
    /// A few sentences.
    pub body: String,
    /// Where to act, a local path.
    pub link: Option<String>,
}

/// Adds a notification for a person; returns whether they asked to also get it by e-mail.
///
/// # Errors
/// The driver's error.
pub async fn notify(
    conn: &impl ConnectionTrait,
    user_id: i64,
    new: &NewNotification,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    notification::ActiveModel {
        user_id: Set(user_id),
        kind: Set(new.kind.to_owned()),
        title: Set(new.title.clone()),
        body: Set(new.body.clone()),
        link: Set(new.link.clone()),
        created_at: Set(now),
        read_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(app_user::Entity::find_by_id(user_id).one(conn).await?.is_some_and(|u| u.notify_by_email))
}

/// Rings the bell of a company's administrators and of `others` (each once), without e-mail:
/// for news the portal announces only in the portal, such as remittance advices (SPEC P3).
/// Returns how many people were told.
///
/// # Errors
/// The driver's error.
pub async fn ring_company(
    conn: &impl ConnectionTrait,
    company_id: i64,
    others: &[i64],
    new: &NewNotification,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let mut people: Vec<i64> =
        crate::attachment::admins(conn, company_id).await?.into_iter().map(|(id, _)| id).collect();
    people.extend_from_slice(others);
    people.sort_unstable();
    people.dedup();
    for person in &people {
        notify(conn, *person, new, now).await?;
    }
    Ok(people.len())
}

/// A person's notifications, newest first, one page.
///
/// # Errors
/// The driver's error.
pub async fn list(
    conn: &impl ConnectionTrait,
    user_id: i64,
    page: u64,
    per_page: u64,
) -> Result<(Vec<Notification>, u64), DbErr> {
    let query = notification::Entity::find().filter(notification::Column::UserId.eq(user_id));
    let total = query.clone().count(conn).await?;
    let rows = query
        .order_by_desc(notification::Column::CreatedAt)
        .order_by_desc(notification::Column::Id)
        .offset(page.saturating_sub(1).saturating_mul(per_page))
        .limit(per_page)
        .all(conn)
        .await?;
    Ok((rows, total))
}

/// Marks one of a person's own notifications read; returns it (for its link), or `None` if it
/// is not theirs.
///
/// # Errors
/// The driver's error.
pub async fn mark_read(
    conn: &impl ConnectionTrait,
    user_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Option<Notification>, DbErr> {
    let Some(row) =
        notification::Entity::find_by_id(id).filter(notification::Column::UserId.eq(user_id)).one(conn).await?
    else {
        return Ok(None);
    };
    if row.read_at.is_none() {
        let mut active: notification::ActiveModel = row.clone().into();
        active.read_at = Set(Some(now));
        active.update(conn).await?;
    }
    Ok(Some(row))
}

/// Marks all of a person's notifications read.
///
/// # Errors
/// The driver's error.
pub async fn mark_all_read(conn: &impl ConnectionTrait, user_id: i64, now: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, now.into())
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null())
        .exec(conn)
        .await?
        .rows_affected)
}

/// Sets whether a person also receives notifications by e-mail.
///
/// # Errors
/// The driver's error.
pub async fn set_email_preference(
    conn: &impl ConnectionTrait,
    user_id: i64,
    by_email: bool,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    app_user::ActiveModel {
        id: Set(user_id),
        notify_by_email: Set(by_email),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(conn)
    .await?;
    Ok(())
}
