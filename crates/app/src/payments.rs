//! Payment runs (SPEC P1–P4): twice a week, and when a platform admin asks, every approved
//! invoice not yet paid is grouped by payee, frozen into payments and announced by a remittance
//! advice in the portal; the run's SEPA file is rebuilt from what was frozen.
//!
//! A run is one row per slot and goes through steps that each commit: the invoices held back,
//! then the payments a hundred payees at a time, then the freeze, then the advices. A crash at
//! any point leaves a run `preparing` that the next attempt for the slot (or the next run) goes on
//! with: what was committed is kept and never recorded again (the database refuses a second live
//! payment of an invoice), what was not is done again. Each step is named (see [`STEPS`]) so that
//! tests can stop a run there, in the process or by killing it.

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::Context as _;
use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use domain::Money;
use domain::payment::Slot;
use domain::payout::{self, Account, Beneficiary, Payable, Pending};
use store::notification::NewNotification;
use store::payment::{Begin, NewItem, NewPayment, NewRun, Run};

use crate::Context;

/// The job that performs a run; its key is the run's slot key (manual runs are enqueued by the
/// back-office).
pub use web::pages::payments::RUN_JOB;

/// Payees recorded per transaction.
const PAYEES_PER_COMMIT: usize = 100;

/// The named points of a run, in order, where a test may stop it (`recording` is inside the
/// transaction of the first payees, before it commits).
pub const STEPS: [&str; 7] = ["started", "held", "recording", "recorded", "before-freeze", "frozen", "advised"];

/// The run of a scheduled slot: pays what was approved before the slot.
#[must_use]
pub fn scheduled(slot: Slot) -> NewRun {
    NewRun {
        slot_key: slot.key(),
        kind: "scheduled",
        message_id: format!("EF-{}", slot.local.format("%Y%m%d-%H%M")),
        cutoff: slot.at,
        execution_date: business_day(slot.local.date()),
        started_by: None,
    }
}

/// A run a platform admin starts at `now`: one per minute at most, so that a double click does
/// not make two.
#[must_use]
pub fn manual(now: DateTime<Utc>, by: Option<i64>) -> NewRun {
    let local = now.with_timezone(&chrono_tz::Europe::Paris);
    NewRun {
        slot_key: format!("manuel-{}", local.format("%Y-%m-%dT%H:%M")),
        kind: "manual",
        message_id: format!("EF-M{}", local.format("%Y%m%d-%H%M")),
        cutoff: now,
        execution_date: business_day(local.date_naive()),
        started_by: by,
    }
}

/// What goes on with an interrupted run, as it was started.
#[must_use]
pub fn resuming(run: &Run) -> NewRun {
    NewRun {
        slot_key: run.slot_key.clone(),
        kind: if run.kind == "manual" { "manual" } else { "scheduled" },
        message_id: run.message_id.clone(),
        cutoff: run.cutoff,
        execution_date: run.execution_date,
        started_by: run.started_by,
    }
}

