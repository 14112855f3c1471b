//! The back-office view of companies: search, creation, establishments, EDI flag, and the
//! advisor's help (new activation letter, account created and attached on the company's behalf).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use domain::habilitation::{AttachmentStatus, Domain};
use domain::token::TokenPurpose;
use domain::{Email, Role, Siren, Siret};
use serde::Deserialize;
use store::account::NewAccount;
use store::activation::LetterReason;
use store::attachment::{AttachmentView, Source};
use store::company::{Company, CompanyInput, CreateError, DirectoryFilter, Establishment, EstablishmentInput};

use crate::alerts;
use crate::auth::Staff;
use crate::chrome::Chrome;
use crate::client::Client;
use crate::csv::Line;
use crate::error::AppError;
use crate::extract::{Form, PageNumber, Query};
use crate::forms::{FormErrors, person_name};
use crate::listing::{self, Pager};
use crate::notify::{self, audit, queue_mail};
use crate::pages::companies::{parse_address, parse_headcount};
use crate::policy::Permission;
use crate::render;
use crate::state::AppState;

/// The company search page.
#[derive(Debug, Template)]
#[template(path = "gestion/entreprises/list.html")]
pub struct SearchPage {
    chrome: Chrome,
    query: SearchQuery,
    lines: Vec<CompanyLine>,
    advisors: Vec<(i64, String)>,
    pager: Pager,
    can_manage: bool,
}

/// A company in the directory, with what is read for the whole page at once.
#[derive(Debug)]
pub struct CompanyLine {
    company: Company,
    admins: i64,
    advisor: String,
}

/// Filters and window kept in the URL.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct SearchQuery {
    /// Name, SIREN or SIRET.
    #[serde(default)]
    q: String,
    /// Town or postal code.
    #[serde(default)]
    commune: String,
    /// `oui`, `non` or nothing: with or without an administrator.
    #[serde(default)]
    administrateur: String,
    /// An advisor's account id.
    #[serde(default)]
    conseiller: String,
    #[serde(default)]
    page: PageNumber,
    #[serde(default)]
    par_page: String,
    #[serde(default)]
    apres: String,
}

impl SearchQuery {
    /// The filters, parsed.
    ///
    /// # Errors
    /// A French 400 or 422 naming the parameter at fault.
    fn filter(&self) -> Result<DirectoryFilter, AppError> {
        let has_admin = match self.administrateur.trim() {
            "" => None,
            "oui" => Some(true),
            "non" => Some(false),
            _ => {
                return Err(AppError::invalid(
                    "administrateur",
                    "Le filtre « administrateur » vaut « oui », « non » ou rien.",
                ));
            }
        };
        Ok(DirectoryFilter {
            text: Some(self.q.trim().to_owned()).filter(|s| !s.is_empty()),
            place: Some(self.commune.trim().to_owned()).filter(|s| !s.is_empty()),
            has_admin,
            advisor: listing::id("conseiller", &self.conseiller)?,
        })
    }

