//! The `letter_batch` table.

use sea_orm::entity::prelude::*;

/// A row of `letter_batch`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "letter_batch")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub status: String,
    pub letter_count: i64,
    pub pdf: Option<Vec<u8>>,
    pub created_at: DateTimeUtc,
    pub created_by: Option<i64>,
    pub ready_at: Option<DateTimeUtc>,
    pub posted_at: Option<DateTimeUtc>,
    pub posted_by: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
