//! Fund reservations (DRF) for CIPI and CDPI: filed by a company, validated or refused by a case
//! manager, valid until a date of the rule calendar (C4), then used by one contract dossier or
//! expired by the daily job.

use chrono::{DateTime, NaiveDate, Utc};
use domain::Money;
use domain::dossier::DrfStatus;
use domain::habilitation::Domain;
use domain::scope::Scope;
use sea_orm::ExprTrait as _;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};

use crate::entity::drf;
use crate::listing::{self, Cursor, Keyset, Listed, Window};

/// A DRF row.
pub type Drf = drf::Model;

/// The job kind that expires DRF past their validity; its key is the day.
pub const EXPIRY_JOB: &str = "drf.expire";

/// The status of a row.
#[must_use]
pub fn status(row: &Drf) -> DrfStatus {
    DrfStatus::from_code(&row.status).unwrap_or(DrfStatus::Draft)
}

/// What a DRF holds, as filed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrfInput {
    /// Company.
    pub company_id: i64,
    /// Establishment.
    pub establishment_id: i64,
    /// `CIPI` or `CDPI`.
    pub scheme: String,
    /// The trainee's name.
    pub trainee_name: String,
    /// `ctt` (mission contract) or `cdii` (permanent temp worker).
    pub contract_type: String,
    /// Training hours.
    pub hours: i64,
    /// First day.
    pub training_start: NaiveDate,
    /// Last day.
    pub training_end: NaiveDate,
    /// Training provider.
    pub provider_name: String,
    /// Its SIRET.
    pub provider_siret: String,
    /// Its NDA.
    pub provider_nda: String,
    /// Cost excluding VAT.
    pub cost: Money,
    /// Amount from the rate in force.
    pub amount: Money,
}

