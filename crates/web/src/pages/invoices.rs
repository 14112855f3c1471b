//! The company's own invoice for a proforma (SPEC F3, F6, F7, F8): uploaded as an e-invoice whose
//! XML (Factur-X/CII or UBL) is read automatically, or as a PDF whose key fields the person
//! confirms; checked field by field against the proforma (nothing is saved while anything differs);
//! then approved by a case manager, which makes it payable, or refused with a reason.

use askama::Template;
use axum::extract::{FromRequest as _, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::Money;
use domain::invoice::{Expected, Found};
use serde::Deserialize;
use store::document::{Kind, NewDocument};
use store::invoice::{Invoice, InvoiceFilter, NewInvoice, status};
use store::notification::NewNotification;
use store::proforma::Proforma;

use crate::auth::{Filer, Scoped, Staff};
use crate::chrome::Chrome;
use crate::client::Client;
use crate::csv::Line;
use crate::error::AppError;
use crate::extract::{Form, MultipartForm, PageNumber, Query, UploadedFile};
use crate::forms::FormErrors;
use crate::listing::{self, Pager};
use crate::notify::audit;
use crate::pages::filing::tell_company;
use crate::pages::proformas::{proforma_of, show_page};
use crate::policy::Permission;
use crate::render;
use crate::state::AppState;

/// Largest e-invoice XML accepted.
const MAX_XML_BYTES: usize = 2 * 1024 * 1024;

/// The body limit of the upload route: the invoice, a RIB and the form.
pub const UPLOAD_BODY_LIMIT: usize = 2 * documents::upload::MAX_PDF_BYTES + 64 * 1024;

/// The key fields as the person typed them (kept on a refused upload).
#[derive(Debug, Clone, Default)]
pub struct UploadValues {
    pub(crate) number: String,
    pub(crate) buyer_name: String,
    pub(crate) seller_siren: String,
    pub(crate) net: String,
    pub(crate) vat: String,
    pub(crate) gross: String,
    pub(crate) iban: String,
}

impl UploadValues {
    fn from_form(form: &MultipartForm) -> Self {
        let text = |name: &str| form.text(name).trim().to_owned();
        Self {
            number: text("number"),
            buyer_name: text("buyer_name"),
            seller_siren: text("seller_siren"),
            net: text("net"),
            vat: text("vat"),
            gross: text("gross"),
            iban: text("iban"),
        }
    }
}

/// What the proforma expects of its invoice: addressed to the payer's configured name only.
fn expected(state: &AppState, proforma: &Proforma, siren: &str) -> Expected {
    Expected {
        payer: state.config.names.payer(&proforma.payer).to_owned(),
        payer_names: state.config.names.addressees(&proforma.payer),
        siren: siren.to_owned(),
        net: Money::from_cents(proforma.net_cents),
        vat: Money::from_cents(proforma.vat_cents),
        gross: Money::from_cents(proforma.gross_cents),
    }
}

fn is_xml(bytes: &[u8]) -> bool {
    let start = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    start.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<')
}

/// The key fields of an e-invoice's XML.
fn from_xml(
    errors: &mut FormErrors,
    file: &UploadedFile,
    xml: &[u8],
    rib: bool,
    pdf: bool,
) -> Option<(Found, &'static str)> {
    match documents::facturx::read_invoice_xml(xml) {
        Ok(read) => Some((
            Found {
                number: read.number,
                buyer_name: read.buyer_name,
                seller_siren: read.seller_siren,
                net: Money::from_cents(read.net_cents),
                vat: Money::from_cents(read.vat_cents),
                gross: Money::from_cents(read.gross_cents),
                iban: read.payee_iban,
                rib_attached: rib,
            },
            match (pdf, read.syntax) {
                (true, _) => "facturx",
                (false, documents::facturx::Syntax::Cii) => "cii",
                (false, documents::facturx::Syntax::Ubl) => "ubl",
            },
        )),
        Err(e) => {
            errors.add("invoice", format!("« {} » : {e}", file.file_name));
            None
        }
    }
}

/// Reads the invoice: its XML (alone, or inside a Factur-X PDF), or the fields confirmed for a
/// plain PDF. Errors go to `errors`.
fn read(
    errors: &mut FormErrors,
    file: &UploadedFile,
    values: &UploadValues,
    rib: bool,
) -> Option<(Found, &'static str)> {
    if is_xml(&file.bytes) {
        if file.bytes.len() > MAX_XML_BYTES {
            errors.add("invoice", "La facture électronique dépasse 2 Mo.");
            return None;
        }
        return from_xml(errors, file, &file.bytes, rib, false);
    }
    if let Err(e) = documents::upload::check_pdf(&file.bytes) {
        errors.add(
            "invoice",
            format!(
                "« {} » : {e} Les factures électroniques XML (Factur-X, UBL) sont aussi acceptées.",
                file.file_name
            ),
        );
        return None;
    }
    match documents::facturx::xml_in_pdf(&file.bytes) {
        Ok(Some(xml)) => return from_xml(errors, file, &xml, rib, true),
        Ok(None) => {}
        Err(e) => {
            errors.add("invoice", format!("« {} » : {e}", file.file_name));
            return None;
        }
    }
    // A PDF is not read: the person confirms what it says.
    let money = |errors: &mut FormErrors, field: &'static str, label: &str, text: &str| {
        if text.is_empty() {
            errors.add(field, format!("Recopiez le {label} de votre facture."));
            return None;
        }
        errors.check(field, Money::parse(text))
    };
    let net = money(errors, "net", "montant HT", &values.net);
    let vat = if values.vat.is_empty() { Some(Money::ZERO) } else { errors.check("vat", Money::parse(&values.vat)) };
    let gross = money(errors, "gross", "montant TTC (ou net de taxes)", &values.gross);
    Some((
        Found {
            number: values.number.clone(),
            buyer_name: values.buyer_name.clone(),
            seller_siren: Some(values.seller_siren.clone()).filter(|s| !s.is_empty()),
            net: net?,
            vat: vat?,
            gross: gross?,
            iban: Some(values.iban.clone()).filter(|s| !s.is_empty()),
            rib_attached: rib,
        },
        "pdf",
    ))
}

