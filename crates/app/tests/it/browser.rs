//! The main journey in a real browser (headless Chromium driven through chromedriver):
//! register → verification e-mail from the outbox → sign in → sign out, with an accessibility
//! check by axe-core on each page when it is installed.
//!
//! Skipped with a message when chromedriver is missing, unless `ESPACE_REQUIRE_BROWSER=1` (set by
//! `.ci/run`), in which case a missing browser fails the test.

use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use espace_app::Context;
use espace_app::config::Config;
use espace_app::serve::{ServeOptions, serve_on};
use fantoccini::{Client, ClientBuilder, Locator};

use crate::support::{PASSWORD, TestDatabase};

struct Driver {
    child: Child,
    url: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn required() -> bool {
    std::env::var("ESPACE_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

fn chromedriver() -> Option<PathBuf> {
    let candidates = [std::env::var("CHROMEDRIVER").ok(), Some("/usr/bin/chromedriver".to_owned())];
    candidates.into_iter().flatten().map(PathBuf::from).find(|p| p.exists())
}

async fn start_driver() -> Option<Driver> {
    let Some(binary) = chromedriver() else {
        assert!(!required(), "ESPACE_REQUIRE_BROWSER=1 but chromedriver is not installed (Debian: chromium-driver)");
        eprintln!("browser test skipped: chromedriver not found (install Debian's chromium and chromium-driver)");
        return None;
    };
    let port = free_port();
    let child = Command::new(binary)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver =
        Driver { child, url: format!("http://127.0.0.1:{port}"), _profile: tempfile::tempdir().expect("profile dir") };
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Some(driver)
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    let args = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .chain([format!("--user-data-dir={}", driver._profile.path().display())])
    .collect::<Vec<_>>();
    let mut options = serde_json::json!({ "args": args });
    if let Ok(binary) = std::env::var("CHROMIUM") {
        options["binary"] = serde_json::Value::String(binary);
    } else if std::path::Path::new("/usr/bin/chromium").exists() {
        options["binary"] = serde_json::Value::String("/usr/bin/chromium".into());
    }
    caps.insert("goog:chromeOptions".into(), options);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("connect to chromedriver")
}

/// axe-core's script, when installed (`.ci/run` installs it with npm).
fn axe_script() -> Option<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/axe/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&root) {
        Ok(script) => Some(script),
        Err(_) => {
            assert!(!required(), "ESPACE_REQUIRE_BROWSER=1 but axe-core is not installed at {}", root.display());
            None
        }
    }
}

/// Runs axe-core on the current page and fails on serious or critical violations.
async fn check_accessibility(client: &Client, axe: Option<&str>, page: &str) {
    let Some(axe) = axe else { return };
    client.execute(axe, vec![]).await.expect("inject axe-core");
    let result = client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => v.id + ': ' + v.help + ' (' + v.nodes.map(n => n.target.join(' ')).join(', ') + ')')));",
            vec![],
        )
        .await
        .expect("run axe-core");
    let violations: Vec<String> = serde_json::from_value(result).expect("a list");
    assert!(violations.is_empty(), "accessibility violations on {page}: {violations:#?}");
}

/// Saves a screenshot into `$ESPACE_SCREENSHOTS` when set (how the README's images are made).
async fn screenshot(client: &Client, name: &str) {
    if let Ok(dir) = std::env::var("ESPACE_SCREENSHOTS") {
        let png = client.screenshot().await.expect("screenshot");
        std::fs::write(PathBuf::from(dir).join(format!("{name}.png")), png).expect("write screenshot");
    }
}

async fn fill(client: &Client, css: &str, text: &str) {
    client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).send_keys(text).await.expect("type");
}

async fn submit(client: &Client, form: &str) {
    let button = client.find(Locator::Css(&format!("{form} button[type=submit]"))).await.expect("submit button");
    press(button).await;
}

