//! Training dossiers and work-study contracts on the company side (SPEC D1–D7): list with the
//! legacy history, file, keep drafts, duplicate, answer information requests, follow the
//! timeline.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use domain::Money;
use domain::dossier::{
    DossierStatus, DrfUseError, Proposed, Reserved, ReservedTermError, check_amounts, check_reserved_terms,
    check_trainees, check_training,
};
use domain::habilitation::Domain;
use domain::rules::{Filing, FilingRequest, Opening, Public, Scheme};
use serde::Deserialize;
use store::company::Establishment;
use store::dossier::{Dossier, DossierInput, NewEvent, StateChange, TraineeInput};
use store::drf::Drf;
use store::listing::Window;

use crate::auth::{Filer, Scoped};
use crate::chrome::Chrome;
use crate::client::Client;
use crate::error::AppError;
use crate::extract::{Form, Query};
use crate::forms::FormErrors;
use crate::listing::Pager;
use crate::notify::audit;
use crate::pages::dossier_lists::{self, DossierQuery};
use crate::pages::filing::{
    TimelineLine, actor, establishments_for, parse_date, parse_hours, parse_money, parse_provider, parse_text,
    shown_statuses, status_class, timeline_lines,
};
use crate::pages::reservation_lists::DrfLine;
use crate::render;
use crate::state::AppState;

/// A dossier as listed.
#[derive(Debug)]
pub struct DossierLine {
    dossier: Dossier,
    scheme: String,
    status: DossierStatus,
    class: &'static str,
    requested: Money,
    committed: Option<Money>,
}

/// DRF shown on the dossier list page; the others are on the company's DRF page.
const LATEST_DRF: u64 = 5;

/// The list page.
#[derive(Debug, Template)]
#[template(path = "dossiers/list.html")]
pub struct ListPage {
    chrome: Chrome,
    company_id: i64,
    company_name: String,
    dossiers: Vec<DossierLine>,
    /// The latest DRF ([`LATEST_DRF`] at most).
    drfs: Vec<DrfLine>,
    /// How many DRF the person reaches.
    drf_total: u64,
    /// How many legacy dossiers the person reaches.
    history_total: u64,
    can_training: bool,
    can_work_study: bool,
    /// Filters as typed, kept in the form.
    query: DossierQuery,
    statut: String,
    statuses: Vec<(&'static str, &'static str)>,
    schemes: Vec<(String, String)>,
    establishments: Vec<Establishment>,
    pager: Pager,
}

/// `GET /entreprises/{id}/dossiers`: one page of the company's dossiers, filtered, newest first.
pub async fn list(
    State(state): State<AppState>,
    chrome: Chrome,
    scoped: Scoped,
    Path(company_id): Path<i64>,
    Query(query): Query<DossierQuery>,
) -> Result<Response, AppError> {
    let company = store::company::get(&state.db, &scoped.scope, company_id).await?.ok_or(AppError::NotFound)?;
    let scope = &scoped.scope;
    let filter = query.filter(None)?;
    let window = query.window()?;
    let listed = store::dossier::company_page(&state.db, scope, company_id, &filter, window).await?;
    let shown = shown_statuses(&state.db, &listed.rows).await?;
    let statut = filter.status.map_or(String::new(), |s| s.code().to_owned());
    let path = format!("/entreprises/{company_id}/dossiers");
    let pager =
        Pager::new(&path, &query.kept(&statut), window, &listed).with_csv(&format!("{path}.csv"), &query.kept(&statut));
    let dossiers = listed
        .rows
        .into_iter()
        .map(|d| {
            let status = shown.get(&d.id).copied().unwrap_or_else(|| store::dossier::status(&d));
            DossierLine {
                scheme: state.rules.scheme(&d.scheme).map_or_else(|| d.scheme.clone(), |s| s.code.clone()),
                status,
                class: status_class(status),
                requested: Money::from_cents(d.requested_cents),
                committed: d.committed_cents.map(Money::from_cents),
                dossier: d,
            }
        })
        .collect();
    // The latest reservations only, with their count: the whole list is /entreprises/{id}/drf.
    let drfs = store::drf::company_page(
        &state.db,
        scope,
        company_id,
        &store::drf::DrfFilter::default(),
        Window::first(LATEST_DRF),
    )
    .await?;
    let history_total = store::history::count_for_company(&state.db, scope, company_id).await?;
    let page = ListPage {
        chrome,
        company_id,
        company_name: company.name,
        dossiers,
        drf_total: drfs.total,
        drfs: drfs.rows.into_iter().map(DrfLine::of).collect(),
        history_total,
        can_training: scope.establishments_with(company_id, Domain::Training).is_none_or(|ids| !ids.is_empty()),
        can_work_study: scope.establishments_with(company_id, Domain::WorkStudy).is_none_or(|ids| !ids.is_empty()),
        statut,
        statuses: DossierStatus::ALL.iter().map(|s| (s.code(), s.label())).collect(),
        schemes: state.rules.schemes.iter().map(|s| (s.code.clone(), s.label.clone())).collect(),
        establishments: store::company::establishments(&state.db, scope, company_id).await?,
        query,
        pager,
    };
    Ok(render::page(&page)?.into_response())
}

