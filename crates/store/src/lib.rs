//! What espace-formation remembers: sea-orm entities, migrations, queries, the job queue, the mail
//! outbox and the audit log.
//!
//! Every function takes a connection or a transaction (`&impl ConnectionTrait`) so the caller
//! decides what commits together: a change, its audit entry and the jobs it causes are written in
//! one transaction. Rules live in `domain`; this crate never decides, it stores and finds.
//! Instants are passed in by the caller (never SQL `now()`), so tests can move the clock.

pub mod account;
pub mod activation;
pub mod announcement;
pub mod api_token;
pub mod attachment;
pub mod audit;
pub mod backup;
pub mod company;
pub mod contact;
pub mod db;
pub mod document;
pub mod dossier;
pub mod drf;
mod entity;
pub mod help;
pub mod history;
pub mod invoice;
pub mod job;
pub mod legacy;
pub mod listing;
pub mod lock;
pub mod login_attempt;
pub mod migration;
pub mod notification;
pub mod outbox;
pub mod payment;
pub mod proforma;
pub mod rate_limit;
pub mod reimbursement;
pub mod schemes;
pub mod secret;
pub mod session;
pub mod trusted_device;
pub mod user_token;

pub use db::Db;
pub use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, TransactionTrait};

use sea_orm_migration::MigratorTrait as _;

/// The right to change the schema (and to seed what a new database starts with), held by one
/// process at a time.
pub const STARTUP_LOCK: &str = "startup";

/// Applies the migrations not yet applied and returns their names, in order.
///
/// Several processes started together on one database (two web processes and a worker after a
/// deployment) take turns here: without the lock two would read the same pending list and the
/// second would fail creating a table the first just made (or, on PostgreSQL, race on
/// `CREATE TABLE IF NOT EXISTS seaql_migrations`). The later ones find nothing pending.
///
/// # Errors
/// The first migration's error; that migration is rolled back.
pub async fn migrate(db: &Db) -> Result<Vec<String>, DbErr> {
    let exclusive = lock::acquire(db, STARTUP_LOCK).await?;
    let applied = migrate_holding_lock(db).await;
    exclusive.release().await;
    applied
}

/// [`migrate`] for a caller that already holds [`STARTUP_LOCK`].
///
/// # Errors
/// The first migration's error; that migration is rolled back.
pub async fn migrate_holding_lock(db: &Db) -> Result<Vec<String>, DbErr> {
    let pending: Vec<String> =
        migration::Migrator::get_pending_migrations(db).await?.iter().map(|m| m.name().to_owned()).collect();
    migration::Migrator::up(db, None).await?;
    Ok(pending)
}
