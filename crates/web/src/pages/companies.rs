//! "Mes entreprises": a company user's companies, attachment requests, activation codes, the
//! company page, its profile and bank details.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::activation::{self, CodeRejection};
use domain::habilitation::Domain;
use domain::password::Password;
use domain::{Iban, Siren, Siret};
use serde::Deserialize;
use store::activation::LetterReason;
use store::attachment::{AttachmentView, Source};
use store::company::{Address, Company, CompanyInput, Establishment};
use store::notification::NewNotification;

use crate::alerts;
use crate::auth::{Filer, Scoped};
use crate::chrome::Chrome;
use crate::client::Client;
use crate::error::AppError;
use crate::extract::Form;
use crate::forms::FormErrors;
use crate::notify::{self, Email, audit};
use crate::pages::login::check_throttle;
use crate::policy;
use crate::state::AppState;
use crate::{crypto, render};

/// "Mes entreprises".
#[derive(Debug, Template)]
#[template(path = "entreprises/list.html")]
pub struct ListPage {
    chrome: Chrome,
    companies: Vec<Company>,
    attachments: Vec<AttachmentView>,
}

/// `GET /entreprises`
pub async fn list(State(state): State<AppState>, chrome: Chrome, scoped: Scoped) -> Result<Response, AppError> {
    let companies = store::company::list(&state.db, &scoped.scope).await?;
    let attachments = store::attachment::list_for_user(&state.db, scoped.user.account.id).await?;
    Ok(render::page(&ListPage { chrome, companies, attachments })?.into_response())
}

/// The attachment request form.
#[derive(Debug, Template)]
#[template(path = "entreprises/request.html")]
pub struct RequestPage {
    chrome: Chrome,
    form: RequestForm,
    errors: FormErrors,
}

/// What the request form sends.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct RequestForm {
    #[serde(default)]
    siren: String,
    #[serde(default)]
    sirets: String,
    #[serde(default)]
    message: String,
}

/// `GET /entreprises/rattachement`
pub async fn request_form(chrome: Chrome, _scoped: Filer) -> Result<Response, AppError> {
    Ok(render::page(&RequestPage { chrome, form: RequestForm::default(), errors: FormErrors::new() })?.into_response())
}

/// Parses a list of SIRETs typed one per line (commas and semicolons also separate).
fn parse_sirets(text: &str) -> Result<Vec<Siret>, String> {
    let mut sirets = Vec::new();
    for (n, item) in text.split(['\n', ',', ';']).map(str::trim).filter(|s| !s.is_empty()).enumerate() {
        let siret = Siret::parse(item).map_err(|e| format!("SIRET n° {} (« {item} ») : {e}", n + 1))?;
        if !sirets.contains(&siret) {
            sirets.push(siret);
        }
    }
    Ok(sirets)
}

