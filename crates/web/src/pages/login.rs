//! Signing in and out.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use domain::Email;
use domain::password::Password;
use domain::throttle::ThrottleDecision;
use serde::Deserialize;
use store::login_attempt::Attempt;
use store::session::NewSession;
use store::{audit::Actor, secret};

use crate::auth::{CurrentUser, MaybeUser};
use crate::chrome::Chrome;
use crate::client::Client;
use crate::error::AppError;
use crate::extract::{Form, Query};
use crate::forms::FormErrors;
use crate::notify::audit;
use crate::pages::safe_next;
use crate::state::AppState;
use crate::{cookies, crypto, render};

/// The sign-in page.
#[derive(Debug, Template)]
#[template(path = "connexion/form.html")]
pub struct LoginPage {
    chrome: Chrome,
    email: String,
    suite: String,
    errors: FormErrors,
}

/// Shown when the password is right but the address is not confirmed yet.
#[derive(Debug, Template)]
#[template(path = "connexion/unverified.html")]
pub struct UnverifiedPage {
    chrome: Chrome,
    email: String,
}

/// `?suite=` on the sign-in page.
#[derive(Debug, Deserialize, Default)]
pub struct SuiteQuery {
    suite: Option<String>,
}

/// What the sign-in form sends.
#[derive(Debug, Deserialize, Default)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    suite: String,
}

/// `GET /connexion`
pub async fn show(
    chrome: Chrome,
    MaybeUser(user): MaybeUser,
    Query(query): Query<SuiteQuery>,
) -> Result<Response, AppError> {
    let suite = safe_next(query.suite.as_deref());
    if let Some(user) = user {
        return Ok(Redirect::to(&suite.unwrap_or_else(|| home_of(&user))).into_response());
    }
    let page = LoginPage { chrome, email: String::new(), suite: suite.unwrap_or_default(), errors: FormErrors::new() };
    Ok(render::page(&page)?.into_response())
}

fn home_of(user: &CurrentUser) -> String {
    if user.account.role.is_staff() { "/gestion".to_owned() } else { "/".to_owned() }
}