    fn kept(&self) -> [(&'static str, &str); 4] {
        [
            ("q", &self.q),
            ("commune", &self.commune),
            ("administrateur", &self.administrateur),
            ("conseiller", &self.conseiller),
        ]
    }
}

/// `GET /gestion/entreprises`: one page of the directory, by name, filtered; administrators
/// and advisors read for the whole page in one statement each.
pub async fn search(
    State(state): State<AppState>,
    chrome: Chrome,
    Staff(user): Staff,
    Query(query): Query<SearchQuery>,
) -> Result<Response, AppError> {
    let scope = store::attachment::scope(&state.db, user.account.id, user.account.role).await?;
    let filter = query.filter()?;
    let window = listing::window(query.page, &query.par_page, &query.apres)?;
    let listed = store::company::directory(&state.db, &scope, &filter, window).await?;
    let pager = Pager::new("/gestion/entreprises", &query.kept(), window, &listed)
        .with_csv("/gestion/entreprises.csv", &query.kept());
    let ids: Vec<i64> = listed.rows.iter().map(|c| c.id).collect();
    let (admins, advisors) = store::company::directory_extras(&state.db, &ids).await?;
    let lines = listed
        .rows
        .into_iter()
        .map(|company| CompanyLine {
            admins: admins.get(&company.id).copied().unwrap_or(0),
            advisor: advisors.get(&company.id).cloned().unwrap_or_default(),
            company,
        })
        .collect();
    let (advisors, _) = crate::pages::contacts::choices(&state).await?;
    let page = SearchPage {
        chrome,
        query,
        lines,
        advisors,
        pager,
        can_manage: user.require(Permission::ManageCompanies).is_ok(),
    };
    Ok(render::page(&page)?.into_response())
}

/// `GET /gestion/entreprises.csv`: the filtered directory, whole, streamed as CSV.
pub async fn export(
    State(state): State<AppState>,
    Staff(user): Staff,
    Query(query): Query<SearchQuery>,
) -> Result<Response, AppError> {
    let scope = store::attachment::scope(&state.db, user.account.id, user.account.role).await?;
    let filter = query.filter()?;
    // The window does not apply to an export, but a malformed one is refused like on the page.
    listing::window(query.page, &query.par_page, &query.apres)?;
    let day = domain::clock::paris_day(state.now()).format("%Y-%m-%d");
    let header = crate::csv::header(&[
        "Raison sociale",
        "SIREN",
        "Adresse",
        "Complément",
        "Code postal",
        "Commune",
        "Effectif",
        "Assujettie à la TVA",
        "EDI",
        "Administrateurs",
        "Conseiller",
        "Créée le",
    ]);
    Ok(crate::csv::stream(&format!("entreprises-{day}.csv"), header, move |after| {
        let (state, scope, filter) = (state.clone(), scope.clone(), filter.clone());
        async move {
            let (rows, next) = store::company::directory_chunk(&state.db, &scope, &filter, after).await?;
            let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
            let (admins, advisors) = store::company::directory_extras(&state.db, &ids).await?;
            let mut out = String::new();
            let yes = |b: bool| if b { "oui" } else { "non" };
            for c in &rows {
                Line::new()
                    .text(&c.name)
                    .text(c.siren.as_str())
                    .text(&c.address.street)
                    .text(c.address.complement.as_deref().unwrap_or(""))
                    .text(&c.address.postal_code)
                    .text(&c.address.city)
                    .text(&c.headcount.map(|h| h.to_string()).unwrap_or_default())
                    .text(yes(c.vat_subject))
                    .text(yes(c.edi))
                    .int(admins.get(&c.id).copied().unwrap_or(0))
                    .text(advisors.get(&c.id).map_or("", String::as_str))
                    .day(Some(domain::clock::paris_day(c.created_at)))
                    .end(&mut out);
            }
            Ok((out, next))
        }
    }))
}

/// The company creation form.
#[derive(Debug, Template)]
#[template(path = "gestion/entreprises/new.html")]
pub struct NewPage {
    chrome: Chrome,
    form: NewCompanyForm,
    errors: FormErrors,
}

/// What the creation form sends.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct NewCompanyForm {
    #[serde(default)]
    siren: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    head_office_siret: String,
    #[serde(default)]
    street: String,
    #[serde(default)]
    street_complement: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    vat_subject: String,
    #[serde(default)]
    headcount: String,
    #[serde(default)]
    branch: String,
    #[serde(default)]
    region: String,
}

/// `GET /gestion/entreprises/nouvelle`
pub async fn new_form(chrome: Chrome, Staff(user): Staff) -> Result<Response, AppError> {
    user.require(Permission::ManageCompanies)?;
    let form = NewCompanyForm { vat_subject: "oui".into(), ..NewCompanyForm::default() };
    Ok(render::page(&NewPage { chrome, form, errors: FormErrors::new() })?.into_response())
}

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.chars().take(100).collect())
}

fn company_name(errors: &mut FormErrors, field: &'static str, text: &str) -> String {
    let name = text.trim();
    if name.is_empty() {
        errors.add(field, "Saisissez la raison sociale.");
    } else if name.chars().count() > 200 {
        errors.add(field, "La raison sociale doit contenir au plus 200 caractères.");
    }
    name.to_owned()
}

