//! The `proforma_line` table: one validated DR on a proforma.

use sea_orm::entity::prelude::*;

/// A row of `proforma_line`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "proforma_line")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub proforma_id: i64,
    #[sea_orm(unique)]
    pub reimbursement_id: i64,
    pub dossier_id: i64,
    pub amount_cents: i64,
}

impl ActiveModelBehavior for ActiveModel {}
