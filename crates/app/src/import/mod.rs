//! Imports from files: the company directory and the legacy portal's accounts.
//!
//! Every import reads CSV as French office software writes it (see `docs/IMPORTS.md`), reports
//! each unreadable row with its line and column and goes on, writes in batches of rows, and can
//! run again on the same file without changing anything.

pub mod companies;
pub mod legacy_accounts;
pub mod legacy_dossiers;
pub mod source;

use std::collections::BTreeMap;
use std::io::IsTerminal as _;

use serde::Serialize;

/// Most row errors kept in a report.
pub const MAX_ERRORS: usize = 1000;

/// One row that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// Line in the file (the header is line 1).
    pub line: u64,
    /// The column at fault.
    pub column: String,
    /// Why, in French.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Rows written (new or changed).
    pub imported: u64,
    /// Rows already there, identical.
    pub unchanged: u64,
    /// Rows left aside on purpose, counted by reason.
    pub skipped: BTreeMap<String, u64>,
    /// Rows that could not be read (at most [`MAX_ERRORS`]).
    pub errors: Vec<RowError>,
    /// Rows that could not be read, in all.
    #[serde(skip)]
    pub error_count: u64,
}

impl Report {
    /// Records a skipped row.
    pub fn skip(&mut self, reason: &str) {
        *self.skipped.entry(reason.to_owned()).or_default() += 1;
    }

    /// Records an unreadable row.
    pub fn error(&mut self, line: u64, column: &str, reason: impl Into<String>) {
        self.error_count += 1;
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(RowError { line, column: column.to_owned(), reason: reason.into() });
        }
    }

    /// A summary for people.
    #[must_use]
    pub fn human(&self) -> String {
        let mut text = format!("{} ligne(s) importée(s), {} inchangée(s)", self.imported, self.unchanged);
        for (reason, count) in &self.skipped {
            text.push_str(&format!(", {count} ignorée(s) ({reason})"));
        }
        text.push_str(&format!(", {} en erreur.", self.error_count));
        for e in &self.errors {
            text.push_str(&format!("\n  ligne {}, colonne « {} » : {}", e.line, e.column, e.reason));
        }
        if self.error_count > self.errors.len() as u64 {
            text.push_str(&format!("\n  … et {} autre(s) erreur(s).", self.error_count - self.errors.len() as u64));
        }
        text
    }
}

/// Shows how far an import has got, on the terminal only.
#[derive(Debug)]
pub struct Progress {
    enabled: bool,
    label: &'static str,
}

impl Progress {
    /// Progress for `label`, shown only when standard error is a terminal.
    #[must_use]
    pub fn new(label: &'static str) -> Self {
        Self { enabled: std::io::stderr().is_terminal(), label }
    }

    /// Reports `rows` read so far (every 1 000 rows).
    pub fn tick(&self, rows: u64) {
        if self.enabled && rows.is_multiple_of(1000) {
            eprint!("\r{} : {rows} lignes lues…", self.label);
        }
    }

    /// Ends the progress line.
    pub fn finish(&self, rows: u64) {
        if self.enabled {
            eprintln!("\r{} : {rows} lignes lues.     ", self.label);
        }
    }
}

/// Rows written per transaction.
pub const BATCH: usize = 500;

/// Reads every row of `source`, parses it with `parse` (an error names the column), and hands the
/// parsed rows to `write` in batches of [`BATCH`]; returns the report with every unreadable row.
///
/// # Errors
/// What `write` fails with (the database); batches already written stay.
pub async fn drive<T>(
    source: &mut source::Source,
    label: &'static str,
    parse: impl Fn(&source::Source, &source::Row) -> Result<T, (&'static str, String)>,
    write: impl AsyncFnMut(Vec<T>, &mut Report) -> anyhow::Result<()>,
) -> anyhow::Result<Report> {
    drive_in_batches(source, label, BATCH, parse, write).await
}

/// [`drive`] with batches of `size` rows (large imports write fewer, larger transactions).
///
/// # Errors
/// What `write` fails with.
pub async fn drive_in_batches<T>(
    source: &mut source::Source,
    label: &'static str,
    size: usize,
    parse: impl Fn(&source::Source, &source::Row) -> Result<T, (&'static str, String)>,
    mut write: impl AsyncFnMut(Vec<T>, &mut Report) -> anyhow::Result<()>,
) -> anyhow::Result<Report> {
    let size = size.max(1);
    let mut report = Report::default();
    let progress = Progress::new(label);
    let mut rows = 0u64;
    let mut batch = Vec::with_capacity(size);
    while let Some(next) = source.next_row() {
        rows += 1;
        progress.tick(rows);
        match next {
            Err((line, reason)) => report.error(line, "(ligne)", reason),
            Ok(row) => {
                match parse(source, &row) {
                    Ok(parsed) => batch.push(parsed),
                    Err((column, reason)) => report.error(row.line, column, reason),
                }
                source.recycle(row);
            }
        }
        if batch.len() == size {
            write(std::mem::replace(&mut batch, Vec::with_capacity(size)), &mut report).await?;
        }
    }
    if !batch.is_empty() {
        write(batch, &mut report).await?;
    }
    progress.finish(rows);
    Ok(report)
}

/// Parses `oui` / `non` (any case; empty is `non`).
///
/// # Errors
/// A French message.
pub fn yes_no(text: &str) -> Result<bool, String> {
    let text = text.trim();
    let is = |word: &str| text.eq_ignore_ascii_case(word);
    if is("oui") || is("o") || text == "1" || is("true") {
        Ok(true)
    } else if text.is_empty() || is("non") || is("n") || text == "0" || is("false") {
        Ok(false)
    } else {
        Err(format!("« {text} » : attendu oui ou non"))
    }
}