/// The day itself, or the Monday after a weekend (the SEPA system does not settle on weekends).
fn business_day(day: NaiveDate) -> NaiveDate {
    match day.weekday() {
        Weekday::Sat => day + chrono::Duration::days(2),
        Weekday::Sun => day + chrono::Duration::days(1),
        _ => day,
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// This call performed it (or finished an interrupted one).
    Performed {
        /// Whether it went on with an interrupted run.
        resumed: bool,
    },
    /// The slot's run was done before: nothing changed.
    AlreadyDone,
    /// Another process is preparing a run right now: nothing was done here; that process takes
    /// it to its end (and a job for this slot is simply tried again later).
    InProgress,
    /// No approved invoice awaited a payment: no run was made, so none offers an empty SEPA file
    /// (issue 11 point 8); a slot with nothing to pay is done with nothing.
    Nothing,
}

/// The sentence that says another process is preparing a run.
pub const IN_PROGRESS: &str = "Un paiement est déjà en cours de préparation par un autre processus : rien n’a été fait ici, il sera mené à son terme.";

/// The name of the right to prepare payment runs (`store::lock`).
const RUN_LOCK: &str = "payment-run";

/// The sentence that says a run had nothing to pay.
pub use web::pages::payments::NOTHING_TO_PAY;

/// What a run did.
#[derive(Debug, Clone)]
pub struct Report {
    /// The run (frozen unless busy), or none when there was nothing to pay.
    pub run: Option<Run>,
    /// How it ended.
    pub outcome: Outcome,
}

impl Report {
    /// One line in French for the command line and the logs.
    #[must_use]
    pub fn summary(&self) -> String {
        if self.outcome == Outcome::InProgress {
            return IN_PROGRESS.to_owned();
        }
        let Some(run) = &self.run else {
            return NOTHING_TO_PAY.to_owned();
        };
        let what = format!(
            "paiement {} ({}) : {} virement(s), {} ; {} facture(s) retenue(s)",
            run.id,
            run.slot_key,
            run.payment_count,
            Money::from_cents(run.total_cents),
            run.held_count
        );
        match &self.outcome {
            Outcome::Performed { resumed: false } => format!("{what}."),
            Outcome::Performed { resumed: true } => format!("{what} (reprise d’un paiement interrompu)."),
            Outcome::AlreadyDone => format!("Déjà effectué, rien n’a changé — {what}."),
            Outcome::InProgress => IN_PROGRESS.to_owned(),
            Outcome::Nothing => format!("{NOTHING_TO_PAY} — {what}."),
        }
    }
}

/// Hooks of a run: where it reports progress, and where a test stops it.
pub struct Hooks<'a> {
    /// Payees recorded so far, out of the total.
    pub progress: &'a (dyn Fn(u64, u64) + Sync),
    /// Asked at each named step; `true` stops the run there as a crash would.
    pub stop: &'a (dyn Fn(&str) -> bool + Sync),
}

impl std::fmt::Debug for Hooks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks").finish_non_exhaustive()
    }
}

impl Hooks<'_> {
    /// No progress, never stops.
    #[must_use]
    pub fn none() -> Hooks<'static> {
        Hooks { progress: &|_, _| {}, stop: &|_| false }
    }

    fn at(&self, step: &str) -> anyhow::Result<()> {
        if (self.stop)(step) {
            anyhow::bail!("paiement interrompu à l’étape « {step} »");
        }
        Ok(())
    }
}

/// Performs the run of `request`, or goes on with it after a crash, or says it was done.
///
/// # Errors
/// The database's, or an interruption asked by the hooks.
pub async fn perform(ctx: &Context, request: NewRun, hooks: &Hooks<'_>) -> anyhow::Result<Report> {
    // One process prepares runs at a time (SPEC Q4): held for the whole run, released even by a
    // crash, so that a run found preparing while we hold it was interrupted, and only then is
    // it « resumed ».
    let Some(exclusive) = store::lock::try_acquire(&ctx.db, RUN_LOCK).await? else {
        tracing::info!(slot = %request.slot_key, "payment run: another process is preparing one");
        return Ok(Report { run: None, outcome: Outcome::InProgress });
    };
    let report = perform_alone(ctx, request, hooks).await;
    exclusive.release().await;
    report
}

