//! Security alerts of a company (SPEC Q3, « fraude au RIB »): a change of bank details asked
//! for or cancelled, and a new administrator. They go at once to every administrator of the
//! company (and, for bank details, to its advisor), by bell and by e-mail whatever the person's
//! e-mail preference: a diversion must be seen by people who never open the portal.

use chrono::{DateTime, Utc};
use store::ConnectionTrait;
use store::account::Account;
use store::company::{BankAccount, Company};
use store::notification::NewNotification;

use crate::error::AppError;
use crate::notify::{self, Email};
use crate::state::AppState;

/// A change of bank details just asked for.
#[derive(Debug)]
pub struct BankChange<'a> {
    /// The company.
    pub company: &'a Company,
    /// Who asked.
    pub by: &'a Account,
    /// The new account.
    pub account: &'a BankAccount,
    /// The account in force until then, if any.
    pub current: Option<&'a BankAccount>,
    /// Whether it is in force at once (a first account with nothing to divert).
    pub immediate: bool,
}

/// Rings the company's administrators and its advisor, once each, with their own text.
async fn tell(
    conn: &impl ConnectionTrait,
    state: &AppState,
    company_id: i64,
    admins: &NewNotification,
    advisor: Option<&NewNotification>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut told = Vec::new();
    for (admin_id, _) in store::attachment::admins(conn, company_id).await? {
        notify::bell(conn, state, admin_id, admins, Email::Always, now).await?;
        told.push(admin_id);
    }
    if let (Some(news), Some(advisor)) = (advisor, store::contact::get(conn, company_id).await?.advisor)
        && !told.contains(&advisor.id)
    {
        notify::bell(conn, state, advisor.id, news, Email::Always, now).await?;
    }
    Ok(())
}

/// Tells every administrator of the company and its advisor that its bank details change: the
/// new account (masked), when it takes effect and how to cancel it.
///
/// # Errors
/// The database's or the e-mail template's.
pub async fn bank_change_requested(
    conn: &impl ConnectionTrait,
    state: &AppState,
    change: &BankChange<'_>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let company = change.company;
    let who = change.by.display_name();
    let new = format!("{}, titulaire {}", change.account.iban.masked(), change.account.holder_name);
    let when = documents::fr::date_time(change.account.effective_at);
    if change.immediate {
        let news = NewNotification {
            kind: "company.bank_account_changed",
            title: format!("Coordonnées bancaires de {} enregistrées", company.name),
            body: format!(
                "{who} a enregistré le premier compte de l’entreprise pour les paiements ({new}). Il est en vigueur \
                 dès maintenant, car aucune facture de l’entreprise n’attendait de paiement. Si cet enregistrement \
                 vous surprend, contactez immédiatement votre conseiller."
            ),
            link: Some(format!("/entreprises/{}/banque", company.id)),
        };
        let advisor = NewNotification { link: Some(format!("/gestion/entreprises/{}", company.id)), ..news.clone() };
        return tell(conn, state, company.id, &news, Some(&advisor), now).await;
    }
    let meanwhile = match change.current {
        Some(current) => {
            format!("d’ici là, les paiements continuent d’aller sur le compte actuel ({})", current.iban.masked())
        }
        None => "d’ici là, aucun paiement ne sera fait à l’entreprise".to_owned(),
    };
    let title = format!("Coordonnées bancaires de {} : changement demandé", company.name);
    let news = NewNotification {
        kind: "company.bank_change_requested",
        title: title.clone(),
        body: format!(
            "{who} a demandé que les paiements de {} aillent sur un nouveau compte ({new}). Ce changement prendra \
             effet le {when} ; {meanwhile}. Si vous n’êtes pas à l’origine de cette demande, annulez-la avant cette \
             date : page « Coordonnées bancaires » de l’entreprise, bouton « Annuler ce changement » (tout \
             administrateur de l’entreprise peut le faire), puis prévenez votre conseiller.",
            company.name
        ),
        link: Some(format!("/entreprises/{}/banque", company.id)),
    };
    let advisor = NewNotification {
        kind: "company.bank_change_requested",
        title,
        body: format!(
            "{who} a demandé que les paiements de {} aillent sur un nouveau compte ({new}). Ce changement prendra \
             effet le {when} ; {meanwhile}. Tout administrateur de l’entreprise peut l’annuler d’ici là depuis la page \
             « Coordonnées bancaires » de l’entreprise : si la demande vous semble suspecte, appelez l’entreprise.",
            company.name
        ),
        link: Some(format!("/gestion/entreprises/{}", company.id)),
    };
    tell(conn, state, company.id, &news, Some(&advisor), now).await
}

/// Tells every administrator of the company and its advisor that a change of bank details was
/// cancelled before it took effect.
///
/// # Errors
/// The database's or the e-mail template's.
pub async fn bank_change_cancelled(
    conn: &impl ConnectionTrait,
    state: &AppState,
    company: &Company,
    cancelled: &BankAccount,
    by: &Account,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let news = NewNotification {
        kind: "company.bank_change_cancelled",
        title: format!("Coordonnées bancaires de {} : changement annulé", company.name),
        body: format!(
            "{} a annulé le changement de coordonnées bancaires demandé le {} (compte {}, titulaire {}) : il ne \
             prendra pas effet et les paiements continuent d’aller sur le compte actuel.",
            by.display_name(),
            documents::fr::date(cancelled.created_at),
            cancelled.iban.masked(),
            cancelled.holder_name
        ),
        link: Some(format!("/entreprises/{}/banque", company.id)),
    };
    let advisor = NewNotification { link: Some(format!("/gestion/entreprises/{}", company.id)), ..news.clone() };
    tell(conn, state, company.id, &news, Some(&advisor), now).await
}

/// Tells the company's administrators of before (`previous`, the new one left out) that someone
/// was made administrator, naming who and by whom (`by`: a name, or how it happened).
///
/// # Errors
/// The database's or the e-mail template's.
pub async fn admin_made(
    conn: &impl ConnectionTrait,
    state: &AppState,
    (company_id, company_name): (i64, &str),
    previous: &[i64],
    new_admin: &Account,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let news = NewNotification {
        kind: "company.admin_added",
        title: format!("Nouvel administrateur de {company_name}"),
        body: format!(
            "{by} a désigné {} ({}) administrateur de {company_name}. Un administrateur gère les utilisateurs de \
             l’entreprise et peut demander un changement de ses coordonnées bancaires. Si vous ne connaissez pas \
             cette personne, retirez-lui ce rôle depuis la page « Utilisateurs » de l’entreprise et prévenez votre \
             conseiller.",
            new_admin.display_name(),
            new_admin.email.as_str()
        ),
        link: Some(format!("/entreprises/{company_id}/utilisateurs")),
    };
    for admin_id in previous.iter().filter(|id| **id != new_admin.id) {
        notify::bell(conn, state, *admin_id, &news, Email::Always, now).await?;
    }
    Ok(())
}
