//! The reservation lists (SPEC Q5, issue 13 point 1), bounded like the dossier lists: a
//! company's fund reservations (DRF) and its legacy history, each a page (keyset, count,
//! filters) and a CSV export; and what the case managers' DRF queue shares with the company's
//! DRF list (the filters read from the address, the CSV lines).
//!
//! The address is read by [`DossierQuery`], the same parameters as every dossier list (`statut`,
//! `dispositif`, `etablissement`, `du`, `au`, `q`, `stagiaire`, and the window); only the state
//! codes differ.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use domain::Money;
use domain::dossier::DrfStatus;
use domain::habilitation::Domain;
use store::company::Establishment;
use store::drf::{Drf, DrfFilter};
use store::history::{HistoryFilter, LegacyDossier};

use crate::auth::Scoped;
use crate::chrome::Chrome;
use crate::csv::Line;
use crate::error::AppError;
use crate::extract::Query;
use crate::listing::{self, Pager};
use crate::pages::dossier_lists::DossierQuery;
use crate::render;
use crate::state::AppState;

/// The DRF state an address asks for: `default` when it names none, none for `tous` (or empty).
///
/// # Errors
/// A 422 naming `statut` for a code no DRF has.
pub fn drf_status(query: &DossierQuery, default: Option<DrfStatus>) -> Result<Option<DrfStatus>, AppError> {
    match query.statut.as_deref().map(str::trim) {
        None => Ok(default),
        Some("" | "tous") => Ok(None),
        Some(code) => DrfStatus::from_code(code).map(Some).ok_or_else(|| {
            AppError::invalid("statut", "L’état demandé (« statut ») n’existe pas ; choisissez-le dans la liste.")
        }),
    }
}

/// The DRF filters of an address (`q` is the number).
///
/// # Errors
/// A French 400 or 422 naming the parameter at fault.
pub fn drf_filter(query: &DossierQuery, default: Option<DrfStatus>) -> Result<DrfFilter, AppError> {
    let (from, to) = listing::days(&query.du, &query.au)?;
    Ok(DrfFilter {
        status: drf_status(query, default)?,
        scheme: Some(query.dispositif.trim().to_owned()).filter(|s| !s.is_empty()),
        establishment: listing::id("etablissement", &query.etablissement)?,
        from,
        to,
        number: Some(query.q.trim().to_owned()).filter(|s| !s.is_empty()),
        trainee: Some(query.stagiaire.trim().to_owned()).filter(|s| !s.is_empty()),
    })
}

/// The states a DRF list offers (a DRF is filed as it is created: no drafts).
fn drf_statuses() -> Vec<(&'static str, &'static str)> {
    DrfStatus::ALL.iter().filter(|s| **s != DrfStatus::Draft).map(|s| (s.code(), s.label())).collect()
}

/// The schemes filed as a DRF.
fn drf_schemes(state: &AppState) -> Vec<(String, String)> {
    state
        .rules
        .schemes
        .iter()
        .filter(|s| s.filing == domain::rules::Filing::DrfThenContract)
        .map(|s| (s.code.clone(), s.label.clone()))
        .collect()
}

/// The columns of a DRF export.
#[must_use]
pub fn drf_csv_header(with_company: bool) -> String {
    let mut columns = vec!["Numéro"];
    if with_company {
        columns.push("Entreprise");
    }
    columns.extend([
        "Dispositif",
        "Stagiaire",
        "Contrat",
        "Heures",
        "Début de formation",
        "Fin de formation",
        "Organisme",
        "Coût",
        "Montant réservé",
        "État",
        "Déposée le",
        "Valable jusqu’au",
    ]);
    crate::csv::header(&columns)
}

/// One DRF as a CSV line.
fn drf_csv_line(out: &mut String, drf: &Drf, company: Option<&str>) {
    let mut line = Line::new().text(&drf.number);
    if let Some(company) = company {
        line = line.text(company);
    }
    let contract = if drf.contract_type == "cdii" { "CDI intérimaire" } else { "mission-formation" };
    line.text(&drf.scheme)
        .text(&drf.trainee_name)
        .text(contract)
        .int(drf.hours)
        .day(Some(drf.training_start))
        .day(Some(drf.training_end))
        .text(&drf.provider_name)
        .money(Some(Money::from_cents(drf.cost_cents)))
        .money(Some(Money::from_cents(drf.amount_cents)))
        .text(store::drf::status(drf).label())
        .day(drf.filed_on)
        .day(drf.valid_until)
        .end(out);
}

/// The CSV text of one chunk of DRF, the company names (for staff) read in one statement for
/// the whole chunk.
///
/// # Errors
/// The database's.
pub async fn drf_csv_chunk(state: &AppState, rows: &[Drf], with_company: bool) -> Result<String, AppError> {
    let companies: HashMap<i64, String> = if with_company {
        store::company::names_unscoped(&state.db, &rows.iter().map(|d| d.company_id).collect::<Vec<_>>()).await?
    } else {
        HashMap::new()
    };
    let mut out = String::new();
    for drf in rows {
        let company = with_company.then(|| companies.get(&drf.company_id).map_or("", String::as_str));
        drf_csv_line(&mut out, drf, company);
    }
    Ok(out)
}