/// `POST /gestion/entreprises/nouvelle`
pub async fn create(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    Staff(user): Staff,
    Form(form): Form<NewCompanyForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageCompanies)?;
    let mut errors = FormErrors::new();
    let siren = errors.check("siren", Siren::parse(&form.siren));
    let name = company_name(&mut errors, "name", &form.name);
    let head_office = if form.head_office_siret.trim().is_empty() {
        None
    } else {
        errors.check("head_office_siret", Siret::parse(&form.head_office_siret))
    };
    if let (Some(siren), Some(siret)) = (&siren, &head_office)
        && siret.siren() != *siren
    {
        errors.add("head_office_siret", "Le SIRET du siège doit commencer par le SIREN de l’entreprise.");
    }
    let address = parse_address(&mut errors, &form.street, &form.street_complement, &form.postal_code, &form.city);
    let headcount = parse_headcount(&mut errors, &form.headcount);
    let (Some(siren), true) = (siren, errors.is_empty()) else {
        return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &NewPage { chrome, form, errors });
    };
    let now = state.now();
    let input = CompanyInput {
        siren,
        name: name.clone(),
        address: address.clone(),
        vat_subject: form.vat_subject != "non",
        headcount,
        branch: optional(&form.branch),
        region: optional(&form.region),
    };
    let txn = store::db::write(&state.db).await?;
    let company = match store::company::create(&txn, input, now).await {
        Ok(company) => company,
        Err(CreateError::Exists) => {
            txn.rollback().await?;
            errors.add("siren", "Une entreprise avec ce SIREN existe déjà : recherchez-la dans la liste.");
            return render::page_with_status(StatusCode::CONFLICT, &NewPage { chrome, form, errors });
        }
        Err(CreateError::Db(err)) => return Err(err.into()),
    };
    if let Some(siret) = head_office {
        let input = EstablishmentInput { siret, name: format!("{name} – siège"), address, head_office: true };
        if let Err(err) = store::company::create_establishment(&txn, company.id, input, now).await {
            txn.rollback().await?;
            return match err {
                CreateError::Exists => {
                    errors.add("head_office_siret", "Cet établissement existe déjà dans une autre entreprise.");
                    render::page_with_status(StatusCode::CONFLICT, &NewPage { chrome, form, errors })
                }
                CreateError::Db(err) => Err(err.into()),
            };
        }
    }
    audit(&txn, &user.actor(), "company.created", Some(("company", company.id.to_string())), &client, now).await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/gestion/entreprises/{}?notice=entreprise-creee", company.id)).into_response())
}

/// A company as the back-office sees it.
#[derive(Debug, Template)]
#[template(path = "gestion/entreprises/show.html")]
pub struct DetailPage {
    chrome: Chrome,
    company: Company,
    establishments: Vec<Establishment>,
    members: Vec<AttachmentView>,
    admin_count: usize,
    pending: Vec<AttachmentView>,
    letter: Option<String>,
    live_code_until: Option<String>,
    failed_codes: Vec<FailedCodeLine>,
    bank: crate::pages::companies::BankLines,
    can_manage: bool,
    can_set_edi: bool,
    domains: [Domain; 3],
    errors: FormErrors,
    form: StaffForms,
    contacts: store::contact::Contacts,
    advisors: Vec<(i64, String)>,
    case_managers: Vec<(i64, String)>,
}

/// The forms of the detail page, kept on error.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct StaffForms {
    #[serde(default)]
    siret: String,
    #[serde(default)]
    establishment_name: String,
    #[serde(default)]
    street: String,
    #[serde(default)]
    street_complement: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    head_office: Option<String>,
    #[serde(default)]
    email: String,
    #[serde(default)]
    given_name: String,
    #[serde(default)]
    family_name: String,
    #[serde(default)]
    user_siret: String,
    #[serde(default)]
    admin: Option<String>,
    #[serde(default)]
    training: Option<String>,
    #[serde(default)]
    work_study: Option<String>,
    #[serde(default)]
    invoicing: Option<String>,
    #[serde(default)]
    edi: String,
}

/// How far back the company page lists wrong activation codes.
const FAILED_CODES_DAYS: i64 = 30;

/// One person's wrong activation codes for the company, as the staff page lists them.
#[derive(Debug)]
pub struct FailedCodeLine {
    name: String,
    email: String,
    count: u64,
    first: String,
    last: String,
}

