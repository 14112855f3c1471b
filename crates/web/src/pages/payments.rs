//! Payments as the company and the operator see them (SPEC P1–P4): for the company, what was
//! paid, when, by which run, with the remittance advice of each transfer, and when what is
//! payable will be paid; for the operator, the runs with their SEPA files, the invoices held back,
//! the transfers the bank returned, a manual run and the import of the bank's returns.
//!
//! Runs themselves are performed by the worker (`espace-formation` binary): a manual run here
//! only enqueues one.

use askama::Template;
use axum::extract::{FromRequest as _, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use domain::Money;
use domain::settlement::Settlement;
use serde::Deserialize;
use store::listing::Window;
use store::notification::NewNotification;
use store::payment::{Held, Item, Payment, Run, run_status, status};

use crate::auth::{Scoped, Staff};
use crate::chrome::Chrome;
use crate::client::Client;
use crate::csv::Line;
use crate::error::AppError;
use crate::extract::{MultipartForm, PageNumber, Query};
use crate::forms::FormErrors;
use crate::listing::{self, Pager};
use crate::notify::audit;
use crate::pages::reimbursements::attachment;
use crate::policy::Permission;
use crate::render;
use crate::state::{AppState, WebConfig};

/// The job kind the worker performs runs under (kept equal to the binary's).
pub const RUN_JOB: &str = "payment.run";

/// What a manual run says when no approved invoice awaits a payment (kept equal to the
/// binary's `payments::NOTHING_TO_PAY`).
pub const NOTHING_TO_PAY: &str = "Rien à payer : aucune facture approuvée n’est en attente de paiement.";

/// Largest bank returns file accepted.
pub const RETURNS_BODY_LIMIT: usize = 8 * 1024 * 1024;

fn internal(e: impl std::error::Error + Send + Sync + 'static) -> AppError {
    AppError::Internal(Box::new(e))
}

fn day(d: chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn masked(iban: &str) -> String {
    domain::Iban::parse(iban).map_or_else(|_| iban.to_owned(), |i| i.masked())
}

/// The SEPA `pain.001` of a frozen run, rebuilt from what the run froze: the same bytes every
/// time.
///
/// # Errors
/// [`AppError::Conflict`] for a run still being prepared or without any transfer; the
/// database's.
pub async fn sepa_file(db: &store::Db, run: &Run, debtor: &documents::sepa::Debtor) -> Result<String, AppError> {
    if run.status != run_status::FROZEN {
        return Err(AppError::Conflict {
            code: "run_preparing",
            message: "Ce paiement est en cours de préparation : son fichier n’existe pas encore.".into(),
        });
    }
    let payments = store::payment::payments_of(db, run.id).await?;
    if payments.is_empty() {
        return Err(AppError::Conflict {
            code: "run_empty",
            message: "Ce paiement ne contient aucun virement : il n’a pas de fichier SEPA.".into(),
        });
    }
    let mut numbers_of =
        store::payment::invoice_numbers_of(db, &payments.iter().map(|p| p.id).collect::<Vec<_>>()).await?;
    let transfers = payments
        .iter()
        .map(|p| {
            let numbers = numbers_of.remove(&p.id).unwrap_or_default();
            documents::sepa::Transfer {
                end_to_end_id: p.end_to_end_id.clone(),
                payee_name: p.payee_name.clone(),
                payee_iban: p.payee_iban.clone(),
                payee_bic: None,
                amount_cents: p.amount_cents,
                remittance: domain::payout::remittance(&p.end_to_end_id, &numbers),
            }
        })
        .collect();
    let file = documents::sepa::PaymentFile {
        message_id: run.message_id.clone(),
        created_at: run.frozen_at.unwrap_or(run.started_at),
        payment_info_id: format!("{}-1", run.message_id),
        requested_execution: run.execution_date,
        debtor: debtor.clone(),
        transfers,
    };
    documents::sepa::pain_001(&file).map_err(|e| AppError::Conflict { code: "sepa_invalid", message: e.to_string() })
}

/// The remittance advice PDF of a payment.
///
/// # Errors
/// The database's or the renderer's.
pub async fn advice_pdf(db: &store::Db, config: &WebConfig, payment: &Payment, run: &Run) -> Result<Vec<u8>, AppError> {
    let items = store::payment::items_of(db, &[payment.id]).await?.remove(&payment.id).unwrap_or_default();
    let advice = documents::advice::RemittanceAdvice {
        reference: payment.end_to_end_id.clone(),
        operator_name: config.names.operator.clone(),
        operator_address: config.operator_address.clone(),
        payee_name: payment.payee_name.clone(),
        payee_iban: payment.payee_iban.clone(),
        run_date: domain::clock::paris_day(run.frozen_at.unwrap_or(run.started_at)),
        execution_date: run.execution_date,
        run_reference: run.message_id.clone(),
        lines: items
            .into_iter()
            .map(|i| documents::advice::AdviceLine {
                invoice_number: i.invoice_number,
                proforma_number: i.proforma_number,
                dossiers: i.dossiers.lines().map(str::to_owned).collect(),
                amount_cents: i.amount_cents,
            })
            .collect(),
    };
    tokio::task::spawn_blocking(move || documents::advice::render_advice(&advice))
        .await
        .map_err(internal)?
        .map_err(internal)
}

/// What a page shows beside the status of an invoice or a DR about its money: when the
/// transfer is issued, or why it came back; and, for those who may open it, its remittance
/// advice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoneyNote {
    /// `virement émis pour le 06/01/2026`, or the bank's reason of a return.
    pub text: String,
    /// `/entreprises/{id}/paiements/{payment}`, when the person may open it.
    pub advice: Option<String>,
}

/// The note of a settlement for someone of `scope`: the advice is linked for staff and for
/// those who see the company's payments (company-wide, like its bank account).
#[must_use]
pub fn money_note(scope: &domain::scope::Scope, settlement: Option<&Settlement>) -> Option<MoneyNote> {
    let settlement = settlement?;
    let advice = settlement
        .payment()
        .filter(|(company, _)| scope.is_staff() || crate::policy::require_bank_details(scope, *company).is_ok())
        .map(|(company, payment)| format!("/entreprises/{company}/paiements/{payment}"));
    Some(MoneyNote { text: settlement.note()?, advice })
}

// ---------------------------------------------------------------------------------------------
// The company's side.

/// A payment in the company's list.
#[derive(Debug)]
pub struct PaymentLine {
    payment: Payment,
    run_date: String,
    execution_date: String,
    amount: Money,
    label: &'static str,
    iban: String,
}

/// An approved invoice not paid yet.
#[derive(Debug)]
pub struct UnpaidLine {
    number: String,
    gross: Money,
    held: Option<String>,
}

/// `/entreprises/{id}/paiements`
#[derive(Debug, Template)]
#[template(path = "paiements/list.html")]
pub struct CompanyPage {
    chrome: Chrome,
    company_id: i64,
    company_name: String,
    payments: Vec<PaymentLine>,
    pager: Pager,
    unpaid: Vec<UnpaidLine>,
    next_run: Option<String>,
}

fn payment_line(payment: Payment, run: &Run) -> PaymentLine {
    PaymentLine {
        run_date: day(domain::clock::paris_day(run.frozen_at.unwrap_or(run.started_at))),
        execution_date: day(run.execution_date),
        amount: Money::from_cents(payment.amount_cents),
        label: status::label(&payment.status),
        iban: masked(&payment.payee_iban),
        payment,
    }
}

/// When the next scheduled run happens, in words.
fn next_run(config: &WebConfig, now: DateTime<Utc>) -> Option<String> {
    config.payment_schedule.next_after(now).map(|slot| {
        use chrono::Datelike as _;
        const DAYS: [&str; 7] = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"];
        let weekday = DAYS[slot.local.date().weekday().num_days_from_monday() as usize];
        let date = documents::fr::long_date(slot.local.date());
        format!("{weekday} {date} à {}", slot.local.format("%H:%M"))
    })
}

/// The company's name, when the person may see its payments: like its bank account, they are
/// company-wide (one account, transfers mixing every establishment's invoices), so staff, its
/// administrators and those with the invoicing habilitation for the whole company.
async fn finance_company(state: &AppState, scoped: &Scoped, company_id: i64) -> Result<String, AppError> {
    if !scoped.scope.is_staff() {
        crate::policy::require_bank_details(&scoped.scope, company_id)?;
    }
    let company = store::company::get(&state.db, &scoped.scope, company_id).await?.ok_or(AppError::NotFound)?;
    Ok(company.name)
}

/// The window on a list of transfers.
#[derive(Debug, Deserialize, Default)]
pub struct TransfersQuery {
    #[serde(default)]
    page: PageNumber,
    #[serde(default)]
    par_page: String,
    #[serde(default)]
    apres: String,
}

/// `GET /entreprises/{id}/paiements`: what awaits payment, and one page of the transfers,
/// newest first, their runs read for the whole page in one statement.
pub async fn company_list(
    State(state): State<AppState>,
    chrome: Chrome,
    scoped: Scoped,
    Path(company_id): Path<i64>,
    Query(query): Query<TransfersQuery>,
) -> Result<Response, AppError> {
    let company_name = finance_company(&state, &scoped, company_id).await?;
    let window = listing::window(query.page, &query.par_page, &query.apres)?;
    let listed = store::payment::transfers_window(&state.db, Some(company_id), window).await?;
    let path = format!("/entreprises/{company_id}/paiements");
    let pager = Pager::new(&path, &[], window, &listed).with_csv(&format!("{path}.csv"), &[]);
    let (runs, _) = store::payment::transfers_context(&state.db, &listed.rows).await?;
    let payments =
        listed.rows.into_iter().filter_map(|p| runs.get(&p.run_id).map(|run| payment_line(p, run))).collect();
    let unpaid = store::payment::unpaid_for_company(&state.db, company_id)
        .await?
        .into_iter()
        .map(|(i, held)| UnpaidLine { number: i.number, gross: Money::from_cents(i.gross_cents), held })
        .collect();
    let page = CompanyPage {
        chrome,
        company_id,
        company_name,
        payments,
        pager,
        unpaid,
        next_run: next_run(&state.config, state.now()),
    };
    Ok(render::page(&page)?.into_response())
}

/// The columns of a transfers export (staff's has the company first).
fn transfers_header(with_company: bool) -> String {
    let mut columns = Vec::new();
    if with_company {
        columns.push("Entreprise");
    }
    columns.extend([
        "Paiement (créneau)",
        "Date d’exécution",
        "Référence",
        "Bénéficiaire",
        "Compte",
        "Montant",
        "Factures",
        "État",
    ]);
    crate::csv::header(&columns)
}

/// The CSV text of one chunk of transfers: runs, invoice counts and (for staff) company names
/// read in one statement each for the whole chunk.
async fn transfers_csv(state: &AppState, rows: &[Payment], with_company: bool) -> Result<String, AppError> {
    let (runs, invoices) = store::payment::transfers_context(&state.db, rows).await?;
    let companies = if with_company {
        company_names(&state.db, rows.iter().map(|p| p.company_id)).await?
    } else {
        std::collections::HashMap::new()
    };
    let mut out = String::new();
    for p in rows {
        let mut line = Line::new();
        if with_company {
            line = line.text(companies.get(&p.company_id).map_or("", String::as_str));
        }
        let run = runs.get(&p.run_id);
        line.text(run.map_or("", |r| r.slot_key.as_str()))
            .day(run.map(|r| r.execution_date))
            .text(&p.end_to_end_id)
            .text(&p.payee_name)
            .text(&masked(&p.payee_iban))
            .money(Some(Money::from_cents(p.amount_cents)))
            .int(invoices.get(&p.id).copied().unwrap_or(0))
            .text(status::label(&p.status))
            .end(&mut out);
    }
    Ok(out)
}

/// `GET /entreprises/{id}/paiements.csv`: every transfer to the company, streamed as CSV.
pub async fn company_export(
    State(state): State<AppState>,
    scoped: Scoped,
    Path(company_id): Path<i64>,
    Query(query): Query<TransfersQuery>,
) -> Result<Response, AppError> {
    finance_company(&state, &scoped, company_id).await?;
    // The window does not apply to an export, but a malformed one is refused like on the page.
    listing::window(query.page, &query.par_page, &query.apres)?;
    let day = domain::clock::paris_day(state.now()).format("%Y-%m-%d");
    Ok(crate::csv::stream(&format!("virements-{company_id}-{day}.csv"), transfers_header(false), move |after| {
        let state = state.clone();
        async move {
            let (rows, next) = store::payment::transfers_chunk(&state.db, Some(company_id), after).await?;
            Ok((transfers_csv(&state, &rows, false).await?, next))
        }
    }))
}

/// `GET /gestion/paiements.csv`: every transfer of every frozen run, newest first, one line
/// each, streamed as CSV.
pub async fn runs_export(
    State(state): State<AppState>,
    Staff(_user): Staff,
    Query(query): Query<TransfersQuery>,
) -> Result<Response, AppError> {
    listing::window(query.page, &query.par_page, &query.apres)?;
    let day = domain::clock::paris_day(state.now()).format("%Y-%m-%d");
    Ok(crate::csv::stream(&format!("virements-{day}.csv"), transfers_header(true), move |after| {
        let state = state.clone();
        async move {
            let (rows, next) = store::payment::transfers_chunk(&state.db, None, after).await?;
            Ok((transfers_csv(&state, &rows, true).await?, next))
        }
    }))
}

/// A payment of the company, with the invoices it pays.
async fn payment_of(
    state: &AppState,
    scoped: &Scoped,
    company_id: i64,
    id: i64,
) -> Result<(String, Payment, Run), AppError> {
    let company_name = finance_company(state, scoped, company_id).await?;
    let (payment, run) = store::payment::payment(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if payment.company_id != company_id || run.status != run_status::FROZEN {
        return Err(AppError::NotFound);
    }
    Ok((company_name, payment, run))
}

/// `/entreprises/{id}/paiements/{payment}`
#[derive(Debug, Template)]
#[template(path = "paiements/show.html")]
pub struct PaymentPage {
    chrome: Chrome,
    company_id: i64,
    company_name: String,
    line: PaymentLine,
    run_reference: String,
    items: Vec<(Item, Money)>,
}

/// `GET /entreprises/{id}/paiements/{payment}`
pub async fn company_show(
    State(state): State<AppState>,
    chrome: Chrome,
    scoped: Scoped,
    Path((company_id, id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let (company_name, payment, run) = payment_of(&state, &scoped, company_id, id).await?;
    let items = store::payment::items_of(&state.db, &[payment.id])
        .await?
        .remove(&payment.id)
        .unwrap_or_default()
        .into_iter()
        .map(|i| {
            let amount = Money::from_cents(i.amount_cents);
            (i, amount)
        })
        .collect();
    let page = PaymentPage {
        chrome,
        company_id,
        company_name,
        run_reference: run.message_id.clone(),
        line: payment_line(payment, &run),
        items,
    };
    Ok(render::page(&page)?.into_response())
}

/// `GET /entreprises/{id}/paiements/{payment}/avis.pdf`
pub async fn company_advice(
    State(state): State<AppState>,
    scoped: Scoped,
    Path((company_id, id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let (_, payment, run) = payment_of(&state, &scoped, company_id, id).await?;
    let bytes = advice_pdf(&state.db, &state.config, &payment, &run).await?;
    Ok(attachment(bytes, &format!("avis-de-virement-{}.pdf", payment.end_to_end_id), "application/pdf"))
}

// ---------------------------------------------------------------------------------------------
// The operator's side.

/// A held invoice, for staff.
#[derive(Debug)]
pub struct HeldLine {
    held: Held,
    company: String,
}

/// A returned transfer to follow up.
#[derive(Debug)]
pub struct RejectedLine {
    payment: Payment,
    company: String,
    amount: Money,
}

/// A run in the list.
#[derive(Debug)]
pub struct RunLine {
    run: Run,
    total: Money,
    execution_date: String,
    frozen: bool,
}

/// `/gestion/paiements`
#[derive(Debug, Template)]
#[template(path = "gestion/paiements/index.html")]
pub struct RunsPage {
    chrome: Chrome,
    runs: Vec<RunLine>,
    pager: Pager,
    held: Vec<HeldLine>,
    rejected: Vec<RejectedLine>,
    can_pay: bool,
    next_run: Option<String>,
    notice: Option<&'static str>,
    /// Said without a run made: nothing to pay.
    info: Option<&'static str>,
    errors: FormErrors,
    problems: Vec<String>,
    imported: Option<String>,
}

/// What the list page may say after an action, and the window on the runs.
#[derive(Debug, Deserialize, Default)]
pub struct NoticeQuery {
    notice: Option<String>,
    #[serde(default)]
    page: PageNumber,
    #[serde(default)]
    par_page: String,
    #[serde(default)]
    apres: String,
}

async fn company_names(
    db: &store::Db,
    ids: impl Iterator<Item = i64>,
) -> Result<std::collections::HashMap<i64, String>, AppError> {
    // Every company of the page in one statement, not one per line.
    Ok(store::company::names_unscoped(db, &ids.collect::<Vec<_>>()).await?)
}

async fn runs_page(
    state: &AppState,
    chrome: Chrome,
    user: &crate::auth::CurrentUser,
    notice: Option<&'static str>,
    errors: FormErrors,
    problems: Vec<String>,
    window: Window,
) -> Result<RunsPage, AppError> {
    let listed = store::payment::runs_window(&state.db, window).await?;
    let pager = Pager::new("/gestion/paiements", &[], window, &listed).with_csv("/gestion/paiements.csv", &[]);
    let runs = listed
        .rows
        .into_iter()
        .map(|run| RunLine {
            total: Money::from_cents(run.total_cents),
            execution_date: day(run.execution_date),
            frozen: run.status == run_status::FROZEN,
            run,
        })
        .collect();
    let held_rows = store::payment::open_holds(&state.db).await?;
    let rejected_rows = store::payment::rejected_to_follow(&state.db).await?;
    let names = company_names(
        &state.db,
        held_rows.iter().map(|h| h.company_id).chain(rejected_rows.iter().map(|p| p.company_id)),
    )
    .await?;
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    Ok(RunsPage {
        chrome,
        runs,
        pager,
        held: held_rows.into_iter().map(|h| HeldLine { company: name(h.company_id), held: h }).collect(),
        rejected: rejected_rows
            .into_iter()
            .map(|p| RejectedLine {
                company: name(p.company_id),
                amount: Money::from_cents(p.amount_cents),
                payment: p,
            })
            .collect(),
        can_pay: user.require(Permission::Pay).is_ok(),
        next_run: next_run(&state.config, state.now()),
        notice,
        info: None,
        errors,
        problems,
        imported: None,
    })
}

/// `GET /gestion/paiements`
pub async fn runs(
    State(state): State<AppState>,
    chrome: Chrome,
    Staff(user): Staff,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let notice = match query.notice.as_deref() {
        Some("lance") => {
            Some("Le paiement est lancé : il apparaîtra dans la liste dès que le traitement l’aura terminé.")
        }
        Some("deja") => {
            Some("Un paiement manuel a déjà été demandé dans cette minute : il n’en est pas lancé un second.")
        }
        _ => None,
    };
    let info = (query.notice.as_deref() == Some("rien")).then_some(NOTHING_TO_PAY);
    let window = listing::window(query.page, &query.par_page, &query.apres)?;
    let mut page = runs_page(&state, chrome, &user, notice, FormErrors::new(), Vec::new(), window).await?;
    page.info = info;
    Ok(render::page(&page)?.into_response())
}

/// `POST /gestion/paiements/lancer`: a platform admin starts a run now; the worker performs it.
pub async fn start(State(state): State<AppState>, client: Client, Staff(user): Staff) -> Result<Response, AppError> {
    user.require(Permission::Pay)?;
    let now = state.now();
    let local = now.with_timezone(&chrono_tz::Europe::Paris);
    let key = format!("manuel-{}", local.format("%Y-%m-%dT%H:%M"));
    let txn = store::db::write(&state.db).await?;
    if store::job::find(&txn, RUN_JOB, &key).await?.is_some() {
        txn.rollback().await?;
        return Ok(Redirect::to("/gestion/paiements?notice=deja").into_response());
    }
    // Nothing approved awaits a payment: say so now rather than make an empty run (the worker
    // checks again when it performs the run).
    if !store::payment::anything_payable(&txn, now).await? {
        txn.rollback().await?;
        return Ok(Redirect::to("/gestion/paiements?notice=rien").into_response());
    }
    let payload = serde_json::json!({ "at": now.to_rfc3339(), "by": user.account.id });
    store::job::enqueue(&txn, RUN_JOB, &key, &payload, now).await?;
    audit(&txn, &user.actor(), "payment.run_requested", Some(("payment_run", key.clone())), &client, now).await?;
    txn.commit().await?;
    Ok(Redirect::to("/gestion/paiements?notice=lance").into_response())
}

/// `/gestion/paiements/{id}`
#[derive(Debug, Template)]
#[template(path = "gestion/paiements/show.html")]
pub struct RunPage {
    chrome: Chrome,
    run: Run,
    total: Money,
    execution_date: String,
    frozen: bool,
    payments: Vec<(Payment, String, Money, &'static str, usize)>,
    held: Vec<HeldLine>,
}

/// `GET /gestion/paiements/{id}`
pub async fn run_show(
    State(state): State<AppState>,
    chrome: Chrome,
    Staff(_user): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let run = store::payment::run(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let payments = store::payment::payments_of(&state.db, run.id).await?;
    let items = store::payment::items_of(&state.db, &payments.iter().map(|p| p.id).collect::<Vec<_>>()).await?;
    let holds = store::payment::holds_of(&state.db, run.id).await?;
    let names =
        company_names(&state.db, payments.iter().map(|p| p.company_id).chain(holds.iter().map(|h| h.company_id)))
            .await?;
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    let page = RunPage {
        chrome,
        total: Money::from_cents(run.total_cents),
        execution_date: day(run.execution_date),
        frozen: run.status == run_status::FROZEN,
        payments: payments
            .into_iter()
            .map(|p| {
                let count = items.get(&p.id).map_or(0, Vec::len);
                (name(p.company_id), Money::from_cents(p.amount_cents), status::label(&p.status), count, p)
            })
            .map(|(company, amount, label, count, p)| (p, company, amount, label, count))
            .collect(),
        held: holds.into_iter().map(|h| HeldLine { company: name(h.company_id), held: h }).collect(),
        run,
    };
    Ok(render::page(&page)?.into_response())
}

/// Keeps the SEPA file of a frozen run with transfers in the document store and records its hash
/// on the run, unless one is kept already; returns the bytes of the file now kept. The bytes are
/// acknowledged by the store before the row names them.
///
/// # Errors
/// As [`sepa_file`]; the store's ([`AppError`] 503 when it does not answer).
pub async fn keep_sepa_file(
    db: &store::Db,
    files: &store::document::Files,
    run: &Run,
    debtor: &documents::sepa::Debtor,
) -> Result<Vec<u8>, AppError> {
    if run.sepa_sha256.is_some() {
        return kept_sepa_file(db, files, run, debtor).await;
    }
    let bytes = sepa_file(db, run, debtor).await?.into_bytes();
    let sha256 = files.put(&bytes).await?;
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    if store::payment::keep_sepa(db, run.id, &sha256, size).await? {
        return Ok(bytes);
    }
    // Another process kept one first: that one is served.
    let run = store::payment::run(db, run.id).await?.ok_or(AppError::NotFound)?;
    kept_sepa_file(db, files, &run, debtor).await
}

/// The SEPA file of a run: the kept one when there is one, checked against its recorded hash;
/// otherwise rebuilt and kept now (runs frozen before files were kept).
///
/// # Errors
/// As [`sepa_file`]; a kept file that is gone or altered and that the database no longer
/// rebuilds identically (the debtor settings changed); the store's.
pub async fn kept_sepa_file(
    db: &store::Db,
    files: &store::document::Files,
    run: &Run,
    debtor: &documents::sepa::Debtor,
) -> Result<Vec<u8>, AppError> {
    let Some(expected) = &run.sepa_sha256 else {
        return Box::pin(keep_sepa_file(db, files, run, debtor)).await;
    };
    match files.get(expected).await {
        Ok(bytes) if store::document::sha256_hex(&bytes) == *expected => return Ok(bytes),
        Ok(_) | Err(store::document::FilesError::NotFound) => {}
        Err(err) => return Err(err.into()),
    }
    // Gone or altered in the store: the database may still rebuild the very same bytes.
    let rebuilt = sepa_file(db, run, debtor).await?.into_bytes();
    if store::document::sha256_hex(&rebuilt) == *expected {
        tracing::warn!(run.id = run.id, "kept SEPA file missing or altered in the store; rebuilt identical");
        return Ok(rebuilt);
    }
    Err(AppError::Conflict {
        code: "sepa_file_lost",
        message:
            "Le fichier SEPA conservé de ce paiement est introuvable ou altéré dans le stockage des documents, et \
                  les réglages actuels ne le reconstruisent pas à l’identique : restaurez-le depuis une sauvegarde \
                  (voir « espace-formation check »)."
                .into(),
    })
}

/// `GET /gestion/paiements/{id}/sepa.xml`
pub async fn run_sepa(
    State(state): State<AppState>,
    Staff(_user): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let run = store::payment::run(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let xml = kept_sepa_file(&state.db, &state.files, &run, &state.config.debtor).await?;
    Ok(attachment(xml, &format!("{}.xml", run.message_id), "application/xml"))
}

/// What importing a returns file did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReturnsReport {
    /// Transfers confirmed by the bank.
    pub settled: usize,
    /// Transfers returned: their invoices are payable again.
    pub rejected: usize,
    /// Lines that changed nothing (already recorded).
    pub unchanged: usize,
    /// The very same file was imported before: nothing was applied.
    pub already_imported: bool,
}

impl ReturnsReport {
    /// One sentence in French.
    #[must_use]
    pub fn summary(&self) -> String {
        if self.already_imported {
            return "Ce fichier a déjà été importé : rien n’a changé.".to_owned();
        }
        format!(
            "Retours de la banque importés : {} virement(s) confirmé(s), {} rejeté(s), {} ligne(s) sans changement.",
            self.settled, self.rejected, self.unchanged
        )
    }
}

/// Why a returns file was refused; nothing of it was applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Le fichier des retours est refusé, rien n’a été appliqué :\n{}", .0.join("\n"))]
pub struct ReturnsRefused(pub Vec<String>);

/// Why a returns file was not applied: the file's fault (shown line by line), or ours (the
/// database's text goes to the log; the page says only that something failed).
#[derive(Debug, thiserror::Error)]
pub enum ReturnsError {
    /// The file is refused.
    #[error(transparent)]
    Refused(#[from] ReturnsRefused),
    /// The database failed; nothing was applied (one transaction).
    #[error("la base de données a échoué, rien n’a été appliqué")]
    Database(#[source] store::DbErr),
}

/// Applies a bank's returns file (camt.054 or the documented CSV): every line must name a
/// transfer the portal sent, for its exact amount, or nothing is applied. A settled transfer is
/// recorded; a returned one makes its invoices payable again and rings the company's bell. The
/// same file imported twice changes nothing.
///
/// # Errors
/// [`ReturnsError::Refused`] with a message per line at fault; [`ReturnsError::Database`] when
/// the database fails (its text is for the log, never for a page).
pub async fn apply_returns(
    db: &store::Db,
    bytes: &[u8],
    file_name: &str,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<ReturnsReport, ReturnsError> {
    let failed = ReturnsError::Database;
    let digest = {
        use sha2::Digest as _;
        sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    if store::payment::bank_return(db, &digest).await.map_err(failed)?.is_some() {
        return Ok(ReturnsReport { already_imported: true, ..ReturnsReport::default() });
    }
    let lines = documents::bank_return::read_returns(bytes)
        .map_err(|errors| ReturnsRefused(errors.iter().map(ToString::to_string).collect()))?;
    if lines.is_empty() {
        return Err(ReturnsRefused(vec!["le fichier ne contient aucun virement".to_owned()]).into());
    }
    let ids: Vec<String> = lines.iter().map(|l| l.end_to_end_id.clone()).collect();
    let payments = store::payment::by_end_to_end(db, &ids).await.map_err(failed)?;
    let mut problems = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for line in &lines {
        if !seen.insert(line.end_to_end_id.as_str()) {
            problems.push(format!(
                "ligne {} : la référence {} figure deux fois dans le fichier",
                line.line, line.end_to_end_id
            ));
            continue;
        }
        match payments.get(&line.end_to_end_id) {
            None => problems.push(format!(
                "ligne {} : aucun virement émis ne porte la référence {}",
                line.line, line.end_to_end_id
            )),
            Some(p) if p.amount_cents != line.amount_cents => problems.push(format!(
                "ligne {} : {} au lieu de {} pour le virement {} (écart {})",
                line.line,
                Money::from_cents(line.amount_cents),
                Money::from_cents(p.amount_cents),
                p.end_to_end_id,
                Money::from_cents(line.amount_cents - p.amount_cents)
            )),
            Some(_) => {}
        }
    }
    if !problems.is_empty() {
        return Err(ReturnsRefused(problems).into());
    }
    let settled = lines.iter().filter(|l| l.outcome == documents::bank_return::Outcome::Settled).count();
    let counts = (i64::try_from(settled).unwrap_or(0), i64::try_from(lines.len() - settled).unwrap_or(0));
    let txn = store::db::write(db).await.map_err(failed)?;
    let record = match store::payment::record_bank_return(&txn, &digest, file_name, counts, by, now).await {
        Ok(record) => record,
        Err(e) if store::db::is_unique_violation(&e) => {
            return Ok(ReturnsReport { already_imported: true, ..ReturnsReport::default() });
        }
        Err(e) => return Err(failed(e)),
    };
    let mut report = ReturnsReport::default();
    for line in &lines {
        let Some(payment) = payments.get(&line.end_to_end_id) else { continue };
        match &line.outcome {
            documents::bank_return::Outcome::Settled => {
                if store::payment::settle(&txn, payment.id, record.id, now).await.map_err(failed)? {
                    report.settled += 1;
                } else {
                    report.unchanged += 1;
                }
            }
            documents::bank_return::Outcome::Rejected { code, reason } => {
                let text = if reason.is_empty() { code.clone() } else { format!("{reason} ({code})") };
                if store::payment::reject(&txn, payment.id, &text, record.id, now).await.map_err(failed)? {
                    report.rejected += 1;
                    let news = NewNotification {
                        kind: "payment.rejected",
                        title: format!("Virement rejeté : {}", Money::from_cents(payment.amount_cents)),
                        body: format!(
                            "La banque a rejeté le virement {} vers le compte {} : {text}. Les factures concernées seront payées au prochain paiement ; vérifiez les coordonnées bancaires de l’entreprise.",
                            payment.end_to_end_id,
                            masked(&payment.payee_iban)
                        ),
                        link: Some(format!("/entreprises/{}/paiements/{}", payment.company_id, payment.id)),
                    };
                    store::notification::ring_company(&txn, payment.company_id, &[], &news, now)
                        .await
                        .map_err(failed)?;
                } else {
                    report.unchanged += 1;
                }
            }
        }
    }
    txn.commit().await.map_err(failed)?;
    Ok(report)
}

/// `POST /gestion/paiements/retours`: a platform admin imports the bank's returns.
pub async fn returns(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    Staff(user): Staff,
    request: Request,
) -> Result<Response, AppError> {
    // Decided before the body (up to RETURNS_BODY_LIMIT) is read: other staff are refused at
    // once, without their upload costing the server anything.
    user.require(Permission::Pay)?;
    let form = MultipartForm::from_request(request, &state).await?;
    let Some(file) = form.files.iter().find(|f| f.field == "returns") else {
        let mut errors = FormErrors::new();
        errors.add("returns", "Choisissez le fichier des retours de la banque (camt.054 ou CSV).");
        let page = runs_page(&state, chrome, &user, None, errors, Vec::new(), Window::default()).await?;
        return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let now = state.now();
    match apply_returns(&state.db, &file.bytes, &file.file_name, Some(user.account.id), now).await {
        Ok(report) => {
            audit(
                &state.db,
                &user.actor(),
                "payment.returns_imported",
                Some(("bank_return", file.file_name.clone())),
                &client,
                now,
            )
            .await?;
            let mut page =
                runs_page(&state, chrome, &user, None, FormErrors::new(), Vec::new(), Window::default()).await?;
            page.imported = Some(report.summary());
            Ok(render::page(&page)?.into_response())
        }
        Err(ReturnsError::Database(e)) => Err(e.into()),
        Err(ReturnsError::Refused(refused)) => {
            let mut errors = FormErrors::new();
            errors.add(
                "returns",
                format!("« {} » est refusé : rien n’a été appliqué. Corrigez les lignes ci-dessous.", file.file_name),
            );
            let page = runs_page(&state, chrome, &user, None, errors, refused.0, Window::default()).await?;
            render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}
