//! Proforma invoices (SPEC F3–F7): issued from validated DR, frozen when issued, each DR on one
//! proforma at most (a unique key on the line's DR makes a second one impossible, even from two
//! requests at once).

use chrono::{DateTime, Utc};
use domain::Money;
use domain::habilitation::Domain;
use domain::reimbursement::DrStatus;
use domain::scope::Scope;
use std::collections::HashMap;

use sea_orm::ExprTrait as _;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait,
};

use crate::dossier::Dossier;
use crate::entity::{dossier, invoice, proforma, proforma_line, reimbursement};
use crate::listing::{self, Cursor, Keyset, Listed, Window};
use crate::reimbursement::Reimbursement;

/// A proforma row.
pub type Proforma = proforma::Model;

/// A validated DR with its dossier, as offered for a proforma or printed on one.
#[derive(Debug, Clone)]
pub struct Item {
    /// The DR.
    pub reimbursement: Reimbursement,
    /// Its dossier.
    pub dossier: Dossier,
    /// The proforma it is on, if any.
    pub proforma_id: Option<i64>,
}

impl Item {
    /// The amount invoiced: what was validated.
    #[must_use]
    pub fn amount(&self) -> Money {
        Money::from_cents(self.reimbursement.validated_cents.unwrap_or(0))
    }
}

/// Whether the scope may invoice on a dossier (staff may read everything).
fn invoices(scope: &Scope, dossier: &Dossier) -> bool {
    scope.is_staff() || scope.can(dossier.company_id, Some(dossier.establishment_id), Domain::Invoicing)
}

/// The validated DR of a company the scope may invoice, with their dossiers, oldest first (every
/// one, invoiced or not: what issuing a proforma checks the choice against). Dossiers are read in
/// one statement.
///
/// # Errors
/// The driver's error.
pub async fn items(conn: &impl ConnectionTrait, scope: &Scope, company_id: i64) -> Result<Vec<Item>, DbErr> {
    if !scope.reaches_company(company_id) {
        return Ok(Vec::new());
    }
    let rows = reimbursement::Entity::find()
        .filter(reimbursement::Column::CompanyId.eq(company_id))
        .filter(reimbursement::Column::Status.eq(DrStatus::Validated.code()))
        .order_by_asc(reimbursement::Column::Id)
        .all(conn)
        .await?;
    let lines = proforma_line::Entity::find()
        .filter(proforma_line::Column::ReimbursementId.is_in(rows.iter().map(|r| r.id)))
        .all(conn)
        .await?;
    let on_proforma: HashMap<i64, i64> = lines.iter().map(|l| (l.reimbursement_id, l.proforma_id)).collect();
    Ok(with_dossiers(conn, rows, &on_proforma).await?.into_iter().filter(|i| invoices(scope, &i.dossier)).collect())
}

/// The DR with their dossiers, read in one statement (a DR whose dossier is gone is left out).
async fn with_dossiers(
    conn: &impl ConnectionTrait,
    rows: Vec<Reimbursement>,
    on_proforma: &HashMap<i64, i64>,
) -> Result<Vec<Item>, DbErr> {
    let mut dossier_ids: Vec<i64> = rows.iter().map(|r| r.dossier_id).collect();
    dossier_ids.sort_unstable();
    dossier_ids.dedup();
    let mut dossiers: HashMap<i64, Dossier> = HashMap::new();
    for chunk in dossier_ids.chunks(500) {
        let found = dossier::Entity::find().filter(dossier::Column::Id.is_in(chunk.iter().copied())).all(conn).await?;
        dossiers.extend(found.into_iter().map(|d| (d.id, d)));
    }
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let dossier = dossiers.get(&row.dossier_id)?.clone();
            let proforma_id = on_proforma.get(&row.id).copied();
            Some(Item { reimbursement: row, dossier, proforma_id })
        })
        .collect())
}

/// A proforma as issued.
#[derive(Debug, Clone)]
pub struct NewProforma<'a> {
    /// Company.
    pub company_id: i64,
    /// `AKTO` or `FPETT`.
    pub payer: &'a str,
    /// `permanent` or `temporary`.
    pub public: &'a str,
    /// One scheme, when asked.
    pub scheme: Option<&'a str>,
    /// The DR invoiced.
    pub items: &'a [&'a Item],
    /// Net, VAT, gross.
    pub amounts: domain::proforma::Amounts,
    /// Whether the company is subject to VAT.
    pub vat_subject: bool,
    /// The bank account to pay, frozen.
    pub bank: Option<(String, String)>,
    /// Who.
    pub issued_by: i64,
}

