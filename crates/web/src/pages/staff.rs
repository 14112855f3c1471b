//! The operator's back-office (`/gestion`): staff only.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use documents::fr;
use serde::Deserialize;
use store::audit::JournalFilter;

use crate::auth::Staff;
use crate::chrome::Chrome;
use crate::csv::Line;
use crate::error::AppError;
use crate::extract::{PageNumber, Query};
use crate::listing::{self, Pager};
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
    query: AuditQuery,
    pager: Pager,
}

/// Filters and window of the audit log, kept in the URL.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct AuditQuery {
    /// Actions starting with this.
    #[serde(default)]
    action: String,
    /// Actor (e-mail address) containing this.
    #[serde(default)]
    auteur: String,
    /// A company's id: events on it, its establishments or its dossiers.
    #[serde(default)]
    entreprise: String,
    #[serde(default)]
    du: String,
    #[serde(default)]
    au: String,
    #[serde(default)]
    page: PageNumber,
    #[serde(default)]
    par_page: String,
    #[serde(default)]
    apres: String,
}

impl AuditQuery {
    /// The filters, parsed (days are Paris days).
    ///
    /// # Errors
    /// A French 400 or 422 naming the parameter at fault.
    fn filter(&self) -> Result<JournalFilter, AppError> {
        let (from, to) = listing::days(&self.du, &self.au)?;
        let (since, before) = listing::paris_instants(from, to);
        Ok(JournalFilter {
            actor: Some(self.auteur.trim().to_owned()).filter(|s| !s.is_empty()),
            action_prefix: Some(self.action.trim().to_owned()).filter(|s| !s.is_empty()),
            company: listing::id("entreprise", &self.entreprise)?,
            since,
            before,
        })
    }

    fn kept(&self) -> [(&'static str, &str); 5] {
        [
            ("action", &self.action),
            ("auteur", &self.auteur),
            ("entreprise", &self.entreprise),
            ("du", &self.du),
            ("au", &self.au),
        ]
    }
}

fn subject(e: &store::audit::AuditEvent) -> String {
    match (&e.subject_type, &e.subject_id) {
        (Some(t), Some(id)) => format!("{t} n° {id}"),
        _ => String::new(),
    }
}

/// `GET /gestion/journal`: one page of the audit log, newest first, filtered.
pub async fn journal(
    State(state): State<AppState>,
    chrome: Chrome,
    Staff(user): Staff,
    Query(query): Query<AuditQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::AuditLog)?;
    let filter = query.filter()?;
    let window = listing::window(query.page, &query.par_page, &query.apres)?;
    let listed = store::audit::journal(&state.db, &filter, window).await?;
    let pager =
        Pager::new("/gestion/journal", &query.kept(), window, &listed).with_csv("/gestion/journal.csv", &query.kept());
    let lines = listed
        .rows
        .into_iter()
        .map(|e| AuditLine {
            when: fr::date_time(e.occurred_at),
            subject: subject(&e),
            actor: e.actor_label,
            action: e.action,
            ip: e.ip.unwrap_or_default(),
            request_id: e.request_id.unwrap_or_default(),
        })
        .collect();
    Ok(render::page(&AuditPage { chrome, lines, query, pager })?.into_response())
}

/// `GET /gestion/journal.csv`: the filtered audit log, whole, streamed as CSV.
pub async fn journal_export(
    State(state): State<AppState>,
    Staff(user): Staff,
    Query(query): Query<AuditQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::AuditLog)?;
    let filter = query.filter()?;
    // The window does not apply to an export, but a malformed one is refused like on the page.
    listing::window(query.page, &query.par_page, &query.apres)?;
    let day = domain::clock::paris_day(state.now()).format("%Y-%m-%d");
    let header = crate::csv::header(&["Date", "Heure", "Auteur", "Action", "Objet", "Adresse IP", "Requête"]);
    Ok(crate::csv::stream(&format!("journal-{day}.csv"), header, move |after| {
        let (state, filter) = (state.clone(), filter.clone());
        async move {
            let (rows, next) = store::audit::journal_chunk(&state.db, &filter, after).await?;
            let mut out = String::new();
            for e in &rows {
                let local = e.occurred_at.with_timezone(&chrono_tz::Europe::Paris);
                Line::new()
                    .day(Some(local.date_naive()))
                    .text(&local.format("%H:%M:%S").to_string())
                    .text(&e.actor_label)
                    .text(&e.action)
                    .text(&subject(e))
                    .text(e.ip.as_deref().unwrap_or(""))
                    .text(e.request_id.as_deref().unwrap_or(""))
                    .end(&mut out);
            }
            Ok((out, next))
        }
    }))
}
