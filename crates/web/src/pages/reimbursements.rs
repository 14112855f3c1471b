//! Reimbursement requests (DR, SPEC F1, D8, D9, C5, C6): a company claims on an accepted dossier
//! with its supporting documents; a case manager validates (possibly for less), refuses or asks
//! for information; both follow it on the dossier's timeline. Documents are served only to those
//! who reach the DR, always as a download.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{FromRequest as _, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::Money;
use domain::dossier::{Decision, DossierStatus};
use domain::reimbursement::{DossierFacts, DrStatus, Line, Nature};
use domain::rules::Filing;
use serde::Deserialize;
use store::ConnectionTrait;
use store::document::{Document, Kind, NewDocument};
use store::dossier::{Dossier, NewEvent};
use store::notification::NewNotification;
use store::reimbursement::{DrChange, NewReimbursement, Reimbursement, ReimbursementFilter};

use crate::auth::{Filer, Scoped, Staff};
use crate::chrome::Chrome;
use crate::client::Client;
use crate::csv::Line as CsvLine;
use crate::error::AppError;
use crate::extract::{Form, MultipartForm, PageNumber, Query, UploadedFile};
use crate::forms::FormErrors;
use crate::listing::{self, Pager};
use crate::notify::audit;
use crate::pages::filing::{TimelineLine, actor, parse_date, tell_company, timeline_lines};
use crate::pages::instruction::DecisionForm;
use crate::policy::Permission;
use crate::render;
use crate::state::AppState;

/// Most files joined to one form.
const MAX_FILES: usize = 5;

/// The body limit of the routes that take files: five PDF at their limit, and the form.
pub const UPLOAD_BODY_LIMIT: usize = MAX_FILES * documents::upload::MAX_PDF_BYTES + 64 * 1024;

fn badge(status: DrStatus) -> &'static str {
    match status {
        DrStatus::Submitted => "badge-submitted",
        DrStatus::InfoRequested => "badge-info_requested",
        DrStatus::Validated => "badge-accepted",
        DrStatus::Refused => "badge-refused",
        DrStatus::Paid => "badge-paid",
    }
}

/// A dossier the company reaches, or 404.
async fn dossier_of(state: &AppState, scoped: &Scoped, company_id: i64, id: i64) -> Result<Dossier, AppError> {
    store::dossier::get(&state.db, &scoped.scope, id)
        .await?
        .filter(|d| d.company_id == company_id)
        .ok_or(AppError::NotFound)
}

/// The facts the claim checks need, counting every DR of the dossier but `except`.
async fn facts(
    conn: &impl ConnectionTrait,
    state: &AppState,
    dossier: &Dossier,
    except: Option<i64>,
) -> Result<DossierFacts, AppError> {
    let scheme = state.rules.scheme(&dossier.scheme);
    let (already_claimed, overrun_claimed) = store::reimbursement::held_by_others(conn, dossier.id, except).await?;
    Ok(DossierFacts {
        status: store::dossier::status(dossier),
        contract: scheme.is_some_and(|s| matches!(s.filing, Filing::Contract | Filing::DrfThenContract)),
        professionalisation: dossier.scheme == "PRO",
        training_end: dossier.training_end,
        committed: dossier.committed_cents.map_or(Money::ZERO, Money::from_cents),
        cost: Money::from_cents(dossier.cost_cents),
        already_claimed,
        overrun_claimed,
    })
}

/// The budgets (C5, C6) a DR on this dossier may be charged to: (code, label).
fn budgets(state: &AppState, dossier: &Dossier) -> Vec<(String, String)> {
    let payer = state.rules.scheme(&dossier.scheme).map(|s| s.payer);
    let payer = domain::rules::Payer::from_code(&dossier.payer).or(payer);
    payer.map_or_else(Vec::new, |payer| {
        state
            .rules
            .reimbursement_budgets(&dossier.scheme, payer)
            .into_iter()
            .map(|w| (w.code.clone(), w.label.clone()))
            .collect()
    })
}

/// One amount field of the form.
#[derive(Debug)]
pub struct AmountField {
    name: &'static str,
    label: &'static str,
    value: String,
}

/// The claim form.
#[derive(Debug, Template)]
#[template(path = "remboursements/form.html")]
pub struct FormPage {
    chrome: Chrome,
    company_id: i64,
    company_name: String,
    dossier: Dossier,
    committed: Money,
    left: Money,
    amounts: Vec<AmountField>,
    budgets: Vec<(String, String)>,
    budget: String,
    kinds: Vec<(&'static str, &'static str)>,
    errors: FormErrors,
}