/// `GET /entreprises/{id}/dossiers.csv`: the same filtered list, whole, streamed as CSV.
pub async fn export(
    State(state): State<AppState>,
    scoped: Scoped,
    Path(company_id): Path<i64>,
    Query(query): Query<DossierQuery>,
) -> Result<Response, AppError> {
    store::company::get(&state.db, &scoped.scope, company_id).await?.ok_or(AppError::NotFound)?;
    let filter = query.filter(None)?;
    // The window does not apply to an export, but a malformed one is refused like on the page.
    query.window()?;
    let scope = scoped.scope;
    let day = domain::clock::paris_day(state.now()).format("%Y-%m-%d");
    Ok(crate::csv::stream(
        &format!("dossiers-{company_id}-{day}.csv"),
        dossier_lists::csv_header(false),
        move |after| {
            let (state, scope, filter) = (state.clone(), scope.clone(), filter.clone());
            async move {
                let (rows, next) = store::dossier::company_chunk(&state.db, &scope, company_id, &filter, after).await?;
                Ok((dossier_lists::csv_chunk(&state, &rows, false).await?, next))
            }
        },
    ))
}

/// The dossier form (new, or editing a draft).
#[derive(Debug, Template)]
#[template(path = "dossiers/form.html")]
pub struct FormPage {
    chrome: Chrome,
    company_id: i64,
    company_name: String,
    action: String,
    title: &'static str,
    version: i64,
    establishments: Vec<Establishment>,
    schemes: Vec<(String, String)>,
    sub_schemes: Vec<(String, String)>,
    form: DossierForm,
    errors: FormErrors,
    help: Option<String>,
    /// Shown beside the help of a scheme with nothing to file (POEC): whom to contact.
    contacts: Vec<crate::pages::contacts::ContactLine>,
}

/// What the dossier form sends.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct DossierForm {
    #[serde(default)]
    establishment: String,
    #[serde(default)]
    scheme: String,
    #[serde(default)]
    sub_scheme: String,
    #[serde(default)]
    public: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    provider_name: String,
    #[serde(default)]
    provider_siret: String,
    #[serde(default)]
    provider_nda: String,
    /// `on` when the provider is paid directly (SPEC P1).
    #[serde(default)]
    subrogation: String,
    #[serde(default)]
    provider_iban: String,
    #[serde(default)]
    provider_holder: String,
    #[serde(default)]
    training_start: String,
    #[serde(default)]
    training_end: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    cost: String,
    #[serde(default)]
    requested: String,
    #[serde(default)]
    trainees: String,
    /// `draft` keeps it; `submit` files it.
    #[serde(default)]
    action: String,
    #[serde(default)]
    version: String,
}

impl DossierForm {
    fn from_dossier(d: &Dossier, trainees: &[store::dossier::Trainee]) -> Self {
        Self {
            establishment: d.establishment_id.to_string(),
            scheme: d.scheme.clone(),
            sub_scheme: d.sub_scheme.clone().unwrap_or_default(),
            public: d.public.clone(),
            title: d.title.clone(),
            provider_name: d.provider_name.clone(),
            provider_siret: d.provider_siret.clone(),
            provider_nda: d.provider_nda.clone(),
            subrogation: if d.subrogation_iban.is_some() { "on".to_owned() } else { String::new() },
            provider_iban: d.subrogation_iban.clone().unwrap_or_default(),
            provider_holder: d.subrogation_holder.clone().unwrap_or_default(),
            training_start: d.training_start.to_string(),
            training_end: d.training_end.to_string(),
            hours: d.hours.to_string(),
            cost: Money::from_cents(d.cost_cents).input_value(),
            requested: Money::from_cents(d.requested_cents).input_value(),
            trainees: trainees
                .iter()
                .map(|t| format!("{} {}", t.given_name, t.family_name).trim().to_owned())
                .collect::<Vec<_>>()
                .join("\n"),
            action: String::new(),
            version: d.version.to_string(),
        }
    }
}

