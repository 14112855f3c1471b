//! Schema migrations, append-only: never edit one that has landed; add the next one instead.
//!
//! Every migration runs inside a transaction on both backends, so a failure leaves the schema as
//! it was.

use sea_orm_migration::prelude::*;

mod m20261130_000001_accounts;
mod m20261130_000002_companies;
mod m20261130_000003_dossiers;
mod m20261130_000004_reimbursements;
mod m20261130_000005_proformas;
mod m20261130_000006_invoices;
mod m20261130_000007_payments;
mod m20261130_000008_subrogation;
mod m20261130_000009_help;
mod m20261130_000010_announcements;
mod m20261130_000011_contacts;
mod m20261203_000014_one_winner;
mod m20261204_000015_bank_change;
mod m20261204_000017_tokens_and_codes;
mod m20261204_000018_health_probe;
mod m20261205_000019_rate_limit;
mod m20261205_000023_kept_sepa_files;
mod m20261205_000030_list_indexes;
mod m20261205_000031_reservation_list_indexes;
mod m20261205_000032_money_list_indexes;
mod m20261205_000033_staff_list_indexes;
mod schema;

/// The ordered list of migrations.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261130_000001_accounts::Migration),
            Box::new(m20261130_000002_companies::Migration),
            Box::new(m20261130_000003_dossiers::Migration),
            Box::new(m20261130_000004_reimbursements::Migration),
            Box::new(m20261130_000005_proformas::Migration),
            Box::new(m20261130_000006_invoices::Migration),
            Box::new(m20261130_000007_payments::Migration),
            Box::new(m20261130_000008_subrogation::Migration),
            Box::new(m20261130_000009_help::Migration),
            Box::new(m20261130_000010_announcements::Migration),
            Box::new(m20261130_000011_contacts::Migration),
            Box::new(m20261203_000014_one_winner::Migration),
            Box::new(m20261204_000015_bank_change::Migration),
            Box::new(m20261204_000017_tokens_and_codes::Migration),
            Box::new(m20261204_000018_health_probe::Migration),
            Box::new(m20261205_000019_rate_limit::Migration),
            Box::new(m20261205_000023_kept_sepa_files::Migration),
            Box::new(m20261205_000030_list_indexes::Migration),
            Box::new(m20261205_000031_reservation_list_indexes::Migration),
            Box::new(m20261205_000032_money_list_indexes::Migration),
            Box::new(m20261205_000033_staff_list_indexes::Migration),
        ]
    }
}
