//! The `dossier_event` table.

use sea_orm::entity::prelude::*;

/// A row of `dossier_event`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dossier_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub dossier_id: Option<i64>,
    pub drf_id: Option<i64>,
    pub occurred_at: DateTimeUtc,
    pub actor_user_id: Option<i64>,
    pub actor_label: String,
    pub by_staff: bool,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub message: Option<String>,
    pub amount_cents: Option<i64>,
    pub due_on: Option<Date>,
}

impl ActiveModelBehavior for ActiveModel {}
