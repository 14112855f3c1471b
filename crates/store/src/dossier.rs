//! Training dossiers and work-study contracts, their trainees and their timeline.
//!
//! Reads take the caller's [`Scope`]: a company user sees the dossiers of the establishments where
//! they hold the dossier's domain (training or work-study); staff see all. Every change of state
//! is a compare-and-set on `(status, version)`: of two case managers deciding at once, one wins
//! and the other is told.

use chrono::{DateTime, NaiveDate, Utc};
use domain::Money;
use domain::dossier::DossierStatus;
use domain::habilitation::Domain;
use domain::scope::Scope;
use sea_orm::ExprTrait as _;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};

use crate::entity::{dossier, dossier_event, trainee};
use crate::listing::{self, Cursor, Keyset, Listed, Window};

/// A dossier row.
pub type Dossier = dossier::Model;
/// A trainee row.
pub type Trainee = trainee::Model;
/// A timeline entry.
pub type Event = dossier_event::Model;

/// The domain a dossier belongs to, from its kind.
#[must_use]
pub fn domain_of(kind: &str) -> Domain {
    if kind == Domain::WorkStudy.code() { Domain::WorkStudy } else { Domain::Training }
}

/// The status of a row.
#[must_use]
pub fn status(row: &Dossier) -> DossierStatus {
    DossierStatus::from_code(&row.status).unwrap_or(DossierStatus::Draft)
}

/// What a dossier holds, as filed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierInput {
    /// Company.
    pub company_id: i64,
    /// Establishment.
    pub establishment_id: i64,
    /// Scheme code.
    pub scheme: String,
    /// Sub-scheme code.
    pub sub_scheme: Option<String>,
    /// `training` or `work_study`.
    pub kind: Domain,
    /// `AKTO` or `FPETT`.
    pub payer: String,
    /// `permanent` or `temporary`.
    pub public: String,
    /// Training title.
    pub title: String,
    /// Training provider.
    pub provider_name: String,
    /// Its SIRET.
    pub provider_siret: String,
    /// Its NDA.
    pub provider_nda: String,
    /// First day.
    pub training_start: NaiveDate,
    /// Last day.
    pub training_end: NaiveDate,
    /// Hours.
    pub hours: i64,
    /// Total cost excluding VAT.
    pub cost: Money,
    /// Amount asked.
    pub requested: Money,
    /// The provider's account when the operator pays the provider directly (SPEC P1).
    pub subrogation: Option<Subrogation>,
}

/// The training provider's account, paid directly by subrogation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subrogation {
    /// IBAN (validated).
    pub iban: domain::Iban,
    /// The holder's exact name.
    pub holder: String,
}

impl Subrogation {
    /// The subrogation a dossier row asked for, if any.
    #[must_use]
    pub fn of(row: &Dossier) -> Option<Self> {
        Self::from_columns(row.subrogation_iban.as_deref(), row.subrogation_holder.clone())
    }

    /// The subrogation the two columns of a dossier row say, for reads that fetch only them.
    #[must_use]
    pub fn from_columns(iban: Option<&str>, holder: Option<String>) -> Option<Self> {
        let iban = domain::Iban::parse(iban?).ok()?;
        Some(Self { iban, holder: holder.unwrap_or_default() })
    }
}

/// A trainee as filed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraineeInput {
    /// First name.
    pub given_name: String,
    /// Last name.
    pub family_name: String,
}

/// Who acted, for the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineActor {
    /// The account.
    pub user_id: Option<i64>,
    /// How they are shown.
    pub label: String,
    /// Operator staff (shown as the operator to companies).
    pub staff: bool,
}

/// A timeline entry to record.
#[derive(Debug, Clone, Default)]
pub struct NewEvent {
    /// What happened (`created`, `submitted`, `accepted`…).
    pub kind: &'static str,
    /// Status before.
    pub from: Option<&'static str>,
    /// Status after.
    pub to: Option<&'static str>,
    /// Message or reason.
    pub message: Option<String>,
    /// Amount.
    pub amount: Option<Money>,
    /// Due date.
    pub due_on: Option<NaiveDate>,
}