/// `POST /entreprises/rattachement`
pub async fn request(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    scoped: Filer,
    Form(form): Form<RequestForm>,
) -> Result<Response, AppError> {
    let mut errors = FormErrors::new();
    let siren = errors.check("siren", Siren::parse(&form.siren));
    let sirets = errors.check("sirets", parse_sirets(&form.sirets));
    let message = form.message.trim().chars().take(1000).collect::<String>();
    let mut target = None;
    if let (Some(siren), Some(sirets)) = (&siren, &sirets) {
        match store::company::find_by_siren(&state.db, siren).await? {
            None => errors.add(
                "siren",
                format!(
                    "L’entreprise de SIREN {} n’est pas encore connue de l’espace formation. Contactez votre conseiller : \
                     il l’ajoutera et pourra vous rattacher.",
                    siren.formatted()
                ),
            ),
            Some(company) => {
                let mut establishments = Vec::new();
                for siret in sirets {
                    if siret.siren() != *siren {
                        errors.add("sirets", format!("Le SIRET {} n’appartient pas à l’entreprise de SIREN {}.", siret.formatted(), siren.formatted()));
                        continue;
                    }
                    match store::company::find_establishment_by_siret(&state.db, siret).await? {
                        Some(e) if e.company_id == company.id => establishments.push(e),
                        _ => errors.add(
                            "sirets",
                            format!("L’établissement {} n’est pas connu de l’espace formation ; contactez votre conseiller.", siret.formatted()),
                        ),
                    }
                }
                target = Some((company, establishments));
            }
        }
    }
    let (Some((company, establishments)), true) = (target, errors.is_empty()) else {
        return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &RequestPage { chrome, form, errors });
    };

    let now = state.now();
    let user = &scoped.user.account;
    let txn = store::db::write(&state.db).await?;
    let scopes: Vec<Option<&Establishment>> =
        if establishments.is_empty() { vec![None] } else { establishments.iter().map(Some).collect() };
    let mut created = 0;
    for establishment in &scopes {
        let message = (!message.is_empty()).then(|| message.clone());
        if store::attachment::request(&txn, user.id, company.id, establishment.map(|e| e.id), message, now)
            .await?
            .is_some()
        {
            created += 1;
        }
    }
    if created == 0 {
        txn.rollback().await?;
        return Ok(Redirect::to("/entreprises?notice=demande-existante").into_response());
    }
    let admins = store::attachment::admins(&txn, company.id).await?;
    let notice = if admins.is_empty() {
        let pending = store::activation::pending_letter(&txn, company.id).await?;
        let live = store::activation::live_code_expiry(&txn, company.id, now).await?;
        if pending.is_none() && live.is_none() {
            store::activation::queue_letter(&txn, company.id, Some(user.id), LetterReason::AttachmentRequest, now)
                .await?;
            "demande-courrier"
        } else {
            "demande-courrier-deja"
        }
    } else {
        let scope_text = if establishments.is_empty() {
            "toute l’entreprise".to_owned()
        } else {
            establishments
                .iter()
                .map(|e| format!("{} ({})", e.name, e.siret.formatted()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let news = NewNotification {
            kind: "attachment.requested",
            title: format!("Demande de rattachement à {}", company.name),
            body: format!("{} ({}) demande à être rattaché à : {scope_text}.", user.display_name(), user.email),
            link: Some(format!("/entreprises/{}/utilisateurs", company.id)),
        };
        for (admin_id, _) in &admins {
            notify::bell(&txn, &state, *admin_id, &news, Email::AsChosen, now).await?;
        }
        "demande-envoyee"
    };
    audit(&txn, &scoped.user.actor(), "attachment.requested", Some(("company", company.id.to_string())), &client, now)
        .await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/entreprises?notice={notice}")).into_response())
}

/// The activation-code form.
#[derive(Debug, Template)]
#[template(path = "entreprises/activate.html")]
pub struct ActivatePage {
    chrome: Chrome,
    siren: String,
    errors: FormErrors,
}

/// What the activation form sends.
#[derive(Debug, Deserialize, Default)]
pub struct ActivateForm {
    #[serde(default)]
    siren: String,
    #[serde(default)]
    code: String,
}

/// `GET /entreprises/activer`
pub async fn activate_form(chrome: Chrome, _scoped: Filer) -> Result<Response, AppError> {
    Ok(render::page(&ActivatePage { chrome, siren: String::new(), errors: FormErrors::new() })?.into_response())
}

/// `POST /entreprises/activer`: a valid code makes the person the company's administrator.
pub async fn activate(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    scoped: Filer,
    Form(form): Form<ActivateForm>,
) -> Result<Response, AppError> {
    let mut errors = FormErrors::new();
    let siren = errors.check("siren", Siren::parse(&form.siren));
    let code = errors.check("code", activation::normalise(&form.code));
    let page = |errors| ActivatePage { chrome: chrome.clone(), siren: form.siren.trim().to_owned(), errors };
    let (Some(siren), Some(code), true) = (siren, code, errors.is_empty()) else {
        return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page(errors));
    };
    let now = state.now();
    let user = &scoped.user.account;
    let policy = state.config.activation;
    let company = store::company::find_by_siren(&state.db, &siren).await?;
    let company_id = company.as_ref().map(|c| c.id);
    let own = store::activation::own_failures(&state.db, user.id, company_id, now - policy.window).await?;
    if policy.holds(own) {
        audit(
            &state.db,
            &scoped.user.actor(),
            "activation.throttled",
            company_id.map(|id| ("company", id.to_string())),
            &client,
            now,
        )
        .await?;
        errors.add("code", "Trop de codes erronés ont été saisis. Réessayez demain, ou contactez votre conseiller.");
        return render::page_with_status(StatusCode::TOO_MANY_REQUESTS, &page(errors));
    }
    let digest = store::secret::digest(&code);
    let found = match company_id {
        Some(id) => store::activation::find_code(&state.db, id, &digest).await?,
        None => None,
    };
    let verdict = match (&company, &found) {
        (Some(_), Some(found)) => activation::check_code(found.expires_at, found.used_at, found.revoked_at, now),
        _ => Err(CodeRejection::Unknown),
    };
    let (Some(company), Some(found), Ok(())) = (company, found, verdict) else {
        let rejection = verdict.err().unwrap_or(CodeRejection::Unknown);
        store::activation::record_attempt(&state.db, user.id, company_id, false, now).await?;
        audit(
            &state.db,
            &scoped.user.actor(),
            "activation.code_refused",
            company_id.map(|id| ("company", id.to_string())),
            &client,
            now,
        )
        .await?;
        errors.add("code", rejection.to_string());
        return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page(errors));
    };
    let txn = store::db::write(&state.db).await?;
    if !store::activation::use_code(&txn, found.id, user.id, now).await? {
        txn.rollback().await?;
        errors.add("code", CodeRejection::Used.to_string());
        return render::page_with_status(StatusCode::CONFLICT, &page(errors));
    }
    let previous: Vec<i64> = store::attachment::admins(&txn, company.id).await?.into_iter().map(|(a, _)| a).collect();
    store::attachment::grant(
        &txn,
        user.id,
        company.id,
        None,
        true,
        &Domain::ALL,
        Source::ActivationCode,
        Some(user.id),
        now,
    )
    .await?;
    if !previous.contains(&user.id) {
        let by = "Le code d’activation envoyé par courrier au siège de l’entreprise";
        alerts::admin_made(&txn, &state, (company.id, &company.name), &previous, user, by, now).await?;
    }
    store::activation::record_attempt(&txn, user.id, Some(company.id), true, now).await?;
    audit(&txn, &scoped.user.actor(), "activation.code_used", Some(("company", company.id.to_string())), &client, now)
        .await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/entreprises/{}?notice=administrateur", company.id)).into_response())
}

