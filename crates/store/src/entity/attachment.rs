//! The `attachment` table.

use sea_orm::entity::prelude::*;

/// A row of `attachment`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attachment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub company_id: i64,
    pub establishment_id: Option<i64>,
    pub status: String,
    pub is_admin: bool,
    pub source: String,
    pub message: Option<String>,
    pub requested_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<i64>,
    pub reason: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
