//! The `bank_return` table: a bank's returns file, imported once.

use sea_orm::entity::prelude::*;

/// A row of `bank_return`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bank_return")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub digest: String,
    pub file_name: String,
    pub settled: i64,
    pub rejected: i64,
    pub imported_by: Option<i64>,
    pub imported_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
