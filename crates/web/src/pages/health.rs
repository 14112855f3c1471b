//! `GET /healthz`, for load balancers and monitoring.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use crate::state::AppState;

/// The health answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` or `indisponible`.
    pub status: &'static str,
    /// The program's version.
    pub version: &'static str,
    /// `sqlite` or `postgresql`.
    pub database: &'static str,
}

/// 200 when the database answers, 503 otherwise.
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let up = store::db::ping(&state.db).await;
    let health = Health {
        status: if up { "ok" } else { "indisponible" },
        version: env!("CARGO_PKG_VERSION"),
        database: store::db::backend_name(&state.db),
    };
    (if up { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, Json(health))
}
