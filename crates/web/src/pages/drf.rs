//! Fund reservations (DRF) on the company side: file one, follow it, turn it into a contract
//! dossier while it is valid (SPEC §3, C3, C4).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::Money;
use domain::dossier::{DrfStatus, check_drf_usable, check_training};
use domain::habilitation::Domain;
use domain::rules::{Filing, FilingRequest, Public};
use serde::Deserialize;
use store::company::Establishment;
use store::dossier::{DossierInput, NewEvent, TraineeInput};
use store::drf::{Drf, DrfInput};

use crate::auth::{Filer, Scoped};
use crate::chrome::Chrome;
use crate::client::Client;
use crate::error::AppError;
use crate::extract::Form;
use crate::forms::FormErrors;
use crate::notify::audit;
use crate::pages::filing::{
    TimelineLine, actor, establishments_for, parse_date, parse_hours, parse_money, parse_provider, parse_text,
    timeline_lines,
};
use crate::render;
use crate::state::AppState;

/// The DRF form.
#[derive(Debug, Template)]
#[template(path = "dossiers/drf_form.html")]
pub struct DrfFormPage {
    chrome: Chrome,
    company_id: i64,
    company_name: String,
    establishments: Vec<Establishment>,
    schemes: Vec<(String, String)>,
    form: DrfForm,
    errors: FormErrors,
}

/// What the DRF form sends.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct DrfForm {
    #[serde(default)]
    establishment: String,
    #[serde(default)]
    scheme: String,
    #[serde(default)]
    trainee_name: String,
    #[serde(default)]
    contract_type: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    training_start: String,
    #[serde(default)]
    training_end: String,
    #[serde(default)]
    provider_name: String,
    #[serde(default)]
    provider_siret: String,
    #[serde(default)]
    provider_nda: String,
    #[serde(default)]
    cost: String,
}

async fn company_name(state: &AppState, scoped: &Scoped, company_id: i64) -> Result<String, AppError> {
    Ok(store::company::get(&state.db, &scoped.scope, company_id).await?.ok_or(AppError::NotFound)?.name)
}

async fn form_page(
    state: &AppState,
    chrome: Chrome,
    scoped: &Scoped,
    company_id: i64,
    form: DrfForm,
    errors: FormErrors,
) -> Result<DrfFormPage, AppError> {
    let establishments = establishments_for(state, &scoped.scope, company_id, Domain::Training).await?;
    if establishments.is_empty() {
        return Err(if scoped.scope.reaches_company(company_id) { AppError::Forbidden } else { AppError::NotFound });
    }
    let schemes = state
        .rules
        .schemes
        .iter()
        .filter(|s| s.filing == Filing::DrfThenContract)
        .map(|s| (s.code.clone(), s.label.clone()))
        .collect();
    Ok(DrfFormPage {
        chrome,
        company_id,
        company_name: company_name(state, scoped, company_id).await?,
        establishments,
        schemes,
        form,
        errors,
    })
}

/// `GET /entreprises/{id}/drf/nouvelle`
pub async fn new_form(
    State(state): State<AppState>,
    chrome: Chrome,
    scoped: Filer,
    Path(company_id): Path<i64>,
) -> Result<Response, AppError> {
    let form = DrfForm { contract_type: "ctt".into(), ..DrfForm::default() };
    Ok(render::page(&form_page(&state, chrome, &scoped, company_id, form, FormErrors::new()).await?)?.into_response())
}

