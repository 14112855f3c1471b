//! Helpers shared by handlers that write: queue an e-mail, record an audit entry.

use chrono::{DateTime, Utc};
use documents::mail::{Mail, Sender};
use domain::mail_limit::MailLimit;
use store::ConnectionTrait;
use store::audit::{Actor, Entry};
use store::notification::NewNotification;
use store::outbox::OutgoingMail;

use crate::client::Client;
use crate::error::AppError;
use crate::state::AppState;

/// Who signs the e-mails of this portal.
#[must_use]
pub fn sender(state: &AppState) -> Sender<'_> {
    Sender { operator: &state.config.names.operator, portal_url: &state.config.public_url }
}

/// Queues `mail` for `to` in the caller's transaction, unless `to` already received a few of
/// its kind this hour ([`MailLimit`]): the caller answers the same either way.
///
/// # Errors
/// The database's error.
pub async fn queue_mail(conn: &impl ConnectionTrait, to: &str, mail: Mail, now: DateTime<Utc>) -> Result<(), AppError> {
    let outgoing =
        OutgoingMail { to: to.to_owned(), kind: mail.kind, subject: mail.subject, text: mail.text, html: mail.html };
    store::outbox::enqueue(conn, outgoing, &MailLimit::default(), now).await?;
    Ok(())
}

/// Whether one more e-mail of `kind` may go to `to` now ([`MailLimit`]); flows that issue a
/// single-use link ask before issuing it, so that a dropped mail does not void the last link sent.
///
/// # Errors
/// The database's error.
pub async fn may_mail(conn: &impl ConnectionTrait, to: &str, kind: &str, now: DateTime<Utc>) -> Result<bool, AppError> {
    Ok(store::outbox::may_queue(conn, to, kind, &MailLimit::default(), now).await?)
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

/// Whether a notification also goes by e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Email {
    /// If the person asked for e-mails.
    AsChosen,
    /// Always: security events (bank details changed) must reach people even if they never open
    /// the portal.
    Always,
}

/// Rings a person's bell and e-mails them the same news if they asked for it (or always, for
/// security events), in the caller's transaction.
///
/// # Errors
/// The database's or the template's error.
pub async fn bell(
    conn: &impl ConnectionTrait,
    state: &AppState,
    user_id: i64,
    news: &NewNotification,
    email: Email,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let chose_email = store::notification::notify(conn, user_id, news, now).await?;
    if (chose_email || email == Email::Always)
        && let Some(account) = store::account::get(conn, user_id).await?
    {
        let link = news.link.as_deref().map(|l| format!("{}{l}", state.config.public_url));
        let mail = documents::mail::notification(
            &sender(state),
            news.kind,
            &account.display_name(),
            &news.title,
            &news.body,
            link.as_deref(),
        )?;
        queue_mail(conn, account.email.as_str(), mail, now).await?;
    }
    Ok(())
}
