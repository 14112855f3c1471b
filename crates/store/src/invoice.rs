//! The companies' own invoices for their proformas (SPEC F3, F7): uploaded once the checks pass,
//! then approved by a case manager, which makes them payable, or rejected with a reason, which lets
//! the company upload another.

use chrono::{DateTime, Utc};
use domain::Money;
use domain::scope::Scope;
use sea_orm::ExprTrait as _;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::entity::{invoice, proforma};
use crate::listing::{self, Cursor, Keyset, Listed, Window};

/// An invoice row.
pub type Invoice = invoice::Model;

/// Where an invoice stands.
pub mod status {
    /// Waiting for a case manager.
    pub const SUBMITTED: &str = "submitted";
    /// Approved: payable.
    pub const APPROVED: &str = "approved";
    /// Rejected with a reason.
    pub const REJECTED: &str = "rejected";
    /// Approved, and a transfer of a frozen run pays it. Never stored: derived from the payments
    /// ([`shown`]), so a transfer the bank returns makes it approved, payable again.
    pub const PAID: &str = "paid";

    /// The French label.
    #[must_use]
    pub fn label(code: &str) -> &'static str {
        match code {
            SUBMITTED => "à vérifier par l’opérateur",
            APPROVED => "approuvée, à payer",
            REJECTED => "refusée",
            PAID => "payée",
            _ => "inconnu",
        }
    }

    /// The status shown of an invoice stored as `code`, once the money is known.
    #[must_use]
    pub fn shown(code: &str, settlement: Option<&domain::settlement::Settlement>) -> &'static str {
        match code {
            APPROVED if settlement.is_some_and(domain::settlement::Settlement::is_paid) => PAID,
            SUBMITTED => SUBMITTED,
            APPROVED => APPROVED,
            REJECTED => REJECTED,
            _ => "unknown",
        }
    }
}

/// An invoice as uploaded, its key fields read or confirmed.
#[derive(Debug, Clone)]
pub struct NewInvoice {
    /// The proforma it answers.
    pub proforma_id: i64,
    /// Company.
    pub company_id: i64,
    /// Its own number.
    pub number: String,
    /// `pdf`, `cii` or `ubl`.
    pub syntax: &'static str,
    /// Addressee as written.
    pub buyer_name: String,
    /// Seller's SIREN as written.
    pub seller_siren: Option<String>,
    /// Net.
    pub net: Money,
    /// VAT.
    pub vat: Money,
    /// Gross.
    pub gross: Money,
    /// IBAN as written.
    pub iban: Option<String>,
    /// The file.
    pub document_id: i64,
    /// A RIB, if attached.
    pub rib_document_id: Option<i64>,
    /// Who.
    pub uploaded_by: i64,
}

