//! Bounded staff lists (SPEC Q5, issue 13 point 1): the company directory, the audit journal,
//! the payment runs and a company's transfers, the activation letters. Each is paged with a
//! count and keyset continuation, filtered by what people look for, exported as a French CSV,
//! refuses bad parameters in French naming them, is closed to other companies' users, and
//! reads a page with the same statements whatever its length.

use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};
use domain::Role;
use domain::habilitation::Domain;
use http::StatusCode;

use crate::support::{PASSWORD, TestApp, TestClient, TestResponse, approved_invoice};

const NORD_IBAN: &str = "FR7630006000011234567890189";
const BTP_IBAN: &str = "FR1420041010050500013M02606";

fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

/// A valid SIREN starting with the eight digits of `prefix`.
fn siren(prefix: u32) -> String {
    (0..10).map(|check| format!("{prefix:08}{check}")).find(|s| domain::Siren::parse(s).is_ok()).expect("a check digit")
}

/// A company made through the store, with its head-office town.
async fn company(app: &TestApp, prefix: u32, name: &str, postal_code: &str, city: &str) -> i64 {
    let input = store::company::CompanyInput {
        siren: domain::Siren::parse(&siren(prefix)).unwrap(),
        name: name.into(),
        address: store::company::Address {
            street: "3 place du Marché".into(),
            complement: None,
            postal_code: postal_code.into(),
            city: city.into(),
        },
        vat_subject: true,
        headcount: Some(12),
        branch: None,
        region: None,
    };
    store::company::create(&app.ctx.db, input, app.ctx.clock.now()).await.unwrap().id
}

/// A CSV export as bytes, checked for the BOM, and its lines.
fn csv_lines(bytes: &[u8]) -> Vec<String> {
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "UTF-8 byte-order mark first");
    let text = std::str::from_utf8(&bytes[3..]).expect("UTF-8");
    assert!(text.ends_with("\r\n"));
    text.trim_end_matches("\r\n").split("\r\n").map(str::to_owned).collect()
}

/// The href of the « Page suivante » link.
fn next_href(page: &TestResponse) -> Option<String> {
    let html = page.html();
    let selector = scraper::Selector::parse("a[rel=next]").unwrap();
    html.select(&selector).next().and_then(|a| a.value().attr("href")).map(|h| h.replace("&amp;", "&"))
}

/// Follows « Page suivante » from `first`: the texts of `selector` on every page, and the
/// number of lines of each page.
async fn walk(client: &mut TestClient, first: &str, selector: &str) -> (Vec<String>, Vec<usize>) {
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut href = Some(first.to_owned());
    while let Some(h) = href {
        let page = client.get(&h).await;
        assert_eq!(page.status, StatusCode::OK, "{h}: {}", page.body);
        let lines = page.texts(selector);
        sizes.push(lines.len());
        seen.extend(lines);
        href = next_href(&page);
        if let Some(h) = &href {
            assert!(h.contains("apres="), "keyset link: {h}");
        }
    }
    (seen, sizes)
}

/// Checks a CSV export's headers and returns its lines.
async fn export(client: &mut TestClient, path: &str) -> Vec<String> {
    let response = client.get(path).await;
    assert_eq!(response.status, StatusCode::OK, "{path}: {}", response.body);
    assert_eq!(response.headers["content-type"], "text/csv; charset=utf-8");
    assert!(response.headers["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\""));
    let (status, bytes) = client.get_bytes(path).await;
    assert_eq!(status, StatusCode::OK);
    csv_lines(&bytes)
}

fn today(app: &TestApp) -> String {
    domain::clock::paris_day(app.ctx.clock.now()).format("%d/%m/%Y").to_string()
}

// -------------------------------------------------------------------------------------------
// Companies.

/// Five companies: Nord (with an administrator) and BTP (followed by the advisor) in Lille, and
/// three more elsewhere. Returns the advisor's account id.
async fn five_companies(app: &TestApp) -> (crate::support::TestCompany, crate::support::TestCompany, i64) {
    let nord = app.company_nord().await;
    let btp = app.company_btp().await;
    company(app, 10_000_001, "Atelier Dupont", "75011", "Paris").await;
    company(app, 10_000_002, "Zinc & Co", "69003", "Lyon").await;
    company(app, 10_000_003, "Boulangerie Martin", "33000", "Bordeaux").await;
    let admin = app.account("rh@interim-nord.fr", PASSWORD, Role::CompanyUser).await;
    app.attach(admin, nord.id, None, true, &Domain::ALL).await;
    let advisor = app.account("suivi@opco.fr", PASSWORD, Role::Advisor).await;
    store::contact::set(&app.ctx.db, btp.id, Some(advisor), None, None, advisor, app.ctx.clock.now()).await.unwrap();
    (nord, btp, advisor)
}

