//! The `payment_item` table: an invoice paid by a payment, its references frozen.

use sea_orm::entity::prelude::*;

/// A row of `payment_item`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_item")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub payment_id: i64,
    pub invoice_id: i64,
    #[sea_orm(unique)]
    pub live_invoice_id: Option<i64>,
    pub amount_cents: i64,
    pub invoice_number: String,
    pub proforma_number: String,
    pub dossiers: String,
}

impl ActiveModelBehavior for ActiveModel {}
