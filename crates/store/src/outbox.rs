//! The transactional mail outbox: a message is written in the same transaction as the change that
//! causes it, with a job to send it, so no mail is sent for a change that rolled back and none is
//! lost for one that committed.

use chrono::{DateTime, Utc};
use sea_orm::ExprTrait as _;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

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
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// Stores a message and the job that will send it.
///
/// # Errors
/// The driver's error.
pub async fn enqueue(conn: &impl ConnectionTrait, mail: OutgoingMail, now: DateTime<Utc>) -> Result<i64, DbErr> {
    let row = ActiveModel {
        created_at: Set(now),
        to_address: Set(mail.to),
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
    Ok(row.id)
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
