//! The history of legacy dossiers (SPEC D7, M2, M3): read-only rows imported in bulk.
//!
//! Imports write multi-row statements (hundreds of rows each) in large transactions: one
//! statement per row would take tens of seconds for a million rows.

use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use domain::Money;
use domain::habilitation::Domain;
use domain::scope::Scope;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Select, Statement, Value,
};

use crate::entity::legacy_dossier::{ActiveModel, Column, Entity, Model};
use crate::listing::{self, Cursor, Keyset, Listed, Window};

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
    /// Scheme code (one of a fixed list).
    pub scheme: &'static str,
    /// `AKTO` or `FPETT`.
    pub payer: &'static str,
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

/// A row left out because its number is already a dossier of another company: a number names one
/// dossier, which an import never moves from a company to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherCompany {
    /// The dossier number.
    pub number: String,
    /// The SIREN of the company the dossier belongs to.
    pub siren: String,
}

/// What writing a batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Upserted {
    /// Rows inserted or updated.
    pub written: u64,
    /// Rows left out (see [`OtherCompany`]).
    pub other_company: Vec<OtherCompany>,
}

/// The statement finding, among `rows` (number, company) pairs, the numbers already held by
/// another company. Built from placeholders only.
fn other_company_sql(backend: sea_orm::DbBackend, rows: usize) -> String {
    if backend == sea_orm::DbBackend::Postgres {
        let values =
            (0..rows).map(|i| format!("(${}::text, ${}::bigint)", 2 * i + 1, 2 * i + 2)).collect::<Vec<_>>().join(",");
        format!(
            "SELECT d.number, c.siren FROM (VALUES {values}) AS v(number, company_id) \
             JOIN legacy_dossier d ON d.number = v.number AND d.company_id <> v.company_id \
             JOIN company c ON c.id = d.company_id"
        )
    } else {
        let values = vec!["(?, ?)"; rows].join(",");
        format!(
            "SELECT d.number, c.siren FROM (VALUES {values}) AS v \
             JOIN legacy_dossier d ON d.number = v.column1 AND d.company_id <> v.column2 \
             JOIN company c ON c.id = d.company_id"
        )
    }
}

/// The rows of `rows` whose number is a dossier of another company already.
async fn other_company(conn: &impl ConnectionTrait, rows: &[LegacyDossierInput]) -> Result<Vec<OtherCompany>, DbErr> {
    let backend = conn.get_database_backend();
    let values: Vec<Value> = rows.iter().flat_map(|r| [r.number.clone().into(), r.company_id.into()]).collect();
    let found = conn
        .query_all_raw(Statement::from_sql_and_values(backend, other_company_sql(backend, rows.len()), values))
        .await?;
    found
        .into_iter()
        .map(|row| Ok(OtherCompany { number: row.try_get("", "number")?, siren: row.try_get("", "siren")? }))
        .collect()
}

/// Writes a batch: new numbers are inserted, changed ones updated, identical ones left alone,
/// numbers of another company's dossiers left out (and returned).
///
/// # Errors
/// The driver's error.
pub async fn upsert(
    conn: &impl ConnectionTrait,
    rows: &[LegacyDossierInput],
    now: DateTime<Utc>,
) -> Result<Upserted, DbErr> {
    let mut done = Upserted::default();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let refused = other_company(conn, chunk).await?;
        let kept: Vec<&LegacyDossierInput> = if refused.is_empty() {
            chunk.iter().collect()
        } else {
            chunk.iter().filter(|r| !refused.iter().any(|o| o.number == r.number)).collect()
        };
        done.other_company.extend(refused);
        if kept.is_empty() {
            continue;
        }
        let models = kept.into_iter().map(|r| ActiveModel {
            number: Set(r.number.clone()),
            company_id: Set(r.company_id),
            establishment_id: Set(r.establishment_id),
            siret: Set(r.siret.clone()),
            scheme: Set(r.scheme.to_owned()),
            payer: Set(r.payer.to_owned()),
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
        // Never moved to another company, even by a row that went in between.
        let condition = format!("legacy_dossier.company_id = excluded.company_id AND ({differs})");
        let on_conflict = OnConflict::column(Column::Number)
            .update_columns(updated)
            .action_and_where(sea_orm::sea_query::Expr::cust(condition))
            .to_owned();
        done.written += Entity::insert_many(models).on_conflict(on_conflict).exec_without_returning(conn).await?;
    }
    Ok(done)
}

const COLUMNS: [&str; 16] = [
    "number",
    "company_id",
    "establishment_id",
    "siret",
    "scheme",
    "payer",
    "title",
    "provider_siret",
    "training_start",
    "training_end",
    "trainees",
    "committed_cents",
    "paid_cents",
    "closed",
    "last_movement_on",
    "imported_at",
];

/// Rows per SQLite statement: one statement's fixed cost (start, end, journal) is shared by many
/// rows, well under the 32 766 bound values SQLite allows.
const ROWS_PER_SQLITE_STATEMENT: usize = 64;

/// How a SQLite statement treats numbers already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnExisting {
    /// Leaves them (and any other failing row) out: the fast path of new rows, since a statement
    /// that cannot abort half-way needs no statement journal of the pages it touches.
    Skip,
    /// Updates a number only when its content changed and its company is the same, and fails
    /// loudly on anything else.
    Update,
}

