//! Configuration: defaults, then `espace-formation.toml`, then `ESPACE_*` environment variables
//! and `DATABASE_URL`, then command-line flags. Validated once at start-up with French messages;
//! secrets never appear in `Debug` output or logs.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Where the program runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// A laptop or a demonstration: `.eml` files instead of SMTP are fine.
    #[default]
    Development,
    /// Real users: HTTPS and SMTP required.
    Production,
}

/// Log output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The whole configuration. See the README's configuration reference.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Directory of the SQLite file, the mail outbox and other files.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default: `espace.db` in `data_dir`.
    pub database_url: Option<String>,
    /// Address and port to listen on.
    pub addr: SocketAddr,
    /// The address people use (`https://formation.exemple.fr`); default `http://<addr>`.
    pub public_url: Option<String>,
    /// The operator's name shown in pages, e-mails, help and documents, and the only name an
    /// invoice to the operator may be addressed to.
    pub operator_name: String,
    /// The branch fund's name, likewise (« FPE-TT » by default).
    pub fpett_name: String,
    /// `development` or `production`.
    pub environment: Environment,
    /// Force the `Secure` cookie flag; default: when `public_url` is HTTPS.
    pub secure_cookies: Option<bool>,
    /// Behind a reverse proxy: take the client address from `X-Forwarded-For`.
    pub trust_forwarded_for: bool,
    /// SMTP server (`smtp://user:pass@host:587` with STARTTLS, `smtps://…:465`); without it,
    /// e-mails are written as `.eml` files in `<data_dir>/outbox/`.
    pub smtp_url: Option<String>,
    /// The `From` of e-mails.
    pub mail_from: String,
    /// Minutes without activity before a session ends.
    pub session_idle_minutes: u32,
    /// Hours after sign-in before a session ends.
    pub session_absolute_hours: u32,
    /// Seconds before a request is answered 408.
    pub request_timeout_secs: u64,
    /// Largest request body, in kibibytes.
    pub body_limit_kib: usize,
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// Seconds the worker waits when no job is due.
    pub worker_idle_secs: u64,
    /// The operator's postal address, printed on letters and proformas (one entry per line, the
    /// last one `postal code + town`).
    pub operator_address: Vec<String>,
    /// The operator's SIREN, the buyer's legal registration on proformas' Factur-X XML.
    pub operator_siren: String,
    /// FPE-TT's SIREN, for proformas addressed to it (sent to the operator's address).
    pub fpett_siren: String,
    /// The town letters are written from (« Fait à … »).
    pub operator_city: String,
    /// Who to contact, printed on letters (a phone number or an e-mail address).
    pub help_contact: String,
    /// Days an activation code stays valid after its letter is prepared.
    pub activation_code_days: u32,
    /// The rules file of the campaign (scheme catalogue and rule calendar); default: the 2026
    /// rules built into the program (`config/rules/2026.toml`).
    pub rules_file: Option<PathBuf>,
    /// Sets the portal's clock to this instant at start-up (RFC 3339, e.g.
    /// `2026-01-10T09:00:00+01:00`); time then goes on from there. For demonstrations and
    /// acceptance tests only: refused in production.
    pub now: Option<String>,
    /// Days of the payment runs (`mardi`, `vendredi`… or English names).
    pub payment_days: Vec<String>,
    /// Local hour of the payment runs (`06:00`, Europe/Paris).
    pub payment_time: String,
    /// The account the operator pays from (SEPA debtor), its IBAN.
    pub debtor_iban: String,
    /// Its BIC, if the bank asks for it.
    pub debtor_bic: Option<String>,
    /// Its holder's name; default: `operator_name`.
    pub debtor_name: Option<String>,
    /// Hours before a new bank account of a company takes effect (SPEC Q3): its administrators
    /// and its advisor are told at once and any administrator may cancel it meanwhile.
    pub bank_change_delay_hours: u32,
    /// At start-up, how long to wait for a database that cannot serve yet (0: do not wait).
    pub database_wait_secs: u64,
    /// How long a connection may take to send a request's head before it is closed.
    pub header_read_timeout_secs: u64,
    /// After a shutdown is requested, how long requests in flight and the current job get.
    pub shutdown_grace_secs: u64,
    /// Where uploaded documents and kept SEPA files go: `s3://bucket/prefix` for an
    /// S3-compatible object store; default: `<data_dir>/documents`.
    pub documents_url: Option<String>,
    /// The object store's address (`https://s3.exemple.fr`, `http://127.0.0.1:9000`); default:
    /// AWS's own for the region.
    pub documents_endpoint: Option<String>,
    /// The object store's region.
    pub documents_region: String,
    /// The object store's access key id.
    pub documents_access_key: Option<String>,
    /// The object store's secret key.
    pub documents_secret_key: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            database_url: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            operator_name: "OPCO Démo".to_owned(),
            fpett_name: "FPE-TT".to_owned(),
            database_wait_secs: 60,
            header_read_timeout_secs: 10,
            shutdown_grace_secs: 20,
            environment: Environment::Development,
            secure_cookies: None,
            trust_forwarded_for: false,
            smtp_url: None,
            mail_from: "Espace formation <ne-pas-repondre@espace-formation.localhost>".to_owned(),
            session_idle_minutes: 120,
            session_absolute_hours: 12,
            request_timeout_secs: 30,
            body_limit_kib: 2048,
            log_format: LogFormat::Text,
            worker_idle_secs: 2,
            operator_address: vec![
                "Service relations entreprises".to_owned(),
                "1 place de la Formation".to_owned(),
                "75010 PARIS".to_owned(),
            ],
            operator_siren: "999999999".to_owned(),
            fpett_siren: "999999998".to_owned(),
            operator_city: "Paris".to_owned(),
            help_contact: "votre conseiller habituel".to_owned(),
            activation_code_days: 60,
            rules_file: None,
            now: None,
            payment_days: vec!["mardi".to_owned(), "vendredi".to_owned()],
            payment_time: "06:00".to_owned(),
            // A test account of the documentation, replaced by the real one in production.
            debtor_iban: DEMO_DEBTOR_IBAN.to_owned(),
            debtor_bic: None,
            debtor_name: None,
            bank_change_delay_hours: domain::bank::DEFAULT_DELAY_HOURS,
            documents_url: None,
            documents_endpoint: None,
            documents_region: "us-east-1".to_owned(),
            documents_access_key: None,
            documents_secret_key: None,
        }
    }
}

