//! Proforma invoices (SPEC F3–F7): a person with the invoicing habilitation chooses validated DR
//! of one payer and one public (optionally one scheme) and issues a numbered proforma, shown in
//! the portal and as a PDF, which the company checks before issuing its own invoice.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::Money;
use domain::habilitation::Domain;
use domain::proforma::{Candidate, Selection};
use domain::rules::Public;
use serde::Deserialize;
use store::proforma::{Item, NewProforma, Proforma, ProformaFilter, invoice_state};

use crate::auth::{Filer, Scoped};
use crate::chrome::Chrome;
use crate::client::Client;
use crate::csv::Line;
use crate::error::AppError;
use crate::extract::{Form, PageNumber, Query};
use crate::forms::FormErrors;
use crate::listing::{self, Pager};
use crate::notify::audit;
use crate::pages::filing::establishments_for;
use crate::render;
use crate::state::AppState;

/// The payers a proforma may be addressed to (F6), with their names on the document, from the
/// configuration.
pub(crate) fn payer_name(config: &crate::state::WebConfig, payer: &str) -> String {
    match domain::rules::Payer::from_code(payer) {
        Some(domain::rules::Payer::Fpett) => config.names.fpett_on_documents(),
        _ => config.names.operator.clone(),
    }
}

fn public_label(code: &str) -> &'static str {
    Public::from_code(code).map_or("", Public::label)
}

/// A line of the page: a validated DR and its dossier.
#[derive(Debug)]
pub struct ItemLine {
    item: Item,
    public: &'static str,
    amount: Money,
}

/// The most validated DR offered at once for a proforma: the page and the form stay bounded; the
/// others are offered once these are invoiced (oldest first).
pub const MAX_OFFERED: u64 = 200;

/// What the page says of the validated DR of the chosen group beyond the [`MAX_OFFERED`] shown.
#[must_use]
pub fn more_waiting_message(in_group: u64, shown: u64) -> Option<String> {
    let more = in_group.saturating_sub(shown);
    (more > 0).then(|| {
        let (autres, attendent) = if more > 1 { ("autres demandes validées attendent", "elles") } else { ("autre demande validée attend", "elle") };
        format!(
            "Les {shown} demandes les plus anciennes sont proposées ; {more} {autres} : {attendent} apparaîtront ici une fois celles-ci facturées."
        )
    })
}

/// The proformas page: those issued (one page of them), and the form to issue one.
#[derive(Debug, Template)]
#[template(path = "factures/list.html")]
pub struct ListPage {
    chrome: Chrome,
    company_id: i64,
    company_name: String,
    proformas: Vec<(Proforma, Money, Option<InvoiceState>)>,
    /// Validated DR awaiting a proforma, by payer and public: (payer, public, its label, count, net).
    groups: Vec<(String, String, &'static str, u64, Money)>,
    /// The DR of the group chosen (F5, F6: one payer, one public per proforma), at most
    /// [`MAX_OFFERED`].
    available: Vec<ItemLine>,
    /// How many more of the group wait beyond those offered, said in French.
    more_waiting: Option<String>,
    schemes: Vec<String>,
    form: IssueForm,
    errors: FormErrors,
    states: Vec<(&'static str, &'static str)>,
    query: ListQuery,
    pager: Pager,
}

/// The address of the proformas page: the group a proforma is prepared for (chosen first), the
/// filters of the list of proformas and its window.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct ListQuery {
    #[serde(default)]
    financeur: String,
    #[serde(default)]
    public: String,
    /// The state of the proforma's invoice (`a_deposer`, an invoice state), or all.
    #[serde(default)]
    statut: String,
    /// Number of the proforma or of its invoice.
    #[serde(default)]
    q: String,
    /// Issued from this day.
    #[serde(default)]
    du: String,
    /// Issued up to this day.
    #[serde(default)]
    au: String,
    #[serde(default)]
    page: PageNumber,
    #[serde(default)]
    par_page: String,
    #[serde(default)]
    apres: String,
}

