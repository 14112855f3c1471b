//! PDF rendering with typst used as a library.
//!
//! A template is a typst file under `templates/pdf/`, embedded in the binary. Data never reaches
//! a template as markup: it is serialised to JSON and offered as the virtual file `/data.json`,
//! which the template reads with `json("/data.json")`. Typst treats every string read that way as
//! plain text, so a company called `*#[x]<y>@z $\` prints as written and cannot run code.
//!
//! The world a template sees is closed: its own source and the data file, no file system, no
//! packages, the fonts bundled with typst (Libertinus Serif, New Computer Modern, DejaVu Sans Mono,
//! embedded in the binary and subset into each PDF), and a fixed `today` given by the caller, so
//! the same input gives the same document.
//!
//! Rendering is CPU work (tens of milliseconds per page, more for the first call, which parses
//! the fonts): the functions are synchronous and pure, and async callers must run them in
//! `tokio::task::spawn_blocking`, never on the runtime's threads.

use std::fmt::Write as _;
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use typst::diag::{FileError, FileResult, SourceDiagnostic, Warned};
use typst::foundations::{Bytes, Datetime, Duration, Label, Selector, Smart};
use typst::introspection::Introspector as _;
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::{LazyHash, PicoStr};
use typst::{Library, LibraryExt as _, World, WorldExt as _};
use typst_layout::PagedDocument;
use typst_pdf::PdfOptions;

/// Why a PDF could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// Nothing to render: a batch needs at least one document.
    #[error("aucun document à produire : le lot est vide")]
    EmptyBatch,
    /// One document of a batch has data that cannot be printed as it is.
    #[error("document {reference} : {problem}")]
    InvalidInput {
        /// The document's reference.
        reference: String,
        /// What is wrong, in French.
        problem: String,
    },
    /// One document of a batch runs over the pages it is allowed (a letter must fit one page).
    #[error("le document {reference} ne tient pas sur une page")]
    DoesNotFit {
        /// The document's reference.
        reference: String,
    },
    /// The data could not be serialised for the template.
    #[error("données du modèle {template} : {source}")]
    Data {
        /// The template's name.
        template: &'static str,
        /// What serde said.
        source: serde_json::Error,
    },
    /// The template failed to compile or lay out (a bug in the template, not in the data).
    #[error("modèle {template} : {message}")]
    Template {
        /// The template's name.
        template: &'static str,
        /// Typst's diagnostics, with line numbers in the template.
        message: String,
    },
    /// The laid-out document could not be written as PDF.
    #[error("export PDF du modèle {template} : {message}")]
    Export {
        /// The template's name.
        template: &'static str,
        /// Typst's diagnostics.
        message: String,
    },
}

/// A typst template embedded in the binary.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Template {
    /// Short name, for errors (`activation_letters`).
    pub(crate) name: &'static str,
    /// The typst source.
    pub(crate) source: &'static str,
}

/// A laid-out document, before PDF export.
#[derive(Debug)]
pub(crate) struct Laid {
    /// The pages and their introspection data.
    pub(crate) document: PagedDocument,
    /// Typst's warnings, formatted (an unknown font, for instance). Logged, not fatal.
    pub(crate) warnings: Vec<String>,
}

impl Laid {
    /// How many pages the document has.
    pub(crate) fn page_count(&self) -> usize {
        self.document.pages().len()
    }

    /// The page (1-based) of each element labelled `label`, in document order. Templates put a
    /// `#metadata(..) <label>` at the end of each item of a batch so that callers can check
    /// where each item ended.
    pub(crate) fn pages_of_label(&self, label: &str) -> Vec<usize> {
        let Some(label) = Label::new(PicoStr::intern(label)) else { return Vec::new() };
        let introspector = self.document.introspector();
        introspector
            .query(&Selector::Label(label))
            .iter()
            .filter_map(|element| element.location())
            .filter_map(|location| introspector.page(location))
            .map(std::num::NonZeroUsize::get)
            .collect()
    }
}

/// Lays out `template` with `data` available as `/data.json`, with `today` as the date
/// `datetime.today()` returns.
///
/// # Errors
/// [`PdfError::Data`], [`PdfError::Template`].
pub(crate) fn lay_out<T: Serialize>(template: Template, data: &T, today: NaiveDate) -> Result<Laid, PdfError> {
    let data = serde_json::to_vec(data).map_err(|source| PdfError::Data { template: template.name, source })?;
    let world = TemplateWorld::new(template, data, today)?;
    let Warned { output, warnings } = typst::compile::<PagedDocument>(&world);
    let warnings = warnings.iter().map(|w| describe(&world, w)).collect();
    let result =
        output.map_err(|errors| PdfError::Template { template: template.name, message: describe_all(&world, &errors) });
    // typst memoises layout across calls; keep what recent renders used and drop the rest, so a
    // long-running process does not grow with every batch.
    typst::comemo::evict(10);
    Ok(Laid { document: result?, warnings })
}

/// Writes a laid-out document as PDF bytes (fonts embedded, tagged PDF).
///
/// # Errors
/// [`PdfError::Export`].
pub(crate) fn export(template: Template, laid: &Laid) -> Result<Vec<u8>, PdfError> {
    let options = PdfOptions { creator: Smart::Custom(Some("espace-formation".into())), ..PdfOptions::default() };
    write(template, laid, &options)
}

