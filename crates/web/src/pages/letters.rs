//! Activation letters in the back-office: the queue, batches to prepare, download and post.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use store::activation::{Batch, LETTER_STATES, Letter, LetterFilter};

use crate::auth::Staff;
use crate::chrome::Chrome;
use crate::client::Client;
use crate::csv::Line;
use crate::error::AppError;
use crate::extract::{PageNumber, Query};
use crate::listing::{self, Pager};
use crate::notify::audit;
use crate::policy::Permission;
use crate::render;
use crate::state::AppState;

/// A letter as listed.
#[derive(Debug)]
pub struct LetterLine {
    letter: Letter,
    company: String,
    when: String,
    state: &'static str,
}

/// A batch as listed, with its progress.
#[derive(Debug)]
pub struct BatchLine {
    batch: Batch,
    created: String,
    status: &'static str,
    progress: Option<String>,
}

/// The letters page.
#[derive(Debug, Template)]
#[template(path = "gestion/courriers.html")]
pub struct LettersPage {
    chrome: Chrome,
    queued: u64,
    letters: Vec<LetterLine>,
    batches: Vec<BatchLine>,
    query: LettersQuery,
    states: [(&'static str, &'static str); 3],
    pager: Pager,
}

/// Most letters in one batch (one print run).
pub const BATCH_LIMIT: u64 = 500;

/// Batches shown: the latest ones (older batches are posted and done with).
const BATCHES_SHOWN: u64 = 20;

/// Filters and window of the letters list, kept in the URL.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct LettersQuery {
    /// A state code, or nothing for every state.
    #[serde(default)]
    statut: String,
    /// A company's id.
    #[serde(default)]
    entreprise: String,
    /// Requested from this day.
    #[serde(default)]
    du: String,
    /// Requested up to this day.
    #[serde(default)]
    au: String,
    #[serde(default)]
    page: PageNumber,
    #[serde(default)]
    par_page: String,
    #[serde(default)]
    apres: String,
}

impl LettersQuery {
    /// The filters, parsed (days are Paris days).
    ///
    /// # Errors
    /// A French 400 or 422 naming the parameter at fault.
    fn filter(&self) -> Result<LetterFilter, AppError> {
        let status = match self.statut.trim() {
            "" | "tous" => None,
            code => Some(LETTER_STATES.iter().find(|(c, _)| *c == code).map(|(c, _)| *c).ok_or_else(|| {
                AppError::invalid("statut", "L’état demandé (« statut ») n’existe pas ; choisissez-le dans la liste.")
            })?),
        };
        let (from, to) = listing::days(&self.du, &self.au)?;
        let (since, before) = listing::paris_instants(from, to);
        Ok(LetterFilter { status, company: listing::id("entreprise", &self.entreprise)?, since, before })
    }

    fn kept(&self) -> [(&'static str, &str); 4] {
        [("statut", &self.statut), ("entreprise", &self.entreprise), ("du", &self.du), ("au", &self.au)]
    }
}

/// `GET /gestion/courriers`: the count of letters waiting for a batch, the latest batches, and
/// one page of the letters, newest first, filtered; companies read for the whole page at once.
pub async fn list(
    State(state): State<AppState>,
    chrome: Chrome,
    Staff(user): Staff,
    Query(query): Query<LettersQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::Letters)?;
    let filter = query.filter()?;
    let window = listing::window(query.page, &query.par_page, &query.apres)?;
    let listed = store::activation::letters_window(&state.db, &filter, window).await?;
    let pager = Pager::new("/gestion/courriers", &query.kept(), window, &listed)
        .with_csv("/gestion/courriers.csv", &query.kept());
    let companies =
        store::company::names_unscoped(&state.db, &listed.rows.iter().map(|l| l.company_id).collect::<Vec<_>>())
            .await?;
    let letters = listed
        .rows
        .into_iter()
        .map(|letter| LetterLine {
            company: companies.get(&letter.company_id).cloned().unwrap_or_default(),
            when: documents::fr::date_time(letter.created_at),
            state: store::activation::letter_state_label(&letter.status),
            letter,
        })
        .collect();
    // The progress of the batches being prepared, in one statement.
    let batches = store::activation::batches(&state.db, BATCHES_SHOWN).await?;
    let preparing: Vec<String> = batches.iter().filter(|b| b.status == "preparing").map(|b| b.id.to_string()).collect();
    let jobs = store::job::find_many(&state.db, store::activation::BATCH_JOB, &preparing).await?;
    let batches = batches
        .into_iter()
        .map(|batch| {
            let progress = (batch.status == "preparing")
                .then(|| jobs.get(&batch.id.to_string()))
                .flatten()
                .map(|job| format!("{} / {}", job.progress_done, job.progress_total.unwrap_or(batch.letter_count)));
            let status = match batch.status.as_str() {
                "preparing" => "en préparation",
                "ready" => "prêt à imprimer",
                _ => "posté",
            };
            BatchLine { created: documents::fr::date_time(batch.created_at), status, progress, batch }
        })
        .collect();
    let page = LettersPage {
        chrome,
        queued: store::activation::queued_count(&state.db).await?,
        letters,
        batches,
        query,
        states: LETTER_STATES,
        pager,
    };
    Ok(render::page(&page)?.into_response())
}

