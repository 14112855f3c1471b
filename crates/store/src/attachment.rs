//! Attachments (*rattachements*) of people to companies and establishments, and the
//! habilitations they carry. Also builds a person's [`Scope`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::habilitation::{AttachmentStatus, Domain};
use domain::scope::{Grant, Scope};
use domain::{Email, Role};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::entity::{app_user, attachment, company, establishment, habilitation};

/// How an attachment came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The person asked.
    Request,
    /// Carried over from the legacy portal.
    Legacy,
    /// Made by an advisor on the company's behalf.
    Advisor,
    /// The person entered the activation code of a letter.
    ActivationCode,
}

impl Source {
    fn code(self) -> &'static str {
        match self {
            Source::Request => "request",
            Source::Legacy => "legacy",
            Source::Advisor => "advisor",
            Source::ActivationCode => "activation_code",
        }
    }
}

/// An attachment (id, company, establishment, administrator) with one of its habilitations.
type GrantRow = (i64, i64, Option<i64>, bool, Option<String>);

/// Builds the scope of a signed-in person from their role and approved attachments.
///
/// # Errors
/// The driver's error.
pub async fn scope(conn: &impl ConnectionTrait, user_id: i64, role: Role) -> Result<Scope, DbErr> {
    if role.is_staff() {
        return Ok(Scope::Staff { user_id, role });
    }
    // One statement for the attachments and their habilitations: every signed-in company page
    // starts with it.
    let attachment_of_habilitation = habilitation::Entity::belongs_to(attachment::Entity)
        .from(habilitation::Column::AttachmentId)
        .to(attachment::Column::Id)
        .into();
    let rows: Vec<GrantRow> = attachment::Entity::find()
        .select_only()
        .column(attachment::Column::Id)
        .column(attachment::Column::CompanyId)
        .column(attachment::Column::EstablishmentId)
        .column(attachment::Column::IsAdmin)
        .column_as(habilitation::Column::Domain, "domain")
        .join_rev(JoinType::LeftJoin, attachment_of_habilitation)
        .filter(attachment::Column::UserId.eq(user_id))
        .filter(attachment::Column::Status.eq(AttachmentStatus::Approved.code()))
        .order_by_asc(attachment::Column::Id)
        .into_tuple()
        .all(conn)
        .await?;
    let mut grants: Vec<Grant> = Vec::new();
    for (attachment_id, company_id, establishment_id, is_admin, domain) in rows {
        if grants.last().is_none_or(|g| g.attachment_id != attachment_id) {
            grants.push(Grant { attachment_id, company_id, establishment_id, is_admin, domains: Vec::new() });
        }
        if let (Some(grant), Some(code)) = (grants.last_mut(), domain) {
            grant.domains.push(Domain::from_code(&code).map_err(|e| DbErr::Type(e.to_string()))?);
        }
    }
    for grant in &mut grants {
        grant.domains.sort();
    }
    Ok(Scope::Company { user_id, grants })
}

async fn domains_of(conn: &impl ConnectionTrait, attachment_ids: &[i64]) -> Result<BTreeMap<i64, Vec<Domain>>, DbErr> {
    let mut map: BTreeMap<i64, Vec<Domain>> = BTreeMap::new();
    if attachment_ids.is_empty() {
        return Ok(map);
    }
    for row in habilitation::Entity::find()
        .filter(habilitation::Column::AttachmentId.is_in(attachment_ids.iter().copied()))
        .all(conn)
        .await?
    {
        let domain = Domain::from_code(&row.domain).map_err(|e| DbErr::Type(e.to_string()))?;
        map.entry(row.attachment_id).or_default().push(domain);
    }
    for domains in map.values_mut() {
        domains.sort();
    }
    Ok(map)
}

