//! Reimbursement requests (DR) with their lines by nature, and the supporting documents companies
//! upload (stored outside the database under their content hash).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, date, date_null, text, text_null, timestamp_with_time_zone,
};

use super::schema::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("reimbursement")
                    .col(big_pk_auto("id"))
                    .col(text("number").unique_key())
                    .col(big_integer("dossier_id"))
                    .col(big_integer("company_id"))
                    .col(big_integer("establishment_id"))
                    .col(text("status"))
                    .col(text_null("budget"))
                    .col(big_integer("claimed_cents"))
                    .col(big_integer_null("validated_cents"))
                    .col(text_null("reason"))
                    .col(date("submitted_on"))
                    .col(date_null("info_due_on"))
                    .col(big_integer("version"))
                    .col(big_integer_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("reimbursement", "dossier_id", "dossier", ForeignKeyAction::Restrict))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("reimbursement", "ix_reimbursement_dossier", &["dossier_id"])).await?;
        manager.create_index(index("reimbursement", "ix_reimbursement_status", &["status", "submitted_on"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("reimbursement_line")
                    .col(big_pk_auto("id"))
                    .col(big_integer("reimbursement_id"))
                    .col(text("nature"))
                    .col(big_integer("amount_cents"))
                    .foreign_key(&mut fk(
                        "reimbursement_line",
                        "reimbursement_id",
                        "reimbursement",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("reimbursement_line", "ix_reimbursement_line", &["reimbursement_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("document")
                    .col(big_pk_auto("id"))
                    .col(big_integer("company_id"))
                    .col(big_integer_null("dossier_id"))
                    .col(big_integer_null("reimbursement_id"))
                    .col(text("kind"))
                    .col(text("file_name"))
                    .col(text("sha256"))
                    .col(big_integer("size"))
                    .col(text("content_type"))
                    .col(big_integer_null("uploaded_by"))
                    .col(timestamp_with_time_zone("uploaded_at"))
                    .foreign_key(&mut fk("document", "company_id", "company", ForeignKeyAction::Restrict))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("document", "ix_document_reimbursement", &["reimbursement_id"])).await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("la migration des remboursements ne se défait pas".into()))
    }
}
