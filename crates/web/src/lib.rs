//! HTTP for espace-formation: HTML pages, the JSON API and its OpenAPI description, extractors,
//! templates and static assets.
//!
//! Handlers translate: parse the request into domain types, call the rules, write in one
//! transaction (with the audit entry and the e-mails it causes), answer with a page or JSON.
//! Authentication and authorization are extractors ([`auth`]) over one policy ([`policy`]).

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode, Uri, header};
use axum::middleware;
use axum::routing::{get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use utoipa_swagger_ui::SwaggerUi;

pub mod alerts;
pub mod api;
pub mod assets;
pub mod auth;
pub mod chrome;
pub mod client;
pub mod cookies;
pub mod crypto;
pub mod csv;
pub mod error;
pub mod extract;
pub mod forms;
pub mod help_content;
pub mod listing;
pub mod notify;
pub mod pages;
pub mod policy;
pub mod rate_limit;
pub mod render;
pub mod security;
pub mod state;

pub use state::{AppState, WebConfig};

use crate::pages::{
    account, announcements, companies, contacts, dossiers, drf, health, help, home, instruction, invoices, letters,
    login, members, notifications, password, payments, proformas, reimbursements, sessions, staff, staff_companies,
    tokens,
};

/// Why the router could not be built.
#[derive(Debug, thiserror::Error)]
pub enum RouterError {
    /// The public URL is not an origin usable for CSRF checks.
    #[error("ESPACE_PUBLIC_URL n’est pas une origine valide : {0}")]
    PublicUrl(#[from] tower_http::csrf::ConfigError),
    /// The rate limit settings admit nothing.
    #[error("réglages de limitation de débit invalides (le nombre d’envois et la fenêtre doivent être positifs)")]
    RateLimit,
}

/// The forms anyone can post without being signed in, limited per client address across every
/// process (see [`rate_limit`]).
fn public_forms(state: &AppState) -> Result<Router<AppState>, RouterError> {
    if !state.config.public_form_limit.is_usable() {
        return Err(RouterError::RateLimit);
    }
    Ok(Router::new()
        .route("/connexion", get(login::show).post(login::submit))
        .route("/inscription", get(account::show).post(account::submit))
        .route("/inscription/renvoyer", get(account::resend_form).post(account::resend))
        .route("/mot-de-passe-oublie", get(password::forgot_form).post(password::forgot))
        .route("/reinitialisation", get(password::reset_form).post(password::reset))
        .route_layer(middleware::from_fn_with_state(state.clone(), rate_limit::public_form)))
}

/// The whole application.
///
/// # Errors
/// [`RouterError`] when the configuration cannot be used.
pub fn router(state: AppState) -> Result<Router, RouterError> {
    let (api, openapi) = api::router().split_for_parts();
    let docs = Router::new().merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi)).layer(
        middleware::map_response(|mut response: axum::response::Response| async move {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(security::DOCS_CSP));
            response
        }),
    );
    let pages = Router::new()
        .route("/", get(home::home))
        .route("/inscription/confirmation", get(account::sent))
        .route("/inscription/verifier", get(account::verify))
        .route("/mot-de-passe-oublie/envoye", get(password::forgot_sent))
        .route("/deconnexion", post(login::logout))
        .route("/compte", get(sessions::profile))
        .route("/compte/mot-de-passe", get(password::change_form).post(password::change))
        .route("/compte/sessions", get(sessions::list))
        .route("/compte/sessions/fermer-autres", post(sessions::revoke_others))
        .route("/compte/sessions/{id}/fermer", post(sessions::revoke))
        .route("/compte/jetons", get(tokens::list).post(tokens::create))
        .route("/compte/jetons/{id}/revoquer", post(tokens::revoke))
        .route("/notifications", get(notifications::list))
        .route("/notifications/tout-lire", post(notifications::read_all))
        .route("/notifications/preferences", post(notifications::preferences))
        .route("/notifications/{id}/lire", post(notifications::read))
        .route("/entreprises", get(companies::list))
        .route("/entreprises/rattachement", get(companies::request_form).post(companies::request))
        .route("/entreprises/activer", get(companies::activate_form).post(companies::activate))
        .route("/entreprises/{id}", get(companies::show))
        .route("/entreprises/{id}/profil", get(companies::profile_form).post(companies::profile))
        .route("/entreprises/{id}/banque", get(companies::bank_form).post(companies::bank))
        .route("/entreprises/{id}/banque/changements/{change}/annuler", post(companies::cancel_bank_change))
        .route("/entreprises/{id}/utilisateurs", get(members::members))
        .route("/entreprises/{id}/demandes/{attachment}/valider", post(members::approve))
        .route("/entreprises/{id}/demandes/{attachment}/refuser", post(members::refuse))
        .route("/entreprises/{id}/utilisateurs/{attachment}/habilitations", post(members::set_domains))
        .route("/entreprises/{id}/utilisateurs/{attachment}/administrateur", post(members::set_admin))
        .route("/entreprises/{id}/utilisateurs/{attachment}/retirer", post(members::withdraw))
        .route("/entreprises/{id}/dossiers", get(dossiers::list))
        .route("/entreprises/{id}/dossiers.csv", get(dossiers::export))
        .route("/entreprises/{id}/dossiers/nouveau", get(dossiers::new_form).post(dossiers::create))
        .route("/entreprises/{id}/dossiers/{dossier}", get(dossiers::show))
        .route("/entreprises/{id}/dossiers/{dossier}/modifier", get(dossiers::edit_form).post(dossiers::edit))
        .route("/entreprises/{id}/dossiers/{dossier}/repondre", post(dossiers::answer))
        .route("/entreprises/{id}/dossiers/{dossier}/dupliquer", post(dossiers::duplicate))
        .route("/entreprises/{id}/dossiers/{dossier}/remboursements/nouveau", get(reimbursements::new_form))
        .route(
            "/entreprises/{id}/dossiers/{dossier}/remboursements",
            post(reimbursements::create).layer(DefaultBodyLimit::max(reimbursements::UPLOAD_BODY_LIMIT)),
        )
        .route("/entreprises/{id}/remboursements/{dr}", get(reimbursements::show))
        .route(
            "/entreprises/{id}/remboursements/{dr}/repondre",
            post(reimbursements::answer).layer(DefaultBodyLimit::max(reimbursements::UPLOAD_BODY_LIMIT)),
        )
        .route("/entreprises/{id}/documents/{document}", get(reimbursements::document))
        .route("/entreprises/{id}/factures", get(proformas::list).post(proformas::issue))
        .route("/entreprises/{id}/factures.csv", get(proformas::export))
        .route("/entreprises/{id}/factures/{proforma}", get(proformas::show))
        .route("/entreprises/{id}/factures/{proforma}/proforma.pdf", get(proformas::download))
        .route(
            "/entreprises/{id}/factures/{proforma}/facture",
            post(invoices::upload).layer(DefaultBodyLimit::max(invoices::UPLOAD_BODY_LIMIT)),
        )
        .route("/entreprises/{id}/paiements", get(payments::company_list))
        .route("/entreprises/{id}/paiements.csv", get(payments::company_export))
        .route("/entreprises/{id}/paiements/{payment}", get(payments::company_show))
        .route("/entreprises/{id}/paiements/{payment}/avis.pdf", get(payments::company_advice))
        .route("/entreprises/{id}/drf", get(pages::reservation_lists::drf_list))
        .route("/entreprises/{id}/drf.csv", get(pages::reservation_lists::drf_export))
        .route("/entreprises/{id}/historique", get(pages::reservation_lists::history))
        .route("/entreprises/{id}/historique.csv", get(pages::reservation_lists::history_export))
        .route("/entreprises/{id}/drf/nouvelle", get(drf::new_form).post(drf::file))
        .route("/entreprises/{id}/drf/{drf}", get(drf::show))
        .route("/entreprises/{id}/drf/{drf}/dossier", post(drf::to_dossier))
        .route("/gestion/dossiers", get(instruction::queue))
        .route("/gestion/dossiers.csv", get(instruction::export))
        .route("/gestion/dossiers/{id}", get(instruction::show))
        .route("/gestion/dossiers/{id}/decision", post(instruction::decide))
        .route("/gestion/drf", get(instruction::drf_queue))
        .route("/gestion/drf.csv", get(instruction::drf_export))
        .route("/gestion/drf/{id}", get(instruction::drf_show))
        .route("/gestion/drf/{id}/decision", post(instruction::drf_decide))
        .route("/gestion/remboursements", get(reimbursements::queue))
        .route("/gestion/remboursements.csv", get(reimbursements::export))
        .route("/gestion/remboursements/{id}", get(reimbursements::staff_show))
        .route("/gestion/remboursements/{id}/decision", post(reimbursements::decide))
        .route("/gestion/documents/{id}", get(reimbursements::staff_document))
        .route("/gestion/factures", get(invoices::queue))
        .route("/gestion/factures.csv", get(invoices::export))
        .route("/gestion/factures/{id}", get(invoices::staff_show))
        .route("/gestion/factures/{id}/decision", post(invoices::decide))
        .route("/annonces/{id}/masquer", post(announcements::dismiss))
        .route("/gestion/annonces", get(announcements::staff_list).post(announcements::create))
        .route("/aide", get(help::index))
        .route("/aide/faq/{slug}", get(help::entry))
        .route("/aide/guides/{slug}", get(help::guide))
        .route("/aide/guides/{slug}/guide.pdf", get(help::guide_pdf))
        .route("/gestion/aide", get(help::staff_index))
        .route("/gestion/aide/{slug}", get(help::edit_form).post(help::edit))
        .route("/gestion/paiements", get(payments::runs))
        .route("/gestion/paiements.csv", get(payments::runs_export))
        .route("/gestion/paiements/lancer", post(payments::start))
        .route(
            "/gestion/paiements/retours",
            post(payments::returns).layer(DefaultBodyLimit::max(payments::RETURNS_BODY_LIMIT)),
        )
        .route("/gestion/paiements/{id}", get(payments::run_show))
        .route("/gestion/paiements/{id}/sepa.xml", get(payments::run_sepa))
        .route("/gestion/regles", get(instruction::rules))
        .route("/gestion/regles/accord", post(instruction::record_agreement))
        .route("/gestion", get(staff::index))
        .route("/gestion/entreprises", get(staff_companies::search))
        .route("/gestion/entreprises.csv", get(staff_companies::export))
        .route("/gestion/entreprises/nouvelle", get(staff_companies::new_form).post(staff_companies::create))
        .route("/gestion/entreprises/{id}", get(staff_companies::show))
        .route("/gestion/entreprises/{id}/profil", get(staff_companies::profile_form).post(staff_companies::profile))
        .route("/gestion/entreprises/{id}/etablissements", post(staff_companies::add_establishment))
        .route("/gestion/entreprises/{id}/edi", post(staff_companies::set_edi))
        .route("/gestion/entreprises/{id}/contacts", post(contacts::set))
        .route("/gestion/entreprises/{id}/courrier", post(staff_companies::new_letter))
        .route("/gestion/entreprises/{id}/utilisateurs", post(staff_companies::attach_user))
        .route("/gestion/courriers", get(letters::list))
        .route("/gestion/courriers.csv", get(letters::export))
        .route("/gestion/courriers/lots", post(letters::prepare))
        .route("/gestion/courriers/lots/{id}/courriers.pdf", get(letters::download))
        .route("/gestion/courriers/lots/{id}/poste", post(letters::posted))
        .route("/gestion/journal", get(staff::journal))
        .route("/gestion/journal.csv", get(staff::journal_export))
        .route("/healthz", get(health::healthz))
        .route("/static/{file}", get(assets::serve));

    let secure = state.config.secure_cookies;
    let request_id = HeaderName::from_static("x-request-id");
    let app = Router::new()
        .merge(pages)
        .merge(public_forms(&state)?)
        .merge(api)
        .merge(docs)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(state.config.body_limit_bytes))
        .layer(security::csrf(&state.config.public_url)?)
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, state.config.request_timeout))
        .layer(CatchPanicLayer::custom(security::on_panic))
        .layer(middleware::from_fn(security::french_errors))
        .layer(middleware::from_fn(move |req, next| security::harden(secure, req, next)))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    // The path only: query strings carry e-mailed tokens.
                    let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
                    tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
            header::COOKIE,
        ]))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state);
    crypto::warm_up();
    Ok(app)
}

/// Unknown addresses: a French page, or the JSON envelope under `/api/`.
async fn not_found(uri: Uri) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    if uri.path().starts_with("/api/") {
        error::ApiError(error::AppError::NotFound).into_response()
    } else {
        error::AppError::NotFound.into_response()
    }
}
