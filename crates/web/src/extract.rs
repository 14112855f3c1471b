//! Request extractors whose refusals speak French and name the field.
//!
//! Every text the portal receives (form fields, query parameters, JSON strings, multipart text
//! fields) passes through here, so the refusal of control characters lives here once: PostgreSQL
//! refuses a NUL byte in a text column (SQLite stores it), and no field of the portal has a use
//! for invisible control characters. Refusing them at the edge makes both backends answer the
//! same French 422 naming the field instead of a 500.

use axum::body::{Body, Bytes};
use axum::extract::rejection::{FormRejection, JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, AppError};

/// Whether `c` has no place in any text of the portal: control characters other than the tab
/// and line breaks a textarea sends (NUL among them).
fn forbidden_char(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Refuses `value` if it holds a control character, naming `field`.
///
/// # Errors
/// A 422 naming the field.
pub fn refuse_control_chars(field: &str, value: &str) -> Result<(), AppError> {
    if value.chars().any(forbidden_char) {
        Err(AppError::Invalid {
            field: Some(field.to_owned().into()),
            message: format!(
                "Le champ « {field} » contient un caractère invisible non autorisé (caractère de contrôle) ; \
                 retirez-le puis recommencez."
            ),
        })
    } else {
        Ok(())
    }
}

/// Checks every name and value of a URL-encoded body or query string.
fn check_urlencoded(bytes: &[u8]) -> Result<(), AppError> {
    for (name, value) in url::form_urlencoded::parse(bytes) {
        refuse_control_chars(&name, &name)?;
        refuse_control_chars(&name, &value)?;
    }
    Ok(())
}

/// A URL-encoded form body.
#[derive(Debug, Clone, Copy, Default)]
pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        // Read once (the route's body limit applies), check, then let axum deserialize the same
        // bytes: its content-type checks and errors stay as they are.
        let bytes = match Bytes::from_request(Request::from_parts(parts.clone(), body), state).await {
            Ok(bytes) => bytes,
            Err(rejection) if rejection.status() == http::StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(AppError::too_large());
            }
            Err(_) => {
                return Err(AppError::BadRequest(
                    "Le formulaire envoyé est illisible ; rechargez la page et recommencez.".into(),
                ));
            }
        };
        if parts.method == http::Method::GET || parts.method == http::Method::HEAD {
            check_urlencoded(parts.uri.query().unwrap_or_default().as_bytes())?;
        } else {
            check_urlencoded(&bytes)?;
        }
        match axum::Form::<T>::from_request(Request::from_parts(parts, Body::from(bytes)), state).await {
            Ok(axum::Form(value)) => Ok(Form(value)),
            Err(rejection) => Err(form_rejection(&rejection)),
        }
    }
}

/// The query string of a page's address.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        check_urlencoded(parts.uri.query().unwrap_or_default().as_bytes())?;
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(rejection) => Err(query_rejection(&rejection)),
        }
    }
}

/// A 400 naming the parameter axum could not read (its text reads
/// `Failed to deserialize query string: page: invalid digit found in string`).
fn query_rejection(rejection: &QueryRejection) -> AppError {
    let text = rejection.body_text();
    let detail = text.split_once("query string: ").map_or("", |(_, rest)| rest);
    let field = detail.split_once(": ").map(|(path, _)| path.trim()).filter(|p| !p.is_empty() && !p.contains(' '));
    match field {
        Some(field) => AppError::BadRequest(format!("Le paramètre « {field} » de l’adresse n’est pas valide.")),
        None => AppError::BadRequest("Un paramètre de l’adresse n’est pas valide.".into()),
    }
}

/// The highest page number a list accepts: far beyond any real list (50 million lines at 50 a
/// page), and small enough that `(page - 1) × per page` stays a valid SQL `OFFSET` (a signed
/// 64-bit integer) on both backends.
pub const MAX_PAGE: u64 = 1_000_000;

/// A `?page=` number, 1 to [`MAX_PAGE`]: one parse for every paginated list. Empty means the
/// first page; anything else that is not such a number is refused (a 400 naming `page`) rather
/// than reaching the database as an offset it cannot hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageNumber(u64);