/// A DRF as listed.
#[derive(Debug)]
pub struct DrfLine {
    /// The row.
    pub drf: Drf,
    /// Its state.
    pub status: DrfStatus,
    /// The amount reserved.
    pub amount: Money,
}

impl DrfLine {
    /// The line of a row.
    #[must_use]
    pub fn of(drf: Drf) -> Self {
        Self { status: store::drf::status(&drf), amount: Money::from_cents(drf.amount_cents), drf }
    }
}

/// A company's DRF page.
#[derive(Debug, Template)]
#[template(path = "dossiers/drf_list.html")]
pub struct DrfListPage {
    chrome: Chrome,
    company_id: i64,
    company_name: String,
    lines: Vec<DrfLine>,
    can_training: bool,
    query: DossierQuery,
    statut: String,
    statuses: Vec<(&'static str, &'static str)>,
    schemes: Vec<(String, String)>,
    establishments: Vec<Establishment>,
    pager: Pager,
}

/// `GET /entreprises/{id}/drf`: one page of the company's DRF the person reaches, filtered,
/// newest first.
pub async fn drf_list(
    State(state): State<AppState>,
    chrome: Chrome,
    scoped: Scoped,
    Path(company_id): Path<i64>,
    Query(query): Query<DossierQuery>,
) -> Result<Response, AppError> {
    let company = store::company::get(&state.db, &scoped.scope, company_id).await?.ok_or(AppError::NotFound)?;
    let scope = &scoped.scope;
    let filter = drf_filter(&query, None)?;
    let window = query.window()?;
    let listed = store::drf::company_page(&state.db, scope, company_id, &filter, window).await?;
    let statut = filter.status.map_or(String::new(), |s| s.code().to_owned());
    let path = format!("/entreprises/{company_id}/drf");
    let pager =
        Pager::new(&path, &query.kept(&statut), window, &listed).with_csv(&format!("{path}.csv"), &query.kept(&statut));
    let page = DrfListPage {
        chrome,
        company_id,
        company_name: company.name,
        lines: listed.rows.into_iter().map(DrfLine::of).collect(),
        can_training: scope.establishments_with(company_id, Domain::Training).is_none_or(|ids| !ids.is_empty()),
        statut,
        statuses: drf_statuses(),
        schemes: drf_schemes(&state),
        establishments: store::company::establishments(&state.db, scope, company_id).await?,
        query,
        pager,
    };
    Ok(render::page(&page)?.into_response())
}

/// `GET /entreprises/{id}/drf.csv`: the same filtered list, whole, streamed as CSV.
pub async fn drf_export(
    State(state): State<AppState>,
    scoped: Scoped,
    Path(company_id): Path<i64>,
    Query(query): Query<DossierQuery>,
) -> Result<Response, AppError> {
    store::company::get(&state.db, &scoped.scope, company_id).await?.ok_or(AppError::NotFound)?;
    let filter = drf_filter(&query, None)?;
    // The window does not apply to an export, but a malformed one is refused like on the page.
    query.window()?;
    let scope = scoped.scope;
    let day = domain::clock::paris_day(state.now()).format("%Y-%m-%d");
    Ok(crate::csv::stream(&format!("reservations-{company_id}-{day}.csv"), drf_csv_header(false), move |after| {
        let (state, scope, filter) = (state.clone(), scope.clone(), filter.clone());
        async move {
            let (rows, next) = store::drf::company_chunk(&state.db, &scope, company_id, &filter, after).await?;
            Ok((drf_csv_chunk(&state, &rows, false).await?, next))
        }
    }))
}

/// The history filters of an address: `statut` is `clos` or `en_cours`; `q` the number or the
/// title. The legacy portal exported a number of trainees, not their names: a trainee name is
/// refused rather than ignored.
///
/// # Errors
/// A French 400 or 422 naming the parameter at fault.
pub fn history_filter(query: &DossierQuery) -> Result<HistoryFilter, AppError> {
    let closed = match query.statut.as_deref().map(str::trim) {
        None | Some("" | "tous") => None,
        Some("clos") => Some(true),
        Some("en_cours") => Some(false),
        Some(_) => {
            return Err(AppError::invalid(
                "statut",
                "L’état demandé (« statut ») n’existe pas : choisissez « en cours » ou « clos ».",
            ));
        }
    };
    if !query.stagiaire.trim().is_empty() {
        return Err(AppError::invalid(
            "stagiaire",
            "L’ancien portail ne transmettait pas le nom des stagiaires : le filtre « stagiaire » ne s’applique pas à l’historique.",
        ));
    }
    let (from, to) = listing::days(&query.du, &query.au)?;
    Ok(HistoryFilter {
        closed,
        scheme: Some(query.dispositif.trim().to_owned()).filter(|s| !s.is_empty()),
        establishment: listing::id("etablissement", &query.etablissement)?,
        from,
        to,
        text: Some(query.q.trim().to_owned()).filter(|s| !s.is_empty()),
    })
}

