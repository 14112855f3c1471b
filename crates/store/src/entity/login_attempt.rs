//! The `login_attempt` table.

use sea_orm::entity::prelude::*;

/// A row of `login_attempt`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_attempt")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub attempted_at: DateTimeUtc,
    pub email: String,
    pub ip: String,
    pub device_id: Option<i64>,
    pub succeeded: bool,
}

impl ActiveModelBehavior for ActiveModel {}