/// The SQLite statement inserting `rows` rows. Built from the column names only, so no outside
/// text reaches it.
fn sqlite_statement(rows: usize, existing: OnExisting) -> String {
    let row = format!("({})", vec!["?"; COLUMNS.len()].join(","));
    let values = vec![row.as_str(); rows].join(",");
    let columns = COLUMNS.join(", ");
    if existing == OnExisting::Skip {
        return format!("INSERT OR IGNORE INTO legacy_dossier ({columns}) VALUES {values}");
    }
    let updated: Vec<&str> = COLUMNS.iter().copied().filter(|c| *c != "number" && *c != "imported_at").collect();
    let set = updated.iter().map(|c| format!("{c} = excluded.{c}")).collect::<Vec<_>>().join(", ");
    let differs =
        updated.iter().map(|c| format!("legacy_dossier.{c} IS NOT excluded.{c}")).collect::<Vec<_>>().join(" OR ");
    format!(
        "INSERT INTO legacy_dossier ({columns}) VALUES {values} ON CONFLICT(number) DO UPDATE SET {set} \
         WHERE legacy_dossier.company_id = excluded.company_id AND ({differs})"
    )
}

/// `YYYY-MM-DD`, as the async driver stores dates, without an allocation per date.
fn iso_date(date: NaiveDate, buf: &mut [u8; 10]) -> &str {
    use chrono::Datelike;
    let (y, m, d) = (date.year().clamp(0, 9999).unsigned_abs(), date.month(), date.day());
    let digits = [y / 1000, y / 100 % 10, y / 10 % 10, y % 10, 10, m / 10, m % 10, 10, d / 10, d % 10];
    for (slot, digit) in buf.iter_mut().zip(digits) {
        // Digits are below 10 by construction; 10 stands for the dash.
        *slot = if digit == 10 { b'-' } else { b'0' + u8::try_from(digit).unwrap_or(0) };
    }
    std::str::from_utf8(buf).unwrap_or("0000-00-00")
}

/// A connection of its own on the SQLite file, for imports: prepared statements bound value by
/// value run at SQLite's own speed, where the async driver pays a round trip and an allocation
/// per value. Same durability as the pool (full sync, busy timeout), so it queues behind the
/// portal's writers; the foreign key is checked by batch rather than by row (see `open`); kept for the whole import so that its page cache stays warm.
/// Blocking: use it off the async threads.
#[derive(Debug)]
pub struct SqliteBulkWriter {
    conn: rusqlite::Connection,
    /// The company index was dropped for a first load and must be built again.
    index_deferred: bool,
    /// The last chunk was all new rows: try the next one as plain inserts first.
    expect_new: bool,
}

/// The index of a company's history (as the migration creates it): built once at the end of a
/// first load, which is three times cheaper than keeping it up to date row by row.
const COMPANY_INDEX: &str =
    "CREATE INDEX IF NOT EXISTS ix_legacy_dossier_company ON legacy_dossier (company_id, last_movement_on)";

fn sqlite_error(e: rusqlite::Error) -> DbErr {
    DbErr::Custom(format!("import SQLite : {e}"))
}

