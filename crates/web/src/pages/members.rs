//! A company administrator's work: answering attachment requests, granting and withdrawing
//! habilitations, designating other administrators.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::habilitation::{AttachmentStatus, Domain, check_admin_removal};
use serde::Deserialize;
use store::attachment::{AttachmentView, DecisionError};
use store::notification::NewNotification;

use crate::alerts;
use crate::auth::{Filer, Scoped};
use crate::chrome::Chrome;
use crate::client::Client;
use crate::error::AppError;
use crate::extract::{Form, PageNumber, Query};
use crate::listing::{self, Pager};
use crate::notify::{self, Email, audit};
use crate::policy;
use crate::render;
use crate::state::AppState;

/// The requests waiting for an answer, or the members of the company.
#[derive(Debug, Template)]
#[template(path = "entreprises/members.html")]
pub struct MembersPage {
    chrome: Chrome,
    company_id: i64,
    company_name: String,
    pending: Vec<AttachmentView>,
    members: Vec<AttachmentView>,
    error: Option<String>,
    domains: [Domain; 3],
    me: i64,
    query: MembersQuery,
    pager: Pager,
}

/// The search and window of the members list, kept in the URL (groups have hundreds of users).
#[derive(Debug, Deserialize, Default, Clone)]
pub struct MembersQuery {
    /// Name or e-mail address.
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: PageNumber,
    #[serde(default)]
    par_page: String,
    #[serde(default)]
    apres: String,
}

async fn page(
    state: &AppState,
    chrome: Chrome,
    scoped: &Scoped,
    id: i64,
    error: Option<String>,
    query: MembersQuery,
) -> Result<MembersPage, AppError> {
    policy::require_admin(&scoped.scope, id)?;
    let company = store::company::get(&state.db, &scoped.scope, id).await?.ok_or(AppError::NotFound)?;
    let window = listing::window(query.page, &query.par_page, &query.apres)?;
    let listed =
        store::attachment::company_window(&state.db, id, AttachmentStatus::Approved, Some(query.q.as_str()), window)
            .await?;
    let pager = Pager::new(&format!("/entreprises/{id}/utilisateurs"), &[("q", &query.q)], window, &listed);
    Ok(MembersPage {
        chrome,
        company_id: id,
        company_name: company.name,
        pending: store::attachment::list_for_company(&state.db, id, AttachmentStatus::Requested).await?,
        members: listed.rows,
        error,
        domains: Domain::ALL,
        me: scoped.user.account.id,
        query,
        pager,
    })
}

/// `GET /entreprises/{id}/utilisateurs`: the requests waiting, and one page of the members,
/// searched by name or e-mail address.
pub async fn members(
    State(state): State<AppState>,
    chrome: Chrome,
    scoped: Scoped,
    Path(id): Path<i64>,
    Query(query): Query<MembersQuery>,
) -> Result<Response, AppError> {
    Ok(render::page(&page(&state, chrome, &scoped, id, None, query).await?)?.into_response())
}

/// The habilitation check boxes of a form.
#[derive(Debug, Deserialize, Default)]
pub struct DomainsForm {
    #[serde(default)]
    training: Option<String>,
    #[serde(default)]
    work_study: Option<String>,
    #[serde(default)]
    invoicing: Option<String>,
    #[serde(default)]
    reason: String,
}

impl DomainsForm {
    fn domains(&self) -> Vec<Domain> {
        [
            (Domain::Training, &self.training),
            (Domain::WorkStudy, &self.work_study),
            (Domain::Invoicing, &self.invoicing),
        ]
        .into_iter()
        .filter(|(_, v)| v.is_some())
        .map(|(d, _)| d)
        .collect()
    }
}

async fn conflict(
    state: &AppState,
    chrome: Chrome,
    scoped: &Scoped,
    id: i64,
    message: &str,
) -> Result<Response, AppError> {
    let page = page(state, chrome, scoped, id, Some(message.to_owned()), MembersQuery::default()).await?;
    render::page_with_status(StatusCode::CONFLICT, &page)
}

/// Whether a decision was applied: `false` when someone decided first (the caller answers 409
/// with the list as it now stands), an error when the database failed.
fn applied(result: Result<(), DecisionError>) -> Result<bool, AppError> {
    match result {
        Ok(()) => Ok(true),
        Err(DecisionError::NotPending) => Ok(false),
        Err(DecisionError::Db(err)) => Err(err.into()),
    }
}