/// An attachment as shown in lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentView {
    /// Id.
    pub id: i64,
    /// The person.
    pub user_id: i64,
    /// Their name.
    pub user_name: String,
    /// Their address.
    pub user_email: String,
    /// The company.
    pub company_id: i64,
    /// Its name.
    pub company_name: String,
    /// The establishment, if not company-wide.
    pub establishment_id: Option<i64>,
    /// Its name and SIRET, if any.
    pub establishment_label: Option<String>,
    /// Where it stands.
    pub status: AttachmentStatus,
    /// Administrator.
    pub is_admin: bool,
    /// Habilitations.
    pub domains: Vec<Domain>,
    /// The requester's message to the administrator.
    pub message: Option<String>,
    /// Asked on.
    pub requested_at: DateTime<Utc>,
    /// The administrator's reason, on refusal.
    pub reason: Option<String>,
}

async fn views(conn: &impl ConnectionTrait, rows: Vec<attachment::Model>) -> Result<Vec<AttachmentView>, DbErr> {
    let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
    let mut domains = domains_of(conn, &ids).await?;
    let user_ids: Vec<i64> = rows.iter().map(|a| a.user_id).collect();
    let company_ids: Vec<i64> = rows.iter().map(|a| a.company_id).collect();
    let establishment_ids: Vec<i64> = rows.iter().filter_map(|a| a.establishment_id).collect();
    let users: BTreeMap<i64, app_user::Model> = app_user::Entity::find()
        .filter(app_user::Column::Id.is_in(user_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let companies: BTreeMap<i64, company::Model> = company::Entity::find()
        .filter(company::Column::Id.is_in(company_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let establishments: BTreeMap<i64, establishment::Model> = establishment::Entity::find()
        .filter(establishment::Column::Id.is_in(establishment_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    rows.into_iter()
        .map(|a| {
            let user = users.get(&a.user_id);
            Ok(AttachmentView {
                id: a.id,
                user_id: a.user_id,
                user_name: user
                    .map(|u| format!("{} {}", u.given_name, u.family_name).trim().to_owned())
                    .unwrap_or_default(),
                user_email: user.map(|u| u.email.clone()).unwrap_or_default(),
                company_id: a.company_id,
                company_name: companies.get(&a.company_id).map(|c| c.name.clone()).unwrap_or_default(),
                establishment_id: a.establishment_id,
                establishment_label: a
                    .establishment_id
                    .and_then(|id| establishments.get(&id))
                    .map(|e| format!("{} ({})", e.name, e.siret)),
                status: AttachmentStatus::from_code(&a.status).map_err(DbErr::Type)?,
                is_admin: a.is_admin,
                domains: domains.remove(&a.id).unwrap_or_default(),
                message: a.message,
                requested_at: a.requested_at,
                reason: a.reason,
            })
        })
        .collect()
}

/// A person's attachments (all states), newest first.
///
/// # Errors
/// The driver's error.
pub async fn list_for_user(conn: &impl ConnectionTrait, user_id: i64) -> Result<Vec<AttachmentView>, DbErr> {
    let rows = attachment::Entity::find()
        .filter(attachment::Column::UserId.eq(user_id))
        .order_by_desc(attachment::Column::RequestedAt)
        .order_by_desc(attachment::Column::Id)
        .all(conn)
        .await?;
    views(conn, rows).await
}

/// A company's attachments in one state, oldest first (requests are answered in order).
///
/// # Errors
/// The driver's error.
pub async fn list_for_company(
    conn: &impl ConnectionTrait,
    company_id: i64,
    status: AttachmentStatus,
) -> Result<Vec<AttachmentView>, DbErr> {
    let rows = attachment::Entity::find()
        .filter(attachment::Column::CompanyId.eq(company_id))
        .filter(attachment::Column::Status.eq(status.code()))
        .order_by_asc(attachment::Column::RequestedAt)
        .order_by_asc(attachment::Column::Id)
        .all(conn)
        .await?;
    views(conn, rows).await
}

/// One attachment of a company (`None` if it belongs to another company).
///
/// # Errors
/// The driver's error.
pub async fn get_in_company(
    conn: &impl ConnectionTrait,
    company_id: i64,
    id: i64,
) -> Result<Option<AttachmentView>, DbErr> {
    let Some(row) =
        attachment::Entity::find_by_id(id).filter(attachment::Column::CompanyId.eq(company_id)).one(conn).await?
    else {
        return Ok(None);
    };
    Ok(views(conn, vec![row]).await?.pop())
}

/// Records a request to be attached to a company (`None`) or to one establishment. Returns the
/// new attachment's id, or `None` when the person already has a live (requested or approved)
/// attachment with that scope.
///
/// # Errors
/// The driver's error.
pub async fn request(
    conn: &impl ConnectionTrait,
    user_id: i64,
    company_id: i64,
    establishment_id: Option<i64>,
    message: Option<String>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    if live(conn, user_id, company_id, establishment_id).await?.is_some() {
        return Ok(None);
    }
    let row = attachment::ActiveModel {
        user_id: Set(user_id),
        company_id: Set(company_id),
        establishment_id: Set(establishment_id),
        status: Set(AttachmentStatus::Requested.code().to_owned()),
        is_admin: Set(false),
        source: Set(Source::Request.code().to_owned()),
        message: Set(message),
        requested_at: Set(now),
        decided_at: Set(None),
        decided_by: Set(None),
        reason: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(Some(row.id))
}

async fn live(
    conn: &impl ConnectionTrait,
    user_id: i64,
    company_id: i64,
    establishment_id: Option<i64>,
) -> Result<Option<attachment::Model>, DbErr> {
    let mut query = attachment::Entity::find()
        .filter(attachment::Column::UserId.eq(user_id))
        .filter(attachment::Column::CompanyId.eq(company_id))
        .filter(
            attachment::Column::Status.is_in([AttachmentStatus::Requested.code(), AttachmentStatus::Approved.code()]),
        );
    query = match establishment_id {
        Some(id) => query.filter(attachment::Column::EstablishmentId.eq(id)),
        None => query.filter(attachment::Column::EstablishmentId.is_null()),
    };
    query.one(conn).await
}

/// Why a decision on an attachment was not applied.
#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    /// Someone decided first, or the request was withdrawn.
    #[error("the attachment is no longer in the expected state")]
    NotPending,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Approves a pending request of a company with the given habilitations. Of two administrators
/// deciding at once, one wins; the other gets [`DecisionError::NotPending`].
///
/// # Errors
/// [`DecisionError`].
pub async fn approve(
    conn: &impl ConnectionTrait,
    company_id: i64,
    id: i64,
    domains: &[Domain],
    by: i64,
    now: DateTime<Utc>,
) -> Result<(), DecisionError> {
    let changed = attachment::Entity::update_many()
        .col_expr(attachment::Column::Status, AttachmentStatus::Approved.code().into())
        .col_expr(attachment::Column::DecidedAt, now.into())
        .col_expr(attachment::Column::DecidedBy, by.into())
        .filter(attachment::Column::Id.eq(id))
        .filter(attachment::Column::CompanyId.eq(company_id))
        .filter(attachment::Column::Status.eq(AttachmentStatus::Requested.code()))
        .exec(conn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(DecisionError::NotPending);
    }
    set_domains(conn, id, domains, by, now).await?;
    Ok(())
}

/// Refuses a pending request, with the administrator's reason.
///
/// # Errors
/// [`DecisionError`].
pub async fn refuse(
    conn: &impl ConnectionTrait,
    company_id: i64,
    id: i64,
    reason: &str,
    by: i64,
    now: DateTime<Utc>,
) -> Result<(), DecisionError> {
    let changed = attachment::Entity::update_many()
        .col_expr(attachment::Column::Status, AttachmentStatus::Refused.code().into())
        .col_expr(attachment::Column::DecidedAt, now.into())
        .col_expr(attachment::Column::DecidedBy, by.into())
        .col_expr(attachment::Column::Reason, reason.into())
        .filter(attachment::Column::Id.eq(id))
        .filter(attachment::Column::CompanyId.eq(company_id))
        .filter(attachment::Column::Status.eq(AttachmentStatus::Requested.code()))
        .exec(conn)
        .await?;
    if changed.rows_affected == 1 { Ok(()) } else { Err(DecisionError::NotPending) }
}

/// Ends an approved attachment (its habilitations go with it).
///
/// # Errors
/// [`DecisionError`].
pub async fn withdraw(
    conn: &impl ConnectionTrait,
    company_id: i64,
    id: i64,
    by: i64,
    now: DateTime<Utc>,
) -> Result<(), DecisionError> {
    let changed = attachment::Entity::update_many()
        .col_expr(attachment::Column::Status, AttachmentStatus::Withdrawn.code().into())
        .col_expr(attachment::Column::IsAdmin, false.into())
        .col_expr(attachment::Column::DecidedAt, now.into())
        .col_expr(attachment::Column::DecidedBy, by.into())
        .filter(attachment::Column::Id.eq(id))
        .filter(attachment::Column::CompanyId.eq(company_id))
        .filter(attachment::Column::Status.eq(AttachmentStatus::Approved.code()))
        .exec(conn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(DecisionError::NotPending);
    }
    habilitation::Entity::delete_many().filter(habilitation::Column::AttachmentId.eq(id)).exec(conn).await?;
    Ok(())
}

/// Replaces the habilitations of an attachment.
///
/// # Errors
/// The driver's error.
pub async fn set_domains(
    conn: &impl ConnectionTrait,
    id: i64,
    domains: &[Domain],
    by: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    habilitation::Entity::delete_many().filter(habilitation::Column::AttachmentId.eq(id)).exec(conn).await?;
    let mut unique = domains.to_vec();
    unique.sort();
    unique.dedup();
    for domain in unique {
        habilitation::ActiveModel {
            attachment_id: Set(id),
            domain: Set(domain.code().to_owned()),
            granted_at: Set(now),
            granted_by: Set(Some(by)),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

/// Makes an approved company-wide attachment an administrator's, or not.
///
/// # Errors
/// [`DecisionError::NotPending`] when it is not an approved company-wide attachment.
pub async fn set_admin(
    conn: &impl ConnectionTrait,
    company_id: i64,
    id: i64,
    admin: bool,
) -> Result<(), DecisionError> {
    let changed = attachment::Entity::update_many()
        .col_expr(attachment::Column::IsAdmin, admin.into())
        .filter(attachment::Column::Id.eq(id))
        .filter(attachment::Column::CompanyId.eq(company_id))
        .filter(attachment::Column::EstablishmentId.is_null())
        .filter(attachment::Column::Status.eq(AttachmentStatus::Approved.code()))
        .exec(conn)
        .await?;
    if changed.rows_affected == 1 { Ok(()) } else { Err(DecisionError::NotPending) }
}

/// How many administrators a company has.
///
/// # Errors
/// The driver's error.
pub async fn count_admins(conn: &impl ConnectionTrait, company_id: i64) -> Result<u64, DbErr> {
    attachment::Entity::find()
        .filter(attachment::Column::CompanyId.eq(company_id))
        .filter(attachment::Column::Status.eq(AttachmentStatus::Approved.code()))
        .filter(attachment::Column::IsAdmin.eq(true))
        .count(conn)
        .await
}

/// The company's administrators: id and address of each.
///
/// # Errors
/// The driver's error.
pub async fn admins(conn: &impl ConnectionTrait, company_id: i64) -> Result<Vec<(i64, Email)>, DbErr> {
    let user_ids: Vec<i64> = attachment::Entity::find()
        .filter(attachment::Column::CompanyId.eq(company_id))
        .filter(attachment::Column::Status.eq(AttachmentStatus::Approved.code()))
        .filter(attachment::Column::IsAdmin.eq(true))
        .all(conn)
        .await?
        .into_iter()
        .map(|a| a.user_id)
        .collect();
    app_user::Entity::find()
        .filter(app_user::Column::Id.is_in(user_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| Ok((u.id, Email::parse(&u.email).map_err(|e| DbErr::Type(e.to_string()))?)))
        .collect()
}

/// Grants an approved attachment directly (activation code, legacy import, advisor), or
/// upgrades the person's live attachment with that scope. Returns the attachment id.
///
/// # Errors
/// The driver's error.
#[expect(clippy::too_many_arguments, reason = "each argument is a distinct fact of the grant")]
pub async fn grant(
    conn: &impl ConnectionTrait,
    user_id: i64,
    company_id: i64,
    establishment_id: Option<i64>,
    is_admin: bool,
    domains: &[Domain],
    source: Source,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let id = match live(conn, user_id, company_id, establishment_id).await? {
        Some(existing) => {
            let mut row: attachment::ActiveModel = existing.clone().into();
            row.status = Set(AttachmentStatus::Approved.code().to_owned());
            row.is_admin = Set(existing.is_admin || (is_admin && establishment_id.is_none()));
            row.decided_at = Set(Some(now));
            row.decided_by = Set(by);
            row.update(conn).await?;
            existing.id
        }
        None => {
            attachment::ActiveModel {
                user_id: Set(user_id),
                company_id: Set(company_id),
                establishment_id: Set(establishment_id),
                status: Set(AttachmentStatus::Approved.code().to_owned()),
                is_admin: Set(is_admin && establishment_id.is_none()),
                source: Set(source.code().to_owned()),
                message: Set(None),
                requested_at: Set(now),
                decided_at: Set(Some(now)),
                decided_by: Set(by),
                reason: Set(None),
                ..Default::default()
            }
            .insert(conn)
            .await?
            .id
        }
    };
    let mut all = domains_of(conn, &[id]).await?.remove(&id).unwrap_or_default();
    all.extend_from_slice(domains);
    set_domains(conn, id, &all, by.unwrap_or(user_id), now).await?;
    Ok(id)
}

// --- A company's members as a bounded list (SPEC Q5).

/// The members' order: by attachment, oldest first (requests were answered in that order).
#[derive(Debug, Clone, Copy)]
pub struct OldestFirst;

impl crate::listing::Keyset<attachment::Entity> for OldestFirst {
    fn order(&self, query: sea_orm::Select<attachment::Entity>) -> sea_orm::Select<attachment::Entity> {
        query.order_by_asc(attachment::Column::Id)
    }
    fn after(
        &self,
        query: sea_orm::Select<attachment::Entity>,
        cursor: crate::listing::Cursor,
    ) -> sea_orm::Select<attachment::Entity> {
        query.filter(attachment::Column::Id.gt(cursor.id))
    }
    fn cursor(&self, row: &attachment::Model) -> crate::listing::Cursor {
        crate::listing::Cursor::id(row.id)
    }
}

/// One window of a company's attachments in one state, oldest first, with the count; `person`
/// keeps those whose name or e-mail address contains it (any case). The people, establishments
/// and habilitations of the window are read in one statement each.
///
/// # Errors
/// The driver's error.
pub async fn company_window(
    conn: &impl ConnectionTrait,
    company_id: i64,
    status: AttachmentStatus,
    person: Option<&str>,
    window: crate::listing::Window,
) -> Result<crate::listing::Listed<AttachmentView>, DbErr> {
    use sea_orm::ExprTrait as _;
    use sea_orm::sea_query::{Expr, Func, Query};
    let mut query = attachment::Entity::find()
        .filter(attachment::Column::CompanyId.eq(company_id))
        .filter(attachment::Column::Status.eq(status.code()));
    if let Some(person) = person.map(str::trim).filter(|p| !p.is_empty()) {
        let pattern = format!("%{}%", person.to_lowercase().replace(['%', '_'], ""));
        let lower = |column: app_user::Column| Expr::expr(Func::lower(Expr::col(column)));
        query = query.filter(
            attachment::Column::UserId.in_subquery(
                Query::select()
                    .column(app_user::Column::Id)
                    .from(app_user::Entity)
                    .cond_where(
                        sea_orm::Condition::any()
                            .add(lower(app_user::Column::GivenName).like(pattern.clone()))
                            .add(lower(app_user::Column::FamilyName).like(pattern.clone()))
                            .add(lower(app_user::Column::Email).like(pattern)),
                    )
                    .to_owned(),
            ),
        );
    }
    let listed = crate::listing::window(conn, query, &OldestFirst, window).await?;
    Ok(crate::listing::Listed { rows: views(conn, listed.rows).await?, total: listed.total, next: listed.next })
}
