//! The `activation_attempt` table.

use sea_orm::entity::prelude::*;

/// A row of `activation_attempt`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activation_attempt")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub company_id: Option<i64>,
    pub attempted_at: DateTimeUtc,
    pub succeeded: bool,
}

impl ActiveModelBehavior for ActiveModel {}
