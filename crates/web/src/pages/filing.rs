//! What DRF and dossier forms share: reading dates, hours, amounts and the training provider,
//! the establishments a person may file for, the timeline, and who is told of a decision.

use chrono::NaiveDate;
use domain::dossier::DossierStatus;
use domain::habilitation::Domain;
use domain::scope::Scope;
use domain::{Money, Nda, Siret};
use store::ConnectionTrait;
use store::company::Establishment;
use store::dossier::{Event, TimelineActor};
use store::notification::NewNotification;

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::forms::FormErrors;
use crate::notify::{self, Email};
use crate::state::AppState;

/// Reads a date from a date field (`2026-01-10`) or as typed in French (`10/01/2026`).
pub fn parse_date(errors: &mut FormErrors, field: &'static str, label: &str, text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    if text.is_empty() {
        errors.add(field, format!("Saisissez la {label}."));
        return None;
    }
    let parsed = NaiveDate::parse_from_str(text, "%Y-%m-%d").or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"));
    match parsed {
        Ok(date) => Some(date),
        Err(_) => {
            errors.add(field, format!("La {label} doit être une date, par exemple 10/01/2026."));
            None
        }
    }
}

/// Reads a whole number of hours.
pub fn parse_hours(errors: &mut FormErrors, text: &str) -> Option<i64> {
    match text.trim().parse::<i64>() {
        Ok(hours) if hours > 0 && hours <= 10_000 => Some(hours),
        _ => {
            errors.add("hours", "La durée est un nombre entier d’heures, par exemple 210.");
            None
        }
    }
}

/// Reads an amount in euros.
pub fn parse_money(errors: &mut FormErrors, field: &'static str, text: &str) -> Option<Money> {
    errors.check(field, Money::parse(text))
}

/// The training provider as typed.
#[derive(Debug, Clone)]
pub struct Provider {
    /// Name.
    pub name: String,
    /// SIRET.
    pub siret: Siret,
    /// NDA.
    pub nda: Nda,
}

/// Reads the training provider's name, SIRET and NDA.
pub fn parse_provider(errors: &mut FormErrors, name: &str, siret: &str, nda: &str) -> Option<Provider> {
    let name = name.trim();
    if name.is_empty() {
        errors.add("provider_name", "Saisissez le nom de l’organisme de formation.");
    }
    let siret = errors.check("provider_siret", Siret::parse(siret));
    let nda = errors.check("provider_nda", Nda::parse(nda));
    Some(Provider { name: name.chars().take(200).collect(), siret: siret?, nda: nda? }).filter(|_| !name.is_empty())
}

/// Reads a required text of at most `max` characters.
pub fn parse_text(errors: &mut FormErrors, field: &'static str, message: &str, text: &str, max: usize) -> String {
    let text = text.trim();
    if text.is_empty() {
        errors.add(field, message.to_owned());
    } else if text.chars().count() > max {
        errors.add(field, format!("{max} caractères au plus."));
    }
    text.to_owned()
}

/// The establishments of a company where the person holds `domain`.
///
/// # Errors
/// The database's error.
pub async fn establishments_for(
    state: &AppState,
    scope: &Scope,
    company_id: i64,
    domain: Domain,
) -> Result<Vec<Establishment>, AppError> {
    Ok(store::company::establishments(&state.db, scope, company_id)
        .await?
        .into_iter()
        .filter(|e| scope.can(company_id, Some(e.id), domain))
        .collect())
}

/// One line of a timeline, as shown.
#[derive(Debug, Clone)]
pub struct TimelineLine {
    /// When, in Paris time.
    pub when: String,
    /// Who.
    pub who: String,
    /// What happened, in French.
    pub what: &'static str,
    /// Message or reason.
    pub message: Option<String>,
    /// Amount.
    pub amount: Option<String>,
    /// Due date.
    pub due: Option<String>,
}

