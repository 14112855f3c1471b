//! The `legacy_account` table.

use sea_orm::entity::prelude::*;

/// A row of `legacy_account`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "legacy_account")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub email: String,
    pub family_name: String,
    pub given_name: String,
    pub siren: String,
    pub siret: String,
    pub is_admin: bool,
    pub domains: String,
    pub imported_at: DateTimeUtc,
    pub applied_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
