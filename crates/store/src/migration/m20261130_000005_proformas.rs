//! Proforma invoices (SPEC F3–F7): numbered, frozen when issued (payer, public, amounts, bank
//! account), each validated DR on one proforma at most.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, boolean, text, text_null, timestamp_with_time_zone,
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
                    .table("proforma")
                    .col(big_pk_auto("id"))
                    .col(text("number").unique_key())
                    .col(big_integer("company_id"))
                    .col(text("payer"))
                    .col(text("public"))
                    .col(text_null("scheme"))
                    .col(big_integer("net_cents"))
                    .col(big_integer("vat_cents"))
                    .col(big_integer("gross_cents"))
                    .col(boolean("vat_subject"))
                    .col(text_null("iban"))
                    .col(text_null("account_holder"))
                    .col(big_integer_null("issued_by"))
                    .col(timestamp_with_time_zone("issued_at"))
                    .foreign_key(&mut fk("proforma", "company_id", "company", ForeignKeyAction::Restrict))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("proforma", "ix_proforma_company", &["company_id", "issued_at"])).await?;
        manager
            .create_table(
                Table::create()
                    .table("proforma_line")
                    .col(big_pk_auto("id"))
                    .col(big_integer("proforma_id"))
                    // A DR is invoiced once: the database refuses a second proforma line for it.
                    .col(big_integer("reimbursement_id").unique_key())
                    .col(big_integer("dossier_id"))
                    .col(big_integer("amount_cents"))
                    .foreign_key(&mut fk("proforma_line", "proforma_id", "proforma", ForeignKeyAction::Cascade))
                    .foreign_key(&mut fk(
                        "proforma_line",
                        "reimbursement_id",
                        "reimbursement",
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("proforma_line", "ix_proforma_line", &["proforma_id"])).await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("la migration des factures pro forma ne se défait pas".into()))
    }
}