/// One establishment line of the company page.
#[derive(Debug)]
pub struct EstablishmentLine {
    /// The establishment.
    pub establishment: Establishment,
    /// What the person may do there, as labels.
    pub domains: Vec<&'static str>,
}

/// The company page.
#[derive(Debug, Template)]
#[template(path = "entreprises/show.html")]
pub struct ShowPage {
    chrome: Chrome,
    company: Company,
    establishments: Vec<EstablishmentLine>,
    is_admin: bool,
    company_wide: Vec<&'static str>,
    pending: usize,
    bank: Option<BankLines>,
    contacts: Vec<crate::pages::contacts::ContactLine>,
}

fn labels(domains: impl IntoIterator<Item = Domain>) -> Vec<&'static str> {
    domains.into_iter().map(Domain::label).collect()
}

/// Loads a company the person reaches, or 404.
async fn reached(state: &AppState, scoped: &Scoped, id: i64) -> Result<Company, AppError> {
    store::company::get(&state.db, &scoped.scope, id).await?.ok_or(AppError::NotFound)
}

/// `GET /entreprises/{id}`
pub async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    scoped: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let company = reached(&state, &scoped, id).await?;
    let scope = &scoped.scope;
    let establishments = store::company::establishments(&state.db, scope, id)
        .await?
        .into_iter()
        .map(|e| {
            let domains = labels(Domain::ALL.into_iter().filter(|d| scope.can(id, Some(e.id), *d)));
            EstablishmentLine { establishment: e, domains }
        })
        .collect();
    let is_admin = scope.is_admin_of(id);
    let pending = if is_admin {
        store::attachment::list_for_company(&state.db, id, domain::habilitation::AttachmentStatus::Requested)
            .await?
            .len()
    } else {
        0
    };
    let page = ShowPage {
        chrome,
        establishments,
        is_admin,
        company_wide: labels(Domain::ALL.into_iter().filter(|d| scope.can(id, None, *d))),
        pending,
        bank: match policy::require_bank_details(scope, id) {
            Ok(()) => Some(BankLines::load(&state, id, is_admin && scope.files()).await?),
            Err(_) => None,
        },
        contacts: crate::pages::contacts::lines(&state, id).await?,
        company,
    };
    Ok(render::page(&page)?.into_response())
}

