//! The integration suite: every route through the real router, on SQLite by default and on
//! PostgreSQL when `ESPACE_TEST_POSTGRES` is set (see `.ci/run`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail loudly")]

mod accounts;
mod api;
mod backups;
mod bad_input;
mod bank_change;
mod browser;
mod companies;
mod concurrency;
mod dossiers;
mod faults;
mod help;
mod identity;
mod imports;
mod isolation;
mod listing;
mod money_lists;
mod object_storage;
mod payment_status;
mod payments;
mod platform;
mod processes;
mod reimbursements;
mod reservation_lists;
mod security;
mod staff_lists;
mod support;
mod throttling;
mod tokens_and_codes;