impl SqliteBulkWriter {
    /// Opens the file (which must exist, migrated).
    ///
    /// # Errors
    /// SQLite's error.
    pub fn open(path: &Path) -> Result<Self, DbErr> {
        // No mutex: the connection is used by one thread at a time (it is `Send`, not `Sync`).
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = rusqlite::Connection::open_with_flags(path, flags).map_err(sqlite_error)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(sqlite_error)?;
        // SQLite's own check of the company foreign key is off on this connection: an immediate
        // foreign key lets any statement of many rows abort half-way, so SQLite journals every
        // page such a statement touches to be able to undo it alone (a fifth of an import's
        // time). `upsert` checks the same thing once per batch, in the same transaction.
        conn.pragma_update(None, "foreign_keys", false).map_err(sqlite_error)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(sqlite_error)?;
        // 64 MiB of page cache (the default is 2 MiB): the two indexes of a million rows stay in
        // memory, so a batch does not spill and re-read pages while it writes.
        conn.pragma_update(None, "cache_size", -65_536).map_err(sqlite_error)?;
        // An upsert of many rows keeps a journal of the pages it touches (to undo itself alone);
        // in memory rather than in a temporary file.
        conn.pragma_update(None, "temp_store", "MEMORY").map_err(sqlite_error)?;
        // An earlier first load that was interrupted may have left the index out.
        conn.execute_batch(COMPANY_INDEX).map_err(sqlite_error)?;
        let empty = !conn
            .prepare("SELECT 1 FROM legacy_dossier LIMIT 1")
            .and_then(|mut s| s.exists([]))
            .map_err(sqlite_error)?;
        if empty {
            conn.execute_batch("DROP INDEX ix_legacy_dossier_company").map_err(sqlite_error)?;
        }
        Ok(Self { conn, index_deferred: empty, expect_new: true })
    }

    /// Ends the import: builds the company index when a first load left it out.
    ///
    /// # Errors
    /// SQLite's error (the next import, or `finish`, builds it again).
    pub fn finish(mut self) -> Result<(), DbErr> {
        self.build_index()
    }

    fn build_index(&mut self) -> Result<(), DbErr> {
        if self.index_deferred {
            // SQLite sorts in as much memory as the page cache may take: the batches' large
            // cache is not needed any more, and the whole import stays under its memory bound.
            self.conn.pragma_update(None, "cache_size", -16_384).map_err(sqlite_error)?;
            self.conn.execute_batch(COMPANY_INDEX).map_err(sqlite_error)?;
            self.index_deferred = false;
        }
        Ok(())
    }

    /// Writes a batch in one transaction: new numbers inserted, changed ones updated, identical
    /// ones left alone, numbers of another company's dossiers left out (and returned).
    ///
    /// # Errors
    /// SQLite's error; nothing of the batch is written then.
    pub fn upsert(&mut self, rows: &[LegacyDossierInput], now: DateTime<Utc>) -> Result<Upserted, DbErr> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(sqlite_error)?;
        let mut written = 0u64;
        let mut refused = Vec::new();
        // As the async driver writes a UTC timestamp, so that the portal reads it back.
        let imported_at = now.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false);
        for chunk in rows.chunks(ROWS_PER_SQLITE_STATEMENT) {
            // While rows are new, they go in without a statement journal; when some did not (the
            // number exists, or a row breaks a constraint), the chunk runs again as an upsert,
            // which updates what changed, leaves the rows just inserted alone and reports a
            // broken row. Once a chunk holds known numbers (a file imported again), chunks go
            // straight to the upsert until one is entirely new again.
            let mut chunk_written = 0;
            if self.expect_new {
                chunk_written = execute_chunk(&tx, chunk, OnExisting::Skip, &imported_at)?;
            }
            if chunk_written < chunk.len() as u64 {
                // Only chunks with known numbers can name another company's dossier; the upsert
                // leaves those alone, this says which they are.
                refused.extend(other_company_sqlite(&tx, chunk)?);
                chunk_written += execute_chunk(&tx, chunk, OnExisting::Update, &imported_at)?;
            }
            self.expect_new = chunk_written == chunk.len() as u64;
            written += chunk_written;
        }
        check_companies_exist(&tx, rows)?;
        tx.commit().map_err(sqlite_error)?;
        Ok(Upserted { written, other_company: refused })
    }
}