/// The debtor IBAN of a development configuration, refused in production.
const DEMO_DEBTOR_IBAN: &str = "FR1420041010050500013M02606";

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("database", &self.database_label())
            .field("addr", &self.addr)
            .field("public_url", &self.public_url())
            .field("operator_name", &self.operator_name)
            .field("fpett_name", &self.fpett_name)
            .field("environment", &self.environment)
            .field("smtp", &self.smtp_url.as_ref().map(|_| "***"))
            .field("documents", &self.documents_label())
            .finish_non_exhaustive()
    }
}

/// `ESPACE_` variables that are not settings of this file: the log filter (read by the logger)
/// and the test suite's switches, which a shell running both may export.
const NOT_SETTINGS: &[&str] =
    &["log", "test_postgres", "require_browser", "require_xmllint", "require_s3", "s3_server"];

/// Settings read from the environment as the raw text: the generic reader would turn a key made
/// of digits into a number (and refuse it as a string), or `1e5` into 100000.
const RAW_TEXT_SETTINGS: &[&str] = &["documents_access_key", "documents_secret_key"];

/// Overrides from the command line.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--addr`.
    pub addr: Option<SocketAddr>,
}

impl Config {
    /// Loads and validates the configuration.
    ///
    /// # Errors
    /// A French message naming the setting at fault.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Self> {
        let file = file.map_or_else(|| PathBuf::from("espace-formation.toml"), Path::to_path_buf);
        let mut figment = Figment::from(Serialized::defaults(Config::default())).merge(Toml::file(&file));
        let skipped: Vec<&str> = NOT_SETTINGS.iter().chain(RAW_TEXT_SETTINGS).copied().collect();
        figment = figment.merge(Env::prefixed("ESPACE_").ignore(&skipped));
        for key in RAW_TEXT_SETTINGS {
            if let Some(value) =
                std::env::var(format!("ESPACE_{}", key.to_ascii_uppercase())).ok().filter(|v| !v.is_empty())
            {
                figment = figment.merge(Serialized::default(key, value));
            }
        }
        if let Some(url) = std::env::var("DATABASE_URL").ok().filter(|url| !url.trim().is_empty()) {
            figment = figment.merge(Serialized::default("database_url", url));
        }
        let mut config: Config = figment.extract().map_err(|e| anyhow::anyhow!(french_figment_error(&e)))?;
        if let Some(dir) = &overrides.data_dir {
            config.data_dir.clone_from(dir);
        }
        if let Some(addr) = overrides.addr {
            config.addr = addr;
        }
        config.validate()?;
        Ok(config)
    }

    /// Checks the settings together.
    ///
    /// # Errors
    /// A French message naming the setting at fault.
    pub fn validate(&self) -> anyhow::Result<()> {
        let public = self.public_url();
        let parsed = url::Url::parse(&public)
            .with_context(|| format!("ESPACE_PUBLIC_URL « {public} » n’est pas une adresse valide"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            bail!("ESPACE_PUBLIC_URL « {public} » doit commencer par http:// ou https:// et nommer un hôte");
        }
        if parsed.path() != "/" || parsed.query().is_some() {
            bail!(
                "ESPACE_PUBLIC_URL « {public} » ne doit contenir ni chemin ni paramètres (le portail est servi à la racine)"
            );
        }
        let known_scheme =
            |url: &String| ["sqlite:", "postgres://", "postgresql://"].iter().any(|s| url.starts_with(s));
        if self.database_url.as_ref().is_some_and(|url| !known_scheme(url)) {
            bail!("DATABASE_URL doit commencer par sqlite: ou postgres:// (reçu : {})", self.database_label());
        }
        if self.operator_name.trim().is_empty() {
            bail!("ESPACE_OPERATOR_NAME ne peut pas être vide");
        }
        if self.fpett_name.trim().is_empty() {
            bail!("ESPACE_FPETT_NAME ne peut pas être vide");
        }
        if self.session_idle_minutes == 0 || self.session_absolute_hours == 0 {
            bail!("ESPACE_SESSION_IDLE_MINUTES et ESPACE_SESSION_ABSOLUTE_HOURS doivent être supérieurs à 0");
        }
        if self.activation_code_days == 0 || self.activation_code_days > 365 {
            bail!("ESPACE_ACTIVATION_CODE_DAYS doit être compris entre 1 et 365");
        }
        if self.operator_address.is_empty() || self.operator_address.len() > 5 {
            bail!("ESPACE_OPERATOR_ADDRESS doit compter de 1 à 5 lignes");
        }
        for (name, siren) in
            [("ESPACE_OPERATOR_SIREN", &self.operator_siren), ("ESPACE_FPETT_SIREN", &self.fpett_siren)]
        {
            if siren.chars().filter(|c| !c.is_whitespace()).count() != 9
                || !siren.chars().all(|c| c.is_ascii_digit() || c == ' ')
            {
                bail!("{name} doit compter 9 chiffres (reçu : « {siren} »)");
            }
        }
        if self.request_timeout_secs == 0 || self.body_limit_kib == 0 {
            bail!("ESPACE_REQUEST_TIMEOUT_SECS et ESPACE_BODY_LIMIT_KIB doivent être supérieurs à 0");
        }
        if self.mail_from.parse::<lettre::message::Mailbox>().is_err() {
            bail!("ESPACE_MAIL_FROM « {} » n’est pas une adresse d’expéditeur valide", self.mail_from);
        }
        if self.header_read_timeout_secs == 0 || self.shutdown_grace_secs == 0 {
            bail!("ESPACE_HEADER_READ_TIMEOUT_SECS et ESPACE_SHUTDOWN_GRACE_SECS doivent être supérieurs à 0");
        }
        if !(1..=720).contains(&self.bank_change_delay_hours) {
            bail!(
                "ESPACE_BANK_CHANGE_DELAY_HOURS doit être compris entre 1 et 720 heures (reçu : {})",
                self.bank_change_delay_hours
            );
        }
        self.payment_schedule()?;
        self.files()?;
        let debtor = self.debtor();
        if let Err(err) = domain::Iban::parse(&debtor.iban) {
            bail!("ESPACE_DEBTOR_IBAN : {err}");
        }
        if let Err(err) = documents::sepa::check_debtor(&debtor) {
            bail!("ESPACE_DEBTOR_* : {err}");
        }
        if self.environment == Environment::Production {
            if parsed.scheme() != "https" {
                bail!("en production, ESPACE_PUBLIC_URL doit être en https://");
            }
            if self.smtp_url.is_none() {
                bail!("en production, ESPACE_SMTP_URL est obligatoire (les e-mails ne peuvent pas rester en fichiers)");
            }
            if self.secure_cookies == Some(false) {
                bail!("en production, ESPACE_SECURE_COOKIES ne peut pas être false");
            }
            if self.now.is_some() {
                bail!("en production, ESPACE_NOW est refusé : l’horloge du portail ne peut pas être déplacée");
            }
            if domain::Iban::parse(&self.debtor_iban).is_ok_and(|i| i.as_str() == DEMO_DEBTOR_IBAN) {
                bail!(
                    "en production, ESPACE_DEBTOR_IBAN doit être le compte de l’opérateur, pas celui de démonstration"
                );
            }
        }
        Ok(())
    }

    /// When payment runs happen.
    ///
    /// # Errors
    /// A French message naming the setting.
    pub fn payment_schedule(&self) -> anyhow::Result<domain::payment::Schedule> {
        domain::payment::Schedule::parse(&self.payment_days, &self.payment_time, chrono_tz::Europe::Paris)
            .map_err(|e| anyhow::anyhow!("ESPACE_PAYMENT_DAYS / ESPACE_PAYMENT_TIME : {e}"))
    }

    /// The account payments leave from.
    #[must_use]
    pub fn debtor(&self) -> documents::sepa::Debtor {
        documents::sepa::Debtor {
            name: self.debtor_name.clone().unwrap_or_else(|| self.operator_name.clone()),
            iban: self.debtor_iban.clone(),
            bic: self.debtor_bic.clone(),
        }
    }

    /// The instant `now` names, if set.
    ///
    /// # Errors
    /// When it is not an RFC 3339 date and time.
    pub fn start_instant(&self) -> anyhow::Result<Option<chrono::DateTime<chrono::Utc>>> {
        self.now
            .as_deref()
            .map(|text| {
                chrono::DateTime::parse_from_rfc3339(text.trim())
                    .map(|at| at.with_timezone(&chrono::Utc))
                    .with_context(|| format!("ESPACE_NOW « {text} » n’est pas une date et heure RFC 3339 (par exemple 2026-01-10T09:00:00+01:00)"))
            })
            .transpose()
    }

    /// The rule calendar: the file named by `rules_file`, or the built-in 2026 rules.
    ///
    /// # Errors
    /// When the file cannot be read or its rules are not valid.
    pub fn rules(&self) -> anyhow::Result<domain::rules::RuleCalendar> {
        match &self.rules_file {
            Some(path) => load_rules(path),
            None => domain::rules::RuleCalendar::parse(BUILT_IN_RULES)
                .map_err(|e| anyhow::anyhow!("règles intégrées : {e}")),
        }
    }

    /// The database URL in use.
    #[must_use]
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| store::db::sqlite_url(&self.data_dir))
    }

    /// The database URL without its password, for messages.
    #[must_use]
    pub fn database_label(&self) -> String {
        let url = self.database_url();
        match url::Url::parse(&url) {
            Ok(mut parsed) if parsed.password().is_some() => {
                let _ = parsed.set_password(Some("***"));
                parsed.to_string()
            }
            _ => url,
        }
    }

    /// The public address, without trailing slash.
    #[must_use]
    pub fn public_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.addr)).trim_end_matches('/').to_owned()
    }

    /// The store of documents: the S3 bucket `documents_url` names, or `<data_dir>/documents`.
    /// Nothing is sent to the store here.
    ///
    /// # Errors
    /// A French message naming the setting at fault.
    pub fn files(&self) -> anyhow::Result<store::document::Files> {
        let Some(url) = self.documents_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(store::document::Files::new(self.data_dir.join("documents")));
        };
        let Some(rest) = url.strip_prefix("s3://") else {
            bail!("ESPACE_DOCUMENTS_URL « {url} » doit commencer par s3:// (s3://seau/préfixe), ou être absent");
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            bail!("ESPACE_DOCUMENTS_URL « {url} » doit nommer un seau : s3://seau/préfixe");
        }
        if let Some(endpoint) = &self.documents_endpoint {
            let parsed = url::Url::parse(endpoint)
                .with_context(|| format!("ESPACE_DOCUMENTS_ENDPOINT « {endpoint} » n’est pas une adresse valide"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                bail!("ESPACE_DOCUMENTS_ENDPOINT « {endpoint} » doit commencer par http:// ou https://");
            }
            if self.environment == Environment::Production && parsed.scheme() != "https" {
                bail!("en production, ESPACE_DOCUMENTS_ENDPOINT doit être en https://");
            }
        }
        if self.documents_access_key.is_some() != self.documents_secret_key.is_some() {
            bail!("ESPACE_DOCUMENTS_ACCESS_KEY et ESPACE_DOCUMENTS_SECRET_KEY vont ensemble : donnez les deux");
        }
        let settings = store::document::S3Settings {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
            endpoint: self.documents_endpoint.clone(),
            region: self.documents_region.clone(),
            access_key: self.documents_access_key.clone(),
            secret_key: self.documents_secret_key.clone(),
        };
        store::document::Files::s3(&settings).map_err(|e| anyhow::anyhow!("ESPACE_DOCUMENTS_* : {e}"))
    }

    /// Where documents are, for messages (no secret).
    #[must_use]
    pub fn documents_label(&self) -> String {
        self.files().map_or_else(|_| "(réglages invalides)".to_owned(), |files| files.label())
    }

    /// The directory where e-mails are written when no SMTP server is configured.
    #[must_use]
    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }

    /// The web settings derived from this configuration.
    #[must_use]
    pub fn web(&self, demo: bool) -> web::WebConfig {
        let mut web = web::WebConfig::new(&self.public_url());
        web.names = domain::identity::Names::new(&self.operator_name, &self.fpett_name);
        web.operator_address.clone_from(&self.operator_address);
        web.operator_siren = self.operator_siren.chars().filter(char::is_ascii_digit).collect();
        web.fpett_siren = self.fpett_siren.chars().filter(char::is_ascii_digit).collect();
        if let Some(secure) = self.secure_cookies {
            web.secure_cookies = secure;
        }
        web.trust_forwarded_for = self.trust_forwarded_for;
        web.request_timeout = Duration::from_secs(self.request_timeout_secs);
        web.body_limit_bytes = self.body_limit_kib.saturating_mul(1024);
        web.sessions = domain::session::SessionPolicy {
            idle: chrono::Duration::minutes(i64::from(self.session_idle_minutes)),
            absolute: chrono::Duration::hours(i64::from(self.session_absolute_hours)),
        };
        web.demo = demo;
        web.activation.validity = chrono::Duration::days(i64::from(self.activation_code_days));
        web.bank_change_delay = chrono::Duration::hours(i64::from(self.bank_change_delay_hours));
        if let Ok(schedule) = self.payment_schedule() {
            web.payment_schedule = schedule;
        }
        web.debtor = self.debtor();
        web
    }
}

