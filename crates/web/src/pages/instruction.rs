//! Case management in the back-office (SPEC D5): queues of dossiers and DRF with filters kept in
//! the URL, decisions beside the timeline, the rule calendar and the PIC IAE agreement (C7).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::Money;
use domain::dossier::{Decision, DossierStatus, DrfStatus};
use domain::rules::{DrfOrigin, Opening, Public};
use serde::Deserialize;
use store::dossier::{Dossier, NewEvent, StateChange};
use store::drf::Drf;
use store::notification::NewNotification;

use crate::auth::Staff;
use crate::chrome::Chrome;
use crate::client::Client;
use crate::error::AppError;
use crate::extract::{Form, Query};
use crate::forms::FormErrors;
use crate::listing::Pager;
use crate::notify::audit;
use crate::pages::dossier_lists::{self, DossierQuery};
use crate::pages::filing::{
    TimelineLine, actor, parse_date, shown_statuses, status_class, tell_company, timeline_lines,
};
use crate::pages::reservation_lists::{self, DrfLine};
use crate::policy::Permission;
use crate::render;
use crate::state::AppState;

/// A queue line.
#[derive(Debug)]
pub struct QueueLine {
    dossier: Dossier,
    company: String,
    status: DossierStatus,
    class: &'static str,
    requested: Money,
    submitted: String,
}

/// The dossier queue.
#[derive(Debug, Template)]
#[template(path = "gestion/dossiers/queue.html")]
pub struct QueuePage {
    chrome: Chrome,
    lines: Vec<QueueLine>,
    statuses: Vec<(&'static str, &'static str)>,
    schemes: Vec<(String, String)>,
    statut: String,
    query: DossierQuery,
    pager: Pager,
}

/// The queue's state filter: by default what waits for a case manager.
fn queue_filter(query: &DossierQuery) -> Result<(store::dossier::DossierFilter, String), AppError> {
    let filter = query.filter(Some(DossierStatus::Submitted))?;
    let statut = filter.status.map_or_else(|| "tous".to_owned(), |s| s.code().to_owned());
    Ok((filter, statut))
}

/// `GET /gestion/dossiers`: one page of the queue, oldest submission first. Companies, statuses
/// are read for the whole page at once: the statements do not grow with the lines.
pub async fn queue(
    State(state): State<AppState>,
    chrome: Chrome,
    Staff(_user): Staff,
    Query(query): Query<DossierQuery>,
) -> Result<Response, AppError> {
    let (filter, statut) = queue_filter(&query)?;
    let window = query.window()?;
    let listed = store::dossier::queue(&state.db, &filter, window).await?;
    let pager = Pager::new("/gestion/dossiers", &query.kept(&statut), window, &listed)
        .with_csv("/gestion/dossiers.csv", &query.kept(&statut));
    let shown = shown_statuses(&state.db, &listed.rows).await?;
    let companies =
        store::company::names_unscoped(&state.db, &listed.rows.iter().map(|d| d.company_id).collect::<Vec<_>>())
            .await?;
    let lines = listed
        .rows
        .into_iter()
        .map(|dossier| {
            let status = shown.get(&dossier.id).copied().unwrap_or_else(|| store::dossier::status(&dossier));
            QueueLine {
                company: companies.get(&dossier.company_id).cloned().unwrap_or_default(),
                status,
                class: status_class(status),
                requested: Money::from_cents(dossier.requested_cents),
                submitted: dossier.submitted_on.map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or_default(),
                dossier,
            }
        })
        .collect();
    let page = QueuePage {
        chrome,
        lines,
        statuses: DossierStatus::ALL
            .iter()
            .filter(|s| **s != DossierStatus::Draft)
            .map(|s| (s.code(), s.label()))
            .collect(),
        schemes: state.rules.schemes.iter().map(|s| (s.code.clone(), s.label.clone())).collect(),
        statut,
        query,
        pager,
    };
    Ok(render::page(&page)?.into_response())
}

