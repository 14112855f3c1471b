//! The audit log: who did what, when, from where. Append-only: database triggers refuse any
//! update or deletion of a row.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::entity::audit_event::{ActiveModel, Column, Entity, Model};

/// A stored audit event.
pub type AuditEvent = Model;

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The account, when a person acted.
    pub user_id: Option<i64>,
    /// How the actor is shown: an e-mail address, or `cli`, `worker`, `anonyme`.
    pub label: String,
}

impl Actor {
    /// A signed-in person.
    #[must_use]
    pub fn user(id: i64, email: &str) -> Self {
        Self { user_id: Some(id), label: email.to_owned() }
    }

    /// A program acting on its own (`cli`, `worker`), or someone not signed in (`anonyme`).
    #[must_use]
    pub fn system(label: &str) -> Self {
        Self { user_id: None, label: label.to_owned() }
    }
}

/// Where a request came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// Client address.
    pub ip: Option<String>,
    /// The request id also found in the logs.
    pub request_id: Option<String>,
}

/// One event to record.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// Who acted.
    pub actor: &'a Actor,
    /// What happened, as a stable dotted code (`account.registered`).
    pub action: &'a str,
    /// What it happened to: a type and an id.
    pub subject: Option<(&'a str, String)>,
    /// Where from.
    pub origin: &'a Origin,
    /// Anything else worth keeping (never a secret).
    pub detail: Option<serde_json::Value>,
}

/// Records an event.
///
/// # Errors
/// The driver's error.
pub async fn record(conn: &impl ConnectionTrait, entry: Entry<'_>, now: DateTime<Utc>) -> Result<(), DbErr> {
    let (subject_type, subject_id) = entry.subject.map_or((None, None), |(t, id)| (Some(t.to_owned()), Some(id)));
    ActiveModel {
        occurred_at: Set(now),
        actor_user_id: Set(entry.actor.user_id),
        actor_label: Set(entry.actor.label.clone()),
        action: Set(entry.action.to_owned()),
        subject_type: Set(subject_type),
        subject_id: Set(subject_id),
        ip: Set(entry.origin.ip.clone()),
        request_id: Set(entry.origin.request_id.clone()),
        detail: Set(entry.detail.map(|d| d.to_string())),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// A filter on the log.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only events whose action starts with this.
    pub action_prefix: Option<String>,
    /// Only events by this account.
    pub actor_user_id: Option<i64>,
}

/// One page of events, newest first, and the total count matching the filter.
///
/// # Errors
/// The driver's error.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: &Filter,
    page: u64,
    per_page: u64,
) -> Result<(Vec<AuditEvent>, u64), DbErr> {
    let mut query = Entity::find();
    if let Some(prefix) = filter.action_prefix.as_deref().filter(|p| !p.is_empty()) {
        query = query.filter(Column::Action.starts_with(prefix));
    }
    if let Some(actor) = filter.actor_user_id {
        query = query.filter(Column::ActorUserId.eq(actor));
    }
    let total = query.clone().count(conn).await?;
    let rows = query
        .order_by_desc(Column::OccurredAt)
        .order_by_desc(Column::Id)
        .offset(page.saturating_sub(1).saturating_mul(per_page))
        .limit(per_page)
        .all(conn)
        .await?;
    Ok((rows, total))
}

// --- The staff journal as a bounded list (SPEC Q5).

/// Filters of the journal, as staff look for an event.
#[derive(Debug, Clone, Default)]
pub struct JournalFilter {
    /// Actor whose label (an e-mail address, `cli`, `worker`…) contains this, any case.
    pub actor: Option<String>,
    /// Action starting with this (`auth.`, `company.created`).
    pub action_prefix: Option<String>,
    /// Events on this company, or on its establishments, dossiers, DRFs, reimbursement
    /// requests, invoices or attachments.
    pub company: Option<i64>,
    /// Occurred at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Occurred before this instant.
    pub before: Option<DateTime<Utc>>,
}

/// The journal's order: newest recorded first. The log is append-only and its ids follow the
/// order events are recorded in, so the keyset walks the primary key.
#[derive(Debug, Clone, Copy)]
pub struct NewestFirst;