/// `POST /connexion`
pub async fn submit(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let mut errors = FormErrors::new();
    let email = errors.check("email", Email::parse(&form.email));
    if form.password.is_empty() {
        errors.add("password", "Saisissez votre mot de passe.");
    }
    let suite = safe_next(Some(&form.suite));
    let page = |errors: FormErrors| LoginPage {
        chrome: chrome.clone(),
        email: form.email.trim().to_owned(),
        suite: suite.clone().unwrap_or_default(),
        errors,
    };
    let (Some(email), true) = (email, errors.is_empty()) else {
        return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page(errors));
    };

    let now = state.now();
    let found = store::account::find_credentials(&state.db, &email).await?;
    let device_secrets = cookies::read_devices(&headers, &state.config);
    let mut device_id = None;
    if let Some((account, _)) = &found {
        for device in &device_secrets {
            if let Some(id) = store::trusted_device::recognise(&state.db, device, account.id).await? {
                device_id = Some(id);
                break;
            }
        }
    }
    let password_changed_at = found.as_ref().and_then(|(a, _)| a.password_changed_at);
    if let Err(err) = check_throttle(&state, &email, &client.ip, device_id, password_changed_at).await {
        errors.add("password", err.to_string());
        let mut response = render::page_with_status(StatusCode::TOO_MANY_REQUESTS, &page(errors))?;
        if let AppError::TooManyRequests { retry_after_secs, .. } = err {
            response.headers_mut().insert(header::RETRY_AFTER, retry_after_secs.into());
        }
        return Ok(response);
    }

    let (account, digest) = found.map_or((None, None), |(a, d)| (Some(a), d));
    let matches = crypto::verify(Password::new(form.password.clone()), digest).await?;
    let account = account.filter(|a| matches && a.disabled_at.is_none());
    let attempt = |succeeded| Attempt { email: email.as_str(), ip: &client.ip, device_id, succeeded };
    let Some(account) = account else {
        store::login_attempt::record(&state.db, attempt(false), now).await?;
        errors.add("password", "Adresse e-mail ou mot de passe incorrect.");
        return render::page_with_status(StatusCode::UNAUTHORIZED, &page(errors));
    };

    if account.email_verified_at.is_none() {
        let txn = store::db::write(&state.db).await?;
        crate::pages::account::send_verification(&txn, &state, &account, now).await?;
        txn.commit().await?;
        let page = UnverifiedPage { chrome, email: account.email.to_string() };
        return render::page_with_status(StatusCode::FORBIDDEN, &page);
    }

    let txn = store::db::write(&state.db).await?;
    // A new session id at every sign-in: whatever id the browser held before (planted by someone
    // else, or an older session) is ended, never promoted.
    let previous = match cookies::read(&headers, state.config.session_cookie()) {
        Some(previous) => store::session::find_by_digest(&txn, &secret::digest(previous)).await?,
        None => None,
    };
    if let Some(old) = previous {
        store::session::delete(&txn, old.id).await?;
    }
    let session_secret = secret::draw("").map_err(AppError::internal)?;
    let session = store::session::open(
        &txn,
        NewSession {
            user_id: account.id,
            token_digest: session_secret.digest.clone(),
            expires_at: state.config.sessions.absolute_expiry(now),
            ip: Some(client.ip.clone()),
            user_agent: client.user_agent.clone(),
        },
        now,
    )
    .await?;
    let mut devices = device_secrets.clone();
    match device_id {
        Some(id) => store::trusted_device::touch(&txn, id, now).await?,
        None => devices.insert(0, store::trusted_device::remember(&txn, account.id, now).await?.plain),
    }
    store::login_attempt::record(&txn, attempt(true), now).await?;
    let actor = Actor::user(account.id, account.email.as_str());
    audit(&txn, &actor, "auth.signed_in", Some(("session", session.id.to_string())), &client, now).await?;
    txn.commit().await?;
    tracing::info!(user.id = account.id, session.id = session.id, "signed in");

    let target = suite.unwrap_or_else(|| if account.role.is_staff() { "/gestion".to_owned() } else { "/".to_owned() });
    Ok((
        AppendHeaders([
            (header::SET_COOKIE, cookies::session(&state.config, &session_secret.plain)),
            (header::SET_COOKIE, cookies::devices(&state.config, &devices)),
        ]),
        Redirect::to(&target),
    )
        .into_response())
}

/// Refuses an attempt on `email` from `ip` while the throttling policy holds it.
///
/// # Errors
/// [`AppError::TooManyRequests`] with the time to wait; the database's error.
pub async fn check_throttle(
    state: &AppState,
    email: &Email,
    ip: &str,
    device_id: Option<i64>,
    password_changed_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(), AppError> {
    let now = state.now();
    let policy = &state.config.throttle;
    let last_success = store::login_attempt::last_success(&state.db, email.as_str()).await?;
    let since = last_success.max(password_changed_at);
    let failures =
        store::login_attempt::recent_failures(&state.db, policy, email.as_str(), ip, device_id, since, now).await?;
    match policy.decide(&failures, now) {
        ThrottleDecision::Allow => Ok(()),
        ThrottleDecision::Deny { retry_at } => Err(AppError::TooManyRequests {
            retry_after_secs: u64::try_from((retry_at - now).num_seconds().max(1)).unwrap_or(60),
            message: format!(
                "Trop de tentatives de connexion. Réessayez à partir de {} (heure de Paris), ou choisissez \
                 un nouveau mot de passe avec « Mot de passe oublié ? ».",
                documents::fr::time(retry_at)
            ),
        }),
    }
}

/// `POST /deconnexion`: ends the session on the server, not only in the browser.
pub async fn logout(
    State(state): State<AppState>,
    client: Client,
    MaybeUser(user): MaybeUser,
) -> Result<Response, AppError> {
    if let Some(user) = user {
        let now = state.now();
        let txn = store::db::write(&state.db).await?;
        store::session::delete(&txn, user.session_id).await?;
        audit(&txn, &user.actor(), "auth.signed_out", Some(("session", user.session_id.to_string())), &client, now)
            .await?;
        txn.commit().await?;
    }
    Ok((
        AppendHeaders([(header::SET_COOKIE, cookies::clear_session(&state.config))]),
        Redirect::to("/connexion?notice=deconnecte"),
    )
        .into_response())
}
