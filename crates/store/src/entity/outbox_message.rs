//! The `outbox_message` table.

use sea_orm::entity::prelude::*;

/// A row of `outbox_message`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_message")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub created_at: DateTimeUtc,
    pub to_address: String,
    /// What kind of e-mail it is (`password.reset`, `notification.drf.expired`…).
    pub kind: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub sent_at: Option<DateTimeUtc>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
