//! The `app_user` table.

use sea_orm::entity::prelude::*;

/// A row of `app_user`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "app_user")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub email: String,
    pub password_hash: Option<String>,
    pub given_name: String,
    pub family_name: String,
    pub role: String,
    pub email_verified_at: Option<DateTimeUtc>,
    pub password_changed_at: Option<DateTimeUtc>,
    pub disabled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub notify_by_email: bool,
}

impl ActiveModelBehavior for ActiveModel {}
