//! The `payment_hold` table: an approved invoice a run could not pay, and why.

use sea_orm::entity::prelude::*;

/// A row of `payment_hold`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_hold")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: i64,
    pub invoice_id: i64,
    pub company_id: i64,
    pub reason: String,
}

impl ActiveModelBehavior for ActiveModel {}
