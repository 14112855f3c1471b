//! Response headers that harden every page, the CSRF check, and French answers for errors that
//! happen before or around handlers (timeouts, body limits, panics, extractor refusals).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::csrf::CsrfLayer;

use crate::error::{ApiError, AppError};
use crate::render;

/// The Content-Security-Policy of pages: nothing inline, nothing from elsewhere.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The policy of the Swagger UI page, which styles itself inline.
pub const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// Headers set on every response that did not set them itself.
#[must_use]
pub fn default_headers(secure: bool) -> Vec<(HeaderName, HeaderValue)> {
    let mut headers = vec![
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        // Links carry tokens (?jeton=…): never send a URL to another site.
        (header::REFERRER_POLICY, HeaderValue::from_static("same-origin")),
        (
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
        ),
        (HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin")),
        // Pages show personal data: never kept by shared caches or the back button of a shared computer.
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    if secure {
        headers
            .push((header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains")));
    }
    headers
}

/// Adds [`default_headers`] where a response lacks them.
pub async fn harden(secure: bool, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in default_headers(secure) {
        if !headers.contains_key(&name) {
            headers.insert(name, value);
        }
    }
    response
}

/// Cross-site request forgery protection: a state-changing request from another origin is
/// refused (`Sec-Fetch-Site` and `Origin` checks), on top of `SameSite` cookies.
///
/// # Errors
/// When `public_url` is not an origin.
pub fn csrf(
    public_url: &str,
) -> Result<
    CsrfLayer<impl Fn(tower_http::csrf::ProtectionError) -> Response<Body> + Clone + use<>>,
    tower_http::csrf::ConfigError,
> {
    Ok(CsrfLayer::new().add_trusted_origin(public_url)?.with_rejection_response(|_err| {
        render::error_response(
            StatusCode::FORBIDDEN,
            "Cette action a été envoyée depuis un autre site et a été refusée pour votre sécurité. Revenez sur le \
             portail et recommencez.",
        )
    }))
}

/// Replaces the bare or English bodies of error responses produced outside our handlers
/// (axum's extractor refusals, timeouts, method not allowed, panics) by our French page or JSON
/// envelope. Responses already in HTML or JSON are ours and pass through.
pub async fn french_errors(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type.starts_with("text/html") || content_type.starts_with("application/json") {
        return response;
    }
    let http = |code, message: &str| AppError::Http { status, code, message: message.to_owned() };
    let error = match status {
        StatusCode::NOT_FOUND => AppError::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => {
            http("method_not_allowed", "Cette action n’est pas possible à cette adresse.")
        }
        StatusCode::REQUEST_TIMEOUT => http("timeout", "La requête a pris trop de temps. Réessayez."),
        StatusCode::PAYLOAD_TOO_LARGE => AppError::too_large(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => http("unsupported_media_type", "Le format de l’envoi n’est pas accepté."),
        StatusCode::TOO_MANY_REQUESTS => AppError::TooManyRequests {
            retry_after_secs: retry_after(&response),
            message: "Trop de requêtes depuis votre adresse. Patientez une minute avant de réessayer.".into(),
        },
        s if s.is_server_error() => AppError::internal(format!("réponse {s} hors gestionnaire")),
        _ => http("bad_request", "La requête est incorrecte : l’adresse ou les paramètres ne sont pas valides."),
    };
    let mut rendered = if api { ApiError(error).into_response() } else { error.into_response() };
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(value) = response.headers().get(&name) {
            rendered.headers_mut().insert(name, value.clone());
        }
    }
    rendered
}

fn retry_after(response: &Response) -> u64 {
    response.headers().get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(60)
}

/// The answer to a panic: logged, and a French 500 page.
#[must_use]
pub fn on_panic(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("panique");
    tracing::error!(panic = detail, "handler panicked");
    AppError::internal("panique").into_response()
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use tower::ServiceExt as _;
    use tower_http::catch_panic::CatchPanicLayer;

    async fn boom() -> &'static str {
        panic!("un bug")
    }

    #[tokio::test]
    async fn a_panic_becomes_a_french_500_page() {
        let app = Router::new()
            .route("/boom", get(boom))
            .layer(CatchPanicLayer::custom(super::on_panic))
            .layer(axum::middleware::from_fn(super::french_errors));
        let response = app.oneshot(Request::get("/boom").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        let html = String::from_utf8(body.to_vec()).unwrap();
        assert!(html.contains("Une erreur est survenue de notre côté"), "{html}");
        assert!(!html.contains("un bug"), "internal details stay in the log");
    }
}
