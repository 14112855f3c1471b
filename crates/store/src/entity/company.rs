//! The `company` table.

use sea_orm::entity::prelude::*;

/// A row of `company`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "company")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub siren: String,
    pub name: String,
    pub street: String,
    pub street_complement: Option<String>,
    pub postal_code: String,
    pub city: String,
    pub vat_subject: bool,
    pub headcount: Option<i64>,
    pub edi: bool,
    pub branch: Option<String>,
    pub region: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
