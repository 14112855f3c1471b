//! The test harness: a fresh database per test (a SQLite file, or a PostgreSQL database when
//! `ESPACE_TEST_POSTGRES` names a server), the real router, a client with a cookie jar, a clock
//! the test moves, and the mail outbox read back through an independent MIME parser.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use chrono::{Duration, TimeZone, Utc};
use domain::clock::FixedClock;
use espace_app::Context;
use espace_app::config::Config;
use http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use sea_orm::ConnectionTrait;
use tower::ServiceExt;

/// The PostgreSQL server the suite runs against instead of SQLite, when set.
pub const POSTGRES_ENV: &str = "ESPACE_TEST_POSTGRES";

/// A database made for one test and dropped after it.
pub struct TestDatabase {
    pub url: String,
    drop_with: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn create(dir: &std::path::Path) -> Self {
        match std::env::var(POSTGRES_ENV) {
            Ok(admin_url) if !admin_url.trim().is_empty() => {
                let name = format!("ef_test_{}", uuid::Uuid::new_v4().simple());
                let admin = sea_orm::Database::connect(&admin_url)
                    .await
                    .unwrap_or_else(|e| panic!("{POSTGRES_ENV} is set but PostgreSQL does not answer: {e}"));
                admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
                admin.close().await.ok();
                let mut url = url::Url::parse(&admin_url).expect("ESPACE_TEST_POSTGRES is a URL");
                url.set_path(&format!("/{name}"));
                Self { url: url.to_string(), drop_with: Some((admin_url, name)) }
            }
            _ => Self { url: format!("sqlite://{}?mode=rwc", dir.join("test.db").display()), drop_with: None },
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.drop_with.is_some()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.drop_with.take() else {
            return;
        };
        // Drop runs inside the test's runtime: use a thread with its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async {
                if let Ok(admin) = sea_orm::Database::connect(&admin_url).await {
                    let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                    admin.close().await.ok();
                }
            });
        })
        .join();
    }
}

/// A running application for one test.
pub struct TestApp {
    pub ctx: Context,
    pub clock: FixedClock,
    pub router: Router,
    pub _dir: tempfile::TempDir,
    pub db: TestDatabase,
    next_ip: std::sync::atomic::AtomicU8,
}

