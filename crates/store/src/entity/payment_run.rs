//! The `payment_run` table: one payment run per scheduled slot (or manual start).

use sea_orm::entity::prelude::*;

/// A row of `payment_run`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_run")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub slot_key: String,
    pub kind: String,
    pub status: String,
    pub preparing: Option<i32>,
    pub message_id: String,
    pub cutoff: DateTimeUtc,
    pub execution_date: Date,
    pub started_by: Option<i64>,
    pub started_at: DateTimeUtc,
    pub frozen_at: Option<DateTimeUtc>,
    pub advised_at: Option<DateTimeUtc>,
    pub payment_count: i64,
    pub total_cents: i64,
    pub held_count: i64,
    /// The kept SEPA file's SHA-256 (its name in the document store), once written.
    pub sepa_sha256: Option<String>,
    /// Its size in bytes.
    pub sepa_size: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