/// Records a timeline entry for a dossier (`dossier_id`) or a DRF (`drf_id`).
///
/// # Errors
/// The driver's error.
pub async fn record_event(
    conn: &impl ConnectionTrait,
    dossier_id: Option<i64>,
    drf_id: Option<i64>,
    actor: &TimelineActor,
    event: NewEvent,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    dossier_event::ActiveModel {
        dossier_id: Set(dossier_id),
        drf_id: Set(drf_id),
        occurred_at: Set(now),
        actor_user_id: Set(actor.user_id),
        actor_label: Set(actor.label.clone()),
        by_staff: Set(actor.staff),
        kind: Set(event.kind.to_owned()),
        from_status: Set(event.from.map(str::to_owned)),
        to_status: Set(event.to.map(str::to_owned)),
        message: Set(event.message),
        amount_cents: Set(event.amount.map(Money::cents)),
        due_on: Set(event.due_on),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The timeline of a dossier, oldest first.
///
/// # Errors
/// The driver's error.
pub async fn timeline(
    conn: &impl ConnectionTrait,
    dossier_id: Option<i64>,
    drf_id: Option<i64>,
) -> Result<Vec<Event>, DbErr> {
    let mut condition = Condition::any();
    if let Some(id) = dossier_id {
        condition = condition.add(dossier_event::Column::DossierId.eq(id));
    }
    if let Some(id) = drf_id {
        condition = condition.add(dossier_event::Column::DrfId.eq(id));
    }
    dossier_event::Entity::find()
        .filter(condition)
        .order_by_asc(dossier_event::Column::OccurredAt)
        .order_by_asc(dossier_event::Column::Id)
        .all(conn)
        .await
}

fn prefix(kind: Domain) -> &'static str {
    if kind == Domain::WorkStudy { "CT" } else { "AF" }
}

/// Creates a draft dossier with its trainees; its number (`AF-2026-000042`) comes from its id.
///
/// # Errors
/// The driver's error.
pub async fn create(
    conn: &impl ConnectionTrait,
    input: &DossierInput,
    trainees: &[TraineeInput],
    drf_id: Option<i64>,
    duplicated_from: Option<i64>,
    created_by: i64,
    now: DateTime<Utc>,
) -> Result<Dossier, DbErr> {
    let placeholder = format!("tmp-{}", crate::secret::random_u64().map_err(|e| DbErr::Custom(e.to_string()))?);
    let row = dossier::ActiveModel {
        number: Set(placeholder),
        company_id: Set(input.company_id),
        establishment_id: Set(input.establishment_id),
        scheme: Set(input.scheme.clone()),
        sub_scheme: Set(input.sub_scheme.clone()),
        kind: Set(input.kind.code().to_owned()),
        payer: Set(input.payer.clone()),
        public: Set(input.public.clone()),
        status: Set(DossierStatus::Draft.code().to_owned()),
        title: Set(input.title.clone()),
        provider_name: Set(input.provider_name.clone()),
        provider_siret: Set(input.provider_siret.clone()),
        provider_nda: Set(input.provider_nda.clone()),
        training_start: Set(input.training_start),
        training_end: Set(input.training_end),
        hours: Set(input.hours),
        cost_cents: Set(input.cost.cents()),
        requested_cents: Set(input.requested.cents()),
        subrogation_iban: Set(input.subrogation.as_ref().map(|s| s.iban.as_str().to_owned())),
        subrogation_holder: Set(input.subrogation.as_ref().map(|s| s.holder.clone())),
        committed_cents: Set(None),
        drf_id: Set(drf_id),
        duplicated_from: Set(duplicated_from),
        submitted_on: Set(None),
        info_due_on: Set(None),
        version: Set(0),
        created_by: Set(Some(created_by)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let number = format!("{}-{}-{:06}", prefix(input.kind), input.training_start.format("%Y"), row.id);
    let mut active: dossier::ActiveModel = row.into();
    active.number = Set(number);
    let row = active.update(conn).await?;
    replace_trainees(conn, row.id, trainees).await?;
    Ok(row)
}

/// Replaces a draft's content and trainees, if it is still a draft at `version`.
///
/// # Errors
/// The driver's error.
pub async fn update_draft(
    conn: &impl ConnectionTrait,
    id: i64,
    version: i64,
    input: &DossierInput,
    trainees: &[TraineeInput],
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let changed = dossier::Entity::update_many()
        .col_expr(dossier::Column::EstablishmentId, input.establishment_id.into())
        .col_expr(dossier::Column::Scheme, input.scheme.clone().into())
        .col_expr(dossier::Column::SubScheme, input.sub_scheme.clone().into())
        .col_expr(dossier::Column::Payer, input.payer.clone().into())
        .col_expr(dossier::Column::Public, input.public.clone().into())
        .col_expr(dossier::Column::Title, input.title.clone().into())
        .col_expr(dossier::Column::ProviderName, input.provider_name.clone().into())
        .col_expr(dossier::Column::ProviderSiret, input.provider_siret.clone().into())
        .col_expr(dossier::Column::ProviderNda, input.provider_nda.clone().into())
        .col_expr(dossier::Column::TrainingStart, input.training_start.into())
        .col_expr(dossier::Column::TrainingEnd, input.training_end.into())
        .col_expr(dossier::Column::Hours, input.hours.into())
        .col_expr(dossier::Column::CostCents, input.cost.cents().into())
        .col_expr(dossier::Column::RequestedCents, input.requested.cents().into())
        .col_expr(
            dossier::Column::SubrogationIban,
            input.subrogation.as_ref().map(|s| s.iban.as_str().to_owned()).into(),
        )
        .col_expr(dossier::Column::SubrogationHolder, input.subrogation.as_ref().map(|s| s.holder.clone()).into())
        .col_expr(dossier::Column::Version, Expr::col(dossier::Column::Version).add(1))
        .col_expr(dossier::Column::UpdatedAt, now.into())
        .filter(dossier::Column::Id.eq(id))
        .filter(dossier::Column::Version.eq(version))
        .filter(dossier::Column::Status.eq(DossierStatus::Draft.code()))
        .exec(conn)
        .await?;
    if changed.rows_affected != 1 {
        return Ok(false);
    }
    replace_trainees(conn, id, trainees).await?;
    Ok(true)
}

async fn replace_trainees(
    conn: &impl ConnectionTrait,
    dossier_id: i64,
    trainees: &[TraineeInput],
) -> Result<(), DbErr> {
    trainee::Entity::delete_many().filter(trainee::Column::DossierId.eq(dossier_id)).exec(conn).await?;
    let rows: Vec<trainee::ActiveModel> = trainees
        .iter()
        .enumerate()
        .map(|(i, t)| trainee::ActiveModel {
            dossier_id: Set(dossier_id),
            position: Set(i64::try_from(i).unwrap_or(i64::MAX)),
            given_name: Set(t.given_name.clone()),
            family_name: Set(t.family_name.clone()),
            public: Set(String::new()),
            ..Default::default()
        })
        .collect();
    if !rows.is_empty() {
        trainee::Entity::insert_many(rows).exec_without_returning(conn).await?;
    }
    Ok(())
}

/// The trainees of a dossier, in order.
///
/// # Errors
/// The driver's error.
pub async fn trainees(conn: &impl ConnectionTrait, dossier_id: i64) -> Result<Vec<Trainee>, DbErr> {
    trainee::Entity::find()
        .filter(trainee::Column::DossierId.eq(dossier_id))
        .order_by_asc(trainee::Column::Position)
        .all(conn)
        .await
}

/// The condition restricting dossiers to what a company user's scope reaches in a company.
fn reach(scope: &Scope, company_id: i64) -> Condition {
    let mut any = Condition::any();
    for domain in [Domain::Training, Domain::WorkStudy] {
        let of_kind = Condition::all().add(dossier::Column::Kind.eq(domain.code()));
        match scope.establishments_with(company_id, domain) {
            None => any = any.add(of_kind),
            Some(ids) if ids.is_empty() => {}
            Some(ids) => any = any.add(of_kind.add(dossier::Column::EstablishmentId.is_in(ids))),
        }
    }
    // With no reachable kind at all, match nothing.
    any.add(Expr::value(false))
}

/// A dossier the scope reaches (`None` for anyone else's).
///
/// # Errors
/// The driver's error.
pub async fn get(conn: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Option<Dossier>, DbErr> {
    let Some(row) = dossier::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    if scope.is_staff() {
        return Ok(Some(row));
    }
    let reached = scope.reaches_company(row.company_id)
        && scope.can(row.company_id, Some(row.establishment_id), domain_of(&row.kind));
    Ok(reached.then_some(row))
}

/// The dossiers of a company the scope reaches, newest first (every one: for checks and tests;
/// pages use [`company_page`]).
///
/// # Errors
/// The driver's error.
pub async fn list_for_company(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    company_id: i64,
) -> Result<Vec<Dossier>, DbErr> {
    let Some(query) = company_query(scope, company_id, &DossierFilter::default()) else {
        return Ok(Vec::new());
    };
    NewestFirst.order(query).all(conn).await
}

/// Filters of a dossier list, as people look for a dossier: state, scheme, establishment,
/// training dates, number or title, trainee name.
#[derive(Debug, Clone, Default)]
pub struct DossierFilter {
    /// Only this status (paid is derived from the payments, as shown).
    pub status: Option<DossierStatus>,
    /// Only this scheme.
    pub scheme: Option<String>,
    /// Only this establishment.
    pub establishment: Option<i64>,
    /// Training starting on or after this day.
    pub from: Option<NaiveDate>,
    /// Training starting on or before this day.
    pub to: Option<NaiveDate>,
    /// Number or title containing this.
    pub text: Option<String>,
    /// A trainee whose given or family name contains this.
    pub trainee: Option<String>,
}

/// The filters of the case managers' queue (the same as any dossier list).
pub type QueueFilter = DossierFilter;

/// The conditions of `filter` (none of them on the company or the scope).
fn filtered(mut query: sea_orm::Select<dossier::Entity>, filter: &DossierFilter) -> sea_orm::Select<dossier::Entity> {
    // Paid is what the payments say of an accepted dossier (never stored): every validated DR
    // paid, as `DossierStatus::settled` has it.
    let open = [DossierStatus::Accepted, DossierStatus::InProgress, DossierStatus::Reimbursement];
    let paid = || {
        Condition::all()
            .add(dossier::Column::Id.in_subquery(crate::payment::dossiers_with_validated(false)))
            .add(dossier::Column::Id.not_in_subquery(crate::payment::dossiers_with_validated(true)))
    };
    match filter.status {
        Some(DossierStatus::Paid) => {
            query = query.filter(dossier::Column::Status.is_in(open.map(DossierStatus::code))).filter(paid());
        }
        Some(status) if open.contains(&status) => {
            query = query.filter(dossier::Column::Status.eq(status.code())).filter(paid().not());
        }
        Some(status) => query = query.filter(dossier::Column::Status.eq(status.code())),
        None => {}
    }
    if let Some(scheme) = filter.scheme.as_deref().filter(|s| !s.is_empty()) {
        query = query.filter(dossier::Column::Scheme.eq(scheme));
    }
    if let Some(establishment) = filter.establishment {
        query = query.filter(dossier::Column::EstablishmentId.eq(establishment));
    }
    if let Some(from) = filter.from {
        query = query.filter(dossier::Column::TrainingStart.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(dossier::Column::TrainingStart.lte(to));
    }
    if let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        // Any case on both backends (PostgreSQL's LIKE is case-sensitive): numbers are stored
        // in capitals, titles compared in lower case.
        let title = Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(dossier::Column::Title)))
            .like(format!("%{}%", like_escaped(&text.to_lowercase())));
        query = query.filter(Condition::any().add(dossier::Column::Number.contains(text.to_uppercase())).add(title));
    }
    if let Some(name) = filter.trainee.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        // A subquery, not a join: a dossier with two matching trainees is still one line.
        let mut matching = sea_orm::sea_query::Query::select();
        // Lower case on both sides: PostgreSQL's LIKE is case-sensitive, SQLite's is not.
        let name = like_escaped(&name.to_lowercase());
        if name.is_empty() {
            // Nothing but wildcards: no trainee is named that.
            return query.filter(Expr::value(false));
        }
        let pattern = format!("%{name}%");
        let lower = |column: trainee::Column| Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(column)));
        matching.column(trainee::Column::DossierId).from(trainee::Entity).cond_where(
            Condition::any()
                .add(lower(trainee::Column::GivenName).like(pattern.clone()))
                .add(lower(trainee::Column::FamilyName).like(pattern)),
        );
        query = query.filter(dossier::Column::Id.in_subquery(matching));
    }
    query
}

