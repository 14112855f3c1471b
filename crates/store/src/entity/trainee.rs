//! The `trainee` table.

use sea_orm::entity::prelude::*;

/// A row of `trainee`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "trainee")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub dossier_id: i64,
    pub position: i64,
    pub given_name: String,
    pub family_name: String,
    pub public: String,
}

impl ActiveModelBehavior for ActiveModel {}
