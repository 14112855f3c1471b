//! Companies, establishments, bank accounts, attachments and habilitations, activation letters
//! and codes, notifications, and the staging table of legacy accounts.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, binary_null, boolean, text, text_null, timestamp_with_time_zone,
    timestamp_with_time_zone_null,
};

use super::schema::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn address(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(text("street").default(""))
        .col(text_null("street_complement"))
        .col(text("postal_code").default(""))
        .col(text("city").default(""))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut company = Table::create();
        company.table("company").col(big_pk_auto("id")).col(text("siren").unique_key()).col(text("name"));
        address(&mut company)
            .col(boolean("vat_subject").default(true))
            .col(big_integer_null("headcount"))
            .col(boolean("edi").default(false))
            .col(text_null("branch"))
            .col(text_null("region"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"));
        manager.create_table(company.to_owned()).await?;

        let mut establishment = Table::create();
        establishment
            .table("establishment")
            .col(big_pk_auto("id"))
            .col(big_integer("company_id"))
            .col(text("siret").unique_key())
            .col(text("name"));
        address(&mut establishment)
            .col(boolean("head_office").default(false))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone("updated_at"))
            .foreign_key(&mut fk("establishment", "company_id", "company", ForeignKeyAction::Restrict));
        manager.create_table(establishment.to_owned()).await?;
        manager.create_index(index("establishment", "ix_establishment_company", &["company_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("bank_account")
                    .col(big_pk_auto("id"))
                    .col(big_integer("company_id"))
                    .col(text("iban"))
                    .col(text("holder_name"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(big_integer_null("created_by"))
                    .col(timestamp_with_time_zone_null("retired_at"))
                    .foreign_key(&mut fk("bank_account", "company_id", "company", ForeignKeyAction::Restrict))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("bank_account", "ix_bank_account_company", &["company_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("attachment")
                    .col(big_pk_auto("id"))
                    .col(big_integer("user_id"))
                    .col(big_integer("company_id"))
                    .col(big_integer_null("establishment_id"))
                    .col(text("status"))
                    .col(boolean("is_admin").default(false))
                    .col(text("source"))
                    .col(text_null("message"))
                    .col(timestamp_with_time_zone("requested_at"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .col(big_integer_null("decided_by"))
                    .col(text_null("reason"))
                    .check(Expr::col("status").is_in(["requested", "approved", "refused", "withdrawn"]))
                    .foreign_key(&mut fk("attachment", "user_id", "app_user", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk("attachment", "company_id", "company", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk("attachment", "establishment_id", "establishment", ForeignKeyAction::Restrict))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("attachment", "ix_attachment_user", &["user_id", "status"])).await?;
        manager.create_index(index("attachment", "ix_attachment_company", &["company_id", "status"])).await?;
        // One live attachment per user and scope: asking twice, or approving twice, cannot create
        // a second one. Same partial expression index syntax on both backends.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_attachment_live ON attachment \
                 (user_id, company_id, COALESCE(establishment_id, 0)) WHERE status IN ('requested', 'approved')",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("habilitation")
                    .col(big_pk_auto("id"))
                    .col(big_integer("attachment_id"))
                    .col(text("domain"))
                    .col(timestamp_with_time_zone("granted_at"))
                    .col(big_integer_null("granted_by"))
                    .check(Expr::col("domain").is_in(["training", "work_study", "invoicing"]))
                    .foreign_key(&mut fk("habilitation", "attachment_id", "attachment", ForeignKeyAction::Cascade))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("habilitation", "ux_habilitation", &["attachment_id", "domain"]).unique().to_owned())
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("letter_batch")
                    .col(big_pk_auto("id"))
                    .col(text("status"))
                    .col(big_integer("letter_count").default(0))
                    .col(binary_null("pdf"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(big_integer_null("created_by"))
                    .col(timestamp_with_time_zone_null("ready_at"))
                    .col(timestamp_with_time_zone_null("posted_at"))
                    .col(big_integer_null("posted_by"))
                    .check(Expr::col("status").is_in(["preparing", "ready", "posted"]))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("activation_letter")
                    .col(big_pk_auto("id"))
                    .col(big_integer("company_id"))
                    .col(big_integer_null("requested_by"))
                    .col(text("reason"))
                    .col(text("status"))
                    .col(big_integer_null("batch_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("posted_at"))
                    .check(Expr::col("status").is_in(["queued", "batched", "posted", "cancelled"]))
                    .foreign_key(&mut fk("activation_letter", "company_id", "company", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk("activation_letter", "batch_id", "letter_batch", ForeignKeyAction::Restrict))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("activation_letter", "ix_letter_status", &["status", "company_id"])).await?;
        manager.create_index(index("activation_letter", "ix_letter_batch", &["batch_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("activation_code")
                    .col(big_pk_auto("id"))
                    .col(big_integer("company_id"))
                    .col(big_integer("letter_id"))
                    .col(text("code_hash").unique_key())
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .col(big_integer_null("used_by"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk("activation_code", "company_id", "company", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk(
                        "activation_code",
                        "letter_id",
                        "activation_letter",
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("activation_code", "ix_activation_code_company", &["company_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("activation_attempt")
                    .col(big_pk_auto("id"))
                    .col(big_integer("user_id"))
                    .col(big_integer_null("company_id"))
                    .col(timestamp_with_time_zone("attempted_at"))
                    .col(boolean("succeeded"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("activation_attempt", "ix_activation_attempt_user", &["user_id", "attempted_at"]))
            .await?;
        manager
            .create_index(index("activation_attempt", "ix_activation_attempt_company", &["company_id", "attempted_at"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("notification")
                    .col(big_pk_auto("id"))
                    .col(big_integer("user_id"))
                    .col(text("kind"))
                    .col(text("title"))
                    .col(text("body"))
                    .col(text_null("link"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("read_at"))
                    .foreign_key(&mut fk("notification", "user_id", "app_user", ForeignKeyAction::Restrict))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("notification", "ix_notification_user", &["user_id", "read_at"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("legacy_account")
                    .col(big_pk_auto("id"))
                    .col(text("email"))
                    .col(text("family_name"))
                    .col(text("given_name"))
                    .col(text("siren"))
                    .col(text("siret").default(""))
                    .col(boolean("is_admin"))
                    .col(text("domains"))
                    .col(timestamp_with_time_zone("imported_at"))
                    .col(timestamp_with_time_zone_null("applied_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("legacy_account", "ux_legacy_account", &["email", "siren", "siret"]).unique().to_owned(),
            )
            .await?;

        manager
            .alter_table(
                Table::alter().table("app_user").add_column(boolean("notify_by_email").default(false)).to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("la migration des entreprises ne se défait pas".into()))
    }
}