/// Schemes a company files as dossiers or contracts directly (not through a DRF).
fn direct_schemes(state: &AppState) -> Vec<&Scheme> {
    state
        .rules
        .schemes
        .iter()
        .filter(|s| matches!(s.filing, Filing::Dossier | Filing::Contract | Filing::Nothing))
        .collect()
}

fn domain_of(scheme: &Scheme) -> Domain {
    if scheme.filing == Filing::Contract { Domain::WorkStudy } else { Domain::Training }
}

/// `?dispositif=` of the new-dossier link.
#[derive(Debug, Deserialize, Default)]
pub struct NewQuery {
    dispositif: Option<String>,
}

#[expect(clippy::too_many_arguments, reason = "the page needs each of them")]
async fn form_page(
    state: &AppState,
    chrome: Chrome,
    scoped: &Scoped,
    company_id: i64,
    action: String,
    title: &'static str,
    version: i64,
    form: DossierForm,
    errors: FormErrors,
) -> Result<FormPage, AppError> {
    let company = store::company::get(&state.db, &scoped.scope, company_id).await?.ok_or(AppError::NotFound)?;
    let mut establishments = Vec::new();
    for domain in [Domain::Training, Domain::WorkStudy] {
        for e in establishments_for(state, &scoped.scope, company_id, domain).await? {
            if !establishments.iter().any(|x: &Establishment| x.id == e.id) {
                establishments.push(e);
            }
        }
    }
    if establishments.is_empty() {
        return Err(AppError::Forbidden);
    }
    let scheme = state.rules.scheme(&form.scheme);
    Ok(FormPage {
        chrome,
        company_id,
        company_name: company.name,
        action,
        title,
        version,
        establishments,
        // A dossier made from a DRF keeps its scheme: the list offers that one alone.
        schemes: match scheme.filter(|s| s.needs_drf()) {
            Some(reserved) => vec![(reserved.code.clone(), reserved.label.clone())],
            None => direct_schemes(state).iter().map(|s| (s.code.clone(), s.label.clone())).collect(),
        },
        sub_schemes: scheme
            .map(|s| s.sub_schemes.iter().map(|x| (x.code.clone(), x.label.clone())).collect())
            .unwrap_or_default(),
        contacts: if scheme.is_some_and(|s| s.opening == Opening::NoFiling) {
            crate::pages::contacts::lines(state, company_id).await?
        } else {
            Vec::new()
        },
        help: scheme.filter(|s| s.opening == Opening::NoFiling).and_then(|s| s.help.clone()),
        form,
        errors,
    })
}

/// `GET /entreprises/{id}/dossiers/nouveau`
pub async fn new_form(
    State(state): State<AppState>,
    chrome: Chrome,
    scoped: Filer,
    Path(company_id): Path<i64>,
    Query(query): Query<NewQuery>,
) -> Result<Response, AppError> {
    let form = DossierForm {
        scheme: query.dispositif.unwrap_or_default(),
        public: "temporary".into(),
        ..DossierForm::default()
    };
    let action = format!("/entreprises/{company_id}/dossiers/nouveau");
    let page =
        form_page(&state, chrome, &scoped, company_id, action, "Nouveau dossier", 0, form, FormErrors::new()).await?;
    Ok(render::page(&page)?.into_response())
}

/// A checked form.
struct Checked {
    input: DossierInput,
    trainees: Vec<TraineeInput>,
    scheme_requires_drf: bool,
}