const COMPANY_NAMES: &str = "table.table tbody tr td:first-child a";

#[tokio::test]
async fn company_directory_is_paged_filtered_and_exported() {
    let app = TestApp::spawn().await;
    let (nord, btp, advisor) = five_companies(&app).await;
    let mut staff = app.signed_in("conseiller@opco.fr", Role::Advisor).await;

    let page = staff.get("/gestion/entreprises").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let all = page.texts(COMPANY_NAMES);
    assert_eq!(all.len(), 5);
    assert!(page.body.contains("5 lignes"), "count shown");
    assert!(page.body.contains("/gestion/entreprises.csv"), "export link");
    // Two a page by keyset on the name: 2 + 2 + 1, the same order, nothing twice.
    let (seen, sizes) = walk(&mut staff, "/gestion/entreprises?par_page=2", COMPANY_NAMES).await;
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(seen, all);
    let third = staff.get("/gestion/entreprises?par_page=2&page=3").await;
    assert_eq!(third.texts(COMPANY_NAMES), [all[4].clone()], "numbered pages too");
    assert!(third.body.contains("page 3 sur 3"));

    let names = async |client: &mut TestClient, query: &str| {
        let page = client.get(&format!("/gestion/entreprises?{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{query}: {}", page.body);
        let mut names = page.texts(COMPANY_NAMES);
        names.sort();
        names
    };
    assert_eq!(names(&mut staff, "q=dupont").await, ["Atelier Dupont"], "name, any case");
    assert_eq!(names(&mut staff, "q=732829").await, ["Intérim Nord"], "start of a SIREN");
    assert_eq!(names(&mut staff, &format!("q={}", btp.agency_siret)).await, ["BTP Emploi"], "a SIRET");
    assert!(names(&mut staff, "q=%25").await.is_empty(), "a wildcard is not everyone");
    assert_eq!(names(&mut staff, "commune=LYON").await, ["Zinc & Co"], "town");
    assert_eq!(names(&mut staff, "commune=59").await, ["BTP Emploi", "Intérim Nord"], "postal code");
    assert_eq!(names(&mut staff, "administrateur=oui").await, ["Intérim Nord"]);
    assert_eq!(names(&mut staff, "administrateur=non").await.len(), 4);
    assert_eq!(names(&mut staff, &format!("conseiller={advisor}")).await, ["BTP Emploi"]);
    let page = staff.get("/gestion/entreprises?commune=59&par_page=1").await;
    assert!(page.body.contains("2 lignes"), "filtered count");
    assert_eq!(page.input_value("commune").as_deref(), Some("59"), "filter kept in the form");
    let next = next_href(&page).unwrap();
    assert!(next.contains("commune=59") && next.contains("par_page=1"), "{next}");

    // The export: the whole filtered list, French cells.
    let lines = export(&mut staff, "/gestion/entreprises.csv").await;
    assert_eq!(
        lines[0],
        "Raison sociale;SIREN;Adresse;Complément;Code postal;Commune;Effectif;Assujettie à la TVA;EDI;Administrateurs;Conseiller;Créée le"
    );
    assert_eq!(lines.len(), 6);
    let dupont = lines.iter().find(|l| l.starts_with("Atelier Dupont;")).unwrap();
    assert_eq!(
        *dupont,
        format!("Atelier Dupont;{};3 place du Marché;;75011;Paris;12;oui;non;0;;{}", siren(10_000_001), today(&app))
    );
    let nord_line = lines.iter().find(|l| l.starts_with("Intérim Nord;")).unwrap();
    assert!(nord_line.contains(";oui;non;1;;"), "one administrator: {nord_line}");
    let btp_line = lines.iter().find(|l| l.starts_with("BTP Emploi;")).unwrap();
    assert!(btp_line.contains(";0;Marie Durand;"), "the advisor: {btp_line}");
    let lines = export(&mut staff, "/gestion/entreprises.csv?administrateur=oui&par_page=1").await;
    assert_eq!(lines.len(), 2, "filters apply, the window does not");
    assert!(lines[1].starts_with(&format!("Intérim Nord;{};", nord.siren)));
}

// -------------------------------------------------------------------------------------------
// Journal.

async fn event(app: &TestApp, actor: &str, action: &str, subject: Option<(&str, String)>, at: DateTime<Utc>) {
    let actor = store::audit::Actor { user_id: None, label: actor.to_owned() };
    let origin = store::audit::Origin { ip: Some("10.1.2.3".into()), request_id: Some("req-1".into()) };
    store::audit::record(
        &app.ctx.db,
        store::audit::Entry { actor: &actor, action, subject, origin: &origin, detail: None },
        at,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn audit_journal_is_paged_filtered_and_exported() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let btp = app.company_btp().await;
    event(&app, "alice@opco.fr", "test.company", Some(("company", nord.id.to_string())), utc(2026, 1, 10, 10)).await;
    event(
        &app,
        "bob@opco.fr",
        "test.establishment",
        Some(("establishment", nord.agency.to_string())),
        utc(2026, 1, 20, 10),
    )
    .await;
    event(&app, "alice@opco.fr", "test.other", Some(("company", btp.id.to_string())), utc(2026, 2, 1, 10)).await;
    event(&app, "worker", "test.job", None, utc(2026, 2, 15, 23)).await;
    let mut admin = app.signed_in("admin@opco.fr", Role::PlatformAdmin).await;
    let actions = "table.table tbody tr td:nth-child(3)";

    let page = admin.get("/gestion/journal?action=test.").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.texts(actions), ["test.job", "test.other", "test.establishment", "test.company"], "newest first");
    assert!(page.body.contains("4 lignes"));
    let (seen, sizes) = walk(&mut admin, "/gestion/journal?action=test.&par_page=3", actions).await;
    assert_eq!(sizes, [3, 1]);
    assert_eq!(seen, ["test.job", "test.other", "test.establishment", "test.company"]);

    let count = async |client: &mut TestClient, query: &str| {
        let page = client.get(&format!("/gestion/journal?action=test.&{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{query}: {}", page.body);
        page.texts(actions)
    };
    assert_eq!(count(&mut admin, "auteur=ALICE").await, ["test.other", "test.company"], "actor, any case");
    assert_eq!(
        count(&mut admin, &format!("entreprise={}", nord.id)).await,
        ["test.establishment", "test.company"],
        "the company and its establishments"
    );
    assert_eq!(count(&mut admin, "du=2026-01-15&au=2026-02-01").await, ["test.other", "test.establishment"]);
    // 23:00 UTC on 15 February is the 16th in Paris.
    assert_eq!(count(&mut admin, "du=16/02/2026").await, ["test.job"], "Paris days");
    assert!(admin.get("/gestion/journal").await.body.contains("auth."), "no filter: everything");

    let lines = export(&mut admin, "/gestion/journal.csv?action=test.").await;
    assert_eq!(lines[0], "Date;Heure;Auteur;Action;Objet;Adresse IP;Requête");
    assert_eq!(lines.len(), 5);
    assert_eq!(
        lines[4],
        format!("10/01/2026;11:00:00;alice@opco.fr;test.company;company n° {};10.1.2.3;req-1", nord.id)
    );
    let lines = export(&mut admin, "/gestion/journal.csv?action=test.&auteur=worker&par_page=1").await;
    assert_eq!(
        lines,
        ["Date;Heure;Auteur;Action;Objet;Adresse IP;Requête", "16/02/2026;00:00:00;worker;test.job;;10.1.2.3;req-1"]
    );

    // Events on the company's other rows (here an attachment) are the company's too.
    let member = app.account("membre@interim-nord.fr", PASSWORD, Role::CompanyUser).await;
    let attachment = app.attach(member, nord.id, None, false, &[Domain::Training]).await;
    event(&app, "alice@opco.fr", "later.attachment", Some(("attachment", attachment.to_string())), utc(2026, 3, 1, 10))
        .await;
    let page = admin.get(&format!("/gestion/journal?action=later.&entreprise={}", nord.id)).await;
    assert_eq!(page.texts(actions), ["later.attachment"]);
    let page = admin.get(&format!("/gestion/journal?action=later.&entreprise={}", btp.id)).await;
    assert!(page.texts(actions).is_empty());

    // An advisor does not read the journal, nor its export.
    let mut advisor = app.signed_in("conseiller@opco.fr", Role::Advisor).await;
    for path in ["/gestion/journal", "/gestion/journal.csv"] {
        assert_eq!(advisor.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
}

// -------------------------------------------------------------------------------------------
// Payments.

/// A frozen run paying each of `payees` (company, name, IBAN, cents, invoice paid). A payment's
/// amount is the sum of its invoices: without one it is zero.
async fn run(app: &TestApp, slot: &str, execution: NaiveDate, payees: &[(i64, &str, &str, i64, Option<i64>)]) {
    let now = app.ctx.clock.now();
    let new = store::payment::NewRun {
        slot_key: slot.into(),
        kind: "manual",
        message_id: format!("MSG-{slot}"),
        cutoff: now,
        execution_date: execution,
        started_by: None,
    };
    let store::payment::Begin::Started(run) = store::payment::begin(&app.ctx.db, new, now).await.unwrap() else {
        panic!("a run starts");
    };
    for (i, (company, name, iban, cents, invoice)) in payees.iter().enumerate() {
        let items = invoice
            .map(|invoice_id| store::payment::NewItem {
                invoice_id,
                amount_cents: *cents,
                invoice_number: "F-1".into(),
                proforma_number: "P-1".into(),
                dossiers: String::new(),
            })
            .into_iter()
            .collect();
        let new = store::payment::NewPayment {
            payee_key: format!("payee-{i}"),
            company_id: *company,
            payee_kind: "company",
            payee_name: (*name).to_owned(),
            payee_iban: (*iban).to_owned(),
            items,
        };
        store::payment::record(&app.ctx.db, &run, new).await.unwrap();
    }
    store::payment::freeze(&app.ctx.db, run.id, now).await.unwrap();
}

/// A company user with the administrator's rights on the company.
async fn admin_of(app: &TestApp, company: i64, email: &str) -> (TestClient, i64) {
    let client = app.signed_in(email, Role::CompanyUser).await;
    let id = app.user_id(email).await;
    app.attach(id, company, None, true, &Domain::ALL).await;
    (client, id)
}

/// An approved invoice of Nord (what makes a run start).
async fn payable(app: &TestApp, nord: &crate::support::TestCompany, user: i64) -> i64 {
    let approved_at = app.ctx.clock.now() - chrono::Duration::hours(1);
    approved_invoice(&app.ctx, (nord.id, nord.head_office), user, 10_000, None, approved_at).await
}

#[tokio::test]
async fn payment_runs_and_transfers_are_paged_and_exported() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let btp = app.company_btp().await;
    let (mut nord_admin, user) = admin_of(&app, nord.id, "rh@interim-nord.fr").await;
    let (mut btp_admin, _) = admin_of(&app, btp.id, "rh@btp-emploi.fr").await;
    let invoice = payable(&app, &nord, user).await;
    let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).unwrap();
    run(
        &app,
        "2026-01-06T06:00",
        day(6),
        &[(nord.id, "Intérim Nord", NORD_IBAN, 123_450, None), (btp.id, "BTP Emploi", BTP_IBAN, 50_000, None)],
    )
    .await;
    run(&app, "2026-01-09T06:00", day(9), &[(nord.id, "Intérim Nord", NORD_IBAN, 9_999, Some(invoice))]).await;
    let mut staff = app.signed_in("admin@opco.fr", Role::PlatformAdmin).await;

    // The runs, newest first, one a page by keyset.
    let slots = "section[aria-labelledby=liste] tbody tr td:nth-child(2)";
    let page = staff.get("/gestion/paiements").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.texts(slots), ["2026-01-09T06:00", "2026-01-06T06:00"]);
    assert!(page.body.contains("2 lignes") && page.body.contains("/gestion/paiements.csv"));
    let (seen, sizes) = walk(&mut staff, "/gestion/paiements?par_page=1", slots).await;
    assert_eq!(sizes, [1, 1]);
    assert_eq!(seen, ["2026-01-09T06:00", "2026-01-06T06:00"]);

    // Every transfer, one line each.
    let masked = |iban: &str| domain::Iban::parse(iban).unwrap().masked();
    let lines = export(&mut staff, "/gestion/paiements.csv").await;
    assert_eq!(
        lines[0],
        "Entreprise;Paiement (créneau);Date d’exécution;Référence;Bénéficiaire;Compte;Montant;Factures;État"
    );
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[1],
        format!(
            "Intérim Nord;2026-01-09T06:00;09/01/2026;MSG-2026-01-09T06:00-000001;Intérim Nord;{};99,99;1;virement émis",
            masked(NORD_IBAN)
        )
    );
    assert_eq!(
        lines[2],
        format!(
            "BTP Emploi;2026-01-06T06:00;06/01/2026;MSG-2026-01-06T06:00-000002;BTP Emploi;{};0,00;0;virement émis",
            masked(BTP_IBAN)
        )
    );
    assert!(!lines.iter().any(|l| l.contains(NORD_IBAN)), "IBANs masked as on the page");

    // The company's transfers: its own only, paged and exported.
    let references = "section[aria-labelledby=payes] tbody tr td:first-child a";
    let path = format!("/entreprises/{}/paiements", nord.id);
    let page = nord_admin.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.texts(references), ["MSG-2026-01-09T06:00-000001", "MSG-2026-01-06T06:00-000001"]);
    assert!(page.body.contains("2 lignes") && page.body.contains(&format!("{path}.csv")));
    let (seen, sizes) = walk(&mut nord_admin, &format!("{path}?par_page=1"), references).await;
    assert_eq!(sizes, [1, 1]);
    assert_eq!(seen.len(), 2);
    let lines = export(&mut nord_admin, &format!("{path}.csv")).await;
    assert_eq!(lines[0], "Paiement (créneau);Date d’exécution;Référence;Bénéficiaire;Compte;Montant;Factures;État");
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines[2],
        format!(
            "2026-01-06T06:00;06/01/2026;MSG-2026-01-06T06:00-000001;Intérim Nord;{};0,00;0;virement émis",
            masked(NORD_IBAN)
        )
    );
    let (_, bytes) = btp_admin.get_bytes(&format!("/entreprises/{}/paiements.csv", btp.id)).await;
    let lines = csv_lines(&bytes);
    assert_eq!(lines.len(), 2, "BTP's own transfer only");
    assert!(lines[1].contains(";MSG-2026-01-06T06:00-000002;BTP Emploi;"), "{}", lines[1]);
}

