//! The `scheme_setting` table.

use sea_orm::entity::prelude::*;

/// A row of `scheme_setting`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scheme_setting")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub scheme: String,
    pub agreement_recorded_at: Option<DateTimeUtc>,
    pub agreement_recorded_by: Option<i64>,
    pub agreement_reference: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