/// Monday 5 January 2026, 09:00 Paris time.
pub fn start_of_test() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap()
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = TestDatabase::create(dir.path()).await;
        let mut config = Config {
            data_dir: dir.path().to_path_buf(),
            database_url: Some(db.url.clone()),
            public_url: Some("http://portail.test".into()),
            trust_forwarded_for: true,
            ..Config::default()
        };
        adjust(&mut config);
        config.validate().expect("test configuration is valid");
        let mut ctx = Context::open(config).await.expect("open test database");
        let clock = FixedClock::new(start_of_test());
        ctx.clock = Arc::new(clock.clone());
        let state = espace_app::serve::app_state(&ctx, false);
        let router =
            web::router(state).expect("router").layer(MockConnectInfo(SocketAddr::from(([10, 0, 0, 1], 40000))));
        Self { ctx, clock, router, _dir: dir, db, next_ip: std::sync::atomic::AtomicU8::new(1) }
    }

    /// Counts the statements the router sends to the database from now on: the router is
    /// rebuilt on a connection that reports each statement, so clients made after this call
    /// are counted (sessions and data stay the same database).
    pub fn count_statements(&mut self) -> Arc<std::sync::atomic::AtomicUsize> {
        let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut ctx = self.ctx.clone();
        let seen = counter.clone();
        ctx.db.set_metric_callback(move |_| {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        });
        let state = espace_app::serve::app_state(&ctx, false);
        self.router =
            web::router(state).expect("router").layer(MockConnectInfo(SocketAddr::from(([10, 0, 0, 1], 40000))));
        counter
    }

    /// A browser with its own cookies and its own address.
    pub fn client(&self) -> TestClient {
        let n = self.next_ip.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        TestClient {
            router: self.router.clone(),
            cookies: BTreeMap::new(),
            ip: format!("198.51.100.{n}"),
            origin: None,
        }
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// Runs the due jobs (sending e-mails to the outbox directory).
    pub async fn run_jobs(&self) -> espace_app::worker::Tally {
        espace_app::worker::Worker::new(self.ctx.clone()).expect("worker").drain().await.expect("drain")
    }

    /// Every e-mail written so far, oldest first.
    pub async fn mails(&self) -> Vec<SentMail> {
        self.run_jobs().await;
        let dir: PathBuf = self.ctx.config.outbox_dir();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        paths.sort();
        paths.iter().map(|p| SentMail::parse(&std::fs::read(p).expect("read eml"))).collect()
    }

    /// The newest e-mail to `to`.
    pub async fn last_mail_to(&self, to: &str) -> SentMail {
        self.mails().await.into_iter().rev().find(|m| m.to == to).unwrap_or_else(|| panic!("no e-mail to {to}"))
    }

    /// Creates a verified account directly in the store and returns its id.
    pub async fn account(&self, email: &str, password: &str, role: domain::Role) -> i64 {
        let digest = web::crypto::hash(domain::password::Password::new(password)).await.expect("hash");
        let new = store::account::NewAccount {
            email: domain::Email::parse(email).expect("email"),
            password_hash: Some(digest),
            given_name: "Marie".into(),
            family_name: "Durand".into(),
            role,
            email_verified_at: Some(self.clock.now_utc()),
        };
        store::account::create(&self.ctx.db, new, self.clock.now_utc()).await.expect("create account").id
    }

    /// A client signed in as a new verified account.
    pub async fn signed_in(&self, email: &str, role: domain::Role) -> TestClient {
        self.account(email, PASSWORD, role).await;
        let mut client = self.client();
        let response = client.login(email, PASSWORD).await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "login of {email}: {}", response.body);
        client
    }

    pub async fn audit_actions(&self) -> Vec<String> {
        let (rows, _) =
            store::audit::list(&self.ctx.db, &store::audit::Filter::default(), 1, 1000).await.expect("audit");
        rows.into_iter().rev().map(|r| r.action).collect()
    }
}

/// A password that satisfies the policy.
pub const PASSWORD: &str = "cheval agrafe batterie correcte";

trait NowUtc {
    fn now_utc(&self) -> chrono::DateTime<Utc>;
}

impl NowUtc for FixedClock {
    fn now_utc(&self) -> chrono::DateTime<Utc> {
        domain::clock::Clock::now(self)
    }
}

/// An e-mail read back from its `.eml` file.
#[derive(Debug, Clone)]
pub struct SentMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl SentMail {
    fn parse(raw: &[u8]) -> Self {
        let message = mail_parser::MessageParser::default().parse(raw).expect("a parseable RFC 5322 message");
        let to = message.to().and_then(|a| a.first()).and_then(|a| a.address()).expect("a recipient").to_owned();
        Self {
            to,
            subject: message.subject().expect("a subject").to_owned(),
            text: message.body_text(0).expect("a text part").into_owned(),
            html: message.body_html(0).expect("an HTML part").into_owned(),
        }
    }

    /// The first link in the text part that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> String {
        self.text
            .split_whitespace()
            .find(|w| w.starts_with(prefix))
            .unwrap_or_else(|| panic!("no link starting with {prefix} in:\n{}", self.text))
            .to_owned()
    }
}

/// A browser: cookies, an address, and optionally an `Origin` header on every request.
#[derive(Clone)]
pub struct TestClient {
    router: Router,
    pub cookies: BTreeMap<String, String>,
    pub ip: String,
    pub origin: Option<String>,
}

