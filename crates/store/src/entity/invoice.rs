//! The `invoice` table: a company's own invoice for a proforma.

use sea_orm::entity::prelude::*;

/// A row of `invoice`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub proforma_id: i64,
    pub company_id: i64,
    pub number: String,
    pub syntax: String,
    pub buyer_name: String,
    pub seller_siren: Option<String>,
    pub net_cents: i64,
    pub vat_cents: i64,
    pub gross_cents: i64,
    pub iban: Option<String>,
    pub document_id: i64,
    pub rib_document_id: Option<i64>,
    pub status: String,
    pub reason: Option<String>,
    pub version: i64,
    pub uploaded_by: Option<i64>,
    pub uploaded_at: DateTimeUtc,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
