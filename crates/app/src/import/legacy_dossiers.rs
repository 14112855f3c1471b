//! `import legacy-dossiers`: the history of the legacy portal's dossiers (SPEC D7, M2, M3).
//!
//! Streams the file in bounded memory, refuses a number read twice, training dates out of order,
//! a payment above the commitment and a number already held by another company, keeps open
//! dossiers and closed ones with a movement on or after 1 January 2022, and writes 100 000 rows per transaction by the backend's fastest path
//! while the next batch is read (two batches at most in memory). Running again on the same file
//! changes nothing.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use domain::legacy::{RowFault, SCHEMES, amounts_agree, dates_in_order, keep_dossier};
use domain::{Money, Siren, Siret};
use store::company::{Address, CompanyInput, EstablishmentInput};
use store::history::{LegacyDossierInput, OtherCompany, Upserted};

use super::source::{Row, Source};
use super::{Keys, Report, drive_in_batches, yes_no};
use crate::Context;

/// Rows per transaction.
const BATCH: usize = 100_000;

/// Options of the import.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Create the companies and establishments the portal does not know, to be completed later.
    pub create_companies: bool,
}

/// A row as read, before its company is found.
#[derive(Debug, Clone)]
pub struct Parsed {
    siren: Siren,
    siret: Option<Siret>,
    kept: Result<(), &'static str>,
    row: LegacyDossierInput,
}

/// Reads `JJ/MM/AAAA` without chrono's format machinery (a million rows, three dates each).
fn french_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[2] != b'/' || b[5] != b'/' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |acc, d| d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0')))
    };
    NaiveDate::from_ymd_opt(i32::try_from(number(6..10)?).ok()?, number(3..5)?, number(0..2)?)
}

fn date(
    source: &Source,
    row: &Row,
    column: &'static str,
    required: bool,
) -> Result<Option<NaiveDate>, (&'static str, String)> {
    match source.get(row, column) {
        "" if required => Err((column, "date obligatoire (JJ/MM/AAAA)".to_owned())),
        "" => Ok(None),
        text => french_date(text)
            .map(Some)
            .ok_or_else(|| (column, format!("« {text} » : date attendue au format JJ/MM/AAAA"))),
    }
}

fn money(source: &Source, row: &Row, column: &'static str) -> Result<Money, (&'static str, String)> {
    match source.get(row, column) {
        "" => Ok(Money::ZERO),
        text => Money::parse(text).map_err(|e| (column, format!("« {text} » : {e}"))),
    }
}

/// The first `max` characters of `text` (titles longer than the legacy column are cut).
fn truncated(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    text.char_indices().nth(max).map_or(text, |(at, _)| &text[..at])
}

