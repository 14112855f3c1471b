//! Reading the CSV files of imports: UTF-8 with or without byte-order mark, `;` separator,
//! `"` quoting (with `;`, doubled quotes and line breaks inside), header names in any order and
//! case, unknown columns ignored.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use anyhow::{Context as _, bail};

/// A CSV file opened for reading by column name.
pub struct Source {
    reader: csv::Reader<Box<dyn Read>>,
    columns: HashMap<String, usize>,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source").field("columns", &self.columns).finish_non_exhaustive()
    }
}

/// One row, read by column name.
#[derive(Debug)]
pub struct Row {
    record: csv::StringRecord,
    /// Line of the row in the file.
    pub line: u64,
}

impl Source {
    /// Opens `path` and checks that the header has every `required` column.
    ///
    /// # Errors
    /// When the file cannot be read or a required column is missing.
    pub fn open(path: &Path, required: &[&str]) -> anyhow::Result<Self> {
        let file = std::fs::File::open(path).with_context(|| format!("impossible d’ouvrir {}", path.display()))?;
        Self::from_reader(Box::new(std::io::BufReader::with_capacity(1 << 16, file)), required)
    }

    /// Reads from any reader (tests).
    ///
    /// # Errors
    /// As [`Source::open`].
    pub fn from_reader(reader: Box<dyn Read>, required: &[&str]) -> anyhow::Result<Self> {
        let mut reader = csv::ReaderBuilder::new().delimiter(b';').flexible(true).has_headers(true).from_reader(reader);
        let headers = reader.headers().context("en-tête illisible")?.clone();
        let columns: HashMap<String, usize> = headers
            .iter()
            .enumerate()
            .map(|(i, name)| (name.trim_start_matches('\u{feff}').trim().to_lowercase(), i))
            .collect();
        let missing: Vec<&str> = required.iter().copied().filter(|c| !columns.contains_key(*c)).collect();
        if !missing.is_empty() {
            bail!("colonne(s) absente(s) de l’en-tête : {}", missing.join(", "));
        }
        Ok(Self { reader, columns })
    }

    /// The next row; `Err` carries the line and the reason of an unreadable one (bad UTF-8,
    /// unterminated quote), after which reading goes on.
    pub fn next_row(&mut self) -> Option<Result<Row, (u64, String)>> {
        let mut record = csv::StringRecord::new();
        match self.reader.read_record(&mut record) {
            Ok(false) => None,
            Ok(true) => {
                let line = record.position().map_or(0, csv::Position::line);
                Some(Ok(Row { record, line }))
            }
            Err(err) => {
                let line = err.position().map_or(0, csv::Position::line);
                let reason = match err.kind() {
                    csv::ErrorKind::Utf8 { .. } => "texte qui n’est pas en UTF-8".to_owned(),
                    _ => format!("ligne illisible ({err})"),
                };
                Some(Err((line, reason)))
            }
        }
    }

    /// Reads a column of a row (empty when absent from this row).
    #[must_use]
    pub fn get<'a>(&self, row: &'a Row, column: &str) -> &'a str {
        self.columns.get(column).and_then(|i| row.record.get(*i)).map_or("", str::trim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bom_quotes_and_columns_in_any_order() {
        let text = "\u{feff}Siret;SIREN;nom\n\"1;2\";732829320;\"Dupont \"\"Jr\"\"\nsuite\"\r\n;552100554;x\n";
        let mut source =
            Source::from_reader(Box::new(std::io::Cursor::new(text.to_owned())), &["siren", "nom"]).unwrap();
        let row = source.next_row().unwrap().unwrap();
        assert_eq!(source.get(&row, "siren"), "732829320");
        assert_eq!(source.get(&row, "siret"), "1;2");
        assert_eq!(source.get(&row, "nom"), "Dupont \"Jr\"\nsuite");
        assert_eq!(row.line, 2);
        let row = source.next_row().unwrap().unwrap();
        assert_eq!(row.line, 5);
        assert_eq!(source.get(&row, "absente"), "");
        assert!(source.next_row().is_none());
    }

    #[test]
    fn a_missing_required_column_is_named() {
        let err = Source::from_reader(Box::new(std::io::Cursor::new("a;b\n".to_owned())), &["siren"]).unwrap_err();
        assert!(err.to_string().contains("siren"));
    }
}
