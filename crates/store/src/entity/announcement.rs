//! The `announcement` table: a message for some branches and regions, between two dates.

use sea_orm::entity::prelude::*;

/// A row of `announcement`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "announcement")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub body: String,
    pub branches: String,
    pub regions: String,
    pub starts_on: Date,
    pub ends_on: Date,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
