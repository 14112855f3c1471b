//! The bell: a person's notifications and their e-mail preference.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use store::notification::Notification;

use crate::auth::CurrentUser;
use crate::chrome::Chrome;
use crate::client::Client;
use crate::error::AppError;
use crate::extract::{Form, PageNumber, Query};
use crate::notify::audit;
use crate::render;
use crate::state::AppState;

/// The notifications page.
#[derive(Debug, Template)]
#[template(path = "notifications.html")]
pub struct NotificationsPage {
    chrome: Chrome,
    items: Vec<(Notification, String)>,
    page: u64,
    pages: u64,
    by_email: bool,
}

/// `?page=`.
#[derive(Debug, Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    page: PageNumber,
}

const PER_PAGE: u64 = 30;

/// `GET /notifications`
pub async fn list(
    State(state): State<AppState>,
    chrome: Chrome,
    user: CurrentUser,
    Query(query): Query<PageQuery>,
) -> Result<Response, AppError> {
    let page = query.page.get();
    let (rows, total) = store::notification::list(&state.db, user.account.id, page, PER_PAGE).await?;
    let items = rows.into_iter().map(|n| {
        let when = documents::fr::date_time(n.created_at);
        (n, when)
    });
    let page = NotificationsPage {
        chrome,
        items: items.collect(),
        page,
        pages: total.div_ceil(PER_PAGE).max(1),
        by_email: user.account.notify_by_email,
    };
    Ok(render::page(&page)?.into_response())
}

/// `POST /notifications/{id}/lire`: marks it read and opens what it is about.
pub async fn read(State(state): State<AppState>, user: CurrentUser, Path(id): Path<i64>) -> Result<Response, AppError> {
    let found =
        store::notification::mark_read(&state.db, user.account.id, id, state.now()).await?.ok_or(AppError::NotFound)?;
    let target = found
        .link
        .filter(|l| crate::pages::safe_next(Some(l)).is_some())
        .unwrap_or_else(|| "/notifications".to_owned());
    Ok(Redirect::to(&target).into_response())
}

/// `POST /notifications/tout-lire`
pub async fn read_all(State(state): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    store::notification::mark_all_read(&state.db, user.account.id, state.now()).await?;
    Ok(Redirect::to("/notifications").into_response())
}

/// What the preference form sends.
#[derive(Debug, Deserialize, Default)]
pub struct PreferenceForm {
    #[serde(default)]
    by_email: Option<String>,
}

/// `POST /notifications/preferences`
pub async fn preferences(
    State(state): State<AppState>,
    client: Client,
    user: CurrentUser,
    Form(form): Form<PreferenceForm>,
) -> Result<Response, AppError> {
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    store::notification::set_email_preference(&txn, user.account.id, form.by_email.is_some(), now).await?;
    audit(
        &txn,
        &user.actor(),
        "notification.preference_changed",
        Some(("user", user.account.id.to_string())),
        &client,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Redirect::to("/notifications?notice=preferences").into_response())
}
