//! Indexes the keyset orders of bounded lists walk (SPEC Q5): a company's dossiers newest first
//! (`company_id, id`), and the case managers' queue by state then oldest submission
//! (`status, submitted_on, id`). Without them each page sorts every matching dossier.

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
        manager.create_index(index("dossier", "ix_dossier_company_id", &["company_id", "id"])).await?;
        manager
            .create_index(index("dossier", "ix_dossier_status_submitted", &["status", "submitted_on", "id"]))
            .await?;
        manager.create_index(index("dossier", "ix_dossier_submitted", &["submitted_on", "id"])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["ix_dossier_submitted", "ix_dossier_status_submitted", "ix_dossier_company_id"] {
            manager.drop_index(Index::drop().name(name).table(Alias::new("dossier")).to_owned()).await?;
        }
        Ok(())
    }
}
