//! `GET /healthz`, for load balancers and monitoring: healthy only when the database answers
//! and can store a write now (SPEC Q4): a full disk or a read-only file answers reads, so a
//! read alone would say « ok » while every form fails.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use crate::state::AppState;

/// How long the write probe may wait for SQLite's single writer before it counts as « busy »
/// (healthy: the database writes, others are writing). Longer than the wait for a connection, so
/// that a database that is down is told apart from one that is busy.
const WRITE_WAIT: Duration = Duration::from_secs(store::db::ACQUIRE_TIMEOUT.as_secs() + 1);

/// The health answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` or `indisponible`.
    pub status: &'static str,
    /// The program's version.
    pub version: &'static str,
    /// `sqlite` or `postgresql`.
    pub database: &'static str,
    /// `ok`, `occupée` (the probe waited for other writers) or `impossible`.
    pub writes: &'static str,
}

/// 200 when the database answers and stores a write, 503 otherwise.
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let writes = match tokio::time::timeout(WRITE_WAIT, store::db::probe_write(&state.db)).await {
        Ok(Ok(())) => "ok",
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "health check: the database cannot write");
            "impossible"
        }
        Err(_) => "occupée",
    };
    let up = writes != "impossible";
    let health = Health {
        status: if up { "ok" } else { "indisponible" },
        version: env!("CARGO_PKG_VERSION"),
        database: store::db::backend_name(&state.db),
        writes,
    };
    (if up { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, Json(health))
}