impl ListQuery {
    /// The filters of the list of proformas, parsed.
    ///
    /// # Errors
    /// A French 400 or 422 naming the parameter at fault.
    fn filter(&self) -> Result<ProformaFilter, AppError> {
        let state = match self.statut.trim() {
            "" | "tous" => None,
            code => Some(invoice_state::ALL.into_iter().find(|s| *s == code).ok_or_else(|| {
                AppError::invalid("statut", "L’état demandé (« statut ») n’existe pas ; choisissez-le dans la liste.")
            })?),
        };
        let (from, to) = listing::days(&self.du, &self.au)?;
        let (from, until) = listing::paris_instants(from, to);
        Ok(ProformaFilter { state, number: listing::text(&self.q), from, until })
    }

    /// The filters of the list as they go into the export link.
    fn kept(&self) -> [(&'static str, &str); 4] {
        [("statut", &self.statut), ("q", &self.q), ("du", &self.du), ("au", &self.au)]
    }

    /// The filters and the chosen group, as they go into the pager's links.
    fn kept_with_group(&self) -> [(&'static str, &str); 6] {
        [
            ("financeur", &self.financeur),
            ("public", &self.public),
            ("statut", &self.statut),
            ("q", &self.q),
            ("du", &self.du),
            ("au", &self.au),
        ]
    }
}

/// What the issue form sends.
#[derive(Debug, Default, Clone)]
pub struct IssueForm {
    chosen: Vec<i64>,
    payer: String,
    public: String,
    scheme: String,
}

impl IssueForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = IssueForm::default();
        for (name, value) in pairs {
            match name.as_str() {
                "reimbursements" => form.chosen.extend(value.trim().parse::<i64>().ok()),
                "payer" => form.payer = value,
                "public" => form.public = value,
                "scheme" => form.scheme = value,
                _ => {}
            }
        }
        form
    }

    fn is_chosen(&self, id: &i64) -> bool {
        self.chosen.contains(id)
    }
}

/// The company's name, if the person may invoice for it (the invoicing habilitation on at least
/// one establishment), else 403.
async fn invoicing_company(state: &AppState, scoped: &Scoped, company_id: i64) -> Result<String, AppError> {
    let company = store::company::get(&state.db, &scoped.scope, company_id).await?.ok_or(AppError::NotFound)?;
    if !scoped.scope.is_staff()
        && establishments_for(state, &scoped.scope, company_id, Domain::Invoicing).await?.is_empty()
    {
        return Err(AppError::Forbidden);
    }
    Ok(company.name)
}

/// What the list says of each proforma's invoice, read for all the proformas at once (the
/// invoices, then what the money says of them): the statements do not grow with the lines.
async fn invoice_states(state: &AppState, proformas: &[Proforma]) -> Result<HashMap<i64, InvoiceState>, AppError> {
    let invoices =
        store::invoice::current_for_proformas(&state.db, &proformas.iter().map(|p| p.id).collect::<Vec<_>>()).await?;
    let settlements =
        store::payment::settlements(&state.db, &invoices.values().map(|i| i.id).collect::<Vec<_>>()).await?;
    Ok(invoices
        .into_iter()
        .map(|(proforma_id, i)| {
            let settlement = settlements.get(&i.id).filter(|_| i.status == store::invoice::status::APPROVED);
            let shown = store::invoice::status::shown(&i.status, settlement);
            (proforma_id, (i.number, shown, store::invoice::status::label(shown)))
        })
        .collect())
}