/// Writes a laid-out document as PDF/A-3b, the archival profile that may carry attached files
/// (Factur-X). The template must set the document's date (`#set document(date: …)`).
///
/// # Errors
/// [`PdfError::Export`].
pub(crate) fn export_pdfa3(template: Template, laid: &Laid) -> Result<Vec<u8>, PdfError> {
    let standards = typst_pdf::PdfStandards::new(&[typst_pdf::PdfStandard::A_3b])
        .map_err(|message| PdfError::Export { template: template.name, message: format!("{message:?}") })?;
    let options =
        PdfOptions { creator: Smart::Custom(Some("espace-formation".into())), standards, ..PdfOptions::default() };
    write(template, laid, &options)
}

fn write(template: Template, laid: &Laid, options: &PdfOptions) -> Result<Vec<u8>, PdfError> {
    typst_pdf::pdf(&laid.document, options).map_err(|errors| PdfError::Export {
        template: template.name,
        message: errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" ; "),
    })
}

/// The standard library, built once.
static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

/// The fonts bundled with `typst-assets`, parsed once.
static FONTS: LazyLock<(LazyHash<FontBook>, Vec<Font>)> = LazyLock::new(|| {
    let fonts: Vec<Font> = typst_assets::fonts().flat_map(|data| Font::iter(Bytes::new(data))).collect();
    (LazyHash::new(FontBook::from_fonts(&fonts)), fonts)
});

/// The closed world one template compiles in.
struct TemplateWorld {
    main: Source,
    data_id: FileId,
    data: Bytes,
    today: Datetime,
}

impl TemplateWorld {
    fn new(template: Template, data: Vec<u8>, today: NaiveDate) -> Result<Self, PdfError> {
        let internal = |message: String| PdfError::Template { template: template.name, message };
        // Interned ids: the same two paths for every render (typst has at most 65 535 file ids
        // per process, so ids must never be made unique per call).
        let file_id = |path: &str| {
            VirtualPath::new(path)
                .map(|vpath| RootedPath::new(VirtualRoot::Project, vpath).intern())
                .map_err(|e| internal(format!("chemin virtuel {path} : {e:?}")))
        };
        let main_id = file_id("/main.typ")?;
        let data_id = file_id("/data.json")?;
        let day = |n: u32| u8::try_from(n).map_err(|_| internal(format!("date {today} hors limites")));
        let today = Datetime::from_ymd(today.year(), day(today.month())?, day(today.day())?)
            .ok_or_else(|| internal(format!("date {today} hors limites")))?;
        Ok(Self { main: Source::new(main_id, template.source.to_owned()), data_id, data: Bytes::new(data), today })
    }
}

impl World for TemplateWorld {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.0
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() { Ok(self.main.clone()) } else { Err(FileError::AccessDenied) }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            Ok(self.data.clone())
        } else if id == self.main.id() {
            Ok(Bytes::from_string(self.main.text().to_owned()))
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.1.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}

/// One diagnostic, with its line in the template when it points there.
fn describe(world: &TemplateWorld, diagnostic: &SourceDiagnostic) -> String {
    let mut out = String::new();
    let line = world.range(diagnostic.span).and_then(|range| world.main.lines().byte_to_line(range.start));
    if let Some(line) = line {
        let _ = write!(out, "ligne {} : ", line + 1);
    }
    out.push_str(&diagnostic.message);
    for hint in &diagnostic.hints {
        let _ = write!(out, " (indice : {})", hint.v);
    }
    out
}

fn describe_all(world: &TemplateWorld, diagnostics: &[SourceDiagnostic]) -> String {
    diagnostics.iter().map(|d| describe(world, d)).collect::<Vec<_>>().join(" ; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROBE: Template = Template {
        name: "probe",
        source: "#let data = json(\"/data.json\")\n#set page(width: 10cm, height: 5cm)\n#data.text\n#datetime.today().display()\n",
    };

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()
    }

    #[test]
    fn data_is_text_never_markup() {
        let text = "#panic(\"boom\") *gras* _it_ $x$ [a] @ref <l> \\ `raw` // c";
        let laid = lay_out(PROBE, &serde_json::json!({ "text": text }), today()).unwrap();
        assert!(laid.warnings.is_empty(), "{:?}", laid.warnings);
        assert_eq!(laid.page_count(), 1);
        let pdf = export(PROBE, &laid).unwrap();
        let read_back = lopdf::Document::load_mem(&pdf).unwrap().extract_text(&[1]).unwrap();
        let read_back = read_back.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(read_back.contains(text), "{read_back}");
        assert!(read_back.contains("2026-01-05"), "{read_back}");
    }

    #[test]
    fn the_world_has_no_files_and_a_fixed_day() {
        let reads_a_file = Template { name: "file", source: "#read(\"/etc/passwd\")" };
        let err = lay_out(reads_a_file, &(), today()).unwrap_err();
        assert!(matches!(err, PdfError::Template { .. }), "{err}");
        let imports = Template { name: "package", source: "#import \"@preview/example:0.1.0\": *" };
        assert!(lay_out(imports, &(), today()).is_err());
        let today_is_fixed =
            Template { name: "today", source: "#assert.eq(datetime.today(), datetime(year: 2026, month: 1, day: 5))" };
        lay_out(today_is_fixed, &(), today()).unwrap();
        let broken = Template { name: "broken", source: "\n#let x = (" };
        let err = lay_out(broken, &(), today()).unwrap_err().to_string();
        assert!(err.contains("ligne 2"), "{err}");
    }
}
