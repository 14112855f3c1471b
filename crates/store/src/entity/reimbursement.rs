//! The `reimbursement` table (DR).

use sea_orm::entity::prelude::*;

/// A row of `reimbursement`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reimbursement")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub number: String,
    pub dossier_id: i64,
    pub company_id: i64,
    pub establishment_id: i64,
    pub status: String,
    pub budget: Option<String>,
    pub claimed_cents: i64,
    pub validated_cents: Option<i64>,
    pub reason: Option<String>,
    pub submitted_on: Date,
    pub info_due_on: Option<Date>,
    pub version: i64,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
