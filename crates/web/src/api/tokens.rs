//! `/api/v1/tokens`: the caller's personal API tokens.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use domain::token::api_token_expiry;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::ApiUser;
use crate::client::Client;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::extract::Json;
use crate::notify::audit;
use crate::pages::tokens::{token_name, token_status};
use crate::state::AppState;

/// A token as listed (never its text).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    /// Token id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its first characters, to recognise it.
    pub prefix: String,
    /// `active`, `expired` or `revoked`.
    pub status: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Stops working then, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// Last used.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A new token, with its text shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTokenOut {
    /// The token as listed.
    #[serde(flatten)]
    pub token: TokenOut,
    /// The token's text: store it now, it cannot be shown again.
    pub token_text: String,
}

/// What creating a token needs.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTokenIn {
    /// A name to recognise it (1–80 characters, not only spaces, no control characters).
    #[schema(min_length = 1, max_length = 80)]
    pub name: String,
    /// Validity in days, required: 30, 90 or 365. A token made with a token never outlives it
    /// (its expiry is capped at the calling token's); no token is made without an expiry.
    #[serde(default)]
    #[schema(required = true, minimum = 30, maximum = 365, example = 90)]
    pub expires_in_days: Option<u32>,
}

fn out(token: store::api_token::ApiToken, now: DateTime<Utc>) -> TokenOut {
    let (active, _) = token_status(&token, now);
    let status = if active {
        "active"
    } else if token.revoked_at.is_some() {
        "revoked"
    } else {
        "expired"
    };
    TokenOut {
        id: token.id,
        name: token.name,
        prefix: token.prefix,
        status: status.to_owned(),
        created_at: token.created_at,
        expires_at: token.expires_at,
        last_used_at: token.last_used_at,
    }
}

/// The caller's tokens, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "compte",
    security(("jeton" = [])),
    responses(
        (status = 200, description = "Les jetons de l’appelant", body = Vec<TokenOut>),
        (status = 401, description = "Non authentifié", body = ErrorBody),
    )
)]
pub async fn list(State(state): State<AppState>, user: ApiUser) -> Result<axum::Json<Vec<TokenOut>>, ApiError> {
    let now = state.now();
    let tokens = store::api_token::list_for_user(&state.db, user.account.id).await?;
    Ok(axum::Json(tokens.into_iter().map(|t| out(t, now)).collect()))
}

/// Creates a token for the caller.
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "compte",
    security(("jeton" = [])),
    request_body = CreateTokenIn,
    responses(
        (status = 201, description = "Jeton créé ; son texte n’est montré qu’une fois", body = CreatedTokenOut),
        (status = 400, description = "Corps illisible", body = ErrorBody),
        (status = 401, description = "Non authentifié", body = ErrorBody),
        (status = 422, description = "Champ refusé", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    client: Client,
    user: ApiUser,
    Json(input): Json<CreateTokenIn>,
) -> Result<(StatusCode, axum::Json<CreatedTokenOut>), ApiError> {
    let now = state.now();
    let name = token_name(&input.name).map_err(|m| AppError::invalid("name", m))?;
    let expires_at = api_token_expiry(now, input.expires_in_days, user.token_expires_at)
        .map_err(|e| AppError::invalid("expires_in_days", format!("Champ « expires_in_days » : {e}")))?;
    let txn = store::db::write(&state.db).await?;
    let (token, secret) = store::api_token::create(&txn, user.account.id, &name, Some(expires_at), now).await?;
    audit(&txn, &user.actor(), "api_token.created", Some(("api_token", token.id.to_string())), &client, now).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(CreatedTokenOut { token: out(token, now), token_text: secret.plain })))
}

/// Revokes one of the caller's tokens.
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{id}",
    tag = "compte",
    security(("jeton" = [])),
    params(("id" = i64, Path, description = "Id du jeton")),
    responses(
        (status = 204, description = "Jeton révoqué"),
        (status = 400, description = "Id illisible : pas un entier signé sur 64 bits", body = ErrorBody),
        (status = 401, description = "Non authentifié", body = ErrorBody),
        (status = 404, description = "Aucun jeton actif de l’appelant avec cet id", body = ErrorBody),
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    client: Client,
    user: ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    if !store::api_token::revoke_own(&txn, user.account.id, id, now).await? {
        return Err(AppError::NotFound.into());
    }
    audit(&txn, &user.actor(), "api_token.revoked", Some(("api_token", id.to_string())), &client, now).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