/// Reads a row; an error names the column. `numbers` holds the numbers read so far: a number
/// read again refuses its row whatever the rest of it, so the dossier keeps its first row.
fn parse(source: &Source, row: &Row, numbers: &mut Keys) -> Result<Parsed, (&'static str, String)> {
    let number = source.get(row, "numero");
    if number.is_empty() || number.chars().count() > 50 {
        return Err(("numero", "numéro de dossier vide ou trop long".to_owned()));
    }
    if let Err(first_line) = numbers.first(number, row.line) {
        return Err(("numero", RowFault::Duplicate { key: number.to_owned(), first_line }.to_string()));
    }
    let siren = Siren::parse(source.get(row, "siren")).map_err(|e| ("siren", e.to_string()))?;
    let siret = match source.get(row, "siret") {
        "" => None,
        text => {
            let siret = Siret::parse(text).map_err(|e| ("siret", e.to_string()))?;
            if !siret.as_str().starts_with(siren.as_str()) {
                return Err(("siret", format!("le SIRET {siret} n’appartient pas au SIREN {siren}")));
            }
            Some(siret)
        }
    };
    let scheme_text = source.get(row, "dispositif");
    let Some(scheme) = SCHEMES.iter().find(|s| s.eq_ignore_ascii_case(scheme_text)) else {
        return Err(("dispositif", format!("« {scheme_text} » : attendu {}", SCHEMES.join(", "))));
    };
    let payer_text = source.get(row, "financeur");
    let Some(payer) = ["AKTO", "FPETT"].into_iter().find(|p| p.eq_ignore_ascii_case(payer_text)) else {
        return Err(("financeur", format!("« {payer_text} » : attendu AKTO ou FPETT")));
    };
    let provider_siret = match source.get(row, "organisme_siret") {
        "" => String::new(),
        text => Siret::parse(text).map_err(|e| ("organisme_siret", e.to_string()))?.to_string(),
    };
    let trainees = match source.get(row, "nb_stagiaires") {
        "" => 0,
        text => text
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or(("nb_stagiaires", format!("« {text} » : nombre entier attendu")))?,
    };
    let closed = yes_no(source.get(row, "clos")).map_err(|e| ("clos", e))?;
    let last_movement_on = date(source, row, "date_dernier_mouvement", true)?
        .ok_or(("date_dernier_mouvement", "date obligatoire".to_owned()))?;
    let training_start = date(source, row, "date_debut", false)?;
    let training_end = date(source, row, "date_fin", false)?;
    dates_in_order(training_start, training_end).map_err(|fault| ("date_fin", fault.to_string()))?;
    let committed = money(source, row, "montant_engage")?;
    let paid = money(source, row, "montant_regle")?;
    amounts_agree(committed, paid).map_err(|fault| ("montant_regle", fault.to_string()))?;
    let parsed = LegacyDossierInput {
        number: number.to_owned(),
        company_id: 0,
        establishment_id: None,
        // Filled from `siret` once the establishment is looked up, without a copy.
        siret: String::new(),
        scheme,
        payer,
        title: truncated(source.get(row, "intitule"), 300).to_owned(),
        provider_siret,
        training_start,
        training_end,
        trainees,
        committed,
        paid,
        closed,
        last_movement_on,
    };
    Ok(Parsed { kept: keep_dossier(closed, last_movement_on).map_err(|r| r.code()), siren, siret, row: parsed })
}

/// Hashes a SIREN or SIRET read as a number: a multiplication rather than SipHash, which took a
/// twentieth of an import's time for four lookups a row. Keys come from checked identifiers,
/// not from someone choosing collisions, and the maps hold a few thousand entries.
#[derive(Debug, Default)]
struct NumberHasher(u64);

impl std::hash::Hasher for NumberHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type NumberMap = HashMap<u64, Option<i64>, std::hash::BuildHasherDefault<NumberHasher>>;

/// A SIREN or SIRET (digits only, once parsed) as a map key.
fn key(digits: &str) -> u64 {
    digits.bytes().fold(0, |acc, d| acc * 10 + u64::from(d - b'0'))
}

/// Companies and establishments already looked up, so that each is asked of the database once.
#[derive(Debug, Default)]
struct Directory {
    companies: NumberMap,
    establishments: NumberMap,
}

impl Directory {
    async fn company(
        &mut self,
        conn: &impl store::ConnectionTrait,
        ctx: &Context,
        siren: &Siren,
        create: bool,
    ) -> anyhow::Result<Option<i64>> {
        if let Some(found) = self.companies.get(&key(siren.as_str())) {
            return Ok(*found);
        }
        let found = match store::company::find_by_siren(conn, siren).await? {
            Some(c) => Some(c.id),
            None if create => {
                let input = CompanyInput {
                    siren: siren.clone(),
                    name: format!("Entreprise {} (à compléter)", siren.formatted()),
                    address: Address::default(),
                    vat_subject: true,
                    headcount: None,
                    branch: None,
                    region: None,
                };
                Some(
                    store::company::create(conn, input, ctx.clock.now())
                        .await
                        .map_err(|e| anyhow::anyhow!("création de l’entreprise {siren} : {e}"))?
                        .id,
                )
            }
            None => None,
        };
        self.companies.insert(key(siren.as_str()), found);
        Ok(found)
    }

    async fn establishment(
        &mut self,
        conn: &impl store::ConnectionTrait,
        ctx: &Context,
        company_id: i64,
        siret: &Siret,
        create: bool,
    ) -> anyhow::Result<Option<i64>> {
        if let Some(found) = self.establishments.get(&key(siret.as_str())) {
            return Ok(*found);
        }
        let found = match store::company::find_establishment_by_siret(conn, siret).await? {
            Some(e) if e.company_id == company_id => Some(e.id),
            Some(_) => None,
            None if create => {
                let input = EstablishmentInput {
                    siret: siret.clone(),
                    name: format!("Établissement {} (à compléter)", siret.formatted()),
                    address: Address::default(),
                    head_office: false,
                };
                Some(
                    store::company::create_establishment(conn, company_id, input, ctx.clock.now())
                        .await
                        .map_err(|e| anyhow::anyhow!("création de l’établissement {siret} : {e}"))?
                        .id,
                )
            }
            None => None,
        };
        self.establishments.insert(key(siret.as_str()), found);
        Ok(found)
    }
}

