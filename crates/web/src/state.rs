//! What every handler can reach: the database, the clock and the configuration.

use std::sync::Arc;
use std::time::Duration;

use domain::clock::Clock;
use domain::session::SessionPolicy;
use domain::throttle::ThrottlePolicy;
use store::Db;

/// Shared, cheaply cloned state of the web application.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The connection pool.
    pub db: Db,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// Settings fixed at start-up.
    pub config: Arc<WebConfig>,
    /// The scheme catalogue and rule calendar.
    pub rules: Arc<domain::rules::RuleCalendar>,
    /// Uploaded documents, outside the web root.
    pub files: store::document::Files,
}

impl AppState {
    /// The current instant.
    #[must_use]
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Today in Paris, the day rules are judged on.
    #[must_use]
    pub fn today(&self) -> chrono::NaiveDate {
        domain::clock::paris_day(self.clock.now())
    }
}

/// Web settings, validated by the binary before the server starts.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// The address people use to reach the portal (`https://formation.exemple.fr`), without a
    /// trailing slash; links in e-mails start with it and it is a trusted origin for CSRF checks.
    pub public_url: String,
    /// The operator's and FPE-TT's names in the header, the e-mails, the help and the documents.
    pub names: domain::identity::Names,
    /// The operator's postal address, printed on proformas addressed to it.
    pub operator_address: Vec<String>,
    /// The operator's SIREN (buyer on proformas addressed to it).
    pub operator_siren: String,
    /// FPE-TT's SIREN (buyer on proformas addressed to it).
    pub fpett_siren: String,
    /// Mark cookies `Secure` (and use the `__Host-` prefix): required behind HTTPS.
    pub secure_cookies: bool,
    /// Take the client address from the last `X-Forwarded-For` entry (behind a reverse proxy).
    pub trust_forwarded_for: bool,
    /// Longest time a request may take before a 408 answer.
    pub request_timeout: Duration,
    /// Largest request body accepted (413 beyond).
    pub body_limit_bytes: usize,
    /// Posts to the sign-in, registration and reset forms allowed per client address, counted
    /// in the database so that every process shares it.
    pub public_form_limit: domain::rate_limit::RateLimit,
    /// Lifetimes of sessions.
    pub sessions: SessionPolicy,
    /// Limits on failed sign-ins.
    pub throttle: ThrottlePolicy,
    /// Whether this is a demonstration instance (a banner says so).
    pub demo: bool,
    /// Activation codes: validity and attempts.
    pub activation: domain::activation::ActivationPolicy,
    /// When payment runs happen (the next one is shown to companies).
    pub payment_schedule: domain::payment::Schedule,
    /// The account payments leave from, written in SEPA files.
    pub debtor: documents::sepa::Debtor,
    /// How long a new bank account of a company waits before it takes effect (SPEC Q3).
    pub bank_change_delay: chrono::Duration,
}

impl WebConfig {
    /// Settings for a portal at `public_url`, with the defaults of the documentation.
    #[must_use]
    pub fn new(public_url: &str) -> Self {
        Self {
            public_url: public_url.trim_end_matches('/').to_owned(),
            names: domain::identity::Names::default(),
            operator_address: Vec::new(),
            operator_siren: String::new(),
            fpett_siren: String::new(),
            secure_cookies: public_url.starts_with("https://"),
            trust_forwarded_for: false,
            request_timeout: Duration::from_secs(30),
            body_limit_bytes: 2 * 1024 * 1024,
            public_form_limit: domain::rate_limit::RateLimit::default(),
            sessions: SessionPolicy::default(),
            throttle: ThrottlePolicy::default(),
            demo: false,
            activation: domain::activation::ActivationPolicy::default(),
            payment_schedule: domain::payment::Schedule::twice_a_week(),
            debtor: documents::sepa::Debtor {
                name: "OPCO".to_owned(),
                iban: "FR1420041010050500013M02606".to_owned(),
                bic: None,
            },
            bank_change_delay: chrono::Duration::hours(i64::from(domain::bank::DEFAULT_DELAY_HOURS)),
        }
    }

    /// The session cookie's name: with `__Host-` when secure, so that no other host or path can
    /// set it.
    #[must_use]
    pub fn session_cookie(&self) -> &'static str {
        if self.secure_cookies { "__Host-ef_session" } else { "ef_session" }
    }

    /// The trusted-device cookie's name.
    #[must_use]
    pub fn device_cookie(&self) -> &'static str {
        if self.secure_cookies { "__Host-ef_device" } else { "ef_device" }
    }
}
