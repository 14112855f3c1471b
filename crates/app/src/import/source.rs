//! Reading the CSV files of imports: UTF-8 with or without byte-order mark, `;` separator,
//! `"` quoting (with `;`, doubled quotes and line breaks inside), header names in any order and
//! case, unknown columns ignored.

use std::collections::HashMap;
use std::io::{BufRead, Read};
use std::path::Path;

use anyhow::{Context as _, bail};

/// A CSV file opened for reading by column name.
pub struct Source {
    reader: csv::Reader<Box<dyn Read>>,
    columns: HashMap<String, usize>,
    /// A record to read into again, so that a million rows do not allocate a million records.
    spare: Option<csv::StringRecord>,
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
        Self::from_reader(Box::new(file), required)
    }

    /// Reads from any reader (tests).
    ///
    /// # Errors
    /// As [`Source::open`].
    pub fn from_reader(reader: Box<dyn Read>, required: &[&str]) -> anyhow::Result<Self> {
        let reader: Box<dyn Read> =
            Box::new(CrlfToLf { inner: std::io::BufReader::with_capacity(1 << 16, reader), pending_cr: false });
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
        Ok(Self { reader, columns, spare: None })
    }

    /// The next row; `Err` carries the line and the reason of an unreadable one (bad UTF-8,
    /// unterminated quote), after which reading goes on.
    pub fn next_row(&mut self) -> Option<Result<Row, (u64, String)>> {
        let mut record = self.spare.take().unwrap_or_default();
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

    /// Gives a row back once read, for its buffer to be reused.
    pub fn recycle(&mut self, row: Row) {
        self.spare = Some(row.record);
    }

    /// Reads a column of a row (empty when absent from this row).
    #[must_use]
    pub fn get<'a>(&self, row: &'a Row, column: &str) -> &'a str {
        self.columns.get(column).and_then(|i| row.record.get(*i)).map_or("", str::trim)
    }
}

/// Turns CRLF line ends into LF while streaming. With CRLF, the csv reader counts a record's
/// line before consuming the LF of the previous one, so error reports would point one line too
/// high; with LF only, its line numbers are exact, embedded line breaks included.
struct CrlfToLf<R> {
    inner: R,
    /// A CR was read; whether it is kept depends on the next byte.
    pending_cr: bool,
}

impl<R: BufRead> Read for CrlfToLf<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut out = 0;
        while out < buf.len() {
            if self.pending_cr {
                let next = self.inner.fill_buf()?.first().copied();
                self.pending_cr = false;
                if next != Some(b'\n') {
                    buf[out] = b'\r';
                    out += 1;
                    continue;
                }
            }
            let data = self.inner.fill_buf()?;
            if data.is_empty() {
                break;
            }
            let window = &data[..data.len().min(buf.len() - out)];
            // Copied up to the next CR in one move; the CR itself waits for the next byte.
            let (copied, consumed) = match window.iter().position(|&b| b == b'\r') {
                Some(at) => {
                    self.pending_cr = true;
                    (at, at + 1)
                }
                None => (window.len(), window.len()),
            };
            buf[out..out + copied].copy_from_slice(&window[..copied]);
            out += copied;
            self.inner.consume(consumed);
            if !self.pending_cr && out > 0 {
                break;
            }
        }
        Ok(out)
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
        assert_eq!(row.line, 4, "the first row spans lines 2 and 3");
        assert_eq!(source.get(&row, "absente"), "");
        assert!(source.next_row().is_none());
    }

    #[test]
    fn crlf_and_lf_files_give_the_same_lines() {
        for text in ["a;b\r\n1;2\r\n3;\"x\r\ny\"\r\n5;6\r\n", "a;b\n1;2\n3;\"x\ny\"\n5;6\n"] {
            let mut source = Source::from_reader(Box::new(std::io::Cursor::new(text.to_owned())), &["a"]).unwrap();
            let lines: Vec<u64> = std::iter::from_fn(|| source.next_row()).map(|r| r.unwrap().line).collect();
            assert_eq!(lines, [2, 3, 5], "{text:?}");
        }
    }

    #[test]
    fn a_lone_cr_and_a_cr_at_the_end_are_kept() {
        let mut reader = CrlfToLf { inner: std::io::Cursor::new(b"a\rb\r\nc\r".to_vec()), pending_cr: false };
        let mut out = Vec::new();
        // One byte at a time, to cross every boundary.
        let mut byte = [0u8; 1];
        while reader.read(&mut byte).unwrap() == 1 {
            out.push(byte[0]);
        }
        assert_eq!(out, b"a\rb\nc\r");
    }

    #[test]
    fn a_missing_required_column_is_named() {
        let err = Source::from_reader(Box::new(std::io::Cursor::new("a;b\n".to_owned())), &["siren"]).unwrap_err();
        assert!(err.to_string().contains("siren"));
    }
}
