//! The SEPA file of a payment run is kept as it was first written (issue 13 point 5): its
//! SHA-256 and size on the run, its bytes in the document store under that hash. Rebuilding it
//! from the database gives the same bytes only while the debtor settings stay the same; the
//! file sent to the bank must stay the one served, and `check` verifies it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        conn.execute_unprepared("ALTER TABLE payment_run ADD COLUMN sepa_sha256 TEXT").await?;
        conn.execute_unprepared("ALTER TABLE payment_run ADD COLUMN sepa_size BIGINT").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        conn.execute_unprepared("ALTER TABLE payment_run DROP COLUMN sepa_size").await?;
        conn.execute_unprepared("ALTER TABLE payment_run DROP COLUMN sepa_sha256").await?;
        Ok(())
    }
}
