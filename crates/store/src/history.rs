//! The history of legacy dossiers (SPEC D7, M2, M3): read-only rows imported in bulk.
//!
//! Imports write multi-row statements (hundreds of rows each) in large transactions: one
//! statement per row would take tens of seconds for a million rows.

use chrono::{DateTime, NaiveDate, Utc};
use domain::Money;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::entity::legacy_dossier::{ActiveModel, Column, Entity, Model};

/// A legacy dossier row.
pub type LegacyDossier = Model;

/// A legacy dossier, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyDossierInput {
    /// Legacy number (unique).
    pub number: String,
    /// Company.
    pub company_id: i64,
    /// Establishment, when known to the portal.
    pub establishment_id: Option<i64>,
    /// Establishment SIRET as exported.
    pub siret: String,
    /// Scheme code.
    pub scheme: String,
    /// `AKTO` or `FPETT`.
    pub payer: String,
    /// Title.
    pub title: String,
    /// Provider SIRET (may be empty).
    pub provider_siret: String,
    /// Training start.
    pub training_start: Option<NaiveDate>,
    /// Training end.
    pub training_end: Option<NaiveDate>,
    /// Trainees.
    pub trainees: i64,
    /// Committed.
    pub committed: Money,
    /// Paid.
    pub paid: Money,
    /// Closed.
    pub closed: bool,
    /// Last movement.
    pub last_movement_on: NaiveDate,
}

/// Rows per statement: well under SQLite's 32 766 bound variables (16 columns each).
pub const ROWS_PER_STATEMENT: usize = 500;

/// Writes a batch: new numbers are inserted, changed ones updated, identical ones left alone.
/// Returns how many rows were written (inserted or updated).
///
/// # Errors
/// The driver's error.
pub async fn upsert(
    conn: &impl ConnectionTrait,
    rows: &[LegacyDossierInput],
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut written = 0;
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let models = chunk.iter().map(|r| ActiveModel {
            number: Set(r.number.clone()),
            company_id: Set(r.company_id),
            establishment_id: Set(r.establishment_id),
            siret: Set(r.siret.clone()),
            scheme: Set(r.scheme.clone()),
            payer: Set(r.payer.clone()),
            title: Set(r.title.clone()),
            provider_siret: Set(r.provider_siret.clone()),
            training_start: Set(r.training_start),
            training_end: Set(r.training_end),
            trainees: Set(r.trainees),
            committed_cents: Set(r.committed.cents()),
            paid_cents: Set(r.paid.cents()),
            closed: Set(r.closed),
            last_movement_on: Set(r.last_movement_on),
            imported_at: Set(now),
            ..Default::default()
        });
        let updated = [
            Column::CompanyId,
            Column::EstablishmentId,
            Column::Siret,
            Column::Scheme,
            Column::Payer,
            Column::Title,
            Column::ProviderSiret,
            Column::TrainingStart,
            Column::TrainingEnd,
            Column::Trainees,
            Column::CommittedCents,
            Column::PaidCents,
            Column::Closed,
            Column::LastMovementOn,
        ];
        // Only rows whose content differs are rewritten, so a second import reports them
        // unchanged and touches nothing.
        let differs = updated
            .iter()
            .map(|c| {
                let name = sea_orm::sea_query::Iden::to_string(c);
                format!("legacy_dossier.{name} IS DISTINCT FROM excluded.{name}")
            })
            .collect::<Vec<_>>()
            .join(" OR ");
        let differs = if conn.get_database_backend() == sea_orm::DbBackend::Sqlite {
            differs.replace("IS DISTINCT FROM", "IS NOT")
        } else {
            differs
        };
        let on_conflict = OnConflict::column(Column::Number)
            .update_columns(updated)
            .action_and_where(sea_orm::sea_query::Expr::cust(differs))
            .to_owned();
        written += Entity::insert_many(models).on_conflict(on_conflict).exec_without_returning(conn).await?;
    }
    Ok(written)
}

/// A company's legacy dossiers, most recent movement first.
///
/// # Errors
/// The driver's error.
pub async fn for_company(
    conn: &impl ConnectionTrait,
    company_id: i64,
    establishments: Option<&[i64]>,
) -> Result<Vec<LegacyDossier>, DbErr> {
    let mut query = Entity::find().filter(Column::CompanyId.eq(company_id));
    if let Some(ids) = establishments {
        query = query.filter(Column::EstablishmentId.is_in(ids.iter().copied()));
    }
    query.order_by_desc(Column::LastMovementOn).order_by_asc(Column::Number).all(conn).await
}
