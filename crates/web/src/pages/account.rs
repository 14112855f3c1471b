//! Creating an account and confirming its e-mail address.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use domain::password::{Password, check_new_password};
use domain::token::{TokenPurpose, TokenState, token_state};
use domain::{Email, Role};
use serde::Deserialize;
use store::ConnectionTrait;
use store::account::{Account, CreateAccountError, NewAccount};
use store::audit::Actor;

use crate::chrome::Chrome;
use crate::client::Client;
use crate::error::AppError;
use crate::extract::{Form, Query};
use crate::forms::{FormErrors, person_name};
use crate::notify::{self, audit, queue_mail};
use crate::state::AppState;
use crate::{crypto, render};

/// The registration form.
#[derive(Debug, Template)]
#[template(path = "inscription/form.html")]
pub struct RegisterPage {
    chrome: Chrome,
    form: RegisterForm,
    errors: FormErrors,
}

/// A page that only says something (sent, confirmed, link expired…).
#[derive(Debug, Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    /// The frame.
    pub chrome: Chrome,
    /// The `h1`.
    pub title: &'static str,
    /// Paragraphs.
    pub paragraphs: Vec<String>,
    /// A main action: label and link.
    pub action: Option<(&'static str, &'static str)>,
}

/// Renders a message page with a status.
///
/// # Errors
/// When the template fails.
pub fn message(
    chrome: Chrome,
    status: StatusCode,
    title: &'static str,
    paragraphs: Vec<String>,
    action: Option<(&'static str, &'static str)>,
) -> Result<Response, AppError> {
    render::page_with_status(status, &MessagePage { chrome, title, paragraphs, action })
}

/// What the registration form sends. Passwords are never sent back to the page.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct RegisterForm {
    #[serde(default)]
    given_name: String,
    #[serde(default)]
    family_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

/// `GET /inscription`
pub async fn show(chrome: Chrome) -> Result<Response, AppError> {
    if chrome.user.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    Ok(render::page(&RegisterPage { chrome, form: RegisterForm::default(), errors: FormErrors::new() })?
        .into_response())
}

/// Checks the two password fields of a form that sets a new password.
pub fn check_password_pair(errors: &mut FormErrors, password: &str, confirm: &str, personal: &[&str]) {
    let password = Password::new(password);
    if let Err(err) = check_new_password(&password, personal) {
        errors.add("password", err.to_string());
    } else if password.expose() != confirm {
        errors.add("password_confirm", "Les deux mots de passe ne sont pas identiques.");
    }
}

/// `POST /inscription`
pub async fn submit(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    Form(form): Form<RegisterForm>,
) -> Result<Response, AppError> {
    let mut errors = FormErrors::new();
    let given_name = errors.check("given_name", person_name(&form.given_name, "prénom"));
    let family_name = errors.check("family_name", person_name(&form.family_name, "nom"));
    let email = errors.check("email", Email::parse(&form.email));
    let personal: Vec<&str> = [form.email.as_str(), form.given_name.as_str(), form.family_name.as_str()].to_vec();
    check_password_pair(&mut errors, &form.password, &form.password_confirm, &personal);
    let (Some(given_name), Some(family_name), Some(email), true) = (given_name, family_name, email, errors.is_empty())
    else {
        let form = RegisterForm { password: String::new(), password_confirm: String::new(), ..form };
        return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &RegisterPage { chrome, form, errors });
    };

    // Hash before looking the address up, so both outcomes take the same time.
    let digest = crypto::hash(Password::new(form.password)).await?;
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    if let Some(existing) = store::account::find_by_email(&txn, &email).await? {
        // Same answer as for a new address; the owner learns of it by mail.
        let mail = documents::mail::already_registered(&notify::sender(&state), &existing.display_name())?;
        queue_mail(&txn, existing.email.as_str(), mail, now).await?;
        audit(
            &txn,
            &Actor::system("anonyme"),
            "account.registration_repeated",
            Some(("user", existing.id.to_string())),
            &client,
            now,
        )
        .await?;
    } else {
        let new = NewAccount {
            email,
            password_hash: Some(digest),
            given_name,
            family_name,
            role: Role::CompanyUser,
            email_verified_at: None,
        };
        let account = match store::account::create(&txn, new, now).await {
            Ok(account) => account,
            // Registered by a simultaneous request: answer as if new, like above.
            Err(CreateAccountError::EmailTaken) => {
                return Ok(Redirect::to("/inscription/confirmation").into_response());
            }
            Err(err) => return Err(err.into()),
        };
        send_verification(&txn, &state, &account, now).await?;
        let actor = Actor::user(account.id, account.email.as_str());
        audit(&txn, &actor, "account.registered", Some(("user", account.id.to_string())), &client, now).await?;
    }
    txn.commit().await?;
    Ok(Redirect::to("/inscription/confirmation").into_response())
}

