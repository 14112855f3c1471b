//! The `habilitation` table.

use sea_orm::entity::prelude::*;

/// A row of `habilitation`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "habilitation")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub attachment_id: i64,
    pub domain: String,
    pub granted_at: DateTimeUtc,
    pub granted_by: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
