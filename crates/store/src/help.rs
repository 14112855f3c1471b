//! FAQ entries (SPEC I2) as stored: seeded once from the shipped content, then edited by platform
//! admins; visitors see the published ones.

use chrono::{DateTime, Utc};
use sea_orm::ExprTrait as _;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};

use crate::entity::help_entry;

/// A FAQ entry row.
pub type HelpEntry = help_entry::Model;

/// Copies the shipped entries into an empty table; returns how many were added (none once the
/// table holds anything, so that the operator's edits are never overwritten).
///
/// # Errors
/// The driver's error.
pub async fn seed_if_empty(
    conn: &impl ConnectionTrait,
    entries: &[domain::help::Entry],
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    if help_entry::Entity::find().count(conn).await? > 0 {
        return Ok(0);
    }
    for e in entries {
        help_entry::ActiveModel {
            slug: Set(e.slug.clone()),
            theme: Set(e.theme.clone()),
            question: Set(e.question.clone()),
            answer: Set(e.answer_markdown.clone()),
            position: Set(e.order),
            published: Set(true),
            version: Set(0),
            updated_at: Set(e.updated.and_hms_opt(12, 0, 0).map_or(now, |d| d.and_utc())),
            updated_by: Set(None),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    Ok(entries.len())
}

/// Every entry, published or not, in theme and position order (the caller sorts themes).
///
/// # Errors
/// The driver's error.
pub async fn all(conn: &impl ConnectionTrait) -> Result<Vec<HelpEntry>, DbErr> {
    help_entry::Entity::find()
        .order_by_asc(help_entry::Column::Position)
        .order_by_asc(help_entry::Column::Slug)
        .all(conn)
        .await
}

/// An entry by slug.
///
/// # Errors
/// The driver's error.
pub async fn by_slug(conn: &impl ConnectionTrait, slug: &str) -> Result<Option<HelpEntry>, DbErr> {
    help_entry::Entity::find().filter(help_entry::Column::Slug.eq(slug)).one(conn).await
}

/// An entry as edited.
#[derive(Debug, Clone)]
pub struct Edit {
    /// Theme code.
    pub theme: String,
    /// The question.
    pub question: String,
    /// The answer, Markdown.
    pub answer: String,
    /// Position within the theme.
    pub position: i64,
    /// Visible to visitors.
    pub published: bool,
}

/// Saves an edit of the entry still at `version`; returns whether it was saved.
///
/// # Errors
/// The driver's error.
pub async fn update(
    conn: &impl ConnectionTrait,
    id: i64,
    version: i64,
    edit: Edit,
    by: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let changed = help_entry::Entity::update_many()
        .col_expr(help_entry::Column::Theme, edit.theme.into())
        .col_expr(help_entry::Column::Question, edit.question.into())
        .col_expr(help_entry::Column::Answer, edit.answer.into())
        .col_expr(help_entry::Column::Position, edit.position.into())
        .col_expr(help_entry::Column::Published, edit.published.into())
        .col_expr(help_entry::Column::UpdatedAt, now.into())
        .col_expr(help_entry::Column::UpdatedBy, Some(by).into())
        .col_expr(help_entry::Column::Version, Expr::col(help_entry::Column::Version).add(1))
        .filter(help_entry::Column::Id.eq(id))
        .filter(help_entry::Column::Version.eq(version))
        .exec(conn)
        .await?;
    Ok(changed.rows_affected == 1)
}

/// Adds an entry (published or not); fails on a slug already taken.
///
/// # Errors
/// The driver's error (a unique violation for a slug taken).
pub async fn create(
    conn: &impl ConnectionTrait,
    slug: &str,
    edit: Edit,
    by: i64,
    now: DateTime<Utc>,
) -> Result<HelpEntry, DbErr> {
    help_entry::ActiveModel {
        slug: Set(slug.to_owned()),
        theme: Set(edit.theme),
        question: Set(edit.question),
        answer: Set(edit.answer),
        position: Set(edit.position),
        published: Set(edit.published),
        version: Set(0),
        updated_at: Set(now),
        updated_by: Set(Some(by)),
        ..Default::default()
    }
    .insert(conn)
    .await
}