/// Issues a verification link for `account` and queues the e-mail, in the caller's transaction.
///
/// # Errors
/// The database's or the template's error.
pub async fn send_verification(
    conn: &impl ConnectionTrait,
    state: &AppState,
    account: &Account,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if !notify::may_mail(conn, account.email.as_str(), documents::mail::kind::VERIFY_EMAIL, now).await? {
        // The links already mailed this hour stay valid; a new one would void them unseen.
        return Ok(());
    }
    let token = store::user_token::issue(conn, account.id, TokenPurpose::EmailVerification, now).await?;
    let link = format!("{}/inscription/verifier?jeton={}", state.config.public_url, token.plain);
    let expires = TokenPurpose::EmailVerification.expires_at(now);
    let mail = documents::mail::verify_email(&notify::sender(state), &account.display_name(), &link, expires)?;
    queue_mail(conn, account.email.as_str(), mail, now).await
}

/// Carries over what the legacy portal knew of a newly verified address (SPEC A2): its
/// attachments, habilitations and administrator roles, in the caller's transaction.
///
/// # Errors
/// The database's error.
pub async fn activate_legacy(
    conn: &impl ConnectionTrait,
    account: &Account,
    client: &Client,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let applied = store::legacy::apply(conn, account.id, &account.email, now).await?;
    if applied > 0 {
        let actor = Actor::user(account.id, account.email.as_str());
        let entry = store::audit::Entry {
            actor: &actor,
            action: "legacy.account_activated",
            subject: Some(("user", account.id.to_string())),
            origin: &client.origin(),
            detail: Some(serde_json::json!({ "attachments": applied })),
        };
        store::audit::record(conn, entry, now).await?;
    }
    Ok(())
}

/// `GET /inscription/confirmation`
pub async fn sent(chrome: Chrome) -> Result<Response, AppError> {
    message(
        chrome,
        StatusCode::OK,
        "Vérifiez votre messagerie",
        vec![
            "Si l’adresse saisie est valide, vous allez recevoir un e-mail avec un lien pour confirmer votre adresse. \
             Ce lien est valable 72 heures."
                .into(),
            "Pensez à regarder dans les courriers indésirables. Rien reçu après quelques minutes ? Demandez un nouveau lien."
                .into(),
        ],
        Some(("Recevoir un nouveau lien", "/inscription/renvoyer")),
    )
}

/// `?jeton=` of e-mailed links.
#[derive(Debug, Deserialize, Default)]
pub struct TokenQuery {
    /// The token.
    #[serde(default)]
    pub jeton: String,
}

/// `GET /inscription/verifier?jeton=…`: following the link is the proof, so it confirms at once.
pub async fn verify(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    Query(query): Query<TokenQuery>,
) -> Result<Response, AppError> {
    let now = state.now();
    let Some(token) = store::user_token::find(&state.db, query.jeton.trim(), TokenPurpose::EmailVerification).await?
    else {
        return invalid_link(chrome, "/inscription/renvoyer");
    };
    match token_state(token.expires_at, token.used_at, now) {
        TokenState::Valid => {
            let txn = store::db::write(&state.db).await?;
            if store::user_token::consume(&txn, token.id, now).await? {
                store::account::mark_email_verified(&txn, token.user_id, now).await?;
                if let Some(account) = store::account::get(&txn, token.user_id).await? {
                    let actor = Actor::user(account.id, account.email.as_str());
                    audit(&txn, &actor, "account.email_verified", Some(("user", account.id.to_string())), &client, now)
                        .await?;
                    activate_legacy(&txn, &account, &client, now).await?;
                }
            }
            txn.commit().await?;
            message(
                chrome,
                StatusCode::OK,
                "Adresse e-mail confirmée",
                vec!["Votre compte est activé. Vous pouvez vous connecter.".into()],
                Some(("Se connecter", "/connexion")),
            )
        }
        TokenState::Used => {
            let verified =
                store::account::get(&state.db, token.user_id).await?.is_some_and(|a| a.email_verified_at.is_some());
            if verified {
                message(
                    chrome,
                    StatusCode::OK,
                    "Adresse e-mail déjà confirmée",
                    vec!["Votre adresse est confirmée : connectez-vous.".into()],
                    Some(("Se connecter", "/connexion")),
                )
            } else {
                invalid_link(chrome, "/inscription/renvoyer")
            }
        }
        TokenState::Expired => expired_link(chrome, "/inscription/renvoyer", "Recevoir un nouveau lien"),
    }
}

