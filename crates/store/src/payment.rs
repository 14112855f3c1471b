//! Payment runs and their payments (SPEC P1–P4), as stored: a run per slot, frozen payments
//! (payee, IBAN, amount, references), the invoices each pays, the invoices held back, and the
//! bank returns that settle or reject payments.
//!
//! An invoice is paid at most once because `payment_item.live_invoice_id` is unique: recording a
//! second live payment of it fails in the database, whatever the code above does. A rejected
//! transfer clears the key of its invoices, which become payable again.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::settlement::Settlement;
use sea_orm::ExprTrait as _;
use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::entity::{
    bank_return, dossier, invoice, payment, payment_hold, payment_item, payment_run, proforma, proforma_line,
    reimbursement,
};

/// A payment run row.
pub type Run = payment_run::Model;
/// A payment (one transfer to one payee) row.
pub type Payment = payment::Model;
/// An invoice paid by a payment.
pub type Item = payment_item::Model;
/// An invoice held back by a run.
pub type Held = payment_hold::Model;
/// A bank returns file imported.
pub type BankReturn = bank_return::Model;

/// Where a run stands.
pub mod run_status {
    /// Being assembled; resumed after a crash.
    pub const PREPARING: &str = "preparing";
    /// Every payment recorded and frozen: its SEPA file can be built, always the same.
    pub const FROZEN: &str = "frozen";
}

/// Where a payment stands.
pub mod status {
    /// In the run's SEPA file.
    pub const SENT: &str = "sent";
    /// The bank confirmed it.
    pub const SETTLED: &str = "settled";
    /// The bank returned it: its invoices are payable again.
    pub const REJECTED: &str = "rejected";

    /// The French label.
    #[must_use]
    pub fn label(code: &str) -> &'static str {
        match code {
            SENT => "virement émis",
            SETTLED => "virement reçu par la banque",
            REJECTED => "virement rejeté par la banque",
            _ => "inconnu",
        }
    }
}

/// A run about to start.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// One run per key: the slot (`2026-03-31T06:00`) or `manuel-…` for a manual run.
    pub slot_key: String,
    /// `scheduled` or `manual`.
    pub kind: &'static str,
    /// The SEPA message id.
    pub message_id: String,
    /// Invoices approved up to this instant are paid.
    pub cutoff: DateTime<Utc>,
    /// Requested execution date of the transfers.
    pub execution_date: NaiveDate,
    /// Who started a manual run.
    pub started_by: Option<i64>,
}

/// What starting a run found.
#[derive(Debug, Clone)]
pub enum Begin {
    /// A new run.
    Started(Run),
    /// The run of this slot was interrupted: go on with it.
    Resumed(Run),
    /// The run of this slot is already done.
    Done(Run),
    /// Another run is being prepared.
    Busy(Run),
    /// Nothing is payable at the run's cutoff: no run was made (it would have no transfer and
    /// no SEPA file).
    Nothing,
}

/// The ids of the invoices a live (not returned) transfer of any run, frozen or still being
/// prepared, takes: what « awaiting payment » excludes (unlike [`paid_invoice_ids`], frozen only).
pub(crate) fn transferred_invoice_ids() -> SelectStatement {
    Query::select()
        .column(payment_item::Column::LiveInvoiceId)
        .from(payment_item::Entity)
        .and_where(payment_item::Column::LiveInvoiceId.is_not_null())
        .to_owned()
}

