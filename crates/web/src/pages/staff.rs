//! The operator's back-office (`/gestion`): staff only.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use documents::fr;
use serde::Deserialize;

use crate::auth::Staff;
use crate::chrome::Chrome;
use crate::error::AppError;
use crate::extract::{PageNumber, Query};
use crate::policy::Permission;
use crate::render;
use crate::state::AppState;

/// The back-office home.
#[derive(Debug, Template)]
#[template(path = "gestion/index.html")]
pub struct StaffHome {
    chrome: Chrome,
    role: &'static str,
    open_jobs: u64,
    failed_jobs: usize,
}

/// `GET /gestion`
pub async fn index(State(state): State<AppState>, chrome: Chrome, Staff(user): Staff) -> Result<Response, AppError> {
    let open_jobs = store::job::count_open(&state.db).await?;
    let failed_jobs = store::job::failed(&state.db).await?.len();
    let page = StaffHome { chrome, role: user.account.role.label(), open_jobs, failed_jobs };
    Ok(render::page(&page)?.into_response())
}

/// One line of the audit log.
#[derive(Debug)]
pub struct AuditLine {
    when: String,
    actor: String,
    action: String,
    subject: String,
    ip: String,
    request_id: String,
}

/// The audit log page.
#[derive(Debug, Template)]
#[template(path = "gestion/journal.html")]
pub struct AuditPage {
    chrome: Chrome,
    lines: Vec<AuditLine>,
    action: String,
    page: u64,
    pages: u64,
    total: u64,
}

/// Filters of the audit log, kept in the URL.
#[derive(Debug, Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    page: PageNumber,
}

const PER_PAGE: u64 = 50;

/// `GET /gestion/journal`
pub async fn journal(
    State(state): State<AppState>,
    chrome: Chrome,
    Staff(user): Staff,
    Query(query): Query<AuditQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::AuditLog)?;
    let page = query.page.get();
    let action = query.action.trim().to_owned();
    let filter = store::audit::Filter { action_prefix: Some(action.clone()), actor_user_id: None };
    let (rows, total) = store::audit::list(&state.db, &filter, page, PER_PAGE).await?;
    let lines = rows
        .into_iter()
        .map(|e| AuditLine {
            when: fr::date_time(e.occurred_at),
            actor: e.actor_label,
            action: e.action,
            subject: match (e.subject_type, e.subject_id) {
                (Some(t), Some(id)) => format!("{t} n° {id}"),
                _ => String::new(),
            },
            ip: e.ip.unwrap_or_default(),
            request_id: e.request_id.unwrap_or_default(),
        })
        .collect();
    let pages = total.div_ceil(PER_PAGE).max(1);
    Ok(render::page(&AuditPage { chrome, lines, action, page, pages, total })?.into_response())
}
