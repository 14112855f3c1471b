//! Personal API tokens, managed from "Mon compte".

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use documents::fr;
use domain::token::{ApiTokenExpiryError, api_token_expiry};
use serde::Deserialize;
use store::api_token::ApiToken;

use crate::auth::CurrentUser;
use crate::chrome::Chrome;
use crate::client::Client;
use crate::error::AppError;
use crate::extract::Form;
use crate::forms::FormErrors;
use crate::notify::audit;
use crate::render;
use crate::state::AppState;

/// One line of the tokens list.
#[derive(Debug)]
pub struct TokenLine {
    id: i64,
    name: String,
    prefix: String,
    created: String,
    expires: String,
    last_used: String,
    active: bool,
    status: &'static str,
}

/// The tokens page; `created` holds a new token's text, shown this once.
#[derive(Debug, Template)]
#[template(path = "compte/tokens.html")]
pub struct TokensPage {
    chrome: Chrome,
    tokens: Vec<TokenLine>,
    /// More tokens than shown: only the newest are listed.
    more: bool,
    shown: u64,
    created: Option<String>,
    token_name: String,
    validity: String,
    choices: [(u32, &'static str); 3],
    errors: FormErrors,
}

/// The validity choices of the form, in days ([`domain::token::API_TOKEN_DAYS`]); none is "never".
pub const VALIDITY_CHOICES: [(u32, &str); 3] = [(30, "30 jours"), (90, "90 jours"), (365, "1 an")];

/// Whether a token is usable now, and its label.
#[must_use]
pub fn token_status(token: &ApiToken, now: DateTime<Utc>) -> (bool, &'static str) {
    if token.revoked_at.is_some() {
        (false, "Révoqué")
    } else if token.expires_at.is_some_and(|at| now >= at) {
        (false, "Expiré")
    } else {
        (true, "Actif")
    }
}

/// Checks a token's name: required, at most 80 characters.
///
/// # Errors
/// The French message for the field.
pub fn token_name(value: &str) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        Err("Donnez un nom au jeton, par exemple « Export paie ».".to_owned())
    } else if trimmed.chars().count() > 80 {
        Err("Le nom du jeton doit contenir au plus 80 caractères.".to_owned())
    } else {
        Ok(trimmed.to_owned())
    }
}

/// The most tokens the page lists, newest first.
pub const TOKENS_SHOWN: u64 = 100;

async fn page(
    state: &AppState,
    chrome: Chrome,
    user: &CurrentUser,
    created: Option<String>,
    errors: FormErrors,
    name: String,
    validity: String,
) -> Result<TokensPage, AppError> {
    let now = state.now();
    let (tokens, more) = store::api_token::recent_for_user(&state.db, user.account.id, TOKENS_SHOWN).await?;
    let tokens = tokens
        .into_iter()
        .map(|t| {
            let (active, status) = token_status(&t, now);
            TokenLine {
                id: t.id,
                name: t.name,
                prefix: t.prefix,
                created: fr::date(t.created_at),
                expires: t.expires_at.map_or_else(|| "jamais".to_owned(), fr::date),
                last_used: t.last_used_at.map_or_else(|| "jamais".to_owned(), fr::date_time),
                active,
                status,
            }
        })
        .collect();
    Ok(TokensPage {
        chrome,
        tokens,
        more,
        shown: TOKENS_SHOWN,
        created,
        token_name: name,
        validity,
        choices: VALIDITY_CHOICES,
        errors,
    })
}

/// `GET /compte/jetons`
pub async fn list(State(state): State<AppState>, chrome: Chrome, user: CurrentUser) -> Result<Response, AppError> {
    let page = page(&state, chrome, &user, None, FormErrors::new(), String::new(), "90".to_owned()).await?;
    Ok(render::page(&page)?.into_response())
}

/// What the creation form sends.
#[derive(Debug, Deserialize, Default)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    validity: String,
}

/// `POST /compte/jetons`: the page that answers shows the token once; it is never stored.
pub async fn create(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    user: CurrentUser,
    Form(form): Form<CreateForm>,
) -> Result<Response, AppError> {
    let now = state.now();
    let mut errors = FormErrors::new();
    let name = errors.check("name", token_name(&form.name));
    let days = if form.validity.trim().is_empty() { Ok(None) } else { form.validity.trim().parse::<u32>().map(Some) };
    let expires = match days {
        // Signed in with a password: nothing to outlive but the offered durations.
        Ok(days) => errors.check("validity", api_token_expiry(now, days, None)),
        Err(_) => {
            errors.add("validity", ApiTokenExpiryError::NotOffered.to_string());
            None
        }
    };
    let (Some(name), Some(expires_at), true) = (name, expires, errors.is_empty()) else {
        let page = page(&state, chrome, &user, None, errors, form.name, form.validity).await?;
        return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let txn = store::db::write(&state.db).await?;
    let (token, secret) = store::api_token::create(&txn, user.account.id, &name, Some(expires_at), now).await?;
    audit(&txn, &user.actor(), "api_token.created", Some(("api_token", token.id.to_string())), &client, now).await?;
    txn.commit().await?;
    let page =
        page(&state, chrome, &user, Some(secret.plain), FormErrors::new(), String::new(), "90".to_owned()).await?;
    render::page_with_status(StatusCode::CREATED, &page)
}

/// `POST /compte/jetons/{id}/revoquer`
pub async fn revoke(
    State(state): State<AppState>,
    client: Client,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    if !store::api_token::revoke_own(&txn, user.account.id, id, now).await? {
        return Err(AppError::NotFound);
    }
    audit(&txn, &user.actor(), "api_token.revoked", Some(("api_token", id.to_string())), &client, now).await?;
    txn.commit().await?;
    Ok(Redirect::to("/compte/jetons?notice=jeton-revoque").into_response())
}
