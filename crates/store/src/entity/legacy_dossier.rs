//! The `legacy_dossier` table.

use sea_orm::entity::prelude::*;

/// A row of `legacy_dossier`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "legacy_dossier")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub number: String,
    pub company_id: i64,
    pub establishment_id: Option<i64>,
    pub siret: String,
    pub scheme: String,
    pub payer: String,
    pub title: String,
    pub provider_siret: String,
    pub training_start: Option<Date>,
    pub training_end: Option<Date>,
    pub trainees: i64,
    pub committed_cents: i64,
    pub paid_cents: i64,
    pub closed: bool,
    pub last_movement_on: Date,
    pub imported_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
