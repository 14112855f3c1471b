//! Indexes the keyset orders of the money lists walk (SPEC Q5): the reimbursement queue by state
//! then oldest submission (`status, submitted_on, id`, and `submitted_on, id` over every state),
//! the invoice queue by state then oldest upload (`status, id`: ids follow uploads), and a
//! company's proformas newest first (`company_id, id`).

use sea_orm_migration::prelude::*;

use super::schema::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &str, &[&str]); 4] = [
    ("reimbursement", "ix_reimbursement_status_submitted", &["status", "submitted_on", "id"]),
    ("reimbursement", "ix_reimbursement_submitted", &["submitted_on", "id"]),
    ("invoice", "ix_invoice_status_id", &["status", "id"]),
    ("proforma", "ix_proforma_company_id", &["company_id", "id"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, name, columns) in INDEXES {
            manager.create_index(index(table, name, columns)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, name, _) in INDEXES.iter().rev() {
            manager.drop_index(Index::drop().name(*name).table(Alias::new(*table)).to_owned()).await?;
        }
        Ok(())
    }
}
