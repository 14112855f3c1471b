//! The transactional mail outbox: a message is written in the same transaction as the change that
//! causes it, with a job to send it, so no mail is sent for a change that rolled back and none is
//! lost for one that committed.

use chrono::{DateTime, Utc};
use domain::mail_limit::MailLimit;
use sea_orm::ExprTrait as _;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
};

use crate::entity::outbox_message::{ActiveModel, Column, Entity, Model};
use crate::job;

/// The job kind that sends an outbox message; its key is the message id.
pub const SEND_JOB: &str = "mail.send";

/// A stored message.
pub type OutboxMessage = Model;

/// A message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// Recipient address.
    pub to: String,
    /// What kind of e-mail it is, for [`MailLimit`].
    pub kind: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// Whether one more e-mail of `kind` may go to `to` now. A flow that issues a single-use link
/// asks first: a link whose mail is dropped must not replace the one already mailed.
///
/// Called in a write transaction, it makes the transactions counting for the same address and
/// kind take turns until they end, so that two processes queueing at once cannot both find room
/// for the last message (SPEC Q5).
///
/// # Errors
/// The driver's error.
pub async fn may_queue(
    conn: &impl ConnectionTrait,
    to: &str,
    kind: &str,
    limit: &MailLimit,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    crate::lock::for_transaction(conn, &format!("mail-limit:{kind}:{to}")).await?;
    let already_queued = Entity::find()
        .filter(Column::ToAddress.eq(to))
        .filter(Column::Kind.eq(kind))
        .filter(Column::CreatedAt.gt(now - limit.window))
        .count(conn)
        .await?;
    Ok(limit.allows(already_queued))
}

/// Stores a message and the job that will send it, unless the address already received as
/// many of its kind as `limit` allows lately: then the message is dropped (and logged) and
/// `None` returned; whoever caused it gets the same answer either way.
///
/// # Errors
/// The driver's error.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    mail: OutgoingMail,
    limit: &MailLimit,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    if !may_queue(conn, &mail.to, &mail.kind, limit, now).await? {
        tracing::warn!(mail.kind = %mail.kind, "e-mail dropped: too many of this kind to one address lately");
        return Ok(None);
    }
    let row = ActiveModel {
        created_at: Set(now),
        to_address: Set(mail.to),
        kind: Set(mail.kind),
        subject: Set(mail.subject),
        body_text: Set(mail.text),
        body_html: Set(mail.html),
        sent_at: Set(None),
        attempts: Set(0),
        last_error: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    job::enqueue(conn, SEND_JOB, &row.id.to_string(), &serde_json::json!({ "message_id": row.id }), now).await?;
    Ok(Some(row.id))
}

/// A message by id.
///
/// # Errors
/// The driver's error.
pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<OutboxMessage>, DbErr> {
    Entity::find_by_id(id).one(conn).await
}

/// Records that a message left.
///
/// # Errors
/// The driver's error.
pub async fn mark_sent(conn: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::SentAt, now.into())
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Records a failed attempt to send.
///
/// # Errors
/// The driver's error.
pub async fn mark_failed(conn: &impl ConnectionTrait, id: i64, error: &str) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::LastError, error.into())
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}
