//! The rate limit on public forms, as a middleware: every post to them is counted in the
//! database under the client's address before the handler runs, so that the limit holds across
//! every web process of the portal (SPEC Q5). Reading the forms (GET) is never counted.
//!
//! It used to be an in-memory token bucket per process (`tower_governor`): behind a proxy that
//! spreads requests over N processes, an address got N times the burst.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use domain::rate_limit::RateDecision;

use crate::error::AppError;
use crate::state::AppState;

/// Counts a post to a public form and refuses it with a French 429 (and `Retry-After`) beyond
/// the limit.
pub async fn public_form(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let peer = request.extensions().get::<ConnectInfo<std::net::SocketAddr>>().map(|c| c.0);
    let ip = crate::client::client_ip(request.headers(), peer, state.config.trust_forwarded_for);
    let limit = state.config.public_form_limit;
    let now = state.now();
    let key = format!("public-form:{ip}");
    let window = match store::rate_limit::hit(&state.db, &key, now, limit.expired_at_or_before(now)).await {
        Ok(window) => window,
        // The database cannot count: it cannot serve the form either (503, or 500 if worse).
        Err(err) => return AppError::from(err).into_response(),
    };
    match limit.decide(window, now) {
        RateDecision::Allow => next.run(request).await,
        RateDecision::Deny { retry_after_secs } => {
            tracing::info!(ip = %ip, count = window.count, "public form rate limit reached");
            AppError::TooManyRequests { retry_after_secs, message: message(retry_after_secs) }.into_response()
        }
    }
}

fn message(retry_after_secs: u64) -> String {
    let wait = match retry_after_secs {
        0 | 1 => "une seconde".to_owned(),
        n => format!("{n} secondes"),
    };
    format!("Trop de requêtes depuis votre adresse. Patientez {wait} avant de réessayer.")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_wait_is_said_in_french() {
        assert_eq!(
            super::message(42),
            "Trop de requêtes depuis votre adresse. Patientez 42 secondes avant de réessayer."
        );
        assert!(super::message(1).contains("Patientez une seconde avant"));
    }
}