/// Starts the run of a slot, or finds it. Only one run is prepared at a time.
///
/// # Errors
/// The driver's error.
pub async fn begin(db: &crate::Db, new: NewRun, now: DateTime<Utc>) -> Result<Begin, DbErr> {
    let txn = crate::db::write(db).await?;
    if let Some(run) = by_key(&txn, &new.slot_key).await? {
        txn.commit().await?;
        return Ok(if run.status == run_status::FROZEN { Begin::Done(run) } else { Begin::Resumed(run) });
    }
    if let Some(other) = preparing(&txn).await? {
        txn.commit().await?;
        return Ok(Begin::Busy(other));
    }
    // Decided in the transaction that would insert the run: an invoice approved meanwhile is
    // either seen here or paid by the next run.
    if !anything_payable(&txn, new.cutoff).await? {
        txn.commit().await?;
        return Ok(Begin::Nothing);
    }
    let inserted = payment_run::ActiveModel {
        slot_key: Set(new.slot_key.clone()),
        kind: Set(new.kind.to_owned()),
        status: Set(run_status::PREPARING.to_owned()),
        preparing: Set(Some(1)),
        message_id: Set(new.message_id),
        cutoff: Set(new.cutoff),
        execution_date: Set(new.execution_date),
        started_by: Set(new.started_by),
        started_at: Set(now),
        frozen_at: Set(None),
        advised_at: Set(None),
        payment_count: Set(0),
        total_cents: Set(0),
        held_count: Set(0),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    match inserted {
        Ok(run) => {
            txn.commit().await?;
            Ok(Begin::Started(run))
        }
        Err(err) if crate::db::is_unique_violation(&err) => {
            // Another process started one between our reads and our insert (PostgreSQL).
            drop(txn);
            if let Some(run) = by_key(db, &new.slot_key).await? {
                return Ok(if run.status == run_status::FROZEN { Begin::Done(run) } else { Begin::Resumed(run) });
            }
            match preparing(db).await? {
                Some(other) => Ok(Begin::Busy(other)),
                None => Err(err),
            }
        }
        Err(err) => Err(err),
    }
}

/// The run of a slot.
///
/// # Errors
/// The driver's error.
pub async fn by_key(conn: &impl ConnectionTrait, slot_key: &str) -> Result<Option<Run>, DbErr> {
    payment_run::Entity::find().filter(payment_run::Column::SlotKey.eq(slot_key)).one(conn).await
}

/// The run being prepared, if any.
///
/// # Errors
/// The driver's error.
pub async fn preparing(conn: &impl ConnectionTrait) -> Result<Option<Run>, DbErr> {
    payment_run::Entity::find().filter(payment_run::Column::Preparing.is_not_null()).one(conn).await
}

/// A run by id.
///
/// # Errors
/// The driver's error.
pub async fn run(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Run>, DbErr> {
    payment_run::Entity::find_by_id(id).one(conn).await
}

/// The latest runs, newest first.
///
/// # Errors
/// The driver's error.
pub async fn runs(conn: &impl ConnectionTrait, limit: u64) -> Result<Vec<Run>, DbErr> {
    payment_run::Entity::find()
        .order_by_desc(payment_run::Column::StartedAt)
        .order_by_desc(payment_run::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// What a run reads of an invoice it may pay: only the columns the plan and the payment's lines
/// need, so that a run over 100 000 invoices holds a few megabytes, not whole rows.
#[derive(Debug, Clone, PartialEq, Eq, sea_orm::FromQueryResult)]
pub struct PayableInvoice {
    /// The invoice.
    pub id: i64,
    /// The company it is paid to (or on whose behalf).
    pub company_id: i64,
    /// The proforma it invoices.
    pub proforma_id: i64,
    /// Its number, as the payment line shows it.
    pub number: String,
    /// The amount to pay, tax included.
    pub gross_cents: i64,
    /// The IBAN the invoice names, if any.
    pub iban: Option<String>,
}

/// The approved invoices a run may pay, approved at or before `cutoff`, that no live payment
/// pays and the run has not held back, in id order.
///
/// # Errors
/// The driver's error.
pub async fn payables(
    conn: &impl ConnectionTrait,
    run_id: i64,
    cutoff: DateTime<Utc>,
) -> Result<Vec<PayableInvoice>, DbErr> {
    invoice::Entity::find()
        .select_only()
        .columns([
            invoice::Column::Id,
            invoice::Column::CompanyId,
            invoice::Column::ProformaId,
            invoice::Column::Number,
            invoice::Column::GrossCents,
            invoice::Column::Iban,
        ])
        .filter(invoice::Column::Status.eq(crate::invoice::status::APPROVED))
        .filter(invoice::Column::DecidedAt.lte(cutoff))
        .filter(invoice::Column::Id.not_in_subquery(transferred_invoice_ids()))
        .filter(
            invoice::Column::Id.not_in_subquery(
                Query::select()
                    .column(payment_hold::Column::InvoiceId)
                    .from(payment_hold::Entity)
                    .and_where(payment_hold::Column::RunId.eq(run_id))
                    .to_owned(),
            ),
        )
        .order_by_asc(invoice::Column::Id)
        .into_model::<PayableInvoice>()
        .all(conn)
        .await
}

/// Whether any approved invoice, approved at or before `cutoff`, awaits a payment (no live
/// payment pays it): what a new run would pay or hold back.
///
/// # Errors
/// The driver's error.
pub async fn anything_payable(conn: &impl ConnectionTrait, cutoff: DateTime<Utc>) -> Result<bool, DbErr> {
    let first = invoice::Entity::find()
        .select_only()
        .column(invoice::Column::Id)
        .filter(invoice::Column::Status.eq(crate::invoice::status::APPROVED))
        .filter(invoice::Column::DecidedAt.lte(cutoff))
        .filter(invoice::Column::Id.not_in_subquery(transferred_invoice_ids()))
        .limit(1)
        .into_tuple::<i64>()
        .one(conn)
        .await?;
    Ok(first.is_some())
}

/// What a payment's line says of the invoice it pays: the proforma's number and its dossiers
/// (`AF-2026-000031 — Habilitation électrique`), and whom its dossiers say to pay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct References {
    /// The proforma's number.
    pub proforma_number: String,
    /// Its dossiers, number and title, one per line.
    pub dossiers: Vec<String>,
    /// The company, or the training provider by subrogation (SPEC P1).
    pub beneficiary: domain::payout::Beneficiary,
}

impl Default for References {
    fn default() -> Self {
        Self { proforma_number: String::new(), dossiers: Vec::new(), beneficiary: domain::payout::Beneficiary::Company }
    }
}

/// A dossier's id, number, title and subrogation IBAN and holder, as `references` reads them.
type DossierPayee = (i64, String, String, Option<String>, Option<String>);

/// The references of proformas, by id, read a few hundred at a time.
///
/// # Errors
/// The driver's error.
pub async fn references(conn: &impl ConnectionTrait, proforma_ids: &[i64]) -> Result<HashMap<i64, References>, DbErr> {
    let mut out: HashMap<i64, References> = HashMap::with_capacity(proforma_ids.len());
    let mut ids = proforma_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(500) {
        // Only the columns a payment line shows: a run reads this for every invoice it pays.
        let numbers: Vec<(i64, String)> = proforma::Entity::find()
            .select_only()
            .columns([proforma::Column::Id, proforma::Column::Number])
            .filter(proforma::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        for (id, number) in numbers {
            out.entry(id).or_default().proforma_number = number;
        }
        let lines: Vec<(i64, i64)> = proforma_line::Entity::find()
            .select_only()
            .columns([proforma_line::Column::ProformaId, proforma_line::Column::DossierId])
            .filter(proforma_line::Column::ProformaId.is_in(chunk.iter().copied()))
            .order_by_asc(proforma_line::Column::Id)
            .into_tuple()
            .all(conn)
            .await?;
        let mut dossier_ids: Vec<i64> = lines.iter().map(|(_, dossier_id)| *dossier_id).collect();
        dossier_ids.sort_unstable();
        dossier_ids.dedup();
        let mut dossiers = HashMap::with_capacity(dossier_ids.len());
        for ids in dossier_ids.chunks(500) {
            let rows: Vec<DossierPayee> = dossier::Entity::find()
                .select_only()
                .columns([
                    dossier::Column::Id,
                    dossier::Column::Number,
                    dossier::Column::Title,
                    dossier::Column::SubrogationIban,
                    dossier::Column::SubrogationHolder,
                ])
                .filter(dossier::Column::Id.is_in(ids.iter().copied()))
                .into_tuple()
                .all(conn)
                .await?;
            for (id, number, title, iban, holder) in rows {
                let provider = crate::dossier::Subrogation::from_columns(iban.as_deref(), holder)
                    .map(|s| domain::payout::Account { iban: s.iban, holder: s.holder });
                dossiers.insert(id, (format!("{number} — {title}"), provider));
            }
        }
        let mut providers: HashMap<i64, Vec<Option<domain::payout::Account>>> = HashMap::new();
        for (proforma_id, dossier_id) in lines {
            let entry = out.entry(proforma_id).or_default();
            if let Some((text, provider)) = dossiers.get(&dossier_id) {
                if !entry.dossiers.contains(text) {
                    entry.dossiers.push(text.clone());
                }
                providers.entry(proforma_id).or_default().push(provider.clone());
            }
        }
        for (proforma_id, accounts) in providers {
            if let Some(entry) = out.get_mut(&proforma_id) {
                entry.beneficiary = domain::payout::Beneficiary::of_dossiers(&accounts);
            }
        }
    }
    Ok(out)
}

/// A payment about to be recorded in a run.
#[derive(Debug, Clone)]
pub struct NewPayment {
    /// One payment per key and run.
    pub payee_key: String,
    /// The company paid.
    pub company_id: i64,
    /// `company` (or `provider`, when the provider is paid by subrogation).
    pub payee_kind: &'static str,
    /// The account holder.
    pub payee_name: String,
    /// The account.
    pub payee_iban: String,
    /// The invoices it pays.
    pub items: Vec<NewItem>,
}

/// An invoice paid by a new payment, its references frozen.
#[derive(Debug, Clone)]
pub struct NewItem {
    /// The invoice.
    pub invoice_id: i64,
    /// Amount paid for it.
    pub amount_cents: i64,
    /// The company's invoice number.
    pub invoice_number: String,
    /// The proforma's number.
    pub proforma_number: String,
    /// Its dossiers, one per line.
    pub dossiers: String,
}

/// Records a payment and the invoices it pays, in the caller's transaction. Its end-to-end id is
/// the run's message id and its rank in the run. Fails on a unique key when one of the invoices
/// is already paid by a live payment, or when the run already pays this payee.
///
/// # Errors
/// The driver's error.
pub async fn record(conn: &impl ConnectionTrait, run: &Run, new: NewPayment) -> Result<Payment, DbErr> {
    let rank = payment::Entity::find().filter(payment::Column::RunId.eq(run.id)).count(conn).await? + 1;
    let amount_cents = new.items.iter().map(|i| i.amount_cents).sum();
    let row = payment::ActiveModel {
        run_id: Set(run.id),
        payee_key: Set(new.payee_key),
        end_to_end_id: Set(format!("{}-{rank:06}", run.message_id)),
        company_id: Set(new.company_id),
        payee_kind: Set(new.payee_kind.to_owned()),
        payee_name: Set(new.payee_name),
        payee_iban: Set(new.payee_iban),
        amount_cents: Set(amount_cents),
        status: Set(status::SENT.to_owned()),
        status_reason: Set(None),
        returned_at: Set(None),
        bank_return_id: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let items: Vec<payment_item::ActiveModel> = new
        .items
        .into_iter()
        .map(|i| payment_item::ActiveModel {
            payment_id: Set(row.id),
            invoice_id: Set(i.invoice_id),
            live_invoice_id: Set(Some(i.invoice_id)),
            amount_cents: Set(i.amount_cents),
            invoice_number: Set(i.invoice_number),
            proforma_number: Set(i.proforma_number),
            dossiers: Set(i.dossiers),
            ..Default::default()
        })
        .collect();
    for chunk in items.chunks(200) {
        payment_item::Entity::insert_many(chunk.to_vec()).exec(conn).await?;
    }
    Ok(row)
}

/// Records that the run holds an invoice back, and why, in the caller's transaction.
///
/// # Errors
/// The driver's error.
pub async fn hold(
    conn: &impl ConnectionTrait,
    run_id: i64,
    invoice_id: i64,
    company_id: i64,
    reason: &str,
) -> Result<(), DbErr> {
    payment_hold::ActiveModel {
        run_id: Set(run_id),
        invoice_id: Set(invoice_id),
        company_id: Set(company_id),
        reason: Set(reason.to_owned()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Freezes a run being prepared: counts and sums its payments and holds, and lets the next run
/// start. Returns the frozen run (unchanged if it was frozen already).
///
/// # Errors
/// The driver's error, or `RecordNotFound` for an unknown run.
pub async fn freeze(conn: &impl ConnectionTrait, run_id: i64, now: DateTime<Utc>) -> Result<Run, DbErr> {
    let payments = payment::Entity::find().filter(payment::Column::RunId.eq(run_id)).all(conn).await?;
    let held = payment_hold::Entity::find().filter(payment_hold::Column::RunId.eq(run_id)).count(conn).await?;
    payment_run::Entity::update_many()
        .col_expr(payment_run::Column::Status, run_status::FROZEN.into())
        .col_expr(payment_run::Column::Preparing, Option::<i32>::None.into())
        .col_expr(payment_run::Column::FrozenAt, Some(now).into())
        .col_expr(payment_run::Column::PaymentCount, i64::try_from(payments.len()).unwrap_or(i64::MAX).into())
        .col_expr(payment_run::Column::TotalCents, payments.iter().map(|p| p.amount_cents).sum::<i64>().into())
        .col_expr(payment_run::Column::HeldCount, i64::try_from(held).unwrap_or(i64::MAX).into())
        .filter(payment_run::Column::Id.eq(run_id))
        .filter(payment_run::Column::Status.eq(run_status::PREPARING))
        .exec(conn)
        .await?;
    run(conn, run_id).await?.ok_or_else(|| DbErr::RecordNotFound(format!("payment_run {run_id}")))
}

/// Records the kept SEPA file of a frozen run, unless one is recorded already (the first file
/// kept stays the one served); returns whether this call recorded it.
///
/// # Errors
/// The driver's error.
pub async fn keep_sepa(conn: &impl ConnectionTrait, run_id: i64, sha256: &str, size: i64) -> Result<bool, DbErr> {
    let changed = payment_run::Entity::update_many()
        .col_expr(payment_run::Column::SepaSha256, Some(sha256.to_owned()).into())
        .col_expr(payment_run::Column::SepaSize, Some(size).into())
        .filter(payment_run::Column::Id.eq(run_id))
        .filter(payment_run::Column::Status.eq(run_status::FROZEN))
        .filter(payment_run::Column::SepaSha256.is_null())
        .exec(conn)
        .await?;
    Ok(changed.rows_affected == 1)
}

/// Up to `limit` runs with a kept SEPA file after `after_id`, in id order (`check`, `backup`).
///
/// # Errors
/// The driver's error.
pub async fn kept_sepa_after(conn: &impl ConnectionTrait, after_id: i64, limit: u64) -> Result<Vec<Run>, DbErr> {
    payment_run::Entity::find()
        .filter(payment_run::Column::Id.gt(after_id))
        .filter(payment_run::Column::SepaSha256.is_not_null())
        .order_by_asc(payment_run::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// Marks the run's advices as announced; returns whether this call did it (so the bell rings
/// once even when two processes finish the same run).
///
/// # Errors
/// The driver's error.
pub async fn mark_advised(conn: &impl ConnectionTrait, run_id: i64, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let changed = payment_run::Entity::update_many()
        .col_expr(payment_run::Column::AdvisedAt, Some(now).into())
        .filter(payment_run::Column::Id.eq(run_id))
        .filter(payment_run::Column::AdvisedAt.is_null())
        .exec(conn)
        .await?;
    Ok(changed.rows_affected == 1)
}

/// The payments of a run, in rank order.
///
/// # Errors
/// The driver's error.
pub async fn payments_of(conn: &impl ConnectionTrait, run_id: i64) -> Result<Vec<Payment>, DbErr> {
    payment::Entity::find().filter(payment::Column::RunId.eq(run_id)).order_by_asc(payment::Column::Id).all(conn).await
}

/// The invoices held back by a run.
///
/// # Errors
/// The driver's error.
pub async fn holds_of(conn: &impl ConnectionTrait, run_id: i64) -> Result<Vec<Held>, DbErr> {
    payment_hold::Entity::find()
        .filter(payment_hold::Column::RunId.eq(run_id))
        .order_by_asc(payment_hold::Column::InvoiceId)
        .all(conn)
        .await
}

/// The invoices paid by some payments, by payment, in id order.
///
/// # Errors
/// The driver's error.
pub async fn items_of(conn: &impl ConnectionTrait, payment_ids: &[i64]) -> Result<HashMap<i64, Vec<Item>>, DbErr> {
    let mut out: HashMap<i64, Vec<Item>> = HashMap::with_capacity(payment_ids.len());
    for chunk in payment_ids.chunks(500) {
        let rows = payment_item::Entity::find()
            .filter(payment_item::Column::PaymentId.is_in(chunk.iter().copied()))
            .order_by_asc(payment_item::Column::Id)
            .all(conn)
            .await?;
        for row in rows {
            out.entry(row.payment_id).or_default().push(row);
        }
    }
    Ok(out)
}

/// The invoice numbers paid by some payments, by payment, in line order: what a SEPA file's
/// remittance text needs, without the rest of each line.
///
/// # Errors
/// The driver's error.
pub async fn invoice_numbers_of(
    conn: &impl ConnectionTrait,
    payment_ids: &[i64],
) -> Result<HashMap<i64, Vec<String>>, DbErr> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::with_capacity(payment_ids.len());
    for chunk in payment_ids.chunks(500) {
        let rows: Vec<(i64, String)> = payment_item::Entity::find()
            .select_only()
            .columns([payment_item::Column::PaymentId, payment_item::Column::InvoiceNumber])
            .filter(payment_item::Column::PaymentId.is_in(chunk.iter().copied()))
            .order_by_asc(payment_item::Column::Id)
            .into_tuple()
            .all(conn)
            .await?;
        for (payment_id, number) in rows {
            out.entry(payment_id).or_default().push(number);
        }
    }
    Ok(out)
}

/// What the advice of each payment of a run needs: how many invoices it pays, and who uploaded
/// them (each once, in id order), by payment.
///
/// # Errors
/// The driver's error.
pub async fn advice_lines(conn: &impl ConnectionTrait, run_id: i64) -> Result<HashMap<i64, (usize, Vec<i64>)>, DbErr> {
    let lines: Vec<(i64, i64)> = payment_item::Entity::find()
        .select_only()
        .columns([payment_item::Column::PaymentId, payment_item::Column::InvoiceId])
        .filter(
            payment_item::Column::PaymentId.in_subquery(
                Query::select()
                    .column(payment::Column::Id)
                    .from(payment::Entity)
                    .and_where(payment::Column::RunId.eq(run_id))
                    .to_owned(),
            ),
        )
        .into_tuple()
        .all(conn)
        .await?;
    let uploaders =
        crate::invoice::uploaders(conn, &lines.iter().map(|(_, invoice)| *invoice).collect::<Vec<_>>()).await?;
    let mut out: HashMap<i64, (usize, Vec<i64>)> = HashMap::new();
    for (payment_id, invoice_id) in lines {
        let entry = out.entry(payment_id).or_default();
        entry.0 += 1;
        entry.1.extend(uploaders.get(&invoice_id));
    }
    for (_, uploaders) in out.values_mut() {
        uploaders.sort_unstable();
        uploaders.dedup();
    }
    Ok(out)
}

/// A payment by id, with its run (the caller checks who may see it).
///
/// # Errors
/// The driver's error.
pub async fn payment(conn: &impl ConnectionTrait, id: i64) -> Result<Option<(Payment, Run)>, DbErr> {
    let Some(payment) = payment::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    Ok(run(conn, payment.run_id).await?.map(|run| (payment, run)))
}

/// A company's payments of frozen runs, newest first, with their runs.
///
/// # Errors
/// The driver's error.
pub async fn for_company(conn: &impl ConnectionTrait, company_id: i64) -> Result<Vec<(Payment, Run)>, DbErr> {
    let payments = payment::Entity::find()
        .filter(payment::Column::CompanyId.eq(company_id))
        .order_by_desc(payment::Column::Id)
        .all(conn)
        .await?;
    let mut run_ids: Vec<i64> = payments.iter().map(|p| p.run_id).collect();
    run_ids.sort_unstable();
    run_ids.dedup();
    let runs: HashMap<i64, Run> = payment_run::Entity::find()
        .filter(payment_run::Column::Id.is_in(run_ids))
        .filter(payment_run::Column::Status.eq(run_status::FROZEN))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    Ok(payments.into_iter().filter_map(|p| runs.get(&p.run_id).cloned().map(|r| (p, r))).collect())
}

/// A company's approved invoices that no live payment pays, oldest first, each with the reason
/// the latest run held it back, if it did.
///
/// # Errors
/// The driver's error.
pub async fn unpaid_for_company(
    conn: &impl ConnectionTrait,
    company_id: i64,
) -> Result<Vec<(invoice::Model, Option<String>)>, DbErr> {
    let invoices = invoice::Entity::find()
        .filter(invoice::Column::CompanyId.eq(company_id))
        .filter(invoice::Column::Status.eq(crate::invoice::status::APPROVED))
        .filter(invoice::Column::Id.not_in_subquery(transferred_invoice_ids()))
        .order_by_asc(invoice::Column::Id)
        .all(conn)
        .await?;
    let holds = payment_hold::Entity::find()
        .filter(payment_hold::Column::CompanyId.eq(company_id))
        .filter(payment_hold::Column::InvoiceId.is_in(invoices.iter().map(|i| i.id)))
        .order_by_asc(payment_hold::Column::RunId)
        .all(conn)
        .await?;
    let mut latest: HashMap<i64, String> = HashMap::new();
    for h in holds {
        latest.insert(h.invoice_id, h.reason);
    }
    Ok(invoices
        .into_iter()
        .map(|i| {
            let reason = latest.remove(&i.id);
            (i, reason)
        })
        .collect())
}

/// Every run's held invoices still unpaid, for staff: invoice id, company id, reason, run id.
///
/// # Errors
/// The driver's error.
pub async fn open_holds(conn: &impl ConnectionTrait) -> Result<Vec<Held>, DbErr> {
    let rows = payment_hold::Entity::find()
        .filter(payment_hold::Column::InvoiceId.not_in_subquery(transferred_invoice_ids()))
        .order_by_desc(payment_hold::Column::RunId)
        .limit(1000)
        .all(conn)
        .await?;
    // The latest hold of each invoice only.
    let mut seen = std::collections::HashSet::new();
    Ok(rows.into_iter().filter(|h| seen.insert(h.invoice_id)).collect())
}

/// Payments the bank rejected whose invoices are not paid again yet: the staff's tasks.
///
/// # Errors
/// The driver's error.
pub async fn rejected_to_follow(conn: &impl ConnectionTrait) -> Result<Vec<Payment>, DbErr> {
    let rejected = payment::Entity::find()
        .filter(payment::Column::Status.eq(status::REJECTED))
        .order_by_desc(payment::Column::Id)
        .limit(500)
        .all(conn)
        .await?;
    let items = items_of(conn, &rejected.iter().map(|p| p.id).collect::<Vec<_>>()).await?;
    let mut out = Vec::new();
    for p in rejected {
        let invoice_ids: Vec<i64> =
            items.get(&p.id).map(|i| i.iter().map(|i| i.invoice_id).collect()).unwrap_or_default();
        let repaid = payment_item::Entity::find()
            .filter(payment_item::Column::LiveInvoiceId.is_in(invoice_ids.iter().copied()))
            .count(conn)
            .await?;
        if repaid < u64::try_from(invoice_ids.len()).unwrap_or(u64::MAX) {
            out.push(p);
        }
    }
    Ok(out)
}

/// Payments by end-to-end id.
///
/// # Errors
/// The driver's error.
pub async fn by_end_to_end(conn: &impl ConnectionTrait, ids: &[String]) -> Result<HashMap<String, Payment>, DbErr> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        for p in
            payment::Entity::find().filter(payment::Column::EndToEndId.is_in(chunk.iter().cloned())).all(conn).await?
        {
            out.insert(p.end_to_end_id.clone(), p);
        }
    }
    Ok(out)
}

/// A returns file already imported, by the digest of its bytes.
///
/// # Errors
/// The driver's error.
pub async fn bank_return(conn: &impl ConnectionTrait, digest: &str) -> Result<Option<BankReturn>, DbErr> {
    bank_return::Entity::find().filter(bank_return::Column::Digest.eq(digest)).one(conn).await
}

/// Records a returns file as imported (its digest is unique: the same file cannot be applied
/// twice), in the caller's transaction.
///
/// # Errors
/// The driver's error.
pub async fn record_bank_return(
    conn: &impl ConnectionTrait,
    digest: &str,
    file_name: &str,
    counts: (i64, i64),
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<BankReturn, DbErr> {
    bank_return::ActiveModel {
        digest: Set(digest.to_owned()),
        file_name: Set(file_name.to_owned()),
        settled: Set(counts.0),
        rejected: Set(counts.1),
        imported_by: Set(by),
        imported_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// Marks a sent payment settled by the bank. Returns whether it moved.
///
/// # Errors
/// The driver's error.
pub async fn settle(conn: &impl ConnectionTrait, id: i64, return_id: i64, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let changed = payment::Entity::update_many()
        .col_expr(payment::Column::Status, status::SETTLED.into())
        .col_expr(payment::Column::ReturnedAt, Some(now).into())
        .col_expr(payment::Column::BankReturnId, Some(return_id).into())
        .filter(payment::Column::Id.eq(id))
        .filter(payment::Column::Status.eq(status::SENT))
        .exec(conn)
        .await?;
    Ok(changed.rows_affected == 1)
}

/// Marks a payment rejected by the bank (sent, or settled then returned) and makes its invoices
/// payable again. Returns whether it moved.
///
/// # Errors
/// The driver's error.
pub async fn reject(
    conn: &impl ConnectionTrait,
    id: i64,
    reason: &str,
    return_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let changed = payment::Entity::update_many()
        .col_expr(payment::Column::Status, status::REJECTED.into())
        .col_expr(payment::Column::StatusReason, Some(reason.to_owned()).into())
        .col_expr(payment::Column::ReturnedAt, Some(now).into())
        .col_expr(payment::Column::BankReturnId, Some(return_id).into())
        .filter(payment::Column::Id.eq(id))
        .filter(payment::Column::Status.ne(status::REJECTED))
        .exec(conn)
        .await?;
    if changed.rows_affected == 1 {
        payment_item::Entity::update_many()
            .col_expr(payment_item::Column::LiveInvoiceId, Expr::value(Option::<i64>::None))
            .filter(payment_item::Column::PaymentId.eq(id))
            .exec(conn)
            .await?;
    }
    Ok(changed.rows_affected == 1)
}

// ---------------------------------------------------------------------------------------------
// What the money says of invoices, DR and dossiers (issue 11 point 5): derived from the payments
// each time, never stored beside them. An invoice is paid while a payment of a frozen run pays it
// (`live_invoice_id`, cleared when the bank returns the transfer).

/// The ids of the invoices a transfer of a frozen run pays, as SQL for the lists' filters.
pub(crate) fn paid_invoice_ids() -> SelectStatement {
    Query::select()
        .column((payment_item::Entity, payment_item::Column::LiveInvoiceId))
        .from(payment_item::Entity)
        .inner_join(
            payment::Entity,
            Expr::col((payment::Entity, payment::Column::Id))
                .equals((payment_item::Entity, payment_item::Column::PaymentId)),
        )
        .inner_join(
            payment_run::Entity,
            Expr::col((payment_run::Entity, payment_run::Column::Id)).equals((payment::Entity, payment::Column::RunId)),
        )
        .and_where(Expr::col((payment_run::Entity, payment_run::Column::Status)).eq(run_status::FROZEN))
        .and_where(Expr::col((payment_item::Entity, payment_item::Column::LiveInvoiceId)).is_not_null())
        .to_owned()
}

/// The ids of the DR whose invoice a transfer pays, as SQL.
pub(crate) fn paid_reimbursement_ids() -> SelectStatement {
    Query::select()
        .column((proforma_line::Entity, proforma_line::Column::ReimbursementId))
        .from(proforma_line::Entity)
        .inner_join(
            invoice::Entity,
            Expr::col((invoice::Entity, invoice::Column::ProformaId))
                .equals((proforma_line::Entity, proforma_line::Column::ProformaId)),
        )
        .and_where(Expr::col((invoice::Entity, invoice::Column::Id)).in_subquery(paid_invoice_ids()))
        .to_owned()
}

/// The ids of the dossiers with a validated DR, all of them (`unpaid == false`) or only those
/// whose invoice no transfer pays yet (`unpaid == true`), as SQL.
pub(crate) fn dossiers_with_validated(unpaid: bool) -> SelectStatement {
    let mut query = Query::select()
        .column((reimbursement::Entity, reimbursement::Column::DossierId))
        .from(reimbursement::Entity)
        .and_where(
            Expr::col((reimbursement::Entity, reimbursement::Column::Status))
                .eq(domain::reimbursement::DrStatus::Validated.code()),
        )
        .to_owned();
    if unpaid {
        query.and_where(
            Expr::col((reimbursement::Entity, reimbursement::Column::Id)).not_in_subquery(paid_reimbursement_ids()),
        );
    }
    query
}

/// What the money says of some invoices, by id (absent: no transfer ever paid it), read a few
/// hundred at a time.
///
/// # Errors
/// The driver's error.
pub async fn settlements(conn: &impl ConnectionTrait, invoice_ids: &[i64]) -> Result<HashMap<i64, Settlement>, DbErr> {
    let mut out: HashMap<i64, Settlement> = HashMap::new();
    let mut ids = invoice_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(500) {
        let items = payment_item::Entity::find()
            .filter(payment_item::Column::InvoiceId.is_in(chunk.iter().copied()))
            .all(conn)
            .await?;
        if items.is_empty() {
            continue;
        }
        let payments: HashMap<i64, Payment> = payment::Entity::find()
            .filter(payment::Column::Id.is_in(items.iter().map(|i| i.payment_id)))
            .all(conn)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let runs: HashMap<i64, Run> = payment_run::Entity::find()
            .filter(payment_run::Column::Id.is_in(payments.values().map(|p| p.run_id)))
            .all(conn)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        for item in items {
            let Some(payment) = payments.get(&item.payment_id) else { continue };
            let Some(run) = runs.get(&payment.run_id) else { continue };
            let fact = if item.live_invoice_id.is_some() && run.status == run_status::FROZEN {
                Settlement::Issued {
                    payment_id: payment.id,
                    company_id: payment.company_id,
                    execution_date: run.execution_date,
                }
            } else if payment.status == status::REJECTED {
                Settlement::Returned {
                    payment_id: payment.id,
                    company_id: payment.company_id,
                    reason: payment.status_reason.clone().unwrap_or_default(),
                }
            } else {
                continue;
            };
            let entry = out.entry(item.invoice_id).or_default();
            *entry = std::mem::take(entry).or(fact);
        }
    }
    Ok(out)
}

/// What the money says of some DR, by id: that of the approved invoice of their proforma
/// (absent: no such invoice, or no transfer ever paid it).
///
/// # Errors
/// The driver's error.
pub async fn reimbursement_settlements(
    conn: &impl ConnectionTrait,
    reimbursement_ids: &[i64],
) -> Result<HashMap<i64, Settlement>, DbErr> {
    let mut out = HashMap::new();
    for chunk in reimbursement_ids.chunks(500) {
        let lines = proforma_line::Entity::find()
            .filter(proforma_line::Column::ReimbursementId.is_in(chunk.iter().copied()))
            .all(conn)
            .await?;
        if lines.is_empty() {
            continue;
        }
        let invoices = invoice::Entity::find()
            .filter(invoice::Column::ProformaId.is_in(lines.iter().map(|l| l.proforma_id)))
            .filter(invoice::Column::Status.eq(crate::invoice::status::APPROVED))
            .all(conn)
            .await?;
        let mut facts = settlements(conn, &invoices.iter().map(|i| i.id).collect::<Vec<_>>()).await?;
        let by_proforma: HashMap<i64, Settlement> =
            invoices.into_iter().filter_map(|i| facts.remove(&i.id).map(|s| (i.proforma_id, s))).collect();
        for line in lines {
            if let Some(fact) = by_proforma.get(&line.proforma_id) {
                out.insert(line.reimbursement_id, fact.clone());
            }
        }
    }
    Ok(out)
}

/// How many validated DR each dossier has, and how many of them a transfer pays, by dossier id
/// (absent: no validated DR); for [`domain::dossier::DossierStatus::settled`].
///
/// # Errors
/// The driver's error.
pub async fn dossier_settlements(
    conn: &impl ConnectionTrait,
    dossier_ids: &[i64],
) -> Result<HashMap<i64, (usize, usize)>, DbErr> {
    let mut out: HashMap<i64, (usize, usize)> = HashMap::new();
    for chunk in dossier_ids.chunks(500) {
        let validated = reimbursement::Entity::find()
            .filter(reimbursement::Column::DossierId.is_in(chunk.iter().copied()))
            .filter(reimbursement::Column::Status.eq(domain::reimbursement::DrStatus::Validated.code()))
            .all(conn)
            .await?;
        let facts = reimbursement_settlements(conn, &validated.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
        for dr in validated {
            let entry = out.entry(dr.dossier_id).or_default();
            entry.0 += 1;
            if facts.get(&dr.id).is_some_and(Settlement::is_paid) {
                entry.1 += 1;
            }
        }
    }
    Ok(out)
}

// --- Bounded lists of runs and transfers (SPEC Q5).

/// The runs' order: newest first, by id (runs are created in the order they start).
#[derive(Debug, Clone, Copy)]
pub struct RunsNewestFirst;

impl crate::listing::Keyset<payment_run::Entity> for RunsNewestFirst {
    fn order(&self, query: sea_orm::Select<payment_run::Entity>) -> sea_orm::Select<payment_run::Entity> {
        query.order_by_desc(payment_run::Column::Id)
    }
    fn after(
        &self,
        query: sea_orm::Select<payment_run::Entity>,
        cursor: crate::listing::Cursor,
    ) -> sea_orm::Select<payment_run::Entity> {
        query.filter(payment_run::Column::Id.lt(cursor.id))
    }
    fn cursor(&self, row: &Run) -> crate::listing::Cursor {
        crate::listing::Cursor::id(row.id)
    }
}

/// One window of the runs, newest first, with the count.
///
/// # Errors
/// The driver's error.
pub async fn runs_window(
    conn: &impl ConnectionTrait,
    window: crate::listing::Window,
) -> Result<crate::listing::Listed<Run>, DbErr> {
    crate::listing::window(conn, payment_run::Entity::find(), &RunsNewestFirst, window).await
}

/// The transfers' order: newest first, by id (a later run's transfers have larger ids).
#[derive(Debug, Clone, Copy)]
pub struct TransfersNewestFirst;

impl crate::listing::Keyset<payment::Entity> for TransfersNewestFirst {
    fn order(&self, query: sea_orm::Select<payment::Entity>) -> sea_orm::Select<payment::Entity> {
        query.order_by_desc(payment::Column::Id)
    }
    fn after(
        &self,
        query: sea_orm::Select<payment::Entity>,
        cursor: crate::listing::Cursor,
    ) -> sea_orm::Select<payment::Entity> {
        query.filter(payment::Column::Id.lt(cursor.id))
    }
    fn cursor(&self, row: &Payment) -> crate::listing::Cursor {
        crate::listing::Cursor::id(row.id)
    }
}

/// The transfers of frozen runs (a run being prepared has none to show yet), of one company
/// when `company` says so.
fn transfers_query(company: Option<i64>) -> sea_orm::Select<payment::Entity> {
    let mut query = payment::Entity::find().filter(
        payment::Column::RunId.in_subquery(
            Query::select()
                .column(payment_run::Column::Id)
                .from(payment_run::Entity)
                .and_where(payment_run::Column::Status.eq(run_status::FROZEN))
                .to_owned(),
        ),
    );
    if let Some(company) = company {
        query = query.filter(payment::Column::CompanyId.eq(company));
    }
    query
}

/// One window of the transfers of frozen runs (a company's, or all), newest first, with the
/// count. The caller checks who may see them.
///
/// # Errors
/// The driver's error.
pub async fn transfers_window(
    conn: &impl ConnectionTrait,
    company: Option<i64>,
    window: crate::listing::Window,
) -> Result<crate::listing::Listed<Payment>, DbErr> {
    crate::listing::window(conn, transfers_query(company), &TransfersNewestFirst, window).await
}

/// One export chunk of the transfers (as [`transfers_window`], without the count).
///
/// # Errors
/// The driver's error.
pub async fn transfers_chunk(
    conn: &impl ConnectionTrait,
    company: Option<i64>,
    after: Option<crate::listing::Cursor>,
) -> Result<(Vec<Payment>, Option<crate::listing::Cursor>), DbErr> {
    crate::listing::chunk(conn, transfers_query(company), &TransfersNewestFirst, after, crate::listing::EXPORT_CHUNK)
        .await
}

/// The runs of several transfers, and how many invoices each transfer pays: one statement
/// each, whatever the number of transfers.
///
/// # Errors
/// The driver's error.
pub async fn transfers_context(
    conn: &impl ConnectionTrait,
    payments: &[Payment],
) -> Result<(HashMap<i64, Run>, HashMap<i64, i64>), DbErr> {
    if payments.is_empty() {
        return Ok((HashMap::new(), HashMap::new()));
    }
    let mut run_ids: Vec<i64> = payments.iter().map(|p| p.run_id).collect();
    run_ids.sort_unstable();
    run_ids.dedup();
    let runs = payment_run::Entity::find()
        .filter(payment_run::Column::Id.is_in(run_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let counts: Vec<(i64, i64)> = payment_item::Entity::find()
        .select_only()
        .column(payment_item::Column::PaymentId)
        .column_as(Expr::col((payment_item::Entity, payment_item::Column::Id)).count(), "invoices")
        .filter(payment_item::Column::PaymentId.is_in(payments.iter().map(|p| p.id)))
        .group_by(payment_item::Column::PaymentId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok((runs, counts.into_iter().collect()))
}
