//! Companies (SIREN), their establishments (SIRET) and bank accounts.
//!
//! Company data is read through functions that take the caller's [`Scope`]: a company user sees
//! only the companies and establishments their approved attachments open; staff see all.

use chrono::{DateTime, Utc};
use domain::{Iban, Siren, Siret};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use sea_orm::ExprTrait as _;
use sea_orm::sea_query::{Expr, Func};

use crate::db::is_unique_violation;
use crate::entity::{bank_account, company, establishment};
use domain::scope::Scope;

/// A postal address as letters need it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    /// Number and street.
    pub street: String,
    /// Building, floor, P.O. box…
    pub complement: Option<String>,
    /// Five-digit French postal code.
    pub postal_code: String,
    /// Town, upper case on envelopes.
    pub city: String,
}

impl Address {
    /// The lines under the addressee's name, as La Poste expects them.
    #[must_use]
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(complement) = self.complement.as_deref().filter(|c| !c.trim().is_empty()) {
            lines.push(complement.to_owned());
        }
        if !self.street.trim().is_empty() {
            lines.push(self.street.clone());
        }
        let town = format!("{} {}", self.postal_code, self.city.to_uppercase()).trim().to_owned();
        if !town.is_empty() {
            lines.push(town);
        }
        lines
    }

    /// Whether a letter could reach it.
    #[must_use]
    pub fn is_complete(&self) -> bool {
        !self.street.trim().is_empty() && !self.postal_code.trim().is_empty() && !self.city.trim().is_empty()
    }
}

/// A company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    /// Id.
    pub id: i64,
    /// SIREN.
    pub siren: Siren,
    /// Legal name.
    pub name: String,
    /// Head-office postal address (where activation letters go).
    pub address: Address,
    /// Subject to VAT (invoices show HT/TVA/TTC) or not (net of tax).
    pub vat_subject: bool,
    /// Headcount, when known (decides PDC-50 eligibility).
    pub headcount: Option<i64>,
    /// Exchanged data electronically with the legacy system (set by the operator).
    pub edi: bool,
    /// Professional branch.
    pub branch: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

fn type_err(what: &str, err: impl std::fmt::Display) -> DbErr {
    DbErr::Type(format!("{what}: {err}"))
}

impl TryFrom<company::Model> for Company {
    type Error = DbErr;
    fn try_from(row: company::Model) -> Result<Self, DbErr> {
        Ok(Self {
            id: row.id,
            siren: Siren::parse(&row.siren).map_err(|e| type_err("company.siren", e))?,
            name: row.name,
            address: Address {
                street: row.street,
                complement: row.street_complement,
                postal_code: row.postal_code,
                city: row.city,
            },
            vat_subject: row.vat_subject,
            headcount: row.headcount,
            edi: row.edi,
            branch: row.branch,
            region: row.region,
            created_at: row.created_at,
        })
    }
}

/// An establishment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Establishment {
    /// Id.
    pub id: i64,
    /// Its company.
    pub company_id: i64,
    /// SIRET.
    pub siret: Siret,
    /// Name (often the town of the agency).
    pub name: String,
    /// Postal address.
    pub address: Address,
    /// The head office (*siège*).
    pub head_office: bool,
}

impl TryFrom<establishment::Model> for Establishment {
    type Error = DbErr;
    fn try_from(row: establishment::Model) -> Result<Self, DbErr> {
        Ok(Self {
            id: row.id,
            company_id: row.company_id,
            siret: Siret::parse(&row.siret).map_err(|e| type_err("establishment.siret", e))?,
            name: row.name,
            address: Address {
                street: row.street,
                complement: row.street_complement,
                postal_code: row.postal_code,
                city: row.city,
            },
            head_office: row.head_office,
        })
    }
}

