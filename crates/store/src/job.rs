//! The job queue: jobs are rows, enqueued in the transaction that causes them, deduplicated by
//! `(kind, key)`, claimed atomically by any number of workers, retried with backoff.
//!
//! A claimed job holds a lease (`locked_until`); a worker that dies mid-job lets the lease lapse
//! and another worker takes the job again, so handlers must be idempotent.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    Statement,
};

use crate::entity::job::{ActiveModel, Column, Entity, Model};

/// A job row.
pub type Job = Model;

/// After this many failed attempts a job stops being retried and waits for a person.
pub const MAX_ATTEMPTS: i64 = 8;

/// Enqueues a job unless one with the same kind and key exists; returns whether it was added.
///
/// # Errors
/// The driver's error.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    kind: &str,
    key: &str,
    payload: &serde_json::Value,
    run_at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let row = ActiveModel {
        kind: Set(kind.to_owned()),
        key: Set(key.to_owned()),
        payload: Set(payload.to_string()),
        status: Set("pending".to_owned()),
        attempts: Set(0),
        run_at: Set(run_at),
        locked_until: Set(None),
        last_error: Set(None),
        progress_done: Set(0),
        progress_total: Set(None),
        created_at: Set(run_at),
        updated_at: Set(run_at),
        finished_at: Set(None),
        ..Default::default()
    };
    let inserted = Entity::insert(row)
        .on_conflict(OnConflict::columns([Column::Kind, Column::Key]).do_nothing().to_owned())
        .exec_without_returning(conn)
        .await?;
    Ok(inserted == 1)
}

/// Claims the next job that is due (or whose lease lapsed), for `lease`.
///
/// # Errors
/// The driver's error.
pub async fn claim(conn: &impl ConnectionTrait, now: DateTime<Utc>, lease: Duration) -> Result<Option<Job>, DbErr> {
    let backend = conn.get_database_backend();
    // One statement both picks and locks: two workers never get the same job. PostgreSQL skips
    // rows another worker holds; SQLite serialises writers, so the subquery cannot race.
    let sql = match backend {
        DbBackend::Postgres => {
            "UPDATE job SET status = 'running', attempts = attempts + 1, locked_until = $1, updated_at = $2 \
             WHERE id = (SELECT id FROM job \
                 WHERE (status = 'pending' AND run_at <= $2) OR (status = 'running' AND locked_until < $2) \
                 ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) \
             RETURNING *"
        }
        _ => {
            "UPDATE job SET status = 'running', attempts = attempts + 1, locked_until = ?, updated_at = ? \
             WHERE id = (SELECT id FROM job \
                 WHERE (status = 'pending' AND run_at <= ?) OR (status = 'running' AND locked_until < ?) \
                 ORDER BY run_at, id LIMIT 1) \
             RETURNING *"
        }
    };
    let values: Vec<sea_orm::Value> = match backend {
        DbBackend::Postgres => vec![(now + lease).into(), now.into()],
        _ => vec![(now + lease).into(), now.into(), now.into(), now.into()],
    };
    Entity::find().from_raw_sql(Statement::from_sql_and_values(backend, sql, values)).one(conn).await
}

/// Marks a job done.
///
/// # Errors
/// The driver's error.
pub async fn complete(conn: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::Status, "done".into())
        .col_expr(Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(Column::LastError, Expr::value(Option::<String>::None))
        .col_expr(Column::FinishedAt, now.into())
        .col_expr(Column::UpdatedAt, now.into())
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Puts a claimed job back in the queue for `run_at`, its attempt not counted: it could not run
/// yet for a reason that is no failure.
///
/// # Errors
/// The driver's error.
pub async fn postpone(
    conn: &impl ConnectionTrait,
    job: &Job,
    run_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::Status, "pending".into())
        .col_expr(Column::Attempts, (job.attempts - 1).max(0).into())
        .col_expr(Column::RunAt, run_at.into())
        .col_expr(Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(Column::UpdatedAt, now.into())
        .filter(Column::Id.eq(job.id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Deletes the finished jobs of `kind` done before `before`; returns how many. For jobs whose
/// payload holds personal data of no further use (an address typed on a public page).
///
/// # Errors
/// The driver's error.
pub async fn purge_done(conn: &impl ConnectionTrait, kind: &str, before: DateTime<Utc>) -> Result<u64, DbErr> {
    let deleted = Entity::delete_many()
        .filter(Column::Kind.eq(kind))
        .filter(Column::Status.eq("done"))
        .filter(Column::FinishedAt.lt(before))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected)
}

/// Records a failure: the job runs again later (1, 2, 4… minutes), or stops as `failed` after
/// [`MAX_ATTEMPTS`].
///
/// # Errors
/// The driver's error.
pub async fn fail(conn: &impl ConnectionTrait, job: &Job, error: &str, now: DateTime<Utc>) -> Result<(), DbErr> {
    let exhausted = job.attempts >= MAX_ATTEMPTS;
    let backoff = Duration::minutes(1_i64 << job.attempts.clamp(0, 10).saturating_sub(1));
    Entity::update_many()
        .col_expr(Column::Status, if exhausted { "failed" } else { "pending" }.into())
        .col_expr(Column::RunAt, (now + backoff).into())
        .col_expr(Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(Column::LastError, error.chars().take(2000).collect::<String>().into())
        .col_expr(Column::UpdatedAt, now.into())
        .filter(Column::Id.eq(job.id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Records how far a long job has got, so its progress can be shown and it can resume.
///
/// # Errors
/// The driver's error.
pub async fn progress(
    conn: &impl ConnectionTrait,
    id: i64,
    done: i64,
    total: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::ProgressDone, done.into())
        .col_expr(Column::ProgressTotal, total.into())
        .col_expr(Column::UpdatedAt, now.into())
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// How many jobs wait to run or are running.
///
/// # Errors
/// The driver's error.
pub async fn count_open(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    Entity::find().filter(Column::Status.is_in(["pending", "running"])).count(conn).await
}

/// Jobs that stopped after too many failures.
///
/// # Errors
/// The driver's error.
pub async fn failed(conn: &impl ConnectionTrait) -> Result<Vec<Job>, DbErr> {
    Entity::find().filter(Column::Status.eq("failed")).all(conn).await
}

/// The job with this kind and key.
///
/// # Errors
/// The driver's error.
pub async fn find(conn: &impl ConnectionTrait, kind: &str, key: &str) -> Result<Option<Job>, DbErr> {
    Entity::find().filter(Column::Kind.eq(kind)).filter(Column::Key.eq(key)).one(conn).await
}

// --- Several jobs at once, for lists (SPEC Q5).

/// The jobs of one kind with any of these keys, by key, in one statement.
///
/// # Errors
/// The driver's error.
pub async fn find_many(
    conn: &impl ConnectionTrait,
    kind: &str,
    keys: &[String],
) -> Result<std::collections::HashMap<String, Job>, DbErr> {
    if keys.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    Ok(Entity::find()
        .filter(Column::Kind.eq(kind))
        .filter(Column::Key.is_in(keys.iter().cloned()))
        .all(conn)
        .await?
        .into_iter()
        .map(|job| (job.key.clone(), job))
        .collect())
}
