//! Reimbursement requests (DR) on accepted dossiers: claimed by nature with their supporting
//! documents, then validated (possibly for less), refused or sent back for information by a case
//! manager (SPEC F1, D8, D9).

use chrono::{DateTime, NaiveDate, Utc};
use domain::Money;
use domain::reimbursement::{DrStatus, Line, Nature};
use domain::scope::Scope;
use sea_orm::ExprTrait as _;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::entity::{company, dossier, reimbursement, reimbursement_line, trainee};
use crate::listing::{self, Cursor, Keyset, Listed, Window};

/// A DR row.
pub type Reimbursement = reimbursement::Model;

/// The status of a row.
#[must_use]
pub fn status(row: &Reimbursement) -> DrStatus {
    DrStatus::from_code(&row.status).unwrap_or(DrStatus::Submitted)
}

/// A DR as filed.
#[derive(Debug, Clone)]
pub struct NewReimbursement<'a> {
    /// The dossier claimed on (already reached by the caller's scope).
    pub dossier: &'a crate::dossier::Dossier,
    /// The budget charged (C5, C6), if one applies.
    pub budget: Option<String>,
    /// Amounts by nature (zero amounts left out).
    pub lines: &'a [Line],
    /// Day of filing.
    pub submitted_on: NaiveDate,
    /// Who files.
    pub created_by: i64,
}

