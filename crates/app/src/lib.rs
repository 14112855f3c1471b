//! The espace-formation program: configuration, command line, start-up, the worker and the
//! mailer. `main.rs` only parses the command line and calls [`cli::run`].

pub mod admin;
pub mod backup;
pub mod check;
pub mod cli;
pub mod config;
pub mod demo;
pub mod import;
pub mod mailer;
pub mod payments;
pub mod proformas;
pub mod progress;
pub mod scale;
pub mod serve;
pub mod worker;

use std::sync::Arc;

use anyhow::Context as _;
use domain::clock::{Clock, SystemClock};
use store::Db;

use crate::config::Config;

/// What every command needs once started: the configuration, the database and the clock.
#[derive(Clone, Debug)]
pub struct Context {
    /// The validated configuration.
    pub config: Arc<Config>,
    /// The database, migrated.
    pub db: Db,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// The scheme catalogue and rule calendar.
    pub rules: Arc<domain::rules::RuleCalendar>,
    /// Where documents are stored (the data directory or an object store).
    pub files: store::document::Files,
}

impl Context {
    /// Opens the database named by the configuration and applies pending migrations, printing
    /// each one applied.
    ///
    /// # Errors
    /// When the data directory cannot be created, the database cannot be reached or a migration
    /// fails.
    pub async fn open(config: Config) -> anyhow::Result<Self> {
        // Checked before anything is opened, so that a bad rules file stops the start at once.
        config.rules()?;
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("impossible de créer le répertoire de données {}", config.data_dir.display()))?;
        let db = connect_waiting(&config)
            .await
            .with_context(|| format!("impossible d’ouvrir la base de données ({})", config.database_label()))?;
        // Processes started together on a new database take turns to migrate it and to copy the
        // help centre into it; the later ones find both done.
        let exclusive = store::lock::acquire(&db, store::STARTUP_LOCK)
            .await
            .context("verrou de démarrage de la base de données (répertoire de données en lecture seule ?)")?;
        let applied = store::migrate_holding_lock(&db).await.context("échec d’une migration de la base de données")?;
        for name in &applied {
            tracing::info!(migration = %name, "migration applied");
        }
        let seeded = seed_help(&db).await;
        exclusive.release().await;
        seeded?;
        // A database or a directory that answers reads but refuses writes (read-only, full) would
        // serve pages and fail every form: refuse to start instead (SPEC Q4).
        store::db::probe_write(&db).await.with_context(|| {
            format!(
                "la base de données ({}) refuse l’écriture : fichier ou répertoire en lecture seule, ou disque plein ?",
                config.database_label()
            )
        })?;
        check_writable(&config.data_dir)?;
        let rules = Arc::new(config.rules()?);
        let clock: Arc<dyn Clock> = match config.start_instant()? {
            Some(at) => {
                tracing::warn!(now = %at, "portal clock set by ESPACE_NOW");
                Arc::new(domain::clock::ShiftedClock::starting_at(at))
            }
            None => Arc::new(SystemClock),
        };
        let files = config.files()?;
        Ok(Self { config: Arc::new(config), db, clock, rules, files })
    }
}

/// Fails unless a file can be created, written and synced in `dir` (documents and e-mails go
/// there).
fn check_writable(dir: &std::path::Path) -> anyhow::Result<()> {
    use std::io::Write as _;
    let probe = dir.join(".ecriture-possible");
    let written = std::fs::File::create(&probe).and_then(|mut file| {
        file.write_all(b"ok")?;
        file.sync_all()
    });
    let _ = std::fs::remove_file(&probe);
    written.with_context(|| {
        format!("le répertoire de données {} refuse l’écriture (lecture seule ou disque plein ?)", dir.display())
    })
}

/// Opens the database, waiting for it while it cannot serve yet (a server starting with its
/// database, a restart) up to `database_wait_secs`, with each new try in the log; an error that
/// waiting cannot cure (a wrong URL, a refused password) stops at once.
async fn connect_waiting(config: &Config) -> Result<Db, store::DbErr> {
    let url = config.database_url();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(config.database_wait_secs);
    let mut pause = std::time::Duration::from_millis(500);
    let mut attempt = 1_u32;
    loop {
        match store::db::connect(&url).await {
            Ok(db) => return Ok(db),
            Err(err) if store::db::is_unavailable(&err) && std::time::Instant::now() + pause < deadline => {
                let left = deadline.saturating_duration_since(std::time::Instant::now()).as_secs();
                tracing::warn!(
                    attempt,
                    error = %err,
                    "base de données injoignable ({}) : nouvel essai dans {} ms, abandon dans {left} s",
                    config.database_label(),
                    pause.as_millis()
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(5));
                attempt += 1;
            }
            Err(err) => return Err(err),
        }
    }
}

/// Copies the shipped FAQ into the database at the first start (SPEC I2); later starts leave the
/// operator's edits alone.
async fn seed_help(db: &Db) -> anyhow::Result<()> {
    let mut entries = Vec::with_capacity(web::help_content::FAQ.len());
    for (file, text) in web::help_content::FAQ {
        let slug = domain::help::slug_from_file_name(file).map_err(|e| anyhow::anyhow!("{e}"))?;
        entries.push(domain::help::parse_entry(slug, text).map_err(|e| anyhow::anyhow!("{e}"))?);
    }
    let added = match store::help::seed_if_empty(db, &entries, chrono::Utc::now()).await {
        Ok(added) => added,
        // Another process (a worker started with the server) seeded it at the same time.
        Err(err) if store::db::is_unique_violation(&err) => 0,
        Err(err) => return Err(err.into()),
    };
    if added > 0 {
        tracing::info!(entries = added, "help centre seeded");
    }
    Ok(())
}