/// What creating or updating a company needs.
#[derive(Debug, Clone)]
pub struct CompanyInput {
    /// SIREN.
    pub siren: Siren,
    /// Legal name.
    pub name: String,
    /// Head-office address.
    pub address: Address,
    /// Subject to VAT.
    pub vat_subject: bool,
    /// Headcount.
    pub headcount: Option<i64>,
    /// Branch.
    pub branch: Option<String>,
    /// Region.
    pub region: Option<String>,
}

/// Why a company or establishment could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// The SIREN or SIRET exists already.
    #[error("already exists")]
    Exists,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

fn map_create(err: DbErr) -> CreateError {
    if is_unique_violation(&err) { CreateError::Exists } else { CreateError::Db(err) }
}

/// Creates a company.
///
/// # Errors
/// [`CreateError::Exists`] when the SIREN is known.
pub async fn create(
    conn: &impl ConnectionTrait,
    input: CompanyInput,
    now: DateTime<Utc>,
) -> Result<Company, CreateError> {
    let row = company::ActiveModel {
        siren: Set(input.siren.as_str().to_owned()),
        name: Set(input.name),
        street: Set(input.address.street),
        street_complement: Set(input.address.complement),
        postal_code: Set(input.address.postal_code),
        city: Set(input.address.city),
        vat_subject: Set(input.vat_subject),
        headcount: Set(input.headcount),
        edi: Set(false),
        branch: Set(input.branch),
        region: Set(input.region),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(map_create)?;
    Ok(Company::try_from(row)?)
}

/// Updates a company's profile (not its SIREN nor its EDI flag).
///
/// # Errors
/// The driver's error.
pub async fn update_profile(
    conn: &impl ConnectionTrait,
    id: i64,
    input: CompanyInput,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    company::ActiveModel {
        id: Set(id),
        name: Set(input.name),
        street: Set(input.address.street),
        street_complement: Set(input.address.complement),
        postal_code: Set(input.address.postal_code),
        city: Set(input.address.city),
        vat_subject: Set(input.vat_subject),
        headcount: Set(input.headcount),
        branch: Set(input.branch),
        region: Set(input.region),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(conn)
    .await?;
    Ok(())
}

/// Sets the EDI flag (operator staff only).
///
/// # Errors
/// The driver's error.
pub async fn set_edi(conn: &impl ConnectionTrait, id: i64, edi: bool, now: DateTime<Utc>) -> Result<(), DbErr> {
    company::ActiveModel { id: Set(id), edi: Set(edi), updated_at: Set(now), ..Default::default() }
        .update(conn)
        .await?;
    Ok(())
}

/// The company with this SIREN, whoever asks (attachment requests name companies by SIREN; the
/// answer only says whether it exists).
///
/// # Errors
/// The driver's error.
pub async fn find_by_siren(conn: &impl ConnectionTrait, siren: &Siren) -> Result<Option<Company>, DbErr> {
    company::Entity::find()
        .filter(company::Column::Siren.eq(siren.as_str()))
        .one(conn)
        .await?
        .map(Company::try_from)
        .transpose()
}

/// The company `id` if the scope reaches it (any approved attachment to it, or staff).
///
/// # Errors
/// The driver's error.
pub async fn get(conn: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Option<Company>, DbErr> {
    if !scope.reaches_company(id) {
        return Ok(None);
    }
    company::Entity::find_by_id(id).one(conn).await?.map(Company::try_from).transpose()
}

/// The companies the scope reaches, by name.
///
/// # Errors
/// The driver's error.
pub async fn list(conn: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<Company>, DbErr> {
    let mut query = company::Entity::find().order_by_asc(company::Column::Name);
    if !scope.is_staff() {
        query = query.filter(company::Column::Id.is_in(scope.company_ids()));
    }
    query.all(conn).await?.into_iter().map(Company::try_from).collect()
}

/// Staff search by SIREN, SIRET digits or name; one page, and the total.
///
/// # Errors
/// The driver's error.
pub async fn search(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    text: &str,
    page: u64,
    per_page: u64,
) -> Result<(Vec<Company>, u64), DbErr> {
    if !scope.is_staff() {
        return Ok((Vec::new(), 0));
    }
    let text = text.trim();
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let mut query = company::Entity::find();
    if !text.is_empty() {
        // Case-insensitive on both backends (PostgreSQL's LIKE is case-sensitive).
        let pattern = format!("%{}%", text.to_lowercase().replace(['%', '_'], ""));
        let name = Expr::expr(Func::lower(Expr::col((company::Entity, company::Column::Name)))).like(pattern);
        let mut condition = Condition::any().add(name);
        if digits.len() >= 3 && digits.len() == text.chars().filter(|c| !c.is_whitespace()).count() {
            condition = condition
                .add(company::Column::Siren.starts_with(digits.get(..Ord::min(9, digits.len())).unwrap_or("")));
        }
        query = query.filter(condition);
    }
    let total = query.clone().count(conn).await?;
    let rows = query
        .order_by_asc(company::Column::Name)
        .offset(page.saturating_sub(1).saturating_mul(per_page))
        .limit(per_page)
        .all(conn)
        .await?;
    Ok((rows.into_iter().map(Company::try_from).collect::<Result<_, _>>()?, total))
}

/// What creating an establishment needs.
#[derive(Debug, Clone)]
pub struct EstablishmentInput {
    /// SIRET (its SIREN must be the company's).
    pub siret: Siret,
    /// Name.
    pub name: String,
    /// Address.
    pub address: Address,
    /// Head office.
    pub head_office: bool,
}

/// Creates an establishment of a company.
///
/// # Errors
/// [`CreateError::Exists`] when the SIRET is known.
pub async fn create_establishment(
    conn: &impl ConnectionTrait,
    company_id: i64,
    input: EstablishmentInput,
    now: DateTime<Utc>,
) -> Result<Establishment, CreateError> {
    let row = establishment::ActiveModel {
        company_id: Set(company_id),
        siret: Set(input.siret.as_str().to_owned()),
        name: Set(input.name),
        street: Set(input.address.street),
        street_complement: Set(input.address.complement),
        postal_code: Set(input.address.postal_code),
        city: Set(input.address.city),
        head_office: Set(input.head_office),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(map_create)?;
    Ok(Establishment::try_from(row)?)
}

/// The establishment with this SIRET, whoever asks (requests name establishments by SIRET).
///
/// # Errors
/// The driver's error.
pub async fn find_establishment_by_siret(
    conn: &impl ConnectionTrait,
    siret: &Siret,
) -> Result<Option<Establishment>, DbErr> {
    establishment::Entity::find()
        .filter(establishment::Column::Siret.eq(siret.as_str()))
        .one(conn)
        .await?
        .map(Establishment::try_from)
        .transpose()
}

/// The establishments of a company the scope reaches: all of them with a company-wide
/// attachment (or staff), otherwise only those attached.
///
/// # Errors
/// The driver's error.
pub async fn establishments(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    company_id: i64,
) -> Result<Vec<Establishment>, DbErr> {
    if !scope.reaches_company(company_id) {
        return Ok(Vec::new());
    }
    let mut query = establishment::Entity::find()
        .filter(establishment::Column::CompanyId.eq(company_id))
        .order_by_desc(establishment::Column::HeadOffice)
        .order_by_asc(establishment::Column::Name);
    if let Some(ids) = scope.establishment_ids(company_id) {
        query = query.filter(establishment::Column::Id.is_in(ids));
    }
    query.all(conn).await?.into_iter().map(Establishment::try_from).collect()
}

/// Every establishment of a company, for its administrators and staff deciding on requests.
///
/// # Errors
/// The driver's error.
pub async fn all_establishments(conn: &impl ConnectionTrait, company_id: i64) -> Result<Vec<Establishment>, DbErr> {
    establishment::Entity::find()
        .filter(establishment::Column::CompanyId.eq(company_id))
        .order_by_desc(establishment::Column::HeadOffice)
        .order_by_asc(establishment::Column::Name)
        .all(conn)
        .await?
        .into_iter()
        .map(Establishment::try_from)
        .collect()
}

/// A company's bank account for payments, in force or waiting for its date (SPEC Q3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankAccount {
    /// Id.
    pub id: i64,
    /// IBAN.
    pub iban: Iban,
    /// The account holder's exact name (checked by the bank before paying).
    pub holder_name: String,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// Who asked for it.
    pub created_by: Option<i64>,
    /// When it takes (or took) effect.
    pub effective_at: DateTime<Utc>,
}

/// A company's accounts at an instant: the one in force and the change waiting for its date.
pub type BankStanding = domain::bank::Standing<BankAccount>;

/// The kind of the job that records a bank account change once it is in force (key: the
/// account's id, due at its date).
pub const BANK_CHANGE_JOB: &str = "bank.change";

impl TryFrom<bank_account::Model> for BankAccount {
    type Error = DbErr;

    fn try_from(row: bank_account::Model) -> Result<Self, DbErr> {
        Ok(Self {
            id: row.id,
            iban: Iban::parse(&row.iban).map_err(|e| type_err("bank_account.iban", e))?,
            holder_name: row.holder_name,
            created_at: row.created_at,
            created_by: row.created_by,
            // Accounts registered before waiting periods existed took effect when created.
            effective_at: row.effective_at.unwrap_or(row.created_at),
        })
    }
}

/// The accounts of some companies that may be in force or pending at `at`: not cancelled, not
/// retired by then.
async fn live_accounts(
    conn: &impl ConnectionTrait,
    company_ids: &[i64],
    at: DateTime<Utc>,
) -> Result<Vec<bank_account::Model>, DbErr> {
    let mut rows = Vec::new();
    for chunk in company_ids.chunks(500) {
        rows.extend(
            bank_account::Entity::find()
                .filter(bank_account::Column::CompanyId.is_in(chunk.iter().copied()))
                .filter(bank_account::Column::CancelledAt.is_null())
                .filter(
                    Condition::any()
                        .add(bank_account::Column::RetiredAt.is_null())
                        .add(bank_account::Column::RetiredAt.gt(at)),
                )
                .order_by_asc(bank_account::Column::Id)
                .all(conn)
                .await?,
        );
    }
    Ok(rows)
}

/// The company's account in force at `at` and the change still waiting then.
///
/// # Errors
/// The driver's error.
pub async fn bank_standing(
    conn: &impl ConnectionTrait,
    company_id: i64,
    at: DateTime<Utc>,
) -> Result<BankStanding, DbErr> {
    Ok(bank_standings(conn, &[company_id], at).await?.remove(&company_id).unwrap_or_default())
}

/// The standing of some companies' accounts at `at`, by company (companies without any account
/// are left out), read a few hundred at a time.
///
/// # Errors
/// The driver's error.
pub async fn bank_standings(
    conn: &impl ConnectionTrait,
    company_ids: &[i64],
    at: DateTime<Utc>,
) -> Result<std::collections::HashMap<i64, BankStanding>, DbErr> {
    let mut by_company: std::collections::HashMap<i64, Vec<domain::bank::Registered<BankAccount>>> =
        std::collections::HashMap::new();
    for row in live_accounts(conn, company_ids, at).await? {
        let company = row.company_id;
        let account = BankAccount::try_from(row)?;
        by_company.entry(company).or_default().push(domain::bank::Registered {
            id: account.id,
            effective_at: account.effective_at,
            account,
        });
    }
    Ok(by_company.into_iter().map(|(company, accounts)| (company, domain::bank::standing(accounts, at))).collect())
}

/// The company's account in force at `at`.
///
/// # Errors
/// The driver's error.
pub async fn bank_account(
    conn: &impl ConnectionTrait,
    company_id: i64,
    at: DateTime<Utc>,
) -> Result<Option<BankAccount>, DbErr> {
    Ok(bank_standing(conn, company_id, at).await?.current.map(|r| r.account))
}

/// Registers a new account for the company, taking effect at `effective_at` (SPEC Q3); a change
/// still waiting for its date is superseded (cancelled by the new one). An account in force at
/// once retires the previous one, kept for the record. Returns the new account's id.
///
/// # Errors
/// The driver's error.
pub async fn register_bank_account(
    conn: &impl ConnectionTrait,
    company_id: i64,
    iban: &Iban,
    holder_name: &str,
    by: i64,
    now: DateTime<Utc>,
    effective_at: DateTime<Utc>,
) -> Result<i64, DbErr> {
    bank_account::Entity::update_many()
        .col_expr(bank_account::Column::CancelledAt, now.into())
        .col_expr(bank_account::Column::CancelledBy, by.into())
        .filter(bank_account::Column::CompanyId.eq(company_id))
        .filter(bank_account::Column::CancelledAt.is_null())
        .filter(bank_account::Column::EffectiveAt.gt(now))
        .exec(conn)
        .await?;
    let in_force = effective_at <= now;
    let row = bank_account::ActiveModel {
        company_id: Set(company_id),
        iban: Set(iban.as_str().to_owned()),
        holder_name: Set(holder_name.to_owned()),
        created_at: Set(now),
        created_by: Set(Some(by)),
        retired_at: Set(None),
        effective_at: Set(Some(effective_at)),
        applied_at: Set(in_force.then_some(now)),
        cancelled_at: Set(None),
        cancelled_by: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    if in_force {
        retire_before(conn, company_id, row.id, effective_at).await?;
    }
    Ok(row.id)
}

/// Registers an account in force at once (the demo, imports and tests; the portal's form goes
/// through [`register_bank_account`] with the waiting period).
///
/// # Errors
/// The driver's error.
pub async fn replace_bank_account(
    conn: &impl ConnectionTrait,
    company_id: i64,
    iban: &Iban,
    holder_name: &str,
    by: i64,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    register_bank_account(conn, company_id, iban, holder_name, by, now, now).await
}

/// Retires, as of `at`, the company's accounts in force before account `id`.
async fn retire_before(conn: &impl ConnectionTrait, company_id: i64, id: i64, at: DateTime<Utc>) -> Result<(), DbErr> {
    bank_account::Entity::update_many()
        .col_expr(bank_account::Column::RetiredAt, at.into())
        .filter(bank_account::Column::CompanyId.eq(company_id))
        .filter(bank_account::Column::Id.ne(id))
        .filter(bank_account::Column::RetiredAt.is_null())
        .filter(bank_account::Column::CancelledAt.is_null())
        .filter(bank_account::Column::EffectiveAt.lte(at))
        .exec(conn)
        .await?;
    Ok(())
}

/// Cancels the company's change `id` if it is still waiting for its date at `now`. Returns the
/// change cancelled, or `None` when there was nothing to cancel (already cancelled, superseded,
/// in force, or not the company's).
///
/// # Errors
/// The driver's error.
pub async fn cancel_bank_change(
    conn: &impl ConnectionTrait,
    company_id: i64,
    id: i64,
    by: i64,
    now: DateTime<Utc>,
) -> Result<Option<BankAccount>, DbErr> {
    let changed = bank_account::Entity::update_many()
        .col_expr(bank_account::Column::CancelledAt, now.into())
        .col_expr(bank_account::Column::CancelledBy, by.into())
        .filter(bank_account::Column::Id.eq(id))
        .filter(bank_account::Column::CompanyId.eq(company_id))
        .filter(bank_account::Column::CancelledAt.is_null())
        .filter(bank_account::Column::EffectiveAt.gt(now))
        .exec(conn)
        .await?;
    if changed.rows_affected != 1 {
        return Ok(None);
    }
    bank_account::Entity::find_by_id(id).one(conn).await?.map(BankAccount::try_from).transpose()
}

/// Records the changes in force by `now` that were not yet (the worker at their date, or a
/// payment run before it reads the accounts): the accounts they replace are retired as of their
/// date and each is written once in the audit journal. Which account is paid never depends on
/// this: it follows the dates (see [`bank_standing`]). Returns the companies and accounts applied.
///
/// # Errors
/// The driver's error.
pub async fn apply_due_bank_changes(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Vec<(i64, BankAccount)>, DbErr> {
    let due = bank_account::Entity::find()
        .filter(bank_account::Column::AppliedAt.is_null())
        .filter(bank_account::Column::CancelledAt.is_null())
        .filter(bank_account::Column::EffectiveAt.lte(now))
        .order_by_asc(bank_account::Column::EffectiveAt)
        .order_by_asc(bank_account::Column::Id)
        .all(conn)
        .await?;
    let mut applied = Vec::with_capacity(due.len());
    for row in due {
        // Another worker may have recorded it meanwhile: only the one that marks it audits it.
        let marked = bank_account::Entity::update_many()
            .col_expr(bank_account::Column::AppliedAt, now.into())
            .filter(bank_account::Column::Id.eq(row.id))
            .filter(bank_account::Column::AppliedAt.is_null())
            .exec(conn)
            .await?;
        if marked.rows_affected != 1 {
            continue;
        }
        let company_id = row.company_id;
        let account = BankAccount::try_from(row)?;
        retire_before(conn, company_id, account.id, account.effective_at).await?;
        let entry = crate::audit::Entry {
            actor: &crate::audit::Actor::system("worker"),
            action: "company.bank_account_effective",
            subject: Some(("company", company_id.to_string())),
            origin: &crate::audit::Origin::default(),
            detail: Some(serde_json::json!({
                "bank_account": account.id,
                "iban": account.iban.masked(),
                "effective_at": account.effective_at.to_rfc3339(),
            })),
        };
        crate::audit::record(conn, entry, now).await?;
        applied.push((company_id, account));
    }
    Ok(applied)
}

/// The company by id, for staff and internal jobs only (letters, imports).
///
/// # Errors
/// The driver's error.
pub async fn get_unscoped(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Company>, DbErr> {
    company::Entity::find_by_id(id).one(conn).await?.map(Company::try_from).transpose()
}

/// The names of several companies in one statement, for staff lists that show a company on
/// each line (one query per line would grow with the page).
///
/// # Errors
/// The driver's error.
pub async fn names_unscoped(
    conn: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, String>, DbErr> {
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let rows: Vec<(i64, String)> = company::Entity::find()
        .select_only()
        .column(company::Column::Id)
        .column(company::Column::Name)
        .filter(company::Column::Id.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Locks the company's row until the transaction ends, so that changes that must see every other
/// change of the company (its last administrator) happen one at a time. SQLite's write
/// transactions are already serialised.
///
/// # Errors
/// The driver's error.
pub async fn lock(conn: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    crate::db::lock(conn, crate::db::Locked::Company, id).await
}

/// Updates an establishment's name, address and head-office flag (directory imports).
///
/// # Errors
/// The driver's error.
pub async fn update_establishment(
    conn: &impl ConnectionTrait,
    id: i64,
    name: &str,
    address: &Address,
    head_office: bool,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    establishment::ActiveModel {
        id: Set(id),
        name: Set(name.to_owned()),
        street: Set(address.street.clone()),
        street_complement: Set(address.complement.clone()),
        postal_code: Set(address.postal_code.clone()),
        city: Set(address.city.clone()),
        head_office: Set(head_office),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(conn)
    .await?;
    Ok(())
}

// --- The staff directory of companies (bounded list, SPEC Q5).

/// Filters of the staff directory, as advisors look for a company.
#[derive(Debug, Clone, Default)]
pub struct DirectoryFilter {
    /// Part of the name, or the start of a SIREN (a SIRET also finds its establishment's
    /// company).
    pub text: Option<String>,
    /// Part of the head office's town, or the start of its postal code.
    pub place: Option<String>,
    /// Only companies with (`Some(true)`) or without (`Some(false)`) an approved administrator.
    pub has_admin: Option<bool>,
    /// Only companies this advisor follows.
    pub advisor: Option<i64>,
}

/// The directory's order: by name, then id (two companies may share a name). The keyset resumes
/// after the name of the company the cursor names, read in the same statement, so the cursor
/// stays an id.
#[derive(Debug, Clone, Copy)]
pub struct ByName;

impl crate::listing::Keyset<company::Entity> for ByName {
    fn order(&self, query: sea_orm::Select<company::Entity>) -> sea_orm::Select<company::Entity> {
        query.order_by_asc(company::Column::Name).order_by_asc(company::Column::Id)
    }
    fn after(
        &self,
        query: sea_orm::Select<company::Entity>,
        cursor: crate::listing::Cursor,
    ) -> sea_orm::Select<company::Entity> {
        let name_of = || {
            Expr::from(
                sea_orm::sea_query::Query::select()
                    .column(company::Column::Name)
                    .from(company::Entity)
                    .and_where(company::Column::Id.eq(cursor.id))
                    .to_owned(),
            )
        };
        query.filter(
            Condition::any().add(Expr::col((company::Entity, company::Column::Name)).gt(name_of())).add(
                Condition::all()
                    .add(Expr::col((company::Entity, company::Column::Name)).eq(name_of()))
                    .add(company::Column::Id.gt(cursor.id)),
            ),
        )
    }
    fn cursor(&self, row: &company::Model) -> crate::listing::Cursor {
        crate::listing::Cursor::id(row.id)
    }
}

/// The directory's statement: `None` for a scope that is not staff's.
fn directory_query(scope: &Scope, filter: &DirectoryFilter) -> Option<sea_orm::Select<company::Entity>> {
    use crate::entity::{attachment, company_contact};
    use sea_orm::sea_query::Query;
    if !scope.is_staff() {
        return None;
    }
    let lower = |column: company::Column| Expr::expr(Func::lower(Expr::col((company::Entity, column))));
    let mut query = company::Entity::find();
    if let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        let pattern = text.to_lowercase().replace(['%', '_'], "");
        let mut condition = Condition::any();
        if !pattern.is_empty() {
            condition = condition.add(lower(company::Column::Name).like(format!("%{pattern}%")));
        }
        if digits.len() >= 3 && digits.len() == text.chars().filter(|c| !c.is_whitespace()).count() {
            condition = condition
                .add(company::Column::Siren.starts_with(digits.get(..Ord::min(9, digits.len())).unwrap_or("")));
            if digits.len() > 9 {
                // A SIRET (or its start): the company of a matching establishment.
                condition = condition.add(
                    company::Column::Id.in_subquery(
                        Query::select()
                            .column(establishment::Column::CompanyId)
                            .from(establishment::Entity)
                            .and_where(establishment::Column::Siret.starts_with(digits.as_str()))
                            .to_owned(),
                    ),
                );
            }
        }
        query = query.filter(if condition.is_empty() { Condition::all().add(Expr::value(false)) } else { condition });
    }
    if let Some(place) = filter.place.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = place.to_lowercase().replace(['%', '_'], "");
        query = query.filter(
            Condition::any()
                .add(lower(company::Column::City).like(format!("%{pattern}%")))
                .add(company::Column::PostalCode.starts_with(pattern.as_str())),
        );
    }
    if let Some(has_admin) = filter.has_admin {
        let admins = Query::select()
            .column(attachment::Column::CompanyId)
            .from(attachment::Entity)
            .and_where(attachment::Column::IsAdmin.eq(true))
            .and_where(attachment::Column::Status.eq(domain::habilitation::AttachmentStatus::Approved.code()))
            .to_owned();
        query = query.filter(if has_admin {
            company::Column::Id.in_subquery(admins)
        } else {
            company::Column::Id.not_in_subquery(admins)
        });
    }
    if let Some(advisor) = filter.advisor {
        query = query.filter(
            company::Column::Id.in_subquery(
                Query::select()
                    .column(company_contact::Column::CompanyId)
                    .from(company_contact::Entity)
                    .and_where(company_contact::Column::AdvisorId.eq(advisor))
                    .to_owned(),
            ),
        );
    }
    Some(query)
}

/// One window of the staff directory, by name, with the count (nothing outside staff).
///
/// # Errors
/// The driver's error.
pub async fn directory(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    filter: &DirectoryFilter,
    window: crate::listing::Window,
) -> Result<crate::listing::Listed<Company>, DbErr> {
    let Some(query) = directory_query(scope, filter) else {
        return Ok(crate::listing::Listed { rows: Vec::new(), total: 0, next: None });
    };
    let listed = crate::listing::window(conn, query, &ByName, window).await?;
    Ok(crate::listing::Listed {
        rows: listed.rows.into_iter().map(Company::try_from).collect::<Result<_, _>>()?,
        total: listed.total,
        next: listed.next,
    })
}

/// One export chunk of the staff directory (as [`directory`], without the count).
///
/// # Errors
/// The driver's error.
pub async fn directory_chunk(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    filter: &DirectoryFilter,
    after: Option<crate::listing::Cursor>,
) -> Result<(Vec<Company>, Option<crate::listing::Cursor>), DbErr> {
    let Some(query) = directory_query(scope, filter) else {
        return Ok((Vec::new(), None));
    };
    let (rows, next) = crate::listing::chunk(conn, query, &ByName, after, crate::listing::EXPORT_CHUNK).await?;
    Ok((rows.into_iter().map(Company::try_from).collect::<Result<_, _>>()?, next))
}

/// What the directory shows of several companies besides their row, one statement each: the
/// number of approved administrators, and the advisor's name.
///
/// # Errors
/// The driver's error.
pub async fn directory_extras(
    conn: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<(std::collections::HashMap<i64, i64>, std::collections::HashMap<i64, String>), DbErr> {
    use crate::entity::{app_user, attachment, company_contact};
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let admins: Vec<(i64, i64)> = attachment::Entity::find()
        .select_only()
        .column(attachment::Column::CompanyId)
        .column_as(Expr::col((attachment::Entity, attachment::Column::Id)).count(), "admins")
        .filter(attachment::Column::CompanyId.is_in(ids.iter().copied()))
        .filter(attachment::Column::IsAdmin.eq(true))
        .filter(attachment::Column::Status.eq(domain::habilitation::AttachmentStatus::Approved.code()))
        .group_by(attachment::Column::CompanyId)
        .into_tuple()
        .all(conn)
        .await?;
    let advisors: Vec<(i64, String, String)> = company_contact::Entity::find()
        .select_only()
        .column(company_contact::Column::CompanyId)
        .column(app_user::Column::GivenName)
        .column(app_user::Column::FamilyName)
        .join(
            sea_orm::JoinType::InnerJoin,
            company_contact::Entity::belongs_to(app_user::Entity)
                .from(company_contact::Column::AdvisorId)
                .to(app_user::Column::Id)
                .into(),
        )
        .filter(company_contact::Column::CompanyId.is_in(ids.iter().copied()))
        .into_tuple()
        .all(conn)
        .await?;
    Ok((
        admins.into_iter().collect(),
        advisors.into_iter().map(|(id, given, family)| (id, format!("{given} {family}").trim().to_owned())).collect(),
    ))
}