/// `text` without the LIKE wildcards (`%`, `_`): both backends would read them as patterns and
/// a name typed with them would match everyone.
fn like_escaped(text: &str) -> String {
    text.chars().filter(|c| !matches!(c, '%' | '_')).collect()
}

/// The dossiers of a company the scope reaches, filtered; `None` when the scope does not reach
/// the company at all.
fn company_query(scope: &Scope, company_id: i64, filter: &DossierFilter) -> Option<sea_orm::Select<dossier::Entity>> {
    if !scope.reaches_company(company_id) {
        return None;
    }
    let mut query = dossier::Entity::find().filter(dossier::Column::CompanyId.eq(company_id));
    if !scope.is_staff() {
        query = query.filter(reach(scope, company_id));
    }
    Some(filtered(query, filter))
}

/// A company's list order: newest dossier first (by id, which follows creation), so that the
/// keyset walks the `(company_id, id)` index.
#[derive(Debug, Clone, Copy)]
pub struct NewestFirst;

impl Keyset<dossier::Entity> for NewestFirst {
    fn order(&self, query: sea_orm::Select<dossier::Entity>) -> sea_orm::Select<dossier::Entity> {
        query.order_by_desc(dossier::Column::Id)
    }
    fn after(&self, query: sea_orm::Select<dossier::Entity>, cursor: Cursor) -> sea_orm::Select<dossier::Entity> {
        query.filter(dossier::Column::Id.lt(cursor.id))
    }
    fn cursor(&self, row: &Dossier) -> Cursor {
        Cursor::id(row.id)
    }
}

