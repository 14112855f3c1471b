//! Signed-in sessions, kept server-side so that signing out, revoking and expiring really end
//! them. The cookie holds a random secret; only its digest is stored.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use sea_orm::ExprTrait as _;

use crate::entity::user_session::{ActiveModel, Column, Entity, Model};

/// A session row.
pub type Session = Model;

/// What opening a session needs.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The account signing in.
    pub user_id: i64,
    /// Digest of the cookie's secret.
    pub token_digest: String,
    /// When it ends at the latest.
    pub expires_at: DateTime<Utc>,
    /// Client address, shown in the sessions list.
    pub ip: Option<String>,
    /// Browser description, shown in the sessions list.
    pub user_agent: Option<String>,
}

/// Opens a session.
///
/// # Errors
/// The driver's error.
pub async fn open(conn: &impl ConnectionTrait, new: NewSession, now: DateTime<Utc>) -> Result<Session, DbErr> {
    ActiveModel {
        token_hash: Set(new.token_digest),
        user_id: Set(new.user_id),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(new.expires_at),
        ip: Set(new.ip),
        user_agent: Set(new.user_agent.map(|ua| ua.chars().take(300).collect())),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// The session whose cookie secret has this digest.
///
/// # Errors
/// The driver's error.
pub async fn find_by_digest(conn: &impl ConnectionTrait, digest: &str) -> Result<Option<Session>, DbErr> {
    Entity::find().filter(Column::TokenHash.eq(digest)).one(conn).await
}

/// What a request needs of its caller, read in one statement: the session, its account and the
/// number of unread notifications the page header shows.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The session row.
    pub session: Session,
    /// The account it belongs to.
    pub account: crate::account::Account,
    /// Unread notifications of that account.
    pub unread: u64,
}

/// The caller whose cookie secret has this digest, with its account and unread count, in one
/// statement instead of three: every signed-in page starts with it. No `LIMIT` (the digest is
/// unique), so the statement text never changes and stays in the driver's cache.
///
/// # Errors
/// The driver's error, or a stored account the domain does not accept.
pub async fn caller(conn: &impl ConnectionTrait, digest: &str) -> Result<Option<Caller>, DbErr> {
    use crate::entity::app_user;
    use sea_orm::{FromQueryResult, IdenStatic as _, JoinType, QuerySelect, QueryTrait, SelectA, SelectB};

    let unread = sea_orm::sea_query::Expr::cust(
        "(SELECT COUNT(*) FROM notification WHERE notification.user_id = user_session.user_id \
         AND notification.read_at IS NULL)",
    );
    let account_of_session = Entity::belongs_to(app_user::Entity).from(Column::UserId).to(app_user::Column::Id).into();
    let statement = Entity::find()
        .select_also(app_user::Entity)
        .join(JoinType::InnerJoin, account_of_session)
        .column_as(unread, "unread")
        .filter(Column::TokenHash.eq(digest))
        .build(conn.get_database_backend());
    let Some(row) = conn.query_one_raw(statement).await? else {
        return Ok(None);
    };
    let session = Model::from_query_result(&row, SelectA.as_str())?;
    let account = app_user::Model::from_query_result(&row, SelectB.as_str())?.try_into()?;
    let unread: i64 = row.try_get("", "unread")?;
    Ok(Some(Caller { session, account, unread: u64::try_from(unread).unwrap_or(0) }))
}

/// Records activity on a session.
///
/// # Errors
/// The driver's error.
pub async fn touch(conn: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<(), DbErr> {
    Entity::update_many().col_expr(Column::LastSeenAt, now.into()).filter(Column::Id.eq(id)).exec(conn).await?;
    Ok(())
}

/// Ends one session.
///
/// # Errors
/// The driver's error.
pub async fn delete(conn: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    Entity::delete_by_id(id).exec(conn).await?;
    Ok(())
}

/// Ends one of a person's own sessions; returns whether it existed. Scoped by owner, so nobody
/// can end someone else's session by guessing an id.
///
/// # Errors
/// The driver's error.
pub async fn delete_own(conn: &impl ConnectionTrait, user_id: i64, id: i64) -> Result<bool, DbErr> {
    let result = Entity::delete_many().filter(Column::Id.eq(id)).filter(Column::UserId.eq(user_id)).exec(conn).await?;
    Ok(result.rows_affected == 1)
}

/// Ends every session of a person except `keep` (after a password change or reset).
///
/// # Errors
/// The driver's error.
pub async fn delete_all_for_user(conn: &impl ConnectionTrait, user_id: i64, keep: Option<i64>) -> Result<u64, DbErr> {
    let mut query = Entity::delete_many().filter(Column::UserId.eq(user_id));
    if let Some(keep) = keep {
        query = query.filter(Column::Id.ne(keep));
    }
    Ok(query.exec(conn).await?.rows_affected)
}

/// A person's sessions, most recently used first.
///
/// # Errors
/// The driver's error.
pub async fn list_for_user(conn: &impl ConnectionTrait, user_id: i64) -> Result<Vec<Session>, DbErr> {
    Entity::find()
        .filter(Column::UserId.eq(user_id))
        .order_by_desc(Column::LastSeenAt)
        .order_by_desc(Column::Id)
        .all(conn)
        .await
}

/// Deletes sessions past their absolute expiry or idle since before `idle_before`.
///
/// # Errors
/// The driver's error.
pub async fn purge_expired(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    idle_before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let result = Entity::delete_many()
        .filter(Column::ExpiresAt.lte(now).or(Column::LastSeenAt.lt(idle_before)))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

// --- A person's sessions as a bounded list (SPEC Q5).

/// At most `limit` of a person's sessions, most recently used first, and whether there are more.
///
/// # Errors
/// The driver's error.
pub async fn recent_for_user(
    conn: &impl ConnectionTrait,
    user_id: i64,
    limit: u64,
) -> Result<(Vec<Session>, bool), DbErr> {
    use sea_orm::QuerySelect as _;
    let mut rows = Entity::find()
        .filter(Column::UserId.eq(user_id))
        .order_by_desc(Column::LastSeenAt)
        .order_by_desc(Column::Id)
        .limit(limit.saturating_add(1))
        .all(conn)
        .await?;
    let more = u64::try_from(rows.len()).unwrap_or(u64::MAX) > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok((rows, more))
}