// -------------------------------------------------------------------------------------------
// Letters.

#[tokio::test]
async fn activation_letters_are_paged_filtered_and_exported() {
    use store::activation::LetterReason;
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let btp = app.company_btp().await;
    let advisor_id = app.account("conseiller@opco.fr", PASSWORD, Role::Advisor).await;
    let queue = async |company: i64, reason, at| {
        store::activation::queue_letter(&app.ctx.db, company, None, reason, at).await.unwrap()
    };
    let first = queue(nord.id, LetterReason::Advisor, utc(2026, 1, 2, 9)).await;
    queue(btp.id, LetterReason::AttachmentRequest, utc(2026, 1, 3, 9)).await;
    // The two oldest go into a batch.
    let batch = store::activation::create_batch(&app.ctx.db, advisor_id, 2, utc(2026, 1, 4, 9)).await.unwrap().unwrap();
    queue(nord.id, LetterReason::Advisor, utc(2026, 1, 20, 9)).await;
    queue(nord.id, LetterReason::AttachmentRequest, utc(2026, 2, 1, 23)).await;
    let mut staff = app.client();
    assert_eq!(staff.login("conseiller@opco.fr", PASSWORD).await.status, StatusCode::SEE_OTHER);
    let companies = "section[aria-labelledby=courriers] tbody tr td:first-child a";

    let page = staff.get("/gestion/courriers").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("En attente (2)"), "the queue's count");
    assert_eq!(page.texts(companies), ["Intérim Nord", "Intérim Nord", "BTP Emploi", "Intérim Nord"], "newest first");
    assert!(page.body.contains("4 lignes") && page.body.contains("/gestion/courriers.csv"));
    let (seen, sizes) = walk(&mut staff, "/gestion/courriers?par_page=3", companies).await;
    assert_eq!(sizes, [3, 1]);
    assert_eq!(seen.len(), 4);

    let count = async |client: &mut TestClient, query: &str| {
        let page = client.get(&format!("/gestion/courriers?{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{query}: {}", page.body);
        page.texts(companies).len()
    };
    assert_eq!(count(&mut staff, "statut=batched").await, 2);
    assert_eq!(count(&mut staff, "statut=queued").await, 2);
    assert_eq!(count(&mut staff, "statut=posted").await, 0);
    assert_eq!(count(&mut staff, &format!("entreprise={}", btp.id)).await, 1);
    assert_eq!(count(&mut staff, "du=2026-01-03&au=2026-01-20").await, 2);
    assert_eq!(count(&mut staff, "du=02/02/2026").await, 1, "23:00 UTC on 1 February is the 2nd in Paris");
    let page = staff.get(&format!("/gestion/courriers?entreprise={}&par_page=1", nord.id)).await;
    assert!(page.body.contains("3 lignes"));
    assert!(next_href(&page).unwrap().contains(&format!("entreprise={}", nord.id)));

    let lines = export(&mut staff, "/gestion/courriers.csv").await;
    assert_eq!(lines[0], "Courrier;Entreprise;Motif;Demandé le;État;Lot;Posté le");
    assert_eq!(lines.len(), 5);
    assert_eq!(
        lines[4],
        format!("{first};Intérim Nord;demande du conseiller;02/01/2026;dans un lot à poster;{batch};")
    );
    assert!(
        lines[1].ends_with(";Intérim Nord;demande de rattachement;02/02/2026;en attente d’un lot;;"),
        "{}",
        lines[1]
    );
    let lines = export(&mut staff, &format!("/gestion/courriers.csv?statut=queued&entreprise={}", nord.id)).await;
    assert_eq!(lines.len(), 3);
}

