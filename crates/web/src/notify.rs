//! Helpers shared by handlers that write: queue an e-mail, record an audit entry.

use chrono::{DateTime, Utc};
use documents::mail::{Mail, Sender};
use store::ConnectionTrait;
use store::audit::{Actor, Entry};
use store::outbox::OutgoingMail;

use crate::client::Client;
use crate::error::AppError;
use crate::state::AppState;

/// Who signs the e-mails of this portal.
#[must_use]
pub fn sender(state: &AppState) -> Sender<'_> {
    Sender { operator: &state.config.operator_name, portal_url: &state.config.public_url }
}

/// Queues `mail` for `to` in the caller's transaction.
///
/// # Errors
/// The database's error.
pub async fn queue_mail(conn: &impl ConnectionTrait, to: &str, mail: Mail, now: DateTime<Utc>) -> Result<(), AppError> {
    let outgoing = OutgoingMail { to: to.to_owned(), subject: mail.subject, text: mail.text, html: mail.html };
    store::outbox::enqueue(conn, outgoing, now).await?;
    Ok(())
}

/// Records an audit entry for a request, in the caller's transaction.
///
/// # Errors
/// The database's error.
pub async fn audit(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    subject: Option<(&str, String)>,
    client: &Client,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let origin = client.origin();
    store::audit::record(conn, Entry { actor, action, subject, origin: &origin, detail: None }, now).await?;
    Ok(())
}