async fn list_page(
    state: &AppState,
    chrome: Chrome,
    scoped: &Scoped,
    company_id: i64,
    form: IssueForm,
    errors: FormErrors,
    query: &ListQuery,
) -> Result<ListPage, AppError> {
    let company_name = invoicing_company(state, scoped, company_id).await?;
    let filter = query.filter()?;
    let window = listing::window(query.page, &query.par_page, &query.apres)?;
    // The DR waiting for a proforma, counted by payer and public in one statement.
    let groups: Vec<(String, String, &'static str, u64, Money)> =
        store::proforma::waiting_groups(&state.db, &scoped.scope, company_id)
            .await?
            .into_iter()
            .map(|g| {
                let label = public_label(&g.public);
                (g.payer, g.public, label, g.count, g.net)
            })
            .collect();
    // The only group, or the one chosen: its DR are offered, no others.
    let chosen = match groups.as_slice() {
        [only] => Some((only.0.clone(), only.1.clone())),
        _ => Some((form.payer.clone(), form.public.clone())).filter(|(p, q)| !p.is_empty() && !q.is_empty()),
    };
    // Staff read the company's proformas; preparing one is the company's (SPEC Q1). The oldest
    // MAX_OFFERED of the group are offered, the others once these are invoiced.
    let (available, more_waiting) = match chosen.as_ref().filter(|_| scoped.scope.files()) {
        Some((payer, public)) => {
            let items = store::proforma::waiting_items(
                &state.db,
                &scoped.scope,
                company_id,
                (payer.as_str(), public.as_str()),
                MAX_OFFERED,
            )
            .await?;
            let in_group = groups.iter().find(|g| &g.0 == payer && &g.1 == public).map_or(0, |g| g.3);
            let shown = u64::try_from(items.len()).unwrap_or(u64::MAX);
            let lines: Vec<ItemLine> = items
                .into_iter()
                .map(|item| ItemLine { public: public_label(&item.dossier.public), amount: item.amount(), item })
                .collect();
            (lines, more_waiting_message(in_group, shown))
        }
        None => (Vec::new(), None),
    };
    let mut schemes: Vec<String> = available.iter().map(|l| l.item.dossier.scheme.clone()).collect();
    schemes.sort();
    schemes.dedup();
    let form = match chosen {
        Some((payer, public)) => IssueForm { payer, public, ..form },
        None => form,
    };
    let path = format!("/entreprises/{company_id}/factures");
    let listed = store::proforma::company_page(&state.db, &scoped.scope, company_id, &filter, window).await?;
    let pager =
        Pager::new(&path, &query.kept_with_group(), window, &listed).with_csv(&format!("{path}.csv"), &query.kept());
    let mut invoices = invoice_states(state, &listed.rows).await?;
    let proformas = listed
        .rows
        .into_iter()
        .map(|p| {
            let gross = Money::from_cents(p.gross_cents);
            let invoice = invoices.remove(&p.id);
            (p, gross, invoice)
        })
        .collect();
    let states = invoice_state::ALL.iter().map(|s| (*s, invoice_state::label(s))).collect();
    Ok(ListPage {
        chrome,
        company_id,
        company_name,
        proformas,
        groups,
        available,
        more_waiting,
        schemes,
        form,
        errors,
        states,
        query: query.clone(),
        pager,
    })
}

/// `GET /entreprises/{id}/factures`: the DR to invoice (the oldest [`MAX_OFFERED`] of the chosen
/// group) and one page of the proformas, newest first.
pub async fn list(
    State(state): State<AppState>,
    chrome: Chrome,
    scoped: Scoped,
    Path(company_id): Path<i64>,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let form = IssueForm { payer: query.financeur.clone(), public: query.public.clone(), ..IssueForm::default() };
    let page = list_page(&state, chrome, &scoped, company_id, form, FormErrors::new(), &query).await?;
    Ok(render::page(&page)?.into_response())
}

/// `GET /entreprises/{id}/factures.csv`: the company's filtered proformas, whole, streamed as
/// CSV, for a person who may open the page (the invoicing habilitation).
pub async fn export(
    State(state): State<AppState>,
    scoped: Scoped,
    Path(company_id): Path<i64>,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    invoicing_company(&state, &scoped, company_id).await?;
    let filter = query.filter()?;
    // The window does not apply to an export, but a malformed one is refused like on the page.
    listing::window(query.page, &query.par_page, &query.apres)?;
    let scope = scoped.scope;
    let day = domain::clock::paris_day(state.now()).format("%Y-%m-%d");
    let header = crate::csv::header(&[
        "Numéro",
        "Financeur",
        "Public",
        "Dispositif",
        "Émise le",
        "HT",
        "TVA",
        "TTC",
        "Votre facture",
        "État",
    ]);
    Ok(crate::csv::stream(&format!("factures-{company_id}-{day}.csv"), header, move |after| {
        let (state, scope, filter) = (state.clone(), scope.clone(), filter.clone());
        async move {
            let (rows, next) = store::proforma::company_chunk(&state.db, &scope, company_id, &filter, after).await?;
            let invoices = invoice_states(&state, &rows).await?;
            let mut out = String::new();
            for p in &rows {
                let (number, label) = invoices
                    .get(&p.id)
                    .map_or(("", invoice_state::label(invoice_state::NONE)), |(number, _, label)| {
                        (number.as_str(), *label)
                    });
                Line::new()
                    .text(&p.number)
                    .text(state.config.names.payer(&p.payer))
                    .text(public_label(&p.public))
                    .text(p.scheme.as_deref().unwrap_or(""))
                    .day(Some(domain::clock::paris_day(p.issued_at)))
                    .money(Some(Money::from_cents(p.net_cents)))
                    .money(Some(Money::from_cents(p.vat_cents)))
                    .money(Some(Money::from_cents(p.gross_cents)))
                    .text(number)
                    .text(label)
                    .end(&mut out);
            }
            Ok((out, next))
        }
    }))
}

/// `POST /entreprises/{id}/factures`: issues a proforma for the chosen DR.
pub async fn issue(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    scoped: Filer,
    Path(company_id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    invoicing_company(&state, &scoped, company_id).await?;
    let form = IssueForm::from_pairs(pairs);
    let company = store::company::get(&state.db, &scoped.scope, company_id).await?.ok_or(AppError::NotFound)?;
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    // Read under the company's lock: of two people issuing at once the second waits, then sees
    // the first's proforma, so no DR is invoiced twice (SPEC Q2).
    store::company::lock(&txn, company_id).await?;
    let items = store::proforma::items(&txn, &scoped.scope, company_id).await?;
    let candidates: Vec<Candidate> = items
        .iter()
        .map(|i| Candidate {
            reimbursement_id: i.reimbursement.id,
            payer: i.dossier.payer.clone(),
            public: i.dossier.public.clone(),
            scheme: i.dossier.scheme.clone(),
            invoiced: i.proforma_id.is_some(),
        })
        .collect();
    let selection = Selection {
        chosen: &form.chosen,
        payer: Some(form.payer.as_str()).filter(|p| !p.is_empty()),
        public: Some(form.public.as_str()).filter(|p| !p.is_empty()),
        scheme: Some(form.scheme.as_str()).filter(|s| !s.is_empty()),
    };
    let (payer, public) = match domain::proforma::check_selection(&candidates, &selection) {
        Ok(chosen) => chosen,
        Err(e) => {
            txn.rollback().await?;
            let mut errors = FormErrors::new();
            errors.add(e.field(), e.to_string());
            let page = list_page(&state, chrome, &scoped, company_id, form, errors, &ListQuery::default()).await?;
            // Already invoiced: someone else's proforma won; the request itself was sound.
            let status = if e == domain::proforma::SelectionError::AlreadyInvoiced {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            return render::page_with_status(status, &page);
        }
    };
    let chosen: Vec<&Item> = items.iter().filter(|i| form.chosen.contains(&i.reimbursement.id)).collect();
    let amounts: Vec<Money> = chosen.iter().map(|i| i.amount()).collect();
    let amounts = domain::proforma::amounts(&amounts, company.vat_subject);
    let bank = store::company::bank_account(&txn, company_id, now).await?.map(|b| (b.iban.formatted(), b.holder_name));
    let input = NewProforma {
        company_id,
        payer: &payer,
        public: &public,
        scheme: selection.scheme,
        items: &chosen,
        amounts,
        vat_subject: company.vat_subject,
        bank,
        issued_by: scoped.user.account.id,
    };
    let proforma = store::proforma::issue(&txn, &input, now).await?;
    audit(&txn, &scoped.user.actor(), "proforma.issued", Some(("proforma", proforma.id.to_string())), &client, now)
        .await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/entreprises/{company_id}/factures/{}?notice=proforma", proforma.id)).into_response())
}

/// What the list says of a proforma's invoice: its number, the status shown and its label.
type InvoiceState = (String, &'static str, &'static str);

/// An invoice of a proforma, with the status the money gives it.
#[derive(Debug)]
pub struct InvoiceLine {
    invoice: store::invoice::Invoice,
    /// The status shown (`paid` once its transfer is issued).
    shown: &'static str,
    label: &'static str,
    gross: Money,
    note: Option<crate::pages::payments::MoneyNote>,
}

/// A proforma's page.
#[derive(Debug, Template)]
#[template(path = "factures/show.html")]
pub struct ShowPage {
    chrome: Chrome,
    company_id: i64,
    company_name: String,
    siren: String,
    address: Vec<String>,
    proforma: Proforma,
    payer: String,
    public: &'static str,
    lines: Vec<ItemLine>,
    net: Money,
    vat: Money,
    gross: Money,
    issued_on: String,
    invoices: Vec<InvoiceLine>,
    can_upload: bool,
    upload: crate::pages::invoices::UploadValues,
    errors: FormErrors,
}

pub(crate) async fn proforma_of(
    state: &AppState,
    scoped: &Scoped,
    company_id: i64,
    id: i64,
) -> Result<Proforma, AppError> {
    store::proforma::get(&state.db, &scoped.scope, id)
        .await?
        .filter(|p| p.company_id == company_id)
        .ok_or(AppError::NotFound)
}

/// The page of a proforma, with its invoices and the upload form.
pub(crate) async fn show_page(
    state: &AppState,
    chrome: Chrome,
    scoped: &Scoped,
    company_id: i64,
    id: i64,
    upload: crate::pages::invoices::UploadValues,
    errors: FormErrors,
) -> Result<ShowPage, AppError> {
    let proforma = proforma_of(state, scoped, company_id, id).await?;
    let company = store::company::get(&state.db, &scoped.scope, company_id).await?.ok_or(AppError::NotFound)?;
    let lines = store::proforma::lines(&state.db, id)
        .await?
        .into_iter()
        .map(|item| ItemLine { public: public_label(&item.dossier.public), amount: item.amount(), item })
        .collect();
    let invoices = store::invoice::for_proforma(&state.db, id).await?;
    let settlements =
        store::payment::settlements(&state.db, &invoices.iter().map(|i| i.id).collect::<Vec<_>>()).await?;
    let invoices: Vec<_> = invoices
        .into_iter()
        .map(|i| {
            let settlement = settlements.get(&i.id).filter(|_| i.status == store::invoice::status::APPROVED);
            let shown = store::invoice::status::shown(&i.status, settlement);
            let note = crate::pages::payments::money_note(&scoped.scope, settlement);
            let gross = Money::from_cents(i.gross_cents);
            InvoiceLine { label: store::invoice::status::label(shown), shown, gross, note, invoice: i }
        })
        .collect();
    // One invoice at a time: another only once the last one was refused.
    let can_upload =
        scoped.scope.files() && invoices.iter().all(|l| l.invoice.status == store::invoice::status::REJECTED);
    Ok(ShowPage {
        chrome,
        company_id,
        siren: company.siren.formatted(),
        address: company.address.lines(),
        company_name: company.name,
        payer: payer_name(&state.config, &proforma.payer),
        public: public_label(&proforma.public),
        lines,
        net: Money::from_cents(proforma.net_cents),
        vat: Money::from_cents(proforma.vat_cents),
        gross: Money::from_cents(proforma.gross_cents),
        issued_on: documents::fr::date(proforma.issued_at),
        proforma,
        invoices,
        can_upload,
        upload,
        errors,
    })
}

/// `GET /entreprises/{id}/factures/{proforma}`
pub async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    scoped: Scoped,
    Path((company_id, id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let page = show_page(&state, chrome, &scoped, company_id, id, Default::default(), FormErrors::new()).await?;
    Ok(render::page(&page)?.into_response())
}

/// A company as the seller of an invoice (its head-office address).
#[must_use]
pub fn company_party(company: &store::company::Company) -> documents::facturx::Party {
    let a = &company.address;
    documents::facturx::Party {
        name: company.name.clone(),
        siren: company.siren.as_str().to_owned(),
        siret: None,
        vat_id: None,
        address_lines: [a.complement.clone().unwrap_or_default(), a.street.clone()]
            .into_iter()
            .filter(|l| !l.trim().is_empty())
            .collect(),
        postal_code: a.postal_code.clone(),
        city: a.city.clone(),
        country_code: "FR".to_owned(),
    }
}

/// The operator or FPETT as the buyer of an invoice, from the configuration: FPETT's invoices go
/// to the operator's address.
#[must_use]
pub fn payer_party(config: &crate::state::WebConfig, payer: &str) -> documents::facturx::Party {
    // The operator's address: street lines, then « postal code + town » on the last line.
    let (street, town) = config.operator_address.split_at(config.operator_address.len().saturating_sub(1));
    let town = town.first().map(String::as_str).unwrap_or_default();
    let (postal_code, city) = town.split_once(' ').unwrap_or(("", town));
    documents::facturx::Party {
        name: payer_name(config, payer),
        siren: if payer == "FPETT" { config.fpett_siren.clone() } else { config.operator_siren.clone() },
        siret: None,
        vat_id: None,
        address_lines: street.iter().take(3).cloned().collect(),
        postal_code: postal_code.to_owned(),
        city: city.to_owned(),
        country_code: "FR".to_owned(),
    }
}

/// The PDF of a proforma, a Factur-X (also used by the operator's command line).
///
/// # Errors
/// The database's or the renderer's.
pub async fn pdf(db: &store::Db, config: &crate::state::WebConfig, proforma: &Proforma) -> Result<Vec<u8>, AppError> {
    let company = store::company::get_unscoped(db, proforma.company_id).await?.ok_or(AppError::NotFound)?;
    let mut lines = Vec::new();
    for item in store::proforma::lines(db, proforma.id).await? {
        let trainees = store::dossier::trainees(db, item.dossier.id)
            .await?
            .into_iter()
            .map(|t| format!("{} {}", t.given_name, t.family_name))
            .collect();
        lines.push(documents::proforma::ProformaLine {
            dossier: item.dossier.number.clone(),
            reimbursement: item.reimbursement.number.clone(),
            title: item.dossier.title.clone(),
            start: item.dossier.training_start,
            end: item.dossier.training_end,
            trainees,
            net: item.amount(),
        });
    }
    let document = documents::proforma::ProformaDocument {
        number: proforma.number.clone(),
        issued_on: domain::clock::paris_day(proforma.issued_at),
        issuer: company_party(&company),
        vat_subject: proforma.vat_subject,
        payer: payer_party(config, &proforma.payer),
        public: public_label(&proforma.public).to_owned(),
        scheme: proforma.scheme.clone(),
        lines,
        bank: proforma.iban.clone().zip(proforma.account_holder.clone()),
    };
    tokio::task::spawn_blocking(move || documents::proforma::render_facturx(&document, &document.invoice()))
        .await
        .map_err(|e| AppError::Internal(Box::new(e)))?
        .map_err(|e| AppError::Internal(Box::new(e)))
}

/// `GET /entreprises/{id}/factures/{proforma}/proforma.pdf`
pub async fn download(
    State(state): State<AppState>,
    scoped: Scoped,
    Path((company_id, id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let proforma = proforma_of(&state, &scoped, company_id, id).await?;
    let bytes = pdf(&state.db, &state.config, &proforma).await?;
    Ok(crate::pages::reimbursements::attachment(bytes, &format!("{}.pdf", proforma.number), "application/pdf"))
}
