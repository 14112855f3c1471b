//! `espace-formation check`: every document row's file is there, whole and unchanged (issue 12
//! point 6). Rows are read a page at a time, so memory stays bounded however many there are.

use std::path::Path;

use store::document::{Document, Files, Kind};

use crate::Context;
use crate::progress::Progress;

/// Rows read per query.
const PAGE: u64 = 500;

/// What is wrong with a document's file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// No file.
    Missing,
    /// Shorter than the row says: cut during a copy, a full disk.
    Truncated,
    /// Another size or another hash: the bytes are not the ones uploaded.
    Corrupted,
}

impl Fault {
    fn label(self) -> &'static str {
        match self {
            Fault::Missing => "manquant",
            Fault::Truncated => "tronqué",
            Fault::Corrupted => "altéré",
        }
    }
}

/// A document whose file is not right.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The row.
    pub document: Document,
    /// What is wrong.
    pub fault: Fault,
    /// The company's name, when it could be read.
    pub company_name: Option<String>,
    /// The file's size found, when there is a file.
    pub found_size: Option<u64>,
}

/// What `check` found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Rows read.
    pub checked: u64,
    /// Rows whose file is right.
    pub intact: u64,
    /// The others.
    pub problems: Vec<Problem>,
}

impl Report {
    fn count(&self, fault: Fault) -> usize {
        self.problems.iter().filter(|p| p.fault == fault).count()
    }

    /// The report in French, one line per problem after the counts.
    #[must_use]
    pub fn human(&self) -> String {
        let mut text = format!(
            "Documents vérifiés : {}. Intacts : {}. Manquants : {}. Tronqués : {}. Altérés : {}.",
            self.checked,
            self.intact,
            self.count(Fault::Missing),
            self.count(Fault::Truncated),
            self.count(Fault::Corrupted),
        );
        for problem in &self.problems {
            text.push('\n');
            text.push_str(&problem.line());
        }
        text
    }
}

impl Problem {
    fn line(&self) -> String {
        let d = &self.document;
        let kind = Kind::from_code(&d.kind).map_or_else(|| d.kind.clone(), |k| k.label().to_owned());
        let company = match &self.company_name {
            Some(name) => format!("entreprise n° {} ({name})", d.company_id),
            None => format!("entreprise n° {}", d.company_id),
        };
        let found = match self.found_size {
            Some(size) if size != u64::try_from(d.size).unwrap_or(0) => {
                format!(" ; {size} octets au lieu de {}", d.size)
            }
            Some(_) => " ; empreinte SHA-256 différente".to_owned(),
            None => String::new(),
        };
        format!(
            "{} : document n° {}, {company}, {kind}, « {} », fichier {}{found}",
            self.fault.label(),
            d.id,
            d.file_name,
            d.sha256
        )
    }
}

/// Checks every document row against its file, printing progress on standard error for long
/// runs.
///
/// # Errors
/// The database's error.
pub async fn run(ctx: &Context) -> anyhow::Result<Report> {
    let files = Files::new(ctx.config.data_dir.join("documents"));
    let total = store::document::count(&ctx.db).await?;
    let mut report = Report::default();
    let mut progress = Progress::new("documents vérifiés", total);
    let mut after = 0;
    loop {
        let page = store::document::page_after(&ctx.db, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for document in page {
            report.checked += 1;
            match fault_of(&files, &document) {
                None => report.intact += 1,
                Some((fault, found_size)) => {
                    let company_name =
                        store::company::get_unscoped(&ctx.db, document.company_id).await.ok().flatten().map(|c| c.name);
                    report.problems.push(Problem { document, fault, company_name, found_size });
                }
            }
            progress.tick(report.checked);
        }
    }
    progress.done(report.checked);
    Ok(report)
}

/// What is wrong with the file of `document`, and the size found.
fn fault_of(files: &Files, document: &Document) -> Option<(Fault, Option<u64>)> {
    let Some(path) = files.path(&document.sha256) else {
        return Some((Fault::Missing, None));
    };
    let expected = u64::try_from(document.size).unwrap_or(0);
    match std::fs::metadata(&path) {
        Err(_) => return Some((Fault::Missing, None)),
        Ok(meta) if meta.len() < expected => return Some((Fault::Truncated, Some(meta.len()))),
        Ok(meta) if meta.len() > expected => return Some((Fault::Corrupted, Some(meta.len()))),
        Ok(_) => {}
    }
    match store::document::file_digest(Path::new(&path)) {
        Ok((sha256, size)) if sha256 == document.sha256 && size == expected => None,
        Ok((_, size)) => Some((Fault::Corrupted, Some(size))),
        Err(_) => Some((Fault::Missing, None)),
    }
}
