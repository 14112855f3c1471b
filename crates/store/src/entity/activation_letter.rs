//! The `activation_letter` table.

use sea_orm::entity::prelude::*;

/// A row of `activation_letter`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activation_letter")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub requested_by: Option<i64>,
    pub reason: String,
    pub status: String,
    pub batch_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub posted_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
