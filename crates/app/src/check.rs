//! `espace-formation check`: every document row's file is there, whole and unchanged (issue 12
//! point 6). Rows are read a page at a time, so memory stays bounded however many there are.

use anyhow::Context as _;
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
    /// Payment runs with a kept SEPA file.
    pub sepa_checked: u64,
    /// Kept SEPA files that are not right.
    pub sepa_problems: Vec<SepaProblem>,
}

/// A payment run whose kept SEPA file is not right.
#[derive(Debug, Clone)]
pub struct SepaProblem {
    /// The run.
    pub run_id: i64,
    /// Its message id (the file's name).
    pub message_id: String,
    /// The recorded SHA-256.
    pub sha256: String,
    /// The recorded size.
    pub size: i64,
    /// What is wrong.
    pub fault: Fault,
    /// The size found, when there is a file.
    pub found_size: Option<u64>,
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
        text.push_str(&format!(
            "\nFichiers SEPA conservés vérifiés : {}. Intacts : {}. Manquants ou abîmés : {}.",
            self.sepa_checked,
            self.sepa_checked.saturating_sub(u64::try_from(self.sepa_problems.len()).unwrap_or(0)),
            self.sepa_problems.len()
        ));
        for problem in &self.problems {
            text.push('\n');
            text.push_str(&problem.line());
        }
        for problem in &self.sepa_problems {
            let found = match problem.found_size {
                Some(size) if size != u64::try_from(problem.size).unwrap_or(0) => {
                    format!(" ; {size} octets au lieu de {}", problem.size)
                }
                Some(_) => " ; empreinte SHA-256 différente".to_owned(),
                None => String::new(),
            };
            text.push_str(&format!(
                "\n{} : fichier SEPA du paiement n° {} ({}.xml), fichier {}{found}",
                problem.fault.label(),
                problem.run_id,
                problem.message_id,
                problem.sha256
            ));
        }
        text
    }

    /// Whether every file checked is right.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty() && self.sepa_problems.is_empty()
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
    let files = &ctx.files;
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
            match fault_of(files, &document.sha256, document.size).await? {
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
    let mut after = 0;
    loop {
        let runs = store::payment::kept_sepa_after(&ctx.db, after, PAGE).await?;
        let Some(last) = runs.last() else { break };
        after = last.id;
        for run in runs {
            let (Some(sha256), Some(size)) = (run.sepa_sha256, run.sepa_size) else { continue };
            report.sepa_checked += 1;
            if let Some((fault, found_size)) = fault_of(files, &sha256, size).await? {
                report.sepa_problems.push(SepaProblem {
                    run_id: run.id,
                    message_id: run.message_id,
                    sha256,
                    size,
                    fault,
                    found_size,
                });
            }
        }
    }
    Ok(report)
}

/// What is wrong with the file of `sha256`, which should be `size` bytes long, and the size
/// found.
///
/// # Errors
/// When the store cannot be read (an object store that does not answer): that is no verdict on
/// the file.
pub async fn fault_of(files: &Files, sha256: &str, size: i64) -> anyhow::Result<Option<(Fault, Option<u64>)>> {
    let unreadable = || format!("stockage des documents illisible ({})", files.label());
    let expected = u64::try_from(size).unwrap_or(0);
    match files.size(sha256).await.with_context(unreadable)? {
        None => return Ok(Some((Fault::Missing, None))),
        Some(found) if found < expected => return Ok(Some((Fault::Truncated, Some(found)))),
        Some(found) if found > expected => return Ok(Some((Fault::Corrupted, Some(found)))),
        Some(_) => {}
    }
    Ok(match files.digest(sha256).await.with_context(unreadable)? {
        Some((found, found_size)) if found == sha256 && found_size == expected => None,
        Some((_, found_size)) => Some((Fault::Corrupted, Some(found_size))),
        None => Some((Fault::Missing, None)),
    })
}