/// [`perform`], once this process holds the right to prepare runs.
async fn perform_alone(ctx: &Context, request: NewRun, hooks: &Hooks<'_>) -> anyhow::Result<Report> {
    let db = &ctx.db;
    // A run performed late (the portal was stopped at the slot) asks for execution today.
    let today = business_day(domain::clock::paris_day(ctx.clock.now()));
    let new = NewRun { execution_date: request.execution_date.max(today), ..request };
    let mut resumed_other = false;
    let (run, resumed) = loop {
        match store::payment::begin(db, new.clone(), ctx.clock.now()).await? {
            Begin::Started(run) => break (run, false),
            Begin::Resumed(run) => break (run, true),
            Begin::Done(run) => {
                // Frozen, but the file may not have been kept nor the advices gone out before a
                // crash.
                keep_sepa(ctx, &run).await;
                advise(ctx, &run, hooks).await?;
                return Ok(Report { run: Some(run), outcome: Outcome::AlreadyDone });
            }
            Begin::Busy(other) if !resumed_other => {
                // Nobody else may be preparing it (we hold the right): it was interrupted. Finish
                // it first, then ours.
                tracing::warn!(run.id = other.id, slot = %other.slot_key, "resuming an interrupted payment run");
                Box::pin(perform_alone(ctx, resuming(&other), hooks)).await?;
                resumed_other = true;
            }
            Begin::Busy(other) => {
                anyhow::bail!("le paiement {} est toujours en préparation après sa reprise", other.slot_key);
            }
            Begin::Nothing => {
                tracing::info!(slot = %new.slot_key, "payment run: nothing to pay, no run made");
                return Ok(Report { run: None, outcome: Outcome::Nothing });
            }
        }
    };
    hooks.at("started")?;

    // Bank account changes whose date has come are recorded (and audited) first; which account
    // is paid follows the dates anyway, so a run right at a change's date pays the new account
    // even if the worker has not noted it yet (SPEC Q3).
    let at = ctx.clock.now();
    let txn = store::db::write(db).await?;
    store::company::apply_due_bank_changes(&txn, at).await?;
    txn.commit().await?;
    let invoices = store::payment::payables(db, run.id, run.cutoff).await?;
    let mut companies: Vec<i64> = invoices.iter().map(|i| i.company_id).collect();
    companies.sort_unstable();
    companies.dedup();
    let mut accounts: BTreeMap<i64, Account> = BTreeMap::new();
    let mut pending: BTreeMap<i64, Pending> = BTreeMap::new();
    for (company, standing) in store::company::bank_standings(db, &companies, at).await? {
        if let Some(current) = standing.current {
            accounts.insert(company, Account { iban: current.account.iban, holder: current.account.holder_name });
        }
        if let Some(change) = standing.pending {
            pending.insert(company, Pending { iban: change.account.iban, effective_at: change.effective_at });
        }
    }
    let proformas: Vec<i64> = invoices.iter().map(|i| i.proforma_id).collect();
    let references = store::payment::references(db, &proformas).await?;
    let payables: Vec<Payable> = invoices
        .iter()
        .map(|i| Payable {
            invoice_id: i.id,
            company_id: i.company_id,
            amount: Money::from_cents(i.gross_cents),
            invoice_iban: i.iban.clone(),
            beneficiary: references.get(&i.proforma_id).map_or(Beneficiary::Company, |r| r.beneficiary.clone()),
        })
        .collect();
    let plan = payout::plan(&payables, &accounts, &pending);
    let by_id: HashMap<i64, &store::payment::PayableInvoice> = invoices.iter().map(|i| (i.id, i)).collect();

    if !plan.holds.is_empty() {
        let txn = store::db::write(db).await?;
        for (invoice_id, hold) in &plan.holds {
            let company_id = by_id.get(invoice_id).map_or(0, |i| i.company_id);
            store::payment::hold(&txn, run.id, *invoice_id, company_id, &hold.to_string()).await?;
        }
        txn.commit().await?;
    }
    hooks.at("held")?;

    // A payee already paid by this run before an interruption, with invoices that became payable
    // since (a transfer returned by the bank), waits for the next run.
    let recorded: HashSet<String> =
        store::payment::payments_of(db, run.id).await?.into_iter().map(|p| p.payee_key).collect();
    let transfers: Vec<_> = plan.transfers.into_iter().filter(|t| !recorded.contains(&t.payee.key())).collect();
    let total = u64::try_from(transfers.len()).unwrap_or(u64::MAX);
    let mut done = 0u64;
    for chunk in transfers.chunks(PAYEES_PER_COMMIT) {
        let txn = store::db::write(db).await?;
        for transfer in chunk {
            let items = transfer
                .invoices
                .iter()
                .filter_map(|id| by_id.get(id))
                .map(|invoice| {
                    let refs = references.get(&invoice.proforma_id).cloned().unwrap_or_default();
                    NewItem {
                        invoice_id: invoice.id,
                        amount_cents: invoice.gross_cents,
                        invoice_number: invoice.number.clone(),
                        proforma_number: refs.proforma_number,
                        dossiers: refs.dossiers.join("\n"),
                    }
                })
                .collect();
            let payment = NewPayment {
                payee_key: transfer.payee.key(),
                company_id: transfer.payee.company_id,
                payee_kind: transfer.payee.kind.code(),
                payee_name: transfer.payee.name.clone(),
                payee_iban: transfer.payee.iban.as_str().to_owned(),
                items,
            };
            store::payment::record(&txn, &run, payment).await?;
        }
        hooks.at("recording")?;
        txn.commit().await?;
        done += u64::try_from(chunk.len()).unwrap_or(0);
        (hooks.progress)(done, total);
        hooks.at("recorded")?;
    }

    hooks.at("before-freeze")?;
    let run = store::payment::freeze(db, run.id, ctx.clock.now()).await?;
    hooks.at("frozen")?;
    keep_sepa(ctx, &run).await;
    advise(ctx, &run, hooks).await?;
    tracing::info!(run.id = run.id, payments = run.payment_count, held = run.held_count, "payment run frozen");
    Ok(Report { run: Some(run), outcome: Outcome::Performed { resumed } })
}

