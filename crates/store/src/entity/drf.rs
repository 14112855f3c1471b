//! The `drf` table.

use sea_orm::entity::prelude::*;

/// A row of `drf`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "drf")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub number: String,
    pub company_id: i64,
    pub establishment_id: i64,
    pub scheme: String,
    pub status: String,
    pub origin: String,
    pub trainee_name: String,
    pub contract_type: String,
    pub hours: i64,
    pub training_start: Date,
    pub training_end: Date,
    pub provider_name: String,
    pub provider_siret: String,
    pub provider_nda: String,
    pub cost_cents: i64,
    pub amount_cents: i64,
    pub filed_on: Option<Date>,
    pub validated_on: Option<Date>,
    pub valid_until: Option<Date>,
    pub reason: Option<String>,
    pub dossier_id: Option<i64>,
    pub version: i64,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
