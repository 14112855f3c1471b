//! A company's contacts at the operator (SPEC I2): advisor, case manager, POEC referent.

use chrono::{DateTime, Utc};
use domain::Role;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use crate::account::Account;
use crate::entity::{app_user, company_contact};

/// Who a company talks to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contacts {
    /// Its advisor (*conseiller*).
    pub advisor: Option<Account>,
    /// Its case manager (*gestionnaire*).
    pub case_manager: Option<Account>,
    /// Its POEC referent: a name and how to reach them, as staff wrote it.
    pub poec_referent: Option<String>,
}

impl Contacts {
    /// Whether nobody is assigned yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.advisor.is_none() && self.case_manager.is_none() && self.poec_referent.is_none()
    }
}

/// The contacts of a company.
///
/// # Errors
/// The driver's error.
pub async fn get(conn: &impl ConnectionTrait, company_id: i64) -> Result<Contacts, DbErr> {
    let Some(row) =
        company_contact::Entity::find().filter(company_contact::Column::CompanyId.eq(company_id)).one(conn).await?
    else {
        return Ok(Contacts::default());
    };
    let account = async |id: Option<i64>| match id {
        Some(id) => crate::account::get(conn, id).await,
        None => Ok(None),
    };
    Ok(Contacts {
        advisor: account(row.advisor_id).await?,
        case_manager: account(row.case_manager_id).await?,
        poec_referent: row.poec_referent,
    })
}

/// Assigns a company's contacts (replacing the previous ones).
///
/// # Errors
/// The driver's error.
pub async fn set(
    conn: &impl ConnectionTrait,
    company_id: i64,
    advisor_id: Option<i64>,
    case_manager_id: Option<i64>,
    poec_referent: Option<String>,
    by: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let existing =
        company_contact::Entity::find().filter(company_contact::Column::CompanyId.eq(company_id)).one(conn).await?;
    let mut row: company_contact::ActiveModel = match existing {
        Some(row) => row.into(),
        None => company_contact::ActiveModel { company_id: Set(company_id), ..Default::default() },
    };
    row.advisor_id = Set(advisor_id);
    row.case_manager_id = Set(case_manager_id);
    row.poec_referent = Set(poec_referent);
    row.updated_by = Set(Some(by));
    row.updated_at = Set(now);
    row.save(conn).await?;
    Ok(())
}

/// Active staff accounts of some roles, by name, to choose contacts from.
///
/// # Errors
/// The driver's error.
pub async fn staff(conn: &impl ConnectionTrait, roles: &[Role]) -> Result<Vec<Account>, DbErr> {
    let codes: Vec<&str> = roles.iter().map(|r| r.code()).collect();
    let ids: Vec<i64> = app_user::Entity::find()
        .filter(app_user::Column::Role.is_in(codes))
        .filter(app_user::Column::DisabledAt.is_null())
        .order_by_asc(app_user::Column::FamilyName)
        .order_by_asc(app_user::Column::GivenName)
        .all(conn)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(account) = crate::account::get(conn, id).await? {
            out.push(account);
        }
    }
    Ok(out)
}
