//! Legacy accounts (SPEC A2, M1): rows imported from the old portal, applied to a person's
//! account when it exists and its address is verified.

use chrono::{DateTime, Utc};
use domain::habilitation::Domain;
use domain::{Email, Siren, Siret};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use crate::attachment::{self, Source};
use crate::entity::{company, establishment, legacy_account};

/// One legacy (user, attachment) row, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyAccount {
    /// The person's address.
    pub email: Email,
    /// Last name.
    pub family_name: String,
    /// First name.
    pub given_name: String,
    /// The company.
    pub siren: Siren,
    /// The establishment; `None` for the whole company.
    pub siret: Option<Siret>,
    /// Administrator of the company.
    pub is_admin: bool,
    /// Habilitations.
    pub domains: Vec<Domain>,
}

/// What storing a row did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// A new row.
    Inserted,
    /// The same row was there already.
    Unchanged,
    /// The row was there with other values, now replaced.
    Updated,
}

fn domains_text(domains: &[Domain]) -> String {
    let mut codes: Vec<&str> = domains.iter().map(|d| d.code()).collect();
    codes.sort_unstable();
    codes.dedup();
    codes.join("|")
}

/// Stores a legacy row, keyed by (address, SIREN, SIRET): importing the same file twice changes
/// nothing.
///
/// # Errors
/// The driver's error.
pub async fn store(conn: &impl ConnectionTrait, row: &LegacyAccount, now: DateTime<Utc>) -> Result<Stored, DbErr> {
    let siret = row.siret.as_ref().map_or("", Siret::as_str);
    let domains = domains_text(&row.domains);
    let existing = legacy_account::Entity::find()
        .filter(legacy_account::Column::Email.eq(row.email.as_str()))
        .filter(legacy_account::Column::Siren.eq(row.siren.as_str()))
        .filter(legacy_account::Column::Siret.eq(siret))
        .one(conn)
        .await?;
    match existing {
        Some(old)
            if old.is_admin == row.is_admin
                && old.domains == domains
                && old.family_name == row.family_name
                && old.given_name == row.given_name =>
        {
            Ok(Stored::Unchanged)
        }
        Some(old) => {
            let mut active: legacy_account::ActiveModel = old.into();
            active.family_name = Set(row.family_name.clone());
            active.given_name = Set(row.given_name.clone());
            active.is_admin = Set(row.is_admin);
            active.domains = Set(domains);
            // Changed rights are applied again (grants only add).
            active.applied_at = Set(None);
            active.update(conn).await?;
            Ok(Stored::Updated)
        }
        None => {
            legacy_account::ActiveModel {
                email: Set(row.email.as_str().to_owned()),
                family_name: Set(row.family_name.clone()),
                given_name: Set(row.given_name.clone()),
                siren: Set(row.siren.as_str().to_owned()),
                siret: Set(siret.to_owned()),
                is_admin: Set(row.is_admin),
                domains: Set(domains),
                imported_at: Set(now),
                applied_at: Set(None),
                ..Default::default()
            }
            .insert(conn)
            .await?;
            Ok(Stored::Inserted)
        }
    }
}

/// The names the legacy portal knew for an address, to pre-fill registration.
///
/// # Errors
/// The driver's error.
pub async fn known_names(conn: &impl ConnectionTrait, email: &Email) -> Result<Option<(String, String)>, DbErr> {
    Ok(legacy_account::Entity::find()
        .filter(legacy_account::Column::Email.eq(email.as_str()))
        .one(conn)
        .await?
        .map(|r| (r.given_name, r.family_name)))
}

/// Applies the legacy rows of an address to the account `user_id`: approved attachments,
/// habilitations and administrator roles. Returns how many rows were applied.
///
/// # Errors
/// The driver's error.
pub async fn apply(
    conn: &impl ConnectionTrait,
    user_id: i64,
    email: &Email,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let rows = legacy_account::Entity::find()
        .filter(legacy_account::Column::Email.eq(email.as_str()))
        .filter(legacy_account::Column::AppliedAt.is_null())
        .order_by_asc(legacy_account::Column::Id)
        .all(conn)
        .await?;
    let mut applied = 0;
    for row in rows {
        let Some(company) = company::Entity::find().filter(company::Column::Siren.eq(&row.siren)).one(conn).await?
        else {
            continue;
        };
        let establishment_id = if row.siret.is_empty() {
            None
        } else {
            match establishment::Entity::find().filter(establishment::Column::Siret.eq(&row.siret)).one(conn).await? {
                Some(e) if e.company_id == company.id => Some(e.id),
                _ => continue,
            }
        };
        let domains = row
            .domains
            .split('|')
            .filter(|c| !c.is_empty())
            .map(Domain::from_code)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| DbErr::Type(e.to_string()))?;
        attachment::grant(
            conn,
            user_id,
            company.id,
            establishment_id,
            row.is_admin,
            &domains,
            Source::Legacy,
            None,
            now,
        )
        .await?;
        let mut active: legacy_account::ActiveModel = row.into();
        active.applied_at = Set(Some(now));
        active.update(conn).await?;
        applied += 1;
    }
    Ok(applied)
}
