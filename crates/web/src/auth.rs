//! Authentication extractors: who is calling, from the session cookie (pages) or a bearer token
//! (API), and the role gates of [`crate::policy`].

use axum::extract::FromRequestParts;
use axum::http::{Method, header, request::Parts};
use domain::session::SessionState;
use store::account::Account;
use store::secret;

use crate::cookies;
use crate::error::{ApiError, AppError};
use crate::policy::{self, Permission};
use crate::state::AppState;

/// A signed-in person and the session they use.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The account.
    pub account: Account,
    /// The session row, to mark it in the sessions list or end it.
    pub session_id: i64,
    /// Unread notifications when the request began, for the page header (read with the
    /// session, so the header costs no statement of its own).
    pub unread: u64,
}

impl CurrentUser {
    /// The actor of audit entries.
    #[must_use]
    pub fn actor(&self) -> store::audit::Actor {
        store::audit::Actor::user(self.account.id, self.account.email.as_str())
    }

    /// Fails with [`AppError::Forbidden`] unless the account holds `permission`.
    ///
    /// # Errors
    /// [`AppError::Forbidden`].
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if policy::allows(self.account.role, permission) { Ok(()) } else { Err(AppError::Forbidden) }
    }
}

/// Cached per request, so a handler and the page chrome share one lookup.
#[derive(Clone)]
struct Resolved(Option<CurrentUser>);

async fn resolve(parts: &mut Parts, state: &AppState) -> Result<Option<CurrentUser>, AppError> {
    if let Some(Resolved(user)) = parts.extensions.get::<Resolved>() {
        return Ok(user.clone());
    }
    let user = match cookies::read(&parts.headers, state.config.session_cookie()) {
        Some(secret) if !secret.is_empty() => lookup(state, secret).await?,
        _ => None,
    };
    parts.extensions.insert(Resolved(user.clone()));
    Ok(user)
}

async fn lookup(state: &AppState, cookie_secret: &str) -> Result<Option<CurrentUser>, AppError> {
    let Some(store::session::Caller { session, account, unread }) =
        store::session::caller(&state.db, &secret::digest(cookie_secret)).await?
    else {
        return Ok(None);
    };
    let now = state.now();
    match state.config.sessions.state(session.created_at, session.last_seen_at, now) {
        SessionState::IdleExpired | SessionState::AbsoluteExpired => {
            store::session::delete(&state.db, session.id).await?;
            return Ok(None);
        }
        SessionState::Active { touch: true } => store::session::touch(&state.db, session.id, now).await?,
        SessionState::Active { touch: false } => {}
    }
    if account.disabled_at.is_some() {
        return Ok(None);
    }
    Ok(Some(CurrentUser { account, session_id: session.id, unread }))
}

/// Where to come back after signing in: the page asked for, when it was a plain GET.
fn return_path(parts: &Parts) -> Option<String> {
    (parts.method == Method::GET).then(|| parts.uri.path_and_query().map_or("/", |pq| pq.as_str()).to_owned())
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        resolve(parts, state).await?.ok_or_else(|| AppError::LoginRequired { next: return_path(parts) })
    }
}

/// The signed-in person, if any (public pages show a different header).
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<CurrentUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(MaybeUser(resolve(parts, state).await?))
    }
}

/// A signed-in member of the operator's staff.
#[derive(Debug, Clone)]
pub struct Staff(pub CurrentUser);

impl FromRequestParts<AppState> for Staff {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        user.require(Permission::StaffArea)?;
        Ok(Staff(user))
    }
}

/// The caller of the JSON API, authenticated by a personal token (`Authorization: Bearer …`).
#[derive(Debug, Clone)]
pub struct ApiUser {
    /// The token's owner.
    pub account: Account,
    /// The token used, so that it is not listed as revocable by itself by mistake.
    pub token_id: i64,
    /// When the token used stops working: a token it creates may not outlive it.
    pub token_expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl ApiUser {
    /// The actor of audit entries.
    #[must_use]
    pub fn actor(&self) -> store::audit::Actor {
        store::audit::Actor::user(self.account.id, self.account.email.as_str())
    }
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AppError::LoginRequired { next: None })?;
        let now = state.now();
        let found = store::api_token::authenticate(&state.db, token, now).await.map_err(AppError::from)?;
        let Some(found) = found else {
            return Err(AppError::LoginRequired { next: None }.into());
        };
        let account = store::account::get(&state.db, found.user_id)
            .await
            .map_err(AppError::from)?
            .filter(|a| a.disabled_at.is_none())
            .ok_or(AppError::LoginRequired { next: None })?;
        Ok(ApiUser { account, token_id: found.id, token_expires_at: found.expires_at })
    }
}

/// A signed-in person with what they may reach (built once per request).
#[derive(Debug, Clone)]
pub struct Scoped {
    /// The person.
    pub user: CurrentUser,
    /// Their scope.
    pub scope: domain::scope::Scope,
}

impl FromRequestParts<AppState> for Scoped {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(scoped) = parts.extensions.get::<Scoped>() {
            return Ok(scoped.clone());
        }
        let user = CurrentUser::from_request_parts(parts, state).await?;
        let scope = store::attachment::scope(&state.db, user.account.id, user.account.role).await?;
        let scoped = Scoped { user, scope };
        parts.extensions.insert(scoped.clone());
        Ok(scoped)
    }
}

/// A company user acting for a company they file for: the extractor of every company write
/// route and of the forms that lead to one. Staff are refused with 403 ([`policy::require_filer`]);
/// which company and habilitation the route needs is still checked by the handler's scoped load.
#[derive(Debug, Clone)]
pub struct Filer(pub Scoped);

impl std::ops::Deref for Filer {
    type Target = Scoped;

    fn deref(&self) -> &Scoped {
        &self.0
    }
}

impl FromRequestParts<AppState> for Filer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let scoped = Scoped::from_request_parts(parts, state).await?;
        policy::require_filer(&scoped.scope)?;
        Ok(Filer(scoped))
    }
}
