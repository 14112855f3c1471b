//! The `announcement_dismissal` table: a person no longer wants to see an announcement.

use sea_orm::entity::prelude::*;

/// A row of `announcement_dismissal`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "announcement_dismissal")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub announcement_id: i64,
    pub user_id: i64,
    pub dismissed_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
