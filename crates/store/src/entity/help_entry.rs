//! The `help_entry` table: a question of the FAQ and its answer.

use sea_orm::entity::prelude::*;

/// A row of `help_entry`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "help_entry")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub slug: String,
    pub theme: String,
    pub question: String,
    pub answer: String,
    pub position: i64,
    pub published: bool,
    pub version: i64,
    pub updated_at: DateTimeUtc,
    pub updated_by: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