const ALREADY_DECIDED: &str =
    "Cette demande a déjà reçu une réponse (peut-être d’un autre administrateur) : la liste ci-dessous est à jour.";

/// `POST /entreprises/{id}/demandes/{attachment}/valider`
pub async fn approve(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    scoped: Filer,
    Path((id, attachment)): Path<(i64, i64)>,
    Form(form): Form<DomainsForm>,
) -> Result<Response, AppError> {
    policy::require_admin(&scoped.scope, id)?;
    let request = store::attachment::get_in_company(&state.db, id, attachment).await?.ok_or(AppError::NotFound)?;
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    if !applied(store::attachment::approve(&txn, id, attachment, &form.domains(), scoped.user.account.id, now).await)? {
        txn.rollback().await?;
        return conflict(&state, chrome, &scoped, id, ALREADY_DECIDED).await;
    }
    let news = NewNotification {
        kind: "attachment.approved",
        title: format!("Rattachement à {} validé", request.company_name),
        body: format!(
            "Votre demande de rattachement ({}) a été validée. Habilitations : {}.",
            request.establishment_label.as_deref().unwrap_or("toute l’entreprise"),
            describe(&form.domains())
        ),
        link: Some(format!("/entreprises/{id}")),
    };
    notify::bell(&txn, &state, request.user_id, &news, Email::AsChosen, now).await?;
    audit(
        &txn,
        &scoped.user.actor(),
        "attachment.approved",
        Some(("attachment", attachment.to_string())),
        &client,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/entreprises/{id}/utilisateurs?notice=demande-validee")).into_response())
}

fn describe(domains: &[Domain]) -> String {
    if domains.is_empty() {
        "aucune pour l’instant".to_owned()
    } else {
        domains.iter().map(|d| d.label()).collect::<Vec<_>>().join(", ")
    }
}

/// `POST /entreprises/{id}/demandes/{attachment}/refuser`
pub async fn refuse(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    scoped: Filer,
    Path((id, attachment)): Path<(i64, i64)>,
    Form(form): Form<DomainsForm>,
) -> Result<Response, AppError> {
    policy::require_admin(&scoped.scope, id)?;
    let request = store::attachment::get_in_company(&state.db, id, attachment).await?.ok_or(AppError::NotFound)?;
    let reason = form.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        let page = page(
            &state,
            chrome,
            &scoped,
            id,
            Some("Indiquez le motif du refus (500 caractères au plus) : il est transmis à la personne.".into()),
            MembersQuery::default(),
        )
        .await?;
        return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    if !applied(store::attachment::refuse(&txn, id, attachment, reason, scoped.user.account.id, now).await)? {
        txn.rollback().await?;
        return conflict(&state, chrome, &scoped, id, ALREADY_DECIDED).await;
    }
    let news = NewNotification {
        kind: "attachment.refused",
        title: format!("Rattachement à {} refusé", request.company_name),
        body: format!("Votre demande de rattachement a été refusée. Motif : {reason}"),
        link: Some("/entreprises".to_owned()),
    };
    notify::bell(&txn, &state, request.user_id, &news, Email::AsChosen, now).await?;
    audit(&txn, &scoped.user.actor(), "attachment.refused", Some(("attachment", attachment.to_string())), &client, now)
        .await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/entreprises/{id}/utilisateurs?notice=demande-refusee")).into_response())
}

/// `POST /entreprises/{id}/utilisateurs/{attachment}/habilitations`
pub async fn set_domains(
    State(state): State<AppState>,
    client: Client,
    scoped: Filer,
    Path((id, attachment)): Path<(i64, i64)>,
    Form(form): Form<DomainsForm>,
) -> Result<Response, AppError> {
    policy::require_admin(&scoped.scope, id)?;
    let member = store::attachment::get_in_company(&state.db, id, attachment).await?.ok_or(AppError::NotFound)?;
    if member.status != AttachmentStatus::Approved {
        return Err(AppError::NotFound);
    }
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    store::attachment::set_domains(&txn, attachment, &form.domains(), scoped.user.account.id, now).await?;
    audit(
        &txn,
        &scoped.user.actor(),
        "attachment.habilitations_changed",
        Some(("attachment", attachment.to_string())),
        &client,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/entreprises/{id}/utilisateurs?notice=habilitations")).into_response())
}

/// What the administrator switch sends.
#[derive(Debug, Deserialize, Default)]
pub struct AdminForm {
    #[serde(default)]
    admin: String,
}

/// `POST /entreprises/{id}/utilisateurs/{attachment}/administrateur`
pub async fn set_admin(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    scoped: Filer,
    Path((id, attachment)): Path<(i64, i64)>,
    Form(form): Form<AdminForm>,
) -> Result<Response, AppError> {
    policy::require_admin(&scoped.scope, id)?;
    let member = store::attachment::get_in_company(&state.db, id, attachment).await?.ok_or(AppError::NotFound)?;
    let make_admin = match form.admin.as_str() {
        "oui" => true,
        "non" => false,
        _ => return Err(AppError::BadRequest("Indiquez « oui » ou « non » pour le rôle d’administrateur.".into())),
    };
    if member.establishment_id.is_some() && make_admin {
        return conflict(
            &state,
            chrome,
            &scoped,
            id,
            "Seule une personne rattachée à toute l’entreprise peut en être administrateur.",
        )
        .await;
    }
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    store::company::lock(&txn, id).await?;
    if !make_admin && member.is_admin {
        let admins = usize::try_from(store::attachment::count_admins(&txn, id).await?).unwrap_or(usize::MAX);
        if let Err(err) = check_admin_removal(admins) {
            txn.rollback().await?;
            return conflict(&state, chrome, &scoped, id, &err.to_string()).await;
        }
    }
    let previous: Vec<i64> = store::attachment::admins(&txn, id).await?.into_iter().map(|(a, _)| a).collect();
    let others: Vec<i64> = previous.iter().copied().filter(|a| *a != scoped.user.account.id).collect();
    if !applied(store::attachment::set_admin(&txn, id, attachment, make_admin).await)? {
        txn.rollback().await?;
        return conflict(&state, chrome, &scoped, id, ALREADY_DECIDED).await;
    }
    if make_admin
        && !previous.contains(&member.user_id)
        && let Some(new_admin) = store::account::get(&txn, member.user_id).await?
    {
        // Told at once, so that an administrator added behind their back is seen (SPEC Q3).
        let company = store::company::get_unscoped(&txn, id).await?.ok_or(AppError::NotFound)?;
        let by = scoped.user.account.display_name();
        alerts::admin_made(&txn, &state, (id, &company.name), &others, &new_admin, &by, now).await?;
    }
    let action = if make_admin { "attachment.admin_granted" } else { "attachment.admin_removed" };
    audit(&txn, &scoped.user.actor(), action, Some(("attachment", attachment.to_string())), &client, now).await?;
    txn.commit().await?;
    let notice = if make_admin { "administrateur-designe" } else { "administrateur-retire" };
    Ok(Redirect::to(&format!("/entreprises/{id}/utilisateurs?notice={notice}")).into_response())
}

/// `POST /entreprises/{id}/utilisateurs/{attachment}/retirer`
pub async fn withdraw(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    scoped: Filer,
    Path((id, attachment)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    policy::require_admin(&scoped.scope, id)?;
    let member = store::attachment::get_in_company(&state.db, id, attachment).await?.ok_or(AppError::NotFound)?;
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    store::company::lock(&txn, id).await?;
    if member.is_admin {
        let admins = usize::try_from(store::attachment::count_admins(&txn, id).await?).unwrap_or(usize::MAX);
        if let Err(err) = check_admin_removal(admins) {
            txn.rollback().await?;
            return conflict(&state, chrome, &scoped, id, &err.to_string()).await;
        }
    }
    if !applied(store::attachment::withdraw(&txn, id, attachment, scoped.user.account.id, now).await)? {
        txn.rollback().await?;
        return conflict(&state, chrome, &scoped, id, ALREADY_DECIDED).await;
    }
    let news = NewNotification {
        kind: "attachment.withdrawn",
        title: format!("Rattachement à {} retiré", member.company_name),
        body: "Un administrateur de l’entreprise a retiré votre rattachement et vos habilitations.".to_owned(),
        link: Some("/entreprises".to_owned()),
    };
    notify::bell(&txn, &state, member.user_id, &news, Email::AsChosen, now).await?;
    audit(
        &txn,
        &scoped.user.actor(),
        "attachment.withdrawn",
        Some(("attachment", attachment.to_string())),
        &client,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/entreprises/{id}/utilisateurs?notice=rattachement-retire")).into_response())
}
