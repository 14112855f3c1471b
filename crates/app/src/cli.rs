//! The command line.

use std::io::BufRead as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::Context;
use crate::config::{Config, LogFormat, Overrides};
use crate::serve::ServeOptions;
use crate::worker::Worker;

/// Espace formation: the training-funding portal of a skills operator.
#[derive(Debug, Parser)]
#[command(name = "espace-formation", version, about)]
pub struct Cli {
    /// Data directory (SQLite file, e-mail outbox); default ./data.
    #[arg(long, global = true, env = "ESPACE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Configuration file; default ./espace-formation.toml when present.
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the portal (web server and, unless --no-worker, a worker).
    Serve {
        /// Address and port to listen on.
        #[arg(long, env = "ESPACE_ADDR")]
        addr: Option<SocketAddr>,
        /// Seed demonstration accounts when the database is empty and print their logins.
        #[arg(long)]
        demo: bool,
        /// Do not run a worker in this process (run `espace-formation worker` beside it).
        #[arg(long)]
        no_worker: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Run background jobs (e-mails, clean-up).
    Worker {
        /// Run the jobs that are due, then exit.
        #[arg(long)]
        once: bool,
    },
    /// Seed demonstration accounts into an empty database and exit.
    Demo {
        /// Also add this many generated dossiers over a hundredth as many companies (benchmarks,
        /// lists at size); a second run adds only what is missing.
        #[arg(long, value_name = "DOSSIERS")]
        scale: Option<u64>,
    },
    /// Verify that every document's file is there, whole and unchanged; exits non-zero otherwise.
    Check,
    /// Back up the database, then the documents it names, into a new directory (see
    /// docs/OPERATIONS.md).
    Backup {
        /// The backup directory (absent or empty).
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a backup into an empty data directory (and, on PostgreSQL, an empty database).
    Restore {
        /// The backup directory (made by `backup --out`).
        dir: PathBuf,
    },
    /// Administration.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Scheme catalogue and rule calendar.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Import data from files (see docs/IMPORTS.md).
    #[command(subcommand)]
    Import(ImportCommand),
    /// Proforma invoices.
    #[command(subcommand)]
    Proforma(ProformaCommand),
    /// Payment runs: SEPA transfers of approved invoices.
    #[command(subcommand)]
    Payments(PaymentsCommand),
}

/// Payment commands.
#[derive(Debug, Subcommand)]
pub enum PaymentsCommand {
    /// Performs the run due at a date (default: now); the same slot again does nothing.
    Run {
        /// The instant (RFC 3339, e.g. 2026-03-31T06:30:00+02:00); the latest slot at or before
        /// it is run.
        #[arg(long)]
        at: Option<String>,
        /// For tests: stops the process abruptly at this step of the run (refused in
        /// production).
        #[arg(long, hide = true)]
        crash_at: Option<String>,
    },
    /// One line per run, its id first, newest first.
    List,
    /// Writes a run's SEPA file (pain.001.001.09).
    Export {
        /// The run's id (first column of `payments list`).
        run: i64,
        /// Where to write the XML.
        #[arg(long)]
        out: PathBuf,
    },
    /// Imports the bank's returns (camt.054 or CSV, see docs/bank-returns.md).
    Returns {
        /// The file.
        file: PathBuf,
    },
}

/// Proforma commands.
#[derive(Debug, Subcommand)]
pub enum ProformaCommand {
    /// One line per proforma, its number first, newest first.
    List,
    /// Writes a proforma's PDF.
    Export {
        /// Its number (`PF-2026-000001`).
        number: String,
        /// Where to write the PDF.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Rules commands.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Check a rules file (TOML) and print its schemes.
    Check {
        /// The file.
        file: PathBuf,
    },
}

/// Imports.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// The directory of companies and establishments (CSV).
    Companies {
        /// The CSV file.
        file: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The legacy portal's dossier history (CSV).
    LegacyDossiers {
        /// The CSV file.
        file: PathBuf,
        /// Create the companies and establishments the portal does not know yet.
        #[arg(long)]
        create_companies: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The legacy portal's accounts, attachments and habilitations (CSV).
    LegacyAccounts {
        /// The CSV file.
        file: PathBuf,
        /// Create the companies and establishments the portal does not know yet.
        #[arg(long)]
        create_companies: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Administration commands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an operator staff account; the password is read from standard input.
    CreateStaff {
        /// The person's e-mail address.
        #[arg(long)]
        email: String,
        /// advisor, case-manager or platform-admin.
        #[arg(long)]
        role: String,
        /// First name (default: the part of the address before @).
        #[arg(long)]
        given_name: Option<String>,
        /// Last name.
        #[arg(long)]
        family_name: Option<String>,
    },
}

/// Runs a parsed command line.
///
/// # Errors
/// Whatever the command fails with, as a French message.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let addr = match &cli.command {
        Command::Serve { addr, .. } => *addr,
        _ => None,
    };
    if let Command::Rules(RulesCommand::Check { file }) = &cli.command {
        let rules = crate::config::load_rules(file)?;
        println!("{} : règles de la campagne {} valides.", file.display(), rules.campaign);
        for scheme in &rules.schemes {
            println!("  {:<8} {} ({})", scheme.code, scheme.label, scheme.payer.code());
        }
        return Ok(());
    }
    let config = Config::load(cli.config.as_deref(), &Overrides { data_dir: cli.data_dir.clone(), addr })?;
    init_logs(config.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("démarrage impossible")?;
    runtime.block_on(execute(cli.command, config))
}

async fn execute(command: Command, config: Config) -> anyhow::Result<()> {
    if matches!(command, Command::Migrate) {
        println!("Base de données : {}", config.database_label());
    }
    match &command {
        Command::Backup { out } => return backup(&config, out).await,
        Command::Restore { dir } => return restore(&config, dir).await,
        _ => {}
    }
    let ctx = Context::open(config).await?;
    match command {
        Command::Serve { demo, no_worker, .. } => crate::serve::serve(ctx, ServeOptions { demo, no_worker }).await,
        Command::Migrate => {
            println!("Migrations à jour.");
            Ok(())
        }
        Command::Worker { once: true } => {
            let tally = Worker::new(ctx)?.drain().await?;
            println!("{} travail(s) exécuté(s), {} en échec.", tally.done, tally.failed);
            Ok(())
        }
        Command::Worker { once: false } => {
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let worker = Worker::new(ctx)?;
            let handle = tokio::spawn(async move { worker.run(stopped).await });
            println!("Travailleur démarré. Arrêt : Ctrl-C");
            crate::serve::shutdown_signal().await;
            let _ = stop.send(true);
            handle.await.context("le travailleur s’est arrêté anormalement")?
        }
        Command::Demo { scale: None } => crate::demo::seed_if_empty(&ctx).await.map(|_| ()),
        Command::Demo { scale: Some(dossiers) } => crate::scale::seed(&ctx, dossiers).await,
        Command::Rules(_) | Command::Backup { .. } | Command::Restore { .. } => Ok(()),
        Command::Check => check(&ctx).await,
        Command::Proforma(ProformaCommand::List) => {
            for line in crate::proformas::list(&ctx).await? {
                println!("{line}");
            }
            Ok(())
        }
        Command::Proforma(ProformaCommand::Export { number, out }) => {
            let size = crate::proformas::export(&ctx, &number, &out).await?;
            eprintln!("{} écrite dans {} ({size} octets).", number.trim(), out.display());
            Ok(())
        }
        Command::Payments(command) => payments_command(&ctx, command).await,
        Command::Import(ImportCommand::Companies { file, json }) => {
            let report = crate::import::companies::run(&ctx, &file).await?;
            print_report(&report, json)
        }
        Command::Import(ImportCommand::LegacyDossiers { file, create_companies, json }) => {
            let options = crate::import::legacy_dossiers::Options { create_companies };
            let report = crate::import::legacy_dossiers::run(&ctx, &file, options).await?;
            print_report(&report, json)
        }
        Command::Import(ImportCommand::LegacyAccounts { file, create_companies, json }) => {
            let options = crate::import::legacy_accounts::Options { create_companies };
            let report = crate::import::legacy_accounts::run(&ctx, &file, options).await?;
            print_report(&report, json)
        }
        Command::Admin(AdminCommand::CreateStaff { email, role, given_name, family_name }) => {
            eprintln!("Mot de passe du compte (une ligne sur l’entrée standard) :");
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password).context("lecture du mot de passe impossible")?;
            let id = crate::admin::create_staff(
                &ctx,
                &email,
                &role,
                &password,
                given_name.as_deref(),
                family_name.as_deref(),
            )
            .await?;
            println!("Compte d’équipe n° {id} créé pour {email}.");
            Ok(())
        }
    }
}

async fn payments_command(ctx: &Context, command: PaymentsCommand) -> anyhow::Result<()> {
    match command {
        PaymentsCommand::Run { at, crash_at } => {
            let at = match at {
                Some(text) => chrono::DateTime::parse_from_rfc3339(text.trim())
                    .map(|d| d.with_timezone(&chrono::Utc))
                    .with_context(|| format!("--at « {text} » n’est pas une date et heure RFC 3339 (par exemple 2026-03-31T06:30:00+02:00)"))?,
                None => ctx.clock.now(),
            };
            // Tests kill the process at a named step to prove that a restart never pays twice.
            if crash_at.is_some() && ctx.config.environment == crate::config::Environment::Production {
                anyhow::bail!("--crash-at est refusé en production");
            }
            let stop = move |step: &str| {
                if crash_at.as_deref() == Some(step) {
                    eprintln!("arrêt brutal simulé à l’étape « {step} »");
                    std::process::abort();
                }
                false
            };
            let progress = |done: u64, total: u64| eprintln!("virements enregistrés : {done}/{total}");
            let hooks = crate::payments::Hooks { progress: &progress, stop: &stop };
            let report = crate::payments::run_due(ctx, at, &hooks).await?;
            // Another process preparing the run is not a failure of this command (exit 0).
            println!("{}", report.summary());
            Ok(())
        }
        PaymentsCommand::List => {
            for line in crate::payments::list(ctx).await? {
                println!("{line}");
            }
            Ok(())
        }
        PaymentsCommand::Export { run, out } => {
            let size = crate::payments::export(ctx, run, &out).await?;
            eprintln!("{} écrit ({size} octets)", out.display());
            Ok(())
        }
        PaymentsCommand::Returns { file } => {
            let bytes = std::fs::read(&file).with_context(|| format!("lecture de {} impossible", file.display()))?;
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let report = web::pages::payments::apply_returns(&ctx.db, &bytes, &name, None, ctx.clock.now())
                .await
                // The operator at the console sees the database's own error as the cause.
                .map_err(anyhow::Error::new)?;
            println!("{}", report.summary());
            Ok(())
        }
    }
}

/// Backs up, then says what was written and how long it took.
async fn backup(config: &Config, out: &std::path::Path) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let manifest = crate::backup::backup(config, out).await?;
    println!(
        "Sauvegarde écrite dans {} en {} ms : {}.",
        out.display(),
        started.elapsed().as_millis(),
        manifest.summary()
    );
    Ok(())
}

/// Restores, then says what was restored.
async fn restore(config: &Config, dir: &std::path::Path) -> anyhow::Result<()> {
    let manifest = crate::backup::restore(config, dir).await?;
    println!(
        "Sauvegarde du {} restaurée dans {} : {}.",
        manifest.created_at,
        config.data_dir.display(),
        manifest.summary()
    );
    Ok(())
}

/// Prints the report of `check`; fails (non-zero exit) when a document's file is not right.
async fn check(ctx: &Context) -> anyhow::Result<()> {
    let report = crate::check::run(ctx).await?;
    println!("{}", report.human());
    if !report.is_clean() {
        let sepa = match report.sepa_problems.len() {
            0 => String::new(),
            n => format!(" et {n} fichier(s) SEPA conservé(s)"),
        };
        anyhow::bail!(
            "{} document(s){sepa} manquant(s) ou abîmé(s) : restaurez leurs fichiers depuis une sauvegarde \
             (docs/OPERATIONS.md)",
            report.problems.len()
        );
    }
    Ok(())
}

/// Prints the report; fails (non-zero exit) when not a row of the file is in the portal.
fn print_report(report: &crate::import::Report, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        println!("{}", report.human());
    }
    if report.nothing_imported() {
        anyhow::bail!(report.nothing_imported_message());
    }
    Ok(())
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ESPACE_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,tower_http=info")
    });
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
