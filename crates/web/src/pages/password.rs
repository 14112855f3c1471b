//! Forgotten password, reset by e-mailed link, and change while signed in.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::Email;
use domain::password::Password;
use domain::token::{TokenPurpose, TokenState, token_state};
use serde::Deserialize;
use store::account::Account;
use store::audit::Actor;
use store::login_attempt::Attempt;

use crate::auth::CurrentUser;
use crate::chrome::Chrome;
use crate::client::Client;
use crate::error::AppError;
use crate::extract::{Form, Query};
use crate::forms::FormErrors;
use crate::notify::{self, audit, queue_mail};
use crate::pages::account::{
    EmailForm, EmailFormPage, TokenQuery, check_password_pair, expired_link, invalid_link, message,
};
use crate::pages::login::check_throttle;
use crate::state::AppState;
use crate::{crypto, render};

fn forgot_page(chrome: Chrome, email: String, errors: FormErrors) -> EmailFormPage {
    EmailFormPage {
        chrome,
        title: "Mot de passe oublié",
        intro: "Saisissez l’adresse e-mail de votre compte : nous vous envoyons un lien, valable une heure, pour choisir un nouveau mot de passe.",
        action: "/mot-de-passe-oublie",
        button: "Recevoir le lien",
        email,
        errors,
    }
}

/// `GET /mot-de-passe-oublie`
pub async fn forgot_form(chrome: Chrome) -> Result<Response, AppError> {
    Ok(render::page(&forgot_page(chrome, String::new(), FormErrors::new()))?.into_response())
}

/// `POST /mot-de-passe-oublie`: the same answer, after the same work, whether the address is known
/// or not. The request is only queued here; the worker looks the address up and mails the link
/// (`store::user_token::RESET_REQUEST_JOB`), so the answer's time does not tell who has an
/// account (issue 11 point 7).
pub async fn forgot(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    Form(form): Form<EmailForm>,
) -> Result<Response, AppError> {
    let mut errors = FormErrors::new();
    let Some(email) = errors.check("email", Email::parse(&form.email)) else {
        return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &forgot_page(chrome, form.email, errors));
    };
    let origin = client.origin();
    let request = store::user_token::ResetRequest {
        email: email.as_str().to_owned(),
        ip: origin.ip.unwrap_or_default(),
        request_id: origin.request_id.unwrap_or_default(),
    };
    let key = uuid::Uuid::new_v4().simple().to_string();
    store::job::enqueue(&state.db, store::user_token::RESET_REQUEST_JOB, &key, &request.to_payload(), state.now())
        .await?;
    Ok(Redirect::to("/mot-de-passe-oublie/envoye").into_response())
}

/// `GET /mot-de-passe-oublie/envoye`
pub async fn forgot_sent(chrome: Chrome) -> Result<Response, AppError> {
    message(
        chrome,
        StatusCode::OK,
        "Vérifiez votre messagerie",
        vec![
            "Si un compte existe pour cette adresse, vous allez recevoir un e-mail avec un lien pour choisir un nouveau \
             mot de passe. Ce lien est valable une heure."
                .into(),
            "Pensez à regarder dans les courriers indésirables.".into(),
        ],
        Some(("Retour à la connexion", "/connexion")),
    )
}

/// The form choosing a new password after following a reset link.
#[derive(Debug, Template)]
#[template(path = "mot-de-passe/reset.html")]
pub struct ResetPage {
    chrome: Chrome,
    jeton: String,
    errors: FormErrors,
}

