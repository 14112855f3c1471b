//! Consistent copies of a SQLite database for `espace-formation backup`.
//!
//! `VACUUM INTO` reads the database inside one read transaction, so the copy is the database as
//! of one instant, committed pages of the WAL included, while the portal goes on writing.

use std::path::Path;

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

use crate::Db;

/// Writes a consistent copy of the SQLite database behind `db` to `target`, a file that must not
/// exist yet.
///
/// # Errors
/// The driver's error (a target that exists, a full disk), or a path that is not UTF-8.
pub async fn vacuum_into(db: &Db, target: &Path) -> Result<(), DbErr> {
    let target = target.to_str().ok_or_else(|| DbErr::Custom(format!("chemin non UTF-8 : {}", target.display())))?;
    // A bound parameter, so that no quote in the path can end the SQL string.
    let statement = Statement::from_sql_and_values(DbBackend::Sqlite, "VACUUM INTO ?", [target.into()]);
    db.execute_raw(statement).await.map(|_| ())
}

/// Opens a copy made by [`vacuum_into`] read-only, without the WAL pragmas of
/// [`crate::db::connect`]: reading it leaves its bytes, and so its checksum, unchanged.
///
/// # Errors
/// The driver's error.
pub async fn open_copy(path: &Path) -> Result<Db, DbErr> {
    use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
    let options = SqliteConnectOptions::new().filename(path).read_only(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())))?;
    Ok(sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

/// How many tables the `public` schema of a PostgreSQL database has: a restore goes only into an
/// empty one.
///
/// # Errors
/// The driver's error.
pub async fn postgres_tables(db: &Db) -> Result<i64, DbErr> {
    let sql = "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'";
    let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await?;
    Ok(row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0))
}