impl Drop for SqliteBulkWriter {
    /// An import that stops on an error still leaves the index in place.
    fn drop(&mut self) {
        if let Err(e) = self.build_index() {
            tracing::warn!("index de l’historique non reconstruit : {e}");
        }
    }
}

/// The foreign key of `legacy_dossier.company_id`, checked once for a batch: every company the
/// rows name exists. In the writing transaction, so no company can go in between.
fn check_companies_exist(tx: &rusqlite::Transaction<'_>, rows: &[LegacyDossierInput]) -> Result<(), DbErr> {
    let ids: std::collections::BTreeSet<i64> = rows.iter().map(|r| r.company_id).collect();
    let mut statement = tx.prepare_cached("SELECT 1 FROM company WHERE id = ?1").map_err(sqlite_error)?;
    for id in ids {
        if !statement.exists([id]).map_err(sqlite_error)? {
            return Err(DbErr::Custom(format!("import SQLite : l’entreprise {id} n’existe pas (clé étrangère)")));
        }
    }
    Ok(())
}

/// [`other_company`] on the bulk writer's connection.
fn other_company_sqlite(
    tx: &rusqlite::Transaction<'_>,
    chunk: &[LegacyDossierInput],
) -> Result<Vec<OtherCompany>, DbErr> {
    let sql = other_company_sql(sea_orm::DbBackend::Sqlite, chunk.len());
    let mut statement = tx.prepare_cached(&sql).map_err(sqlite_error)?;
    let mut index = 0;
    for r in chunk {
        statement.raw_bind_parameter(index + 1, &r.number).map_err(sqlite_error)?;
        statement.raw_bind_parameter(index + 2, r.company_id).map_err(sqlite_error)?;
        index += 2;
    }
    let mut found = Vec::new();
    let mut rows = statement.raw_query();
    while let Some(row) = rows.next().map_err(sqlite_error)? {
        found
            .push(OtherCompany { number: row.get(0).map_err(sqlite_error)?, siren: row.get(1).map_err(sqlite_error)? });
    }
    Ok(found)
}

