//! The worker: claims due jobs and runs them. `serve` runs one in-process; `worker` runs one
//! alone; several can run at once against PostgreSQL.

use std::time::Duration;

use anyhow::Context as _;
use store::job::Job;
use tokio::sync::watch;

use crate::Context;
use crate::mailer::Mailer;

/// How long a claimed job is reserved before another worker may take it over.
const LEASE: chrono::Duration = chrono::Duration::minutes(5);

/// The kind of the hourly clean-up job.
pub const HOUSEKEEPING: &str = "maintenance.purge";

/// A worker bound to a database and a mailer.
#[derive(Debug, Clone)]
pub struct Worker {
    ctx: Context,
    mailer: Mailer,
}

/// What a run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Jobs that completed.
    pub done: u64,
    /// Jobs that failed (and will be retried, or stopped after too many attempts).
    pub failed: u64,
}

impl Worker {
    /// A worker for `ctx`.
    ///
    /// # Errors
    /// When the mailer cannot be configured.
    pub fn new(ctx: Context) -> anyhow::Result<Self> {
        let mailer = Mailer::from_config(&ctx.config)?;
        Ok(Self { ctx, mailer })
    }

    /// Runs due jobs until none is left; returns what it did.
    ///
    /// # Errors
    /// When the database cannot be reached (a failing job is recorded, not returned).
    pub async fn drain(&self) -> anyhow::Result<Tally> {
        let mut tally = Tally::default();
        while let Some(job) = store::job::claim(&self.ctx.db, self.ctx.clock.now(), LEASE).await? {
            if self.run_one(&job).await? {
                tally.done += 1;
            } else {
                tally.failed += 1;
            }
        }
        Ok(tally)
    }

