//! A one-row table that `/healthz` and the start-up write to (issue 12 point 1): a database that
//! answers reads but cannot write (a full disk, a read-only directory) must not look healthy.

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
        conn.execute_unprepared("CREATE TABLE health_probe (id INTEGER PRIMARY KEY, writes BIGINT NOT NULL)").await?;
        conn.execute_unprepared("INSERT INTO health_probe (id, writes) VALUES (1, 0)").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP TABLE health_probe").await?;
        Ok(())
    }
}