/// The queue's order: oldest submission first, then by id. Every dossier past draft has its
/// submission day (set when it leaves draft), so the key is never null.
#[derive(Debug, Clone, Copy)]
pub struct OldestSubmitted;

impl Keyset<dossier::Entity> for OldestSubmitted {
    fn order(&self, query: sea_orm::Select<dossier::Entity>) -> sea_orm::Select<dossier::Entity> {
        query.order_by_asc(dossier::Column::SubmittedOn).order_by_asc(dossier::Column::Id)
    }
    fn after(&self, query: sea_orm::Select<dossier::Entity>, cursor: Cursor) -> sea_orm::Select<dossier::Entity> {
        match cursor.day {
            Some(day) => query.filter(Condition::any().add(dossier::Column::SubmittedOn.gt(day)).add(
                Condition::all().add(dossier::Column::SubmittedOn.eq(day)).add(dossier::Column::Id.gt(cursor.id)),
            )),
            // A cursor without a day (hand-written) resumes among the same day's ids only from
            // the start: read as "after nothing".
            None => query,
        }
    }
    fn cursor(&self, row: &Dossier) -> Cursor {
        Cursor { day: row.submitted_on, id: row.id }
    }
}

/// One window of a company's dossiers the scope reaches, filtered, newest first, with the count.
/// Nothing when the scope does not reach the company.
///
/// # Errors
/// The driver's error.
pub async fn company_page(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    company_id: i64,
    filter: &DossierFilter,
    window: Window,
) -> Result<Listed<Dossier>, DbErr> {
    match company_query(scope, company_id, filter) {
        Some(query) => listing::window(conn, query, &NewestFirst, window).await,
        None => Ok(Listed { rows: Vec::new(), total: 0, next: None }),
    }
}

