//! Bank details change slowly (SPEC Q3, issue 11 point 3): a new bank account of a company is
//! registered with the instant it takes effect, after a waiting period; until then it may be
//! cancelled by an administrator. `applied_at` records when the change was noted as in force
//! (the older account retired, the audit journal written), once.
//!
//! Accounts registered before this migration took effect when they were created.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer_null, timestamp_with_time_zone_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        for column in [
            timestamp_with_time_zone_null("effective_at"),
            timestamp_with_time_zone_null("applied_at"),
            timestamp_with_time_zone_null("cancelled_at"),
            big_integer_null("cancelled_by"),
        ] {
            manager.alter_table(Table::alter().table("bank_account").add_column(column).to_owned()).await?;
        }
        manager
            .get_connection()
            .execute_unprepared("UPDATE bank_account SET effective_at = created_at, applied_at = created_at")
            .await?;
        manager
            .get_connection()
            .execute_unprepared("CREATE INDEX ix_bank_account_due ON bank_account (applied_at, effective_at)")
            .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("la migration des changements de coordonnées bancaires ne se défait pas".into()))
    }
}