/// Runs one statement over `chunk`; returns the rows SQLite changed.
fn execute_chunk(
    tx: &rusqlite::Transaction<'_>,
    chunk: &[LegacyDossierInput],
    existing: OnExisting,
    imported_at: &str,
) -> Result<u64, DbErr> {
    let sql = sqlite_statement(chunk.len(), existing);
    let mut statement = tx.prepare_cached(&sql).map_err(sqlite_error)?;
    let (mut start, mut end, mut last) = ([0u8; 10], [0u8; 10], [0u8; 10]);
    let mut index = 0;
    for r in chunk {
        // Text is copied by SQLite as it is bound, so the date buffers serve every row.
        let values: [&dyn rusqlite::ToSql; COLUMNS.len()] = [
            &r.number,
            &r.company_id,
            &r.establishment_id,
            &r.siret,
            &r.scheme,
            &r.payer,
            &r.title,
            &r.provider_siret,
            &r.training_start.map(|d| iso_date(d, &mut start)),
            &r.training_end.map(|d| iso_date(d, &mut end)),
            &r.trainees,
            &r.committed.cents(),
            &r.paid.cents(),
            &r.closed,
            &iso_date(r.last_movement_on, &mut last),
            &imported_at,
        ];
        for value in values {
            index += 1;
            statement.raw_bind_parameter(index, value).map_err(sqlite_error)?;
        }
    }
    Ok(statement.raw_execute().map_err(sqlite_error)? as u64)
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

/// Filters of a company's history, as people look for an old dossier: state (closed or open),
/// scheme, establishment, training dates, number or title. Legacy rows hold a number of
/// trainees, not their names.
#[derive(Debug, Clone, Default)]
pub struct HistoryFilter {
    /// Only closed (`Some(true)`) or open (`Some(false)`) dossiers.
    pub closed: Option<bool>,
    /// Only this scheme.
    pub scheme: Option<String>,
    /// Only this establishment.
    pub establishment: Option<i64>,
    /// Training starting on or after this day.
    pub from: Option<NaiveDate>,
    /// Training starting on or before this day.
    pub to: Option<NaiveDate>,
    /// Number or title containing this.
    pub text: Option<String>,
}

/// A company's legacy dossiers the scope reaches, filtered; `None` when it reaches none: a
/// company user sees the history of the establishments they are attached to, provided they hold
/// the training or the work-study habilitation somewhere in the company.
fn company_query(scope: &Scope, company_id: i64, filter: &HistoryFilter) -> Option<Select<Entity>> {
    if !scope.reaches_company(company_id) {
        return None;
    }
    let mut query = Entity::find().filter(Column::CompanyId.eq(company_id));
    if !scope.is_staff() {
        let none_in = |domain: Domain| scope.establishments_with(company_id, domain).is_some_and(|ids| ids.is_empty());
        if none_in(Domain::Training) && none_in(Domain::WorkStudy) {
            return None;
        }
        if let Some(ids) = scope.establishment_ids(company_id) {
            query = query.filter(Column::EstablishmentId.is_in(ids));
        }
    }
    if let Some(closed) = filter.closed {
        query = query.filter(Column::Closed.eq(closed));
    }
    if let Some(scheme) = filter.scheme.as_deref().filter(|s| !s.is_empty()) {
        query = query.filter(Column::Scheme.eq(scheme));
    }
    if let Some(establishment) = filter.establishment {
        query = query.filter(Column::EstablishmentId.eq(establishment));
    }
    if let Some(from) = filter.from {
        query = query.filter(Column::TrainingStart.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(Column::TrainingStart.lte(to));
    }
    if let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        query = query.filter(
            Condition::any()
                .add(listing::contains_any_case(Column::Number, text))
                .add(listing::contains_any_case(Column::Title, text)),
        );
    }
    Some(query)
}

/// The history's order: most recent movement first, then by id (descending), so that the
/// keyset walks the `(company_id, last_movement_on)` index (SQLite keeps the row id at the end
/// of every index; PostgreSQL sorts only the lines of one day).
#[derive(Debug, Clone, Copy)]
pub struct LatestMovement;

impl Keyset<Entity> for LatestMovement {
    fn order(&self, query: Select<Entity>) -> Select<Entity> {
        query.order_by_desc(Column::LastMovementOn).order_by_desc(Column::Id)
    }
    fn after(&self, query: Select<Entity>, cursor: Cursor) -> Select<Entity> {
        match cursor.day {
            Some(day) => query.filter(
                Condition::any()
                    .add(Column::LastMovementOn.lt(day))
                    .add(Condition::all().add(Column::LastMovementOn.eq(day)).add(Column::Id.lt(cursor.id))),
            ),
            // A cursor without a day (hand-written) is read as "after nothing": from the start.
            None => query,
        }
    }
    fn cursor(&self, row: &LegacyDossier) -> Cursor {
        Cursor { day: Some(row.last_movement_on), id: row.id }
    }
}

/// One window of a company's history the scope reaches, filtered, most recent movement first,
/// with the count.
///
/// # Errors
/// The driver's error.
pub async fn company_page(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    company_id: i64,
    filter: &HistoryFilter,
    window: Window,
) -> Result<Listed<LegacyDossier>, DbErr> {
    match company_query(scope, company_id, filter) {
        Some(query) => listing::window(conn, query, &LatestMovement, window).await,
        None => Ok(Listed { rows: Vec::new(), total: 0, next: None }),
    }
}

/// One export chunk of a company's history (as [`company_page`], without the count).
///
/// # Errors
/// The driver's error.
pub async fn company_chunk(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    company_id: i64,
    filter: &HistoryFilter,
    after: Option<Cursor>,
) -> Result<(Vec<LegacyDossier>, Option<Cursor>), DbErr> {
    match company_query(scope, company_id, filter) {
        Some(query) => listing::chunk(conn, query, &LatestMovement, after, listing::EXPORT_CHUNK).await,
        None => Ok((Vec::new(), None)),
    }
}

/// How many legacy dossiers of a company the scope reaches (one statement).
///
/// # Errors
/// The driver's error.
pub async fn count_for_company(conn: &impl ConnectionTrait, scope: &Scope, company_id: i64) -> Result<u64, DbErr> {
    match company_query(scope, company_id, &HistoryFilter::default()) {
        Some(query) => query.count(conn).await,
        None => Ok(0),
    }
}
