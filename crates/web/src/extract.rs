//! Body extractors whose refusals speak French and name the field.

use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, AppError};

/// A URL-encoded form body.
#[derive(Debug, Clone, Copy, Default)]
pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(value)) => Ok(Form(value)),
            Err(rejection) => Err(form_rejection(&rejection)),
        }
    }
}

fn form_rejection(rejection: &FormRejection) -> AppError {
    if rejection.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::too_large();
    }
    match rejection {
        FormRejection::InvalidFormContentType(_) => {
            AppError::BadRequest("Le formulaire doit être envoyé au format application/x-www-form-urlencoded.".into())
        }
        _ => AppError::BadRequest("Le formulaire envoyé est illisible ; rechargez la page et recommencez.".into()),
    }
}

/// A JSON body for the API.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(ApiError(json_rejection(&rejection))),
        }
    }
}

fn json_rejection(rejection: &JsonRejection) -> AppError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            AppError::BadRequest("Envoyez le corps en JSON avec l’en-tête Content-Type: application/json.".into())
        }
        JsonRejection::JsonSyntaxError(_) => {
            AppError::BadRequest("Le corps de la requête n’est pas un JSON valide.".into())
        }
        JsonRejection::JsonDataError(err) => json_data_error(&err.body_text()),
        other if other.status() == http::StatusCode::PAYLOAD_TOO_LARGE => AppError::too_large(),
        _ => AppError::BadRequest("Le corps de la requête est illisible.".into()),
    }
}

/// Turns serde's English data errors into a French message naming the field.
fn json_data_error(text: &str) -> AppError {
    let quoted = |marker: &str| text.split_once(marker).and_then(|(_, rest)| rest.split('`').next()).map(str::to_owned);
    if let Some(field) = quoted("missing field `") {
        let message = format!("Le champ « {field} » est obligatoire.");
        return AppError::Invalid { field: Some(field.into()), message };
    }
    if let Some(field) = quoted("unknown field `") {
        return AppError::Invalid { field: None, message: format!("Le champ « {field} » n’est pas reconnu.") };
    }
    let path = text.split_once(": ").map(|(p, _)| p).unwrap_or_default().trim();
    if path.is_empty() || path.contains(' ') {
        AppError::Invalid { field: None, message: "Un champ du corps JSON n’a pas le type attendu.".into() }
    } else {
        let message = format!("Le champ « {path} » n’a pas le type attendu.");
        AppError::Invalid { field: Some(path.to_owned().into()), message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_errors_become_french_and_name_the_field() {
        let err = json_data_error(
            "Failed to deserialize the JSON body into the target type: missing field `name` at line 1 column 2",
        );
        assert_eq!(err.to_string(), "Le champ « name » est obligatoire.");
        let err = json_data_error("expires_in_days: invalid type: string \"x\", expected u32 at line 1 column 30");
        assert_eq!(err.to_string(), "Le champ « expires_in_days » n’a pas le type attendu.");
    }
}