/// Reads and checks the form; with `submitting`, also the filing rules as of today.
async fn check_form(
    state: &AppState,
    scoped: &Scoped,
    company_id: i64,
    form: &DossierForm,
    submitting: bool,
    drf: Option<&Drf>,
) -> Result<Result<Checked, FormErrors>, AppError> {
    let mut errors = FormErrors::new();
    let today = state.today();
    let scheme = state.rules.scheme(&form.scheme);
    let Some(scheme) = scheme else {
        errors.add("scheme", "Choisissez le dispositif.");
        return Ok(Err(errors));
    };
    if scheme.opening == Opening::NoFiling {
        errors.add(
            "scheme",
            scheme.help.clone().unwrap_or_else(|| "Ce dispositif ne se dépose pas dans l’espace formation.".into()),
        );
        return Ok(Err(errors));
    }
    if let Some(drf) = drf
        && drf.scheme != scheme.code
    {
        let err = ReservedTermError::Scheme(drf.scheme.clone());
        errors.add(err.field(), err.to_string());
        return Ok(Err(errors));
    }
    if scheme.needs_drf() && drf.is_none() {
        errors.add("scheme", "Pour ce dispositif, déposez d’abord une réservation de fonds (DRF) ; une fois validée, elle devient un dossier en un clic.");
        return Ok(Err(errors));
    }
    let domain = domain_of(scheme);
    let establishment =
        form.establishment.parse::<i64>().ok().filter(|id| scoped.scope.can(company_id, Some(*id), domain));
    if establishment.is_none() {
        errors.add(
            "establishment",
            format!("Choisissez un établissement pour lequel vous avez l’habilitation « {} ».", domain.label()),
        );
    }
    let sub_scheme = Some(form.sub_scheme.trim()).filter(|s| !s.is_empty()).map(str::to_owned);
    let public = Public::from_code(&form.public).filter(|p| scheme.publics.contains(p));
    if public.is_none() {
        let allowed = scheme.publics.iter().map(|p| p.label()).collect::<Vec<_>>().join(" ou ");
        errors.add("public", format!("Choisissez le public du dossier : {allowed}."));
    }
    let title = parse_text(&mut errors, "title", "Saisissez l’intitulé de la formation.", &form.title, 200);
    let provider = parse_provider(&mut errors, &form.provider_name, &form.provider_siret, &form.provider_nda);
    let subrogation = parse_subrogation(&mut errors, scheme, form);
    let start = parse_date(&mut errors, "training_start", "date de début", &form.training_start);
    let end = parse_date(&mut errors, "training_end", "date de fin", &form.training_end);
    let hours = parse_hours(&mut errors, &form.hours);
    let cost = parse_money(&mut errors, "cost", &form.cost);
    let requested = parse_money(&mut errors, "requested", &form.requested);
    let trainees: Vec<TraineeInput> = form
        .trainees
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (given, family) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            TraineeInput {
                given_name: given.chars().take(80).collect(),
                family_name: family.trim().chars().take(80).collect(),
            }
        })
        .collect();
    if let Err(err) = check_trainees(trainees.len(), usize::try_from(scheme.max_trainees).unwrap_or(30), submitting) {
        errors.add(err.field(), err.to_string());
    }
    if let (Some(start), Some(end), Some(hours)) = (start, end, hours)
        && let Err(err) = check_training(start, end, hours, scheme.training_hours.map(|b| (b.min, b.max)))
    {
        errors.add(err.field(), err.to_string());
    }
    if let (Some(cost), Some(requested)) = (cost, requested)
        && let Err(err) = check_amounts(cost, requested)
    {
        errors.add(err.field(), err.to_string());
    }
    if let Some(drf) = drf {
        check_against_reservation(&mut errors, drf, form, &trainees, (start, end, requested), today, submitting);
    }
    if submitting && let Some(start) = start {
        let company = store::company::get(&state.db, &scoped.scope, company_id).await?.ok_or(AppError::NotFound)?;
        let agreement = store::schemes::agreement(&state.db, &scheme.code).await?.is_some();
        let request = FilingRequest {
            filed_on: today,
            training_start: start,
            sub_scheme: sub_scheme.as_deref(),
            headcount: company.headcount,
            agreement_recorded: agreement,
        };
        // A dossier from a validated DRF was judged when the DRF was filed.
        if drf.is_none()
            && let Err(refusal) = state.rules.check_filing(scheme, &request)
        {
            let field = match refusal {
                domain::rules::FilingRefusal::HeadcountTooHigh { .. }
                | domain::rules::FilingRefusal::HeadcountUnknown => "scheme",
                domain::rules::FilingRefusal::Closed { .. } | domain::rules::FilingRefusal::UnknownSubScheme { .. } => {
                    "scheme"
                }
                _ => "training_start",
            };
            errors.add(field, refusal.to_string());
        }
    }
    let (
        Some(establishment),
        Some(public),
        Some(provider),
        Some(start),
        Some(end),
        Some(hours),
        Some(cost),
        Some(requested),
        true,
    ) = (establishment, public, provider, start, end, hours, cost, requested, errors.is_empty())
    else {
        return Ok(Err(errors));
    };
    Ok(Ok(Checked {
        input: DossierInput {
            company_id,
            establishment_id: establishment,
            scheme: scheme.code.clone(),
            sub_scheme,
            kind: domain,
            payer: scheme.payer.code().to_owned(),
            public: public.code().to_owned(),
            title,
            provider_name: provider.name,
            provider_siret: provider.siret.to_string(),
            provider_nda: provider.nda.to_string(),
            training_start: start,
            training_end: end,
            hours,
            cost,
            requested,
            subrogation,
        },
        trainees,
        scheme_requires_drf: scheme.needs_drf(),
    }))
}

