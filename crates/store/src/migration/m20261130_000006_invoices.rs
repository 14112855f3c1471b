//! The companies' own invoices, uploaded for a proforma and approved for payment (SPEC F3, F7);
//! their files are documents tied to the proforma.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, text, text_null, timestamp_with_time_zone,
    timestamp_with_time_zone_null,
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
            .alter_table(Table::alter().table("document").add_column(big_integer_null("proforma_id")).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("invoice")
                    .col(big_pk_auto("id"))
                    .col(big_integer("proforma_id"))
                    .col(big_integer("company_id"))
                    .col(text("number"))
                    .col(text("syntax"))
                    .col(text("buyer_name"))
                    .col(text_null("seller_siren"))
                    .col(big_integer("net_cents"))
                    .col(big_integer("vat_cents"))
                    .col(big_integer("gross_cents"))
                    .col(text_null("iban"))
                    .col(big_integer("document_id"))
                    .col(big_integer_null("rib_document_id"))
                    .col(text("status"))
                    .col(text_null("reason"))
                    .col(big_integer("version"))
                    .col(big_integer_null("uploaded_by"))
                    .col(timestamp_with_time_zone("uploaded_at"))
                    .col(big_integer_null("decided_by"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .foreign_key(&mut fk("invoice", "proforma_id", "proforma", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk("invoice", "document_id", "document", ForeignKeyAction::Restrict))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("invoice", "ix_invoice_proforma", &["proforma_id"])).await?;
        manager.create_index(index("invoice", "ix_invoice_status", &["status", "uploaded_at"])).await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("la migration des factures ne se défait pas".into()))
    }
}