// -------------------------------------------------------------------------------------------
// Refusals and tenancy.

#[tokio::test]
async fn bad_staff_list_parameters_are_refused_in_french_naming_the_field() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let (mut company, _) = admin_of(&app, nord.id, "rh@interim-nord.fr").await;
    let mut admin = app.signed_in("admin@opco.fr", Role::PlatformAdmin).await;
    let company_payments = format!("/entreprises/{}/paiements", nord.id);
    let window: [(&str, StatusCode, &str); 4] = [
        ("par_page=500", StatusCode::UNPROCESSABLE_ENTITY, "par_page"),
        ("par_page=dix", StatusCode::BAD_REQUEST, "par_page"),
        ("apres=abc", StatusCode::BAD_REQUEST, "apres"),
        ("page=99999999999999999999999", StatusCode::BAD_REQUEST, "page"),
    ];
    let lists = ["/gestion/entreprises", "/gestion/journal", "/gestion/paiements", "/gestion/courriers"];
    for (query, status, field) in window {
        for path in lists.iter().flat_map(|l| [(*l).to_owned(), format!("{l}.csv")]) {
            let response = admin.get(&format!("{path}?{query}")).await;
            assert_eq!(response.status, status, "{path}?{query}: {}", response.body);
            assert!(response.body.contains(&format!("« {field} »")), "{path}?{query} names {field}: {}", response.body);
        }
        for path in [company_payments.clone(), format!("{company_payments}.csv")] {
            let response = company.get(&format!("{path}?{query}")).await;
            assert_eq!(response.status, status, "{path}?{query}: {}", response.body);
            assert!(response.body.contains(&format!("« {field} »")), "{path}?{query}: {}", response.body);
        }
    }
    let filters: [(&str, StatusCode, &str); 9] = [
        ("/gestion/entreprises?administrateur=parfois", StatusCode::UNPROCESSABLE_ENTITY, "administrateur"),
        ("/gestion/entreprises?conseiller=paul", StatusCode::BAD_REQUEST, "conseiller"),
        ("/gestion/journal?entreprise=nord", StatusCode::BAD_REQUEST, "entreprise"),
        ("/gestion/journal?du=hier", StatusCode::UNPROCESSABLE_ENTITY, "du"),
        ("/gestion/journal?du=2026-03-01&au=2026-02-01", StatusCode::UNPROCESSABLE_ENTITY, "au"),
        ("/gestion/courriers?statut=perdu", StatusCode::UNPROCESSABLE_ENTITY, "statut"),
        ("/gestion/courriers?entreprise=x", StatusCode::BAD_REQUEST, "entreprise"),
        ("/gestion/courriers?au=31/02/2026", StatusCode::UNPROCESSABLE_ENTITY, "au"),
        ("/gestion/courriers?du=2026-03-01&au=2026-02-01", StatusCode::UNPROCESSABLE_ENTITY, "au"),
    ];
    for (path, status, field) in filters {
        for path in [path.to_owned(), path.replacen('?', ".csv?", 1)] {
            let response = admin.get(&path).await;
            assert_eq!(response.status, status, "{path}: {}", response.body);
            assert!(response.body.contains(&format!("« {field} »")), "{path} names {field}: {}", response.body);
        }
    }
}