/// An answer.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl TestResponse {
    pub fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    pub fn html(&self) -> scraper::Html {
        scraper::Html::parse_document(&self.body)
    }

    /// The texts of the elements matching `selector`.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let selector = scraper::Selector::parse(selector).expect("a valid selector");
        self.html()
            .select(&selector)
            .map(|e| e.text().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    }

    /// The `value` of the input named `name`.
    pub fn input_value(&self, name: &str) -> Option<String> {
        let selector = scraper::Selector::parse(&format!("input[name=\"{name}\"]")).expect("selector");
        self.html().select(&selector).next().and_then(|e| e.value().attr("value")).map(str::to_owned)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl TestClient {
    pub async fn get(&mut self, path: &str) -> TestResponse {
        self.send(Method::GET, path, None, &[]).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> TestResponse {
        let body: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        self.send(Method::POST, path, Some(("application/x-www-form-urlencoded", body)), &[]).await
    }

    /// Posts a form whose fields were read from a page.
    pub async fn post_owned(&mut self, path: &str, form: &[(String, String)]) -> TestResponse {
        let body: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        self.send(Method::POST, path, Some(("application/x-www-form-urlencoded", body)), &[]).await
    }

    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Option<(&str, String)>,
        extra: &[(&str, &str)],
    ) -> TestResponse {
        self.send_body(method, path, body.map(|(t, b)| (t, b.into_bytes())), extra).await
    }

    /// Posts a `multipart/form-data` form: text fields, then files (field, file name, bytes).
    pub async fn multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> TestResponse {
        let boundary = "----espace-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        for (name, file_name, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/pdf\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let content_type = format!("multipart/form-data; boundary={boundary}");
        self.send_body(Method::POST, path, Some((&content_type, body)), &[]).await
    }

    async fn send_body(
        &mut self,
        method: Method,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
        extra: &[(&str, &str)],
    ) -> TestResponse {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header("x-forwarded-for", &self.ip)
            .header(header::HOST, "portail.test");
        if !self.cookies.is_empty() {
            let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            builder = builder.header(header::COOKIE, cookie);
        }
        if let Some(origin) = &self.origin {
            builder = builder.header(header::ORIGIN, origin);
        }
        for (name, value) in extra {
            builder = builder.header(*name, *value);
        }
        let request = match body {
            Some((content_type, body)) => builder.header(header::CONTENT_TYPE, content_type).body(Body::from(body)),
            None => builder.body(Body::empty()),
        }
        .expect("request");
        let response = self.router.clone().oneshot(request).await.expect("infallible router");
        let status = response.status();
        let headers = response.headers().clone();
        for set in headers.get_all(header::SET_COOKIE) {
            let text = set.to_str().expect("ascii cookie");
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').expect("name=value");
            if value.is_empty() || attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        TestResponse { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    /// Sends a JSON request with a bearer token.
    pub async fn api(
        &mut self,
        method: Method,
        path: &str,
        token: &str,
        json: Option<serde_json::Value>,
    ) -> TestResponse {
        let auth = format!("Bearer {token}");
        let body = json.map(|j| ("application/json", j.to_string()));
        self.send(method, path, body, &[("authorization", &auth)]).await
    }

    /// Fetches a binary body (a PDF).
    pub async fn get_bytes(&mut self, path: &str) -> (StatusCode, Vec<u8>) {
        let mut builder = Request::builder()
            .method(Method::GET)
            .uri(path)
            .header("x-forwarded-for", &self.ip)
            .header(header::HOST, "portail.test");
        if !self.cookies.is_empty() {
            let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            builder = builder.header(header::COOKIE, cookie);
        }
        let response =
            self.router.clone().oneshot(builder.body(Body::empty()).expect("request")).await.expect("router");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        (status, bytes.to_vec())
    }

    pub async fn login(&mut self, email: &str, password: &str) -> TestResponse {
        self.post("/connexion", &[("email", email), ("password", password)]).await
    }

    pub fn session_cookie(&self) -> Option<&String> {
        self.cookies.get("ef_session")
    }
}

/// A company with a head office and a second establishment, created as staff would.
pub struct TestCompany {
    pub id: i64,
    pub siren: &'static str,
    pub head_office: i64,
    pub head_office_siret: &'static str,
    pub agency: i64,
    pub agency_siret: &'static str,
    pub name: &'static str,
}

impl TestApp {
    /// « Intérim Nord » (SIREN 732 829 320): head office in Lille, agency in Roubaix.
    pub async fn company_nord(&self) -> TestCompany {
        self.company("732829320", "Intérim Nord", "73282932000074", "73282932000082").await
    }

    /// « BTP Emploi » (SIREN 552 100 554): head office in Lyon, agency in Villeurbanne.
    pub async fn company_btp(&self) -> TestCompany {
        self.company("552100554", "BTP Emploi", "55210055400013", "55210055400021").await
    }

    async fn company(
        &self,
        siren: &'static str,
        name: &'static str,
        head: &'static str,
        agency: &'static str,
    ) -> TestCompany {
        use store::company::{Address, CompanyInput, EstablishmentInput};
        let now = self.clock.now_utc();
        let address = Address {
            street: "12 rue Nationale".into(),
            complement: None,
            postal_code: "59000".into(),
            city: "Lille".into(),
        };
        let input = CompanyInput {
            siren: domain::Siren::parse(siren).unwrap(),
            name: name.into(),
            address: address.clone(),
            vat_subject: true,
            headcount: Some(40),
            branch: None,
            region: None,
        };
        let company = store::company::create(&self.ctx.db, input, now).await.unwrap();
        let mk = |siret: &str, label: &str, head_office| EstablishmentInput {
            siret: domain::Siret::parse(siret).unwrap(),
            name: label.to_owned(),
            address: address.clone(),
            head_office,
        };
        let h =
            store::company::create_establishment(&self.ctx.db, company.id, mk(head, "Siège", true), now).await.unwrap();
        let a = store::company::create_establishment(&self.ctx.db, company.id, mk(agency, "Agence", false), now)
            .await
            .unwrap();
        TestCompany {
            id: company.id,
            siren,
            head_office: h.id,
            head_office_siret: head,
            agency: a.id,
            agency_siret: agency,
            name,
        }
    }

    /// Grants `user_id` an approved attachment directly.
    pub async fn attach(
        &self,
        user_id: i64,
        company: i64,
        establishment: Option<i64>,
        admin: bool,
        domains: &[domain::habilitation::Domain],
    ) -> i64 {
        store::attachment::grant(
            &self.ctx.db,
            user_id,
            company,
            establishment,
            admin,
            domains,
            store::attachment::Source::Advisor,
            None,
            self.clock.now_utc(),
        )
        .await
        .unwrap()
    }

    /// The id of the account with this address.
    pub async fn user_id(&self, email: &str) -> i64 {
        store::account::find_by_email(&self.ctx.db, &domain::Email::parse(email).unwrap()).await.unwrap().unwrap().id
    }
}

/// The text of each page of a PDF, read with lopdf (an independent parser).
/// An accepted dossier of `scheme` paid by `payer`, training from `start` to `end`, cost and
/// commitment in cents.
#[allow(clippy::too_many_arguments)]
pub async fn accepted_dossier(
    ctx: &Context,
    company: i64,
    establishment: i64,
    scheme: &str,
    payer: &str,
    kind: domain::habilitation::Domain,
    (start, end): (chrono::NaiveDate, chrono::NaiveDate),
    (cost, committed): (i64, i64),
    user: i64,
) -> store::dossier::Dossier {
    let now = ctx.clock.now();
    let input = store::dossier::DossierInput {
        company_id: company,
        establishment_id: establishment,
        scheme: scheme.into(),
        sub_scheme: None,
        kind,
        payer: payer.into(),
        public: "temporary".into(),
        title: "Conduite de chariots élévateurs".into(),
        provider_name: "Institut Formation Nord".into(),
        provider_siret: "55210055400013".into(),
        provider_nda: "31590000059".into(),
        training_start: start,
        training_end: end,
        hours: 35,
        cost: domain::Money::from_cents(cost),
        requested: domain::Money::from_cents(committed),
        subrogation: None,
    };
    let trainees = [store::dossier::TraineeInput { given_name: "Léa".into(), family_name: "Moreau".into() }];
    let dossier = store::dossier::create(&ctx.db, &input, &trainees, None, None, user, now).await.unwrap();
    let submit = store::dossier::StateChange { submitted_on: Some(start), ..Default::default() };
    assert!(
        store::dossier::transition(
            &ctx.db,
            dossier.id,
            0,
            domain::dossier::DossierStatus::Draft,
            domain::dossier::DossierStatus::Submitted,
            submit,
            now
        )
        .await
        .unwrap()
    );
    let accept =
        store::dossier::StateChange { committed: Some(domain::Money::from_cents(committed)), ..Default::default() };
    assert!(
        store::dossier::transition(
            &ctx.db,
            dossier.id,
            1,
            domain::dossier::DossierStatus::Submitted,
            domain::dossier::DossierStatus::Accepted,
            accept,
            now
        )
        .await
        .unwrap()
    );
    store::dossier::get(
        &ctx.db,
        &domain::scope::Scope::Staff { user_id: 0, role: domain::Role::PlatformAdmin },
        dossier.id,
    )
    .await
    .unwrap()
    .unwrap()
}

/// A real one-page PDF, as a company would upload (an activation letter rendered by the portal).
pub fn sample_pdf() -> Vec<u8> {
    static PDF: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(render_sample_pdf);
    PDF.clone()
}

fn render_sample_pdf() -> Vec<u8> {
    let sender = documents::LetterSender {
        operator_name: "OPCO Test".into(),
        operator_address_lines: vec!["1 rue de la Paix".into(), "75002 Paris".into()],
        portal_url: "http://portail.test/".into(),
        help_contact: "votre conseiller".into(),
        city: "Paris".into(),
    };
    let letter = documents::ActivationLetter {
        company_name: "Certificat de réalisation".into(),
        address_lines: vec!["12 rue Nationale".into(), "59000 Lille".into()],
        siren: "732829320".into(),
        requester_name: "Organisme de formation".into(),
        code: "AAAA-BBBB-CCCC".into(),
        expires_on: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        reference: "CR-2026-000001".into(),
    };
    documents::render_activation_letters(&sender, &[letter], chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap())
        .expect("a PDF")
}

pub fn pdf_pages(bytes: &[u8]) -> Vec<String> {
    let document = lopdf::Document::load_mem(bytes).expect("a parseable PDF");
    let pages: Vec<u32> = document.get_pages().keys().copied().collect();
    pages.iter().map(|p| document.extract_text(&[*p]).expect("text of the page")).collect()
}

/// The activation codes printed in a letter batch (`XXXX-XXXX-XXXX`), page by page.
pub fn codes_in(text: &str) -> Vec<String> {
    let alphabet = |c: char| c.is_ascii_digit() || c.is_ascii_uppercase();
    let chars: Vec<char> = text.chars().collect();
    let mut codes = Vec::new();
    for start in 0..chars.len().saturating_sub(13) {
        let window: String = chars[start..start + 14].iter().collect();
        let groups: Vec<&str> = window.split('-').collect();
        let boundary_ok = start == 0 || !alphabet(chars[start - 1]);
        let end_ok = chars.get(start + 14).is_none_or(|c| !alphabet(*c));
        if boundary_ok && end_ok && groups.len() == 3 && groups.iter().all(|g| g.len() == 4 && g.chars().all(alphabet))
        {
            codes.push(window);
        }
    }
    codes
}

/// An approved invoice of `gross` cents (net + 20 % VAT) for a new accepted dossier of the
/// company, uploaded by `user` (with the IBAN written on it, if any) and approved at `approved_at`:
/// what a payment run pays.
pub async fn approved_invoice(
    ctx: &Context,
    company: (i64, i64),
    user: i64,
    net_cents: i64,
    iban: Option<&str>,
    approved_at: chrono::DateTime<Utc>,
) -> i64 {
    let (_, invoice) = stored_invoice(ctx, company, user, net_cents, iban, "OPCO Démo").await;
    assert!(
        store::invoice::decide(&ctx.db, invoice, 0, store::invoice::status::APPROVED, None, user, approved_at)
            .await
            .unwrap()
    );
    invoice
}

/// A submitted invoice addressed to `buyer_name`, stored as it is (no upload check) for the
/// operator's proforma of a new accepted dossier of the company: (proforma, invoice).
pub async fn stored_invoice(
    ctx: &Context,
    (company, establishment): (i64, i64),
    user: i64,
    net_cents: i64,
    iban: Option<&str>,
    buyer_name: &str,
) -> (i64, i64) {
    use domain::reimbursement::DrStatus;
    let staff = domain::scope::Scope::Staff { user_id: 0, role: domain::Role::PlatformAdmin };
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 12).unwrap();
    let dossier = accepted_dossier(
        ctx,
        company,
        establishment,
        "CIPI",
        "AKTO",
        domain::habilitation::Domain::Training,
        (start, start + Duration::days(4)),
        (net_cents, net_cents),
        user,
    )
    .await;
    let lines = [domain::reimbursement::Line {
        nature: domain::reimbursement::Nature::TrainingCosts,
        amount: domain::Money::from_cents(net_cents),
    }];
    let input = store::reimbursement::NewReimbursement {
        dossier: &dossier,
        budget: None,
        lines: &lines,
        submitted_on: start,
        created_by: user,
    };
    let now = ctx.clock.now();
    let dr = store::reimbursement::create(&ctx.db, &input, now).await.unwrap();
    let change =
        store::reimbursement::DrChange { validated: Some(domain::Money::from_cents(net_cents)), ..Default::default() };
    assert!(
        store::reimbursement::transition(&ctx.db, dr.id, 0, DrStatus::Submitted, DrStatus::Validated, change, now)
            .await
            .unwrap()
    );
    let items = store::proforma::items(&ctx.db, &staff, company).await.unwrap();
    let chosen: Vec<&store::proforma::Item> = items.iter().filter(|i| i.reimbursement.id == dr.id).collect();
    let amounts = domain::proforma::amounts(&[domain::Money::from_cents(net_cents)], true);
    let input = store::proforma::NewProforma {
        company_id: company,
        payer: "AKTO",
        public: "temporary",
        scheme: None,
        items: &chosen,
        amounts,
        vat_subject: true,
        bank: None,
        issued_by: user,
    };
    let proforma = store::proforma::issue(&ctx.db, &input, now).await.unwrap();
    let pdf = sample_pdf();
    let sha256 = ctx.files.put(&pdf).await.unwrap();
    let document = store::document::NewDocument {
        company_id: company,
        dossier_id: None,
        reimbursement_id: None,
        proforma_id: Some(proforma.id),
        kind: store::document::Kind::Invoice,
        file_name: format!("facture-{}.pdf", proforma.number),
        sha256,
        size: i64::try_from(pdf.len()).unwrap(),
        content_type: "application/pdf".into(),
        uploaded_by: user,
    };
    let document = store::document::create(&ctx.db, document, now).await.unwrap();
    let invoice = store::invoice::NewInvoice {
        proforma_id: proforma.id,
        company_id: company,
        number: format!("FA-{}", proforma.number),
        syntax: "pdf",
        buyer_name: buyer_name.into(),
        seller_siren: Some(
            store::company::get_unscoped(&ctx.db, company).await.unwrap().unwrap().siren.as_str().to_owned(),
        ),
        net: domain::Money::from_cents(proforma.net_cents),
        vat: domain::Money::from_cents(proforma.vat_cents),
        gross: domain::Money::from_cents(proforma.gross_cents),
        iban: iban.map(str::to_owned),
        document_id: document.id,
        rib_document_id: None,
        uploaded_by: user,
    };
    (proforma.id, store::invoice::create(&ctx.db, invoice, now).await.unwrap().id)
}

/// A copy of the built-in rules file changed by `edit`, written in a temporary file kept for the
/// whole test run.
pub fn built_in_rules_with(edit: impl FnOnce(&str) -> String) -> PathBuf {
    let text = edit(espace_app::config::BUILT_IN_RULES);
    let file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    std::fs::write(file.path(), text).unwrap();
    file.into_temp_path().keep().unwrap()
}

/// The binary with a clean environment, on `data_dir` and the database `url` (the SQLite file of
/// the data directory when `None`).
pub fn binary_on(data_dir: &std::path::Path, url: Option<&str>) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_espace-formation"));
    for (name, _) in std::env::vars() {
        if name.starts_with("ESPACE_") || name == "DATABASE_URL" {
            command.env_remove(name);
        }
    }
    if let Some(url) = url {
        command.env("DATABASE_URL", url);
    }
    command.arg("--data-dir").arg(data_dir);
    command
}

/// The binary with a clean environment but for `vars`, on the test's database and data directory.
pub fn binary(app: &TestApp, vars: &[(&str, &str)]) -> std::process::Command {
    let mut command = binary_on(app._dir.path(), Some(&app.db.url));
    for (name, value) in vars {
        command.env(name, value);
    }
    command
}