    /// Runs until `shutdown` turns true, sleeping when no job is due.
    ///
    /// # Errors
    /// Never for job failures; only when the worker itself cannot continue.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
        let idle = Duration::from_secs(self.ctx.config.worker_idle_secs.max(1));
        loop {
            self.schedule_housekeeping().await;
            match self.drain().await {
                Ok(tally) if tally.done + tally.failed > 0 => {
                    tracing::info!(done = tally.done, failed = tally.failed, "jobs processed");
                }
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(error = %format!("{err:#}"), "worker could not reach the database")
                }
            }
            tokio::select! {
                () = tokio::time::sleep(idle) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                tracing::info!("worker stopped");
                return Ok(());
            }
        }
    }

    /// Enqueues this hour's clean-up; the `(kind, key)` uniqueness lets many workers try.
    async fn schedule_housekeeping(&self) {
        let now = self.ctx.clock.now();
        let key = now.format("%Y-%m-%dT%H").to_string();
        if let Err(err) = store::job::enqueue(&self.ctx.db, HOUSEKEEPING, &key, &serde_json::json!({}), now).await {
            tracing::warn!(error = %err, "could not schedule housekeeping");
        }
    }

    /// Runs one claimed job and records the outcome; returns whether it succeeded.
    async fn run_one(&self, job: &Job) -> anyhow::Result<bool> {
        let outcome = self.execute(job).await;
        let now = self.ctx.clock.now();
        match outcome {
            Ok(()) => {
                store::job::complete(&self.ctx.db, job.id, now).await?;
                Ok(true)
            }
            Err(err) => {
                let text = format!("{err:#}");
                tracing::warn!(job.id = job.id, job.kind = %job.kind, attempt = job.attempts, error = %text, "job failed");
                store::job::fail(&self.ctx.db, job, &text, now).await?;
                Ok(false)
            }
        }
    }

    async fn execute(&self, job: &Job) -> anyhow::Result<()> {
        match job.kind.as_str() {
            store::outbox::SEND_JOB => self.send_mail(job).await,
            HOUSEKEEPING => self.housekeeping().await,
            store::activation::BATCH_JOB => self.prepare_letters(job).await,
            other => anyhow::bail!("type de travail inconnu : {other}"),
        }
    }

    async fn send_mail(&self, job: &Job) -> anyhow::Result<()> {
        let id: i64 = job.key.parse().with_context(|| format!("clé de courriel invalide : {}", job.key))?;
        let Some(message) = store::outbox::get(&self.ctx.db, id).await? else {
            anyhow::bail!("courriel {id} introuvable dans la file d’envoi");
        };
        if message.sent_at.is_some() {
            return Ok(());
        }
        if let Err(err) = self.mailer.send(&self.ctx.config.mail_from, &message).await {
            store::outbox::mark_failed(&self.ctx.db, id, &format!("{err:#}")).await?;
            return Err(err);
        }
        store::outbox::mark_sent(&self.ctx.db, id, self.ctx.clock.now()).await?;
        tracing::info!(outbox.id = id, "mail sent");
        Ok(())
    }

    /// Draws one code per letter of the batch (only their digests are stored), renders the PDF
    /// and stores it for download. Running it again after a crash draws new codes, which replace
    /// the earlier ones: nothing was printed yet.
    async fn prepare_letters(&self, job: &Job) -> anyhow::Result<()> {
        let db = &self.ctx.db;
        let batch_id: i64 = job.key.parse().with_context(|| format!("clé de lot invalide : {}", job.key))?;
        let Some(batch) = store::activation::batch(db, batch_id).await? else {
            anyhow::bail!("lot {batch_id} introuvable");
        };
        if batch.status != "preparing" {
            return Ok(());
        }
        let letters = store::activation::batch_letters(db, batch_id).await?;
        let total = i64::try_from(letters.len()).unwrap_or(i64::MAX);
        let now = self.ctx.clock.now();
        store::job::progress(db, job.id, 0, Some(total), now).await?;
        let expires_at = now + chrono::Duration::days(i64::from(self.ctx.config.activation_code_days));
        let expires_on = expires_at.with_timezone(&chrono_tz::Europe::Paris).date_naive();
        let mut printed = Vec::with_capacity(letters.len());
        let txn = store::db::write(db).await?;
        for letter in &letters {
            let Some(company) = store::company::get_unscoped(&txn, letter.company_id).await? else {
                anyhow::bail!("entreprise {} introuvable pour le courrier {}", letter.company_id, letter.id);
            };
            let requester = match letter.requested_by {
                Some(id) => store::account::get(&txn, id).await?,
                None => None,
            };
            let requester_name = match requester {
                Some(account) if account.role.is_staff() => format!("votre conseiller, {}", account.display_name()),
                Some(account) => account.display_name(),
                None => "votre conseiller".to_owned(),
            };
            let code =
                domain::activation::code_from_bits(store::secret::random_u64().context("pas d’aléa disponible")?);
            store::activation::store_code(&txn, company.id, letter.id, &store::secret::digest(&code), expires_at, now)
                .await?;
            printed.push(documents::letter::ActivationLetter {
                company_name: company.name.clone(),
                address_lines: company.address.lines(),
                siren: company.siren.formatted(),
                requester_name,
                code: domain::activation::printed(&code),
                expires_on,
                reference: format!("ACT-{batch_id}-{}", letter.id),
            });
        }
        txn.commit().await?;
        let config = &self.ctx.config;
        let sender = documents::letter::LetterSender {
            operator_name: config.operator_name.clone(),
            operator_address_lines: config.operator_address.clone(),
            portal_url: config.public_url(),
            help_contact: config.help_contact.clone(),
            city: config.operator_city.clone(),
        };
        let issued_on = now.with_timezone(&chrono_tz::Europe::Paris).date_naive();
        let pdf = tokio::task::spawn_blocking(move || {
            documents::letter::render_activation_letters(&sender, &printed, issued_on)
        })
        .await
        .context("le rendu du PDF s’est interrompu")?
        .context("rendu du PDF des courriers impossible")?;
        store::activation::batch_ready(db, batch_id, pdf, self.ctx.clock.now()).await?;
        store::job::progress(db, job.id, total, Some(total), self.ctx.clock.now()).await?;
        tracing::info!(batch.id = batch_id, letters = total, "letter batch ready");
        Ok(())
    }

    async fn housekeeping(&self) -> anyhow::Result<()> {
        let now = self.ctx.clock.now();
        let policy = self.ctx.config.web(false).sessions;
        let sessions = store::session::purge_expired(&self.ctx.db, now, now - policy.idle).await?;
        let attempts = store::login_attempt::purge_before(&self.ctx.db, now - chrono::Duration::days(30)).await?;
        tracing::info!(sessions, attempts, "housekeeping done");
        Ok(())
    }
}