/// One export chunk of a company's dossiers (as [`company_page`], without the count).
///
/// # Errors
/// The driver's error.
pub async fn company_chunk(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    company_id: i64,
    filter: &DossierFilter,
    after: Option<Cursor>,
) -> Result<(Vec<Dossier>, Option<Cursor>), DbErr> {
    match company_query(scope, company_id, filter) {
        Some(query) => listing::chunk(conn, query, &NewestFirst, after, listing::EXPORT_CHUNK).await,
        None => Ok((Vec::new(), None)),
    }
}

fn queue_query(filter: &DossierFilter) -> sea_orm::Select<dossier::Entity> {
    filtered(dossier::Entity::find().filter(dossier::Column::Status.ne(DossierStatus::Draft.code())), filter)
}

/// One window of the queue (oldest submission first), with the count.
///
/// # Errors
/// The driver's error.
pub async fn queue(
    conn: &impl ConnectionTrait,
    filter: &DossierFilter,
    window: Window,
) -> Result<Listed<Dossier>, DbErr> {
    listing::window(conn, queue_query(filter), &OldestSubmitted, window).await
}

/// One export chunk of the queue (as [`queue`], without the count).
///
/// # Errors
/// The driver's error.
pub async fn queue_chunk(
    conn: &impl ConnectionTrait,
    filter: &DossierFilter,
    after: Option<Cursor>,
) -> Result<(Vec<Dossier>, Option<Cursor>), DbErr> {
    listing::chunk(conn, queue_query(filter), &OldestSubmitted, after, listing::EXPORT_CHUNK).await
}

