//! The `document` table: uploaded files, stored under their content hash.

use sea_orm::entity::prelude::*;

/// A row of `document`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "document")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub dossier_id: Option<i64>,
    pub reimbursement_id: Option<i64>,
    pub proforma_id: Option<i64>,
    pub kind: String,
    pub file_name: String,
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    pub uploaded_by: Option<i64>,
    pub uploaded_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