/// The columns of a history export.
fn history_csv_header() -> String {
    crate::csv::header(&[
        "Numéro",
        "Dispositif",
        "Financeur",
        "Intitulé",
        "Stagiaires",
        "Début de formation",
        "Fin de formation",
        "Engagé",
        "Réglé",
        "État",
        "Dernier mouvement",
    ])
}

/// The CSV text of one chunk of the history.
fn history_csv_chunk(rows: &[LegacyDossier]) -> String {
    let mut out = String::new();
    for h in rows {
        Line::new()
            .text(&h.number)
            .text(&h.scheme)
            .text(&h.payer)
            .text(&h.title)
            .int(h.trainees)
            .day(h.training_start)
            .day(h.training_end)
            .money(Some(Money::from_cents(h.committed_cents)))
            .money(Some(Money::from_cents(h.paid_cents)))
            .text(if h.closed { "clos" } else { "en cours" })
            .day(Some(h.last_movement_on))
            .end(&mut out);
    }
    out
}

/// A legacy dossier as listed.
#[derive(Debug)]
pub struct HistoryLine {
    /// The row.
    pub dossier: LegacyDossier,
    /// Committed.
    pub committed: Money,
    /// Paid.
    pub paid: Money,
}

/// A company's history page.
#[derive(Debug, Template)]
#[template(path = "dossiers/history.html")]
pub struct HistoryPage {
    chrome: Chrome,
    company_id: i64,
    company_name: String,
    lines: Vec<HistoryLine>,
    query: DossierQuery,
    statut: String,
    schemes: &'static [&'static str],
    establishments: Vec<Establishment>,
    pager: Pager,
}

/// `GET /entreprises/{id}/historique`: one page of the company's legacy dossiers the person
/// reaches, filtered, most recent movement first.
pub async fn history(
    State(state): State<AppState>,
    chrome: Chrome,
    scoped: Scoped,
    Path(company_id): Path<i64>,
    Query(query): Query<DossierQuery>,
) -> Result<Response, AppError> {
    let company = store::company::get(&state.db, &scoped.scope, company_id).await?.ok_or(AppError::NotFound)?;
    let scope = &scoped.scope;
    let filter = history_filter(&query)?;
    let window = query.window()?;
    let listed = store::history::company_page(&state.db, scope, company_id, &filter, window).await?;
    let statut = match filter.closed {
        Some(true) => "clos",
        Some(false) => "en_cours",
        None => "",
    }
    .to_owned();
    let path = format!("/entreprises/{company_id}/historique");
    let pager =
        Pager::new(&path, &query.kept(&statut), window, &listed).with_csv(&format!("{path}.csv"), &query.kept(&statut));
    let lines = listed
        .rows
        .into_iter()
        .map(|dossier| HistoryLine {
            committed: Money::from_cents(dossier.committed_cents),
            paid: Money::from_cents(dossier.paid_cents),
            dossier,
        })
        .collect();
    let page = HistoryPage {
        chrome,
        company_id,
        company_name: company.name,
        lines,
        statut,
        schemes: &domain::legacy::SCHEMES,
        establishments: store::company::establishments(&state.db, scope, company_id).await?,
        query,
        pager,
    };
    Ok(render::page(&page)?.into_response())
}

/// `GET /entreprises/{id}/historique.csv`: the same filtered history, whole, streamed as CSV.
pub async fn history_export(
    State(state): State<AppState>,
    scoped: Scoped,
    Path(company_id): Path<i64>,
    Query(query): Query<DossierQuery>,
) -> Result<Response, AppError> {
    store::company::get(&state.db, &scoped.scope, company_id).await?.ok_or(AppError::NotFound)?;
    let filter = history_filter(&query)?;
    // The window does not apply to an export, but a malformed one is refused like on the page.
    query.window()?;
    let scope = scoped.scope;
    let day = domain::clock::paris_day(state.now()).format("%Y-%m-%d");
    Ok(crate::csv::stream(&format!("historique-{company_id}-{day}.csv"), history_csv_header(), move |after| {
        let (state, scope, filter) = (state.clone(), scope.clone(), filter.clone());
        async move {
            let (rows, next) = store::history::company_chunk(&state.db, &scope, company_id, &filter, after).await?;
            Ok((history_csv_chunk(&rows), next))
        }
    }))
}

/// The staff DRF queue's state filter: by default what waits for a case manager.
///
/// # Errors
/// As [`drf_filter`].
pub fn queue_filter(query: &DossierQuery) -> Result<(DrfFilter, String), AppError> {
    let filter = drf_filter(query, Some(DrfStatus::Submitted))?;
    let statut = filter.status.map_or_else(|| "tous".to_owned(), |s| s.code().to_owned());
    Ok((filter, statut))
}

/// The states the staff queue offers.
#[must_use]
pub fn queue_statuses() -> Vec<(&'static str, &'static str)> {
    drf_statuses()
}

/// The schemes the staff queue offers.
#[must_use]
pub fn queue_schemes(state: &AppState) -> Vec<(String, String)> {
    drf_schemes(state)
}
