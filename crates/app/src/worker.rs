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

/// The kind of the daily job that finds overdue information requests.
pub const OVERDUE: &str = "dossier.overdue";

/// The kind of a reminder for one overdue information request (key: dossier and due date).
pub const REMINDER: &str = "dossier.reminder";

/// A job that cannot run yet for a reason that is not a failure (another process is doing the
/// same work): it goes back to the queue for after the given time, its attempt not counted.
#[derive(Debug, Clone, Copy)]
pub struct Postpone(pub chrono::Duration);

impl std::fmt::Display for Postpone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "à reprendre dans {} min", self.0.num_minutes())
    }
}

impl std::error::Error for Postpone {}

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

    /// Enqueues this hour's clean-up and today's DRF expiry and reminders; the `(kind, key)`
    /// uniqueness lets many workers try.
    pub async fn schedule_housekeeping(&self) {
        if let Err(err) = crate::payments::schedule_due(&self.ctx).await {
            tracing::warn!(error = %format!("{err:#}"), "could not schedule the payment run");
        }
        let now = self.ctx.clock.now();
        let day = domain::clock::paris_day(now).to_string();
        let hour = now.format("%Y-%m-%dT%H").to_string();
        for (kind, key) in
            [(HOUSEKEEPING, hour.as_str()), (store::drf::EXPIRY_JOB, day.as_str()), (OVERDUE, day.as_str())]
        {
            if let Err(err) = store::job::enqueue(&self.ctx.db, kind, key, &serde_json::json!({}), now).await {
                tracing::warn!(error = %err, job.kind = kind, "could not schedule a periodic job");
            }
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
            Err(ref err) if let Some(&Postpone(after)) = err.downcast_ref::<Postpone>() => {
                tracing::info!(job.id = job.id, job.kind = %job.kind, "job postponed: another process is doing it");
                store::job::postpone(&self.ctx.db, job, now + after, now).await?;
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
            store::drf::EXPIRY_JOB => self.expire_drf().await,
            OVERDUE => self.find_overdue().await,
            REMINDER => self.remind(job).await,
            crate::payments::RUN_JOB => {
                let report = crate::payments::run_job(&self.ctx, &job.key, &job.payload).await?;
                tracing::info!(summary = %report.summary(), "payment run");
                Ok(())
            }
            store::company::BANK_CHANGE_JOB => self.apply_bank_changes().await,
            store::user_token::RESET_REQUEST_JOB => self.answer_reset_request(job).await,
            other => anyhow::bail!("type de travail inconnu : {other}"),
        }
    }

    /// Records the bank account changes in force by now (SPEC Q3): the replaced accounts are
    /// retired and each change is written in the audit journal, once, whichever worker or run
    /// gets there first.
    async fn apply_bank_changes(&self) -> anyhow::Result<()> {
        let txn = store::db::write(&self.ctx.db).await?;
        let applied = store::company::apply_due_bank_changes(&txn, self.ctx.clock.now()).await?;
        txn.commit().await?;
        for (company, account) in applied {
            tracing::info!(company.id = company, bank_account.id = account.id, "bank account change in force");
        }
        Ok(())
    }

    /// Answers a forgotten-password request queued by the page: an active account with that
    /// address gets a new single-use link, unless it already received a few this hour (then the
    /// links already mailed stay valid: a new one would void them); an unknown address gets
    /// nothing. Retried after a crash, it at most mails one more link, within the same limit.
    async fn answer_reset_request(&self, job: &Job) -> anyhow::Result<()> {
        use domain::token::TokenPurpose;
        let request = store::user_token::ResetRequest::from_payload(&job.payload)
            .with_context(|| format!("demande de réinitialisation illisible (travail {})", job.id))?;
        let db = &self.ctx.db;
        let now = self.ctx.clock.now();
        let Ok(email) = domain::Email::parse(&request.email) else {
            return Ok(());
        };
        let Some(account) = store::account::find_by_email(db, &email).await?.filter(|a| a.disabled_at.is_none()) else {
            return Ok(());
        };
        let to = account.email.as_str();
        let limit = domain::mail_limit::MailLimit::default();
        // Asked in the transaction that issues the link: two workers answering requests for one
        // address take turns there, and a link whose e-mail would be dropped is never issued.
        let txn = store::db::write(db).await?;
        if !store::outbox::may_queue(&txn, to, documents::mail::kind::PASSWORD_RESET, &limit, now).await? {
            return Ok(());
        }
        let config = &self.ctx.config;
        let public_url = config.public_url();
        let token = store::user_token::issue(&txn, account.id, TokenPurpose::PasswordReset, now).await?;
        let link = format!("{public_url}/reinitialisation?jeton={}", token.plain);
        let sender = documents::mail::Sender { operator: &config.operator_name, portal_url: &public_url };
        let mail = documents::mail::password_reset(
            &sender,
            &account.display_name(),
            &link,
            TokenPurpose::PasswordReset.expires_at(now),
        )?;
        let outgoing = store::outbox::OutgoingMail {
            to: to.to_owned(),
            kind: mail.kind,
            subject: mail.subject,
            text: mail.text,
            html: mail.html,
        };
        store::outbox::enqueue(&txn, outgoing, &limit, now).await?;
        let origin = store::audit::Origin {
            ip: Some(request.ip).filter(|ip| !ip.is_empty()),
            request_id: Some(request.request_id).filter(|id| !id.is_empty()),
        };
        let entry = store::audit::Entry {
            actor: &store::audit::Actor::system("anonyme"),
            action: "password.reset_requested",
            subject: Some(("user", account.id.to_string())),
            origin: &origin,
            detail: None,
        };
        store::audit::record(&txn, entry, now).await?;
        txn.commit().await?;
        Ok(())
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

    fn system_actor() -> store::dossier::TimelineActor {
        store::dossier::TimelineActor { user_id: None, label: "système".to_owned(), staff: true }
    }

    /// C4: validated DRF past their validity become expired (their funds are released), and the
    /// company is told.
    async fn expire_drf(&self) -> anyhow::Result<()> {
        let db = &self.ctx.db;
        let today = domain::clock::paris_day(self.ctx.clock.now());
        let mut expired = 0u64;
        loop {
            let batch = store::drf::past_validity(db, today, 200).await?;
            if batch.is_empty() {
                break;
            }
            for drf in batch {
                let now = self.ctx.clock.now();
                let txn = store::db::write(db).await?;
                if store::drf::expire(&txn, drf.id, now).await? {
                    let event = store::dossier::NewEvent {
                        kind: "expired",
                        from: Some("validated"),
                        to: Some("expired"),
                        ..Default::default()
                    };
                    store::dossier::record_event(&txn, None, Some(drf.id), &Self::system_actor(), event, now).await?;
                    let news = store::notification::NewNotification {
                        kind: "drf.expired",
                        title: format!("Réservation de fonds {} expirée", drf.number),
                        body: format!(
                            "La réservation {} n’a pas été transformée en dossier avant le {} : elle a expiré et les fonds sont libérés.",
                            drf.number,
                            drf.valid_until.map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or_default()
                        ),
                        link: Some(format!("/entreprises/{}/drf/{}", drf.company_id, drf.id)),
                    };
                    self.tell(&txn, drf.company_id, drf.created_by, &news, now).await?;
                    expired += 1;
                }
                txn.commit().await?;
            }
        }
        tracing::info!(expired, "DRF expiry done");
        Ok(())
    }

    /// Rings the bell of the person who filed and of the company's administrators (and e-mails
    /// those who asked for it).
    async fn tell(
        &self,
        conn: &impl store::ConnectionTrait,
        company_id: i64,
        filed_by: Option<i64>,
        news: &store::notification::NewNotification,
        now: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<()> {
        let state = crate::serve::app_state(&self.ctx, false);
        web::pages::filing::tell_company(conn, &state, company_id, filed_by, news, now)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// Enqueues one reminder per information request past its due date (once per due date).
    async fn find_overdue(&self) -> anyhow::Result<()> {
        let now = self.ctx.clock.now();
        let today = domain::clock::paris_day(now);
        for dossier in store::dossier::overdue_information(&self.ctx.db, today).await? {
            let key = format!("{}:{}", dossier.id, dossier.info_due_on.map(|d| d.to_string()).unwrap_or_default());
            store::job::enqueue(&self.ctx.db, REMINDER, &key, &serde_json::json!({ "dossier": dossier.id }), now)
                .await?;
        }
        Ok(())
    }

    /// Reminds the company that an information request is overdue.
    async fn remind(&self, job: &Job) -> anyhow::Result<()> {
        let id: i64 = job
            .key
            .split(':')
            .next()
            .and_then(|k| k.parse().ok())
            .with_context(|| format!("clé de relance invalide : {}", job.key))?;
        let staff = domain::scope::Scope::Staff { user_id: 0, role: domain::Role::PlatformAdmin };
        let Some(dossier) = store::dossier::get(&self.ctx.db, &staff, id).await? else {
            return Ok(());
        };
        if store::dossier::status(&dossier) != domain::dossier::DossierStatus::InfoRequested {
            return Ok(());
        }
        let now = self.ctx.clock.now();
        let txn = store::db::write(&self.ctx.db).await?;
        let event = store::dossier::NewEvent { kind: "reminder", due_on: dossier.info_due_on, ..Default::default() };
        store::dossier::record_event(&txn, Some(id), None, &Self::system_actor(), event, now).await?;
        let news = store::notification::NewNotification {
            kind: "dossier.reminder",
            title: format!("Dossier {} : complément attendu", dossier.number),
            body: format!(
                "Le complément demandé sur le dossier {} était attendu avant le {}. Répondez dans l’espace formation pour que le dossier soit instruit.",
                dossier.number,
                dossier.info_due_on.map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or_default()
            ),
            link: Some(format!("/entreprises/{}/dossiers/{id}", dossier.company_id)),
        };
        self.tell(&txn, dossier.company_id, dossier.created_by, &news, now).await?;
        txn.commit().await?;
        Ok(())
    }

    async fn housekeeping(&self) -> anyhow::Result<()> {
        let now = self.ctx.clock.now();
        let policy = self.ctx.config.web(false).sessions;
        let sessions = store::session::purge_expired(&self.ctx.db, now, now - policy.idle).await?;
        let attempts = store::login_attempt::purge_before(&self.ctx.db, now - chrono::Duration::days(30)).await?;
        // Public-form windows last a minute; a day later they are long over.
        let rate_limits = store::rate_limit::purge_before(&self.ctx.db, now - chrono::Duration::days(1)).await?;
        // The addresses typed on the forgotten-password page, known or not, are kept a day.
        let reset_requests =
            store::job::purge_done(&self.ctx.db, store::user_token::RESET_REQUEST_JOB, now - chrono::Duration::days(1))
                .await?;
        tracing::info!(sessions, attempts, rate_limits, reset_requests, "housekeeping done");
        Ok(())
    }
}
