//! The one error type at the HTTP edge, rendered as a French HTML page or as JSON.
//!
//! Messages are French and say what to do; internal details go to the log with the request id,
//! never to the response.

use std::borrow::Cow;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Serialize;

use crate::render;

/// Seconds a client is asked to wait when the database cannot serve (`Retry-After`).
pub const UNAVAILABLE_RETRY_SECS: u64 = 5;

/// Everything a handler may fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The page or object does not exist, or is not the caller's to see.
    #[error("page introuvable")]
    NotFound,
    /// The caller must sign in first; `next` is where to come back to.
    #[error("connexion requise")]
    LoginRequired {
        /// The local path to return to after signing in.
        next: Option<String>,
    },
    /// Signed in, but not allowed.
    #[error("accès refusé")]
    Forbidden,
    /// A field's value was refused.
    #[error("{message}")]
    Invalid {
        /// The field at fault, as named in the form or JSON body.
        field: Option<Cow<'static, str>>,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The request conflicts with what exists.
    #[error("{message}")]
    Conflict {
        /// A stable code for API clients.
        code: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The request cannot be understood.
    #[error("{0}")]
    BadRequest(String),
    /// Too many attempts; try again later.
    #[error("{message}")]
    TooManyRequests {
        /// Seconds until a new attempt may succeed.
        retry_after_secs: u64,
        /// What happened and what to do.
        message: String,
    },
    /// A refusal at the HTTP level (method, size, media type, time), with its own status.
    #[error("{message}")]
    Http {
        /// The status to answer with.
        status: StatusCode,
        /// A stable code for API clients.
        code: &'static str,
        /// What happened and what to do.
        message: String,
    },
    /// The database cannot serve for now (down, restarting, out of space, saturated): nothing
    /// was saved; the request may be sent again shortly.
    #[error("service momentanément indisponible")]
    Unavailable,
    /// Something failed on our side.
    #[error("erreur interne")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<store::document::FilesError> for AppError {
    fn from(err: store::document::FilesError) -> Self {
        use store::document::FilesError;
        match err {
            FilesError::NotFound => AppError::NotFound,
            FilesError::Unavailable(source) => {
                // The driver's text (addresses, bucket) goes to the log, never to the page.
                tracing::warn!(error = %source, "document storage unavailable");
                AppError::documents_unavailable()
            }
            FilesError::Io(io) => AppError::Internal(Box::new(io)),
        }
    }
}

impl AppError {
    /// Wraps an internal failure.
    pub fn internal(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(err.into())
    }

    /// A body larger than the configured limit.
    #[must_use]
    pub fn too_large() -> Self {
        Self::Http {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "payload_too_large",
            message: "L’envoi est trop volumineux.".into(),
        }
    }

    /// The document store (a bucket, the data directory's disk) did not take or give the
    /// bytes: nothing was saved; the person may try again later.
    #[must_use]
    pub fn documents_unavailable() -> Self {
        Self::Http {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "document_storage_unavailable",
            message: "Le stockage des documents est indisponible : rien n’a été enregistré. Réessayez dans \
                      quelques minutes."
                .into(),
        }
    }

    /// A refused field.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid { field: Some(Cow::Borrowed(field)), message: message.into() }
    }

    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::LoginRequired { .. } => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Http { status, .. } => *status,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable snake_case code of the JSON envelope.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::LoginRequired { .. } => "unauthenticated",
            AppError::Forbidden => "forbidden",
            AppError::Invalid { .. } => "invalid_input",
            AppError::Conflict { code, .. } => code,
            AppError::BadRequest(_) => "bad_request",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Http { code, .. } => code,
            AppError::Unavailable => "unavailable",
            AppError::Internal(_) => "internal_error",
        }
    }

    /// The French message shown to people.
    #[must_use]
    pub fn message(&self) -> String {
        match self {
            AppError::NotFound => "Cette page n’existe pas, ou vous n’y avez pas accès.".to_owned(),
            AppError::LoginRequired { .. } => "Connectez-vous pour accéder à cette page.".to_owned(),
            AppError::Forbidden => "Vous n’avez pas accès à cette page.".to_owned(),
            AppError::Unavailable => format!(
                "Le service est momentanément indisponible : rien n’a été enregistré. Réessayez dans {UNAVAILABLE_RETRY_SECS} secondes."
            ),
            AppError::Internal(_) => {
                "Une erreur est survenue de notre côté. Réessayez dans quelques instants ; si elle se répète, \
                 communiquez l’heure à votre conseiller."
                    .to_owned()
            }
            other => other.to_string(),
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            AppError::Invalid { field, .. } => field.as_ref().map(|f| f.to_string()),
            _ => None,
        }
    }

    fn log(&self) {
        match self {
            AppError::Internal(source) => tracing::error!(error = %source, details = ?source, "request failed"),
            AppError::Unavailable => tracing::warn!("request refused: the database cannot serve for now"),
            _ => {}
        }
    }

    fn retry_after(&self, response: &mut Response) {
        let secs = match self {
            AppError::TooManyRequests { retry_after_secs, .. } => *retry_after_secs,
            AppError::Unavailable => UNAVAILABLE_RETRY_SECS,
            _ => return,
        };
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
}

