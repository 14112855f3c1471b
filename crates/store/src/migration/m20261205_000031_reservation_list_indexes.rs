//! Indexes the keyset orders of the DRF lists walk (SPEC Q5): a company's DRF newest first
//! (`company_id, id`), and the case managers' DRF queue by state then oldest filing
//! (`status, filed_on, id`), or every state (`filed_on, id`). Without them each page sorts every
//! matching DRF.
//!
//! The legacy history needs none: its order (most recent movement, then id) walks the existing
//! `(company_id, last_movement_on)` index, and another index on that bulk-loaded table would be
//! kept up to date row by row by every import.

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
        manager.create_index(index("drf", "ix_drf_company_id", &["company_id", "id"])).await?;
        manager.create_index(index("drf", "ix_drf_status_filed", &["status", "filed_on", "id"])).await?;
        manager.create_index(index("drf", "ix_drf_filed", &["filed_on", "id"])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["ix_drf_filed", "ix_drf_status_filed", "ix_drf_company_id"] {
            manager.drop_index(Index::drop().name(name).table(Alias::new("drf")).to_owned()).await?;
        }
        Ok(())
    }
}