/// The company profile form (administrators).
#[derive(Debug, Template)]
#[template(path = "entreprises/profile.html")]
pub struct ProfilePage {
    chrome: Chrome,
    company_id: i64,
    company_name: String,
    form: ProfileForm,
    errors: FormErrors,
}

/// What the profile form sends.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct ProfileForm {
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
}

impl ProfileForm {
    fn from_company(company: &Company) -> Self {
        Self {
            street: company.address.street.clone(),
            street_complement: company.address.complement.clone().unwrap_or_default(),
            postal_code: company.address.postal_code.clone(),
            city: company.address.city.clone(),
            vat_subject: if company.vat_subject { "oui" } else { "non" }.to_owned(),
            headcount: company.headcount.map(|h| h.to_string()).unwrap_or_default(),
        }
    }
}

/// Checks a postal address; returns it or records errors on its fields.
pub fn parse_address(
    errors: &mut FormErrors,
    street: &str,
    complement: &str,
    postal_code: &str,
    city: &str,
) -> Address {
    let street = street.trim();
    if street.is_empty() {
        errors.add("street", "Saisissez le numéro et la voie (par exemple « 12 rue de la Paix »).");
    } else if street.chars().count() > 120 {
        errors.add("street", "L’adresse doit contenir au plus 120 caractères.");
    }
    let postal_code: String = postal_code.chars().filter(|c| !c.is_whitespace()).collect();
    if postal_code.len() != 5 || !postal_code.bytes().all(|b| b.is_ascii_digit()) {
        errors.add("postal_code", "Le code postal comporte 5 chiffres (par exemple 75009).");
    }
    let city = city.trim();
    if city.is_empty() {
        errors.add("city", "Saisissez la commune.");
    }
    let complement = complement.trim();
    Address {
        street: street.to_owned(),
        complement: (!complement.is_empty()).then(|| complement.to_owned()),
        postal_code,
        city: city.to_owned(),
    }
}

/// Checks a headcount: empty, or a whole number.
pub fn parse_headcount(errors: &mut FormErrors, text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match text.replace([' ', '\u{202f}'], "").parse::<i64>() {
        Ok(n) if (0..=1_000_000).contains(&n) => Some(n),
        _ => {
            errors.add("headcount", "L’effectif est un nombre entier de salariés (par exemple 42).");
            None
        }
    }
}

/// `GET /entreprises/{id}/profil`
pub async fn profile_form(
    State(state): State<AppState>,
    chrome: Chrome,
    scoped: Filer,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    policy::require_admin(&scoped.scope, id)?;
    let company = reached(&state, &scoped, id).await?;
    let form = ProfileForm::from_company(&company);
    Ok(render::page(&ProfilePage {
        chrome,
        company_id: id,
        company_name: company.name,
        form,
        errors: FormErrors::new(),
    })?
    .into_response())
}

