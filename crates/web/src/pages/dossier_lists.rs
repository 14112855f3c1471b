//! What the dossier lists share (the company's list and the case managers' queue): the filters
//! read from the address, one line of the CSV export, and the export's chunks, each read with a
//! fixed number of statements whatever its length (dossiers, then their shown statuses, trainees
//! and companies in one statement each).

use std::collections::HashMap;

use domain::Money;
use domain::dossier::DossierStatus;
use serde::Deserialize;
use store::dossier::{Dossier, DossierFilter, Trainee};
use store::listing::Window;

use crate::csv::Line;
use crate::error::AppError;
use crate::extract::PageNumber;
use crate::listing;
use crate::pages::filing::shown_statuses;
use crate::state::AppState;

/// The address of a dossier list: filters and window.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct DossierQuery {
    /// A status code, `tous`, or nothing.
    #[serde(default)]
    pub statut: Option<String>,
    #[serde(default)]
    pub dispositif: String,
    #[serde(default)]
    pub etablissement: String,
    /// Training starting from this day.
    #[serde(default)]
    pub du: String,
    /// Training starting up to this day.
    #[serde(default)]
    pub au: String,
    /// Number or title.
    #[serde(default)]
    pub q: String,
    /// Trainee name.
    #[serde(default)]
    pub stagiaire: String,
    #[serde(default)]
    pub page: PageNumber,
    #[serde(default)]
    pub par_page: String,
    #[serde(default)]
    pub apres: String,
}

impl DossierQuery {
    /// The status filter: `default` when the address does not name one, none for `tous`.
    ///
    /// # Errors
    /// A 422 naming `statut` for a code no dossier has.
    pub fn status(&self, default: Option<DossierStatus>) -> Result<Option<DossierStatus>, AppError> {
        match self.statut.as_deref().map(str::trim) {
            None => Ok(default),
            Some("" | "tous") => Ok(None),
            Some(code) => DossierStatus::from_code(code).map(Some).ok_or_else(|| {
                AppError::invalid("statut", "L’état demandé (« statut ») n’existe pas ; choisissez-le dans la liste.")
            }),
        }
    }

    /// The filters, parsed.
    ///
    /// # Errors
    /// A French 400 or 422 naming the parameter at fault.
    pub fn filter(&self, default_status: Option<DossierStatus>) -> Result<DossierFilter, AppError> {
        let (from, to) = listing::days(&self.du, &self.au)?;
        Ok(DossierFilter {
            status: self.status(default_status)?,
            scheme: Some(self.dispositif.trim().to_owned()).filter(|s| !s.is_empty()),
            establishment: listing::id("etablissement", &self.etablissement)?,
            from,
            to,
            text: Some(self.q.trim().to_owned()).filter(|s| !s.is_empty()),
            trainee: Some(self.stagiaire.trim().to_owned()).filter(|s| !s.is_empty()),
        })
    }

    /// The window asked for.
    ///
    /// # Errors
    /// As [`listing::window`].
    pub fn window(&self) -> Result<Window, AppError> {
        listing::window(self.page, &self.par_page, &self.apres)
    }

    /// The filters as they go back into links (pager, export), `statut` as shown.
    #[must_use]
    pub fn kept<'a>(&'a self, statut: &'a str) -> [(&'static str, &'a str); 7] {
        [
            ("statut", statut),
            ("dispositif", &self.dispositif),
            ("etablissement", &self.etablissement),
            ("du", &self.du),
            ("au", &self.au),
            ("q", &self.q),
            ("stagiaire", &self.stagiaire),
        ]
    }
}

/// The columns of a dossier export.
#[must_use]
pub fn csv_header(with_company: bool) -> String {
    let mut columns = vec!["Numéro"];
    if with_company {
        columns.push("Entreprise");
    }
    columns.extend([
        "Dispositif",
        "Intitulé",
        "Stagiaires",
        "Début de formation",
        "Fin de formation",
        "Heures",
        "Coût",
        "Demandé",
        "Engagé",
        "État",
        "Déposé le",
    ]);
    crate::csv::header(&columns)
}

/// One dossier as a CSV line.
pub fn csv_line(
    out: &mut String,
    dossier: &Dossier,
    company: Option<&str>,
    status: DossierStatus,
    trainees: &[Trainee],
) {
    let mut line = Line::new().text(&dossier.number);
    if let Some(company) = company {
        line = line.text(company);
    }
    let names = trainees
        .iter()
        .map(|t| format!("{} {}", t.given_name, t.family_name).trim().to_owned())
        .collect::<Vec<_>>()
        .join(", ");
    line.text(&dossier.scheme)
        .text(&dossier.title)
        .text(&names)
        .day(Some(dossier.training_start))
        .day(Some(dossier.training_end))
        .int(dossier.hours)
        .money(Some(Money::from_cents(dossier.cost_cents)))
        .money(Some(Money::from_cents(dossier.requested_cents)))
        .money(dossier.committed_cents.map(Money::from_cents))
        .text(status.label())
        .day(dossier.submitted_on)
        .end(out);
}

/// The CSV text of one chunk of dossiers: statuses, trainees and (for staff) company names
/// read in one statement each for the whole chunk.
///
/// # Errors
/// The database's.
pub async fn csv_chunk(state: &AppState, rows: &[Dossier], with_company: bool) -> Result<String, AppError> {
    let shown = shown_statuses(&state.db, rows).await?;
    let ids: Vec<i64> = rows.iter().map(|d| d.id).collect();
    let trainees = store::dossier::trainees_of(&state.db, &ids).await?;
    let companies: HashMap<i64, String> = if with_company {
        store::company::names_unscoped(&state.db, &rows.iter().map(|d| d.company_id).collect::<Vec<_>>()).await?
    } else {
        HashMap::new()
    };
    let mut out = String::new();
    for dossier in rows {
        let status = shown.get(&dossier.id).copied().unwrap_or_else(|| store::dossier::status(dossier));
        let company = with_company.then(|| companies.get(&dossier.company_id).map_or("", String::as_str));
        csv_line(&mut out, dossier, company, status, trainees.get(&dossier.id).map_or(&[], Vec::as_slice));
    }
    Ok(out)
}