/// `GET /gestion/courriers.csv`: the filtered letters, whole, streamed as CSV.
pub async fn export(
    State(state): State<AppState>,
    Staff(user): Staff,
    Query(query): Query<LettersQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::Letters)?;
    let filter = query.filter()?;
    // The window does not apply to an export, but a malformed one is refused like on the page.
    listing::window(query.page, &query.par_page, &query.apres)?;
    let day = domain::clock::paris_day(state.now()).format("%Y-%m-%d");
    let header = crate::csv::header(&["Courrier", "Entreprise", "Motif", "Demandé le", "État", "Lot", "Posté le"]);
    Ok(crate::csv::stream(&format!("courriers-{day}.csv"), header, move |after| {
        let (state, filter) = (state.clone(), filter.clone());
        async move {
            let (rows, next) = store::activation::letters_chunk(&state.db, &filter, after).await?;
            let companies =
                store::company::names_unscoped(&state.db, &rows.iter().map(|l| l.company_id).collect::<Vec<_>>())
                    .await?;
            let mut out = String::new();
            for l in &rows {
                Line::new()
                    .int(l.id)
                    .text(companies.get(&l.company_id).map_or("", String::as_str))
                    .text(if l.reason == "advisor" { "demande du conseiller" } else { "demande de rattachement" })
                    .day(Some(domain::clock::paris_day(l.created_at)))
                    .text(store::activation::letter_state_label(&l.status))
                    .text(&l.batch_id.map(|b| b.to_string()).unwrap_or_default())
                    .day(l.posted_at.map(domain::clock::paris_day))
                    .end(&mut out);
            }
            Ok((out, next))
        }
    }))
}

/// `POST /gestion/courriers/lots`
pub async fn prepare(State(state): State<AppState>, client: Client, Staff(user): Staff) -> Result<Response, AppError> {
    user.require(Permission::Letters)?;
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    let Some(batch) = store::activation::create_batch(&txn, user.account.id, BATCH_LIMIT, now).await? else {
        txn.rollback().await?;
        return Err(AppError::Conflict { code: "no_letter", message: "Aucun courrier n’est en attente.".into() });
    };
    audit(&txn, &user.actor(), "letters.batch_created", Some(("letter_batch", batch.to_string())), &client, now)
        .await?;
    txn.commit().await?;
    Ok(Redirect::to("/gestion/courriers?notice=lot-prepare").into_response())
}

/// `GET /gestion/courriers/lots/{id}/courriers.pdf`
pub async fn download(
    State(state): State<AppState>,
    client: Client,
    Staff(user): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    user.require(Permission::Letters)?;
    let batch = store::activation::batch(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let Some(pdf) = batch.pdf else {
        return Err(AppError::Conflict {
            code: "batch_not_ready",
            message: if batch.status == "posted" {
                "Ce lot a été posté : son fichier a été effacé pour que les codes n’existent plus que sur papier."
                    .into()
            } else {
                "Ce lot est encore en préparation ; réessayez dans quelques instants.".into()
            },
        });
    };
    let now = state.now();
    audit(&state.db, &user.actor(), "letters.batch_downloaded", Some(("letter_batch", id.to_string())), &client, now)
        .await?;
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"codes-activation-lot-{id}.pdf\""))
        .map_err(AppError::internal)?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/pdf")),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        pdf,
    )
        .into_response())
}

/// `POST /gestion/courriers/lots/{id}/poste`
pub async fn posted(
    State(state): State<AppState>,
    client: Client,
    Staff(user): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    user.require(Permission::Letters)?;
    store::activation::batch(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    if !store::activation::mark_posted(&txn, id, user.account.id, now).await? {
        txn.rollback().await?;
        return Err(AppError::Conflict {
            code: "batch_not_ready",
            message: "Seul un lot prêt à imprimer peut être marqué comme posté.".into(),
        });
    }
    audit(&txn, &user.actor(), "letters.batch_posted", Some(("letter_batch", id.to_string())), &client, now).await?;
    txn.commit().await?;
    Ok(Redirect::to("/gestion/courriers?notice=lot-poste").into_response())
}