impl PageNumber {
    /// The first page.
    pub const FIRST: Self = Self(1);

    /// Parses a page number as written in an address.
    ///
    /// # Errors
    /// A French message when it is not a whole number from 1 to [`MAX_PAGE`].
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Self::FIRST);
        }
        match text.parse::<u64>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(Self(n)),
            // Page 0 was always read as the first page.
            Ok(0) => Ok(Self::FIRST),
            _ => Err(format!("le numéro de page doit être un nombre entier de 1 à {MAX_PAGE}")),
        }
    }

    /// The number, from 1.
    #[must_use]
    pub fn get(self) -> u64 {
        self.0
    }
}

impl Default for PageNumber {
    fn default() -> Self {
        Self::FIRST
    }
}

impl<'de> serde::Deserialize<'de> for PageNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
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
        let (parts, body) = req.into_parts();
        let bytes = match Bytes::from_request(Request::from_parts(parts.clone(), body), state).await {
            Ok(bytes) => bytes,
            Err(rejection) if rejection.status() == http::StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError(AppError::too_large()));
            }
            Err(_) => return Err(ApiError(AppError::BadRequest("Le corps de la requête est illisible.".into()))),
        };
        // A body that is not JSON is left to axum, whose refusal says so.
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            check_json(&mut String::new(), &value)?;
        }
        match axum::Json::<T>::from_request(Request::from_parts(parts, Body::from(bytes)), state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(ApiError(json_rejection(&rejection))),
        }
    }
}

/// Checks every string (and key) of a JSON value, naming the field by its path
/// (`documents[0].file_name`).
fn check_json(path: &mut String, value: &serde_json::Value) -> Result<(), AppError> {
    match value {
        serde_json::Value::String(text) => refuse_control_chars(if path.is_empty() { "corps" } else { path }, text),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                check_json(path, item)?;
                path.truncate(len);
            }
            Ok(())
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                refuse_control_chars(path, key)?;
                check_json(path, item)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
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

    #[test]
    fn control_characters_are_refused_naming_the_field_but_line_breaks_pass() {
        assert!(refuse_control_chars("message", "Bonjour,\r\n\tmerci").is_ok());
        assert!(refuse_control_chars("message", "Société Générale – 12 €").is_ok());
        for bad in ["a\0b", "\u{1}", "x\u{7f}", "\u{85}"] {
            let err = refuse_control_chars("holder", bad).unwrap_err();
            assert_eq!(err.status(), http::StatusCode::UNPROCESSABLE_ENTITY);
            assert!(err.to_string().contains("« holder »"), "{err}");
        }
        let err = check_urlencoded(b"name=ok&address_line=rue%00du%20port").unwrap_err();
        assert!(err.to_string().contains("« address_line »"), "{err}");
        let value = serde_json::json!({"documents": [{"file_name": "a\u{0}.pdf"}]});
        let err = check_json(&mut String::new(), &value).unwrap_err();
        assert!(err.to_string().contains("« documents[0].file_name »"), "{err}");
    }

    #[test]
    fn page_numbers_are_bounded() {
        assert_eq!(PageNumber::parse(""), Ok(PageNumber::FIRST));
        assert_eq!(PageNumber::parse("0"), Ok(PageNumber::FIRST));
        assert_eq!(PageNumber::parse(" 3 ").map(PageNumber::get), Ok(3));
        assert_eq!(PageNumber::parse("1000000").map(PageNumber::get), Ok(MAX_PAGE));
        for bad in ["1000001", "18446744073709551615", "18446744073709551616", "-1", "2.5", "deux"] {
            assert!(PageNumber::parse(bad).is_err(), "{bad}");
        }
        // The largest page keeps the SQL offset within a signed 64-bit integer.
        assert!((MAX_PAGE - 1).checked_mul(1_000).is_some_and(|o| i64::try_from(o).is_ok()));
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
                    refuse_control_chars(&name, &text)?;
                    form.fields.insert(name, text);
                }
            }
        }
        Ok(form)
    }
}
