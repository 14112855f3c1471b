//! Announcements targeted by branch and region (SPEC I3), and who dismissed which.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, big_pk_auto, date, text, timestamp_with_time_zone};

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
                    .table("announcement")
                    .col(big_pk_auto("id"))
                    .col(text("title"))
                    .col(text("body"))
                    .col(text("branches"))
                    .col(text("regions"))
                    .col(date("starts_on"))
                    .col(date("ends_on"))
                    .col(big_integer_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("announcement", "ix_announcement_dates", &["ends_on", "starts_on"])).await?;
        manager
            .create_table(
                Table::create()
                    .table("announcement_dismissal")
                    .col(big_pk_auto("id"))
                    .col(big_integer("announcement_id"))
                    .col(big_integer("user_id"))
                    .col(timestamp_with_time_zone("dismissed_at"))
                    .foreign_key(&mut fk(
                        "announcement_dismissal",
                        "announcement_id",
                        "announcement",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("announcement_dismissal", "ux_announcement_dismissal", &["announcement_id", "user_id"])
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("la migration des annonces ne se défait pas".into()))
    }
}