/// Who entered wrong codes for the company lately, so that staff notice someone guessing (each
/// person is held on their own; see `domain::activation::ActivationPolicy`).
async fn failed_codes(state: &AppState, company_id: i64, now: DateTime<Utc>) -> Result<Vec<FailedCodeLine>, AppError> {
    let since = now - chrono::Duration::days(FAILED_CODES_DAYS);
    let mut lines = Vec::new();
    for failed in store::activation::failed_codes_on_company(&state.db, company_id, since, 50).await? {
        let (name, email) = match store::account::get(&state.db, failed.user_id).await? {
            Some(account) => (account.display_name(), account.email.to_string()),
            None => ("compte supprimé".to_owned(), String::new()),
        };
        lines.push(FailedCodeLine {
            name,
            email,
            count: failed.count,
            first: documents::fr::date_time(failed.first_at),
            last: documents::fr::date_time(failed.last_at),
        });
    }
    Ok(lines)
}

async fn detail(
    state: &AppState,
    chrome: Chrome,
    user: &crate::auth::CurrentUser,
    id: i64,
    form: StaffForms,
    errors: FormErrors,
) -> Result<DetailPage, AppError> {
    let company = store::company::get_unscoped(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let now = state.now();
    let letter = store::activation::pending_letter(&state.db, id).await?.map(|l| {
        let status = if l.status == "queued" { "en attente d’un lot" } else { "dans un lot à poster" };
        format!("demandé le {}, {status}", documents::fr::date(l.created_at))
    });
    let members = store::attachment::list_for_company(&state.db, id, AttachmentStatus::Approved).await?;
    let (advisors, case_managers) = crate::pages::contacts::choices(state).await?;
    Ok(DetailPage {
        contacts: store::contact::get(&state.db, id).await?,
        advisors,
        case_managers,
        chrome,
        establishments: store::company::all_establishments(&state.db, id).await?,
        admin_count: members.iter().filter(|m| m.is_admin).count(),
        members,
        pending: store::attachment::list_for_company(&state.db, id, AttachmentStatus::Requested).await?,
        letter,
        live_code_until: store::activation::live_code_expiry(&state.db, id, now).await?.map(documents::fr::date),
        failed_codes: failed_codes(state, id, now).await?,
        bank: crate::pages::companies::BankLines::load(state, id, false).await?,
        can_manage: user.require(Permission::ManageCompanies).is_ok(),
        can_set_edi: user.require(Permission::SetEdi).is_ok(),
        domains: Domain::ALL,
        company,
        errors,
        form,
    })
}

/// `GET /gestion/entreprises/{id}`
pub async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    Staff(user): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let page = detail(&state, chrome, &user, id, StaffForms::default(), FormErrors::new()).await?;
    Ok(render::page(&page)?.into_response())
}