/// The trainees of several dossiers, in order, in one statement.
///
/// # Errors
/// The driver's error.
pub async fn trainees_of(
    conn: &impl ConnectionTrait,
    dossier_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<Trainee>>, DbErr> {
    let mut by_dossier: std::collections::HashMap<i64, Vec<Trainee>> = std::collections::HashMap::new();
    if dossier_ids.is_empty() {
        return Ok(by_dossier);
    }
    let rows = trainee::Entity::find()
        .filter(trainee::Column::DossierId.is_in(dossier_ids.iter().copied()))
        .order_by_asc(trainee::Column::DossierId)
        .order_by_asc(trainee::Column::Position)
        .all(conn)
        .await?;
    for row in rows {
        by_dossier.entry(row.dossier_id).or_default().push(row);
    }
    Ok(by_dossier)
}

/// What a change of state also sets.
#[derive(Debug, Clone, Default)]
pub struct StateChange {
    /// Amount committed.
    pub committed: Option<Money>,
    /// Day of submission.
    pub submitted_on: Option<NaiveDate>,
    /// Due date of an information request (cleared when `Some(None)`).
    pub info_due_on: Option<Option<NaiveDate>>,
}

/// Moves a dossier from `from` to `to` if it is still at `version`; returns whether it moved.
///
/// # Errors
/// The driver's error.
pub async fn transition(
    conn: &impl ConnectionTrait,
    id: i64,
    version: i64,
    from: DossierStatus,
    to: DossierStatus,
    change: StateChange,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut update = dossier::Entity::update_many()
        .col_expr(dossier::Column::Status, to.code().into())
        .col_expr(dossier::Column::Version, Expr::col(dossier::Column::Version).add(1))
        .col_expr(dossier::Column::UpdatedAt, now.into());
    if let Some(amount) = change.committed {
        update = update.col_expr(dossier::Column::CommittedCents, amount.cents().into());
    }
    if let Some(day) = change.submitted_on {
        update = update.col_expr(dossier::Column::SubmittedOn, day.into());
    }
    if let Some(due) = change.info_due_on {
        update = update.col_expr(dossier::Column::InfoDueOn, due.into());
    }
    let changed = update
        .filter(dossier::Column::Id.eq(id))
        .filter(dossier::Column::Version.eq(version))
        .filter(dossier::Column::Status.eq(from.code()))
        .exec(conn)
        .await?;
    Ok(changed.rows_affected == 1)
}

/// Dossiers waiting for an answer whose due date has passed by `today`.
///
/// # Errors
/// The driver's error.
pub async fn overdue_information(conn: &impl ConnectionTrait, today: NaiveDate) -> Result<Vec<Dossier>, DbErr> {
    dossier::Entity::find()
        .filter(dossier::Column::Status.eq(DossierStatus::InfoRequested.code()))
        .filter(dossier::Column::InfoDueOn.lt(today))
        .all(conn)
        .await
}

/// How many dossiers have a title starting with `prefix` (a generated dataset counts itself
/// with it to resume).
///
/// # Errors
/// The driver's error.
pub async fn count_titled(conn: &impl ConnectionTrait, prefix: &str) -> Result<u64, DbErr> {
    dossier::Entity::find().filter(dossier::Column::Title.starts_with(prefix)).count(conn).await
}
