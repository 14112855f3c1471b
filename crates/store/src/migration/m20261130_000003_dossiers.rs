//! Fund reservations (DRF), training dossiers and work-study contracts with their trainees, the
//! timeline shared by companies and case managers, scheme settings (C7), and the read-only
//! history of legacy dossiers.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, boolean, date, date_null, text, text_null, timestamp_with_time_zone,
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
                    .table("scheme_setting")
                    .col(text("scheme").primary_key())
                    .col(timestamp_with_time_zone_null("agreement_recorded_at"))
                    .col(big_integer_null("agreement_recorded_by"))
                    .col(text_null("agreement_reference"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("drf")
                    .col(big_pk_auto("id"))
                    .col(text("number").unique_key())
                    .col(big_integer("company_id"))
                    .col(big_integer("establishment_id"))
                    .col(text("scheme"))
                    .col(text("status"))
                    .col(text("origin"))
                    .col(text("trainee_name"))
                    .col(text("contract_type"))
                    .col(big_integer("hours"))
                    .col(date("training_start"))
                    .col(date("training_end"))
                    .col(text("provider_name"))
                    .col(text("provider_siret"))
                    .col(text("provider_nda"))
                    .col(big_integer("cost_cents"))
                    .col(big_integer("amount_cents"))
                    .col(date_null("filed_on"))
                    .col(date_null("validated_on"))
                    .col(date_null("valid_until"))
                    .col(text_null("reason"))
                    .col(big_integer_null("dossier_id"))
                    .col(big_integer("version").default(0))
                    .col(big_integer_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .check(Expr::col("status").is_in(["draft", "submitted", "validated", "refused", "expired", "used"]))
                    .foreign_key(&mut fk("drf", "company_id", "company", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk("drf", "establishment_id", "establishment", ForeignKeyAction::Restrict))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("drf", "ix_drf_company", &["company_id", "status"])).await?;
        manager.create_index(index("drf", "ix_drf_status", &["status", "valid_until"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("dossier")
                    .col(big_pk_auto("id"))
                    .col(text("number").unique_key())
                    .col(big_integer("company_id"))
                    .col(big_integer("establishment_id"))
                    .col(text("scheme"))
                    .col(text_null("sub_scheme"))
                    .col(text("kind"))
                    .col(text("payer"))
                    .col(text("public"))
                    .col(text("status"))
                    .col(text("title"))
                    .col(text("provider_name"))
                    .col(text("provider_siret"))
                    .col(text("provider_nda"))
                    .col(date("training_start"))
                    .col(date("training_end"))
                    .col(big_integer("hours"))
                    .col(big_integer("cost_cents"))
                    .col(big_integer("requested_cents"))
                    .col(big_integer_null("committed_cents"))
                    .col(big_integer_null("drf_id"))
                    .col(big_integer_null("duplicated_from"))
                    .col(date_null("submitted_on"))
                    .col(date_null("info_due_on"))
                    .col(big_integer("version").default(0))
                    .col(big_integer_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .check(Expr::col("status").is_in([
                        "draft",
                        "submitted",
                        "info_requested",
                        "accepted",
                        "refused",
                        "in_progress",
                        "reimbursement",
                        "paid",
                        "closed",
                    ]))
                    .check(Expr::col("payer").is_in(["AKTO", "FPETT"]))
                    .foreign_key(&mut fk("dossier", "company_id", "company", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk("dossier", "establishment_id", "establishment", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk("dossier", "drf_id", "drf", ForeignKeyAction::Restrict))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("dossier", "ix_dossier_company", &["company_id", "status"])).await?;
        manager.create_index(index("dossier", "ix_dossier_queue", &["status", "scheme", "submitted_on"])).await?;
        // A DRF becomes at most one dossier.
        manager
            .get_connection()
            .execute_unprepared("CREATE UNIQUE INDEX ux_dossier_drf ON dossier (drf_id) WHERE drf_id IS NOT NULL")
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("trainee")
                    .col(big_pk_auto("id"))
                    .col(big_integer("dossier_id"))
                    .col(big_integer("position"))
                    .col(text("given_name"))
                    .col(text("family_name"))
                    .col(text("public"))
                    .foreign_key(&mut fk("trainee", "dossier_id", "dossier", ForeignKeyAction::Cascade))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("trainee", "ix_trainee_dossier", &["dossier_id", "position"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("dossier_event")
                    .col(big_pk_auto("id"))
                    .col(big_integer_null("dossier_id"))
                    .col(big_integer_null("drf_id"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .col(big_integer_null("actor_user_id"))
                    .col(text("actor_label"))
                    .col(boolean("by_staff").default(false))
                    .col(text("kind"))
                    .col(text_null("from_status"))
                    .col(text_null("to_status"))
                    .col(text_null("message"))
                    .col(big_integer_null("amount_cents"))
                    .col(date_null("due_on"))
                    .foreign_key(&mut fk("dossier_event", "dossier_id", "dossier", ForeignKeyAction::Cascade))
                    .foreign_key(&mut fk("dossier_event", "drf_id", "drf", ForeignKeyAction::Cascade))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("dossier_event", "ix_event_dossier", &["dossier_id", "occurred_at"])).await?;
        manager.create_index(index("dossier_event", "ix_event_drf", &["drf_id", "occurred_at"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("legacy_dossier")
                    .col(big_pk_auto("id"))
                    .col(text("number").unique_key())
                    .col(big_integer("company_id"))
                    .col(big_integer_null("establishment_id"))
                    .col(text("siret"))
                    .col(text("scheme"))
                    .col(text("payer"))
                    .col(text("title"))
                    .col(text("provider_siret"))
                    .col(date_null("training_start"))
                    .col(date_null("training_end"))
                    .col(big_integer("trainees"))
                    .col(big_integer("committed_cents"))
                    .col(big_integer("paid_cents"))
                    .col(boolean("closed"))
                    .col(date("last_movement_on"))
                    .col(timestamp_with_time_zone("imported_at"))
                    .foreign_key(&mut fk("legacy_dossier", "company_id", "company", ForeignKeyAction::Restrict))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("legacy_dossier", "ix_legacy_dossier_company", &["company_id", "last_movement_on"]))
            .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("la migration des dossiers ne se défait pas".into()))
    }
}