fn event_label(kind: &str) -> &'static str {
    match kind {
        "created" => "Brouillon créé",
        "filed" => "Demande déposée",
        "submitted" => "Dossier déposé",
        "duplicated" => "Créé par duplication",
        "from_drf" => "Créé à partir d’une réservation de fonds",
        "validated" => "Réservation validée",
        "expired" => "Réservation expirée",
        "used" => "Réservation transformée en dossier",
        "accepted" => "Dossier accepté",
        "refused" => "Refusé",
        "info_requested" => "Complément demandé",
        "answered" => "Complément apporté",
        "reminder" => "Relance : réponse attendue",
        "dr_submitted" => "Demande de remboursement déposée",
        "dr_validated" => "Demande de remboursement validée",
        "dr_refused" => "Demande de remboursement refusée",
        "dr_info_requested" => "Complément demandé sur une demande de remboursement",
        "dr_answered" => "Complément apporté à une demande de remboursement",
        _ => "Événement",
    }
}

/// The timeline as the company or the operator sees it: companies see the operator's staff as
/// the operator, staff see names.
#[must_use]
pub fn timeline_lines(events: Vec<Event>, operator: &str, for_staff: bool) -> Vec<TimelineLine> {
    events
        .into_iter()
        .map(|e| TimelineLine {
            when: documents::fr::date_time(e.occurred_at),
            who: if e.by_staff && !for_staff { operator.to_owned() } else { e.actor_label },
            what: event_label(&e.kind),
            message: e.message,
            amount: e.amount_cents.map(|c| Money::from_cents(c).to_string()),
            due: e.due_on.map(|d| d.format("%d/%m/%Y").to_string()),
        })
        .collect()
}

/// The timeline actor for a person.
#[must_use]
pub fn actor(user: &CurrentUser) -> TimelineActor {
    TimelineActor {
        user_id: Some(user.account.id),
        label: user.account.display_name(),
        staff: user.account.role.is_staff(),
    }
}

/// Tells the person who filed and the company's administrators of a decision (bell, and e-mail
/// for those who asked), in the caller's transaction.
///
/// # Errors
/// The database's error.
pub async fn tell_company(
    conn: &impl ConnectionTrait,
    state: &AppState,
    company_id: i64,
    filed_by: Option<i64>,
    news: &NewNotification,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    let mut people: Vec<i64> =
        store::attachment::admins(conn, company_id).await?.into_iter().map(|(id, _)| id).collect();
    people.extend(filed_by);
    people.sort_unstable();
    people.dedup();
    for person in people {
        notify::bell(conn, state, person, news, Email::AsChosen, now).await?;
    }
    Ok(())
}

/// The statuses shown of some dossiers, by id: as stored, or paid once the transfers of all
/// their validated DR are issued (SPEC P3; a few queries for the whole list, whatever its
/// length).
///
/// # Errors
/// The database's.
pub async fn shown_statuses(
    db: &store::Db,
    dossiers: &[store::dossier::Dossier],
) -> Result<std::collections::HashMap<i64, DossierStatus>, AppError> {
    let money = store::payment::dossier_settlements(db, &dossiers.iter().map(|d| d.id).collect::<Vec<_>>()).await?;
    Ok(dossiers
        .iter()
        .map(|d| {
            let (validated, paid) = money.get(&d.id).copied().unwrap_or_default();
            (d.id, store::dossier::status(d).settled(validated, paid))
        })
        .collect())
}

/// The badge class of a dossier status.
#[must_use]
pub fn status_class(status: DossierStatus) -> &'static str {
    match status {
        DossierStatus::Draft => "badge-neutral",
        DossierStatus::Submitted | DossierStatus::InProgress | DossierStatus::Reimbursement => "badge-info",
        DossierStatus::InfoRequested => "badge-requested",
        DossierStatus::Accepted | DossierStatus::Paid | DossierStatus::Closed => "badge-approved",
        DossierStatus::Refused => "badge-refused",
    }
}
