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
    // Statements are logged only when asked (`ESPACE_LOG=…,sqlx::query=debug`): how the
    // benchmark counts the statements of a request.
    let log_statements = tracing::enabled!(target: "sqlx::query", tracing::Level::DEBUG);
    options
        .sqlx_logging(log_statements)
        .sqlx_logging_level(log::LevelFilter::Debug)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(ACQUIRE_TIMEOUT);
    // The ping before each acquire stays (sqlx's default) although `reusable` pings connections
    // coming back: an idle connection may die while it waits in the pool (a database restart),
    // and without it the first request after an outage got a 503 (faults test on PostgreSQL).
    if url.starts_with("sqlite:") {
        // One writer at a time is SQLite's nature; a few connections let pages read while a
        // transaction writes.
        options
            .max_connections(4)
            .min_connections(1)
            .map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
            })
            .map_sqlx_sqlite_pool_opts(|pool| pool.after_release(|conn, _| Box::pin(reusable(conn))));
    } else {
        options
            .max_connections(16)
            .min_connections(1)
            .map_sqlx_postgres_pool_opts(|pool| pool.after_release(|conn, _| Box::pin(reusable(conn))));
    }
    sea_orm::Database::connect(options).await
}

/// Whether a connection given back to the pool may serve again: not if it is still inside a
/// transaction. After a failed COMMIT or ROLLBACK (a full disk, an I/O error) the driver keeps
/// counting a transaction that may or may not still be open; reused, its next BEGIN becomes a
/// SAVEPOINT (or is refused), and a later « commit » only releases that savepoint inside a
/// transaction that is never committed: acknowledged writes lost, and the write lock held. Such
/// a connection is closed instead (which rolls back whatever it held) and a fresh one opened.
async fn reusable<C: sea_orm::sqlx::Connection>(conn: &mut C) -> Result<bool, sea_orm::sqlx::Error> {
    // The rollback of a dropped transaction is queued on the connection: the ping runs after it.
    if conn.ping().await.is_err() {
        return Ok(false);
    }
    let clean = !conn.is_in_transaction();
    if !clean {
        tracing::warn!("a connection left inside a failed transaction is closed, not reused");
    }
    Ok(clean)
}

/// Writes to the one-row `health_probe` table, in a write transaction: whether the database
/// can store anything now (a full disk or a read-only file answer reads but not this).
///
/// # Errors
/// The driver's error.
pub async fn probe_write(db: &Db) -> Result<(), DbErr> {
    let txn = write(db).await?;
    txn.execute_unprepared("UPDATE health_probe SET writes = writes + 1 WHERE id = 1").await?;
    txn.commit().await
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

#[cfg(test)]
mod tests {
    use sea_orm::sqlx::Connection as _;

    use super::*;

    /// A connection handed back while the driver still counts a transaction on it (what a failed
    /// COMMIT leaves behind) is closed: the next write gets a clean connection and really commits.
    #[tokio::test]
    async fn a_connection_left_inside_a_transaction_is_never_reused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = connect(&sqlite_url(dir.path())).await.expect("open");
        db.execute_unprepared("CREATE TABLE t (x INTEGER)").await.expect("create");
        let pool = db.get_sqlite_connection_pool();
        {
            let mut conn = pool.acquire().await.expect("acquire");
            let left = conn.begin().await.expect("begin");
            // As after a COMMIT that failed: the transaction is neither committed nor rolled back.
            std::mem::forget(left);
            assert!(conn.is_in_transaction());
        }
        for n in 0..8 {
            let txn = write(&db).await.expect("a write transaction begins on a clean connection");
            txn.execute_unprepared(&format!("INSERT INTO t VALUES ({n})")).await.expect("insert");
            txn.commit().await.expect("commit");
        }
        let other = connect(&sqlite_url(dir.path())).await.expect("a second pool");
        let counted = other
            .query_one_raw(Statement::from_string(DbBackend::Sqlite, "SELECT COUNT(*) AS n FROM t"))
            .await
            .expect("count")
            .expect("a row");
        assert_eq!(counted.try_get::<i64>("", "n").expect("n"), 8, "every acknowledged write is stored");
    }
}