/// A dossier made from a DRF keeps what was reserved (scheme, no sub-scheme, the one trainee,
/// dates inside, amount not above) and is filed only while the DRF is valid (C4).
fn check_against_reservation(
    errors: &mut FormErrors,
    drf: &Drf,
    form: &DossierForm,
    trainees: &[TraineeInput],
    (training_start, training_end, requested): (Option<NaiveDate>, Option<NaiveDate>, Option<Money>),
    today: NaiveDate,
    submitting: bool,
) {
    let reserved = Reserved {
        scheme: drf.scheme.clone(),
        trainee: drf.trainee_name.clone(),
        training_start: drf.training_start,
        training_end: drf.training_end,
        amount: Money::from_cents(drf.amount_cents),
        valid_until: drf.valid_until,
    };
    let names: Vec<String> =
        trainees.iter().map(|t| format!("{} {}", t.given_name, t.family_name).trim().to_owned()).collect();
    let proposed = Proposed { scheme: &form.scheme, trainees: &names, training_start, training_end, requested };
    for err in check_reserved_terms(&reserved, &proposed) {
        errors.add(err.field(), err.to_string());
    }
    if !form.sub_scheme.trim().is_empty() {
        errors.add("sub_scheme", "La réservation de fonds n’a pas retenu de sous-dispositif : laissez ce champ vide.");
    }
    if submitting
        && let Some(until) = reserved.valid_until
        && today > until
    {
        errors.add("scheme", DrfUseError::Expired(until).to_string());
    }
}

/// The provider's account when the dossier asks the operator to pay it directly: only for the
/// schemes that allow subrogation (SPEC P1), with a valid IBAN and the holder's name.
fn parse_subrogation(
    errors: &mut FormErrors,
    scheme: &Scheme,
    form: &DossierForm,
) -> Option<store::dossier::Subrogation> {
    if form.subrogation != "on" {
        return None;
    }
    if !scheme.subrogation {
        errors.add(
            "subrogation",
            format!(
                "Le dispositif {} ne permet pas le paiement direct de l’organisme de formation (subrogation) : décochez la case.",
                scheme.code
            ),
        );
        return None;
    }
    let iban = errors.check("provider_iban", domain::Iban::parse(&form.provider_iban));
    let holder: String = form.provider_holder.trim().chars().take(70).collect();
    if holder.is_empty() {
        errors.add("provider_holder", "Saisissez le nom exact du titulaire du compte de l’organisme de formation.");
        return None;
    }
    iban.map(|iban| store::dossier::Subrogation { iban, holder })
}

