//! Proforma invoices (SPEC F3–F7): issued from validated DR, frozen when issued, each DR on one
//! proforma at most (a unique key on the line's DR makes a second one impossible, even from two
//! requests at once).

use chrono::{DateTime, Utc};
use domain::Money;
use domain::habilitation::Domain;
use domain::reimbursement::DrStatus;
use domain::scope::Scope;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use crate::dossier::Dossier;
use crate::entity::{dossier, proforma, proforma_line, reimbursement};
use crate::reimbursement::Reimbursement;

/// A proforma row.
pub type Proforma = proforma::Model;

/// A validated DR with its dossier, as offered for a proforma or printed on one.
#[derive(Debug, Clone)]
pub struct Item {
    /// The DR.
    pub reimbursement: Reimbursement,
    /// Its dossier.
    pub dossier: Dossier,
    /// The proforma it is on, if any.
    pub proforma_id: Option<i64>,
}

impl Item {
    /// The amount invoiced: what was validated.
    #[must_use]
    pub fn amount(&self) -> Money {
        Money::from_cents(self.reimbursement.validated_cents.unwrap_or(0))
    }
}

/// Whether the scope may invoice on a dossier (staff may read everything).
fn invoices(scope: &Scope, dossier: &Dossier) -> bool {
    scope.is_staff() || scope.can(dossier.company_id, Some(dossier.establishment_id), Domain::Invoicing)
}

/// The validated DR of a company the scope may invoice, with their dossiers, oldest first.
///
/// # Errors
/// The driver's error.
pub async fn items(conn: &impl ConnectionTrait, scope: &Scope, company_id: i64) -> Result<Vec<Item>, DbErr> {
    if !scope.reaches_company(company_id) {
        return Ok(Vec::new());
    }
    let rows = reimbursement::Entity::find()
        .filter(reimbursement::Column::CompanyId.eq(company_id))
        .filter(reimbursement::Column::Status.eq(DrStatus::Validated.code()))
        .order_by_asc(reimbursement::Column::Id)
        .all(conn)
        .await?;
    let lines = proforma_line::Entity::find()
        .filter(proforma_line::Column::ReimbursementId.is_in(rows.iter().map(|r| r.id)))
        .all(conn)
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(dossier) = dossier::Entity::find_by_id(row.dossier_id).one(conn).await? else {
            continue;
        };
        if !invoices(scope, &dossier) {
            continue;
        }
        let proforma_id = lines.iter().find(|l| l.reimbursement_id == row.id).map(|l| l.proforma_id);
        items.push(Item { reimbursement: row, dossier, proforma_id });
    }
    Ok(items)
}

/// A proforma as issued.
#[derive(Debug, Clone)]
pub struct NewProforma<'a> {
    /// Company.
    pub company_id: i64,
    /// `AKTO` or `FPETT`.
    pub payer: &'a str,
    /// `permanent` or `temporary`.
    pub public: &'a str,
    /// One scheme, when asked.
    pub scheme: Option<&'a str>,
    /// The DR invoiced.
    pub items: &'a [&'a Item],
    /// Net, VAT, gross.
    pub amounts: domain::proforma::Amounts,
    /// Whether the company is subject to VAT.
    pub vat_subject: bool,
    /// The bank account to pay, frozen.
    pub bank: Option<(String, String)>,
    /// Who.
    pub issued_by: i64,
}