/// Keeps the SEPA file of a frozen run in the document store. A store that does not answer does
/// not stop the run (it is frozen, its advices are due): the file is kept at its first download
/// or export instead, rebuilt from the same rows.
async fn keep_sepa(ctx: &Context, run: &Run) {
    if run.payment_count == 0 || run.sepa_sha256.is_some() {
        return;
    }
    if let Err(err) = web::pages::payments::keep_sepa_file(&ctx.db, &ctx.files, run, &ctx.config.debtor()).await {
        tracing::warn!(run.id = run.id, error = %err, "SEPA file not kept yet");
    }
}

/// Announces each payment of a frozen run by a bell (never by e-mail, SPEC P3), once.
async fn advise(ctx: &Context, run: &Run, hooks: &Hooks<'_>) -> anyhow::Result<()> {
    if run.advised_at.is_some() {
        return Ok(());
    }
    let db = &ctx.db;
    let now = ctx.clock.now();
    let payments = store::payment::payments_of(db, run.id).await?;
    let lines = store::payment::advice_lines(db, run.id).await?;
    let txn = store::db::write(db).await?;
    if !store::payment::mark_advised(&txn, run.id, now).await? {
        return Ok(());
    }
    let date = run.execution_date.format("%d/%m/%Y").to_string();
    // Who may open an advice is asked once per person, not once per payment they uploaded for.
    let mut scopes: HashMap<i64, Option<domain::scope::Scope>> = HashMap::new();
    for payment in &payments {
        let (count, uploaders) = lines.get(&payment.id).map_or((0, &[][..]), |(n, u)| (*n, u.as_slice()));
        // Only those who may open the advice: payments are company-wide, like the bank account.
        let mut others = Vec::with_capacity(uploaders.len());
        for &user in uploaders {
            let scope = match scopes.entry(user) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let scope = match store::account::get(&txn, user).await? {
                        Some(account) => Some(store::attachment::scope(&txn, user, account.role).await?),
                        None => None,
                    };
                    e.insert(scope)
                }
            };
            if scope.as_ref().is_some_and(|s| s.can(payment.company_id, None, domain::habilitation::Domain::Invoicing))
            {
                others.push(user);
            }
        }
        let masked =
            domain::Iban::parse(&payment.payee_iban).map_or_else(|_| payment.payee_iban.clone(), |i| i.masked());
        let news = NewNotification {
            kind: "payment.advice",
            title: format!("Avis de virement : {}", Money::from_cents(payment.amount_cents)),
            body: format!(
                "Un virement de {} est émis le {date} vers le compte {masked} pour {} facture(s). L’avis de virement est disponible dans votre espace.",
                Money::from_cents(payment.amount_cents),
                count
            ),
            link: Some(format!("/entreprises/{}/paiements/{}", payment.company_id, payment.id)),
        };
        store::notification::ring_company(&txn, payment.company_id, &others, &news, now).await?;
    }
    txn.commit().await?;
    hooks.at("advised")?;
    Ok(())
}

/// Performs the scheduled run due at `at` (the latest slot at or before it).
///
/// # Errors
/// When no slot is due in the week before `at` (a schedule without days), or the run fails.
pub async fn run_due(ctx: &Context, at: DateTime<Utc>, hooks: &Hooks<'_>) -> anyhow::Result<Report> {
    let schedule = ctx.config.payment_schedule()?;
    let slot = schedule.due_at(at).context("aucun paiement n’est prévu dans la semaine qui précède cette date")?;
    perform(ctx, scheduled(slot), hooks).await
}

/// Enqueues the run of the slot due now, if any; many workers may try, one job per slot is kept.
///
/// # Errors
/// The database's.
pub async fn schedule_due(ctx: &Context) -> anyhow::Result<()> {
    let now = ctx.clock.now();
    if let Some(slot) = ctx.config.payment_schedule()?.due_at(now) {
        store::job::enqueue(&ctx.db, RUN_JOB, &slot.key(), &serde_json::json!({}), now).await?;
    }
    Ok(())
}

