//! Announcements (SPEC I3) as stored: targets are kept one per line; whether one is shown to a
//! person is decided by `domain::announcement`.

use chrono::{DateTime, NaiveDate, Utc};
use domain::announcement::Targets;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use crate::entity::{announcement, announcement_dismissal};

/// An announcement row.
pub type Announcement = announcement::Model;

/// Its targets.
#[must_use]
pub fn targets_of(row: &Announcement) -> Targets {
    let split = |text: &str| text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
    Targets { branches: split(&row.branches), regions: split(&row.regions) }
}

/// An announcement as written.
#[derive(Debug, Clone)]
pub struct NewAnnouncement {
    /// Title.
    pub title: String,
    /// Text, Markdown.
    pub body: String,
    /// Whom it is for.
    pub targets: Targets,
    /// First day shown.
    pub starts_on: NaiveDate,
    /// Last day shown.
    pub ends_on: NaiveDate,
    /// Who wrote it.
    pub created_by: i64,
}

/// Saves an announcement (checked by the caller).
///
/// # Errors
/// The driver's error.
pub async fn create(
    conn: &impl ConnectionTrait,
    new: NewAnnouncement,
    now: DateTime<Utc>,
) -> Result<Announcement, DbErr> {
    announcement::ActiveModel {
        title: Set(new.title),
        body: Set(new.body),
        branches: Set(new.targets.branches.join("\n")),
        regions: Set(new.targets.regions.join("\n")),
        starts_on: Set(new.starts_on),
        ends_on: Set(new.ends_on),
        created_by: Set(Some(new.created_by)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// Every announcement, the latest first.
///
/// # Errors
/// The driver's error.
pub async fn all(conn: &impl ConnectionTrait) -> Result<Vec<Announcement>, DbErr> {
    announcement::Entity::find()
        .order_by_desc(announcement::Column::StartsOn)
        .order_by_desc(announcement::Column::Id)
        .all(conn)
        .await
}

/// Announcements shown on `today`, the latest first, leaving out those `user` dismissed.
///
/// # Errors
/// The driver's error.
pub async fn active(
    conn: &impl ConnectionTrait,
    today: NaiveDate,
    user: Option<i64>,
) -> Result<Vec<Announcement>, DbErr> {
    let rows = announcement::Entity::find()
        .filter(announcement::Column::StartsOn.lte(today))
        .filter(announcement::Column::EndsOn.gte(today))
        .order_by_desc(announcement::Column::StartsOn)
        .order_by_desc(announcement::Column::Id)
        .all(conn)
        .await?;
    let Some(user) = user else { return Ok(rows) };
    let dismissed: Vec<i64> = announcement_dismissal::Entity::find()
        .filter(announcement_dismissal::Column::UserId.eq(user))
        .all(conn)
        .await?
        .into_iter()
        .map(|d| d.announcement_id)
        .collect();
    Ok(rows.into_iter().filter(|a| !dismissed.contains(&a.id)).collect())
}

/// An announcement by id.
///
/// # Errors
/// The driver's error.
pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Announcement>, DbErr> {
    announcement::Entity::find_by_id(id).one(conn).await
}

/// Records that `user` dismissed an announcement (once; again changes nothing).
///
/// # Errors
/// The driver's error.
pub async fn dismiss(conn: &impl ConnectionTrait, id: i64, user: i64, now: DateTime<Utc>) -> Result<(), DbErr> {
    let exists = announcement_dismissal::Entity::find()
        .filter(announcement_dismissal::Column::AnnouncementId.eq(id))
        .filter(announcement_dismissal::Column::UserId.eq(user))
        .one(conn)
        .await?
        .is_some();
    if !exists {
        let row = announcement_dismissal::ActiveModel {
            announcement_id: Set(id),
            user_id: Set(user),
            dismissed_at: Set(now),
            ..Default::default()
        };
        match row.insert(conn).await {
            Ok(_) => {}
            Err(err) if crate::db::is_unique_violation(&err) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}
