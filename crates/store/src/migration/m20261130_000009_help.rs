//! The help centre (SPEC I2): FAQ entries, seeded from the shipped content at the first start and
//! then edited, published and unpublished by platform admins.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, big_pk_auto, boolean, text, timestamp_with_time_zone};

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
                    .table("help_entry")
                    .col(big_pk_auto("id"))
                    .col(text("slug").unique_key())
                    .col(text("theme"))
                    .col(text("question"))
                    .col(text("answer"))
                    .col(big_integer("position"))
                    .col(boolean("published"))
                    .col(big_integer("version"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(big_integer_null("updated_by"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("help_entry", "ix_help_entry_theme", &["theme", "position"])).await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("la migration de l’aide ne se défait pas".into()))
    }
}