/// `POST /entreprises/{id}/dossiers/nouveau`: saves a draft, or files it at once.
pub async fn create(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    scoped: Filer,
    Path(company_id): Path<i64>,
    Form(form): Form<DossierForm>,
) -> Result<Response, AppError> {
    let submitting = form.action == "submit";
    let checked = match check_form(&state, &scoped, company_id, &form, submitting, None).await? {
        Ok(checked) => checked,
        Err(errors) => {
            let action = format!("/entreprises/{company_id}/dossiers/nouveau");
            let page =
                form_page(&state, chrome, &scoped, company_id, action, "Nouveau dossier", 0, form, errors).await?;
            return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let now = state.now();
    let who = actor(&scoped.user);
    let txn = store::db::write(&state.db).await?;
    let dossier =
        store::dossier::create(&txn, &checked.input, &checked.trainees, None, None, scoped.user.account.id, now)
            .await?;
    store::dossier::record_event(
        &txn,
        Some(dossier.id),
        None,
        &who,
        NewEvent { kind: "created", to: Some("draft"), ..NewEvent::default() },
        now,
    )
    .await?;
    if submitting {
        submit_in(&txn, &dossier, &who, state.today(), now).await?;
    }
    audit(&txn, &scoped.user.actor(), "dossier.created", Some(("dossier", dossier.id.to_string())), &client, now)
        .await?;
    txn.commit().await?;
    let notice = if submitting { "dossier-depose" } else { "brouillon" };
    Ok(Redirect::to(&format!("/entreprises/{company_id}/dossiers/{}?notice={notice}", dossier.id)).into_response())
}

async fn submit_in(
    conn: &impl store::ConnectionTrait,
    dossier: &Dossier,
    who: &store::dossier::TimelineActor,
    today: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, AppError> {
    let change = StateChange { submitted_on: Some(today), ..StateChange::default() };
    if !store::dossier::transition(
        conn,
        dossier.id,
        dossier.version,
        DossierStatus::Draft,
        DossierStatus::Submitted,
        change,
        now,
    )
    .await?
    {
        return Ok(false);
    }
    let event = NewEvent {
        kind: "submitted",
        from: Some("draft"),
        to: Some("submitted"),
        amount: Some(Money::from_cents(dossier.requested_cents)),
        ..NewEvent::default()
    };
    store::dossier::record_event(conn, Some(dossier.id), None, who, event, now).await?;
    Ok(true)
}

async fn load(state: &AppState, scoped: &Scoped, company_id: i64, id: i64) -> Result<Dossier, AppError> {
    store::dossier::get(&state.db, &scoped.scope, id)
        .await?
        .filter(|d| d.company_id == company_id)
        .ok_or(AppError::NotFound)
}

/// A dossier's page.
#[derive(Debug, Template)]
#[template(path = "dossiers/show.html")]
pub struct ShowPage {
    chrome: Chrome,
    company_id: i64,
    company_name: String,
    dossier: Dossier,
    scheme_label: String,
    status: DossierStatus,
    class: &'static str,
    trainees: Vec<store::dossier::Trainee>,
    cost: Money,
    requested: Money,
    committed: Option<Money>,
    public: &'static str,
    timeline: Vec<TimelineLine>,
    reimbursements: Vec<(store::reimbursement::Reimbursement, domain::reimbursement::DrStatus)>,
    can_claim: bool,
    /// The person files for the company (staff only read here).
    files: bool,
    errors: FormErrors,
}

async fn show_page(
    state: &AppState,
    chrome: Chrome,
    scoped: &Scoped,
    company_id: i64,
    dossier: Dossier,
    errors: FormErrors,
) -> Result<ShowPage, AppError> {
    let status = store::dossier::status(&dossier);
    let shown =
        shown_statuses(&state.db, std::slice::from_ref(&dossier)).await?.get(&dossier.id).copied().unwrap_or(status);
    let reimbursements = store::reimbursement::for_dossier(&state.db, dossier.id).await?;
    let money =
        store::payment::reimbursement_settlements(&state.db, &reimbursements.iter().map(|r| r.id).collect::<Vec<_>>())
            .await?;
    Ok(ShowPage {
        chrome,
        company_id,
        company_name: store::company::get(&state.db, &scoped.scope, company_id).await?.ok_or(AppError::NotFound)?.name,
        scheme_label: state.rules.scheme(&dossier.scheme).map_or_else(|| dossier.scheme.clone(), |s| s.label.clone()),
        status: shown,
        class: status_class(shown),
        trainees: store::dossier::trainees(&state.db, dossier.id).await?,
        cost: Money::from_cents(dossier.cost_cents),
        requested: Money::from_cents(dossier.requested_cents),
        committed: dossier.committed_cents.map(Money::from_cents),
        public: Public::from_code(&dossier.public).map_or("", Public::label),
        timeline: timeline_lines(
            store::dossier::timeline(&state.db, Some(dossier.id), None).await?,
            &state.config.names.operator,
            false,
        ),
        reimbursements: reimbursements
            .into_iter()
            .map(|r| {
                let status = store::reimbursement::status(&r)
                    .settled(money.get(&r.id).is_some_and(domain::settlement::Settlement::is_paid));
                (r, status)
            })
            .collect(),
        can_claim: scoped.scope.files()
            && matches!(status, DossierStatus::Accepted | DossierStatus::InProgress | DossierStatus::Reimbursement),
        files: scoped.scope.files(),
        dossier,
        errors,
    })
}

/// `GET /entreprises/{id}/dossiers/{dossier}`
pub async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    scoped: Scoped,
    Path((company_id, id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let dossier = load(&state, &scoped, company_id, id).await?;
    Ok(render::page(&show_page(&state, chrome, &scoped, company_id, dossier, FormErrors::new()).await?)?
        .into_response())
}

/// `GET /entreprises/{id}/dossiers/{dossier}/modifier`
pub async fn edit_form(
    State(state): State<AppState>,
    chrome: Chrome,
    scoped: Filer,
    Path((company_id, id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let dossier = load(&state, &scoped, company_id, id).await?;
    if store::dossier::status(&dossier) != DossierStatus::Draft {
        return Ok(Redirect::to(&format!("/entreprises/{company_id}/dossiers/{id}")).into_response());
    }
    let trainees = store::dossier::trainees(&state.db, id).await?;
    let form = DossierForm::from_dossier(&dossier, &trainees);
    let action = format!("/entreprises/{company_id}/dossiers/{id}/modifier");
    let page = form_page(
        &state,
        chrome,
        &scoped,
        company_id,
        action,
        "Modifier le brouillon",
        dossier.version,
        form,
        FormErrors::new(),
    )
    .await?;
    Ok(render::page(&page)?.into_response())
}

/// `POST /entreprises/{id}/dossiers/{dossier}/modifier`: saves the draft, or files it.
pub async fn edit(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    scoped: Filer,
    Path((company_id, id)): Path<(i64, i64)>,
    Form(form): Form<DossierForm>,
) -> Result<Response, AppError> {
    let dossier = load(&state, &scoped, company_id, id).await?;
    let drf = match dossier.drf_id {
        Some(drf_id) => store::drf::get(&state.db, &scoped.scope, drf_id).await?,
        None => None,
    };
    let submitting = form.action == "submit";
    let version = form.version.parse::<i64>().unwrap_or(-1);
    let checked = match check_form(&state, &scoped, company_id, &form, submitting, drf.as_ref()).await? {
        Ok(checked) if checked.scheme_requires_drf && dossier.drf_id.is_none() => {
            let mut errors = FormErrors::new();
            errors.add("scheme", "Ce dispositif passe par une réservation de fonds (DRF).");
            Err(errors)
        }
        other => other,
    };
    let checked = match checked {
        Ok(checked) => checked,
        Err(errors) => {
            let action = format!("/entreprises/{company_id}/dossiers/{id}/modifier");
            let page =
                form_page(&state, chrome, &scoped, company_id, action, "Modifier le brouillon", version, form, errors)
                    .await?;
            return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let now = state.now();
    let who = actor(&scoped.user);
    let txn = store::db::write(&state.db).await?;
    if !store::dossier::update_draft(&txn, id, version, &checked.input, &checked.trainees, now).await? {
        txn.rollback().await?;
        return Err(AppError::Conflict {
            code: "dossier_changed",
            message: "Ce dossier a été modifié ou déposé entre-temps : rouvrez-le pour voir sa dernière version."
                .into(),
        });
    }
    if submitting {
        let fresh = store::dossier::get(&txn, &scoped.scope, id).await?.ok_or(AppError::NotFound)?;
        submit_in(&txn, &fresh, &who, state.today(), now).await?;
    }
    audit(
        &txn,
        &scoped.user.actor(),
        if submitting { "dossier.submitted" } else { "dossier.saved" },
        Some(("dossier", id.to_string())),
        &client,
        now,
    )
    .await?;
    txn.commit().await?;
    let notice = if submitting { "dossier-depose" } else { "brouillon" };
    Ok(Redirect::to(&format!("/entreprises/{company_id}/dossiers/{id}?notice={notice}")).into_response())
}

/// What the answer form sends.
#[derive(Debug, Deserialize, Default)]
pub struct AnswerForm {
    #[serde(default)]
    message: String,
}

/// `POST /entreprises/{id}/dossiers/{dossier}/repondre`: the company answers an information
/// request; the dossier goes back to the case manager.
pub async fn answer(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    scoped: Filer,
    Path((company_id, id)): Path<(i64, i64)>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, AppError> {
    let dossier = load(&state, &scoped, company_id, id).await?;
    let message = form.message.trim();
    if message.is_empty() || message.chars().count() > 4000 {
        let mut errors = FormErrors::new();
        errors.add("message", "Écrivez votre réponse (4 000 caractères au plus).");
        let page = show_page(&state, chrome, &scoped, company_id, dossier, errors).await?;
        return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    let change = StateChange { info_due_on: Some(None), ..StateChange::default() };
    if !store::dossier::transition(
        &txn,
        id,
        dossier.version,
        DossierStatus::InfoRequested,
        DossierStatus::Submitted,
        change,
        now,
    )
    .await?
    {
        txn.rollback().await?;
        return Err(AppError::Conflict {
            code: "dossier_changed",
            message: "Ce dossier n’attend plus de réponse de votre part.".into(),
        });
    }
    let event = NewEvent {
        kind: "answered",
        from: Some("info_requested"),
        to: Some("submitted"),
        message: Some(message.to_owned()),
        ..NewEvent::default()
    };
    store::dossier::record_event(&txn, Some(id), None, &actor(&scoped.user), event, now).await?;
    audit(&txn, &scoped.user.actor(), "dossier.answered", Some(("dossier", id.to_string())), &client, now).await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/entreprises/{company_id}/dossiers/{id}?notice=reponse-envoyee")).into_response())
}

/// `POST /entreprises/{id}/dossiers/{dossier}/dupliquer` (D3): a new draft with the same content.
pub async fn duplicate(
    State(state): State<AppState>,
    client: Client,
    scoped: Filer,
    Path((company_id, id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let dossier = load(&state, &scoped, company_id, id).await?;
    if dossier.drf_id.is_some() {
        return Err(AppError::Conflict {
            code: "drf_dossier",
            message:
                "Un dossier issu d’une réservation de fonds ne se duplique pas : déposez une nouvelle réservation."
                    .into(),
        });
    }
    let trainees: Vec<TraineeInput> = store::dossier::trainees(&state.db, id)
        .await?
        .into_iter()
        .map(|t| TraineeInput { given_name: t.given_name, family_name: t.family_name })
        .collect();
    let input = DossierInput {
        company_id,
        establishment_id: dossier.establishment_id,
        scheme: dossier.scheme.clone(),
        sub_scheme: dossier.sub_scheme.clone(),
        kind: store::dossier::domain_of(&dossier.kind),
        payer: dossier.payer.clone(),
        public: dossier.public.clone(),
        title: dossier.title.clone(),
        provider_name: dossier.provider_name.clone(),
        provider_siret: dossier.provider_siret.clone(),
        provider_nda: dossier.provider_nda.clone(),
        training_start: dossier.training_start,
        training_end: dossier.training_end,
        hours: dossier.hours,
        cost: Money::from_cents(dossier.cost_cents),
        requested: Money::from_cents(dossier.requested_cents),
        subrogation: store::dossier::Subrogation::of(&dossier),
    };
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    let copy = store::dossier::create(&txn, &input, &trainees, None, Some(id), scoped.user.account.id, now).await?;
    let event = NewEvent {
        kind: "duplicated",
        to: Some("draft"),
        message: Some(dossier.number.clone()),
        ..NewEvent::default()
    };
    store::dossier::record_event(&txn, Some(copy.id), None, &actor(&scoped.user), event, now).await?;
    audit(&txn, &scoped.user.actor(), "dossier.duplicated", Some(("dossier", copy.id.to_string())), &client, now)
        .await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/entreprises/{company_id}/dossiers/{}/modifier?notice=duplique", copy.id))
        .into_response())
}