/// Imports `path`.
///
/// # Errors
/// When the file cannot be read at all, or the database fails (batches already written stay; run
/// again to finish).
pub async fn run(ctx: &Context, path: &Path, options: Options) -> anyhow::Result<Report> {
    let required = ["numero", "siren", "siret", "dispositif", "financeur", "clos", "date_dernier_mouvement"];
    let mut source = Source::open(path, &required)?;
    let mut directory = Directory::default();
    let mut pipeline = Pipeline {
        idle: Some(Sink::open(ctx).await?),
        busy: None,
        rows: 0,
        written: 0,
        refused: Vec::new(),
        now: ctx.clock.now(),
    };
    // Read by the parser, then by the report of rows refused at writing (for their line).
    let numbers = RefCell::new(Keys::default());
    let read = drive_in_batches(
        &mut source,
        "Historique des dossiers",
        BATCH,
        |source, row| parse(source, row, &mut numbers.borrow_mut()),
        async |batch, report| {
            let rows = resolve(ctx, batch, options, &mut directory, report).await?;
            pipeline.push(rows).await?;
            report_other_company(report, &numbers.borrow(), pipeline.refused.drain(..));
            Ok(())
        },
    )
    .await;
    // The batch in flight is written (or fails) before anything is reported.
    pipeline.settle().await?;
    if let Some(sink) = pipeline.idle.take() {
        sink.finish().await?;
    }
    let mut report = read?;
    report_other_company(&mut report, &numbers.borrow(), pipeline.refused.drain(..));
    report.imported += pipeline.written;
    report.unchanged += pipeline.rows - pipeline.written;
    Ok(report)
}

/// Reports the rows left out because their number is another company's dossier.
fn report_other_company(report: &mut Report, numbers: &Keys, refused: impl Iterator<Item = OtherCompany>) {
    for other in refused {
        let line = numbers.line_of(&other.number).unwrap_or(0);
        report.error(
            line,
            "siren",
            format!(
                "le dossier {} appartient déjà à l’entreprise de SIREN {} dans le portail : il n’est pas déplacé \
                 (corrigez le SIREN de la ligne, ou demandez le transfert du dossier)",
                other.number, other.siren
            ),
        );
    }
}

/// A sink back from writing a batch, the batch, and what was written.
type Written = (Sink, Vec<LegacyDossierInput>, Upserted);

/// Where history rows are written: a connection of its own on a SQLite file (the fast path),
/// otherwise the pool.
enum Sink {
    Sqlite(store::history::SqliteBulkWriter),
    Pool(store::Db),
}

impl Sink {
    async fn open(ctx: &Context) -> anyhow::Result<Self> {
        Ok(match store::db::sqlite_file(&ctx.config.database_url()) {
            Some(path) => {
                Self::Sqlite(tokio::task::spawn_blocking(move || store::history::SqliteBulkWriter::open(&path)).await??)
            }
            None => Self::Pool(ctx.db.clone()),
        })
    }

    /// Ends the import (a first load on SQLite builds its index now).
    async fn finish(self) -> anyhow::Result<()> {
        if let Self::Sqlite(writer) = self {
            tokio::task::spawn_blocking(move || writer.finish()).await??;
        }
        Ok(())
    }

    /// Writes one batch in one transaction; gives itself back for the next one, with the rows so
    /// that the thread that allocated them frees them (freeing them here contends for the
    /// allocator with the reading thread).
    async fn write(self, rows: Vec<LegacyDossierInput>, now: DateTime<Utc>) -> anyhow::Result<Written> {
        match self {
            Self::Sqlite(mut writer) => {
                let (writer, rows, written) = tokio::task::spawn_blocking(move || {
                    let written = writer.upsert(&rows, now);
                    (writer, rows, written)
                })
                .await?;
                Ok((Self::Sqlite(writer), rows, written?))
            }
            Self::Pool(db) => {
                let txn = store::db::write(&db).await?;
                let done = store::history::upsert(&txn, &rows, now).await?;
                txn.commit().await?;
                Ok((Self::Pool(db), rows, done))
            }
        }
    }
}