/// `GET /gestion/dossiers.csv`: the filtered queue, whole, streamed as CSV.
pub async fn export(
    State(state): State<AppState>,
    Staff(_user): Staff,
    Query(query): Query<DossierQuery>,
) -> Result<Response, AppError> {
    let (filter, _) = queue_filter(&query)?;
    // The window does not apply to an export, but a malformed one is refused like on the page.
    query.window()?;
    let day = domain::clock::paris_day(state.now()).format("%Y-%m-%d");
    Ok(crate::csv::stream(&format!("dossiers-{day}.csv"), dossier_lists::csv_header(true), move |after| {
        let (state, filter) = (state.clone(), filter.clone());
        async move {
            let (rows, next) = store::dossier::queue_chunk(&state.db, &filter, after).await?;
            Ok((dossier_lists::csv_chunk(&state, &rows, true).await?, next))
        }
    }))
}

/// A dossier in the back-office, with the decision forms.
#[derive(Debug, Template)]
#[template(path = "gestion/dossiers/show.html")]
pub struct DossierPage {
    chrome: Chrome,
    dossier: Dossier,
    company: String,
    scheme_label: String,
    status: DossierStatus,
    class: &'static str,
    trainees: Vec<store::dossier::Trainee>,
    cost: Money,
    requested: Money,
    committed: Option<Money>,
    public: &'static str,
    timeline: Vec<TimelineLine>,
    can_decide: bool,
    errors: FormErrors,
    form: DecisionForm,
    conflict: Option<String>,
}

async fn dossier_page(
    state: &AppState,
    chrome: Chrome,
    user: &crate::auth::CurrentUser,
    id: i64,
    form: DecisionForm,
    errors: FormErrors,
    conflict: Option<String>,
) -> Result<DossierPage, AppError> {
    let scope = store::attachment::scope(&state.db, user.account.id, user.account.role).await?;
    let dossier =
        store::dossier::get(&state.db, &scope, id).await?.filter(|d| d.status != "draft").ok_or(AppError::NotFound)?;
    let status = store::dossier::status(&dossier);
    let shown =
        shown_statuses(&state.db, std::slice::from_ref(&dossier)).await?.get(&dossier.id).copied().unwrap_or(status);
    Ok(DossierPage {
        chrome,
        company: store::company::get_unscoped(&state.db, dossier.company_id).await?.map(|c| c.name).unwrap_or_default(),
        scheme_label: state.rules.scheme(&dossier.scheme).map_or_else(|| dossier.scheme.clone(), |s| s.label.clone()),
        status: shown,
        class: status_class(shown),
        trainees: store::dossier::trainees(&state.db, id).await?,
        cost: Money::from_cents(dossier.cost_cents),
        requested: Money::from_cents(dossier.requested_cents),
        committed: dossier.committed_cents.map(Money::from_cents),
        public: Public::from_code(&dossier.public).map_or("", Public::label),
        timeline: timeline_lines(
            store::dossier::timeline(&state.db, Some(id), None).await?,
            &state.config.names.operator,
            true,
        ),
        can_decide: user.require(Permission::Instruct).is_ok() && status.awaits_staff(),
        form: if form.version.is_empty() {
            DecisionForm {
                version: dossier.version.to_string(),
                amount: Money::from_cents(dossier.requested_cents).input_value(),
                ..form
            }
        } else {
            form
        },
        dossier,
        errors,
        conflict,
    })
}

/// `GET /gestion/dossiers/{id}`
pub async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    Staff(user): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let page = dossier_page(&state, chrome, &user, id, DecisionForm::default(), FormErrors::new(), None).await?;
    Ok(render::page(&page)?.into_response())
}