/// Clicks an element that leaves the page and waits until the page is gone: a form posting back
/// to a page with the same heading would otherwise let the next step find the old page's elements.
async fn press(element: fantoccini::elements::Element) {
    element.clone().click().await.expect("click");
    let deadline = Instant::now() + Duration::from_secs(10);
    while element.tag_name().await.is_ok() {
        assert!(Instant::now() < deadline, "the page did not change after the click");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The page's `h1`, or `None` while the page is changing under us.
async fn heading(client: &Client) -> Option<String> {
    let element = client.find(Locator::Css("main h1")).await.ok()?;
    element.text().await.ok()
}

async fn wait_for_heading(client: &Client, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = heading(client).await;
        if found.as_deref() == Some(expected) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "expected heading {expected:?}, found {found:?} at {:?}",
            client.current_url().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A portal served on a free port with its worker, on a fresh database.
struct Portal {
    base: String,
    ctx: Context,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _db: TestDatabase,
    _dir: tempfile::TempDir,
}

impl Portal {
    async fn start() -> Self {
        Self::start_at(None).await
    }

    /// A portal whose clock starts at `now` (`ESPACE_NOW`).
    async fn start_at(now: Option<&str>) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = TestDatabase::create(dir.path()).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let config = Config {
            data_dir: dir.path().to_path_buf(),
            database_url: Some(db.url.clone()),
            public_url: Some(base.clone()),
            worker_idle_secs: 1,
            now: now.map(str::to_owned),
            ..Config::default()
        };
        let ctx = Context::open(config).await.expect("open database");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve_on(listener, ctx.clone(), ServeOptions::default(), async move {
            let _ = stopped.await;
        }));
        Self { base, ctx, stop: Some(stop), server: Some(server), _db: db, _dir: dir }
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server stopped cleanly");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_verify_sign_in_and_out_in_a_real_browser() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let axe = axe_script();

    let portal = Portal::start().await;
    let base = portal.base.clone();
    let outbox = portal.ctx.config.outbox_dir();
    let client = browser(&driver).await;
    client.goto(&format!("{base}/")).await.expect("home");
    check_accessibility(&client, axe.as_deref(), "/").await;
    screenshot(&client, "accueil").await;
    press(client.find(Locator::LinkText("Créer un compte")).await.expect("register link")).await;
    wait_for_heading(&client, "Créer un compte").await;
    check_accessibility(&client, axe.as_deref(), "/inscription").await;

    // A first try with a weak password shows the error next to the field and keeps the input.
    fill(&client, "#given_name", "Camille").await;
    fill(&client, "#family_name", "Martin").await;
    fill(&client, "#email", "camille.martin@interim-ouest.fr").await;
    fill(&client, "#password", "motdepasse").await;
    fill(&client, "#password_confirm", "motdepasse").await;
    submit(&client, "main form").await;
    let error = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#password-error"))
        .await
        .expect("field error");
    assert!(error.text().await.unwrap().contains("12 caractères"));
    check_accessibility(&client, axe.as_deref(), "/inscription (erreurs)").await;
    screenshot(&client, "inscription").await;
    let kept = client.find(Locator::Css("#email")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("camille.martin@interim-ouest.fr"));

    fill(&client, "#password", PASSWORD).await;
    fill(&client, "#password_confirm", PASSWORD).await;
    submit(&client, "main form").await;
    wait_for_heading(&client, "Vérifiez votre messagerie").await;

    // The worker writes the e-mail to the outbox.
    let deadline = Instant::now() + Duration::from_secs(15);
    let eml = loop {
        let found = std::fs::read_dir(&outbox).ok().and_then(|entries| {
            entries.filter_map(Result::ok).map(|e| e.path()).find(|p| p.extension().is_some_and(|x| x == "eml"))
        });
        if let Some(path) = found {
            break std::fs::read(path).expect("read e-mail");
        }
        assert!(Instant::now() < deadline, "no e-mail in {}", outbox.display());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let message = mail_parser::MessageParser::default().parse(&eml).expect("an RFC 5322 message");
    let text = message.body_text(0).expect("text part");
    let link = text
        .split_whitespace()
        .find(|w| w.starts_with(&format!("{base}/inscription/verifier?jeton=")))
        .expect("verification link");

    client.goto(link).await.expect("follow the link");
    wait_for_heading(&client, "Adresse e-mail confirmée").await;
    press(client.find(Locator::LinkText("Se connecter")).await.expect("sign-in button")).await;
    wait_for_heading(&client, "Se connecter").await;
    check_accessibility(&client, axe.as_deref(), "/connexion").await;
    fill(&client, "#email", "camille.martin@interim-ouest.fr").await;
    fill(&client, "#password", PASSWORD).await;
    submit(&client, "main form").await;
    wait_for_heading(&client, "Bonjour Camille Martin").await;
    check_accessibility(&client, axe.as_deref(), "/ (tableau de bord)").await;

    press(client.find(Locator::Css("a.user-chip")).await.expect("account link")).await;
    wait_for_heading(&client, "Mon compte").await;
    check_accessibility(&client, axe.as_deref(), "/compte").await;
    client.goto(&format!("{base}/compte/sessions")).await.unwrap();
    wait_for_heading(&client, "Mes sessions").await;
    check_accessibility(&client, axe.as_deref(), "/compte/sessions").await;

    screenshot(&client, "sessions").await;

    submit(&client, "header .user-nav form").await;
    wait_for_heading(&client, "Se connecter").await;
    let notice = client.find(Locator::Css("[role=status]")).await.expect("notice").text().await.unwrap();
    assert!(notice.contains("Vous êtes déconnecté"), "{notice}");
    client.goto(&format!("{base}/compte")).await.unwrap();
    wait_for_heading(&client, "Se connecter").await;

    client.close().await.expect("close browser");
    portal.stop().await;
}

async fn sign_in(client: &Client, base: &str, email: &str) {
    client.goto(&format!("{base}/connexion")).await.expect("sign-in page");
    wait_for_heading(client, "Se connecter").await;
    fill(client, "#email", email).await;
    fill(client, "#password", PASSWORD).await;
    submit(client, "main form").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while heading(client).await.as_deref() == Some("Se connecter") {
        assert!(Instant::now() < deadline, "sign-in of {email} did not leave the form");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn sign_out(client: &Client) {
    submit(client, "header .user-nav form").await;
    wait_for_heading(client, "Se connecter").await;
}

async fn click_link(client: &Client, text: &str) {
    press(client.find(Locator::LinkText(text)).await.unwrap_or_else(|e| panic!("link {text:?}: {e}"))).await;
}

/// Intérim Nord (head office in Lille), 40 employees, with `establishments` (SIRET, name, head
/// office), nobody attached.
async fn seed_interim_nord(ctx: &Context, establishments: &[(&str, &str, bool)]) -> store::company::Company {
    let now = ctx.clock.now();
    let address = store::company::Address {
        street: "12 rue Nationale".into(),
        complement: None,
        postal_code: "59000".into(),
        city: "Lille".into(),
    };
    let input = store::company::CompanyInput {
        siren: domain::Siren::parse("732829320").unwrap(),
        name: "Intérim Nord".into(),
        address: address.clone(),
        vat_subject: true,
        headcount: Some(40),
        branch: None,
        region: None,
    };
    let company = store::company::create(&ctx.db, input, now).await.unwrap();
    for (siret, name, head_office) in establishments {
        let input = store::company::EstablishmentInput {
            siret: domain::Siret::parse(siret).unwrap(),
            name: (*name).into(),
            address: address.clone(),
            head_office: *head_office,
        };
        store::company::create_establishment(&ctx.db, company.id, input, now).await.unwrap();
    }
    company
}

/// Verified accounts (e-mail, given name, role) with the suite's password; their ids.
async fn seed_accounts(ctx: &Context, accounts: &[(&str, &str, domain::Role)]) -> Vec<i64> {
    let now = ctx.clock.now();
    let digest = web::crypto::hash(domain::password::Password::new(PASSWORD)).await.unwrap();
    let mut ids = Vec::new();
    for (email, given, role) in accounts {
        let new = store::account::NewAccount {
            email: domain::Email::parse(email).unwrap(),
            password_hash: Some(digest.clone()),
            given_name: (*given).into(),
            family_name: "Test".into(),
            role: *role,
            email_verified_at: Some(now),
        };
        ids.push(store::account::create(&ctx.db, new, now).await.unwrap().id);
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_is_activated_by_letter_and_its_administrator_approves_a_colleague_in_a_real_browser() {
    use domain::habilitation::AttachmentStatus;
    let Some(driver) = start_driver().await else { return };
    let axe = axe_script();
    let portal = Portal::start().await;
    let base = portal.base.clone();
    let ctx = portal.ctx.clone();

    // The operator knows the company (head office in Lille, agency in Roubaix); nobody administers it.
    let company = seed_interim_nord(
        &ctx,
        &[("73282932000074", "Siège de Lille", true), ("73282932000082", "Agence de Roubaix", false)],
    )
    .await;
    seed_accounts(
        &ctx,
        &[
            ("claire@interim-nord.fr", "Claire", domain::Role::CompanyUser),
            ("paul@interim-nord.fr", "Paul", domain::Role::CompanyUser),
            ("conseiller@opco.fr", "Julien", domain::Role::Advisor),
        ],
    )
    .await;

    let client = browser(&driver).await;

    // Claire asks to be attached to the whole company.
    sign_in(&client, &base, "claire@interim-nord.fr").await;
    client.goto(&format!("{base}/entreprises")).await.unwrap();
    wait_for_heading(&client, "Mes entreprises").await;
    check_accessibility(&client, axe.as_deref(), "/entreprises").await;
    click_link(&client, "Demander un rattachement").await;
    wait_for_heading(&client, "Demander un rattachement").await;
    check_accessibility(&client, axe.as_deref(), "/entreprises/rattachement").await;
    fill(&client, "#siren", "732 829 320").await;
    submit(&client, "main form").await;
    wait_for_heading(&client, "Mes entreprises").await;
    let notice = client.find(Locator::Css("[role=status]")).await.unwrap().text().await.unwrap();
    assert!(notice.contains("courrier avec un code d’activation"), "{notice}");
    sign_out(&client).await;

    // The advisor prepares the batch, downloads the PDF and marks it posted.
    sign_in(&client, &base, "conseiller@opco.fr").await;
    client.goto(&format!("{base}/gestion/courriers")).await.unwrap();
    wait_for_heading(&client, "Courriers d’activation").await;
    check_accessibility(&client, axe.as_deref(), "/gestion/courriers").await;
    submit(&client, "main section").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let pdf_link = loop {
        client.goto(&format!("{base}/gestion/courriers")).await.unwrap();
        if let Ok(link) = client.find(Locator::Css("a[href$='courriers.pdf']")).await {
            break link.attr("href").await.unwrap().expect("href");
        }
        assert!(Instant::now() < deadline, "the batch was never ready");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let bytes = download(&client, pdf_link).await;
    let pages = crate::support::pdf_pages(&bytes);
    assert_eq!(pages.len(), 1);
    let code = crate::support::codes_in(&pages[0]).pop().expect("a code in the letter");
    press(client.find(Locator::Css("form[action$='/poste'] button")).await.expect("posted button")).await;
    wait_for_heading(&client, "Courriers d’activation").await;
    sign_out(&client).await;

    // Claire enters the code and becomes administrator.
    sign_in(&client, &base, "claire@interim-nord.fr").await;
    client.goto(&format!("{base}/entreprises/activer")).await.unwrap();
    wait_for_heading(&client, "Activer l’entreprise avec un code").await;
    check_accessibility(&client, axe.as_deref(), "/entreprises/activer").await;
    fill(&client, "#siren", "732829320").await;
    fill(&client, "#code", &code.to_lowercase()).await;
    submit(&client, "main form").await;
    wait_for_heading(&client, "Intérim Nord").await;
    check_accessibility(&client, axe.as_deref(), "/entreprises/{id}").await;
    sign_out(&client).await;

    // Paul asks for the Roubaix agency only.
    sign_in(&client, &base, "paul@interim-nord.fr").await;
    client.goto(&format!("{base}/entreprises/rattachement")).await.unwrap();
    wait_for_heading(&client, "Demander un rattachement").await;
    fill(&client, "#siren", "732829320").await;
    fill(&client, "#sirets", "732 829 320 00082").await;
    submit(&client, "main form").await;
    wait_for_heading(&client, "Mes entreprises").await;
    sign_out(&client).await;

    // Claire sees the bell, opens the request and grants the training domain.
    sign_in(&client, &base, "claire@interim-nord.fr").await;
    let count = client.find(Locator::Css(".bell-count")).await.expect("a bell count").text().await.unwrap();
    assert_eq!(count, "1");
    client.goto(&format!("{base}/notifications")).await.unwrap();
    wait_for_heading(&client, "Notifications").await;
    check_accessibility(&client, axe.as_deref(), "/notifications").await;
    press(client.find(Locator::Css("ul.notifications form button")).await.expect("open")).await;
    wait_for_heading(&client, "Utilisateurs de Intérim Nord").await;
    check_accessibility(&client, axe.as_deref(), "/entreprises/{id}/utilisateurs").await;
    client
        .find(Locator::Css("article.request input[name=training]"))
        .await
        .expect("training box")
        .click()
        .await
        .unwrap();
    submit(&client, "article.request form[action$='/valider']").await;
    wait_for_heading(&client, "Utilisateurs de Intérim Nord").await;
    screenshot(&client, "utilisateurs").await;
    let approved = store::attachment::list_for_company(&ctx.db, company.id, AttachmentStatus::Approved).await.unwrap();
    assert_eq!(approved.len(), 2);
    sign_out(&client).await;

    // Paul sees the agency, and only it.
    sign_in(&client, &base, "paul@interim-nord.fr").await;
    client.goto(&format!("{base}/entreprises/{}", company.id)).await.unwrap();
    wait_for_heading(&client, "Intérim Nord").await;
    let source = client.source().await.unwrap();
    assert!(source.contains("732 829 320 00082") && source.contains("Agence de Roubaix"));
    assert!(!source.contains("732 829 320 00074"), "the head office is not Paul's");
    assert!(source.contains("Dossiers formation"));

    client.close().await.expect("close browser");
    portal.stop().await;
}

/// Downloads a file the page links to, with the browser's cookies.
async fn download(client: &Client, href: String) -> Vec<u8> {
    let bytes = client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             fetch(arguments[0]).then(r => r.arrayBuffer()).then(b => done(Array.from(new Uint8Array(b))));",
            vec![serde_json::Value::String(href)],
        )
        .await
        .expect("download");
    serde_json::from_value(bytes).expect("bytes")
}

/// Makes `user` an administrator of `company`, with every habilitation.
async fn administer(ctx: &Context, user: i64, company: i64) {
    store::attachment::grant(
        &ctx.db,
        user,
        company,
        None,
        true,
        &domain::habilitation::Domain::ALL,
        store::attachment::Source::Advisor,
        None,
        ctx.clock.now(),
    )
    .await
    .unwrap();
}

/// Sets a form field by script (date inputs read typed text in the browser's locale).
async fn set_value(client: &Client, id: &str, value: &str) {
    client
        .execute("document.getElementById(arguments[0]).value = arguments[1];", vec![id.into(), value.into()])
        .await
        .unwrap_or_else(|e| panic!("set {id}: {e}"));
}

async fn click(client: &Client, css: &str) {
    client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.expect("click");
}

/// The text of `main`, read again while the page is being replaced under us.
async fn body_text(client: &Client) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(main) = client.find(Locator::Css("main")).await
            && let Ok(text) = main.text().await
        {
            return text;
        }
        assert!(Instant::now() < deadline, "no readable main element");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retroactive_drf_becomes_a_dossier_that_is_instructed_in_a_real_browser() {
    let Some(driver) = start_driver().await else { return };
    let axe = axe_script();
    let portal = Portal::start_at(Some("2026-01-10T09:00:00+01:00")).await;
    let base = portal.base.clone();
    let ctx = portal.ctx.clone();
    let company = seed_interim_nord(&ctx, &[("73282932000074", "Siège de Lille", true)]).await;
    let ids = seed_accounts(
        &ctx,
        &[
            ("rh@interim-nord.fr", "Test", domain::Role::CompanyUser),
            ("gestionnaire@opco.fr", "Test", domain::Role::CaseManager),
        ],
    )
    .await;
    administer(&ctx, ids[0], company.id).await;

    let client = browser(&driver).await;

    // 10 January 2026: the company files a DRF CIPI for a training started on 18 December 2025.
    sign_in(&client, &base, "rh@interim-nord.fr").await;
    client.goto(&format!("{base}/entreprises/{}/dossiers", company.id)).await.unwrap();
    wait_for_heading(&client, "Dossiers de Intérim Nord").await;
    check_accessibility(&client, axe.as_deref(), "/entreprises/{id}/dossiers").await;
    click_link(&client, "Nouvelle réservation de fonds (CIPI, CDPI)").await;
    wait_for_heading(&client, "Nouvelle réservation de fonds (DRF)").await;
    check_accessibility(&client, axe.as_deref(), "/entreprises/{id}/drf/nouvelle").await;
    fill(&client, "#trainee_name", "Yasmine Benali").await;
    fill(&client, "#hours", "210").await;
    set_value(&client, "training_start", "2025-12-18").await;
    set_value(&client, "training_end", "2026-03-27").await;
    fill(&client, "#provider_name", "Institut Formation Nord").await;
    fill(&client, "#provider_siret", "552 100 554 00013").await;
    fill(&client, "#provider_nda", "31590000059").await;
    fill(&client, "#cost", "7 350,00").await;
    submit(&client, "main form").await;
    let drf_heading = loop {
        if let Some(h) = heading(&client).await.filter(|h| h.starts_with("Réservation de fonds DRF-")) {
            break h;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let drf_url = client.current_url().await.unwrap().to_string();
    assert!(body_text(&client).await.contains("174,00"), "amount of the rate in force");
    sign_out(&client).await;

    // The case manager validates it.
    sign_in(&client, &base, "gestionnaire@opco.fr").await;
    client.goto(&format!("{base}/gestion/drf")).await.unwrap();
    wait_for_heading(&client, "Réservations de fonds (DRF)").await;
    check_accessibility(&client, axe.as_deref(), "/gestion/drf").await;
    click_link(&client, drf_heading.trim_start_matches("Réservation de fonds ")).await;
    wait_for_heading(&client, &drf_heading).await;
    check_accessibility(&client, axe.as_deref(), "/gestion/drf/{id}").await;
    press(
        client
            .find(Locator::Css("form input[value=validate] ~ button"))
            .await
            .expect("form input[value=validate] ~ button"),
    )
    .await;
    wait_for_heading(&client, &drf_heading).await;
    sign_out(&client).await;

    // The company sees it valid until 28/02/2026 and turns it into a dossier, then files it.
    sign_in(&client, &base, "rh@interim-nord.fr").await;
    client.goto(drf_url.split('?').next().unwrap()).await.unwrap();
    wait_for_heading(&client, &drf_heading).await;
    assert!(body_text(&client).await.contains("Valable jusqu’au 28/02/2026"));
    check_accessibility(&client, axe.as_deref(), "/entreprises/{id}/drf/{id}").await;
    press(client.find(Locator::Css("form[action$='/dossier'] button")).await.expect("form[action$='/dossier'] button"))
        .await;
    wait_for_heading(&client, "Modifier le brouillon").await;
    check_accessibility(&client, axe.as_deref(), "/entreprises/{id}/dossiers/{id}/modifier").await;
    press(client.find(Locator::Css("button[value=submit]")).await.expect("button[value=submit]")).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let dossier_heading = loop {
        if let Some(h) = heading(&client).await.filter(|h| h.starts_with("Dossier AF-")) {
            break h;
        }
        assert!(Instant::now() < deadline, "the dossier was not filed: {}", body_text(&client).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let dossier_url = client.current_url().await.unwrap().to_string();
    assert!(body_text(&client).await.contains("soumis"));
    sign_out(&client).await;

    // The case manager asks for information.
    sign_in(&client, &base, "gestionnaire@opco.fr").await;
    client.goto(&format!("{base}/gestion/dossiers")).await.unwrap();
    wait_for_heading(&client, "Dossiers").await;
    check_accessibility(&client, axe.as_deref(), "/gestion/dossiers").await;
    click_link(&client, dossier_heading.trim_start_matches("Dossier ")).await;
    wait_for_heading(&client, &dossier_heading).await;
    check_accessibility(&client, axe.as_deref(), "/gestion/dossiers/{id}").await;
    click(&client, "#d_info").await;
    fill(&client, "#message", "Merci de joindre le programme détaillé.").await;
    set_value(&client, "due_on", "2026-01-20").await;
    submit(&client, "form[action$='/decision']").await;
    wait_for_heading(&client, &dossier_heading).await;
    assert!(body_text(&client).await.contains("en attente de complément"));
    sign_out(&client).await;

    // The company answers.
    sign_in(&client, &base, "rh@interim-nord.fr").await;
    client.goto(dossier_url.split('?').next().unwrap()).await.unwrap();
    wait_for_heading(&client, &dossier_heading).await;
    check_accessibility(&client, axe.as_deref(), "/entreprises/{id}/dossiers/{id} (complément)").await;
    fill(&client, "#message", "Programme joint à la convention, envoyé ce jour.").await;
    submit(&client, "form[action$='/repondre']").await;
    wait_for_heading(&client, &dossier_heading).await;
    sign_out(&client).await;

    // The case manager accepts.
    sign_in(&client, &base, "gestionnaire@opco.fr").await;
    client.goto(&format!("{base}/gestion/dossiers")).await.unwrap();
    wait_for_heading(&client, "Dossiers").await;
    click_link(&client, dossier_heading.trim_start_matches("Dossier ")).await;
    wait_for_heading(&client, &dossier_heading).await;
    assert!(body_text(&client).await.contains("Programme joint à la convention"), "the answer is on the timeline");
    click(&client, "#d_accept").await;
    submit(&client, "form[action$='/decision']").await;
    wait_for_heading(&client, &dossier_heading).await;
    screenshot(&client, "instruction").await;
    sign_out(&client).await;

    sign_in(&client, &base, "rh@interim-nord.fr").await;
    client.goto(dossier_url.split('?').next().unwrap()).await.unwrap();
    wait_for_heading(&client, &dossier_heading).await;
    let text = body_text(&client).await;
    assert!(text.contains("accepté") && text.contains("Dossier accepté") && text.contains("174,00"), "{text}");
    screenshot(&client, "dossier").await;

    client.close().await.expect("close browser");
    portal.stop().await;
}

/// Waits until the page's heading starts with `prefix`; returns it.
async fn wait_for_heading_starting(client: &Client, prefix: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(h) = heading(client).await.filter(|h| h.starts_with(prefix)) {
            return h;
        }
        assert!(Instant::now() < deadline, "no heading starting with « {prefix} »: {:?}", heading(client).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_reimbursements_become_one_proforma_whose_invoice_is_approved_in_a_real_browser() {
    let Some(driver) = start_driver().await else { return };
    let axe = axe_script();
    let portal = Portal::start_at(Some("2026-02-09T09:00:00+01:00")).await;
    let base = portal.base.clone();
    let ctx = portal.ctx.clone();
    let company = seed_interim_nord(&ctx, &[("73282932000074", "Siège de Lille", true)]).await;
    let ids = seed_accounts(
        &ctx,
        &[
            ("rh@interim-nord.fr", "Camille", domain::Role::CompanyUser),
            ("gestionnaire@opco.fr", "Sophie", domain::Role::CaseManager),
        ],
    )
    .await;
    administer(&ctx, ids[0], company.id).await;
    let head_office = store::company::all_establishments(&ctx.db, company.id).await.unwrap()[0].id;
    let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 2, d).unwrap();
    let mut dossiers = Vec::new();
    for cents in [150_000, 90_000] {
        let dossier = crate::support::accepted_dossier(
            &ctx,
            company.id,
            head_office,
            "PDC50",
            "AKTO",
            domain::habilitation::Domain::Training,
            (day(2), day(6)),
            (cents, cents),
            ids[0],
        )
        .await;
        dossiers.push(dossier);
    }
    let pdf_path = portal._dir.path().join("certificat-de-realisation.pdf");
    std::fs::write(&pdf_path, crate::support::sample_pdf()).unwrap();
    let pdf_path = pdf_path.to_str().unwrap().to_owned();
    let client = browser(&driver).await;

    // The company claims on each accepted dossier, with its certificate.
    sign_in(&client, &base, "rh@interim-nord.fr").await;
    for (dossier, amount) in dossiers.iter().zip(["1 500,00", "900,00"]) {
        client.goto(&format!("{base}/entreprises/{}/dossiers/{}", company.id, dossier.id)).await.unwrap();
        wait_for_heading(&client, &format!("Dossier {}", dossier.number)).await;
        click_link(&client, "Demander un remboursement").await;
        wait_for_heading(&client, "Demande de remboursement").await;
        check_accessibility(&client, axe.as_deref(), "/entreprises/{id}/dossiers/{dossier}/remboursements/nouveau")
            .await;
        fill(&client, "#training_costs", amount).await;
        fill(&client, "#documents", &pdf_path).await;
        submit(&client, "main form").await;
        wait_for_heading_starting(&client, "Demande de remboursement DR-").await;
        assert!(body_text(&client).await.contains("certificat-de-realisation.pdf"));
    }
    check_accessibility(&client, axe.as_deref(), "/entreprises/{id}/remboursements/{dr}").await;
    sign_out(&client).await;

    // The case manager validates both from the queue.
    sign_in(&client, &base, "gestionnaire@opco.fr").await;
    for _ in 0..2 {
        client.goto(&format!("{base}/gestion/remboursements")).await.unwrap();
        wait_for_heading(&client, "Demandes de remboursement").await;
        check_accessibility(&client, axe.as_deref(), "/gestion/remboursements").await;
        press(client.find(Locator::Css("main table tbody a")).await.expect("a DR in the queue")).await;
        wait_for_heading_starting(&client, "Demande de remboursement DR-").await;
        submit(&client, "section[aria-labelledby=decision] form").await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while !body_text(&client).await.contains("validée") {
            assert!(Instant::now() < deadline, "the DR was not validated");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    sign_out(&client).await;

    // The company prepares one proforma for both: AKTO, temporary workers.
    sign_in(&client, &base, "rh@interim-nord.fr").await;
    client.goto(&format!("{base}/entreprises/{}/factures", company.id)).await.unwrap();
    wait_for_heading(&client, "Factures pro forma").await;
    check_accessibility(&client, axe.as_deref(), "/entreprises/{id}/factures").await;
    for checkbox in client.find_all(Locator::Css("input[name=reimbursements]")).await.unwrap() {
        checkbox.click().await.unwrap();
    }
    // One payer and one public only: the form is for « OPCO Démo — intérimaires », nothing else is offered.
    assert!(body_text(&client).await.contains("Financeur : OPCO Démo — public : intérimaires"));
    submit(&client, "main form").await;
    let proforma = wait_for_heading_starting(&client, "Facture pro forma PF-").await;
    let text = body_text(&client).await;
    assert!(text.contains(&dossiers[0].number) && text.contains(&dossiers[1].number), "{text}");
    let spaced = text.replace(['\u{a0}', '\u{202f}'], " ");
    assert!(spaced.contains("2 880,00 €"), "2 400 € HT + 480 € TVA: {text}");
    check_accessibility(&client, axe.as_deref(), "/entreprises/{id}/factures/{proforma}").await;
    screenshot(&client, "proforma").await;

    // Its own invoice, as a PDF whose amounts it copies, with a RIB.
    fill(&client, "#invoice", &pdf_path).await;
    fill(&client, "#number", "FA-2026-0007").await;
    fill(&client, "#buyer_name", "OPCO Démo").await;
    fill(&client, "#seller_siren", "732 829 320").await;
    fill(&client, "#net", "2 400,00").await;
    fill(&client, "#vat", "480,00").await;
    fill(&client, "#gross", "2 880,00").await;
    fill(&client, "#rib", &pdf_path).await;
    submit(&client, "section[aria-labelledby=facture] form").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !body_text(&client).await.contains("à vérifier par l’opérateur") {
        assert!(Instant::now() < deadline, "the invoice was not filed: {}", body_text(&client).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sign_out(&client).await;

    // The case manager approves it: payable.
    sign_in(&client, &base, "gestionnaire@opco.fr").await;
    client.goto(&format!("{base}/gestion/factures")).await.unwrap();
    wait_for_heading(&client, "Factures des entreprises").await;
    click_link(&client, "FA-2026-0007").await;
    wait_for_heading(&client, "Facture FA-2026-0007").await;
    check_accessibility(&client, axe.as_deref(), "/gestion/factures/{invoice}").await;
    submit(&client, "section[aria-labelledby=decision] form").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !body_text(&client).await.contains("approuvée, à payer") {
        assert!(Instant::now() < deadline, "the invoice was not approved");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sign_out(&client).await;

    // The company sees it approved.
    sign_in(&client, &base, "rh@interim-nord.fr").await;
    client.goto(&format!("{base}/entreprises/{}/factures", company.id)).await.unwrap();
    click_link(&client, proforma.trim_start_matches("Facture pro forma ")).await;
    wait_for_heading(&client, &proforma).await;
    assert!(body_text(&client).await.contains("approuvée, à payer"));

    client.close().await.expect("close browser");
    portal.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_invoice_is_paid_by_a_run_and_its_advice_rings_the_bell_in_a_real_browser() {
    let Some(driver) = start_driver().await else { return };
    let axe = axe_script();
    let portal = Portal::start_at(Some("2026-02-09T09:00:00+01:00")).await;
    let base = portal.base.clone();
    let ctx = portal.ctx.clone();
    let company = seed_interim_nord(&ctx, &[("73282932000074", "Siège de Lille", true)]).await;
    let ids = seed_accounts(
        &ctx,
        &[
            ("rh@interim-nord.fr", "Camille", domain::Role::CompanyUser),
            ("finance@opco.fr", "Nadia", domain::Role::PlatformAdmin),
        ],
    )
    .await;
    let now = ctx.clock.now();
    administer(&ctx, ids[0], company.id).await;
    let iban = domain::Iban::parse("FR7630006000011234567890189").unwrap();
    store::company::replace_bank_account(&ctx.db, company.id, &iban, "INTERIM NORD", ids[0], now).await.unwrap();
    let head_office = store::company::all_establishments(&ctx.db, company.id).await.unwrap()[0].id;
    crate::support::approved_invoice(&ctx, (company.id, head_office), ids[0], 150_000, None, now).await;

    // The finance team starts a run by hand; the worker performs it.
    let client = browser(&driver).await;
    sign_in(&client, &base, "finance@opco.fr").await;
    client.goto(&format!("{base}/gestion/paiements")).await.unwrap();
    wait_for_heading(&client, "Paiements").await;
    check_accessibility(&client, axe.as_deref(), "/gestion/paiements").await;
    submit(&client, "form[action$='/lancer']").await;
    wait_for_heading(&client, "Paiements").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        client.goto(&format!("{base}/gestion/paiements")).await.unwrap();
        if body_text(&client).await.contains("1\u{202f}800,00") {
            break;
        }
        assert!(Instant::now() < deadline, "the run was never performed: {}", body_text(&client).await);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // The scheduled run of the previous Friday (empty) may be listed too: take the manual one.
    let run_link = client
        .find(Locator::XPath(
            "//main//tr[contains(., '1\u{202f}800,00')]//a[starts-with(@href, '/gestion/paiements/')]",
        ))
        .await
        .expect("the run");
    press(run_link).await;
    wait_for_heading_starting(&client, "Paiement ").await;
    let text = body_text(&client).await;
    assert!(text.contains("Intérim Nord") && text.contains("1\u{202f}800,00"), "{text}");
    assert!(text.contains("Télécharger le fichier de virements SEPA"), "{text}");
    check_accessibility(&client, axe.as_deref(), "/gestion/paiements/{id}").await;
    sign_out(&client).await;

    // The company's bell rings; the advice is online, with its PDF.
    sign_in(&client, &base, "rh@interim-nord.fr").await;
    let count = client.find(Locator::Css(".bell-count")).await.expect("a bell count").text().await.unwrap();
    assert_eq!(count, "1");
    client.goto(&format!("{base}/notifications")).await.unwrap();
    wait_for_heading(&client, "Notifications").await;
    assert!(body_text(&client).await.contains("Avis de virement"));
    press(client.find(Locator::Css("ul.notifications form button")).await.expect("open")).await;
    let heading = wait_for_heading_starting(&client, "Avis de virement EF-M").await;
    let text = body_text(&client).await;
    assert!(text.contains("1\u{202f}800,00") && text.contains("FA-PF-"), "{text}");
    assert!(!text.contains("FR7630006000011234567890189"), "the IBAN is masked: {text}");
    check_accessibility(&client, axe.as_deref(), "/entreprises/{id}/paiements/{id}").await;
    screenshot(&client, "avis-de-virement").await;
    let pdf_link = client
        .find(Locator::Css("a[href$='avis.pdf']"))
        .await
        .expect("the PDF link")
        .attr("href")
        .await
        .unwrap()
        .expect("href");
    let bytes = download(&client, pdf_link).await;
    let pdf = crate::support::pdf_pages(&bytes).join("\n");
    assert!(pdf.contains(heading.trim_start_matches("Avis de virement ")), "{pdf}");
    client.goto(&format!("{base}/entreprises/{}/paiements", company.id)).await.unwrap();
    wait_for_heading(&client, "Paiements").await;
    check_accessibility(&client, axe.as_deref(), "/entreprises/{id}/paiements").await;

    client.close().await.expect("close browser");
    portal.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_searches_the_faq_for_facture_proforma_and_opens_the_answer_in_a_real_browser() {
    let Some(driver) = start_driver().await else { return };
    let axe = axe_script();
    let portal = Portal::start().await;
    let base = portal.base.clone();
    let client = browser(&driver).await;

    client.goto(&format!("{base}/connexion")).await.unwrap();
    wait_for_heading(&client, "Se connecter").await;
    click_link(&client, "Aide").await;
    wait_for_heading(&client, "Aide et questions fréquentes").await;
    check_accessibility(&client, axe.as_deref(), "/aide").await;
    fill(&client, "#q", "facture proforma").await;
    submit(&client, "form[role=search]").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let link = loop {
        if let Ok(link) = client.find(Locator::Css("#resultats ~ ul a")).await {
            break link;
        }
        assert!(Instant::now() < deadline, "no result: {}", body_text(&client).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    check_accessibility(&client, axe.as_deref(), "/aide?q=…").await;
    let question = link.text().await.unwrap();
    press(link).await;
    wait_for_heading(&client, &question).await;
    let text = body_text(&client).await;
    assert!(text.contains("mise à jour le"), "{text}");
    assert!(text.to_lowercase().contains("pro forma") || text.to_lowercase().contains("proforma"), "{text}");
    check_accessibility(&client, axe.as_deref(), "/aide/faq/{slug}").await;
    screenshot(&client, "aide").await;

    client.close().await.expect("close browser");
    portal.stop().await;
}
