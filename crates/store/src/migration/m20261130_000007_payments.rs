//! Payment runs (SPEC P1–P4): a run per scheduled slot, its frozen payments (payee, IBAN,
//! amount, references) and the invoices each pays, invoices held back with their reason, and the
//! bank returns imported.
//!
//! Exactly-once rests on three unique keys: one run per slot (`payment_run.slot_key`), one run
//! preparing at a time (`payment_run.preparing`, 1 while preparing and NULL after, NULLs never
//! conflicting), and one live payment per invoice (`payment_item.live_invoice_id`, cleared when
//! the bank rejects the transfer so that the invoice becomes payable again).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, date, integer_null, text, text_null, timestamp_with_time_zone,
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
            .create_table(
                Table::create()
                    .table("payment_run")
                    .col(big_pk_auto("id"))
                    .col(text("slot_key").unique_key())
                    .col(text("kind"))
                    .col(text("status"))
                    .col(integer_null("preparing").unique_key())
                    .col(text("message_id").unique_key())
                    .col(timestamp_with_time_zone("cutoff"))
                    .col(date("execution_date"))
                    .col(big_integer_null("started_by"))
                    .col(timestamp_with_time_zone("started_at"))
                    .col(timestamp_with_time_zone_null("frozen_at"))
                    .col(timestamp_with_time_zone_null("advised_at"))
                    .col(big_integer("payment_count"))
                    .col(big_integer("total_cents"))
                    .col(big_integer("held_count"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("payment")
                    .col(big_pk_auto("id"))
                    .col(big_integer("run_id"))
                    .col(text("payee_key"))
                    .col(text("end_to_end_id").unique_key())
                    .col(big_integer("company_id"))
                    .col(text("payee_kind"))
                    .col(text("payee_name"))
                    .col(text("payee_iban"))
                    .col(big_integer("amount_cents"))
                    .col(text("status"))
                    .col(text_null("status_reason"))
                    .col(timestamp_with_time_zone_null("returned_at"))
                    .col(big_integer_null("bank_return_id"))
                    .foreign_key(&mut fk("payment", "run_id", "payment_run", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk("payment", "company_id", "company", ForeignKeyAction::Restrict))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("payment", "ux_payment_payee", &["run_id", "payee_key"]).unique().to_owned())
            .await?;
        manager.create_index(index("payment", "ix_payment_company", &["company_id", "run_id"])).await?;
        manager
            .create_table(
                Table::create()
                    .table("payment_item")
                    .col(big_pk_auto("id"))
                    .col(big_integer("payment_id"))
                    .col(big_integer("invoice_id"))
                    .col(big_integer_null("live_invoice_id").unique_key())
                    .col(big_integer("amount_cents"))
                    .col(text("invoice_number"))
                    .col(text("proforma_number"))
                    .col(text("dossiers"))
                    .foreign_key(&mut fk("payment_item", "payment_id", "payment", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk("payment_item", "invoice_id", "invoice", ForeignKeyAction::Restrict))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("payment_item", "ix_payment_item_payment", &["payment_id"])).await?;
        manager.create_index(index("payment_item", "ix_payment_item_invoice", &["invoice_id"])).await?;
        manager
            .create_table(
                Table::create()
                    .table("payment_hold")
                    .col(big_pk_auto("id"))
                    .col(big_integer("run_id"))
                    .col(big_integer("invoice_id"))
                    .col(big_integer("company_id"))
                    .col(text("reason"))
                    .foreign_key(&mut fk("payment_hold", "run_id", "payment_run", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk("payment_hold", "invoice_id", "invoice", ForeignKeyAction::Restrict))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("payment_hold", "ux_payment_hold", &["run_id", "invoice_id"]).unique().to_owned())
            .await?;
        manager.create_index(index("payment_hold", "ix_payment_hold_company", &["company_id", "run_id"])).await?;
        manager
            .create_table(
                Table::create()
                    .table("bank_return")
                    .col(big_pk_auto("id"))
                    .col(text("digest").unique_key())
                    .col(text("file_name"))
                    .col(big_integer("settled"))
                    .col(big_integer("rejected"))
                    .col(big_integer_null("imported_by"))
                    .col(timestamp_with_time_zone("imported_at"))
                    .to_owned(),
            )
            .await?;
        // Approved invoices are looked up by status and approval date at every run.
        manager.create_index(index("invoice", "ix_invoice_decided", &["status", "decided_at"])).await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("la migration des paiements ne se défait pas".into()))
    }
}
