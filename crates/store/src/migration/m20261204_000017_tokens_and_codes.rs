//! Tokens and codes (issue 11 point 7): each outbox message says what kind of e-mail it is, so
//! that an address receives at most a few of one kind per hour; the index serves that count.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        // Same syntax on SQLite and PostgreSQL; messages queued before have no kind and count
        // for none.
        conn.execute_unprepared("ALTER TABLE outbox_message ADD COLUMN kind TEXT NOT NULL DEFAULT ''").await?;
        conn.execute_unprepared(
            "CREATE INDEX ix_outbox_message_recipient_kind ON outbox_message (to_address, kind, created_at)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        conn.execute_unprepared("DROP INDEX ix_outbox_message_recipient_kind").await?;
        conn.execute_unprepared("ALTER TABLE outbox_message DROP COLUMN kind").await?;
        Ok(())
    }
}
