//! The rate limit on public forms, counted in the database (issue 13 point 4): one row per key
//! (a client address), when its window started and how many posts it saw. In the database rather
//! than in each process's memory, so that several web processes share one limit (SPEC Q5).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, text, timestamp_with_time_zone};

use super::schema::index;

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
                    .table("rate_limit")
                    // The key is the conflict target of the counting upsert.
                    .col(text("key").primary_key())
                    .col(timestamp_with_time_zone("window_start"))
                    .col(big_integer("count"))
                    .to_owned(),
            )
            .await?;
        // Housekeeping deletes the windows long over.
        manager.create_index(index("rate_limit", "ix_rate_limit_window_start", &["window_start"])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("rate_limit").to_owned()).await?;
        Ok(())
    }
}
