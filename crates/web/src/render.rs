//! Turning page structs into HTML.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::chrome::Chrome;
use crate::error::AppError;

/// Renders a page.
///
/// # Errors
/// [`AppError::Internal`] when the template fails.
pub fn page(template: &impl Template) -> Result<Html<String>, AppError> {
    Ok(Html(template.render()?))
}

/// Renders a page with a status other than 200 (a form sent back with errors, say).
///
/// # Errors
/// [`AppError::Internal`] when the template fails.
pub fn page_with_status(status: StatusCode, template: &impl Template) -> Result<Response, AppError> {
    Ok((status, page(template)?).into_response())
}

#[derive(Debug, Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    status: u16,
    title: &'a str,
    message: &'a str,
}

/// The French title of an error status.
#[must_use]
pub fn status_title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Requête incorrecte",
        401 => "Connexion requise",
        403 => "Accès refusé",
        404 => "Page introuvable",
        405 => "Action non permise",
        408 => "Délai dépassé",
        409 => "Conflit",
        413 => "Envoi trop volumineux",
        422 => "Saisie à corriger",
        429 => "Trop de tentatives",
        503 => "Service momentanément indisponible",
        _ => "Erreur",
    }
}

/// The HTML of an error page. Never fails: if the template does, a bare page is returned.
#[must_use]
pub fn error_page(status: StatusCode, message: &str) -> String {
    let title = status_title(status);
    let page = ErrorPage { chrome: Chrome::bare(), status: status.as_u16(), title, message };
    page.render().unwrap_or_else(|_| {
        format!("<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body><main><h1>{title}</h1></main></body></html>")
    })
}

/// A complete error response, for layers that answer before any handler runs.
#[must_use]
pub fn error_response(status: StatusCode, message: &str) -> Response {
    (status, Html(error_page(status, message))).into_response()
}