/// Records an uploaded invoice, waiting for a case manager.
///
/// # Errors
/// The driver's error.
pub async fn create(conn: &impl ConnectionTrait, input: NewInvoice, now: DateTime<Utc>) -> Result<Invoice, DbErr> {
    invoice::ActiveModel {
        proforma_id: Set(input.proforma_id),
        company_id: Set(input.company_id),
        number: Set(input.number),
        syntax: Set(input.syntax.to_owned()),
        buyer_name: Set(input.buyer_name),
        seller_siren: Set(input.seller_siren),
        net_cents: Set(input.net.cents()),
        vat_cents: Set(input.vat.cents()),
        gross_cents: Set(input.gross.cents()),
        iban: Set(input.iban),
        document_id: Set(input.document_id),
        rib_document_id: Set(input.rib_document_id),
        status: Set(status::SUBMITTED.to_owned()),
        reason: Set(None),
        version: Set(0),
        uploaded_by: Set(Some(input.uploaded_by)),
        uploaded_at: Set(now),
        decided_by: Set(None),
        decided_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// Whether an invoice of the company is waiting to be paid: submitted or approved, and in no
/// payment the bank did not reject. A first bank account takes effect at once only without one
/// (SPEC Q3: nothing to divert).
///
/// # Errors
/// The driver's error.
pub async fn awaiting_payment(conn: &impl ConnectionTrait, company_id: i64) -> Result<bool, DbErr> {
    let count = invoice::Entity::find()
        .filter(invoice::Column::CompanyId.eq(company_id))
        .filter(invoice::Column::Status.is_in([status::SUBMITTED, status::APPROVED]))
        .filter(invoice::Column::Id.not_in_subquery(crate::payment::transferred_invoice_ids()))
        .count(conn)
        .await?;
    Ok(count > 0)
}

/// The invoices of a proforma, newest first (the caller has reached the proforma).
///
/// # Errors
/// The driver's error.
pub async fn for_proforma(conn: &impl ConnectionTrait, proforma_id: i64) -> Result<Vec<Invoice>, DbErr> {
    invoice::Entity::find()
        .filter(invoice::Column::ProformaId.eq(proforma_id))
        .order_by_desc(invoice::Column::Id)
        .all(conn)
        .await
}

/// The invoice that stands for each proforma, by proforma id: the one not refused if any, else
/// the latest; read a few hundred proformas at a time.
///
/// # Errors
/// The driver's error.
pub async fn current_for_proformas(
    conn: &impl ConnectionTrait,
    proforma_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Invoice>, DbErr> {
    let mut out: std::collections::HashMap<i64, Invoice> = std::collections::HashMap::new();
    for chunk in proforma_ids.chunks(500) {
        let rows = invoice::Entity::find()
            .filter(invoice::Column::ProformaId.is_in(chunk.iter().copied()))
            .order_by_asc(invoice::Column::Id)
            .all(conn)
            .await?;
        for row in rows {
            let keep = out.get(&row.proforma_id).is_some_and(|k| k.status != status::REJECTED)
                && row.status == status::REJECTED;
            if !keep {
                out.insert(row.proforma_id, row);
            }
        }
    }
    Ok(out)
}

/// An invoice the scope reaches through its proforma.
///
/// # Errors
/// The driver's error.
pub async fn get(conn: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Option<Invoice>, DbErr> {
    let Some(row) = invoice::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    let reached = crate::proforma::get(conn, scope, row.proforma_id).await?.is_some();
    Ok(reached.then_some(row))
}

/// Filters of the invoice queue: state, company (name or SIREN), number (of the invoice or its
/// proforma), day of upload and payer.
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    /// Only this state ([`status::PAID`] is derived from the payments, as shown).
    pub status: Option<&'static str>,
    /// A company whose name or SIREN contains this.
    pub company: Option<String>,
    /// The invoice's number or its proforma's containing this.
    pub number: Option<String>,
    /// Only invoices of proformas addressed to this payer (`AKTO`, `FPETT`).
    pub payer: Option<String>,
    /// Uploaded at or after this instant (the start of a day in Paris).
    pub from: Option<DateTime<Utc>>,
    /// Uploaded before this instant (the start of the day after, in Paris).
    pub until: Option<DateTime<Utc>>,
}

fn queue_query(filter: &InvoiceFilter) -> sea_orm::Select<invoice::Entity> {
    use sea_orm::sea_query::Query;
    let mut query = invoice::Entity::find();
    // Paid is what the payments say of an approved invoice (never stored).
    let paid = || invoice::Column::Id.in_subquery(crate::payment::paid_invoice_ids());
    match filter.status {
        Some(status::PAID) => query = query.filter(invoice::Column::Status.eq(status::APPROVED)).filter(paid()),
        Some(status::APPROVED) => {
            query = query.filter(invoice::Column::Status.eq(status::APPROVED)).filter(paid().not());
        }
        Some(status) => query = query.filter(invoice::Column::Status.eq(status)),
        None => {}
    }
    if let Some(text) = filter.company.as_deref().filter(|t| !t.trim().is_empty()) {
        query = query.filter(invoice::Column::CompanyId.in_subquery(crate::reimbursement::companies_matching(text)));
    }
    if let Some(text) = filter.number.as_deref().filter(|t| !t.trim().is_empty()) {
        let proformas = Query::select()
            .column(proforma::Column::Id)
            .from(proforma::Entity)
            .cond_where(listing::any_contains([proforma::Column::Number], text))
            .to_owned();
        query = query.filter(
            Condition::any()
                .add(listing::any_contains([invoice::Column::Number], text))
                .add(invoice::Column::ProformaId.in_subquery(proformas)),
        );
    }
    if let Some(payer) = filter.payer.as_deref().filter(|p| !p.is_empty()) {
        let proformas = Query::select()
            .column(proforma::Column::Id)
            .from(proforma::Entity)
            .and_where(proforma::Column::Payer.eq(payer))
            .to_owned();
        query = query.filter(invoice::Column::ProformaId.in_subquery(proformas));
    }
    if let Some(from) = filter.from {
        query = query.filter(invoice::Column::UploadedAt.gte(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(invoice::Column::UploadedAt.lt(until));
    }
    query
}

/// The queue's order: oldest upload first, by id (ids follow uploads), so that the keyset walks
/// the `(status, id)` index.
#[derive(Debug, Clone, Copy)]
pub struct OldestUploaded;

impl Keyset<invoice::Entity> for OldestUploaded {
    fn order(&self, query: sea_orm::Select<invoice::Entity>) -> sea_orm::Select<invoice::Entity> {
        query.order_by_asc(invoice::Column::Id)
    }
    fn after(&self, query: sea_orm::Select<invoice::Entity>, cursor: Cursor) -> sea_orm::Select<invoice::Entity> {
        query.filter(invoice::Column::Id.gt(cursor.id))
    }
    fn cursor(&self, row: &Invoice) -> Cursor {
        Cursor::id(row.id)
    }
}

/// One window of the invoice queue (oldest upload first), with the count.
///
/// # Errors
/// The driver's error.
pub async fn queue(
    conn: &impl ConnectionTrait,
    filter: &InvoiceFilter,
    window: Window,
) -> Result<Listed<Invoice>, DbErr> {
    listing::window(conn, queue_query(filter), &OldestUploaded, window).await
}

/// One export chunk of the invoice queue (as [`queue`], without the count).
///
/// # Errors
/// The driver's error.
pub async fn queue_chunk(
    conn: &impl ConnectionTrait,
    filter: &InvoiceFilter,
    after: Option<Cursor>,
) -> Result<(Vec<Invoice>, Option<Cursor>), DbErr> {
    listing::chunk(conn, queue_query(filter), &OldestUploaded, after, listing::EXPORT_CHUNK).await
}

/// Decides a submitted invoice still at `version`: `approved` or `rejected` (with a reason).
/// Returns whether it moved.
///
/// # Errors
/// The driver's error.
pub async fn decide(
    conn: &impl ConnectionTrait,
    id: i64,
    version: i64,
    to: &str,
    reason: Option<String>,
    by: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let changed = invoice::Entity::update_many()
        .col_expr(invoice::Column::Status, to.into())
        .col_expr(invoice::Column::Reason, reason.into())
        .col_expr(invoice::Column::DecidedBy, Some(by).into())
        .col_expr(invoice::Column::DecidedAt, Some(now).into())
        .col_expr(invoice::Column::Version, Expr::col(invoice::Column::Version).add(1))
        .filter(invoice::Column::Id.eq(id))
        .filter(invoice::Column::Version.eq(version))
        .filter(invoice::Column::Status.eq(status::SUBMITTED))
        .exec(conn)
        .await?;
    Ok(changed.rows_affected == 1)
}

/// Who uploaded each of some invoices, by invoice, read a few hundred at a time.
///
/// # Errors
/// The driver's error.
pub async fn uploaders(conn: &impl ConnectionTrait, ids: &[i64]) -> Result<std::collections::HashMap<i64, i64>, DbErr> {
    let mut out = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, Option<i64>)> = invoice::Entity::find()
            .select_only()
            .column(invoice::Column::Id)
            .column(invoice::Column::UploadedBy)
            .filter(invoice::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        out.extend(rows.into_iter().filter_map(|(id, by)| by.map(|by| (id, by))));
    }
    Ok(out)
}