/// The page for a link that does not exist or was replaced.
///
/// # Errors
/// When the template fails.
pub fn invalid_link(chrome: Chrome, retry: &'static str) -> Result<Response, AppError> {
    message(
        chrome,
        StatusCode::NOT_FOUND,
        "Ce lien n’est pas valide",
        vec![
            "Le lien est incomplet, a déjà servi ou a été remplacé par un lien plus récent. Vérifiez que vous avez \
             copié le lien en entier, ou utilisez le dernier e-mail reçu."
                .into(),
        ],
        Some(("Recevoir un nouveau lien", retry)),
    )
}

/// The page for a link past its expiry.
///
/// # Errors
/// When the template fails.
pub fn expired_link(chrome: Chrome, retry: &'static str, label: &'static str) -> Result<Response, AppError> {
    message(
        chrome,
        StatusCode::GONE,
        "Ce lien a expiré",
        vec!["Pour votre sécurité, les liens envoyés par e-mail ont une durée limitée. Demandez-en un nouveau.".into()],
        Some((label, retry)),
    )
}

/// The form asking for an e-mail address (new verification link, forgotten password).
#[derive(Debug, Template)]
#[template(path = "email_form.html")]
pub struct EmailFormPage {
    /// The frame.
    pub chrome: Chrome,
    /// The `h1`.
    pub title: &'static str,
    /// What the form does.
    pub intro: &'static str,
    /// Where it posts.
    pub action: &'static str,
    /// The submit button.
    pub button: &'static str,
    /// The address typed.
    pub email: String,
    /// Errors.
    pub errors: FormErrors,
}

/// The one field of [`EmailFormPage`].
#[derive(Debug, Deserialize, Default)]
pub struct EmailForm {
    /// The address typed.
    #[serde(default)]
    pub email: String,
}

fn resend_page(chrome: Chrome, email: String, errors: FormErrors) -> EmailFormPage {
    EmailFormPage {
        chrome,
        title: "Recevoir un nouveau lien de confirmation",
        intro: "Saisissez l’adresse e-mail de votre compte : si elle n’est pas encore confirmée, nous vous envoyons un nouveau lien.",
        action: "/inscription/renvoyer",
        button: "Envoyer le lien",
        email,
        errors,
    }
}

/// `GET /inscription/renvoyer`
pub async fn resend_form(chrome: Chrome) -> Result<Response, AppError> {
    Ok(render::page(&resend_page(chrome, String::new(), FormErrors::new()))?.into_response())
}

/// `POST /inscription/renvoyer`: same answer whether the address is known or not.
pub async fn resend(
    State(state): State<AppState>,
    chrome: Chrome,
    Form(form): Form<EmailForm>,
) -> Result<Response, AppError> {
    let mut errors = FormErrors::new();
    let Some(email) = errors.check("email", Email::parse(&form.email)) else {
        return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &resend_page(chrome, form.email, errors));
    };
    let now = state.now();
    let unverified = store::account::find_by_email(&state.db, &email)
        .await?
        .filter(|account| account.email_verified_at.is_none() && account.disabled_at.is_none());
    if let Some(account) = unverified {
        let txn = store::db::write(&state.db).await?;
        send_verification(&txn, &state, &account, now).await?;
        txn.commit().await?;
    }
    Ok(Redirect::to("/inscription/confirmation").into_response())
}
