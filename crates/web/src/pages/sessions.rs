//! "Mon compte": who I am, and the sessions I have open.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use documents::fr;

use crate::auth::CurrentUser;
use crate::chrome::Chrome;
use crate::client::Client;
use crate::error::AppError;
use crate::notify::audit;
use crate::state::AppState;
use crate::{cookies, render};

/// The profile page.
#[derive(Debug, Template)]
#[template(path = "compte/profile.html")]
pub struct ProfilePage {
    chrome: Chrome,
    name: String,
    email: String,
    role: &'static str,
    verified_on: Option<String>,
    created_on: String,
    password_changed_on: Option<String>,
}

/// `GET /compte`
pub async fn profile(chrome: Chrome, user: CurrentUser) -> Result<Response, AppError> {
    let account = &user.account;
    let page = ProfilePage {
        chrome,
        name: account.display_name(),
        email: account.email.to_string(),
        role: account.role.label(),
        verified_on: account.email_verified_at.map(fr::date),
        created_on: fr::date(account.created_at),
        password_changed_on: account.password_changed_at.map(fr::date_time),
    };
    Ok(render::page(&page)?.into_response())
}

/// One line of the sessions list.
#[derive(Debug)]
pub struct SessionLine {
    id: i64,
    current: bool,
    browser: String,
    ip: String,
    opened: String,
    last_seen: String,
}

/// The sessions page.
#[derive(Debug, Template)]
#[template(path = "compte/sessions.html")]
pub struct SessionsPage {
    chrome: Chrome,
    sessions: Vec<SessionLine>,
    /// More sessions than shown: only the most recently used are listed.
    more: bool,
    shown: u64,
}

/// The most sessions the page lists (a script logging in in a loop would open thousands).
pub const SESSIONS_SHOWN: u64 = 100;

/// A short description of a browser from its `User-Agent`.
#[must_use]
pub fn describe_browser(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent else {
        return "Navigateur inconnu".to_owned();
    };
    let browser =
        [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari")]
            .into_iter()
            .find(|(marker, _)| ua.contains(marker))
            .map_or("Navigateur", |(_, name)| name);
    let system = [
        ("Windows", "Windows"),
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Mac OS", "macOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(marker, _)| ua.contains(marker))
    .map(|(_, name)| name);
    match system {
        Some(system) => format!("{browser} sous {system}"),
        None => browser.to_owned(),
    }
}

/// `GET /compte/sessions`
pub async fn list(State(state): State<AppState>, chrome: Chrome, user: CurrentUser) -> Result<Response, AppError> {
    let (sessions, more) = store::session::recent_for_user(&state.db, user.account.id, SESSIONS_SHOWN).await?;
    let sessions = sessions
        .into_iter()
        .map(|s| SessionLine {
            id: s.id,
            current: s.id == user.session_id,
            browser: describe_browser(s.user_agent.as_deref()),
            ip: s.ip.unwrap_or_else(|| "inconnue".to_owned()),
            opened: fr::date_time(s.created_at),
            last_seen: fr::date_time(s.last_seen_at),
        })
        .collect();
    Ok(render::page(&SessionsPage { chrome, sessions, more, shown: SESSIONS_SHOWN })?.into_response())
}

/// `POST /compte/sessions/{id}/fermer`: ends one of the person's own sessions.
pub async fn revoke(
    State(state): State<AppState>,
    client: Client,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    if !store::session::delete_own(&txn, user.account.id, id).await? {
        return Err(AppError::NotFound);
    }
    audit(&txn, &user.actor(), "session.revoked", Some(("session", id.to_string())), &client, now).await?;
    txn.commit().await?;
    if id == user.session_id {
        return Ok((
            AppendHeaders([(header::SET_COOKIE, cookies::clear_session(&state.config))]),
            Redirect::to("/connexion?notice=deconnecte"),
        )
            .into_response());
    }
    Ok(Redirect::to("/compte/sessions?notice=session-fermee").into_response())
}

/// `POST /compte/sessions/fermer-autres`
pub async fn revoke_others(
    State(state): State<AppState>,
    client: Client,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    let ended = store::session::delete_all_for_user(&txn, user.account.id, Some(user.session_id)).await?;
    audit(&txn, &user.actor(), "session.revoked_others", Some(("user", user.account.id.to_string())), &client, now)
        .await?;
    txn.commit().await?;
    tracing::info!(user.id = user.account.id, ended, "other sessions ended");
    Ok(Redirect::to("/compte/sessions?notice=sessions-fermees").into_response())
}

#[cfg(test)]
mod tests {
    use super::describe_browser;

    #[test]
    fn names_common_browsers() {
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";
        assert_eq!(describe_browser(Some(chrome)), "Chrome sous Windows");
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";
        assert_eq!(describe_browser(Some(firefox)), "Firefox sous Linux");
        assert_eq!(describe_browser(None), "Navigateur inconnu");
    }
}