/// Parsing and writing overlap: batch n is written while batch n + 1 is read, and no more, so
/// memory holds two batches at most.
struct Pipeline {
    idle: Option<Sink>,
    busy: Option<tokio::task::JoinHandle<anyhow::Result<Written>>>,
    /// Rows handed to the sink, and written of them.
    rows: u64,
    written: u64,
    /// Rows of the batches written so far that name another company's dossier, to report.
    refused: Vec<OtherCompany>,
    now: DateTime<Utc>,
}

impl Pipeline {
    /// Waits for the batch in flight.
    async fn settle(&mut self) -> anyhow::Result<()> {
        if let Some(busy) = self.busy.take() {
            let (sink, rows, done) =
                busy.await.map_err(|e| anyhow::anyhow!("écriture de l’historique interrompue : {e}"))??;
            drop(rows);
            self.written += done.written;
            // Refused rows are neither written nor unchanged.
            self.rows -= done.other_company.len() as u64;
            self.refused.extend(done.other_company);
            self.idle = Some(sink);
        }
        Ok(())
    }

    /// Starts writing `rows` once the previous batch is written.
    async fn push(&mut self, rows: Vec<LegacyDossierInput>) -> anyhow::Result<()> {
        self.settle().await?;
        let sink = self.idle.take().ok_or_else(|| anyhow::anyhow!("écriture de l’historique interrompue"))?;
        self.rows += rows.len() as u64;
        self.busy = Some(tokio::spawn(sink.write(rows, self.now)));
        Ok(())
    }
}

/// Finds (or creates) the companies of a batch and turns its kept rows into history rows; the
/// others are counted by reason.
async fn resolve(
    ctx: &Context,
    batch: Vec<Parsed>,
    options: Options,
    directory: &mut Directory,
    report: &mut Report,
) -> anyhow::Result<Vec<LegacyDossierInput>> {
    // Companies and establishments first seen in this batch are looked up (and created) in one
    // transaction: one commit, not one per company.
    let unseen = batch.iter().any(|p| {
        p.kept.is_ok()
            && (!directory.companies.contains_key(&key(p.siren.as_str()))
                || p.siret.as_ref().is_some_and(|s| !directory.establishments.contains_key(&key(s.as_str()))))
    });
    if unseen {
        let txn = store::db::write(&ctx.db).await?;
        for parsed in batch.iter().filter(|p| p.kept.is_ok()) {
            if let Some(company_id) = directory.company(&txn, ctx, &parsed.siren, options.create_companies).await?
                && let Some(siret) = &parsed.siret
            {
                directory.establishment(&txn, ctx, company_id, siret, options.create_companies).await?;
            }
        }
        txn.commit().await?;
    }
    let mut rows = Vec::with_capacity(batch.len());
    for parsed in batch {
        if let Err(reason) = parsed.kept {
            report.skip(reason);
            continue;
        }
        let Some(company_id) = directory.companies.get(&key(parsed.siren.as_str())).copied().flatten() else {
            report.skip("entreprise_inconnue");
            continue;
        };
        let establishment_id =
            parsed.siret.as_ref().and_then(|s| directory.establishments.get(&key(s.as_str())).copied().flatten());
        let siret = parsed.siret.map(String::from).unwrap_or_default();
        rows.push(LegacyDossierInput { company_id, establishment_id, siret, ..parsed.row });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::{french_date, truncated};

    #[test]
    fn titles_are_cut_on_characters() {
        assert_eq!(truncated("Soudeur TIG", 300), "Soudeur TIG");
        assert_eq!(truncated("Électricité", 3), "Éle");
        assert_eq!(truncated("ééé", 3), "ééé");
    }

    #[test]
    fn french_dates() {
        assert_eq!(french_date("01/01/2022"), chrono::NaiveDate::from_ymd_opt(2022, 1, 1));
        for bad in ["31/02/2025", "1/01/2022", "2022-01-01", "aa/bb/cccc", "01/13/2022"] {
            assert_eq!(french_date(bad), None, "{bad}");
        }
    }
}
