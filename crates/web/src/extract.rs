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

/// A file of a multipart form.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    /// The form field it came in.
    pub field: String,
    /// The name the person's computer gave it (for display only, never a path).
    pub file_name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// A `multipart/form-data` body: text fields and files, read whole (the route's body limit
/// bounds it). Files sent with no name and no content (an empty file input) are left out.
#[derive(Debug, Clone, Default)]
pub struct MultipartForm {
    /// Text fields, by name (the last value of a repeated name wins).
    pub fields: std::collections::HashMap<String, String>,
    /// Files, in the order sent.
    pub files: Vec<UploadedFile>,
}

impl MultipartForm {
    /// A text field, or the empty string.
    #[must_use]
    pub fn text(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

/// Most parts read from one form: a bound on work done for a malformed or hostile body.
const MAX_PARTS: usize = 64;

impl<S: Send + Sync> FromRequest<S> for MultipartForm {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let unreadable =
            || AppError::BadRequest("Le formulaire envoyé est illisible ; rechargez la page et recommencez.".into());
        let mut multipart = axum::extract::Multipart::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::too_large()
            } else {
                AppError::BadRequest("Le formulaire doit être envoyé au format multipart/form-data.".into())
            }
        })?;
        let mut form = MultipartForm::default();
        let mut parts = 0;
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(e) if e.status() == http::StatusCode::PAYLOAD_TOO_LARGE => return Err(AppError::too_large()),
                Err(_) => return Err(unreadable()),
            };
            parts += 1;
            if parts > MAX_PARTS {
                return Err(unreadable());
            }
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(|f| {
                // Browsers may send a path; only its last segment is the name.
                f.rsplit(['/', '\\'])
                    .next()
                    .unwrap_or_default()
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect::<String>()
            });
            let bytes = field.bytes().await.map_err(|e| {
                if e.status() == http::StatusCode::PAYLOAD_TOO_LARGE { AppError::too_large() } else { unreadable() }
            })?;
            match file_name {
                Some(file_name) if file_name.is_empty() && bytes.is_empty() => {}
                Some(file_name) => form.files.push(UploadedFile { field: name, file_name, bytes: bytes.to_vec() }),
                None => {
                    let text = String::from_utf8(bytes.to_vec()).map_err(|_| unreadable())?;
                    form.fields.insert(name, text);
                }
            }
        }
        Ok(form)
    }
}