impl crate::listing::Keyset<Entity> for NewestFirst {
    fn order(&self, query: sea_orm::Select<Entity>) -> sea_orm::Select<Entity> {
        query.order_by_desc(Column::Id)
    }
    fn after(&self, query: sea_orm::Select<Entity>, cursor: crate::listing::Cursor) -> sea_orm::Select<Entity> {
        query.filter(Column::Id.lt(cursor.id))
    }
    fn cursor(&self, row: &Model) -> crate::listing::Cursor {
        crate::listing::Cursor::id(row.id)
    }
}

/// Events on a row of `table` that belongs to `company` (subject ids are text: the row ids are
/// compared as text too).
fn of_company<T, C>(company: i64, subject: &'static str, table: T, id: C, owner: C) -> Condition
where
    T: sea_orm::sea_query::IntoTableRef,
    C: sea_orm::sea_query::IntoColumnRef,
{
    use sea_orm::ExprTrait as _;
    use sea_orm::sea_query::{Alias, Expr, Query};
    Condition::all().add(Column::SubjectType.eq(subject)).add(
        Column::SubjectId.in_subquery(
            Query::select()
                .expr(Expr::col(id).cast_as(Alias::new("TEXT")))
                .from(table)
                .and_where(Expr::col(owner).eq(company))
                .to_owned(),
        ),
    )
}

fn journal_query(filter: &JournalFilter) -> sea_orm::Select<Entity> {
    use crate::entity::{attachment, dossier, drf, establishment, invoice, reimbursement};
    use sea_orm::ExprTrait as _;
    use sea_orm::sea_query::{Expr, Func};
    let mut query = Entity::find();
    if let Some(actor) = filter.actor.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        let pattern = actor.to_lowercase().replace(['%', '_'], "");
        query = query.filter(Expr::expr(Func::lower(Expr::col(Column::ActorLabel))).like(format!("%{pattern}%")));
    }
    if let Some(prefix) = filter.action_prefix.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        query = query.filter(Column::Action.starts_with(prefix));
    }
    if let Some(company) = filter.company {
        query = query.filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(Column::SubjectType.eq("company"))
                        .add(Column::SubjectId.eq(company.to_string())),
                )
                .add(of_company(
                    company,
                    "establishment",
                    establishment::Entity,
                    establishment::Column::Id,
                    establishment::Column::CompanyId,
                ))
                .add(of_company(company, "dossier", dossier::Entity, dossier::Column::Id, dossier::Column::CompanyId))
                .add(of_company(
                    company,
                    "attachment",
                    attachment::Entity,
                    attachment::Column::Id,
                    attachment::Column::CompanyId,
                ))
                .add(of_company(company, "drf", drf::Entity, drf::Column::Id, drf::Column::CompanyId))
                .add(of_company(company, "invoice", invoice::Entity, invoice::Column::Id, invoice::Column::CompanyId))
                .add(of_company(
                    company,
                    "reimbursement",
                    reimbursement::Entity,
                    reimbursement::Column::Id,
                    reimbursement::Column::CompanyId,
                )),
        );
    }
    if let Some(since) = filter.since {
        query = query.filter(Column::OccurredAt.gte(since));
    }
    if let Some(before) = filter.before {
        query = query.filter(Column::OccurredAt.lt(before));
    }
    query
}

/// One window of the journal, newest first, with the count.
///
/// # Errors
/// The driver's error.
pub async fn journal(
    conn: &impl ConnectionTrait,
    filter: &JournalFilter,
    window: crate::listing::Window,
) -> Result<crate::listing::Listed<AuditEvent>, DbErr> {
    crate::listing::window(conn, journal_query(filter), &NewestFirst, window).await
}

/// One export chunk of the journal (as [`journal`], without the count).
///
/// # Errors
/// The driver's error.
pub async fn journal_chunk(
    conn: &impl ConnectionTrait,
    filter: &JournalFilter,
    after: Option<crate::listing::Cursor>,
) -> Result<(Vec<AuditEvent>, Option<crate::listing::Cursor>), DbErr> {
    crate::listing::chunk(conn, journal_query(filter), &NewestFirst, after, crate::listing::EXPORT_CHUNK).await
}
