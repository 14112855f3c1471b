//! Imports from files: the company directory and the legacy portal's accounts.
//!
//! Every import reads CSV as French office software writes it (see `docs/IMPORTS.md`), in UTF-8 or
//! Windows-1252, reports each unreadable or contradictory row with its line and column and goes
//! on, writes in batches of rows, and can run again on the same file without changing anything.

pub mod companies;
pub mod legacy_accounts;
pub mod legacy_dossiers;
pub mod source;

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher as _;
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
    /// Rows that could not be read, in all (`errors` lists the first [`MAX_ERRORS`]).
    pub error_count: u64,
    /// The character encoding the file was read in (see [`source::Encoding::label`]).
    pub encoding: &'static str,
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

    /// Whether no row of the file is in the portal after the import (neither written nor already
    /// there): the command then fails, so that a script never takes a refused file for done.
    #[must_use]
    pub fn nothing_imported(&self) -> bool {
        self.imported == 0 && self.unchanged == 0
    }

    /// Why the command fails when [`Report::nothing_imported`], in French.
    #[must_use]
    pub fn nothing_imported_message(&self) -> String {
        let skipped: u64 = self.skipped.values().sum();
        format!(
            "aucune ligne importée ({} en erreur, {skipped} ignorée(s)) : voir le rapport ci-dessus",
            self.error_count
        )
    }

    /// A summary for people.
    #[must_use]
    pub fn human(&self) -> String {
        let mut text = String::new();
        if !self.encoding.is_empty() {
            text.push_str(&format!("Fichier lu en {}.\n", self.encoding));
        }
        text.push_str(&format!("{} ligne(s) importée(s), {} inchangée(s)", self.imported, self.unchanged));
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
    parse: impl FnMut(&source::Source, &source::Row) -> Result<T, (&'static str, String)>,
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
    mut parse: impl FnMut(&source::Source, &source::Row) -> Result<T, (&'static str, String)>,
    mut write: impl AsyncFnMut(Vec<T>, &mut Report) -> anyhow::Result<()>,
) -> anyhow::Result<Report> {
    let size = size.max(1);
    let mut report = Report { encoding: source.encoding().label(), ..Report::default() };
    let progress = Progress::new(label);
    let mut rows = 0u64;
    let mut batch = Vec::with_capacity(size);
    while let Some(next) = source.next_row() {
        rows += 1;
        progress.tick(rows);
        match next {
            Err(unreadable) => report.error(unreadable.line, &unreadable.column, unreadable.reason),
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

/// The keys read so far in a file, each with the line of its first occurrence: a key read twice
/// refuses the second row (see [`domain::legacy::RowFault::Duplicate`]).
///
/// A million keys are kept as 64-bit hashes (16 bytes each, a third of what the strings would
/// take): two different keys share a hash with a chance of about one in 30 million for a million
/// rows, and the hasher's keys are drawn afresh at each run, so such a row, refused with the line
/// of the other one, goes in at the next run.
#[derive(Debug, Default)]
pub struct Keys {
    hasher: std::hash::RandomState,
    first_lines: HashMap<u64, u64, std::hash::BuildHasherDefault<Prehashed>>,
}

impl Keys {
    /// Records `key` read at `line`; `Err` carries the line it was first read at.
    ///
    /// # Errors
    /// The first line of a key read before.
    pub fn first(&mut self, key: &str, line: u64) -> Result<(), u64> {
        match self.first_lines.entry(self.hasher.hash_one(key)) {
            std::collections::hash_map::Entry::Occupied(first) => Err(*first.get()),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(line);
                Ok(())
            }
        }
    }

    /// The line `key` was first read at.
    #[must_use]
    pub fn line_of(&self, key: &str) -> Option<u64> {
        self.first_lines.get(&self.hasher.hash_one(key)).copied()
    }
}

/// A hasher for keys that are hashes already.
#[derive(Debug, Default)]
pub struct Prehashed(u64);

impl std::hash::Hasher for Prehashed {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_read_twice_names_its_first_line() {
        let mut keys = Keys::default();
        assert_eq!(keys.first("MDA-1", 2), Ok(()));
        assert_eq!(keys.first("MDA-2", 3), Ok(()));
        assert_eq!(keys.first("MDA-1", 7), Err(2));
        assert_eq!(keys.first("MDA-1", 9), Err(2), "the first line stays");
        assert_eq!(keys.line_of("MDA-2"), Some(3));
        assert_eq!(keys.line_of("MDA-3"), None);
    }

    #[test]
    fn the_json_report_has_the_total_and_the_encoding() {
        let mut report = Report { encoding: "UTF-8", ..Report::default() };
        for line in 0..1005 {
            report.error(line, "numero", "x");
        }
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["errors"].as_array().map(Vec::len), Some(MAX_ERRORS));
        assert_eq!(json["error_count"], 1005);
        assert_eq!(json["encoding"], "UTF-8");
        assert!(report.nothing_imported());
        assert!(report.human().contains("… et 5 autre(s) erreur(s)."));
    }
}