/// `POST /entreprises/{id}/profil`
pub async fn profile(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    scoped: Filer,
    Path(id): Path<i64>,
    Form(form): Form<ProfileForm>,
) -> Result<Response, AppError> {
    policy::require_admin(&scoped.scope, id)?;
    let company = reached(&state, &scoped, id).await?;
    let mut errors = FormErrors::new();
    let address = parse_address(&mut errors, &form.street, &form.street_complement, &form.postal_code, &form.city);
    let headcount = parse_headcount(&mut errors, &form.headcount);
    let vat_subject = match form.vat_subject.as_str() {
        "oui" => true,
        "non" => false,
        _ => {
            errors.add("vat_subject", "Indiquez si l’entreprise est assujettie à la TVA.");
            true
        }
    };
    if !errors.is_empty() {
        let page = ProfilePage { chrome, company_id: id, company_name: company.name, form, errors };
        return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let now = state.now();
    let input = CompanyInput {
        siren: company.siren.clone(),
        name: company.name.clone(),
        address,
        vat_subject,
        headcount,
        branch: company.branch.clone(),
        region: company.region.clone(),
    };
    let txn = store::db::write(&state.db).await?;
    store::company::update_profile(&txn, id, input, now).await?;
    audit(&txn, &scoped.user.actor(), "company.profile_updated", Some(("company", id.to_string())), &client, now)
        .await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/entreprises/{id}?notice=profil")).into_response())
}

/// The bank details page.
#[derive(Debug, Template)]
#[template(path = "entreprises/bank.html")]
pub struct BankPage {
    chrome: Chrome,
    company_id: i64,
    company_name: String,
    standing: BankLines,
    delay_hours: i64,
    iban: String,
    holder_name: String,
    errors: FormErrors,
}

/// A company's accounts as its pages show them: the one in force and the change waiting for its
/// date (SPEC Q3), IBANs masked.
#[derive(Debug, Default)]
pub struct BankLines {
    /// In force: masked IBAN, holder, since when.
    pub current: Option<(String, String, String)>,
    /// Waiting: its id, masked IBAN, holder, when it takes effect, when it was asked for.
    pub pending: Option<PendingLine>,
    /// Whether the person may cancel the pending change (an administrator of the company).
    pub can_cancel: bool,
}

/// A change of bank details waiting for its date.
#[derive(Debug)]
pub struct PendingLine {
    /// The account's id (the cancel form's address).
    pub id: i64,
    /// Masked IBAN.
    pub iban: String,
    /// Holder.
    pub holder: String,
    /// When it takes effect: `08/01/2026 à 09:00`.
    pub effective: String,
    /// When it was asked for.
    pub requested: String,
}

impl BankLines {
    /// The lines of the company's accounts now.
    ///
    /// # Errors
    /// The database's.
    pub async fn load(state: &AppState, company_id: i64, can_cancel: bool) -> Result<Self, AppError> {
        let standing = store::company::bank_standing(&state.db, company_id, state.now()).await?;
        Ok(Self {
            current: standing.current.map(|c| {
                let c = c.account;
                (c.iban.masked(), c.holder_name, documents::fr::date(c.effective_at))
            }),
            pending: standing.pending.map(|p| PendingLine {
                id: p.id,
                iban: p.account.iban.masked(),
                holder: p.account.holder_name,
                effective: documents::fr::date_time(p.effective_at),
                requested: documents::fr::date_time(p.account.created_at),
            }),
            can_cancel,
        })
    }
}

/// What the bank form sends.
#[derive(Debug, Deserialize, Default)]
pub struct BankForm {
    #[serde(default)]
    iban: String,
    #[serde(default)]
    holder_name: String,
    #[serde(default)]
    password: String,
}

async fn bank_page(
    state: &AppState,
    chrome: Chrome,
    scoped: &Scoped,
    company: &Company,
    form: &BankForm,
    errors: FormErrors,
) -> Result<BankPage, AppError> {
    Ok(BankPage {
        chrome,
        company_id: company.id,
        company_name: company.name.clone(),
        standing: BankLines::load(state, company.id, scoped.scope.is_admin_of(company.id)).await?,
        delay_hours: state.config.bank_change_delay.num_hours(),
        iban: form.iban.trim().to_owned(),
        holder_name: form.holder_name.trim().to_owned(),
        errors,
    })
}

/// `GET /entreprises/{id}/banque`
pub async fn bank_form(
    State(state): State<AppState>,
    chrome: Chrome,
    scoped: Filer,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    policy::require_bank_details(&scoped.scope, id)?;
    let company = reached(&state, &scoped, id).await?;
    let page = bank_page(&state, chrome, &scoped, &company, &BankForm::default(), FormErrors::new()).await?;
    Ok(render::page(&page)?.into_response())
}

/// `POST /entreprises/{id}/banque`: needs the person's password; the new account takes effect
/// after the waiting period (SPEC Q3), and every administrator and the advisor are told at once.
pub async fn bank(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    scoped: Filer,
    Path(id): Path<i64>,
    Form(form): Form<BankForm>,
) -> Result<Response, AppError> {
    policy::require_bank_details(&scoped.scope, id)?;
    let company = reached(&state, &scoped, id).await?;
    let account = &scoped.user.account;
    let mut errors = FormErrors::new();
    let iban = errors.check("iban", Iban::parse(&form.iban));
    let holder = form.holder_name.trim();
    if holder.is_empty() {
        errors.add("holder_name", "Saisissez le nom du titulaire du compte, exactement comme sur le RIB.");
    } else if holder.chars().count() > 70 {
        errors
            .add("holder_name", "Le nom du titulaire doit contenir au plus 70 caractères (limite des virements SEPA).");
    }
    if form.password.is_empty() {
        errors.add("password", "Saisissez votre mot de passe pour confirmer ce changement.");
    } else {
        if let Err(err) = check_throttle(&state, &account.email, &client.ip, None, account.password_changed_at).await {
            errors.add("password", err.to_string());
            let page = bank_page(&state, chrome, &scoped, &company, &form, errors).await?;
            return render::page_with_status(StatusCode::TOO_MANY_REQUESTS, &page);
        }
        let digest = store::account::password_hash(&state.db, account.id).await?;
        if !crypto::verify(Password::new(form.password.clone()), digest).await? {
            let attempt = store::login_attempt::Attempt {
                email: account.email.as_str(),
                ip: &client.ip,
                device_id: None,
                succeeded: false,
            };
            store::login_attempt::record(&state.db, attempt, state.now()).await?;
            errors.add("password", "Mot de passe incorrect.");
        }
    }
    let (Some(iban), true) = (iban, errors.is_empty()) else {
        let page = bank_page(&state, chrome, &scoped, &company, &form, errors).await?;
        return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    // One change at a time per company, on PostgreSQL too: the later one supersedes the other.
    store::company::lock(&txn, id).await?;
    let current = store::company::bank_standing(&txn, id, now).await?.current.map(|c| c.account);
    let awaiting = store::invoice::awaiting_payment(&txn, id).await?;
    let effective_at = domain::bank::takes_effect(now, state.config.bank_change_delay, current.is_some(), awaiting);
    let bank_id = store::company::register_bank_account(&txn, id, &iban, holder, account.id, now, effective_at).await?;
    let immediate = effective_at <= now;
    if !immediate {
        // Recorded as in force, and audited, by the worker at its date (a run before then reads
        // the dates anyway).
        store::job::enqueue(
            &txn,
            store::company::BANK_CHANGE_JOB,
            &bank_id.to_string(),
            &serde_json::json!({}),
            effective_at,
        )
        .await?;
    }
    let entry = store::audit::Entry {
        actor: &scoped.user.actor(),
        action: if immediate { "company.bank_account_changed" } else { "company.bank_change_requested" },
        subject: Some(("company", id.to_string())),
        origin: &client.origin(),
        detail: Some(serde_json::json!({
            "bank_account": bank_id,
            "iban": iban.masked(),
            "effective_at": effective_at.to_rfc3339(),
        })),
    };
    store::audit::record(&txn, entry, now).await?;
    let registered = store::company::BankAccount {
        id: bank_id,
        iban,
        holder_name: holder.to_owned(),
        created_at: now,
        created_by: Some(account.id),
        effective_at,
    };
    let change = alerts::BankChange {
        company: &company,
        by: account,
        account: &registered,
        current: current.as_ref(),
        immediate,
    };
    alerts::bank_change_requested(&txn, &state, &change, now).await?;
    txn.commit().await?;
    let notice = if immediate { "banque" } else { "banque-en-attente" };
    Ok(Redirect::to(&format!("/entreprises/{id}?notice={notice}")).into_response())
}

/// `POST /entreprises/{id}/banque/changements/{change}/annuler`: any administrator of the company
/// cancels a change of bank details before it takes effect (SPEC Q3); staff cannot (Q1).
pub async fn cancel_bank_change(
    State(state): State<AppState>,
    client: Client,
    scoped: Filer,
    Path((id, change)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    policy::require_admin(&scoped.scope, id)?;
    let company = reached(&state, &scoped, id).await?;
    let account = &scoped.user.account;
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    store::company::lock(&txn, id).await?;
    let Some(cancelled) = store::company::cancel_bank_change(&txn, id, change, account.id, now).await? else {
        txn.rollback().await?;
        return Err(AppError::Http {
            status: StatusCode::CONFLICT,
            code: "bank_change_not_pending",
            message: "Ce changement de coordonnées bancaires n’est plus en attente : il a déjà été annulé ou \
                      remplacé, ou il est entré en vigueur. La page « Coordonnées bancaires » montre la situation à jour."
                .into(),
        });
    };
    let entry = store::audit::Entry {
        actor: &scoped.user.actor(),
        action: "company.bank_change_cancelled",
        subject: Some(("company", id.to_string())),
        origin: &client.origin(),
        detail: Some(serde_json::json!({ "bank_account": cancelled.id, "iban": cancelled.iban.masked() })),
    };
    store::audit::record(&txn, entry, now).await?;
    alerts::bank_change_cancelled(&txn, &state, &company, &cancelled, account, now).await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/entreprises/{id}/banque?notice=banque-annulee")).into_response())
}
