//! The audit log: who did what, when, from where. Append-only: database triggers refuse any
//! update or deletion of a row.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
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
