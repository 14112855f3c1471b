//! The home page: a welcome for visitors, the dashboard for signed-in people.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use domain::habilitation::AttachmentStatus;
use store::company::Company;

use crate::auth::MaybeUser;
use crate::chrome::Chrome;
use crate::error::AppError;
use crate::render;
use crate::state::AppState;

/// The public welcome page.
#[derive(Debug, Template)]
#[template(path = "home/welcome.html")]
pub struct WelcomePage {
    chrome: Chrome,
}

/// The dashboard of a company user: what they have to do.
#[derive(Debug, Template)]
#[template(path = "home/dashboard.html")]
pub struct DashboardPage {
    chrome: Chrome,
    companies: Vec<Company>,
    to_answer: Vec<(i64, String, usize)>,
    waiting: usize,
    announcements: Vec<crate::pages::announcements::Shown>,
}

/// `GET /`
pub async fn home(
    State(state): State<AppState>,
    chrome: Chrome,
    MaybeUser(user): MaybeUser,
) -> Result<Response, AppError> {
    let Some(user) = user else {
        return Ok(render::page(&WelcomePage { chrome })?.into_response());
    };
    if user.account.role.is_staff() {
        return Ok(Redirect::to("/gestion").into_response());
    }
    let scope = store::attachment::scope(&state.db, user.account.id, user.account.role).await?;
    let companies = store::company::list(&state.db, &scope).await?;
    let mut to_answer = Vec::new();
    for company in companies.iter().filter(|c| scope.is_admin_of(c.id)) {
        let pending =
            store::attachment::list_for_company(&state.db, company.id, AttachmentStatus::Requested).await?.len();
        if pending > 0 {
            to_answer.push((company.id, company.name.clone(), pending));
        }
    }
    let waiting = store::attachment::list_for_user(&state.db, user.account.id)
        .await?
        .iter()
        .filter(|a| a.status == AttachmentStatus::Requested)
        .count();
    let scoped = crate::auth::Scoped { user, scope };
    let announcements = crate::pages::announcements::for_person(&state, &scoped).await?;
    Ok(render::page(&DashboardPage { chrome, companies, to_answer, waiting, announcements })?.into_response())
}
