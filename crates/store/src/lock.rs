//! An exclusive right that one process holds at a time, released when it lets go, and also when
//! it dies: a payment run killed mid-way must not block the next one for a lease's length, and a
//! run that is alive must never be « resumed » by another process beside it (issue 12 point 5).
//!
//! On PostgreSQL it is a session advisory lock on a connection taken out of the pool for the
//! purpose: the server releases it when that connection closes. On SQLite it is the operating
//! system's lock on a file beside the database, which the kernel releases with the process.
//! Both hold across processes on the same database. [`try_acquire`] never waits (a payment run
//! that finds another one running leaves it be); [`acquire`] waits its turn (migrations at
//! start-up: several processes started together on a new database apply them one after the other,
//! the later ones finding nothing left to do).

use sea_orm::sqlx::{self, Connection as _};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, RuntimeErr, Statement};

use crate::Db;

/// Makes the calling transaction take turns with every other transaction that asks for `name`,
/// until it ends: a check-then-insert without a row to lock (at most so many e-mails of a kind to
/// one address). On PostgreSQL a transaction-scoped advisory lock, waited for; SQLite's write
/// transactions (`BEGIN IMMEDIATE`, see [`crate::db::write`]) already take turns. Outside a
/// transaction it protects nothing.
///
/// # Errors
/// The driver's error.
pub async fn for_transaction(conn: &impl ConnectionTrait, name: &str) -> Result<(), DbErr> {
    if conn.get_database_backend() == DbBackend::Postgres {
        let sql = "SELECT pg_advisory_xact_lock($1)";
        conn.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, [key(name).into()])).await?;
    }
    Ok(())
}

/// A held right; dropping it (or [`Exclusive::release`]) lets go.
#[derive(Debug)]
pub struct Exclusive {
    held: Held,
}

#[derive(Debug)]
enum Held {
    Postgres(sqlx::PgConnection),
    File(std::fs::File),
    /// An in-memory SQLite database lives in one process: nothing to share.
    Alone,
}

/// A stable 64-bit key for `name` (FNV-1a), the advisory lock's identity.
fn key(name: &str) -> i64 {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    i64::from_ne_bytes(hash.to_ne_bytes())
}

fn sqlx_err(err: sqlx::Error) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(std::sync::Arc::new(err)))
}

fn io_err(path: &std::path::Path, err: &std::io::Error) -> DbErr {
    DbErr::Custom(format!("verrou {} : {err}", path.display()))
}

/// Takes the right named `name` if no process holds it; `None` when another does.
///
/// # Errors
/// The database's, or the lock file's when it cannot be opened.
pub async fn try_acquire(db: &Db, name: &str) -> Result<Option<Exclusive>, DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let mut conn = db.get_postgres_connection_pool().acquire().await.map_err(sqlx_err)?.detach();
            let held: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(key(name))
                .fetch_one(&mut conn)
                .await
                .map_err(sqlx_err)?;
            Ok(held.then_some(Exclusive { held: Held::Postgres(conn) }))
        }
        _ => {
            let Some(path) = lock_file(db, name) else {
                return Ok(Some(Exclusive { held: Held::Alone }));
            };
            let file = open_lock_file(&path)?;
            match file.try_lock() {
                Ok(()) => Ok(Some(Exclusive { held: Held::File(file) })),
                Err(std::fs::TryLockError::WouldBlock) => Ok(None),
                Err(std::fs::TryLockError::Error(e)) => Err(io_err(&path, &e)),
            }
        }
    }
}

/// Takes the right named `name`, waiting as long as another process holds it.
///
/// # Errors
/// The database's, or the lock file's when it cannot be opened or locked.
pub async fn acquire(db: &Db, name: &str) -> Result<Exclusive, DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let mut conn = db.get_postgres_connection_pool().acquire().await.map_err(sqlx_err)?.detach();
            sqlx::query("SELECT pg_advisory_lock($1)").bind(key(name)).execute(&mut conn).await.map_err(sqlx_err)?;
            Ok(Exclusive { held: Held::Postgres(conn) })
        }
        _ => {
            let Some(path) = lock_file(db, name) else {
                return Ok(Exclusive { held: Held::Alone });
            };
            let file = open_lock_file(&path)?;
            // The kernel's blocking lock, off the async runtime's threads.
            let locked = tokio::task::spawn_blocking(move || file.lock().map(|()| file))
                .await
                .map_err(|e| DbErr::Custom(format!("verrou {} : {e}", path.display())))?;
            match locked {
                Ok(file) => Ok(Exclusive { held: Held::File(file) }),
                Err(e) => Err(io_err(&path, &e)),
            }
        }
    }
}

/// The file beside a SQLite database whose lock stands for the right `name`; `None` for an
/// in-memory database, which one process alone can see.
fn lock_file(db: &Db, name: &str) -> Option<std::path::PathBuf> {
    let options = db.get_sqlite_connection_pool().connect_options();
    let database = options.get_filename();
    if database.as_os_str().is_empty() || database.to_string_lossy().contains(":memory:") {
        return None;
    }
    let mut path = database.as_os_str().to_owned();
    path.push(format!(".{name}.lock"));
    Some(std::path::PathBuf::from(path))
}

fn open_lock_file(path: &std::path::Path) -> Result<std::fs::File, DbErr> {
    std::fs::File::options().create(true).truncate(false).write(true).open(path).map_err(|e| io_err(path, &e))
}

impl Exclusive {
    /// Lets go now (rather than when dropped), closing the dedicated connection cleanly.
    pub async fn release(self) {
        match self.held {
            Held::Postgres(conn) => {
                if let Err(err) = conn.close().await {
                    tracing::warn!(error = %err, "advisory lock connection not closed cleanly");
                }
            }
            Held::File(file) => {
                let _ = file.unlock();
            }
            Held::Alone => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_and_distinct() {
        assert_eq!(key("payment-run"), key("payment-run"));
        assert_ne!(key("payment-run"), key("import"));
    }
}
