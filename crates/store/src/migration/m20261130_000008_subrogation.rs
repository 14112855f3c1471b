//! Subrogation (SPEC P1): a dossier of a scheme that allows it may ask the operator to pay the
//! training provider directly; the provider's account (IBAN and holder) is kept on the dossier.
//! Both columns are NULL when the company is paid.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::text_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        manager
            .alter_table(Table::alter().table("dossier").add_column(text_null("subrogation_iban")).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table("dossier").add_column(text_null("subrogation_holder")).to_owned())
            .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("la migration de la subrogation ne se défait pas".into()))
    }
}