/// `POST /entreprises/{id}/factures/{proforma}/facture`: uploads the company's invoice.
pub async fn upload(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    scoped: Filer,
    Path((company_id, id)): Path<(i64, i64)>,
    request: Request,
) -> Result<Response, AppError> {
    let proforma = proforma_of(&state, &scoped, company_id, id).await?;
    let form = MultipartForm::from_request(request, &state).await?;
    match file_invoice(&state, &client, &scoped, &proforma, &form).await? {
        Ok(_) => {
            Ok(Redirect::to(&format!("/entreprises/{company_id}/factures/{id}?notice=facture-deposee")).into_response())
        }
        Err(errors) => {
            let page =
                show_page(&state, chrome, &scoped, company_id, id, UploadValues::from_form(&form), errors).await?;
            render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// Files the company's invoice for `proforma` (reached by the caller) from a form: the file in
/// `invoice`, a RIB in `rib`, the key fields of a plain PDF. Refusals come back field by field;
/// nothing is saved then. Shared by the page and the EDI API.
pub(crate) async fn file_invoice(
    state: &AppState,
    client: &Client,
    scoped: &Scoped,
    proforma: &Proforma,
    form: &MultipartForm,
) -> Result<Result<Invoice, FormErrors>, AppError> {
    let (company_id, id) = (proforma.company_id, proforma.id);
    let values = UploadValues::from_form(form);
    let company = store::company::get(&state.db, &scoped.scope, company_id).await?.ok_or(AppError::NotFound)?;
    let mut errors = FormErrors::new();
    let file = form.files.iter().find(|f| f.field == "invoice");
    let rib = form.files.iter().find(|f| f.field == "rib");
    if let Some(rib) = rib
        && let Err(e) = documents::upload::check_pdf(&rib.bytes)
    {
        errors.add("rib", format!("RIB « {} » : {e}", rib.file_name));
    }
    let read = match file {
        Some(file) => read(&mut errors, file, &values, rib.is_some()),
        None => {
            errors.add("invoice", "Joignez votre facture (PDF, ou XML Factur-X / UBL).");
            None
        }
    };
    if let Some((found, _)) = &read {
        for mismatch in domain::invoice::check(&expected(state, proforma, company.siren.as_str()), found) {
            errors.add(mismatch.field(), mismatch.to_string());
        }
    }
    let (Some(file), Some((found, syntax)), true) = (file, read, errors.is_empty()) else {
        return Ok(Err(errors));
    };
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    // One invoice at a time, checked under the proforma's lock where it is written: of two
    // uploads at once the second waits, then sees the first (SPEC Q2).
    store::db::lock(&txn, store::db::Locked::Proforma, id).await?;
    if store::invoice::for_proforma(&txn, id).await?.iter().any(|i| i.status != status::REJECTED) {
        txn.rollback().await?;
        return Err(AppError::Conflict {
            code: "invoice_exists",
            message: "Une facture est déjà déposée pour cette pro forma.".into(),
        });
    }
    let mut stored = Vec::new();
    for (upload, kind) in [(Some(file), Kind::Invoice), (rib, Kind::Rib)] {
        let Some(upload) = upload else {
            stored.push(None);
            continue;
        };
        let sha256 = state.files.put(&upload.bytes).await?;
        let content_type = if kind == Kind::Invoice && matches!(syntax, "cii" | "ubl") {
            "application/xml"
        } else {
            "application/pdf"
        };
        let document = NewDocument {
            company_id,
            dossier_id: None,
            reimbursement_id: None,
            proforma_id: Some(id),
            kind,
            // The extension says what was checked (a PDF, or the XML read), never what the
            // person's file name claimed.
            file_name: documents::upload::with_extension(
                &upload.file_name,
                kind.code(),
                if content_type == "application/xml" { "xml" } else { "pdf" },
            ),
            sha256,
            size: i64::try_from(upload.bytes.len()).unwrap_or(i64::MAX),
            content_type: content_type.to_owned(),
            uploaded_by: scoped.user.account.id,
        };
        stored.push(Some(store::document::create(&txn, document, now).await?.id));
    }
    let input = NewInvoice {
        proforma_id: id,
        company_id,
        number: found.number.trim().to_owned(),
        syntax,
        buyer_name: found.buyer_name.trim().to_owned(),
        seller_siren: found.seller_siren,
        net: found.net,
        vat: found.vat,
        gross: found.gross,
        iban: found.iban,
        document_id: stored[0].ok_or(AppError::NotFound)?,
        rib_document_id: stored.get(1).copied().flatten(),
        uploaded_by: scoped.user.account.id,
    };
    let invoice = store::invoice::create(&txn, input, now).await?;
    audit(&txn, &scoped.user.actor(), "invoice.uploaded", Some(("invoice", invoice.id.to_string())), client, now)
        .await?;
    txn.commit().await?;
    Ok(Ok(invoice))
}

/// A line of the staff queue.
#[derive(Debug)]
pub struct QueueLine {
    invoice: Invoice,
    company: String,
    proforma: String,
    /// The status shown (`paid` once its transfer is issued).
    shown: &'static str,
    label: &'static str,
    gross: Money,
}

/// The invoices to check.
#[derive(Debug, Template)]
#[template(path = "gestion/factures/queue.html")]
pub struct QueuePage {
    chrome: Chrome,
    lines: Vec<QueueLine>,
    statut: String,
    payers: Vec<(&'static str, String)>,
    query: QueueQuery,
    pager: Pager,
}

/// The address of the invoice queue: filters and window.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct QueueQuery {
    /// A state code, `tous`, or nothing (what waits for a check).
    #[serde(default)]
    statut: Option<String>,
    /// Company name or SIREN.
    #[serde(default)]
    entreprise: String,
    /// Number of the invoice or of its proforma.
    #[serde(default)]
    q: String,
    /// `AKTO` or `FPETT`.
    #[serde(default)]
    financeur: String,
    /// Uploaded from this day.
    #[serde(default)]
    du: String,
    /// Uploaded up to this day.
    #[serde(default)]
    au: String,
    #[serde(default)]
    page: PageNumber,
    #[serde(default)]
    par_page: String,
    #[serde(default)]
    apres: String,
}

impl QueueQuery {
    /// The filters, parsed, and the state as shown (`tous` for every state).
    ///
    /// # Errors
    /// A French 400 or 422 naming the parameter at fault.
    fn filter(&self) -> Result<(InvoiceFilter, String), AppError> {
        let states = [status::SUBMITTED, status::APPROVED, status::PAID, status::REJECTED];
        let state = match self.statut.as_deref().map(str::trim) {
            None => Some(status::SUBMITTED),
            Some("" | "tous") => None,
            Some(code) => Some(states.into_iter().find(|s| *s == code).ok_or_else(|| {
                AppError::invalid("statut", "L’état demandé (« statut ») n’existe pas ; choisissez-le dans la liste.")
            })?),
        };
        let payer = listing::text(&self.financeur);
        if let Some(code) = &payer
            && domain::rules::Payer::from_code(code).is_none()
        {
            return Err(AppError::invalid(
                "financeur",
                "Le financeur demandé (« financeur ») n’existe pas ; choisissez-le dans la liste.",
            ));
        }
        let (from, to) = listing::days(&self.du, &self.au)?;
        let (from, until) = listing::paris_instants(from, to);
        let filter = InvoiceFilter {
            status: state,
            company: listing::text(&self.entreprise),
            number: listing::text(&self.q),
            payer,
            from,
            until,
        };
        Ok((filter, state.unwrap_or("tous").to_owned()))
    }

    /// The filters as they go back into links (pager, export), `statut` as shown.
    fn kept<'a>(&'a self, statut: &'a str) -> [(&'static str, &'a str); 6] {
        [
            ("statut", statut),
            ("entreprise", &self.entreprise),
            ("q", &self.q),
            ("financeur", &self.financeur),
            ("du", &self.du),
            ("au", &self.au),
        ]
    }
}

/// What a page or a chunk of the queue shows besides the invoices: companies, proformas and
/// what the payments say, read for all the lines at once.
struct Context {
    companies: std::collections::HashMap<i64, String>,
    proformas: std::collections::HashMap<i64, (String, String)>,
    settlements: std::collections::HashMap<i64, domain::settlement::Settlement>,
}

impl Context {
    async fn of(state: &AppState, rows: &[Invoice]) -> Result<Self, AppError> {
        let company_ids: Vec<i64> = rows.iter().map(|i| i.company_id).collect();
        let proforma_ids: Vec<i64> = rows.iter().map(|i| i.proforma_id).collect();
        let ids: Vec<i64> = rows.iter().map(|i| i.id).collect();
        Ok(Self {
            companies: store::company::names_unscoped(&state.db, &company_ids).await?,
            proformas: store::proforma::numbers_unscoped(&state.db, &proforma_ids).await?,
            settlements: store::payment::settlements(&state.db, &ids).await?,
        })
    }

    fn shown(&self, invoice: &Invoice) -> &'static str {
        status::shown(&invoice.status, self.settlements.get(&invoice.id))
    }
}

/// `GET /gestion/factures`: one page of the invoices, oldest upload first; companies,
/// proformas and payments are read for the whole page at once.
pub async fn queue(
    State(state): State<AppState>,
    chrome: Chrome,
    Staff(_user): Staff,
    Query(query): Query<QueueQuery>,
) -> Result<Response, AppError> {
    let (filter, statut) = query.filter()?;
    let window = listing::window(query.page, &query.par_page, &query.apres)?;
    let listed = store::invoice::queue(&state.db, &filter, window).await?;
    let pager = Pager::new("/gestion/factures", &query.kept(&statut), window, &listed)
        .with_csv("/gestion/factures.csv", &query.kept(&statut));
    let context = Context::of(&state, &listed.rows).await?;
    let lines = listed
        .rows
        .into_iter()
        .map(|invoice| {
            let shown = context.shown(&invoice);
            QueueLine {
                company: context.companies.get(&invoice.company_id).cloned().unwrap_or_default(),
                proforma: context.proformas.get(&invoice.proforma_id).map(|(n, _)| n.clone()).unwrap_or_default(),
                shown,
                label: status::label(shown),
                gross: Money::from_cents(invoice.gross_cents),
                invoice,
            }
        })
        .collect();
    let payers = [domain::rules::Payer::Akto, domain::rules::Payer::Fpett]
        .iter()
        .map(|p| (p.code(), state.config.names.payer(p.code()).to_owned()))
        .collect();
    Ok(render::page(&QueuePage { chrome, lines, statut, payers, query, pager })?.into_response())
}

/// `GET /gestion/factures.csv`: the filtered invoices, whole, streamed as CSV.
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
        "Facture",
        "Entreprise",
        "Pro forma",
        "Financeur",
        "Déposée le",
        "HT",
        "TVA",
        "TTC",
        "État",
    ]);
    Ok(crate::csv::stream(&format!("factures-{day}.csv"), header, move |after| {
        let (state, filter) = (state.clone(), filter.clone());
        async move {
            let (rows, next) = store::invoice::queue_chunk(&state.db, &filter, after).await?;
            let context = Context::of(&state, &rows).await?;
            let mut out = String::new();
            for invoice in &rows {
                let (proforma, payer) = context.proformas.get(&invoice.proforma_id).cloned().unwrap_or_default();
                Line::new()
                    .text(&invoice.number)
                    .text(context.companies.get(&invoice.company_id).map_or("", String::as_str))
                    .text(&proforma)
                    .text(state.config.names.payer(&payer))
                    .day(Some(domain::clock::paris_day(invoice.uploaded_at)))
                    .money(Some(Money::from_cents(invoice.net_cents)))
                    .money(Some(Money::from_cents(invoice.vat_cents)))
                    .money(Some(Money::from_cents(invoice.gross_cents)))
                    .text(status::label(context.shown(invoice)))
                    .end(&mut out);
            }
            Ok((out, next))
        }
    }))
}

