//! A company's contacts at the operator (SPEC I2): staff assign its advisor, its case manager and
//! its POEC referent; the company sees them on its page, in the help and where POEC is explained.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::Role;
use serde::Deserialize;
use store::contact::Contacts;

use crate::auth::Staff;
use crate::client::Client;
use crate::error::AppError;
use crate::extract::Form;
use crate::notify::audit;
use crate::policy::Permission;
use crate::state::AppState;

/// A contact as the company sees it.
#[derive(Debug, Clone)]
pub struct ContactLine {
    /// What they do (« Votre conseiller »…).
    pub role: &'static str,
    /// Their name.
    pub name: String,
    /// How to reach them.
    pub reach: String,
}

/// The contacts of a company, one line each, those assigned only.
///
/// # Errors
/// The database's.
pub async fn lines(state: &AppState, company_id: i64) -> Result<Vec<ContactLine>, AppError> {
    let contacts: Contacts = store::contact::get(&state.db, company_id).await?;
    let mut out = Vec::new();
    if let Some(a) = contacts.advisor {
        out.push(ContactLine { role: "Votre conseiller", name: a.display_name(), reach: a.email.to_string() });
    }
    if let Some(a) = contacts.case_manager {
        out.push(ContactLine { role: "Votre gestionnaire", name: a.display_name(), reach: a.email.to_string() });
    }
    if let Some(r) = contacts.poec_referent {
        out.push(ContactLine { role: "Votre référent POEC", name: r, reach: String::new() });
    }
    Ok(out)
}

/// The staff the contacts are chosen from: advisors, and case managers (platform admins may be
/// either).
///
/// # Errors
/// The database's.
pub async fn choices(state: &AppState) -> Result<(Vec<(i64, String)>, Vec<(i64, String)>), AppError> {
    let label = |a: store::account::Account| (a.id, format!("{} ({})", a.display_name(), a.email));
    let advisors = store::contact::staff(&state.db, &[Role::Advisor, Role::PlatformAdmin]).await?;
    let managers = store::contact::staff(&state.db, &[Role::CaseManager, Role::PlatformAdmin]).await?;
    Ok((advisors.into_iter().map(label).collect(), managers.into_iter().map(label).collect()))
}

/// What the staff form sends.
#[derive(Debug, Deserialize, Default)]
pub struct ContactsForm {
    #[serde(default)]
    advisor: String,
    #[serde(default)]
    case_manager: String,
    #[serde(default)]
    poec_referent: String,
}

/// `POST /gestion/entreprises/{id}/contacts`: advisors and platform admins assign the contacts.
pub async fn set(
    State(state): State<AppState>,
    client: Client,
    Staff(user): Staff,
    Path(id): Path<i64>,
    Form(form): Form<ContactsForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageCompanies)?;
    store::company::get_unscoped(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let (advisors, managers) = choices(&state).await?;
    let pick = |field: &'static str, raw: &str, among: &[(i64, String)], what: &str| -> Result<Option<i64>, AppError> {
        if raw.trim().is_empty() {
            return Ok(None);
        }
        raw.trim()
            .parse::<i64>()
            .ok()
            .filter(|id| among.iter().any(|(a, _)| a == id))
            .map(Some)
            .ok_or_else(|| AppError::invalid(field, format!("Choisissez {what} dans la liste.")))
    };
    let advisor = pick("advisor", &form.advisor, &advisors, "le conseiller")?;
    let case_manager = pick("case_manager", &form.case_manager, &managers, "le gestionnaire")?;
    let referent: String = form.poec_referent.trim().chars().filter(|c| !c.is_control()).collect();
    if referent.chars().count() > 200 {
        return Err(AppError::invalid(
            "poec_referent",
            "Le référent POEC tient en 200 caractères au plus (nom, téléphone ou adresse).",
        ));
    }
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    store::contact::set(
        &txn,
        id,
        advisor,
        case_manager,
        Some(referent).filter(|r| !r.is_empty()),
        user.account.id,
        now,
    )
    .await?;
    audit(&txn, &user.actor(), "company.contacts_set", Some(("company", id.to_string())), &client, now).await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/gestion/entreprises/{id}?notice=contacts")).into_response())
}
