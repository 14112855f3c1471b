//! Reading the CSV files of imports: UTF-8 with or without byte-order mark, or Windows-1252
//! (converted), `;` separator, `"` quoting (with `;`, doubled quotes and line breaks inside),
//! header names in any order, case and accents, unknown columns ignored; a cell holding a control
//! character refuses its row.

use std::collections::HashMap;
use std::io::{BufRead, Read};
use std::path::Path;

use anyhow::{Context as _, bail};
use domain::legacy::{control_character, header_key, may_hold_control};

/// The character encoding a file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 without byte-order mark.
    Utf8,
    /// UTF-8 with a byte-order mark (left out of the first column's name).
    Utf8Bom,
    /// Not valid UTF-8: read as Windows-1252, which French office software writes by default
    /// (`é` is one byte), and converted.
    Windows1252,
}

impl Encoding {
    /// How the report names it.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 avec BOM",
            Encoding::Windows1252 => "Windows-1252 (converti en UTF-8)",
        }
    }
}

const BOM: &[u8; 3] = b"\xef\xbb\xbf";

/// Whether the whole of `reader` is valid UTF-8, read in chunks of 1 MiB (a character may
/// straddle two chunks). A file is read twice for this, which costs far less than parsing it:
/// guessing from its first lines would read a file whose first accent comes late as UTF-8 and
/// refuse the rest of it.
///
/// # Errors
/// The reader's.
pub fn is_utf8(mut reader: impl Read) -> std::io::Result<bool> {
    let mut buf = vec![0u8; 1 << 20];
    // Bytes of a character cut at the end of the previous chunk, moved to the front.
    let mut carried = 0;
    loop {
        let n = match reader.read(&mut buf[carried..]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Ok(carried == 0);
        }
        let filled = carried + n;
        match std::str::from_utf8(&buf[..filled]) {
            Ok(_) => carried = 0,
            Err(e) if e.error_len().is_none() => {
                buf.copy_within(e.valid_up_to()..filled, 0);
                carried = filled - e.valid_up_to();
            }
            Err(_) => return Ok(false),
        }
    }
}

/// `raw` as UTF-8 text without byte-order mark: left as it is when `utf8` (the BOM taken off),
/// converted from Windows-1252 otherwise.
fn decoded(mut raw: Box<dyn Read>, utf8: bool) -> std::io::Result<(Box<dyn Read>, Encoding)> {
    if !utf8 {
        let decoder = encoding_rs::WINDOWS_1252.new_decoder_without_bom_handling();
        let reader = Windows1252 {
            inner: std::io::BufReader::with_capacity(1 << 16, raw),
            decoder,
            out: Vec::new(),
            at: 0,
            ended: false,
        };
        return Ok((Box::new(reader), Encoding::Windows1252));
    }
    let mut start = Vec::with_capacity(3);
    (&mut raw).take(3).read_to_end(&mut start)?;
    if start == BOM {
        Ok((raw, Encoding::Utf8Bom))
    } else {
        Ok((Box::new(std::io::Cursor::new(start).chain(raw)), Encoding::Utf8))
    }
}

/// A CSV file opened for reading by column name.
pub struct Source {
    reader: csv::Reader<Box<dyn Read>>,
    columns: HashMap<String, usize>,
    /// Column names by position, as looked up (to name the column of a refused cell).
    names: Vec<String>,
    encoding: Encoding,
    /// A record to read into again, so that a million rows do not allocate a million records.
    spare: Option<csv::StringRecord>,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("columns", &self.columns)
            .field("encoding", &self.encoding)
            .finish_non_exhaustive()
    }
}

/// One row, read by column name.
#[derive(Debug)]
pub struct Row {
    record: csv::StringRecord,
    /// Line of the row in the file.
    pub line: u64,
}

/// A row that cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// Line in the file.
    pub line: u64,
    /// The column at fault, or `(ligne)` for the whole line.
    pub column: String,
    /// Why, in French.
    pub reason: String,
}

impl Source {
    /// Opens `path`, finds its encoding and checks that the header has every `required` column.
    ///
    /// # Errors
    /// When the file cannot be read or its header is unusable (French messages).
    pub fn open(path: &Path, required: &[&str]) -> anyhow::Result<Self> {
        let open = || std::fs::File::open(path).with_context(|| format!("impossible d’ouvrir {}", path.display()));
        let utf8 = is_utf8(open()?).with_context(|| format!("lecture de {} impossible", path.display()))?;
        Self::from_raw(Box::new(open()?), utf8, required)
    }

