//! A company's contacts at the operator (SPEC I2): its advisor, its case manager and, for POEC,
//! its POEC referent, assigned by staff.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, big_pk_auto, text_null, timestamp_with_time_zone};

use super::schema::fk;

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
                    .table("company_contact")
                    .col(big_pk_auto("id"))
                    .col(big_integer("company_id").unique_key())
                    .col(big_integer_null("advisor_id"))
                    .col(big_integer_null("case_manager_id"))
                    .col(text_null("poec_referent"))
                    .col(big_integer_null("updated_by"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("company_contact", "company_id", "company", ForeignKeyAction::Cascade))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("la migration des contacts ne se défait pas".into()))
    }
}
