//! The `dossier` table.

use sea_orm::entity::prelude::*;

/// A row of `dossier`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dossier")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub number: String,
    pub company_id: i64,
    pub establishment_id: i64,
    pub scheme: String,
    pub sub_scheme: Option<String>,
    pub kind: String,
    pub payer: String,
    pub public: String,
    pub status: String,
    pub title: String,
    pub provider_name: String,
    pub provider_siret: String,
    pub provider_nda: String,
    pub training_start: Date,
    pub training_end: Date,
    pub hours: i64,
    pub cost_cents: i64,
    pub requested_cents: i64,
    pub committed_cents: Option<i64>,
    pub drf_id: Option<i64>,
    pub duplicated_from: Option<i64>,
    pub submitted_on: Option<Date>,
    pub info_due_on: Option<Date>,
    pub version: i64,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub subrogation_iban: Option<String>,
    pub subrogation_holder: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