/// An invoice in the back-office.
#[derive(Debug, Template)]
#[template(path = "gestion/factures/show.html")]
pub struct StaffPage {
    chrome: Chrome,
    invoice: Invoice,
    /// The status shown (`paid` once its transfer is issued).
    shown: &'static str,
    label: &'static str,
    /// When its transfer was issued or why it came back, with the remittance advice.
    money: Option<crate::pages::payments::MoneyNote>,
    company: String,
    proforma: Proforma,
    payer: String,
    /// How the stored invoice differs from its proforma, checked again on this page with the
    /// rules of the upload (an invoice stored before a rule changed is judged by today's rule):
    /// approval is refused while there is any.
    mismatches: Vec<String>,
    net: Money,
    vat: Money,
    gross: Money,
    can_decide: bool,
    errors: FormErrors,
    conflict: Option<String>,
}

/// What a stored invoice says, as the upload read it.
fn found_in(invoice: &Invoice) -> Found {
    Found {
        number: invoice.number.clone(),
        buyer_name: invoice.buyer_name.clone(),
        seller_siren: invoice.seller_siren.clone(),
        net: Money::from_cents(invoice.net_cents),
        vat: Money::from_cents(invoice.vat_cents),
        gross: Money::from_cents(invoice.gross_cents),
        iban: invoice.iban.clone(),
        rib_attached: invoice.rib_document_id.is_some(),
    }
}

