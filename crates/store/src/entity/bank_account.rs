//! The `bank_account` table.

use sea_orm::entity::prelude::*;

/// A row of `bank_account`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bank_account")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub iban: String,
    pub holder_name: String,
    pub created_at: DateTimeUtc,
    pub created_by: Option<i64>,
    pub retired_at: Option<DateTimeUtc>,
    pub effective_at: Option<DateTimeUtc>,
    pub applied_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub cancelled_by: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