/// Issues a proforma numbered `PF-<year>-<id>`.
///
/// # Errors
/// The driver's error; a DR already on a proforma breaks the unique key and nothing is written.
pub async fn issue(
    conn: &impl ConnectionTrait,
    input: &NewProforma<'_>,
    now: DateTime<Utc>,
) -> Result<Proforma, DbErr> {
    let placeholder = format!("tmp-{}", crate::secret::random_u64().map_err(|e| DbErr::Custom(e.to_string()))?);
    let row = proforma::ActiveModel {
        number: Set(placeholder),
        company_id: Set(input.company_id),
        payer: Set(input.payer.to_owned()),
        public: Set(input.public.to_owned()),
        scheme: Set(input.scheme.map(str::to_owned)),
        net_cents: Set(input.amounts.net.cents()),
        vat_cents: Set(input.amounts.vat.cents()),
        gross_cents: Set(input.amounts.gross.cents()),
        vat_subject: Set(input.vat_subject),
        iban: Set(input.bank.as_ref().map(|(iban, _)| iban.clone())),
        account_holder: Set(input.bank.as_ref().map(|(_, holder)| holder.clone())),
        issued_by: Set(Some(input.issued_by)),
        issued_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let number = format!("PF-{}-{:06}", domain::clock::paris_day(now).format("%Y"), row.id);
    let mut active: proforma::ActiveModel = row.into();
    active.number = Set(number);
    let row = active.update(conn).await?;
    for item in input.items {
        proforma_line::ActiveModel {
            proforma_id: Set(row.id),
            reimbursement_id: Set(item.reimbursement.id),
            dossier_id: Set(item.dossier.id),
            amount_cents: Set(item.amount().cents()),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    Ok(row)
}

/// The DR and dossiers on a proforma, in order.
///
/// # Errors
/// The driver's error.
pub async fn lines(conn: &impl ConnectionTrait, proforma_id: i64) -> Result<Vec<Item>, DbErr> {
    let lines = proforma_line::Entity::find()
        .filter(proforma_line::Column::ProformaId.eq(proforma_id))
        .order_by_asc(proforma_line::Column::Id)
        .all(conn)
        .await?;
    let mut items = Vec::with_capacity(lines.len());
    for line in lines {
        let (Some(dr), Some(dossier)) = (
            reimbursement::Entity::find_by_id(line.reimbursement_id).one(conn).await?,
            dossier::Entity::find_by_id(line.dossier_id).one(conn).await?,
        ) else {
            continue;
        };
        items.push(Item { reimbursement: dr, dossier, proforma_id: Some(proforma_id) });
    }
    Ok(items)
}

/// A proforma the scope may read: staff, or a person who may invoice every dossier on it.
///
/// # Errors
/// The driver's error.
pub async fn get(conn: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Option<Proforma>, DbErr> {
    let Some(row) = proforma::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    if !scope.reaches_company(row.company_id) {
        return Ok(None);
    }
    let lines = lines(conn, row.id).await?;
    let reached = !lines.is_empty() && lines.iter().all(|item| invoices(scope, &item.dossier));
    Ok(reached.then_some(row))
}

/// Every proforma, newest first (operator's command line).
///
/// # Errors
/// The driver's error.
pub async fn all(conn: &impl ConnectionTrait) -> Result<Vec<Proforma>, DbErr> {
    proforma::Entity::find().order_by_desc(proforma::Column::Id).all(conn).await
}

/// The proforma with this number (operator's command line).
///
/// # Errors
/// The driver's error.
pub async fn by_number(conn: &impl ConnectionTrait, number: &str) -> Result<Option<Proforma>, DbErr> {
    proforma::Entity::find().filter(proforma::Column::Number.eq(number.trim())).one(conn).await
}

/// A proforma by id, whoever asks (the back-office's queues; callers check the staff role).
///
/// # Errors
/// The driver's error.
pub async fn get_unscoped(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Proforma>, DbErr> {
    proforma::Entity::find_by_id(id).one(conn).await
}

/// What a company's proforma list shows of a proforma's invoice, as a filter: none yet, or the
/// state of the invoice that stands for it (the one not refused, else the latest refused).
pub mod invoice_state {
    /// No invoice uploaded yet.
    pub const NONE: &str = "a_deposer";

    /// The French label of a state of the list (an invoice's state otherwise).
    #[must_use]
    pub fn label(code: &str) -> &'static str {
        match code {
            NONE => "à déposer",
            other => crate::invoice::status::label(other),
        }
    }

    /// Every state a company's list filters on, in the order offered.
    pub const ALL: [&str; 5] = [
        NONE,
        crate::invoice::status::SUBMITTED,
        crate::invoice::status::APPROVED,
        crate::invoice::status::PAID,
        crate::invoice::status::REJECTED,
    ];
}

/// Filters of a company's proforma list: the state of its invoice, a number (of the proforma or
/// its invoice), the day it was issued.
#[derive(Debug, Clone, Default)]
pub struct ProformaFilter {
    /// One of [`invoice_state::ALL`].
    pub state: Option<&'static str>,
    /// The proforma's number or its invoice's containing this.
    pub number: Option<String>,
    /// Issued at or after this instant (the start of a day in Paris).
    pub from: Option<DateTime<Utc>>,
    /// Issued before this instant (the start of the day after, in Paris).
    pub until: Option<DateTime<Utc>>,
}

/// The proformas the scope may read, as [`get`] has it, in SQL: with lines, and (for a person
/// limited to some establishments) no line on a dossier of another establishment.
fn readable(scope: &Scope, company_id: i64) -> Condition {
    let line_of_proforma = || {
        Expr::col((proforma_line::Entity, proforma_line::Column::ProformaId))
            .equals((proforma::Entity, proforma::Column::Id))
    };
    let has_lines =
        Query::select().expr(Expr::val(1)).from(proforma_line::Entity).and_where(line_of_proforma()).to_owned();
    let all = Condition::all().add(Expr::exists(has_lines));
    if scope.is_staff() {
        return all;
    }
    match scope.establishments_with(company_id, Domain::Invoicing) {
        None => all,
        Some(ids) if ids.is_empty() => all.add(Expr::value(false)),
        Some(ids) => {
            let elsewhere = Query::select()
                .expr(Expr::val(1))
                .from(proforma_line::Entity)
                .inner_join(
                    dossier::Entity,
                    Expr::col((dossier::Entity, dossier::Column::Id))
                        .equals((proforma_line::Entity, proforma_line::Column::DossierId)),
                )
                .and_where(line_of_proforma())
                .and_where(Expr::col((dossier::Entity, dossier::Column::EstablishmentId)).is_not_in(ids))
                .to_owned();
            all.add(Expr::exists(elsewhere).not())
        }
    }
}

/// The proformas having an invoice in `statuses` (and, for `paid`, paid or not), as SQL.
fn with_invoice(statuses: &[&str], paid: Option<bool>) -> sea_orm::sea_query::SelectStatement {
    let mut query = Query::select();
    query
        .column(invoice::Column::ProformaId)
        .from(invoice::Entity)
        .and_where(invoice::Column::Status.is_in(statuses.iter().copied()));
    match paid {
        Some(true) => {
            query.and_where(invoice::Column::Id.in_subquery(crate::payment::paid_invoice_ids()));
        }
        Some(false) => {
            query.and_where(invoice::Column::Id.not_in_subquery(crate::payment::paid_invoice_ids()));
        }
        None => {}
    }
    query.to_owned()
}

fn company_query(scope: &Scope, company_id: i64, filter: &ProformaFilter) -> Option<sea_orm::Select<proforma::Entity>> {
    use crate::invoice::status;
    if !scope.reaches_company(company_id) {
        return None;
    }
    let mut query =
        proforma::Entity::find().filter(proforma::Column::CompanyId.eq(company_id)).filter(readable(scope, company_id));
    let id = || proforma::Column::Id;
    query = match filter.state {
        Some(invoice_state::NONE) => query
            .filter(id().not_in_subquery(with_invoice(&[status::SUBMITTED, status::APPROVED, status::REJECTED], None))),
        Some(status::SUBMITTED) => query.filter(id().in_subquery(with_invoice(&[status::SUBMITTED], None))),
        Some(status::APPROVED) => query.filter(id().in_subquery(with_invoice(&[status::APPROVED], Some(false)))),
        Some(status::PAID) => query.filter(id().in_subquery(with_invoice(&[status::APPROVED], Some(true)))),
        // Refused, and no other invoice since.
        Some(status::REJECTED) => query
            .filter(id().in_subquery(with_invoice(&[status::REJECTED], None)))
            .filter(id().not_in_subquery(with_invoice(&[status::SUBMITTED, status::APPROVED], None))),
        Some(_) | None => query,
    };
    if let Some(text) = filter.number.as_deref().filter(|t| !t.trim().is_empty()) {
        let invoiced = Query::select()
            .column(invoice::Column::ProformaId)
            .from(invoice::Entity)
            .cond_where(listing::any_contains([invoice::Column::Number], text))
            .to_owned();
        query = query.filter(
            Condition::any()
                .add(listing::any_contains([proforma::Column::Number], text))
                .add(proforma::Column::Id.in_subquery(invoiced)),
        );
    }
    if let Some(from) = filter.from {
        query = query.filter(proforma::Column::IssuedAt.gte(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(proforma::Column::IssuedAt.lt(until));
    }
    Some(query)
}

/// A company's list order: newest proforma first, by id, so that the keyset walks the
/// `(company_id, id)` index.
#[derive(Debug, Clone, Copy)]
pub struct NewestFirst;

impl Keyset<proforma::Entity> for NewestFirst {
    fn order(&self, query: sea_orm::Select<proforma::Entity>) -> sea_orm::Select<proforma::Entity> {
        query.order_by_desc(proforma::Column::Id)
    }
    fn after(&self, query: sea_orm::Select<proforma::Entity>, cursor: Cursor) -> sea_orm::Select<proforma::Entity> {
        query.filter(proforma::Column::Id.lt(cursor.id))
    }
    fn cursor(&self, row: &Proforma) -> Cursor {
        Cursor::id(row.id)
    }
}

/// One window of a company's proformas the scope may read, filtered, newest first, with the
/// count. Nothing when the scope does not reach the company.
///
/// # Errors
/// The driver's error.
pub async fn company_page(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    company_id: i64,
    filter: &ProformaFilter,
    window: Window,
) -> Result<Listed<Proforma>, DbErr> {
    match company_query(scope, company_id, filter) {
        Some(query) => listing::window(conn, query, &NewestFirst, window).await,
        None => Ok(Listed { rows: Vec::new(), total: 0, next: None }),
    }
}

/// One export chunk of a company's proformas (as [`company_page`], without the count).
///
/// # Errors
/// The driver's error.
pub async fn company_chunk(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    company_id: i64,
    filter: &ProformaFilter,
    after: Option<Cursor>,
) -> Result<(Vec<Proforma>, Option<Cursor>), DbErr> {
    match company_query(scope, company_id, filter) {
        Some(query) => listing::chunk(conn, query, &NewestFirst, after, listing::EXPORT_CHUNK).await,
        None => Ok((Vec::new(), None)),
    }
}

/// The validated DR of a company not on any proforma yet, that the scope may invoice.
fn waiting_query(scope: &Scope, company_id: i64) -> Option<sea_orm::Select<reimbursement::Entity>> {
    if !scope.reaches_company(company_id) {
        return None;
    }
    let invoiced =
        Query::select().column(proforma_line::Column::ReimbursementId).from(proforma_line::Entity).to_owned();
    let mut query = reimbursement::Entity::find()
        .filter(reimbursement::Column::CompanyId.eq(company_id))
        .filter(reimbursement::Column::Status.eq(DrStatus::Validated.code()))
        .filter(reimbursement::Column::Id.not_in_subquery(invoiced));
    if !scope.is_staff() {
        match scope.establishments_with(company_id, Domain::Invoicing) {
            None => {}
            Some(ids) if ids.is_empty() => query = query.filter(Expr::value(false)),
            Some(ids) => {
                let reached = Query::select()
                    .column(dossier::Column::Id)
                    .from(dossier::Entity)
                    .and_where(dossier::Column::CompanyId.eq(company_id))
                    .and_where(dossier::Column::EstablishmentId.is_in(ids))
                    .to_owned();
                query = query.filter(reimbursement::Column::DossierId.in_subquery(reached));
            }
        }
    }
    Some(query)
}

/// Validated DR waiting for a proforma, for one payer and one public.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingGroup {
    /// `AKTO` or `FPETT`.
    pub payer: String,
    /// `permanent` or `temporary`.
    pub public: String,
    /// How many DR.
    pub count: u64,
    /// What they were validated for, together.
    pub net: Money,
}

/// The validated DR waiting for a proforma that the scope may invoice, by payer and public, in
/// one statement however many there are.
///
/// # Errors
/// The driver's error.
pub async fn waiting_groups(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    company_id: i64,
) -> Result<Vec<WaitingGroup>, DbErr> {
    let Some(waiting) = waiting_query(scope, company_id) else {
        return Ok(Vec::new());
    };
    let ids = waiting.select_only().column(reimbursement::Column::Id).into_query();
    let payer = (dossier::Entity, dossier::Column::Payer);
    let public = (dossier::Entity, dossier::Column::Public);
    let statement = Query::select()
        .expr_as(Expr::col(payer), sea_orm::sea_query::Alias::new("payer"))
        .expr_as(Expr::col(public), sea_orm::sea_query::Alias::new("public"))
        // COUNT and SUM as BIGINT on both backends (PostgreSQL's SUM of a BIGINT is NUMERIC).
        .expr_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), sea_orm::sea_query::Alias::new("n"))
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(reimbursement.validated_cents), 0) AS BIGINT)"),
            sea_orm::sea_query::Alias::new("net"),
        )
        .from(reimbursement::Entity)
        .inner_join(
            dossier::Entity,
            Expr::col((dossier::Entity, dossier::Column::Id))
                .equals((reimbursement::Entity, reimbursement::Column::DossierId)),
        )
        .and_where(Expr::col((reimbursement::Entity, reimbursement::Column::Id)).in_subquery(ids))
        .group_by_col(payer)
        .group_by_col(public)
        .order_by(payer, sea_orm::sea_query::Order::Asc)
        .order_by(public, sea_orm::sea_query::Order::Asc)
        .to_owned();
    let rows = conn.query_all(&statement).await?;
    rows.into_iter()
        .map(|row| {
            let count: i64 = row.try_get("", "n")?;
            Ok(WaitingGroup {
                payer: row.try_get("", "payer")?,
                public: row.try_get("", "public")?,
                count: u64::try_from(count).unwrap_or(0),
                net: Money::from_cents(row.try_get("", "net")?),
            })
        })
        .collect()
}