/// Performs the run a job names: a scheduled slot (`2026-03-31T06:00`) or a manual run
/// (`manuel-…`, whose job payload names who asked and when).
///
/// # Errors
/// A key that names no slot, or the run's error.
pub async fn run_job(ctx: &Context, key: &str, payload: &str) -> anyhow::Result<Report> {
    let payload: serde_json::Value = serde_json::from_str(payload).unwrap_or_default();
    let request = if key.starts_with("manuel-") {
        let at = payload
            .get("at")
            .and_then(serde_json::Value::as_str)
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.with_timezone(&Utc))
            .with_context(|| format!("paiement manuel {key} : date de demande absente"))?;
        let by = payload.get("by").and_then(serde_json::Value::as_i64);
        manual(at, by)
    } else {
        let local = chrono::NaiveDateTime::parse_from_str(key, "%Y-%m-%dT%H:%M")
            .with_context(|| format!("créneau de paiement invalide : {key}"))?;
        let schedule = ctx.config.payment_schedule()?;
        let at =
            local.and_local_timezone(schedule.tz).earliest().map_or_else(|| local.and_utc(), |d| d.with_timezone(&Utc));
        scheduled(Slot { local, at })
    };
    let report = perform(ctx, request, &Hooks::none()).await?;
    if report.outcome == Outcome::InProgress {
        // Maybe this very slot, maybe another: tried again shortly, without counting a failure.
        return Err(crate::worker::Postpone(chrono::Duration::minutes(1)).into());
    }
    Ok(report)
}

/// One line per run, newest first: id, slot, state, execution date, payments, total, held,
/// separated by tabs (the id first, so that `cut -f1` lists them).
///
/// # Errors
/// The database's.
pub async fn list(ctx: &Context) -> anyhow::Result<Vec<String>> {
    Ok(store::payment::runs(&ctx.db, 1000)
        .await?
        .into_iter()
        .map(|r| {
            format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                r.id,
                r.slot_key,
                if r.status == store::payment::run_status::FROZEN { "terminé" } else { "en préparation" },
                r.execution_date.format("%d/%m/%Y"),
                r.payment_count,
                Money::from_cents(r.total_cents),
                r.held_count
            )
        })
        .collect())
}

/// Writes the SEPA file of run `id` to `out`; returns its size.
///
/// # Errors
/// An unknown or unfinished run, a run without transfers, or the file system's error.
pub async fn export(ctx: &Context, id: i64, out: &std::path::Path) -> anyhow::Result<usize> {
    let run =
        store::payment::run(&ctx.db, id).await?.with_context(|| format!("aucun paiement ne porte le numéro {id}"))?;
    let xml = web::pages::payments::kept_sepa_file(&ctx.db, &ctx.files, &run, &ctx.config.debtor())
        .await
        .map_err(|e| anyhow::anyhow!("paiement {id} : {e}"))?;
    std::fs::write(out, &xml).with_context(|| format!("écriture de {} impossible", out.display()))?;
    Ok(xml.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn a_scheduled_request_is_keyed_by_its_slot_and_pays_what_was_approved_before_it() {
        let schedule = domain::payment::Schedule::twice_a_week();
        let at = Utc.with_ymd_and_hms(2026, 3, 31, 9, 0, 0).unwrap();
        let request = scheduled(schedule.due_at(at).unwrap());
        assert_eq!(request.slot_key, "2026-03-31T06:00");
        assert_eq!(request.message_id, "EF-20260331-0600");
        assert_eq!(request.cutoff, Utc.with_ymd_and_hms(2026, 3, 31, 4, 0, 0).unwrap(), "06:00 in Paris summer time");
        assert_eq!(request.execution_date, NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
    }

    #[test]
    fn a_manual_request_is_one_per_minute_and_executes_on_a_business_day() {
        let saturday = Utc.with_ymd_and_hms(2026, 4, 4, 10, 15, 42).unwrap();
        let request = manual(saturday, Some(3));
        assert_eq!(request.slot_key, "manuel-2026-04-04T12:15");
        assert_eq!(request.message_id, "EF-M20260404-1215");
        assert_eq!(request.execution_date, NaiveDate::from_ymd_opt(2026, 4, 6).unwrap(), "the Monday after");
        assert_eq!(manual(saturday + chrono::Duration::seconds(10), Some(3)).slot_key, request.slot_key);
    }
}
