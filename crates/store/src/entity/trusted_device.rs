//! The `trusted_device` table.

use sea_orm::entity::prelude::*;

/// A row of `trusted_device`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "trusted_device")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub created_at: DateTimeUtc,
    pub last_used_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