/// `POST /entreprises/{id}/drf/nouvelle`: files the DRF, with the amount of the rate in force on
/// the filing day.
pub async fn file(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    scoped: Filer,
    Path(company_id): Path<i64>,
    Form(form): Form<DrfForm>,
) -> Result<Response, AppError> {
    let establishments = establishments_for(&state, &scoped.scope, company_id, Domain::Training).await?;
    if establishments.is_empty() {
        return Err(if scoped.scope.reaches_company(company_id) { AppError::Forbidden } else { AppError::NotFound });
    }
    let today = state.today();
    let mut errors = FormErrors::new();
    let establishment =
        form.establishment.parse::<i64>().ok().and_then(|id| establishments.iter().find(|e| e.id == id));
    if establishment.is_none() {
        errors.add("establishment", "Choisissez l’établissement qui emploie le stagiaire.");
    }
    let scheme = state.rules.scheme(&form.scheme).filter(|s| s.filing == Filing::DrfThenContract);
    if scheme.is_none() {
        errors.add("scheme", "Choisissez le dispositif : CIPI ou CDPI.");
    }
    let trainee =
        parse_text(&mut errors, "trainee_name", "Saisissez le prénom et le nom du stagiaire.", &form.trainee_name, 120);
    if !matches!(form.contract_type.as_str(), "ctt" | "cdii") {
        errors.add("contract_type", "Choisissez le type de contrat : mission-formation (CTT) ou CDI intérimaire.");
    }
    let hours = parse_hours(&mut errors, &form.hours);
    let start = parse_date(&mut errors, "training_start", "date de début", &form.training_start);
    let end = parse_date(&mut errors, "training_end", "date de fin", &form.training_end);
    let provider = parse_provider(&mut errors, &form.provider_name, &form.provider_siret, &form.provider_nda);
    let cost = parse_money(&mut errors, "cost", &form.cost);
    if let (Some(scheme), Some(start), Some(end), Some(hours)) = (scheme, start, end, hours) {
        let bounds = scheme.training_hours.map(|b| (b.min, b.max));
        if let Err(err) = check_training(start, end, hours, bounds) {
            errors.add(err.field(), err.to_string());
        }
        let request = FilingRequest {
            filed_on: today,
            training_start: start,
            sub_scheme: None,
            headcount: None,
            agreement_recorded: false,
        };
        if let Err(refusal) = state.rules.check_filing(scheme, &request) {
            errors.add("training_start", refusal.to_string());
        }
    }
    let rate = scheme.and_then(|s| s.rate_as_of(today));
    if scheme.is_some() && rate.is_none() {
        errors.add(
            "scheme",
            "Aucun taux de prise en charge n’est en vigueur pour ce dispositif : contactez votre conseiller.",
        );
    }
    let (
        Some(establishment),
        Some(scheme),
        Some(hours),
        Some(start),
        Some(end),
        Some(provider),
        Some(cost),
        Some(rate),
        true,
    ) = (establishment, scheme, hours, start, end, provider, cost, rate, errors.is_empty())
    else {
        let page = form_page(&state, chrome, &scoped, company_id, form, errors).await?;
        return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let input = DrfInput {
        company_id,
        establishment_id: establishment.id,
        scheme: scheme.code.clone(),
        trainee_name: trainee,
        contract_type: form.contract_type.clone(),
        hours,
        training_start: start,
        training_end: end,
        provider_name: provider.name,
        provider_siret: provider.siret.to_string(),
        provider_nda: provider.nda.to_string(),
        cost,
        amount: rate.funding(hours, cost),
    };
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    let drf = store::drf::file(&txn, &input, today, scoped.user.account.id, now).await?;
    let event = NewEvent {
        kind: "filed",
        to: Some(DrfStatus::Submitted.code()),
        amount: Some(input.amount),
        ..NewEvent::default()
    };
    store::dossier::record_event(&txn, None, Some(drf.id), &actor(&scoped.user), event, now).await?;
    audit(&txn, &scoped.user.actor(), "drf.filed", Some(("drf", drf.id.to_string())), &client, now).await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/entreprises/{company_id}/drf/{}?notice=drf-deposee", drf.id)).into_response())
}

/// A DRF's page.
#[derive(Debug, Template)]
#[template(path = "dossiers/drf_show.html")]
pub struct DrfPage {
    chrome: Chrome,
    company_id: i64,
    company_name: String,
    drf: Drf,
    scheme_label: String,
    status: DrfStatus,
    cost: Money,
    amount: Money,
    usable: bool,
    expired_note: Option<String>,
    timeline: Vec<TimelineLine>,
}

async fn load(state: &AppState, scoped: &Scoped, company_id: i64, id: i64) -> Result<Drf, AppError> {
    store::drf::get(&state.db, &scoped.scope, id)
        .await?
        .filter(|d| d.company_id == company_id)
        .ok_or(AppError::NotFound)
}

/// `GET /entreprises/{id}/drf/{drf}`
pub async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    scoped: Scoped,
    Path((company_id, id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let drf = load(&state, &scoped, company_id, id).await?;
    let status = store::drf::status(&drf);
    let usable = check_drf_usable(status, drf.valid_until, state.today());
    let page = DrfPage {
        company_name: company_name(&state, &scoped, company_id).await?,
        scheme_label: state.rules.scheme(&drf.scheme).map_or_else(|| drf.scheme.clone(), |s| s.label.clone()),
        status,
        cost: Money::from_cents(drf.cost_cents),
        amount: Money::from_cents(drf.amount_cents),
        usable: usable.is_ok() && scoped.scope.files(),
        expired_note: usable
            .err()
            .filter(|_| matches!(status, DrfStatus::Validated | DrfStatus::Expired))
            .map(|e| e.to_string()),
        timeline: timeline_lines(
            store::dossier::timeline(&state.db, None, Some(id)).await?,
            &state.config.names.operator,
            false,
        ),
        chrome,
        company_id,
        drf,
    };
    Ok(render::page(&page)?.into_response())
}

/// `POST /entreprises/{id}/drf/{drf}/dossier`: the valid DRF becomes a contract dossier draft,
/// pre-filled; the DRF is used.
pub async fn to_dossier(
    State(state): State<AppState>,
    client: Client,
    scoped: Filer,
    Path((company_id, id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let drf = load(&state, &scoped, company_id, id).await?;
    let today = state.today();
    if let Err(err) = check_drf_usable(store::drf::status(&drf), drf.valid_until, today) {
        return Err(AppError::Conflict { code: "drf_not_usable", message: err.to_string() });
    }
    let scheme = state.rules.scheme(&drf.scheme).ok_or(AppError::NotFound)?;
    let (given, family) = drf.trainee_name.split_once(' ').unwrap_or((drf.trainee_name.as_str(), ""));
    let input = DossierInput {
        company_id,
        establishment_id: drf.establishment_id,
        scheme: drf.scheme.clone(),
        sub_scheme: None,
        kind: Domain::Training,
        payer: scheme.payer.code().to_owned(),
        public: Public::Temporary.code().to_owned(),
        title: format!("{} – {}", drf.scheme, drf.trainee_name),
        provider_name: drf.provider_name.clone(),
        provider_siret: drf.provider_siret.clone(),
        provider_nda: drf.provider_nda.clone(),
        training_start: drf.training_start,
        training_end: drf.training_end,
        hours: drf.hours,
        cost: Money::from_cents(drf.cost_cents),
        requested: Money::from_cents(drf.amount_cents),
        subrogation: None,
    };
    let trainees = [TraineeInput { given_name: given.to_owned(), family_name: family.to_owned() }];
    let now = state.now();
    let who = actor(&scoped.user);
    let txn = store::db::write(&state.db).await?;
    // Read again under the DRF's lock: of two clicks at once the second waits, then finds the
    // DRF used and makes no second dossier (SPEC Q2).
    store::db::lock(&txn, store::db::Locked::Drf, drf.id).await?;
    let fresh = store::drf::get(&txn, &scoped.scope, drf.id).await?.ok_or(AppError::NotFound)?;
    if check_drf_usable(store::drf::status(&fresh), fresh.valid_until, today).is_err() {
        txn.rollback().await?;
        return Err(AppError::Conflict {
            code: "drf_not_usable",
            message: "Cette réservation de fonds vient d’être utilisée ou a expiré.".into(),
        });
    }
    let dossier =
        store::dossier::create(&txn, &input, &trainees, Some(drf.id), None, scoped.user.account.id, now).await?;
    if !store::drf::mark_used(&txn, drf.id, dossier.id, today, now).await? {
        txn.rollback().await?;
        return Err(AppError::Conflict {
            code: "drf_not_usable",
            message: "Cette réservation de fonds vient d’être utilisée ou a expiré.".into(),
        });
    }
    store::dossier::record_event(
        &txn,
        None,
        Some(drf.id),
        &who,
        NewEvent { kind: "used", to: Some(DrfStatus::Used.code()), ..NewEvent::default() },
        now,
    )
    .await?;
    let event = NewEvent { kind: "from_drf", message: Some(drf.number.clone()), ..NewEvent::default() };
    store::dossier::record_event(&txn, Some(dossier.id), None, &who, event, now).await?;
    audit(&txn, &scoped.user.actor(), "drf.used", Some(("drf", drf.id.to_string())), &client, now).await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/entreprises/{company_id}/dossiers/{}/modifier?notice=dossier-depuis-drf", dossier.id))
        .into_response())
}
