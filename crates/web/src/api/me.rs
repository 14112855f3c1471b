//! `GET /api/v1/me`

use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};

/// The caller's account.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeOut {
    /// Account id.
    pub id: i64,
    /// E-mail address.
    pub email: String,
    /// First name.
    pub given_name: String,
    /// Last name.
    pub family_name: String,
    /// `company_user`, `advisor`, `case_manager` or `platform_admin`.
    pub role: String,
    /// When the address was confirmed.
    pub email_verified_at: Option<DateTime<Utc>>,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
}

/// Who the token belongs to.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "compte",
    security(("jeton" = [])),
    responses(
        (status = 200, description = "Le compte de l’appelant", body = MeOut),
        (status = 401, description = "Jeton absent, inconnu, expiré ou révoqué", body = ErrorBody),
    )
)]
pub async fn me(user: ApiUser) -> Result<Json<MeOut>, ApiError> {
    let a = user.account;
    Ok(Json(MeOut {
        id: a.id,
        email: a.email.to_string(),
        given_name: a.given_name,
        family_name: a.family_name,
        role: a.role.code().to_owned(),
        email_verified_at: a.email_verified_at,
        created_at: a.created_at,
    }))
}