/// `POST /gestion/entreprises/{id}/etablissements`
pub async fn add_establishment(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    Staff(user): Staff,
    Path(id): Path<i64>,
    Form(form): Form<StaffForms>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageCompanies)?;
    let company = store::company::get_unscoped(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let mut errors = FormErrors::new();
    let siret = errors.check("siret", Siret::parse(&form.siret));
    if siret.as_ref().is_some_and(|s| s.siren() != company.siren) {
        errors.add("siret", format!("Ce SIRET n’appartient pas à l’entreprise (SIREN {}).", company.siren.formatted()));
    }
    let name = company_name(&mut errors, "establishment_name", &form.establishment_name);
    let address = parse_address(&mut errors, &form.street, &form.street_complement, &form.postal_code, &form.city);
    let (Some(siret), true) = (siret, errors.is_empty()) else {
        let page = detail(&state, chrome, &user, id, form, errors).await?;
        return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    let input = EstablishmentInput { siret, name, address, head_office: form.head_office.is_some() };
    match store::company::create_establishment(&txn, id, input, now).await {
        Ok(e) => {
            audit(&txn, &user.actor(), "establishment.created", Some(("establishment", e.id.to_string())), &client, now)
                .await?
        }
        Err(CreateError::Exists) => {
            txn.rollback().await?;
            errors.add("siret", "Cet établissement existe déjà.");
            let page = detail(&state, chrome, &user, id, form, errors).await?;
            return render::page_with_status(StatusCode::CONFLICT, &page);
        }
        Err(CreateError::Db(err)) => return Err(err.into()),
    }
    txn.commit().await?;
    Ok(Redirect::to(&format!("/gestion/entreprises/{id}?notice=etablissement-ajoute")).into_response())
}

/// `POST /gestion/entreprises/{id}/edi` (platform administrators)
pub async fn set_edi(
    State(state): State<AppState>,
    client: Client,
    Staff(user): Staff,
    Path(id): Path<i64>,
    Form(form): Form<StaffForms>,
) -> Result<Response, AppError> {
    user.require(Permission::SetEdi)?;
    store::company::get_unscoped(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let edi = match form.edi.as_str() {
        "oui" => true,
        "non" => false,
        _ => {
            return Err(AppError::invalid("edi", "Indiquez « oui » ou « non » pour l’échange de données informatisé."));
        }
    };
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    store::company::set_edi(&txn, id, edi, now).await?;
    let action = if edi { "company.edi_enabled" } else { "company.edi_disabled" };
    audit(&txn, &user.actor(), action, Some(("company", id.to_string())), &client, now).await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/gestion/entreprises/{id}?notice=edi")).into_response())
}

/// `POST /gestion/entreprises/{id}/courrier`: a new activation letter, which will replace the
/// current code when it is printed.
pub async fn new_letter(
    State(state): State<AppState>,
    client: Client,
    Staff(user): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageCompanies)?;
    let company = store::company::get_unscoped(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if !company.address.is_complete() {
        return Err(AppError::Conflict {
            code: "address_incomplete",
            message: "L’adresse du siège est incomplète : complétez-la avant d’envoyer un courrier.".into(),
        });
    }
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    // A letter already printed but not yet posted is superseded: its code will be replaced.
    if store::activation::queued_letter(&txn, id).await?.is_none() {
        store::activation::queue_letter(&txn, id, Some(user.account.id), LetterReason::Advisor, now).await?;
        audit(&txn, &user.actor(), "activation.letter_requested", Some(("company", id.to_string())), &client, now)
            .await?;
    }
    txn.commit().await?;
    Ok(Redirect::to(&format!("/gestion/entreprises/{id}?notice=courrier")).into_response())
}

/// `POST /gestion/entreprises/{id}/utilisateurs`: attaches a person to the company, creating
/// their account (and inviting them to choose a password) when they have none.
pub async fn attach_user(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    Staff(user): Staff,
    Path(id): Path<i64>,
    Form(form): Form<StaffForms>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageCompanies)?;
    let company = store::company::get_unscoped(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let mut errors = FormErrors::new();
    let email = errors.check("email", Email::parse(&form.email));
    let establishment = if form.user_siret.trim().is_empty() {
        None
    } else {
        match errors.check("user_siret", Siret::parse(&form.user_siret)) {
            Some(siret) => match store::company::find_establishment_by_siret(&state.db, &siret).await? {
                Some(e) if e.company_id == id => Some(e),
                _ => {
                    errors.add("user_siret", "Cet établissement n’appartient pas à l’entreprise.");
                    None
                }
            },
            None => None,
        }
    };
    let existing = match &email {
        Some(email) => store::account::find_by_email(&state.db, email).await?,
        None => None,
    };
    if existing.as_ref().is_some_and(|a| a.role.is_staff()) {
        errors.add("email", "Cette adresse est celle d’un membre des équipes de l’opérateur.");
    }
    let names = if existing.is_none() {
        let given = errors.check("given_name", person_name(&form.given_name, "prénom"));
        let family = errors.check("family_name", person_name(&form.family_name, "nom"));
        given.zip(family)
    } else {
        None
    };
    let admin = form.admin.is_some();
    if admin && establishment.is_some() {
        errors.add("admin", "Un administrateur est rattaché à toute l’entreprise : laissez le SIRET vide.");
    }
    let (Some(email), true) = (email, errors.is_empty()) else {
        let page = detail(&state, chrome, &user, id, form, errors).await?;
        return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let domains: Vec<Domain> = [
        (Domain::Training, &form.training),
        (Domain::WorkStudy, &form.work_study),
        (Domain::Invoicing, &form.invoicing),
    ]
    .into_iter()
    .filter(|(_, v)| v.is_some())
    .map(|(d, _)| d)
    .collect();
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    let (account, created) = match existing {
        Some(account) => (account, false),
        None => {
            let (given_name, family_name) = names.unwrap_or_default();
            let new = NewAccount {
                email,
                password_hash: None,
                given_name,
                family_name,
                role: Role::CompanyUser,
                email_verified_at: None,
            };
            (store::account::create(&txn, new, now).await?, true)
        }
    };
    // Who administered the company before: they are told of a new administrator (SPEC Q3).
    store::company::lock(&txn, id).await?;
    let previous: Vec<i64> = store::attachment::admins(&txn, id).await?.into_iter().map(|(a, _)| a).collect();
    store::attachment::grant(
        &txn,
        account.id,
        id,
        establishment.as_ref().map(|e| e.id),
        admin,
        &domains,
        Source::Advisor,
        Some(user.account.id),
        now,
    )
    .await?;
    if admin && !previous.contains(&account.id) {
        let by =
            format!("{} ({} de l’opérateur)", user.account.display_name(), user.account.role.label().to_lowercase());
        alerts::admin_made(&txn, &state, (id, &company.name), &previous, &account, &by, now).await?;
    }
    if created {
        let token = store::user_token::issue(&txn, account.id, TokenPurpose::Invitation, now).await?;
        let link = format!("{}/reinitialisation?jeton={}", state.config.public_url, token.plain);
        let expires = TokenPurpose::Invitation.expires_at(now);
        let mail = documents::mail::invitation(
            &notify::sender(&state),
            &account.display_name(),
            &company.name,
            &link,
            expires,
        )?;
        queue_mail(&txn, account.email.as_str(), mail, now).await?;
    }
    let action = if created { "advisor.user_created" } else { "advisor.user_attached" };
    audit(&txn, &user.actor(), action, Some(("user", account.id.to_string())), &client, now).await?;
    txn.commit().await?;
    let notice = if created { "utilisateur-cree" } else { "utilisateur-rattache" };
    Ok(Redirect::to(&format!("/gestion/entreprises/{id}?notice={notice}")).into_response())
}

/// The staff form completing a company's profile (legal name included).
#[derive(Debug, Template)]
#[template(path = "gestion/entreprises/profile.html")]
pub struct ProfilePage {
    chrome: Chrome,
    company_id: i64,
    form: NewCompanyForm,
    errors: FormErrors,
}

/// `GET /gestion/entreprises/{id}/profil`
pub async fn profile_form(
    State(state): State<AppState>,
    chrome: Chrome,
    Staff(user): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageCompanies)?;
    let company = store::company::get_unscoped(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let form = NewCompanyForm {
        siren: company.siren.to_string(),
        name: company.name,
        head_office_siret: String::new(),
        street: company.address.street,
        street_complement: company.address.complement.unwrap_or_default(),
        postal_code: company.address.postal_code,
        city: company.address.city,
        vat_subject: if company.vat_subject { "oui" } else { "non" }.to_owned(),
        headcount: company.headcount.map(|h| h.to_string()).unwrap_or_default(),
        branch: company.branch.unwrap_or_default(),
        region: company.region.unwrap_or_default(),
    };
    Ok(render::page(&ProfilePage { chrome, company_id: id, form, errors: FormErrors::new() })?.into_response())
}

/// `POST /gestion/entreprises/{id}/profil`
pub async fn profile(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    Staff(user): Staff,
    Path(id): Path<i64>,
    Form(form): Form<NewCompanyForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageCompanies)?;
    let company = store::company::get_unscoped(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let mut errors = FormErrors::new();
    let name = company_name(&mut errors, "name", &form.name);
    let address = parse_address(&mut errors, &form.street, &form.street_complement, &form.postal_code, &form.city);
    let headcount = parse_headcount(&mut errors, &form.headcount);
    if !errors.is_empty() {
        return render::page_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ProfilePage { chrome, company_id: id, form, errors },
        );
    }
    let now = state.now();
    let input = CompanyInput {
        siren: company.siren,
        name,
        address,
        vat_subject: form.vat_subject != "non",
        headcount,
        branch: optional(&form.branch),
        region: optional(&form.region),
    };
    let txn = store::db::write(&state.db).await?;
    store::company::update_profile(&txn, id, input, now).await?;
    audit(&txn, &user.actor(), "company.profile_updated", Some(("company", id.to_string())), &client, now).await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/gestion/entreprises/{id}?notice=profil")).into_response())
}