/// Files a DR; its number is `DR-<year>-<id>`.
///
/// # Errors
/// The driver's error.
pub async fn create(
    conn: &impl ConnectionTrait,
    input: &NewReimbursement<'_>,
    now: DateTime<Utc>,
) -> Result<Reimbursement, DbErr> {
    let placeholder = format!("tmp-{}", crate::secret::random_u64().map_err(|e| DbErr::Custom(e.to_string()))?);
    let claimed = input.lines.iter().fold(Money::ZERO, |t, l| t + l.amount);
    let row = reimbursement::ActiveModel {
        number: Set(placeholder),
        dossier_id: Set(input.dossier.id),
        company_id: Set(input.dossier.company_id),
        establishment_id: Set(input.dossier.establishment_id),
        status: Set(DrStatus::Submitted.code().to_owned()),
        budget: Set(input.budget.clone()),
        claimed_cents: Set(claimed.cents()),
        validated_cents: Set(None),
        reason: Set(None),
        submitted_on: Set(input.submitted_on),
        info_due_on: Set(None),
        version: Set(0),
        created_by: Set(Some(input.created_by)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let number = format!("DR-{}-{:06}", input.submitted_on.format("%Y"), row.id);
    let mut active: reimbursement::ActiveModel = row.into();
    active.number = Set(number);
    let row = active.update(conn).await?;
    for line in input.lines.iter().filter(|l| l.amount != Money::ZERO) {
        reimbursement_line::ActiveModel {
            reimbursement_id: Set(row.id),
            nature: Set(line.nature.code().to_owned()),
            amount_cents: Set(line.amount.cents()),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    Ok(row)
}

/// A DR the scope reaches through its dossier (`None` for anyone else's).
///
/// # Errors
/// The driver's error.
pub async fn get(conn: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Option<Reimbursement>, DbErr> {
    let Some(row) = reimbursement::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    let reached = crate::dossier::get(conn, scope, row.dossier_id).await?.is_some();
    Ok(reached.then_some(row))
}

/// The amounts of a DR, in the order of the form.
///
/// # Errors
/// The driver's error.
pub async fn lines(conn: &impl ConnectionTrait, id: i64) -> Result<Vec<Line>, DbErr> {
    let rows =
        reimbursement_line::Entity::find().filter(reimbursement_line::Column::ReimbursementId.eq(id)).all(conn).await?;
    let mut lines: Vec<Line> = rows
        .into_iter()
        .filter_map(|r| {
            Nature::from_code(&r.nature).map(|nature| Line { nature, amount: Money::from_cents(r.amount_cents) })
        })
        .collect();
    lines.sort_by_key(|l| Nature::ALL.iter().position(|n| *n == l.nature));
    Ok(lines)
}

/// The DR of a dossier, newest first (the caller has reached the dossier).
///
/// # Errors
/// The driver's error.
pub async fn for_dossier(conn: &impl ConnectionTrait, dossier_id: i64) -> Result<Vec<Reimbursement>, DbErr> {
    reimbursement::Entity::find()
        .filter(reimbursement::Column::DossierId.eq(dossier_id))
        .order_by_desc(reimbursement::Column::Id)
        .all(conn)
        .await
}

/// What earlier DR of a dossier hold against it: (commitment, overrun). A pending DR holds what
/// it claims; a validated one what was validated, the commitment first; a refused one nothing.
///
/// # Errors
/// The driver's error.
pub async fn held(conn: &impl ConnectionTrait, dossier_id: i64) -> Result<(Money, Money), DbErr> {
    held_by_others(conn, dossier_id, None).await
}

/// What the DR of a dossier other than `except` hold against it, as [`held`]: what a DR may
/// still be validated for.
///
/// # Errors
/// The driver's error.
pub async fn held_by_others(
    conn: &impl ConnectionTrait,
    dossier_id: i64,
    except: Option<i64>,
) -> Result<(Money, Money), DbErr> {
    let (mut commitment, mut overrun) = (Money::ZERO, Money::ZERO);
    for dr in for_dossier(conn, dossier_id).await?.into_iter().filter(|dr| Some(dr.id) != except) {
        let state = status(&dr);
        if !state.counts() {
            continue;
        }
        let lines = lines(conn, dr.id).await?;
        let claimed_overrun =
            lines.iter().filter(|l| l.nature == Nature::Overrun).fold(Money::ZERO, |t, l| t + l.amount);
        let claimed_rest = Money::from_cents(dr.claimed_cents) - claimed_overrun;
        match dr.validated_cents.map(Money::from_cents) {
            Some(validated) if state == DrStatus::Validated => {
                let rest = claimed_rest.min(validated);
                commitment = commitment + rest;
                overrun = overrun + (validated - rest);
            }
            _ => {
                commitment = commitment + claimed_rest;
                overrun = overrun + claimed_overrun;
            }
        }
    }
    Ok((commitment, overrun))
}

/// Filters of the reimbursement queue, as case managers look for a DR: state, scheme, company
/// (name or SIREN), number (of the DR or its dossier), trainee name, day of submission and
/// amount claimed.
#[derive(Debug, Clone, Default)]
pub struct ReimbursementFilter {
    /// Only this state (paid is derived from the payments, as shown).
    pub status: Option<DrStatus>,
    /// Only DR on dossiers of this scheme.
    pub scheme: Option<String>,
    /// A company whose name or SIREN contains this.
    pub company: Option<String>,
    /// The DR's number or its dossier's number containing this.
    pub number: Option<String>,
    /// A trainee of the dossier whose given or family name contains this.
    pub trainee: Option<String>,
    /// Submitted on or after this day.
    pub from: Option<NaiveDate>,
    /// Submitted on or before this day.
    pub to: Option<NaiveDate>,
    /// Claiming at least this.
    pub min: Option<Money>,
    /// Claiming at most this.
    pub max: Option<Money>,
}

/// The ids of the companies whose name or SIREN (spaces ignored) contains `text`, as SQL.
pub(crate) fn companies_matching(text: &str) -> sea_orm::sea_query::SelectStatement {
    let siren: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let mut any = listing::any_contains([company::Column::Name], text);
    if !siren.is_empty() && siren.bytes().all(|b| b.is_ascii_digit()) {
        any = any.add(company::Column::Siren.contains(siren));
    }
    sea_orm::sea_query::Query::select().column(company::Column::Id).from(company::Entity).cond_where(any).to_owned()
}

fn queue_query(filter: &ReimbursementFilter) -> sea_orm::Select<reimbursement::Entity> {
    use sea_orm::sea_query::Query;
    let mut query = reimbursement::Entity::find();
    // Paid is what the payments say of a validated DR (never stored).
    let paid = || reimbursement::Column::Id.in_subquery(crate::payment::paid_reimbursement_ids());
    match filter.status {
        Some(DrStatus::Paid) => {
            query = query.filter(reimbursement::Column::Status.eq(DrStatus::Validated.code())).filter(paid());
        }
        Some(DrStatus::Validated) => {
            query = query.filter(reimbursement::Column::Status.eq(DrStatus::Validated.code())).filter(paid().not());
        }
        Some(status) => query = query.filter(reimbursement::Column::Status.eq(status.code())),
        None => {}
    }
    if let Some(scheme) = filter.scheme.as_deref().filter(|s| !s.is_empty()) {
        let of_scheme = Query::select()
            .column(dossier::Column::Id)
            .from(dossier::Entity)
            .and_where(dossier::Column::Scheme.eq(scheme))
            .to_owned();
        query = query.filter(reimbursement::Column::DossierId.in_subquery(of_scheme));
    }
    if let Some(text) = filter.company.as_deref().filter(|t| !t.trim().is_empty()) {
        query = query.filter(reimbursement::Column::CompanyId.in_subquery(companies_matching(text)));
    }
    if let Some(text) = filter.number.as_deref().filter(|t| !t.trim().is_empty()) {
        let dossiers = Query::select()
            .column(dossier::Column::Id)
            .from(dossier::Entity)
            .cond_where(listing::any_contains([dossier::Column::Number], text))
            .to_owned();
        query = query.filter(
            Condition::any()
                .add(listing::any_contains([reimbursement::Column::Number], text))
                .add(reimbursement::Column::DossierId.in_subquery(dossiers)),
        );
    }
    if let Some(text) = filter.trainee.as_deref().filter(|t| !t.trim().is_empty()) {
        let dossiers = Query::select()
            .column(trainee::Column::DossierId)
            .from(trainee::Entity)
            .cond_where(listing::any_contains([trainee::Column::GivenName, trainee::Column::FamilyName], text))
            .to_owned();
        query = query.filter(reimbursement::Column::DossierId.in_subquery(dossiers));
    }
    if let Some(from) = filter.from {
        query = query.filter(reimbursement::Column::SubmittedOn.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(reimbursement::Column::SubmittedOn.lte(to));
    }
    if let Some(min) = filter.min {
        query = query.filter(reimbursement::Column::ClaimedCents.gte(min.cents()));
    }
    if let Some(max) = filter.max {
        query = query.filter(reimbursement::Column::ClaimedCents.lte(max.cents()));
    }
    query
}

/// The queue's order: oldest submission first (what has waited longest), then by id, so that
/// the keyset walks the `(status, submitted_on, id)` index.
#[derive(Debug, Clone, Copy)]
pub struct OldestSubmitted;

impl Keyset<reimbursement::Entity> for OldestSubmitted {
    fn order(&self, query: sea_orm::Select<reimbursement::Entity>) -> sea_orm::Select<reimbursement::Entity> {
        query.order_by_asc(reimbursement::Column::SubmittedOn).order_by_asc(reimbursement::Column::Id)
    }
    fn after(
        &self,
        query: sea_orm::Select<reimbursement::Entity>,
        cursor: Cursor,
    ) -> sea_orm::Select<reimbursement::Entity> {
        match cursor.day {
            Some(day) => query.filter(
                Condition::any().add(reimbursement::Column::SubmittedOn.gt(day)).add(
                    Condition::all()
                        .add(reimbursement::Column::SubmittedOn.eq(day))
                        .add(reimbursement::Column::Id.gt(cursor.id)),
                ),
            ),
            // A cursor without a day (hand-written) starts from the beginning.
            None => query,
        }
    }
    fn cursor(&self, row: &Reimbursement) -> Cursor {
        Cursor { day: Some(row.submitted_on), id: row.id }
    }
}

/// One window of the case managers' queue (oldest submission first), with the count.
///
/// # Errors
/// The driver's error.
pub async fn queue(
    conn: &impl ConnectionTrait,
    filter: &ReimbursementFilter,
    window: Window,
) -> Result<Listed<Reimbursement>, DbErr> {
    listing::window(conn, queue_query(filter), &OldestSubmitted, window).await
}

/// One export chunk of the queue (as [`queue`], without the count).
///
/// # Errors
/// The driver's error.
pub async fn queue_chunk(
    conn: &impl ConnectionTrait,
    filter: &ReimbursementFilter,
    after: Option<Cursor>,
) -> Result<(Vec<Reimbursement>, Option<Cursor>), DbErr> {
    listing::chunk(conn, queue_query(filter), &OldestSubmitted, after, listing::EXPORT_CHUNK).await
}

/// The number and scheme of several dossiers in one statement, by dossier id, for the lines of a
/// staff list (callers check the staff role).
///
/// # Errors
/// The driver's error.
pub async fn dossier_numbers_unscoped(
    conn: &impl ConnectionTrait,
    dossier_ids: &[i64],
) -> Result<std::collections::HashMap<i64, (String, String)>, DbErr> {
    if dossier_ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let mut ids = dossier_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let rows: Vec<(i64, String, String)> = dossier::Entity::find()
        .select_only()
        .column(dossier::Column::Id)
        .column(dossier::Column::Number)
        .column(dossier::Column::Scheme)
        .filter(dossier::Column::Id.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|(id, number, scheme)| (id, (number, scheme))).collect())
}

/// What a change of state also sets.
#[derive(Debug, Clone, Default)]
pub struct DrChange {
    /// Amount validated.
    pub validated: Option<Money>,
    /// Reason (validated for less, refused).
    pub reason: Option<String>,
    /// Due date of an information request (cleared when `Some(None)`).
    pub info_due_on: Option<Option<NaiveDate>>,
}

/// Moves a DR from `from` to `to` if it is still at `version`; returns whether it moved.
///
/// # Errors
/// The driver's error.
pub async fn transition(
    conn: &impl ConnectionTrait,
    id: i64,
    version: i64,
    from: DrStatus,
    to: DrStatus,
    change: DrChange,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut update = reimbursement::Entity::update_many()
        .col_expr(reimbursement::Column::Status, to.code().into())
        .col_expr(reimbursement::Column::Version, Expr::col(reimbursement::Column::Version).add(1))
        .col_expr(reimbursement::Column::UpdatedAt, now.into());
    if let Some(amount) = change.validated {
        update = update.col_expr(reimbursement::Column::ValidatedCents, amount.cents().into());
    }
    if let Some(reason) = change.reason {
        update = update.col_expr(reimbursement::Column::Reason, reason.into());
    }
    if let Some(due) = change.info_due_on {
        update = update.col_expr(reimbursement::Column::InfoDueOn, due.into());
    }
    let changed = update
        .filter(reimbursement::Column::Id.eq(id))
        .filter(reimbursement::Column::Version.eq(version))
        .filter(reimbursement::Column::Status.eq(from.code()))
        .exec(conn)
        .await?;
    Ok(changed.rows_affected == 1)
}
