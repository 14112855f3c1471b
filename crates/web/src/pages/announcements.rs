//! Announcements targeted by branch and region (SPEC I3): shown on the dashboard to people whose
//! companies are targeted, until they dismiss them, and on the help page to visitors who say
//! their branch and region; written by platform admins under `/gestion/annonces`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use domain::announcement::{self, BRANCHES, REGIONS, Targets};
use store::announcement::{Announcement, NewAnnouncement};

use crate::auth::{Scoped, Staff};
use crate::chrome::Chrome;
use crate::client::Client;
use crate::error::AppError;
use crate::extract::Form;
use crate::forms::FormErrors;
use crate::notify::audit;
use crate::pages::help::markdown_to_html;
use crate::policy::Permission;
use crate::render;
use crate::state::AppState;

/// An announcement as shown.
#[derive(Debug, Clone)]
pub struct Shown {
    /// Its id (to dismiss it).
    pub id: i64,
    /// Title.
    pub title: String,
    /// Text, as HTML.
    pub html: String,
}

fn shown(a: &Announcement) -> Shown {
    Shown { id: a.id, title: a.title.clone(), html: markdown_to_html(&a.body) }
}

/// The announcements of today for a person: those targeting one of the companies they reach,
/// not dismissed.
///
/// # Errors
/// The database's.
pub async fn for_person(state: &AppState, scoped: &Scoped) -> Result<Vec<Shown>, AppError> {
    let companies = store::company::list(&state.db, &scoped.scope).await?;
    let active = store::announcement::active(&state.db, state.today(), Some(scoped.user.account.id)).await?;
    Ok(active
        .iter()
        .filter(|a| {
            let targets = store::announcement::targets_of(a);
            companies.iter().any(|c| announcement::targets(&targets, c.branch.as_deref(), c.region.as_deref()))
        })
        .map(shown)
        .collect())
}

/// The announcements of today for a visitor who says their branch and region.
///
/// # Errors
/// The database's.
pub async fn for_visitor(state: &AppState, branch: Option<&str>, region: Option<&str>) -> Result<Vec<Shown>, AppError> {
    if branch.is_none() && region.is_none() {
        return Ok(Vec::new());
    }
    let active = store::announcement::active(&state.db, state.today(), None).await?;
    Ok(active
        .iter()
        .filter(|a| announcement::targets(&store::announcement::targets_of(a), branch, region))
        .map(shown)
        .collect())
}

/// `POST /annonces/{id}/masquer`: the person no longer sees it.
pub async fn dismiss(State(state): State<AppState>, scoped: Scoped, Path(id): Path<i64>) -> Result<Response, AppError> {
    // Only an announcement shown to this person can be dismissed by them.
    if !for_person(&state, &scoped).await?.iter().any(|a| a.id == id) {
        return Err(AppError::NotFound);
    }
    store::announcement::dismiss(&state.db, id, scoped.user.account.id, state.now()).await?;
    Ok(Redirect::to("/").into_response())
}

/// What the form sends.
#[derive(Debug, Clone, Default)]
pub struct AnnouncementForm {
    title: String,
    body: String,
    branches: Vec<String>,
    regions: Vec<String>,
    starts_on: String,
    ends_on: String,
}

impl AnnouncementForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = Self::default();
        for (key, value) in pairs {
            match key.as_str() {
                "title" => form.title = value,
                "body" => form.body = value,
                "branches" if BRANCHES.contains(&value.as_str()) => form.branches.push(value),
                "regions" if REGIONS.contains(&value.as_str()) => form.regions.push(value),
                "starts_on" => form.starts_on = value,
                "ends_on" => form.ends_on = value,
                _ => {}
            }
        }
        form
    }

    fn has_branch(&self, b: &&str) -> bool {
        self.branches.iter().any(|x| x == b)
    }

    fn has_region(&self, r: &&str) -> bool {
        self.regions.iter().any(|x| x == r)
    }
}

/// `/gestion/annonces`
#[derive(Debug, Template)]
#[template(path = "gestion/annonces.html")]
pub struct StaffPage {
    chrome: Chrome,
    rows: Vec<(Announcement, String, String)>,
    can_edit: bool,
    form: AnnouncementForm,
    errors: FormErrors,
    branches: &'static [&'static str],
    regions: &'static [&'static str],
}

async fn staff_page(
    state: &AppState,
    chrome: Chrome,
    can_edit: bool,
    form: AnnouncementForm,
    errors: FormErrors,
) -> Result<StaffPage, AppError> {
    let rows = store::announcement::all(&state.db)
        .await?
        .into_iter()
        .map(|a| {
            let t = store::announcement::targets_of(&a);
            let who = [
                if t.branches.is_empty() { "toutes les branches".to_owned() } else { t.branches.join(", ") },
                if t.regions.is_empty() { "toutes les régions".to_owned() } else { t.regions.join(", ") },
            ]
            .join(" — ");
            let when = format!("du {} au {}", a.starts_on.format("%d/%m/%Y"), a.ends_on.format("%d/%m/%Y"));
            (a, who, when)
        })
        .collect();
    Ok(StaffPage { chrome, rows, can_edit, form, errors, branches: &BRANCHES, regions: &REGIONS })
}

/// `GET /gestion/annonces`
pub async fn staff_list(
    State(state): State<AppState>,
    chrome: Chrome,
    Staff(user): Staff,
) -> Result<Response, AppError> {
    let today = state.today();
    let form = AnnouncementForm {
        starts_on: today.to_string(),
        ends_on: (today + chrono::Duration::days(30)).to_string(),
        ..AnnouncementForm::default()
    };
    let can_edit = user.require(Permission::EditContent).is_ok();
    Ok(render::page(&staff_page(&state, chrome, can_edit, form, FormErrors::new()).await?)?.into_response())
}

/// `POST /gestion/annonces`: a platform admin publishes an announcement.
pub async fn create(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    Staff(user): Staff,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::EditContent)?;
    let form = AnnouncementForm::from_pairs(pairs);
    let mut errors = FormErrors::new();
    let date = |errors: &mut FormErrors, field: &'static str, text: &str, label: &str| {
        errors.check(
            field,
            NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .map_err(|_| format!("Indiquez la {label} (jj/mm/aaaa).")),
        )
    };
    let starts_on = date(&mut errors, "starts_on", &form.starts_on, "date de début");
    let ends_on = date(&mut errors, "ends_on", &form.ends_on, "date de fin");
    let targets = Targets { branches: form.branches.clone(), regions: form.regions.clone() };
    if let (Some(start), Some(end)) = (starts_on, ends_on) {
        for e in announcement::check(&form.title, &form.body, &targets, start, end) {
            errors.add(e.field(), e.to_string());
        }
    }
    let (Some(starts_on), Some(ends_on), true) = (starts_on, ends_on, errors.is_empty()) else {
        let page = staff_page(&state, chrome, true, form, errors).await?;
        return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    let new = NewAnnouncement {
        title: form.title.trim().to_owned(),
        body: form.body.trim().to_owned(),
        targets,
        starts_on,
        ends_on,
        created_by: user.account.id,
    };
    let row = store::announcement::create(&txn, new, now).await?;
    audit(&txn, &user.actor(), "announcement.created", Some(("announcement", row.id.to_string())), &client, now)
        .await?;
    txn.commit().await?;
    Ok(Redirect::to("/gestion/annonces?notice=annonce").into_response())
}