async fn staff_page(
    state: &AppState,
    chrome: Chrome,
    user: &crate::auth::CurrentUser,
    id: i64,
    errors: FormErrors,
    conflict: Option<String>,
) -> Result<StaffPage, AppError> {
    let scope = store::attachment::scope(&state.db, user.account.id, user.account.role).await?;
    let invoice = store::invoice::get(&state.db, &scope, id).await?.ok_or(AppError::NotFound)?;
    let proforma = store::proforma::get(&state.db, &scope, invoice.proforma_id).await?.ok_or(AppError::NotFound)?;
    let settlement = store::payment::settlements(&state.db, &[invoice.id])
        .await?
        .remove(&invoice.id)
        .filter(|_| invoice.status == status::APPROVED);
    let shown = status::shown(&invoice.status, settlement.as_ref());
    let company = store::company::get_unscoped(&state.db, invoice.company_id).await?.ok_or(AppError::NotFound)?;
    let mismatches = domain::invoice::check(&expected(state, &proforma, company.siren.as_str()), &found_in(&invoice))
        .iter()
        .map(ToString::to_string)
        .collect();
    Ok(StaffPage {
        chrome,
        shown,
        label: status::label(shown),
        money: crate::pages::payments::money_note(&scope, settlement.as_ref()),
        company: company.name,
        payer: state.config.names.payer(&proforma.payer).to_owned(),
        mismatches,
        net: Money::from_cents(invoice.net_cents),
        vat: Money::from_cents(invoice.vat_cents),
        gross: Money::from_cents(invoice.gross_cents),
        can_decide: user.require(Permission::Instruct).is_ok() && invoice.status == status::SUBMITTED,
        proforma,
        invoice,
        errors,
        conflict,
    })
}