/// The 2026 rules, built into the program so that it runs anywhere.
pub const BUILT_IN_RULES: &str = include_str!("../../../config/rules/2026.toml");

/// Reads and checks a rules file.
///
/// # Errors
/// A French message naming the file and the entry at fault.
pub fn load_rules(path: &Path) -> anyhow::Result<domain::rules::RuleCalendar> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("impossible de lire le fichier de règles {}", path.display()))?;
    domain::rules::RuleCalendar::parse(&text).map_err(|e| anyhow::anyhow!("{} : {e}", path.display()))
}

fn french_figment_error(err: &figment::Error) -> String {
    let key = err.path.join(".");
    let setting = if key.is_empty() { "la configuration".to_owned() } else { format!("ESPACE_{}", key.to_uppercase()) };
    match &err.kind {
        figment::error::Kind::UnknownField(field, _) => {
            format!("réglage inconnu « {field} » (voir la référence de configuration du README)")
        }
        figment::error::Kind::InvalidType(actual, expected) => {
            format!("{setting} : valeur de type {actual} au lieu de {expected}")
        }
        figment::error::Kind::InvalidValue(actual, expected) => {
            format!("{setting} : valeur {actual} invalide, attendu {expected}")
        }
        _ => format!("{setting} : {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_point_at_the_data_directory() {
        let config = Config::default();
        config.validate().unwrap();
        assert_eq!(config.public_url(), "http://127.0.0.1:8080");
        assert!(config.database_url().starts_with("sqlite://data/espace.db"));
    }

    #[test]
    fn production_requires_https_and_smtp() {
        let config = Config { environment: Environment::Production, ..Config::default() };
        assert!(config.validate().unwrap_err().to_string().contains("https"));
        let config = Config {
            environment: Environment::Production,
            public_url: Some("https://formation.exemple.fr".into()),
            ..Config::default()
        };
        assert!(config.validate().unwrap_err().to_string().contains("SMTP"));
    }

    #[test]
    fn the_clock_may_be_set_except_in_production() {
        let config = Config { now: Some("2026-01-10T09:00:00+01:00".into()), ..Config::default() };
        assert_eq!(config.start_instant().unwrap().unwrap().to_rfc3339(), "2026-01-10T08:00:00+00:00");
        let bad = Config { now: Some("demain".into()), ..Config::default() };
        assert!(bad.start_instant().unwrap_err().to_string().contains("ESPACE_NOW"));
        let production = Config {
            environment: Environment::Production,
            public_url: Some("https://formation.exemple.fr".into()),
            smtp_url: Some("smtp://relais".into()),
            now: Some("2026-01-10T09:00:00+01:00".into()),
            ..Config::default()
        };
        assert!(production.validate().unwrap_err().to_string().contains("ESPACE_NOW"));
    }

    #[test]
    fn payments_need_a_schedule_and_a_real_debtor_account_in_production() {
        let bad_day = Config { payment_days: vec!["mardi".into(), "jeudy".into()], ..Config::default() };
        assert!(bad_day.validate().unwrap_err().to_string().contains("jeudy"));
        let bad_iban = Config { debtor_iban: "FR76 1234".into(), ..Config::default() };
        assert!(bad_iban.validate().unwrap_err().to_string().contains("ESPACE_DEBTOR_IBAN"));
        let production = Config {
            environment: Environment::Production,
            public_url: Some("https://formation.exemple.fr".into()),
            smtp_url: Some("smtp://relais".into()),
            ..Config::default()
        };
        assert!(production.validate().unwrap_err().to_string().contains("démonstration"));
        let real = Config { debtor_iban: "FR7630006000011234567890189".into(), ..production };
        real.validate().unwrap();
    }

    #[test]
    fn the_built_in_rules_load() {
        assert!(Config::default().rules().unwrap().scheme("CIPI").is_some());
    }

    #[test]
    fn public_url_must_be_an_origin() {
        let config = Config { public_url: Some("https://exemple.fr/portail".into()), ..Config::default() };
        assert!(config.validate().is_err());
    }

    #[test]
    fn documents_go_to_the_data_directory_or_to_a_bucket_named_by_an_s3_url() {
        let local = Config::default().files().unwrap();
        assert_eq!(local.local_root(), Some(Path::new("data/documents")));
        let s3 = |url: &str| Config {
            documents_url: Some(url.into()),
            documents_endpoint: Some("http://127.0.0.1:9000".into()),
            documents_access_key: Some("cle".into()),
            documents_secret_key: Some("tres-secret".into()),
            ..Config::default()
        };
        let files = s3("s3://espace/prod/documents/").files().unwrap();
        assert!(!files.is_local());
        assert_eq!(files.label(), "s3://espace/prod/documents (http://127.0.0.1:9000)");
        s3("s3://espace/prod").validate().unwrap();
        for (bad, says) in [("/srv/documents", "s3://"), ("s3:///prefixe", "seau"), ("gs://espace", "s3://")] {
            let err = s3(bad).validate().unwrap_err().to_string();
            assert!(err.contains("ESPACE_DOCUMENTS_URL") && err.contains(says), "{bad}: {err}");
        }
        let half = Config { documents_secret_key: None, ..s3("s3://espace") };
        assert!(half.validate().unwrap_err().to_string().contains("ESPACE_DOCUMENTS_SECRET_KEY"));
        let not_a_url = Config { documents_endpoint: Some("s3.exemple.fr".into()), ..s3("s3://espace") };
        assert!(not_a_url.validate().unwrap_err().to_string().contains("ESPACE_DOCUMENTS_ENDPOINT"));
        let production = Config {
            environment: Environment::Production,
            public_url: Some("https://formation.exemple.fr".into()),
            smtp_url: Some("smtp://relais".into()),
            debtor_iban: "FR7630006000011234567890189".into(),
            ..s3("s3://espace")
        };
        let err = production.validate().unwrap_err().to_string();
        assert!(err.contains("ESPACE_DOCUMENTS_ENDPOINT doit être en https://"), "{err}");
        let shown = format!("{:?} {:?}", s3("s3://espace"), s3("s3://espace").files().unwrap());
        assert!(!shown.contains("tres-secret"), "{shown}");
    }

    #[test]
    fn debug_hides_passwords() {
        let config = Config {
            database_url: Some("postgres://app:motdepasse@db/espace".into()),
            smtp_url: Some("smtps://u:secret@mail".into()),
            ..Config::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("motdepasse") && !shown.contains("secret"), "{shown}");
    }
}