    /// Reads from any reader (tests), held in memory.
    ///
    /// # Errors
    /// As [`Source::open`].
    pub fn from_reader(mut reader: Box<dyn Read>, required: &[&str]) -> anyhow::Result<Self> {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).context("lecture impossible")?;
        let utf8 = std::str::from_utf8(&bytes).is_ok();
        Self::from_raw(Box::new(std::io::Cursor::new(bytes)), utf8, required)
    }

    fn from_raw(raw: Box<dyn Read>, utf8: bool, required: &[&str]) -> anyhow::Result<Self> {
        let (text, encoding) = decoded(raw, utf8).context("lecture impossible")?;
        let reader: Box<dyn Read> =
            Box::new(CrlfToLf { inner: std::io::BufReader::with_capacity(1 << 16, text), pending_cr: false });
        let mut reader = csv::ReaderBuilder::new().delimiter(b';').flexible(true).has_headers(true).from_reader(reader);
        let headers = match reader.headers() {
            Ok(headers) => headers.clone(),
            Err(err) => bail!("en-tête illisible (ligne 1) : {}", french_csv_error(&err)),
        };
        if headers.iter().all(|name| name.trim().is_empty()) {
            bail!(
                "fichier vide ou sans en-tête : la première ligne doit nommer les colonnes ({} au moins), séparées par « ; »",
                required.join(", ")
            );
        }
        if let Some((i, c)) = headers.iter().enumerate().find_map(|(i, name)| control_character(name).map(|c| (i, c))) {
            bail!("en-tête (ligne 1), colonne n° {} : caractère de contrôle interdit (U+{:04X})", i + 1, u32::from(c));
        }
        let names: Vec<String> = headers.iter().map(header_key).collect();
        let columns: HashMap<String, usize> =
            names.iter().enumerate().map(|(i, name)| (name.clone(), i)).rev().collect();
        let missing: Vec<&str> = required.iter().copied().filter(|c| !columns.contains_key(*c)).collect();
        if !missing.is_empty() {
            bail!(
                "colonne(s) absente(s) de l’en-tête (ligne 1) : {} ; colonnes lues : {} (fichier lu en {})",
                missing.join(", "),
                headers.iter().map(str::trim).collect::<Vec<_>>().join(", "),
                encoding.label()
            );
        }
        Ok(Self { reader, columns, names, encoding, spare: None })
    }

    /// The encoding the file was read in.
    #[must_use]
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The next row; `Err` says why a row cannot be read (unterminated quote, a control
    /// character in a cell), after which reading goes on.
    pub fn next_row(&mut self) -> Option<Result<Row, Unreadable>> {
        let mut record = self.spare.take().unwrap_or_default();
        match self.reader.read_record(&mut record) {
            Ok(false) => None,
            Ok(true) => {
                let line = record.position().map_or(0, csv::Position::line);
                // One scan of the whole row; cells are looked at only when it finds something.
                if may_hold_control(record.as_slice().as_bytes())
                    && let Some((i, c)) =
                        record.iter().enumerate().find_map(|(i, cell)| control_character(cell).map(|c| (i, c)))
                {
                    let column = self.names.get(i).cloned().unwrap_or_else(|| format!("colonne n° {}", i + 1));
                    let reason = domain::legacy::RowFault::ControlCharacter(c).to_string();
                    self.spare = Some(record);
                    return Some(Err(Unreadable { line, column, reason }));
                }
                Some(Ok(Row { record, line }))
            }
            Err(err) => {
                let line = err.position().map_or(0, csv::Position::line);
                Some(Err(Unreadable { line, column: "(ligne)".to_owned(), reason: french_csv_error(&err) }))
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

/// The csv reader's error, in French.
fn french_csv_error(err: &csv::Error) -> String {
    match err.kind() {
        csv::ErrorKind::Utf8 { .. } => "texte qui n’est pas en UTF-8".to_owned(),
        csv::ErrorKind::Io(e) => format!("lecture impossible ({e})"),
        _ => format!("ligne illisible ({err})"),
    }
}

/// Converts Windows-1252 to UTF-8 while streaming (encoding_rs: every byte has a character, so
/// nothing is refused here; control characters are refused by cell afterwards).
struct Windows1252<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    /// Converted text not handed out yet, from `at`.
    out: Vec<u8>,
    at: usize,
    ended: bool,
}

impl<R: BufRead> Read for Windows1252<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.out.len() {
            if self.ended {
                return Ok(0);
            }
            let src = self.inner.fill_buf()?;
            let last = src.is_empty();
            // At most three bytes of UTF-8 per byte read: the whole chunk is converted at once.
            let room = self.decoder.max_utf8_buffer_length(src.len()).unwrap_or(src.len() * 3 + 16);
            self.out.clear();
            self.out.resize(room, 0);
            let (_, read, written, _) = self.decoder.decode_to_utf8(src, &mut self.out, last);
            self.out.truncate(written);
            self.at = 0;
            self.inner.consume(read);
            self.ended = last;
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
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
        assert!(
            err.to_string().contains("colonne(s) absente(s) de l’en-tête (ligne 1) : siren ; colonnes lues : a, b"),
            "{err}"
        );
        let err = Source::from_reader(Box::new(std::io::Cursor::new(String::new())), &["siren"]).unwrap_err();
        assert!(err.to_string().starts_with("fichier vide ou sans en-tête"), "{err}");
    }

    fn windows_1252(text: &str) -> Vec<u8> {
        encoding_rs::WINDOWS_1252.encode(text).0.into_owned()
    }

    #[test]
    fn encodings_are_found_and_named() {
        let cases: [(Vec<u8>, Encoding); 3] = [
            ("Intitulé;b\nÉlectricité;2\n".as_bytes().to_vec(), Encoding::Utf8),
            ([BOM.as_slice(), "Intitulé;b\nÉlectricité;2\n".as_bytes()].concat(), Encoding::Utf8Bom),
            (windows_1252("Intitulé;b\nÉlectricité – œuvre;2\n"), Encoding::Windows1252),
        ];
        for (bytes, encoding) in cases {
            let mut source = Source::from_reader(Box::new(std::io::Cursor::new(bytes)), &["intitule"]).unwrap();
            assert_eq!(source.encoding(), encoding);
            let row = source.next_row().unwrap().unwrap();
            assert!(source.get(&row, "intitule").starts_with("Électricité"), "{encoding:?}");
        }
    }

    #[test]
    fn utf8_is_checked_across_chunk_boundaries() {
        // An `é` cut by the 1 MiB chunk boundary is still UTF-8; a lone Windows-1252 `é` is not.
        let mut text = vec![b'a'; (1 << 20) - 1];
        text.extend_from_slice("é".as_bytes());
        assert!(is_utf8(std::io::Cursor::new(&text)).unwrap());
        text.push(0xe9);
        assert!(!is_utf8(std::io::Cursor::new(&text)).unwrap());
        assert!(!is_utf8(std::io::Cursor::new(b"caf\xc3")).unwrap(), "cut at the end");
    }

    #[test]
    fn windows_1252_is_converted_through_small_reads() {
        let mut reader = Windows1252 {
            inner: std::io::BufReader::with_capacity(2, std::io::Cursor::new(windows_1252("é€ù"))),
            decoder: encoding_rs::WINDOWS_1252.new_decoder_without_bom_handling(),
            out: Vec::new(),
            at: 0,
            ended: false,
        };
        let mut out = Vec::new();
        let mut byte = [0u8; 1];
        while reader.read(&mut byte).unwrap() == 1 {
            out.push(byte[0]);
        }
        assert_eq!(String::from_utf8(out).unwrap(), "é€ù");
    }

    #[test]
    fn a_control_character_refuses_its_row_and_names_the_column() {
        let text = "numero;intitule\n1;Soudeur\tTIG\n2;Sou\0deur\n3;\"x\ny\"\n";
        let mut source = Source::from_reader(Box::new(std::io::Cursor::new(text.to_owned())), &["numero"]).unwrap();
        assert!(source.next_row().unwrap().is_ok(), "a tab is text");
        let refused = source.next_row().unwrap().unwrap_err();
        assert_eq!((refused.line, refused.column.as_str()), (3, "intitule"));
        assert!(refused.reason.contains("U+0000"), "{}", refused.reason);
        assert!(source.next_row().unwrap().is_ok(), "a line break inside quotes is allowed");
    }

    #[test]
    fn header_names_are_read_without_case_or_accents() {
        let text = "Numéro;Intitulé;Date début\nMDA-1;Soudeur;01/01/2022\n";
        let mut source =
            Source::from_reader(Box::new(std::io::Cursor::new(text.to_owned())), &["numero", "date_debut"]).unwrap();
        let row = source.next_row().unwrap().unwrap();
        assert_eq!(source.get(&row, "intitule"), "Soudeur");
        assert_eq!(source.get(&row, "date_debut"), "01/01/2022");
    }
}