macro_rules! internal_from {
    ($($ty:ty),* $(,)?) => {
        $(impl From<$ty> for AppError {
            fn from(err: $ty) -> Self {
                Self::Internal(Box::new(err))
            }
        })*
    };
}

/// A constraint of the database refused a duplicate: the last line of defence of a unique fact
/// (SPEC Q2) when two requests raced past their checks. The other request won; this one is a
/// conflict, not a failure of ours.
impl From<store::DbErr> for AppError {
    fn from(err: store::DbErr) -> Self {
        if store::db::is_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            return Self::Unavailable;
        }
        if store::db::is_unique_violation(&err) {
            tracing::info!(error = %err, "duplicate refused by a unique constraint");
            return Self::Conflict {
                code: "already_done",
                message:
                    "Cette opération vient d’être faite par ailleurs : rechargez la page pour voir l’état actuel. \
                          Rien n’a été enregistré."
                        .into(),
            };
        }
        Self::Internal(Box::new(err))
    }
}

internal_from!(askama::Error, tokio::task::JoinError, documents::mail::MailError);

impl From<store::user_token::IssueError> for AppError {
    fn from(err: store::user_token::IssueError) -> Self {
        Self::Internal(Box::new(err))
    }
}

impl From<store::account::CreateAccountError> for AppError {
    fn from(err: store::account::CreateAccountError) -> Self {
        Self::Internal(Box::new(err))
    }
}

impl IntoResponse for AppError {
    /// The HTML rendering: a French error page, or a redirect to the sign-in page.
    fn into_response(self) -> Response {
        self.log();
        if let AppError::LoginRequired { next } = &self {
            let target = match next {
                Some(next) => format!("/connexion?suite={}", urlencoding_path(next)),
                None => "/connexion".to_owned(),
            };
            return Redirect::to(&target).into_response();
        }
        let status = self.status();
        let body = render::error_page(status, &self.message());
        let mut response = (status, Html(body)).into_response();
        self.retry_after(&mut response);
        response
    }
}

/// The JSON rendering of [`AppError`], for the API.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(err: E) -> Self {
        Self(err.into())
    }
}

/// The JSON error envelope: `{"error": {"code", "message", "field"}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// One error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code.
    pub code: String,
    /// French message for people.
    pub message: String,
    /// The field at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let err = self.0;
        err.log();
        let status = err.status();
        let body = ErrorBody {
            error: ErrorDetail { code: err.code().to_owned(), message: err.message(), field: err.field() },
        };
        let mut response = (status, Json(body)).into_response();
        err.retry_after(&mut response);
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Percent-encodes a local path for use as a query value.
#[must_use]
pub fn urlencoding_path(path: &str) -> String {
    url::form_urlencoded::byte_serialize(path.as_bytes()).collect()
}
