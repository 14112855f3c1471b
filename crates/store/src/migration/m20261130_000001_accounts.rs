//! Accounts, sessions, single-use tokens, trusted devices, sign-in attempts, API tokens, the
//! mail outbox, the job queue and the append-only audit log.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, boolean, text, text_null, timestamp_with_time_zone,
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
                    .table("app_user")
                    .col(big_pk_auto("id"))
                    .col(text("email").unique_key())
                    .col(text_null("password_hash"))
                    .col(text("given_name"))
                    .col(text("family_name"))
                    .col(text("role"))
                    .col(timestamp_with_time_zone_null("email_verified_at"))
                    .col(timestamp_with_time_zone_null("password_changed_at"))
                    .col(timestamp_with_time_zone_null("disabled_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .check(Expr::col("role").is_in(["company_user", "advisor", "case_manager", "platform_admin"]))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("user_session")
                    .col(big_pk_auto("id"))
                    .col(text("token_hash").unique_key())
                    .col(big_integer("user_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("last_seen_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(text_null("ip"))
                    .col(text_null("user_agent"))
                    .foreign_key(&mut fk("user_session", "user_id", "app_user", ForeignKeyAction::Cascade))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("user_session", "ix_user_session_user", &["user_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("user_token")
                    .col(big_pk_auto("id"))
                    .col(big_integer("user_id"))
                    .col(text("purpose"))
                    .col(text("token_hash").unique_key())
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .foreign_key(&mut fk("user_token", "user_id", "app_user", ForeignKeyAction::Cascade))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("user_token", "ix_user_token_user", &["user_id", "purpose"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("trusted_device")
                    .col(big_pk_auto("id"))
                    .col(big_integer("user_id"))
                    .col(text("token_hash").unique_key())
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("last_used_at"))
                    .foreign_key(&mut fk("trusted_device", "user_id", "app_user", ForeignKeyAction::Cascade))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("trusted_device", "ix_trusted_device_user", &["user_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("login_attempt")
                    .col(big_pk_auto("id"))
                    .col(timestamp_with_time_zone("attempted_at"))
                    .col(text("email"))
                    .col(text("ip"))
                    .col(big_integer_null("device_id"))
                    .col(boolean("succeeded"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("login_attempt", "ix_login_attempt_email", &["email", "attempted_at"])).await?;
        manager.create_index(index("login_attempt", "ix_login_attempt_ip", &["ip", "attempted_at"])).await?;
        manager.create_index(index("login_attempt", "ix_login_attempt_device", &["device_id", "attempted_at"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("api_token")
                    .col(big_pk_auto("id"))
                    .col(big_integer("user_id"))
                    .col(text("name"))
                    .col(text("token_hash").unique_key())
                    .col(text("prefix"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("expires_at"))
                    .col(timestamp_with_time_zone_null("last_used_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk("api_token", "user_id", "app_user", ForeignKeyAction::Cascade))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("api_token", "ix_api_token_user", &["user_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("outbox_message")
                    .col(big_pk_auto("id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(text("to_address"))
                    .col(text("subject"))
                    .col(text("body_text"))
                    .col(text("body_html"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .col(big_integer("attempts").default(0))
                    .col(text_null("last_error"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("job")
                    .col(big_pk_auto("id"))
                    .col(text("kind"))
                    .col(text("key"))
                    .col(text("payload"))
                    .col(text("status"))
                    .col(big_integer("attempts").default(0))
                    .col(timestamp_with_time_zone("run_at"))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .col(text_null("last_error"))
                    .col(big_integer("progress_done").default(0))
                    .col(big_integer_null("progress_total"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("finished_at"))
                    .check(Expr::col("status").is_in(["pending", "running", "done", "failed"]))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("job", "ux_job_kind_key", &["kind", "key"]).unique().to_owned()).await?;
        manager.create_index(index("job", "ix_job_ready", &["status", "run_at"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("audit_event")
                    .col(big_pk_auto("id"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .col(big_integer_null("actor_user_id"))
                    .col(text("actor_label"))
                    .col(text("action"))
                    .col(text_null("subject_type"))
                    .col(text_null("subject_id"))
                    .col(text_null("ip"))
                    .col(text_null("request_id"))
                    .col(text_null("detail"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("audit_event", "ix_audit_event_occurred", &["occurred_at"])).await?;
        manager.create_index(index("audit_event", "ix_audit_event_actor", &["actor_user_id"])).await?;

        // The audit log is append-only: the database itself refuses to change or erase it.
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN RAISE EXCEPTION 'audit_event is append-only'; END; $$",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event \
                     FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event \
                     FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
                )
                .await?;
            }
            _ => {
                for (name, event) in [("audit_event_no_update", "UPDATE"), ("audit_event_no_delete", "DELETE")] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {name} BEFORE {event} ON audit_event \
                         BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // Accounts and the audit log are never dropped by a migration.
        Err(DbErr::Migration("la migration des comptes ne se défait pas".into()))
    }
}
