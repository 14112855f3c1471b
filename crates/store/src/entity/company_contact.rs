//! The `company_contact` table: who a company talks to at the operator.

use sea_orm::entity::prelude::*;

/// A row of `company_contact`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "company_contact")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub company_id: i64,
    pub advisor_id: Option<i64>,
    pub case_manager_id: Option<i64>,
    pub poec_referent: Option<String>,
    pub updated_by: Option<i64>,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
