//! The `proforma` table.

use sea_orm::entity::prelude::*;

/// A row of `proforma`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "proforma")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub number: String,
    pub company_id: i64,
    pub payer: String,
    pub public: String,
    pub scheme: Option<String>,
    pub net_cents: i64,
    pub vat_cents: i64,
    pub gross_cents: i64,
    pub vat_subject: bool,
    pub iban: Option<String>,
    pub account_holder: Option<String>,
    pub issued_by: Option<i64>,
    pub issued_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