/// What the decision form sends.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct DecisionForm {
    /// `accept`, `refuse` or `info`.
    #[serde(default)]
    pub(crate) decision: String,
    #[serde(default)]
    pub(crate) amount: String,
    #[serde(default)]
    pub(crate) reason: String,
    #[serde(default)]
    pub(crate) message: String,
    #[serde(default)]
    pub(crate) due_on: String,
    /// The version the case manager saw.
    #[serde(default)]
    pub(crate) version: String,
}

impl DecisionForm {
    /// The decision the form says, its reading errors added to `errors`; `due_on` reads the
    /// due date of an information request.
    pub(crate) fn decision(
        &self,
        errors: &mut FormErrors,
        due_on: impl FnOnce(&mut FormErrors, &str) -> Option<chrono::NaiveDate>,
    ) -> Option<Decision> {
        match self.decision.as_str() {
            "accept" => errors.check("amount", Money::parse(&self.amount)).map(|amount| Decision::Accept {
                amount,
                reason: Some(self.reason.trim().to_owned()).filter(|r| !r.is_empty()),
            }),
            "refuse" => Some(Decision::Refuse { reason: self.reason.trim().to_owned() }),
            "info" => due_on(errors, &self.due_on)
                .map(|due_on| Decision::RequestInfo { message: self.message.trim().to_owned(), due_on }),
            _ => {
                errors.add("decision", "Choisissez une décision : accepter, refuser ou demander un complément.");
                None
            }
        }
    }
}

