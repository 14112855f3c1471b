//! The home page: a welcome for visitors, the dashboard for signed-in people.

use askama::Template;
use axum::response::{IntoResponse, Redirect, Response};

use crate::chrome::Chrome;
use crate::error::AppError;
use crate::render;

/// The public welcome page.
#[derive(Debug, Template)]
#[template(path = "home/welcome.html")]
pub struct WelcomePage {
    chrome: Chrome,
}

/// The dashboard of a company user.
#[derive(Debug, Template)]
#[template(path = "home/dashboard.html")]
pub struct DashboardPage {
    chrome: Chrome,
}

/// `GET /`
pub async fn home(chrome: Chrome) -> Result<Response, AppError> {
    match &chrome.user {
        None => Ok(render::page(&WelcomePage { chrome })?.into_response()),
        Some(user) if user.staff => Ok(Redirect::to("/gestion").into_response()),
        Some(_) => Ok(render::page(&DashboardPage { chrome })?.into_response()),
    }
}
