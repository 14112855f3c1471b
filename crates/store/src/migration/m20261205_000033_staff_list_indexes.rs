//! Indexes the keyset orders of the staff lists walk (SPEC Q5): the company directory by name
//! (`name, id`), a company's transfers newest first (`company_id, id`), and the letters of one
//! state newest first (`status, id`). Without them each page sorts every matching row.

use sea_orm_migration::prelude::*;

use super::schema::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_index(index("company", "ix_company_name", &["name", "id"])).await?;
        manager.create_index(index("payment", "ix_payment_company_id", &["company_id", "id"])).await?;
        manager.create_index(index("activation_letter", "ix_letter_status_id", &["status", "id"])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, name) in [
            ("activation_letter", "ix_letter_status_id"),
            ("payment", "ix_payment_company_id"),
            ("company", "ix_company_name"),
        ] {
            manager.drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned()).await?;
        }
        Ok(())
    }
}