/// Files a DRF (status `submitted`, filed on `filed_on`); its number (`DRF-2026-000042`) comes from
/// its id.
///
/// # Errors
/// The driver's error.
pub async fn file(
    conn: &impl ConnectionTrait,
    input: &DrfInput,
    filed_on: NaiveDate,
    by: i64,
    now: DateTime<Utc>,
) -> Result<Drf, DbErr> {
    let placeholder = format!("tmp-{}", crate::secret::random_u64().map_err(|e| DbErr::Custom(e.to_string()))?);
    let row = drf::ActiveModel {
        number: Set(placeholder),
        company_id: Set(input.company_id),
        establishment_id: Set(input.establishment_id),
        scheme: Set(input.scheme.clone()),
        status: Set(DrfStatus::Submitted.code().to_owned()),
        origin: Set("portal".to_owned()),
        trainee_name: Set(input.trainee_name.clone()),
        contract_type: Set(input.contract_type.clone()),
        hours: Set(input.hours),
        training_start: Set(input.training_start),
        training_end: Set(input.training_end),
        provider_name: Set(input.provider_name.clone()),
        provider_siret: Set(input.provider_siret.clone()),
        provider_nda: Set(input.provider_nda.clone()),
        cost_cents: Set(input.cost.cents()),
        amount_cents: Set(input.amount.cents()),
        filed_on: Set(Some(filed_on)),
        validated_on: Set(None),
        valid_until: Set(None),
        reason: Set(None),
        dossier_id: Set(None),
        version: Set(0),
        created_by: Set(Some(by)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let number = format!("DRF-{}-{:06}", filed_on.format("%Y"), row.id);
    let mut active: drf::ActiveModel = row.into();
    active.number = Set(number);
    active.update(conn).await
}

/// A DRF the scope reaches (training habilitation on its establishment, or staff).
///
/// # Errors
/// The driver's error.
pub async fn get(conn: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Option<Drf>, DbErr> {
    let Some(row) = drf::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    let reached = scope.is_staff() || scope.can(row.company_id, Some(row.establishment_id), Domain::Training);
    Ok(reached.then_some(row))
}

/// The DRF of a company the scope reaches, newest first (every one: for checks and tests; pages
/// use [`company_page`]).
///
/// # Errors
/// The driver's error.
pub async fn list_for_company(conn: &impl ConnectionTrait, scope: &Scope, company_id: i64) -> Result<Vec<Drf>, DbErr> {
    match company_query(scope, company_id, &DrfFilter::default()) {
        Some(query) => NewestFirst.order(query).all(conn).await,
        None => Ok(Vec::new()),
    }
}

/// Filters of a DRF list, as people look for a reservation: state, scheme, establishment,
/// training dates, number, trainee name.
#[derive(Debug, Clone, Default)]
pub struct DrfFilter {
    /// Only this status.
    pub status: Option<DrfStatus>,
    /// Only this scheme (`CIPI`, `CDPI`).
    pub scheme: Option<String>,
    /// Only this establishment.
    pub establishment: Option<i64>,
    /// Training starting on or after this day.
    pub from: Option<NaiveDate>,
    /// Training starting on or before this day.
    pub to: Option<NaiveDate>,
    /// Number containing this.
    pub number: Option<String>,
    /// Trainee name containing this.
    pub trainee: Option<String>,
}

/// The conditions of `filter` (none of them on the company or the scope).
fn filtered(mut query: Select<drf::Entity>, filter: &DrfFilter) -> Select<drf::Entity> {
    if let Some(status) = filter.status {
        query = query.filter(drf::Column::Status.eq(status.code()));
    }
    if let Some(scheme) = filter.scheme.as_deref().filter(|s| !s.is_empty()) {
        query = query.filter(drf::Column::Scheme.eq(scheme));
    }
    if let Some(establishment) = filter.establishment {
        query = query.filter(drf::Column::EstablishmentId.eq(establishment));
    }
    if let Some(from) = filter.from {
        query = query.filter(drf::Column::TrainingStart.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(drf::Column::TrainingStart.lte(to));
    }
    if let Some(number) = filter.number.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        query = query.filter(listing::contains_any_case(drf::Column::Number, number));
    }
    if let Some(name) = filter.trainee.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        query = query.filter(listing::contains_any_case(drf::Column::TraineeName, name));
    }
    query
}

/// The DRF of a company the scope reaches (training habilitation on their establishment, or
/// staff), filtered; `None` when the scope does not reach the company at all.
fn company_query(scope: &Scope, company_id: i64, filter: &DrfFilter) -> Option<Select<drf::Entity>> {
    if !scope.reaches_company(company_id) {
        return None;
    }
    let mut query = drf::Entity::find().filter(drf::Column::CompanyId.eq(company_id));
    if !scope.is_staff() {
        match scope.establishments_with(company_id, Domain::Training) {
            None => {}
            Some(ids) if ids.is_empty() => return None,
            Some(ids) => query = query.filter(drf::Column::EstablishmentId.is_in(ids)),
        }
    }
    Some(filtered(query, filter))
}

/// A company's DRF order: newest first (by id, which follows filing), so that the keyset walks
/// the `(company_id, id)` index.
#[derive(Debug, Clone, Copy)]
pub struct NewestFirst;

impl Keyset<drf::Entity> for NewestFirst {
    fn order(&self, query: Select<drf::Entity>) -> Select<drf::Entity> {
        query.order_by_desc(drf::Column::Id)
    }
    fn after(&self, query: Select<drf::Entity>, cursor: Cursor) -> Select<drf::Entity> {
        query.filter(drf::Column::Id.lt(cursor.id))
    }
    fn cursor(&self, row: &Drf) -> Cursor {
        Cursor::id(row.id)
    }
}

/// The queue's order: oldest filing first, then by id. The queue holds filed DRF only (see
/// [`queue`]), so the key is never null.
#[derive(Debug, Clone, Copy)]
pub struct OldestFiled;

impl Keyset<drf::Entity> for OldestFiled {
    fn order(&self, query: Select<drf::Entity>) -> Select<drf::Entity> {
        query.order_by_asc(drf::Column::FiledOn).order_by_asc(drf::Column::Id)
    }
    fn after(&self, query: Select<drf::Entity>, cursor: Cursor) -> Select<drf::Entity> {
        match cursor.day {
            Some(day) => query.filter(
                Condition::any()
                    .add(drf::Column::FiledOn.gt(day))
                    .add(Condition::all().add(drf::Column::FiledOn.eq(day)).add(drf::Column::Id.gt(cursor.id))),
            ),
            // A cursor without a day (hand-written) is read as "after nothing": from the start.
            None => query,
        }
    }
    fn cursor(&self, row: &Drf) -> Cursor {
        Cursor { day: row.filed_on, id: row.id }
    }
}

/// One window of a company's DRF the scope reaches, filtered, newest first, with the count.
/// Nothing when the scope does not reach the company (or none of its establishments for DRF).
///
/// # Errors
/// The driver's error.
pub async fn company_page(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    company_id: i64,
    filter: &DrfFilter,
    window: Window,
) -> Result<Listed<Drf>, DbErr> {
    match company_query(scope, company_id, filter) {
        Some(query) => listing::window(conn, query, &NewestFirst, window).await,
        None => Ok(Listed { rows: Vec::new(), total: 0, next: None }),
    }
}

/// One export chunk of a company's DRF (as [`company_page`], without the count).
///
/// # Errors
/// The driver's error.
pub async fn company_chunk(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    company_id: i64,
    filter: &DrfFilter,
    after: Option<Cursor>,
) -> Result<(Vec<Drf>, Option<Cursor>), DbErr> {
    match company_query(scope, company_id, filter) {
        Some(query) => listing::chunk(conn, query, &NewestFirst, after, listing::EXPORT_CHUNK).await,
        None => Ok((Vec::new(), None)),
    }
}

/// The case managers' queue: filed DRF (a DRF leaves draft only by being filed, which sets its
/// filing day; the condition on the day keeps the keyset total whatever the rows say).
fn queue_query(filter: &DrfFilter) -> Select<drf::Entity> {
    filtered(
        drf::Entity::find()
            .filter(drf::Column::Status.ne(DrfStatus::Draft.code()))
            .filter(drf::Column::FiledOn.is_not_null()),
        filter,
    )
}

/// One window of the case managers' queue (oldest filing first), with the count.
///
/// # Errors
/// The driver's error.
pub async fn queue(conn: &impl ConnectionTrait, filter: &DrfFilter, window: Window) -> Result<Listed<Drf>, DbErr> {
    listing::window(conn, queue_query(filter), &OldestFiled, window).await
}

/// One export chunk of the queue (as [`queue`], without the count).
///
/// # Errors
/// The driver's error.
pub async fn queue_chunk(
    conn: &impl ConnectionTrait,
    filter: &DrfFilter,
    after: Option<Cursor>,
) -> Result<(Vec<Drf>, Option<Cursor>), DbErr> {
    listing::chunk(conn, queue_query(filter), &OldestFiled, after, listing::EXPORT_CHUNK).await
}

/// Validates a submitted DRF at `version` until `valid_until`; returns whether it moved.
///
/// # Errors
/// The driver's error.
pub async fn validate(
    conn: &impl ConnectionTrait,
    id: i64,
    version: i64,
    validated_on: NaiveDate,
    valid_until: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let changed = drf::Entity::update_many()
        .col_expr(drf::Column::Status, DrfStatus::Validated.code().into())
        .col_expr(drf::Column::ValidatedOn, validated_on.into())
        .col_expr(drf::Column::ValidUntil, valid_until.into())
        .col_expr(drf::Column::Version, Expr::col(drf::Column::Version).add(1))
        .col_expr(drf::Column::UpdatedAt, now.into())
        .filter(drf::Column::Id.eq(id))
        .filter(drf::Column::Version.eq(version))
        .filter(drf::Column::Status.eq(DrfStatus::Submitted.code()))
        .exec(conn)
        .await?;
    Ok(changed.rows_affected == 1)
}

/// Refuses a submitted DRF at `version`; returns whether it moved.
///
/// # Errors
/// The driver's error.
pub async fn refuse(
    conn: &impl ConnectionTrait,
    id: i64,
    version: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let changed = drf::Entity::update_many()
        .col_expr(drf::Column::Status, DrfStatus::Refused.code().into())
        .col_expr(drf::Column::Reason, reason.into())
        .col_expr(drf::Column::Version, Expr::col(drf::Column::Version).add(1))
        .col_expr(drf::Column::UpdatedAt, now.into())
        .filter(drf::Column::Id.eq(id))
        .filter(drf::Column::Version.eq(version))
        .filter(drf::Column::Status.eq(DrfStatus::Submitted.code()))
        .exec(conn)
        .await?;
    Ok(changed.rows_affected == 1)
}

/// Marks a validated DRF used by `dossier_id`, if still valid on `today`; returns whether it did.
///
/// # Errors
/// The driver's error.
pub async fn mark_used(
    conn: &impl ConnectionTrait,
    id: i64,
    dossier_id: i64,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let changed = drf::Entity::update_many()
        .col_expr(drf::Column::Status, DrfStatus::Used.code().into())
        .col_expr(drf::Column::DossierId, dossier_id.into())
        .col_expr(drf::Column::Version, Expr::col(drf::Column::Version).add(1))
        .col_expr(drf::Column::UpdatedAt, now.into())
        .filter(drf::Column::Id.eq(id))
        .filter(drf::Column::Status.eq(DrfStatus::Validated.code()))
        .filter(drf::Column::ValidUntil.gte(today))
        .exec(conn)
        .await?;
    Ok(changed.rows_affected == 1)
}

/// Validated DRF whose validity ended before `today`, to expire.
///
/// # Errors
/// The driver's error.
pub async fn past_validity(conn: &impl ConnectionTrait, today: NaiveDate, limit: u64) -> Result<Vec<Drf>, DbErr> {
    drf::Entity::find()
        .filter(drf::Column::Status.eq(DrfStatus::Validated.code()))
        .filter(drf::Column::ValidUntil.lt(today))
        .order_by_asc(drf::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// Expires one validated DRF; returns whether it was still validated.
///
/// # Errors
/// The driver's error.
pub async fn expire(conn: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let changed = drf::Entity::update_many()
        .col_expr(drf::Column::Status, DrfStatus::Expired.code().into())
        .col_expr(drf::Column::Version, Expr::col(drf::Column::Version).add(1))
        .col_expr(drf::Column::UpdatedAt, now.into())
        .filter(drf::Column::Id.eq(id))
        .filter(drf::Column::Status.eq(DrfStatus::Validated.code()))
        .exec(conn)
        .await?;
    Ok(changed.rows_affected == 1)
}