async fn form_page(
    state: &AppState,
    chrome: Chrome,
    scoped: &Scoped,
    dossier: Dossier,
    form: &MultipartForm,
    errors: FormErrors,
) -> Result<FormPage, AppError> {
    let facts = facts(&state.db, state, &dossier, None).await?;
    let left =
        if facts.committed > facts.already_claimed { facts.committed - facts.already_claimed } else { Money::ZERO };
    let amounts = Nature::ALL
        .into_iter()
        .filter(|n| n.applies_to(facts.contract))
        .map(|n| AmountField { name: n.code(), label: n.label(), value: form.text(n.code()).to_owned() })
        .collect();
    Ok(FormPage {
        chrome,
        company_id: dossier.company_id,
        company_name: store::company::get(&state.db, &scoped.scope, dossier.company_id)
            .await?
            .ok_or(AppError::NotFound)?
            .name,
        committed: facts.committed,
        left,
        amounts,
        budgets: budgets(state, &dossier),
        budget: form.text("budget").to_owned(),
        kinds: Kind::SUPPORTING.iter().map(|k| (k.code(), k.label())).collect(),
        dossier,
        errors,
    })
}

/// `GET /entreprises/{id}/dossiers/{dossier}/remboursements/nouveau`
pub async fn new_form(
    State(state): State<AppState>,
    chrome: Chrome,
    scoped: Filer,
    Path((company_id, id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let dossier = dossier_of(&state, &scoped, company_id, id).await?;
    let page = form_page(&state, chrome, &scoped, dossier, &MultipartForm::default(), FormErrors::new()).await?;
    Ok(render::page(&page)?.into_response())
}

/// Checks the files of a form: each a real PDF; returns them with their kind.
fn check_files<'a>(errors: &mut FormErrors, form: &'a MultipartForm) -> Vec<(&'a UploadedFile, Kind)> {
    let files: Vec<&UploadedFile> = form.files.iter().filter(|f| f.field == "documents").collect();
    if files.len() > MAX_FILES {
        errors.add("documents", format!("Joignez {MAX_FILES} fichiers au plus."));
        return Vec::new();
    }
    let kind =
        Kind::from_code(form.text("document_kind")).filter(|k| Kind::SUPPORTING.contains(k)).unwrap_or(Kind::Other);
    let mut checked = Vec::new();
    for file in files {
        match documents::upload::check_pdf(&file.bytes) {
            Ok(_) => checked.push((file, kind)),
            Err(e) => errors.add("documents", format!("« {} » : {e}", file.file_name)),
        }
    }
    checked
}

/// Stores checked files and records them for a DR.
async fn store_files(
    conn: &impl ConnectionTrait,
    state: &AppState,
    files: &[(&UploadedFile, Kind)],
    dr: &Reimbursement,
    by: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    for (file, kind) in files {
        let sha256 = state.files.put(&file.bytes).await?;
        let input = NewDocument {
            company_id: dr.company_id,
            dossier_id: Some(dr.dossier_id),
            reimbursement_id: Some(dr.id),
            proforma_id: None,
            kind: *kind,
            // Checked as a PDF, so named and served as one whatever the person's name for it.
            file_name: documents::upload::pdf_file_name(&file.file_name, "justificatif"),
            sha256,
            size: i64::try_from(file.bytes.len()).unwrap_or(i64::MAX),
            content_type: "application/pdf".to_owned(),
            uploaded_by: by,
        };
        store::document::create(conn, input, now).await?;
    }
    Ok(())
}

/// `POST /entreprises/{id}/dossiers/{dossier}/remboursements`: files a DR with its documents.
pub async fn create(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    scoped: Filer,
    Path((company_id, id)): Path<(i64, i64)>,
    request: Request,
) -> Result<Response, AppError> {
    let dossier = dossier_of(&state, &scoped, company_id, id).await?;
    // The body is read once the dossier is known to be the caller's.
    let form = MultipartForm::from_request(request, &state).await?;
    match file_claim(&state, &client, &scoped, &dossier, &form).await? {
        Ok(dr) => Ok(Redirect::to(&format!("/entreprises/{company_id}/remboursements/{}?notice=dr-deposee", dr.id))
            .into_response()),
        Err(errors) => {
            let page = form_page(&state, chrome, &scoped, dossier, &form, errors).await?;
            render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// Files a DR on `dossier` (reached by the caller) from a form: amounts by nature code, `budget`,
/// files in `documents` of kind `document_kind`. The refusals come back field by field; nothing is
/// saved then. Shared by the page and the EDI API.
pub(crate) async fn file_claim(
    state: &AppState,
    client: &Client,
    scoped: &Scoped,
    dossier: &Dossier,
    form: &MultipartForm,
) -> Result<Result<Reimbursement, FormErrors>, AppError> {
    let today = state.today();
    let mut errors = FormErrors::new();
    let facts = facts(&state.db, state, dossier, None).await?;
    let mut lines = Vec::new();
    for nature in Nature::ALL.into_iter().filter(|n| n.applies_to(facts.contract)) {
        let text = form.text(nature.code()).trim();
        if text.is_empty() {
            continue;
        }
        match Money::parse(text) {
            Ok(amount) => lines.push(Line { nature, amount }),
            Err(e) => errors.add(nature.code(), format!("{} : {e}", nature.label())),
        }
    }
    let budgets = budgets(state, dossier);
    let budget = Some(form.text("budget").trim().to_owned()).filter(|b| !b.is_empty());
    match &budget {
        Some(code) if !budgets.iter().any(|(c, _)| c == code) => {
            errors.add("budget", "Choisissez un budget de la liste.");
        }
        Some(code) => {
            if let Err(e) = state.rules.check_reimbursement_budget(code, today) {
                errors.add("budget", e.to_string());
            }
        }
        None => {}
    }
    let files = check_files(&mut errors, form);
    if errors.is_empty()
        && let Err(e) = domain::reimbursement::check_claim(&facts, &lines, files.len(), today)
    {
        let field = match e.field() {
            "lines" => Nature::ALL.into_iter().find(|n| n.applies_to(facts.contract)).map_or("lines", Nature::code),
            "overrun" => Nature::Overrun.code(),
            other => other,
        };
        errors.add(field, e.to_string());
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    // Checked again under the dossier's lock: two DR filed at once cannot both take what remains
    // (the second waits here, then reads the first).
    store::db::lock(&txn, store::db::Locked::Dossier, dossier.id).await?;
    let dossier = &store::dossier::get(&txn, &scoped.scope, dossier.id).await?.ok_or(AppError::NotFound)?;
    let facts = self::facts(&txn, state, dossier, None).await?;
    if let Err(e) = domain::reimbursement::check_claim(&facts, &lines, files.len(), today) {
        txn.rollback().await?;
        return Err(AppError::Conflict { code: "dossier_changed", message: e.to_string() });
    }
    let input =
        NewReimbursement { dossier, budget, lines: &lines, submitted_on: today, created_by: scoped.user.account.id };
    let dr = store::reimbursement::create(&txn, &input, now).await?;
    store_files(&txn, state, &files, &dr, scoped.user.account.id, now).await?;
    let event = NewEvent {
        kind: "dr_submitted",
        message: Some(format!(
            "{} ({} justificatif{})",
            dr.number,
            files.len(),
            if files.len() > 1 { "s" } else { "" }
        )),
        amount: Some(Money::from_cents(dr.claimed_cents)),
        ..NewEvent::default()
    };
    store::dossier::record_event(&txn, Some(dossier.id), None, &actor(&scoped.user), event, now).await?;
    audit(&txn, &scoped.user.actor(), "dr.submitted", Some(("reimbursement", dr.id.to_string())), client, now).await?;
    txn.commit().await?;
    Ok(Ok(dr))
}

/// A DR's page, for the company or a case manager.
#[derive(Debug, Template)]
#[template(path = "remboursements/show.html")]
pub struct ShowPage {
    chrome: Chrome,
    staff: bool,
    company_id: i64,
    company_name: String,
    dr: Reimbursement,
    dossier: Dossier,
    /// As shown: paid once its invoice's transfer is issued.
    status: DrStatus,
    class: &'static str,
    /// When its transfer was issued or why it came back, with the remittance advice.
    money: Option<crate::pages::payments::MoneyNote>,
    lines: Vec<(&'static str, Money)>,
    claimed: Money,
    validated: Option<Money>,
    budget: Option<String>,
    documents: Vec<(Document, &'static str)>,
    timeline: Vec<TimelineLine>,
    can_answer: bool,
    can_decide: bool,
    form: DecisionForm,
    errors: FormErrors,
    conflict: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn show_page(
    state: &AppState,
    chrome: Chrome,
    scoped: &Scoped,
    dr: Reimbursement,
    staff: bool,
    form: DecisionForm,
    errors: FormErrors,
    conflict: Option<String>,
) -> Result<ShowPage, AppError> {
    let dossier = store::dossier::get(&state.db, &scoped.scope, dr.dossier_id).await?.ok_or(AppError::NotFound)?;
    let status = store::reimbursement::status(&dr);
    let settlement = store::payment::reimbursement_settlements(&state.db, &[dr.id]).await?.remove(&dr.id);
    let shown = status.settled(settlement.as_ref().is_some_and(domain::settlement::Settlement::is_paid));
    let money = crate::pages::payments::money_note(
        &scoped.scope,
        settlement.as_ref().filter(|_| status == DrStatus::Validated),
    );
    let company_name =
        store::company::get_unscoped(&state.db, dr.company_id).await?.map(|c| c.name).unwrap_or_default();
    let documents = store::document::for_reimbursement(&state.db, dr.id)
        .await?
        .into_iter()
        .map(|d| {
            let label = Kind::from_code(&d.kind).map_or("Justificatif", Kind::label);
            (d, label)
        })
        .collect();
    let budget = dr.budget.as_ref().map(|code| {
        state
            .rules
            .calendar
            .reimbursement_windows
            .iter()
            .find(|w| &w.code == code)
            .map_or_else(|| code.clone(), |w| w.label.clone())
    });
    Ok(ShowPage {
        chrome,
        staff,
        company_id: dr.company_id,
        company_name,
        lines: store::reimbursement::lines(&state.db, dr.id)
            .await?
            .into_iter()
            .map(|l| (l.nature.label(), l.amount))
            .collect(),
        claimed: Money::from_cents(dr.claimed_cents),
        validated: dr.validated_cents.map(Money::from_cents),
        budget,
        documents,
        timeline: timeline_lines(
            store::dossier::timeline(&state.db, Some(dossier.id), None).await?,
            &state.config.names.operator,
            staff,
        ),
        can_answer: !staff && status == DrStatus::InfoRequested,
        can_decide: staff && scoped.user.require(Permission::Instruct).is_ok() && status == DrStatus::Submitted,
        form: if form.version.is_empty() {
            DecisionForm {
                version: dr.version.to_string(),
                amount: Money::from_cents(dr.claimed_cents).input_value(),
                ..form
            }
        } else {
            form
        },
        status: shown,
        class: badge(shown),
        money,
        dossier,
        dr,
        errors,
        conflict,
    })
}

/// `GET /entreprises/{id}/remboursements/{dr}`
pub async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    scoped: Scoped,
    Path((company_id, id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let dr = store::reimbursement::get(&state.db, &scoped.scope, id)
        .await?
        .filter(|d| d.company_id == company_id)
        .ok_or(AppError::NotFound)?;
    let page = show_page(&state, chrome, &scoped, dr, false, DecisionForm::default(), FormErrors::new(), None).await?;
    Ok(render::page(&page)?.into_response())
}

/// `POST /entreprises/{id}/remboursements/{dr}/repondre`: the company answers an information
/// request, with a message and possibly more documents; the DR goes back to the case manager.
pub async fn answer(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    scoped: Filer,
    Path((company_id, id)): Path<(i64, i64)>,
    request: Request,
) -> Result<Response, AppError> {
    let dr = store::reimbursement::get(&state.db, &scoped.scope, id)
        .await?
        .filter(|d| d.company_id == company_id)
        .ok_or(AppError::NotFound)?;
    let form = MultipartForm::from_request(request, &state).await?;
    let mut errors = FormErrors::new();
    let message = form.text("message").trim().to_owned();
    if message.is_empty() || message.chars().count() > 4000 {
        errors.add("message", "Écrivez votre réponse (4 000 caractères au plus).");
    }
    let files = check_files(&mut errors, &form);
    if !errors.is_empty() {
        let page = show_page(&state, chrome, &scoped, dr, false, DecisionForm::default(), errors, None).await?;
        return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    let change = DrChange { info_due_on: Some(None), ..DrChange::default() };
    if !store::reimbursement::transition(
        &txn,
        id,
        dr.version,
        DrStatus::InfoRequested,
        DrStatus::Submitted,
        change,
        now,
    )
    .await?
    {
        txn.rollback().await?;
        return Err(AppError::Conflict {
            code: "dr_changed",
            message: "Cette demande de remboursement n’attend plus de réponse de votre part.".into(),
        });
    }
    store_files(&txn, &state, &files, &dr, scoped.user.account.id, now).await?;
    let event = NewEvent {
        kind: "dr_answered",
        from: Some("info_requested"),
        to: Some("submitted"),
        message: Some(format!("{} : {message}", dr.number)),
        ..NewEvent::default()
    };
    store::dossier::record_event(&txn, Some(dr.dossier_id), None, &actor(&scoped.user), event, now).await?;
    audit(&txn, &scoped.user.actor(), "dr.answered", Some(("reimbursement", id.to_string())), &client, now).await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/entreprises/{company_id}/remboursements/{id}?notice=reponse-envoyee")).into_response())
}

/// A stored document as a download: never shown inline, never sniffed.
async fn download(state: &AppState, document: Document) -> Result<Response, AppError> {
    let bytes = state.files.get(&document.sha256).await?;
    Ok(attachment(bytes, &document.file_name, &document.content_type))
}

/// Bytes sent as a file to save (`Content-Disposition: attachment`, the name in ASCII and in
/// UTF-8), with `nosniff` and no caching.
pub(crate) fn attachment(bytes: Vec<u8>, file_name: &str, content_type: &str) -> Response {
    // Only letters, digits and a few signs in the header; the full name goes in filename*.
    let ascii: String =
        file_name.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"._-".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect();
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    let content_type =
        HeaderValue::from_str(content_type).unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
        ],
        bytes,
    )
        .into_response()
}

/// `GET /entreprises/{id}/documents/{document}`
pub async fn document(
    State(state): State<AppState>,
    scoped: Scoped,
    Path((company_id, id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let document = store::document::get(&state.db, &scoped.scope, id)
        .await?
        .filter(|d| d.company_id == company_id)
        .ok_or(AppError::NotFound)?;
    download(&state, document).await
}

/// `GET /gestion/documents/{document}`
pub async fn staff_document(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let scope = store::attachment::scope(&state.db, user.account.id, user.account.role).await?;
    let document = store::document::get(&state.db, &scope, id).await?.ok_or(AppError::NotFound)?;
    download(&state, document).await
}

/// A line of the case managers' queue.
#[derive(Debug)]
pub struct QueueLine {
    dr: Reimbursement,
    company: String,
    dossier: String,
    status: DrStatus,
    class: &'static str,
    claimed: Money,
}

/// The DR queue.
#[derive(Debug, Template)]
#[template(path = "gestion/remboursements/queue.html")]
pub struct QueuePage {
    chrome: Chrome,
    lines: Vec<QueueLine>,
    statuses: Vec<(&'static str, &'static str)>,
    schemes: Vec<String>,
    statut: String,
    query: QueueQuery,
    pager: Pager,
}

/// The address of the DR queue: filters and window.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct QueueQuery {
    /// A state code, `tous`, or nothing (what waits for a decision).
    #[serde(default)]
    pub(crate) statut: Option<String>,
    #[serde(default)]
    pub(crate) dispositif: String,
    /// Company name or SIREN.
    #[serde(default)]
    pub(crate) entreprise: String,
    /// Number of the DR or of its dossier.
    #[serde(default)]
    pub(crate) q: String,
    /// Trainee name.
    #[serde(default)]
    pub(crate) stagiaire: String,
    /// Submitted from this day.
    #[serde(default)]
    pub(crate) du: String,
    /// Submitted up to this day.
    #[serde(default)]
    pub(crate) au: String,
    #[serde(default)]
    pub(crate) montant_min: String,
    #[serde(default)]
    pub(crate) montant_max: String,
    #[serde(default)]
    pub(crate) page: PageNumber,
    #[serde(default)]
    pub(crate) par_page: String,
    #[serde(default)]
    pub(crate) apres: String,
}

impl QueueQuery {
    /// The filters, parsed, and the state as shown (`tous` for every state); by default what
    /// waits for a case manager.
    ///
    /// # Errors
    /// A French 400 or 422 naming the parameter at fault.
    fn filter(&self) -> Result<(ReimbursementFilter, String), AppError> {
        let status = match self.statut.as_deref().map(str::trim) {
            None => Some(DrStatus::Submitted),
            Some("" | "tous") => None,
            Some(code) => Some(DrStatus::from_code(code).ok_or_else(|| {
                AppError::invalid("statut", "L’état demandé (« statut ») n’existe pas ; choisissez-le dans la liste.")
            })?),
        };
        let (from, to) = listing::days(&self.du, &self.au)?;
        let (min, max) = listing::amounts(&self.montant_min, &self.montant_max)?;
        let filter = ReimbursementFilter {
            status,
            scheme: listing::text(&self.dispositif),
            company: listing::text(&self.entreprise),
            number: listing::text(&self.q),
            trainee: listing::text(&self.stagiaire),
            from,
            to,
            min,
            max,
        };
        Ok((filter, status.map_or_else(|| "tous".to_owned(), |s| s.code().to_owned())))
    }

    /// The filters as they go back into links (pager, export), `statut` as shown.
    fn kept<'a>(&'a self, statut: &'a str) -> [(&'static str, &'a str); 9] {
        [
            ("statut", statut),
            ("dispositif", &self.dispositif),
            ("entreprise", &self.entreprise),
            ("q", &self.q),
            ("stagiaire", &self.stagiaire),
            ("du", &self.du),
            ("au", &self.au),
            ("montant_min", &self.montant_min),
            ("montant_max", &self.montant_max),
        ]
    }
}

/// What a page or a chunk of the queue shows besides the DR: dossier numbers and schemes,
/// companies, states (paid from the payments), read for all the lines at once.
struct Context {
    dossiers: HashMap<i64, (String, String)>,
    companies: HashMap<i64, String>,
    settlements: HashMap<i64, domain::settlement::Settlement>,
}

impl Context {
    async fn of(state: &AppState, rows: &[Reimbursement]) -> Result<Self, AppError> {
        let dossier_ids: Vec<i64> = rows.iter().map(|r| r.dossier_id).collect();
        let company_ids: Vec<i64> = rows.iter().map(|r| r.company_id).collect();
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        Ok(Self {
            dossiers: store::reimbursement::dossier_numbers_unscoped(&state.db, &dossier_ids).await?,
            companies: store::company::names_unscoped(&state.db, &company_ids).await?,
            settlements: store::payment::reimbursement_settlements(&state.db, &ids).await?,
        })
    }

    fn status(&self, dr: &Reimbursement) -> DrStatus {
        store::reimbursement::status(dr)
            .settled(self.settlements.get(&dr.id).is_some_and(domain::settlement::Settlement::is_paid))
    }
}

/// `GET /gestion/remboursements`: one page of the queue, oldest submission first; dossiers,
/// companies and payments are read for the whole page at once.
pub async fn queue(
    State(state): State<AppState>,
    chrome: Chrome,
    Staff(_user): Staff,
    Query(query): Query<QueueQuery>,
) -> Result<Response, AppError> {
    let (filter, statut) = query.filter()?;
    let window = listing::window(query.page, &query.par_page, &query.apres)?;
    let listed = store::reimbursement::queue(&state.db, &filter, window).await?;
    let pager = Pager::new("/gestion/remboursements", &query.kept(&statut), window, &listed)
        .with_csv("/gestion/remboursements.csv", &query.kept(&statut));
    let context = Context::of(&state, &listed.rows).await?;
    let lines = listed
        .rows
        .into_iter()
        .map(|dr| {
            let status = context.status(&dr);
            QueueLine {
                company: context.companies.get(&dr.company_id).cloned().unwrap_or_default(),
                dossier: context.dossiers.get(&dr.dossier_id).map(|(n, _)| n.clone()).unwrap_or_default(),
                status,
                class: badge(status),
                claimed: Money::from_cents(dr.claimed_cents),
                dr,
            }
        })
        .collect();
    let statuses = DrStatus::ALL.iter().map(|s| (s.code(), s.label())).collect();
    let schemes = state.rules.schemes.iter().map(|s| s.code.clone()).collect();
    Ok(render::page(&QueuePage { chrome, lines, statuses, schemes, statut, query, pager })?.into_response())
}

/// `GET /gestion/remboursements.csv`: the filtered queue, whole, streamed as CSV.
pub async fn export(
    State(state): State<AppState>,
    Staff(_user): Staff,
    Query(query): Query<QueueQuery>,
) -> Result<Response, AppError> {
    let (filter, _) = query.filter()?;
    // The window does not apply to an export, but a malformed one is refused like on the page.
    listing::window(query.page, &query.par_page, &query.apres)?;
    let day = domain::clock::paris_day(state.now()).format("%Y-%m-%d");
    let header = crate::csv::header(&[
        "Numéro",
        "Dossier",
        "Entreprise",
        "Dispositif",
        "Stagiaires",
        "Déposée le",
        "Demandé",
        "Validé",
        "État",
    ]);
    Ok(crate::csv::stream(&format!("remboursements-{day}.csv"), header, move |after| {
        let (state, filter) = (state.clone(), filter.clone());
        async move {
            let (rows, next) = store::reimbursement::queue_chunk(&state.db, &filter, after).await?;
            let context = Context::of(&state, &rows).await?;
            let dossier_ids: Vec<i64> = rows.iter().map(|r| r.dossier_id).collect();
            let trainees = store::dossier::trainees_of(&state.db, &dossier_ids).await?;
            let mut out = String::new();
            for dr in &rows {
                let (dossier, scheme) = context.dossiers.get(&dr.dossier_id).cloned().unwrap_or_default();
                let names = trainees
                    .get(&dr.dossier_id)
                    .map(|list| {
                        list.iter()
                            .map(|t| format!("{} {}", t.given_name, t.family_name).trim().to_owned())
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                CsvLine::new()
                    .text(&dr.number)
                    .text(&dossier)
                    .text(context.companies.get(&dr.company_id).map_or("", String::as_str))
                    .text(&scheme)
                    .text(&names)
                    .day(Some(dr.submitted_on))
                    .money(Some(Money::from_cents(dr.claimed_cents)))
                    .money(dr.validated_cents.map(Money::from_cents))
                    .text(context.status(dr).label())
                    .end(&mut out);
            }
            Ok((out, next))
        }
    }))
}

async fn staff_scoped(state: &AppState, user: crate::auth::CurrentUser) -> Result<Scoped, AppError> {
    let scope = store::attachment::scope(&state.db, user.account.id, user.account.role).await?;
    Ok(Scoped { user, scope })
}

/// `GET /gestion/remboursements/{dr}`
pub async fn staff_show(
    State(state): State<AppState>,
    chrome: Chrome,
    Staff(user): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let scoped = staff_scoped(&state, user).await?;
    let dr = store::reimbursement::get(&state.db, &scoped.scope, id).await?.ok_or(AppError::NotFound)?;
    let page = show_page(&state, chrome, &scoped, dr, true, DecisionForm::default(), FormErrors::new(), None).await?;
    Ok(render::page(&page)?.into_response())
}

/// `POST /gestion/remboursements/{dr}/decision`: validate (possibly for less, with a reason),
/// refuse, or ask for information. Of two case managers deciding at once, one wins.
pub async fn decide(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    Staff(user): Staff,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    user.require(Permission::Instruct)?;
    let scoped = staff_scoped(&state, user).await?;
    let dr = store::reimbursement::get(&state.db, &scoped.scope, id).await?.ok_or(AppError::NotFound)?;
    let from = store::reimbursement::status(&dr);
    if from != DrStatus::Submitted {
        let conflict =
            format!("Cette demande n’attend plus de décision : elle est {}. Rien n’a été enregistré.", from.label());
        let page =
            show_page(&state, chrome, &scoped, dr, true, DecisionForm::default(), FormErrors::new(), Some(conflict))
                .await?;
        return render::page_with_status(StatusCode::CONFLICT, &page);
    }
    let today = state.today();
    let mut errors = FormErrors::new();
    let decision =
        form.decision(&mut errors, |errors, text| parse_date(errors, "due_on", "date limite de réponse", text));
    let claimed = Money::from_cents(dr.claimed_cents);
    if let Some(Err(e)) = decision.as_ref().map(|d| d.check_content(claimed, today)) {
        errors.add(e.field(), e.to_string());
    }
    let (Some(decision), true) = (decision, errors.is_empty()) else {
        let page = show_page(&state, chrome, &scoped, dr, true, form, errors, None).await?;
        return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let (to, change, event, news) = match &decision {
        Decision::Accept { amount, reason } => (
            DrStatus::Validated,
            DrChange { validated: Some(*amount), reason: reason.clone(), ..DrChange::default() },
            NewEvent {
                kind: "dr_validated",
                message: Some(reason.as_ref().map_or_else(|| dr.number.clone(), |r| format!("{} : {r}", dr.number))),
                amount: Some(*amount),
                ..NewEvent::default()
            },
            format!(
                "La demande de remboursement {} est validée : {amount}. Vous pouvez maintenant émettre la facture.",
                dr.number
            ),
        ),
        Decision::Refuse { reason } => (
            DrStatus::Refused,
            DrChange { reason: Some(reason.clone()), ..DrChange::default() },
            NewEvent { kind: "dr_refused", message: Some(format!("{} : {reason}", dr.number)), ..NewEvent::default() },
            format!("La demande de remboursement {} est refusée. Motif : {reason}", dr.number),
        ),
        Decision::RequestInfo { message, due_on } => (
            DrStatus::InfoRequested,
            DrChange { info_due_on: Some(Some(*due_on)), ..DrChange::default() },
            NewEvent {
                kind: "dr_info_requested",
                message: Some(format!("{} : {message}", dr.number)),
                due_on: Some(*due_on),
                ..NewEvent::default()
            },
            format!(
                "Un complément est demandé sur la demande de remboursement {} avant le {} : {message}",
                dr.number,
                due_on.format("%d/%m/%Y")
            ),
        ),
    };
    let version = form.version.parse::<i64>().unwrap_or(-1);
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    // What remains is read again under the dossier's lock: two validations at once, or a DR
    // filed meanwhile, cannot take more than the commitment (SPEC Q2).
    if let Decision::Accept { amount, .. } = &decision {
        store::db::lock(&txn, store::db::Locked::Dossier, dr.dossier_id).await?;
        let dossier = store::dossier::get(&txn, &scoped.scope, dr.dossier_id).await?.ok_or(AppError::NotFound)?;
        let others = facts(&txn, &state, &dossier, Some(dr.id)).await?;
        let claimed = store::reimbursement::lines(&txn, dr.id).await?;
        if let Err(e) = domain::reimbursement::check_validation(&others, &claimed, *amount) {
            txn.rollback().await?;
            let mut errors = FormErrors::new();
            errors.add(e.field(), e.to_string());
            let page = show_page(&state, chrome, &scoped, dr, true, form, errors, None).await?;
            return render::page_with_status(StatusCode::CONFLICT, &page);
        }
    }
    if !store::reimbursement::transition(&txn, id, version, from, to, change, now).await? {
        txn.rollback().await?;
        let conflict = "Un autre gestionnaire a traité cette demande entre-temps : voici son état actuel. Rien n’a été enregistré.".to_owned();
        let dr = store::reimbursement::get(&state.db, &scoped.scope, id).await?.ok_or(AppError::NotFound)?;
        let page =
            show_page(&state, chrome, &scoped, dr, true, DecisionForm::default(), FormErrors::new(), Some(conflict))
                .await?;
        return render::page_with_status(StatusCode::CONFLICT, &page);
    }
    let event = NewEvent { from: Some(from.code()), to: Some(to.code()), ..event };
    store::dossier::record_event(&txn, Some(dr.dossier_id), None, &actor(&scoped.user), event, now).await?;
    // The dossier enters reimbursement with its first DR validated.
    if to == DrStatus::Validated {
        let dossier = store::dossier::get(&txn, &scoped.scope, dr.dossier_id).await?.ok_or(AppError::NotFound)?;
        let current = store::dossier::status(&dossier);
        if matches!(current, DossierStatus::Accepted | DossierStatus::InProgress) {
            store::dossier::transition(
                &txn,
                dossier.id,
                dossier.version,
                current,
                DossierStatus::Reimbursement,
                store::dossier::StateChange::default(),
                now,
            )
            .await?;
        }
    }
    let notification = NewNotification {
        kind: "dr.decision",
        title: format!("Demande de remboursement {} : {}", dr.number, to.label()),
        body: news,
        link: Some(format!("/entreprises/{}/remboursements/{id}", dr.company_id)),
    };
    tell_company(&txn, &state, dr.company_id, dr.created_by, &notification, now).await?;
    audit(
        &txn,
        &scoped.user.actor(),
        &format!("dr.{}", to.code()),
        Some(("reimbursement", id.to_string())),
        &client,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/gestion/remboursements/{id}?notice=decision")).into_response())
}
