//! The `establishment` table.

use sea_orm::entity::prelude::*;

/// A row of `establishment`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "establishment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    #[sea_orm(unique)]
    pub siret: String,
    pub name: String,
    pub street: String,
    pub street_complement: Option<String>,
    pub postal_code: String,
    pub city: String,
    pub head_office: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