/// Issues a proforma numbered `PF-<year>-<id>`.
///
/// # Errors
/// The driver's error; a DR already on a proforma breaks the unique key and nothing is written.
pub async fn issue(
    conn: &impl ConnectionTrait,
    input: &NewProforma<'_>,
    now: DateTime<Utc>,
) -> Result<Proforma, DbErr> {
    let placeholder = format!("tmp-{}", crate::secret::random_u64().map_err(|e| DbErr::Custom(e.to_string()))?);
    let row = proforma::ActiveModel {
        number: Set(placeholder),
        company_id: Set(input.company_id),
        payer: Set(input.payer.to_owned()),
        public: Set(input.public.to_owned()),
        scheme: Set(input.scheme.map(str::to_owned)),
        net_cents: Set(input.amounts.net.cents()),
        vat_cents: Set(input.amounts.vat.cents()),
        gross_cents: Set(input.amounts.gross.cents()),
        vat_subject: Set(input.vat_subject),
        iban: Set(input.bank.as_ref().map(|(iban, _)| iban.clone())),
        account_holder: Set(input.bank.as_ref().map(|(_, holder)| holder.clone())),
        issued_by: Set(Some(input.issued_by)),
        issued_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let number = format!("PF-{}-{:06}", domain::clock::paris_day(now).format("%Y"), row.id);
    let mut active: proforma::ActiveModel = row.into();
    active.number = Set(number);
    let row = active.update(conn).await?;
    for item in input.items {
        proforma_line::ActiveModel {
            proforma_id: Set(row.id),
            reimbursement_id: Set(item.reimbursement.id),
            dossier_id: Set(item.dossier.id),
            amount_cents: Set(item.amount().cents()),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    Ok(row)
}

/// The DR and dossiers on a proforma, in order.
///
/// # Errors
/// The driver's error.
pub async fn lines(conn: &impl ConnectionTrait, proforma_id: i64) -> Result<Vec<Item>, DbErr> {
    let lines = proforma_line::Entity::find()
        .filter(proforma_line::Column::ProformaId.eq(proforma_id))
        .order_by_asc(proforma_line::Column::Id)
        .all(conn)
        .await?;
    let mut items = Vec::with_capacity(lines.len());
    for line in lines {
        let (Some(dr), Some(dossier)) = (
            reimbursement::Entity::find_by_id(line.reimbursement_id).one(conn).await?,
            dossier::Entity::find_by_id(line.dossier_id).one(conn).await?,
        ) else {
            continue;
        };
        items.push(Item { reimbursement: dr, dossier, proforma_id: Some(proforma_id) });
    }
    Ok(items)
}

/// A proforma the scope may read: staff, or a person who may invoice every dossier on it.
///
/// # Errors
/// The driver's error.
pub async fn get(conn: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Option<Proforma>, DbErr> {
    let Some(row) = proforma::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    if !scope.reaches_company(row.company_id) {
        return Ok(None);
    }
    let lines = lines(conn, row.id).await?;
    let reached = !lines.is_empty() && lines.iter().all(|item| invoices(scope, &item.dossier));
    Ok(reached.then_some(row))
}

/// A company's proformas the scope may read, newest first.
///
/// # Errors
/// The driver's error.
pub async fn list_for_company(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    company_id: i64,
) -> Result<Vec<Proforma>, DbErr> {
    if !scope.reaches_company(company_id) {
        return Ok(Vec::new());
    }
    let rows = proforma::Entity::find()
        .filter(proforma::Column::CompanyId.eq(company_id))
        .order_by_desc(proforma::Column::Id)
        .all(conn)
        .await?;
    let mut reached = Vec::with_capacity(rows.len());
    for row in rows {
        if get(conn, scope, row.id).await?.is_some() {
            reached.push(row);
        }
    }
    Ok(reached)
}

/// Every proforma, newest first (operator's command line).
///
/// # Errors
/// The driver's error.
pub async fn all(conn: &impl ConnectionTrait) -> Result<Vec<Proforma>, DbErr> {
    proforma::Entity::find().order_by_desc(proforma::Column::Id).all(conn).await
}

/// The proforma with this number (operator's command line).
///
/// # Errors
/// The driver's error.
pub async fn by_number(conn: &impl ConnectionTrait, number: &str) -> Result<Option<Proforma>, DbErr> {
    proforma::Entity::find().filter(proforma::Column::Number.eq(number.trim())).one(conn).await
}

/// A proforma by id, whoever asks (the back-office's queues; callers check the staff role).
///
/// # Errors
/// The driver's error.
pub async fn get_unscoped(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Proforma>, DbErr> {
    proforma::Entity::find_by_id(id).one(conn).await
}
