//! Activation letters in the back-office: the queue, batches to prepare, download and post.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use store::activation::{Batch, Letter};

use crate::auth::Staff;
use crate::chrome::Chrome;
use crate::client::Client;
use crate::error::AppError;
use crate::notify::audit;
use crate::policy::Permission;
use crate::render;
use crate::state::AppState;

/// A queued letter as listed.
#[derive(Debug)]
pub struct QueuedLine {
    letter: Letter,
    company: String,
    when: String,
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
    queued: Vec<QueuedLine>,
    batches: Vec<BatchLine>,
}

/// Most letters in one batch (one print run).
pub const BATCH_LIMIT: u64 = 500;

/// `GET /gestion/courriers`
pub async fn list(State(state): State<AppState>, chrome: Chrome, Staff(user): Staff) -> Result<Response, AppError> {
    user.require(Permission::Letters)?;
    let mut queued = Vec::new();
    for letter in store::activation::queued_letters(&state.db).await? {
        let company =
            store::company::get_unscoped(&state.db, letter.company_id).await?.map(|c| c.name).unwrap_or_default();
        queued.push(QueuedLine { when: documents::fr::date_time(letter.created_at), company, letter });
    }
    let mut batches = Vec::new();
    for batch in store::activation::batches(&state.db, 20).await? {
        let progress = if batch.status == "preparing" {
            store::job::find(&state.db, store::activation::BATCH_JOB, &batch.id.to_string())
                .await?
                .map(|job| format!("{} / {}", job.progress_done, job.progress_total.unwrap_or(batch.letter_count)))
        } else {
            None
        };
        let status = match batch.status.as_str() {
            "preparing" => "en préparation",
            "ready" => "prêt à imprimer",
            _ => "posté",
        };
        batches.push(BatchLine { created: documents::fr::date_time(batch.created_at), status, progress, batch });
    }
    Ok(render::page(&LettersPage { chrome, queued, batches })?.into_response())
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