/// The first `limit` validated DR waiting for a proforma of one payer and one public (oldest
/// first), with their dossiers: two statements whatever the number.
///
/// # Errors
/// The driver's error.
pub async fn waiting_items(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    company_id: i64,
    (payer, public): (&str, &str),
    limit: u64,
) -> Result<Vec<Item>, DbErr> {
    let Some(waiting) = waiting_query(scope, company_id) else {
        return Ok(Vec::new());
    };
    let of_group = Query::select()
        .column(dossier::Column::Id)
        .from(dossier::Entity)
        .and_where(dossier::Column::CompanyId.eq(company_id))
        .and_where(dossier::Column::Payer.eq(payer))
        .and_where(dossier::Column::Public.eq(public))
        .to_owned();
    let rows = waiting
        .filter(reimbursement::Column::DossierId.in_subquery(of_group))
        .order_by_asc(reimbursement::Column::Id)
        .limit(limit)
        .all(conn)
        .await?;
    with_dossiers(conn, rows, &HashMap::new()).await
}

/// The number and payer of several proformas in one statement, by id, for the lines of a staff
/// list (callers check the staff role).
///
/// # Errors
/// The driver's error.
pub async fn numbers_unscoped(
    conn: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, (String, String)>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let rows: Vec<(i64, String, String)> = proforma::Entity::find()
        .select_only()
        .column(proforma::Column::Id)
        .column(proforma::Column::Number)
        .column(proforma::Column::Payer)
        .filter(proforma::Column::Id.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|(id, number, payer)| (id, (number, payer))).collect())
}