/// `POST /gestion/dossiers/{id}/decision`: accept, refuse or ask for information. Of two case
/// managers deciding at once, one wins; the other sees the dossier as it now is.
pub async fn decide(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    Staff(user): Staff,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    user.require(Permission::Instruct)?;
    let scope = store::attachment::scope(&state.db, user.account.id, user.account.role).await?;
    let dossier = store::dossier::get(&state.db, &scope, id).await?.ok_or(AppError::NotFound)?;
    let today = state.today();
    let current = store::dossier::status(&dossier);
    if !current.awaits_staff() {
        let conflict =
            format!("Ce dossier n’attend plus de décision : il est {}. Rien n’a été enregistré.", current.label());
        let page =
            dossier_page(&state, chrome, &user, id, DecisionForm::default(), FormErrors::new(), Some(conflict)).await?;
        return render::page_with_status(StatusCode::CONFLICT, &page);
    }
    let mut errors = FormErrors::new();
    let decision =
        form.decision(&mut errors, |errors, text| parse_date(errors, "due_on", "date limite de réponse", text));
    let requested = Money::from_cents(dossier.requested_cents);
    let outcome = decision.as_ref().map(|d| d.check(store::dossier::status(&dossier), requested, today));
    if let Some(Err(err)) = &outcome {
        errors.add(err.field(), err.to_string());
    }
    let (Some(decision), Some(Ok(to)), true) = (decision, outcome, errors.is_empty()) else {
        let page = dossier_page(&state, chrome, &user, id, form, errors, None).await?;
        return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let version = form.version.parse::<i64>().unwrap_or(-1);
    let from = store::dossier::status(&dossier);
    let (change, event, news) = match &decision {
        Decision::Accept { amount, reason } => (
            StateChange { committed: Some(*amount), ..StateChange::default() },
            NewEvent { kind: "accepted", message: reason.clone(), amount: Some(*amount), ..NewEvent::default() },
            format!("Le dossier {} est accepté : {amount} engagés.", dossier.number),
        ),
        Decision::Refuse { reason } => (
            StateChange::default(),
            NewEvent { kind: "refused", message: Some(reason.clone()), ..NewEvent::default() },
            format!("Le dossier {} est refusé. Motif : {reason}", dossier.number),
        ),
        Decision::RequestInfo { message, due_on } => (
            StateChange { info_due_on: Some(Some(*due_on)), ..StateChange::default() },
            NewEvent {
                kind: "info_requested",
                message: Some(message.clone()),
                due_on: Some(*due_on),
                ..NewEvent::default()
            },
            format!(
                "Un complément est demandé sur le dossier {} avant le {} : {message}",
                dossier.number,
                due_on.format("%d/%m/%Y")
            ),
        ),
    };
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    if !store::dossier::transition(&txn, id, version, from, to, change, now).await? {
        txn.rollback().await?;
        let conflict =
            "Un autre gestionnaire a traité ce dossier entre-temps : voici son état actuel. Rien n’a été enregistré."
                .to_owned();
        let page =
            dossier_page(&state, chrome, &user, id, DecisionForm::default(), FormErrors::new(), Some(conflict)).await?;
        return render::page_with_status(StatusCode::CONFLICT, &page);
    }
    let event = NewEvent { from: Some(from.code()), to: Some(to.code()), ..event };
    store::dossier::record_event(&txn, Some(id), None, &actor(&user), event, now).await?;
    let notification = NewNotification {
        kind: "dossier.decision",
        title: format!("Dossier {} : {}", dossier.number, to.label()),
        body: news,
        link: Some(format!("/entreprises/{}/dossiers/{id}", dossier.company_id)),
    };
    tell_company(&txn, &state, dossier.company_id, dossier.created_by, &notification, now).await?;
    audit(&txn, &user.actor(), &format!("dossier.{}", to.code()), Some(("dossier", id.to_string())), &client, now)
        .await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/gestion/dossiers/{id}?notice=decision")).into_response())
}

/// The DRF queue.
#[derive(Debug, Template)]
#[template(path = "gestion/dossiers/drf_queue.html")]
pub struct DrfQueuePage {
    chrome: Chrome,
    lines: Vec<(DrfLine, String)>,
    statuses: Vec<(&'static str, &'static str)>,
    schemes: Vec<(String, String)>,
    statut: String,
    query: DossierQuery,
    pager: Pager,
}

/// `GET /gestion/drf`: one page of the DRF queue, oldest filing first, filtered as the dossier
/// queue is. Companies are read for the whole page at once: the statements do not grow with the
/// lines.
pub async fn drf_queue(
    State(state): State<AppState>,
    chrome: Chrome,
    Staff(_user): Staff,
    Query(query): Query<DossierQuery>,
) -> Result<Response, AppError> {
    let (filter, statut) = reservation_lists::queue_filter(&query)?;
    let window = query.window()?;
    let listed = store::drf::queue(&state.db, &filter, window).await?;
    let pager = Pager::new("/gestion/drf", &query.kept(&statut), window, &listed)
        .with_csv("/gestion/drf.csv", &query.kept(&statut));
    let companies =
        store::company::names_unscoped(&state.db, &listed.rows.iter().map(|d| d.company_id).collect::<Vec<_>>())
            .await?;
    let lines = listed
        .rows
        .into_iter()
        .map(|drf| {
            let company = companies.get(&drf.company_id).cloned().unwrap_or_default();
            (DrfLine::of(drf), company)
        })
        .collect();
    let page = DrfQueuePage {
        chrome,
        lines,
        statuses: reservation_lists::queue_statuses(),
        schemes: reservation_lists::queue_schemes(&state),
        statut,
        query,
        pager,
    };
    Ok(render::page(&page)?.into_response())
}

/// `GET /gestion/drf.csv`: the filtered DRF queue, whole, streamed as CSV.
pub async fn drf_export(
    State(state): State<AppState>,
    Staff(_user): Staff,
    Query(query): Query<DossierQuery>,
) -> Result<Response, AppError> {
    let (filter, _) = reservation_lists::queue_filter(&query)?;
    // The window does not apply to an export, but a malformed one is refused like on the page.
    query.window()?;
    let day = domain::clock::paris_day(state.now()).format("%Y-%m-%d");
    Ok(crate::csv::stream(&format!("reservations-{day}.csv"), reservation_lists::drf_csv_header(true), move |after| {
        let (state, filter) = (state.clone(), filter.clone());
        async move {
            let (rows, next) = store::drf::queue_chunk(&state.db, &filter, after).await?;
            Ok((reservation_lists::drf_csv_chunk(&state, &rows, true).await?, next))
        }
    }))
}

/// A DRF in the back-office.
#[derive(Debug, Template)]
#[template(path = "gestion/dossiers/drf_show.html")]
pub struct DrfPage {
    chrome: Chrome,
    drf: Drf,
    company: String,
    status: DrfStatus,
    cost: Money,
    amount: Money,
    timeline: Vec<TimelineLine>,
    can_decide: bool,
    valid_until_if_now: String,
    errors: FormErrors,
    conflict: Option<String>,
}

async fn drf_page(
    state: &AppState,
    chrome: Chrome,
    user: &crate::auth::CurrentUser,
    id: i64,
    errors: FormErrors,
    conflict: Option<String>,
) -> Result<DrfPage, AppError> {
    let scope = store::attachment::scope(&state.db, user.account.id, user.account.role).await?;
    let drf = store::drf::get(&state.db, &scope, id).await?.ok_or(AppError::NotFound)?;
    let status = store::drf::status(&drf);
    Ok(DrfPage {
        chrome,
        company: store::company::get_unscoped(&state.db, drf.company_id).await?.map(|c| c.name).unwrap_or_default(),
        status,
        cost: Money::from_cents(drf.cost_cents),
        amount: Money::from_cents(drf.amount_cents),
        timeline: timeline_lines(
            store::dossier::timeline(&state.db, None, Some(id)).await?,
            &state.config.names.operator,
            true,
        ),
        can_decide: user.require(Permission::Instruct).is_ok() && status == DrfStatus::Submitted,
        valid_until_if_now: state
            .rules
            .drf_valid_until(state.today(), DrfOrigin::Portal)
            .format("%d/%m/%Y")
            .to_string(),
        drf,
        errors,
        conflict,
    })
}

/// `GET /gestion/drf/{id}`
pub async fn drf_show(
    State(state): State<AppState>,
    chrome: Chrome,
    Staff(user): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    Ok(render::page(&drf_page(&state, chrome, &user, id, FormErrors::new(), None).await?)?.into_response())
}

/// `POST /gestion/drf/{id}/decision`: validate (valid until the C4 date) or refuse.
pub async fn drf_decide(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    Staff(user): Staff,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    user.require(Permission::Instruct)?;
    let scope = store::attachment::scope(&state.db, user.account.id, user.account.role).await?;
    let drf = store::drf::get(&state.db, &scope, id).await?.ok_or(AppError::NotFound)?;
    let version = form.version.parse::<i64>().unwrap_or(drf.version);
    let today = state.today();
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    let (moved, event, body) = match form.decision.as_str() {
        "validate" => {
            let until = state.rules.drf_valid_until(today, DrfOrigin::Portal);
            let moved = store::drf::validate(&txn, id, version, today, until, now).await?;
            let event = NewEvent {
                kind: "validated",
                from: Some("submitted"),
                to: Some("validated"),
                due_on: Some(until),
                ..NewEvent::default()
            };
            (
                moved,
                event,
                format!(
                    "La réservation {} est validée ; elle est valable jusqu’au {}.",
                    drf.number,
                    until.format("%d/%m/%Y")
                ),
            )
        }
        "refuse" => {
            let reason = form.reason.trim();
            if reason.is_empty() {
                txn.rollback().await?;
                let mut errors = FormErrors::new();
                errors.add("reason", "Indiquez le motif du refus : il est transmis à l’entreprise.");
                let page = drf_page(&state, chrome, &user, id, errors, None).await?;
                return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
            }
            let moved = store::drf::refuse(&txn, id, version, reason, now).await?;
            let event = NewEvent {
                kind: "refused",
                from: Some("submitted"),
                to: Some("refused"),
                message: Some(reason.to_owned()),
                ..NewEvent::default()
            };
            (moved, event, format!("La réservation {} est refusée. Motif : {reason}", drf.number))
        }
        _ => {
            txn.rollback().await?;
            return Err(AppError::invalid("decision", "Choisissez de valider ou de refuser la réservation."));
        }
    };
    if !moved {
        txn.rollback().await?;
        let conflict =
            "Un autre gestionnaire a traité cette réservation entre-temps : voici son état actuel.".to_owned();
        let page = drf_page(&state, chrome, &user, id, FormErrors::new(), Some(conflict)).await?;
        return render::page_with_status(StatusCode::CONFLICT, &page);
    }
    let to = event.to.unwrap_or("validated");
    store::dossier::record_event(&txn, None, Some(id), &actor(&user), event, now).await?;
    let news = NewNotification {
        kind: "drf.decision",
        title: format!("Réservation de fonds {}", drf.number),
        body,
        link: Some(format!("/entreprises/{}/drf/{id}", drf.company_id)),
    };
    tell_company(&txn, &state, drf.company_id, drf.created_by, &news, now).await?;
    audit(&txn, &user.actor(), &format!("drf.{to}"), Some(("drf", id.to_string())), &client, now).await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/gestion/drf/{id}?notice=decision")).into_response())
}

/// The rules page.
#[derive(Debug, Template)]
#[template(path = "gestion/regles.html")]
pub struct RulesPage {
    chrome: Chrome,
    rules: std::sync::Arc<domain::rules::RuleCalendar>,
    agreements: Vec<(String, String, Option<String>)>,
    can_record: bool,
}

/// `GET /gestion/regles`
pub async fn rules(State(state): State<AppState>, chrome: Chrome, Staff(user): Staff) -> Result<Response, AppError> {
    let mut agreements = Vec::new();
    for scheme in state.rules.schemes.iter().filter(|s| s.opening == Opening::ClosedUntilAgreement) {
        let recorded = store::schemes::agreement(&state.db, &scheme.code).await?.map(|(at, reference)| {
            format!(
                "signée, enregistrée le {}{}",
                documents::fr::date(at),
                reference.map(|r| format!(" (référence {r})")).unwrap_or_default()
            )
        });
        agreements.push((scheme.code.clone(), scheme.label.clone(), recorded));
    }
    let page = RulesPage {
        chrome,
        rules: state.rules.clone(),
        agreements,
        can_record: user.require(Permission::SetEdi).is_ok(),
    };
    Ok(render::page(&page)?.into_response())
}

/// What the agreement form sends.
#[derive(Debug, Deserialize, Default)]
pub struct AgreementForm {
    #[serde(default)]
    scheme: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    withdraw: Option<String>,
}

/// `POST /gestion/regles/accord` (platform administrators): records the State agreement that
/// opens a scheme (C7), or withdraws it.
pub async fn record_agreement(
    State(state): State<AppState>,
    client: Client,
    Staff(user): Staff,
    Form(form): Form<AgreementForm>,
) -> Result<Response, AppError> {
    user.require(Permission::SetEdi)?;
    let scheme = state
        .rules
        .scheme(&form.scheme)
        .filter(|s| s.opening == Opening::ClosedUntilAgreement)
        .ok_or_else(|| AppError::invalid("scheme", "Ce dispositif ne dépend pas d’une convention."))?;
    let reference = form.reference.trim();
    if form.withdraw.is_none() && reference.is_empty() {
        return Err(AppError::invalid("reference", "Indiquez la référence de la convention signée."));
    }
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    let reference = if form.withdraw.is_some() { None } else { Some(reference) };
    store::schemes::set_agreement(&txn, &scheme.code, reference, user.account.id, now).await?;
    let action = if reference.is_some() { "rules.agreement_recorded" } else { "rules.agreement_withdrawn" };
    audit(&txn, &user.actor(), action, Some(("scheme", scheme.code.clone())), &client, now).await?;
    txn.commit().await?;
    Ok(Redirect::to("/gestion/regles?notice=accord").into_response())
}
