//! One winner (SPEC Q2): the database itself refuses a second live invoice for a proforma, so
//! two uploads that raced past the application's check cannot both be approved and paid. A
//! refused invoice does not count: the company uploads another.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Partial unique indexes have the same syntax on SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_invoice_live_per_proforma ON invoice (proforma_id) WHERE status <> 'rejected'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("la migration « une facture vivante par pro forma » ne se défait pas".into()))
    }
}