/// What the reset form sends.
#[derive(Debug, Deserialize, Default)]
pub struct ResetForm {
    #[serde(default)]
    jeton: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

/// The account behind a usable reset link, or the page explaining why the link is not usable.
async fn reset_target(
    state: &AppState,
    chrome: &Chrome,
    jeton: &str,
) -> Result<Result<(i64, Account), Response>, AppError> {
    let retry = "/mot-de-passe-oublie";
    let purposes = [TokenPurpose::PasswordReset, TokenPurpose::Invitation];
    let Some(token) = store::user_token::find_any(&state.db, jeton.trim(), &purposes).await? else {
        return Ok(Err(invalid_link(chrome.clone(), retry)?));
    };
    match token_state(token.expires_at, token.used_at, state.now()) {
        TokenState::Valid => {}
        TokenState::Used => return Ok(Err(invalid_link(chrome.clone(), retry)?)),
        TokenState::Expired => {
            return Ok(Err(expired_link(chrome.clone(), retry, "Recevoir un nouveau lien")?));
        }
    }
    match store::account::get(&state.db, token.user_id).await?.filter(|a| a.disabled_at.is_none()) {
        Some(account) => Ok(Ok((token.id, account))),
        None => Ok(Err(invalid_link(chrome.clone(), retry)?)),
    }
}

/// `GET /reinitialisation?jeton=…`
pub async fn reset_form(
    State(state): State<AppState>,
    chrome: Chrome,
    Query(query): Query<TokenQuery>,
) -> Result<Response, AppError> {
    match reset_target(&state, &chrome, &query.jeton).await? {
        Ok(_) => {
            Ok(render::page(&ResetPage { chrome, jeton: query.jeton, errors: FormErrors::new() })?.into_response())
        }
        Err(page) => Ok(page),
    }
}

/// `POST /reinitialisation`
pub async fn reset(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    Form(form): Form<ResetForm>,
) -> Result<Response, AppError> {
    let (token_id, account) = match reset_target(&state, &chrome, &form.jeton).await? {
        Ok(target) => target,
        Err(page) => return Ok(page),
    };
    let mut errors = FormErrors::new();
    let personal = [account.email.as_str(), account.given_name.as_str(), account.family_name.as_str()];
    check_password_pair(&mut errors, &form.password, &form.password_confirm, &personal);
    if !errors.is_empty() {
        let page = ResetPage { chrome, jeton: form.jeton, errors };
        return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let digest = crypto::hash(Password::new(form.password)).await?;
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    if !store::user_token::consume(&txn, token_id, now).await? {
        return invalid_link(chrome, "/mot-de-passe-oublie");
    }
    store::account::set_password(&txn, account.id, digest, now).await?;
    if account.email_verified_at.is_none() {
        // Following the link proved the address, as a verification link would.
        store::account::mark_email_verified(&txn, account.id, now).await?;
        crate::pages::account::activate_legacy(&txn, &account, &client, now).await?;
    }
    store::session::delete_all_for_user(&txn, account.id, None).await?;
    let tokens_revoked = store::api_token::revoke_all_for_user(&txn, account.id, now).await?;
    let actor = Actor::user(account.id, account.email.as_str());
    audit(&txn, &actor, "password.reset", Some(("user", account.id.to_string())), &client, now).await?;
    let mail = documents::mail::password_changed(&notify::sender(&state), &account.display_name(), now)?;
    queue_mail(&txn, account.email.as_str(), mail, now).await?;
    txn.commit().await?;
    let notice = if tokens_revoked > 0 { "mot-de-passe-reinitialise-jetons" } else { "mot-de-passe-reinitialise" };
    Ok(Redirect::to(&format!("/connexion?notice={notice}")).into_response())
}

/// The change-password form.
#[derive(Debug, Template)]
#[template(path = "compte/password.html")]
pub struct ChangePage {
    chrome: Chrome,
    errors: FormErrors,
}

/// What the change-password form sends.
#[derive(Debug, Deserialize, Default)]
pub struct ChangeForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

/// `GET /compte/mot-de-passe`
pub async fn change_form(chrome: Chrome, _user: CurrentUser) -> Result<Response, AppError> {
    Ok(render::page(&ChangePage { chrome, errors: FormErrors::new() })?.into_response())
}

/// `POST /compte/mot-de-passe`: needs the current password; ends the person's other sessions.
pub async fn change(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    user: CurrentUser,
    Form(form): Form<ChangeForm>,
) -> Result<Response, AppError> {
    let account = &user.account;
    let mut errors = FormErrors::new();
    if form.current_password.is_empty() {
        errors.add("current_password", "Saisissez votre mot de passe actuel.");
    } else {
        // Someone with a borrowed session must not be able to guess the password here either.
        if let Err(err) = check_throttle(&state, &account.email, &client.ip, None, account.password_changed_at).await {
            errors.add("current_password", err.to_string());
            return render::page_with_status(StatusCode::TOO_MANY_REQUESTS, &ChangePage { chrome, errors });
        }
        let digest = store::account::password_hash(&state.db, account.id).await?;
        if !crypto::verify(Password::new(form.current_password.clone()), digest).await? {
            let attempt = Attempt { email: account.email.as_str(), ip: &client.ip, device_id: None, succeeded: false };
            store::login_attempt::record(&state.db, attempt, state.now()).await?;
            errors.add("current_password", "Le mot de passe actuel est incorrect.");
        }
    }
    let personal = [account.email.as_str(), account.given_name.as_str(), account.family_name.as_str()];
    check_password_pair(&mut errors, &form.password, &form.password_confirm, &personal);
    if errors.is_empty() && form.password == form.current_password {
        errors.add("password", "Choisissez un mot de passe différent de l’actuel.");
    }
    if !errors.is_empty() {
        return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &ChangePage { chrome, errors });
    }
    let digest = crypto::hash(Password::new(form.password)).await?;
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    store::account::set_password(&txn, account.id, digest, now).await?;
    store::session::delete_all_for_user(&txn, account.id, Some(user.session_id)).await?;
    let tokens_revoked = store::api_token::revoke_all_for_user(&txn, account.id, now).await?;
    audit(&txn, &user.actor(), "password.changed", Some(("user", account.id.to_string())), &client, now).await?;
    let mail = documents::mail::password_changed(&notify::sender(&state), &account.display_name(), now)?;
    queue_mail(&txn, account.email.as_str(), mail, now).await?;
    txn.commit().await?;
    let notice = if tokens_revoked > 0 { "mot-de-passe-modifie-jetons" } else { "mot-de-passe-modifie" };
    Ok(Redirect::to(&format!("/compte?notice={notice}")).into_response())
}