#[tokio::test]
async fn another_company_gets_nothing_from_the_staff_lists_and_transfers() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let btp = app.company_btp().await;
    let (_, user) = admin_of(&app, nord.id, "rh@interim-nord.fr").await;
    let (mut other, _) = admin_of(&app, btp.id, "rh@btp-emploi.fr").await;
    let invoice = payable(&app, &nord, user).await;
    run(
        &app,
        "2026-01-06T06:00",
        NaiveDate::from_ymd_opt(2026, 1, 6).unwrap(),
        &[(nord.id, "Intérim Nord", NORD_IBAN, 9_999, Some(invoice))],
    )
    .await;
    store::activation::queue_letter(
        &app.ctx.db,
        nord.id,
        None,
        store::activation::LetterReason::Advisor,
        app.ctx.clock.now(),
    )
    .await
    .unwrap();

    for path in [
        format!("/entreprises/{}/paiements", nord.id),
        format!("/entreprises/{}/paiements?par_page=200", nord.id),
        format!("/entreprises/{}/paiements.csv", nord.id),
        "/gestion/entreprises".to_owned(),
        "/gestion/entreprises.csv".to_owned(),
        "/gestion/journal".to_owned(),
        "/gestion/journal.csv".to_owned(),
        "/gestion/paiements".to_owned(),
        "/gestion/paiements.csv".to_owned(),
        "/gestion/courriers".to_owned(),
        "/gestion/courriers.csv".to_owned(),
    ] {
        let response = other.get(&path).await;
        assert!(
            matches!(response.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
            "{path}: {}",
            response.status
        );
        assert!(!response.body.contains("Intérim Nord") && !response.body.contains("MSG-"), "{path}");
    }
    // A user of Nord without the invoicing habilitation does not see its transfers either.
    let mut clerk = app.signed_in("agence@interim-nord.fr", Role::CompanyUser).await;
    let clerk_id = app.user_id("agence@interim-nord.fr").await;
    app.attach(clerk_id, nord.id, Some(nord.agency), false, &[Domain::Training]).await;
    for path in [format!("/entreprises/{}/paiements", nord.id), format!("/entreprises/{}/paiements.csv", nord.id)] {
        let response = clerk.get(&path).await;
        assert!(
            matches!(response.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
            "{path}: {}",
            response.status
        );
    }
    // Their own transfers: none, and a header-only export.
    let (status, bytes) = other.get_bytes(&format!("/entreprises/{}/paiements.csv", btp.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(csv_lines(&bytes).len(), 1);
}

// -------------------------------------------------------------------------------------------
// Statements per page.

#[tokio::test]
async fn staff_list_statements_do_not_grow_with_their_lines() {
    let mut app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let user = app.account("rh@interim-nord.fr", PASSWORD, Role::CompanyUser).await;
    app.attach(user, nord.id, None, true, &Domain::ALL).await;
    app.account("admin@opco.fr", PASSWORD, Role::PlatformAdmin).await;
    payable(&app, &nord, user).await;
    let counter = app.count_statements();
    let mut staff = app.client();
    assert_eq!(staff.login("admin@opco.fr", PASSWORD).await.status, StatusCode::SEE_OTHER);
    let mut company_client = app.client();
    assert_eq!(company_client.login("rh@interim-nord.fr", PASSWORD).await.status, StatusCode::SEE_OTHER);

    let measure = async |client: &mut TestClient, path: &str, selector: &str| {
        // A first request warms what is read once per process.
        client.get(path).await;
        let before = counter.load(std::sync::atomic::Ordering::SeqCst);
        let page = client.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        (counter.load(std::sync::atomic::Ordering::SeqCst) - before, page.texts(selector).len())
    };
    let mut added = 0u32;
    let add = async |app: &TestApp, added: &mut u32, n: u32| {
        for _ in 0..n {
            *added += 1;
            let i = *added;
            let other = company(app, 20_000_000 + i, &format!("Société {i:02}"), "13001", "Marseille").await;
            let at = utc(2026, 1, 1, 0) + chrono::Duration::hours(i.into());
            event(app, "alice@opco.fr", "test.line", Some(("company", other.to_string())), at).await;
            store::activation::queue_letter(&app.ctx.db, other, None, store::activation::LetterReason::Advisor, at)
                .await
                .unwrap();
            run(
                app,
                &format!("slot-{i:02}"),
                NaiveDate::from_ymd_opt(2026, 1, 6).unwrap(),
                &[(nord.id, "Intérim Nord", NORD_IBAN, 100, None), (other, "Autre", BTP_IBAN, 100, None)],
            )
            .await;
        }
    };
    let pages = [
        ("/gestion/entreprises?commune=13001", "table.table tbody tr"),
        ("/gestion/journal?action=test.", "table.table tbody tr"),
        ("/gestion/paiements", "section[aria-labelledby=liste] tbody tr"),
        ("/gestion/courriers", "section[aria-labelledby=courriers] tbody tr"),
    ];
    let company_path = format!("/entreprises/{}/paiements", nord.id);
    let company_selector = "section[aria-labelledby=payes] tbody tr";

    add(&app, &mut added, 2).await;
    let mut small = Vec::new();
    for (path, selector) in pages {
        let (statements, lines) = measure(&mut staff, path, selector).await;
        assert_eq!(lines, 2, "{path}");
        small.push(statements);
    }
    let (small_company, lines) = measure(&mut company_client, &company_path, company_selector).await;
    assert_eq!(lines, 2);
    add(&app, &mut added, 20).await;
    for ((path, selector), small) in pages.into_iter().zip(small) {
        let (statements, lines) = measure(&mut staff, path, selector).await;
        assert_eq!(lines, 22, "{path}");
        println!("statements: {path} {small} → {statements}");
        assert_eq!(small, statements, "{path}: statements per page do not depend on its lines");
    }
    let (large_company, lines) = measure(&mut company_client, &company_path, company_selector).await;
    assert_eq!(lines, 22);
    assert_eq!(small_company, large_company, "{company_path}: statements per page do not depend on its lines");
}

// -------------------------------------------------------------------------------------------
// A company's members; a person's sessions and tokens.

/// `n` more members of Nord, company-wide, `membre-{i}@interim-nord.fr`.
async fn members(app: &TestApp, company: i64, from: u32, n: u32) {
    for i in from..from + n {
        let id = app.account(&format!("membre-{i:02}@interim-nord.fr"), PASSWORD, Role::CompanyUser).await;
        app.attach(id, company, None, false, &[Domain::Training]).await;
    }
}

const MEMBER_EMAILS: &str = "section[aria-labelledby=membres] tbody tr td:first-child span.muted";

#[tokio::test]
async fn company_members_are_paged_and_searched() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let btp = app.company_btp().await;
    let (mut admin, _) = admin_of(&app, nord.id, "rh@interim-nord.fr").await;
    let (mut other, _) = admin_of(&app, btp.id, "rh@btp-emploi.fr").await;
    members(&app, nord.id, 1, 5).await;
    let path = format!("/entreprises/{}/utilisateurs", nord.id);

    let page = admin.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let all = page.texts(MEMBER_EMAILS);
    assert_eq!(all.len(), 6);
    assert_eq!(all[0], "rh@interim-nord.fr", "oldest attachment first");
    assert!(page.body.contains("6 lignes"));
    let (seen, sizes) = walk(&mut admin, &format!("{path}?par_page=4"), MEMBER_EMAILS).await;
    assert_eq!(sizes, [4, 2]);
    assert_eq!(seen, all);
    let found = admin.get(&format!("{path}?q=MEMBRE-03")).await;
    assert_eq!(found.texts(MEMBER_EMAILS), ["membre-03@interim-nord.fr"], "e-mail, any case");
    assert_eq!(found.input_value("q").as_deref(), Some("MEMBRE-03"));
    assert_eq!(admin.get(&format!("{path}?q=durand")).await.texts(MEMBER_EMAILS).len(), 6, "name");
    assert!(admin.get(&format!("{path}?q=%25")).await.texts(MEMBER_EMAILS).len() == 6, "a wildcard is taken out");
    let bad = admin.get(&format!("{path}?par_page=500")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("« par_page »"));
    // Another company's administrator gets nothing.
    for query in ["", "?par_page=200", "?q=membre"] {
        let response = other.get(&format!("{path}{query}")).await;
        assert!(matches!(response.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN), "{query}");
        assert!(!response.body.contains("membre-"));
    }
}

#[tokio::test]
async fn members_page_statements_do_not_grow_with_its_lines() {
    let mut app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let admin = app.account("rh@interim-nord.fr", PASSWORD, Role::CompanyUser).await;
    app.attach(admin, nord.id, None, true, &Domain::ALL).await;
    let counter = app.count_statements();
    let mut client = app.client();
    assert_eq!(client.login("rh@interim-nord.fr", PASSWORD).await.status, StatusCode::SEE_OTHER);
    let path = format!("/entreprises/{}/utilisateurs", nord.id);
    let measure = async |client: &mut TestClient| {
        client.get(&path).await;
        let before = counter.load(std::sync::atomic::Ordering::SeqCst);
        let page = client.get(&path).await;
        assert_eq!(page.status, StatusCode::OK);
        (counter.load(std::sync::atomic::Ordering::SeqCst) - before, page.texts(MEMBER_EMAILS).len())
    };
    members(&app, nord.id, 1, 1).await;
    let (small, lines) = measure(&mut client).await;
    assert_eq!(lines, 2);
    members(&app, nord.id, 2, 20).await;
    let (large, lines) = measure(&mut client).await;
    assert_eq!(lines, 22);
    assert_eq!(small, large, "statements per page do not depend on its lines");
}

#[tokio::test]
async fn sessions_and_tokens_pages_show_at_most_a_hundred() {
    let app = TestApp::spawn().await;
    let mut marie = app.signed_in("marie@exemple.fr", Role::CompanyUser).await;
    let id = app.user_id("marie@exemple.fr").await;
    let page = marie.get("/compte/sessions").await;
    assert!(!page.body.contains("Seules les 100"), "no message under the cap");
    let now = app.ctx.clock.now();
    for i in 0..100 {
        let new = store::session::NewSession {
            user_id: id,
            token_digest: format!("digest-{i}"),
            expires_at: now + chrono::Duration::days(1),
            ip: Some("10.9.9.9".into()),
            user_agent: None,
        };
        store::session::open(&app.ctx.db, new, now - chrono::Duration::hours(1)).await.unwrap();
        store::api_token::create(&app.ctx.db, id, &format!("jeton {i}"), None, now).await.unwrap();
    }
    // 101 sessions with the one signed in, and 101 tokens.
    store::api_token::create(&app.ctx.db, id, "jeton 100", None, now).await.unwrap();
    let page = marie.get("/compte/sessions").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.texts("table.table tbody tr").len(), 100);
    assert!(page.body.contains("Seules les 100 sessions utilisées le plus récemment sont affichées"));
    assert!(page.body.contains("cette session"), "the current session is among them");
    let page = marie.get("/compte/jetons").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.texts("table.table tbody tr").len(), 100);
    assert!(page.body.contains("Seuls vos 100 jetons les plus récents sont affichés"));
    // 100 exactly: no message.
    let mut paul = app.signed_in("paul@exemple.fr", Role::CompanyUser).await;
    let paul_id = app.user_id("paul@exemple.fr").await;
    for i in 0..100 {
        store::api_token::create(&app.ctx.db, paul_id, &format!("jeton {i}"), None, now).await.unwrap();
    }
    let page = paul.get("/compte/jetons").await;
    assert_eq!(page.texts("table.table tbody tr").len(), 100);
    assert!(!page.body.contains("Seuls vos 100"));
}
