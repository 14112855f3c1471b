//! Opening the database, whichever backend the URL names.
//!
//! SQLite is tuned for money: WAL so readers never wait for the writer, `synchronous=FULL` so a
//! committed payment survives a power cut, foreign keys on, a busy timeout instead of instant
//! "database is locked", and write transactions that take the lock at `BEGIN` (see [`write`]).

use std::path::Path;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, SqliteTransactionMode,
    Statement, TransactionOptions, TransactionTrait,
};

/// The connection pool handed to every query.
pub type Db = DatabaseConnection;

/// The URL of the embedded SQLite file in a data directory.
#[must_use]
pub fn sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("espace.db").display())
}

/// The file behind a `sqlite:` URL, for the bulk writers that open their own connection; `None`
/// for PostgreSQL and for in-memory databases.
#[must_use]
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    use std::str::FromStr;
    if !url.starts_with("sqlite:") || url.contains(":memory:") || url.contains("mode=memory") {
        return None;
    }
    let options = sea_orm::sqlx::sqlite::SqliteConnectOptions::from_str(url).ok()?;
    Some(options.get_filename().to_path_buf())
}

/// How long a request waits for a connection before it is told to come back (503): a person
/// waiting longer learns nothing more, and a database that is down is not up 15 s later.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// Opens a pool on `url` (`sqlite://…` or `postgres://…`).
///
/// # Errors
/// The driver's error when the database cannot be reached or the URL is not understood.
pub async fn connect(url: &str) -> Result<Db, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options.sqlx_logging(false).connect_timeout(Duration::from_secs(10)).acquire_timeout(ACQUIRE_TIMEOUT);
    if url.starts_with("sqlite:") {
        // One writer at a time is SQLite's nature; a few connections let pages read while a
        // transaction writes.
        options.max_connections(4).min_connections(1).map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    } else {
        options.max_connections(16).min_connections(1);
    }
    sea_orm::Database::connect(options).await
}

/// Begins a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`, so two writers queue
/// on the busy timeout instead of one failing when it tries to upgrade a read lock.
///
/// # Errors
/// The driver's error.
pub async fn write(db: &Db) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            db.begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await
        }
        _ => db.begin().await,
    }
}

/// A parent row that a check-then-write locks so that concurrent requests take turns (SPEC Q2):
/// what remains of a commitment is read under the dossier's lock, one live invoice under the
/// proforma's, a DRF's use under its own, a company's proformas and administrators under the
/// company's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locked {
    /// `company`.
    Company,
    /// `dossier`.
    Dossier,
    /// `drf`.
    Drf,
    /// `proforma`.
    Proforma,
}

impl Locked {
    fn table(self) -> &'static str {
        match self {
            Locked::Company => "company",
            Locked::Dossier => "dossier",
            Locked::Drf => "drf",
            Locked::Proforma => "proforma",
        }
    }
}

/// Locks one row until the transaction ends. On PostgreSQL it is `SELECT … FOR UPDATE`, so a
/// second transaction waits here and then reads what the first committed; SQLite's write
/// transactions are already one at a time (`BEGIN IMMEDIATE`, see [`write`]). Call it first in
/// the transaction, before reading what the check needs.
///
/// # Errors
/// The driver's error.
pub async fn lock(conn: &impl ConnectionTrait, row: Locked, id: i64) -> Result<(), DbErr> {
    if conn.get_database_backend() == DbBackend::Postgres {
        let sql = format!("SELECT id FROM {} WHERE id = $1 FOR UPDATE", row.table());
        conn.query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, [id.into()])).await?;
    }
    Ok(())
}

/// Whether the database answers a trivial query.
pub async fn ping(db: &Db) -> bool {
    let backend = db.get_database_backend();
    db.query_one_raw(Statement::from_string(backend, "SELECT 1")).await.is_ok()
}

/// A short name for the backend, for health checks and logs.
#[must_use]
pub fn backend_name(db: &Db) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Postgres => "postgresql",
        DbBackend::Sqlite => "sqlite",
        _ => "other",
    }
}

/// Whether an error says the database cannot serve for now, whatever the request: unreachable
/// or restarting, no connection free in time, out of disk space, read-only, or busy beyond the
/// wait (SPEC Q4). Callers answer « try again shortly » (503) rather than « our fault » (500).
#[must_use]
pub fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error;
    let cause = match err {
        DbErr::ConnectionAcquire(_) => return true,
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        DbErr::Conn(_) => return true,
        _ => return false,
    };
    match cause.as_ref() {
        Error::Io(_) | Error::PoolTimedOut | Error::PoolClosed | Error::WorkerCrashed | Error::Tls(_) => true,
        Error::Database(db) => db.code().is_some_and(|code| unavailable_code(&code)),
        _ => false,
    }
}

/// SQLite result codes (primary code in the low byte) and PostgreSQL SQLSTATEs of a database
/// that cannot serve for now.
fn unavailable_code(code: &str) -> bool {
    const SQLITE_BUSY: i64 = 5;
    const SQLITE_LOCKED: i64 = 6;
    const SQLITE_READONLY: i64 = 8;
    const SQLITE_IOERR: i64 = 10;
    const SQLITE_FULL: i64 = 13;
    const SQLITE_CANTOPEN: i64 = 14;
    match code.parse::<i64>() {
        Ok(sqlite) => matches!(
            sqlite & 0xff,
            SQLITE_BUSY | SQLITE_LOCKED | SQLITE_READONLY | SQLITE_IOERR | SQLITE_FULL | SQLITE_CANTOPEN
        ),
        // Connection exceptions (08…), insufficient resources such as a full disk (53…), an
        // administrator's shutdown or a server starting up (57P01–57P03), a read-only standby.
        Err(_) => code.starts_with("08") || code.starts_with("53") || code.starts_with("57P") || code == "25006",
    }
}

/// Whether an error is the violation of a uniqueness constraint (a duplicate).
#[must_use]
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}