/// `GET /gestion/factures/{id}`
pub async fn staff_show(
    State(state): State<AppState>,
    chrome: Chrome,
    Staff(user): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    Ok(render::page(&staff_page(&state, chrome, &user, id, FormErrors::new(), None).await?)?.into_response())
}

/// What the decision form sends.
#[derive(Debug, Deserialize, Default)]
pub struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    version: String,
}

/// `POST /gestion/factures/{id}/decision`: approve (payable) or refuse with a reason.
pub async fn decide(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    Staff(user): Staff,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    user.require(Permission::Instruct)?;
    let page = staff_page(&state, chrome.clone(), &user, id, FormErrors::new(), None).await?;
    let reason = form.reason.trim().to_owned();
    let (to, reason) = match form.decision.as_str() {
        "approve" if !page.mismatches.is_empty() => {
            let mut errors = FormErrors::new();
            errors.add(
                "decision",
                "Cette facture ne correspond pas à sa pro forma (voir les écarts) : refusez-la avec un motif, elle ne peut pas être approuvée.",
            );
            let page = staff_page(&state, chrome, &user, id, errors, None).await?;
            return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
        "approve" => (status::APPROVED, None),
        "reject" if !reason.is_empty() => (status::REJECTED, Some(reason)),
        "reject" => {
            let mut errors = FormErrors::new();
            errors.add("reason", "Indiquez le motif du refus : il est transmis à l’entreprise.");
            let page = staff_page(&state, chrome, &user, id, errors, None).await?;
            return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
        _ => {
            let mut errors = FormErrors::new();
            errors.add("decision", "Choisissez : approuver ou refuser.");
            let page = staff_page(&state, chrome, &user, id, errors, None).await?;
            return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let now = state.now();
    let version = form.version.parse::<i64>().unwrap_or(-1);
    let txn = store::db::write(&state.db).await?;
    if !store::invoice::decide(&txn, id, version, to, reason.clone(), user.account.id, now).await? {
        txn.rollback().await?;
        let conflict =
            "Cette facture a été traitée entre-temps : voici son état actuel. Rien n’a été enregistré.".to_owned();
        let page = staff_page(&state, chrome, &user, id, FormErrors::new(), Some(conflict)).await?;
        return render::page_with_status(StatusCode::CONFLICT, &page);
    }
    let invoice = &page.invoice;
    let body = match &reason {
        None => format!(
            "Votre facture {} (pro forma {}) est approuvée : elle sera payée au prochain virement.",
            invoice.number, page.proforma.number
        ),
        Some(r) => format!(
            "Votre facture {} (pro forma {}) est refusée. Motif : {r}. Vous pouvez en déposer une autre.",
            invoice.number, page.proforma.number
        ),
    };
    let notification = NewNotification {
        kind: "invoice.decision",
        title: format!("Facture {} : {}", invoice.number, status::label(to)),
        body,
        link: Some(format!("/entreprises/{}/factures/{}", invoice.company_id, invoice.proforma_id)),
    };
    tell_company(&txn, &state, invoice.company_id, invoice.uploaded_by, &notification, now).await?;
    audit(&txn, &user.actor(), &format!("invoice.{to}"), Some(("invoice", id.to_string())), &client, now).await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/gestion/factures/{id}?notice=decision")).into_response())
}
