//! Counters of the rate limit on public forms, one row per key, shared by every process on the
//! database. Counting is one statement (an upsert that resets or increments and returns the
//! result), so concurrent posts from several processes are each counted once, on both backends:
//! PostgreSQL's `ON CONFLICT DO UPDATE` locks the row it updates, SQLite has one writer at a
//! time. What the count means is decided in `domain::rate_limit`.

use chrono::{DateTime, Utc};
use domain::rate_limit::Window;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

/// Counts one post under `key` at `now` and returns its window, this post included. A stored
/// window that started at or before `expired` is over: the post opens a new one at `now`.
///
/// # Errors
/// The driver's error.
pub async fn hit(
    conn: &impl ConnectionTrait,
    key: &str,
    now: DateTime<Utc>,
    expired: DateTime<Utc>,
) -> Result<Window, DbErr> {
    let backend = conn.get_database_backend();
    // Every SET expression reads the row as it was before the update, on both backends.
    let (sql, values): (&str, Vec<sea_orm::Value>) = match backend {
        DbBackend::Postgres => (
            "INSERT INTO rate_limit (key, window_start, count) VALUES ($1, $2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
                 window_start = CASE WHEN rate_limit.window_start <= $3 THEN excluded.window_start \
                                     ELSE rate_limit.window_start END, \
                 count = CASE WHEN rate_limit.window_start <= $3 THEN 1 ELSE rate_limit.count + 1 END \
             RETURNING window_start, count",
            vec![key.into(), now.into(), expired.into()],
        ),
        _ => (
            "INSERT INTO rate_limit (key, window_start, count) VALUES (?, ?, 1) \
             ON CONFLICT (key) DO UPDATE SET \
                 window_start = CASE WHEN rate_limit.window_start <= ? THEN excluded.window_start \
                                     ELSE rate_limit.window_start END, \
                 count = CASE WHEN rate_limit.window_start <= ? THEN 1 ELSE rate_limit.count + 1 END \
             RETURNING window_start, count",
            vec![key.into(), now.into(), expired.into(), expired.into()],
        ),
    };
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("rate_limit: l’insertion n’a rien renvoyé".to_owned()))?;
    Ok(Window { start: row.try_get("", "window_start")?, count: row.try_get("", "count")? })
}

/// Forgets the windows that started before `before` (long over); returns how many.
///
/// # Errors
/// The driver's error.
pub async fn purge_before(conn: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "DELETE FROM rate_limit WHERE window_start < $1",
        _ => "DELETE FROM rate_limit WHERE window_start < ?",
    };
    Ok(conn.execute_raw(Statement::from_sql_and_values(backend, sql, [before.into()])).await?.rows_affected())
}
