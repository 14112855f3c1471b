//! The `payment` table: one transfer of a run to one payee, frozen.

use sea_orm::entity::prelude::*;

/// A row of `payment`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: i64,
    pub payee_key: String,
    #[sea_orm(unique)]
    pub end_to_end_id: String,
    pub company_id: i64,
    pub payee_kind: String,
    pub payee_name: String,
    pub payee_iban: String,
    pub amount_cents: i64,
    pub status: String,
    pub status_reason: Option<String>,
    pub returned_at: Option<DateTimeUtc>,
    pub bank_return_id: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
