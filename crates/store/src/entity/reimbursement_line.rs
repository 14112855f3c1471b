//! The `reimbursement_line` table: a DR's amounts by nature.

use sea_orm::entity::prelude::*;

/// A row of `reimbursement_line`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reimbursement_line")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub reimbursement_id: i64,
    pub nature: String,
    pub amount_cents: i64,
}

impl ActiveModelBehavior for ActiveModel {}
