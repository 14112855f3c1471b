//! Bounded lists (SPEC Q5, issue 13 point 1): pages with a count and keyset continuation,
//! filters kept in the address, CSV exports as French spreadsheets read them, French refusals of
//! bad parameters, tenancy on every new route, and list pages whose statements do not grow with
//! their lines.

use chrono::NaiveDate;
use domain::Role;
use domain::dossier::DossierStatus;
use domain::habilitation::Domain;
use http::StatusCode;

use crate::support::{TestApp, TestClient, TestCompany};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// What varies between the dossiers of a test.
struct Filing {
    establishment: i64,
    scheme: &'static str,
    title: String,
    trainee: (&'static str, &'static str),
    start: NaiveDate,
    requested_cents: i64,
    accepted: bool,
}

/// A dossier filed (submitted, or accepted) through the store, as the portal would.
async fn file(app: &TestApp, company: i64, user: i64, f: Filing) -> store::dossier::Dossier {
    let now = app.ctx.clock.now();
    let input = store::dossier::DossierInput {
        company_id: company,
        establishment_id: f.establishment,
        scheme: f.scheme.into(),
        sub_scheme: None,
        kind: Domain::Training,
        payer: "AKTO".into(),
        public: "temporary".into(),
        title: f.title,
        provider_name: "Organisme; « Nord »".into(),
        provider_siret: "73282932000074".into(),
        provider_nda: "11755555555".into(),
        training_start: f.start,
        training_end: f.start + chrono::Duration::days(4),
        hours: 35,
        cost: domain::Money::from_cents(f.requested_cents),
        requested: domain::Money::from_cents(f.requested_cents),
        subrogation: None,
    };
    let trainees = [store::dossier::TraineeInput { given_name: f.trainee.0.into(), family_name: f.trainee.1.into() }];
    let dossier = store::dossier::create(&app.ctx.db, &input, &trainees, None, None, user, now).await.unwrap();
    let submit = store::dossier::StateChange { submitted_on: Some(day(2026, 1, 5)), ..Default::default() };
    assert!(
        store::dossier::transition(
            &app.ctx.db,
            dossier.id,
            0,
            DossierStatus::Draft,
            DossierStatus::Submitted,
            submit,
            now
        )
        .await
        .unwrap()
    );
    if f.accepted {
        let accept = store::dossier::StateChange {
            committed: Some(domain::Money::from_cents(f.requested_cents)),
            ..Default::default()
        };
        assert!(
            store::dossier::transition(
                &app.ctx.db,
                dossier.id,
                1,
                DossierStatus::Submitted,
                DossierStatus::Accepted,
                accept,
                now
            )
            .await
            .unwrap()
        );
    }
    dossier
}

/// Seven dossiers of « Intérim Nord »: five at the head office (trainee Moreau, January to May),
/// two at the agency (trainee Petit, accepted, training in June).
async fn seven_dossiers(app: &TestApp, nord: &TestCompany, user: i64) -> Vec<store::dossier::Dossier> {
    let mut out = Vec::new();
    for i in 0..5u32 {
        out.push(
            file(
                app,
                nord.id,
                user,
                Filing {
                    establishment: nord.head_office,
                    scheme: "PDC50",
                    title: format!("Cariste {i}"),
                    trainee: ("Léa", "Moreau"),
                    start: day(2026, 1 + i, 12),
                    requested_cents: 123_450 + i64::from(i),
                    accepted: false,
                },
            )
            .await,
        );
    }
    for i in 0..2 {
        out.push(
            file(
                app,
                nord.id,
                user,
                Filing {
                    establishment: nord.agency,
                    scheme: "PDC50",
                    title: format!("Soudure {i}"),
                    trainee: ("Hugo", "Petit"),
                    start: day(2026, 6, 1),
                    requested_cents: 50_000,
                    accepted: true,
                },
            )
            .await,
        );
    }
    out
}

async fn company_user(app: &TestApp, nord: &TestCompany, email: &str) -> (TestClient, i64) {
    let client = app.signed_in(email, Role::CompanyUser).await;
    let id = app.user_id(email).await;
    app.attach(id, nord.id, None, true, &Domain::ALL).await;
    (client, id)
}

/// The numbers of the dossiers listed on a page.
fn numbers(page: &crate::support::TestResponse) -> Vec<String> {
    page.texts("table.table tbody tr td:first-child a")
}

/// The href of the « Page suivante » link.
fn next_href(page: &crate::support::TestResponse) -> Option<String> {
    let html = page.html();
    let selector = scraper::Selector::parse("a[rel=next]").unwrap();
    html.select(&selector).next().and_then(|a| a.value().attr("href")).map(str::to_owned)
}

#[tokio::test]
async fn company_dossier_list_is_paged_by_keyset_with_a_count() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let (mut client, user) = company_user(&app, &nord, "rh@interim-nord.fr").await;
    let dossiers = seven_dossiers(&app, &nord, user).await;
    let path = format!("/entreprises/{}/dossiers", nord.id);

    // Default page: everything (7 < 50), newest first, with the count.
    let page = client.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let all = numbers(&page);
    let mut expected: Vec<String> = dossiers.iter().rev().map(|d| d.number.clone()).collect();
    assert_eq!(all, expected);
    assert!(page.body.contains("7 lignes"), "count shown");
    assert!(next_href(&page).is_none());

    // Three a page: 3 + 3 + 1, by following « Page suivante » (keyset), nothing twice.
    let mut seen = Vec::new();
    let mut href = Some(format!("{path}?par_page=3"));
    let mut sizes = Vec::new();
    while let Some(h) = href {
        let page = client.get(&h).await;
        assert_eq!(page.status, StatusCode::OK, "{h}: {}", page.body);
        let lines = numbers(&page);
        sizes.push(lines.len());
        seen.extend(lines);
        href = next_href(&page).map(|h| h.replace("&amp;", "&"));
        if let Some(h) = &href {
            assert!(h.contains("apres=") && h.contains("par_page=3"), "keyset link keeps the size: {h}");
        }
    }
    assert_eq!(sizes, [3, 3, 1]);
    assert_eq!(seen, expected);
    // A numbered page still works (offset), and the last page's neighbour is empty.
    let third = client.get(&format!("{path}?par_page=3&page=3")).await;
    assert_eq!(numbers(&third), [expected.pop().unwrap()]);
    assert!(third.body.contains("page 3 sur 3"));
    let beyond = client.get(&format!("{path}?par_page=3&page=4")).await;
    assert_eq!(beyond.status, StatusCode::OK);
    assert!(numbers(&beyond).is_empty());
    // Bounds: 200 lines a page is the most.
    assert_eq!(client.get(&format!("{path}?par_page=200")).await.status, StatusCode::OK);
    assert_eq!(client.get(&format!("{path}?par_page=1")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn company_dossier_list_filters_by_what_people_look_for() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let (mut client, user) = company_user(&app, &nord, "rh@interim-nord.fr").await;
    let dossiers = seven_dossiers(&app, &nord, user).await;
    let path = format!("/entreprises/{}/dossiers", nord.id);
    let count = |page: &crate::support::TestResponse| numbers(page).len();

    let page = client.get(&format!("{path}?stagiaire=moreau")).await;
    assert_eq!(count(&page), 5, "trainee name, any case");
    assert_eq!(page.input_value("stagiaire").as_deref(), Some("moreau"), "filter kept in the form");
    assert_eq!(count(&client.get(&format!("{path}?stagiaire=PETIT")).await), 2);
    assert_eq!(count(&client.get(&format!("{path}?stagiaire=%25")).await), 0, "a wildcard is not everyone");
    assert_eq!(count(&client.get(&format!("{path}?etablissement={}", nord.agency)).await), 2);
    assert_eq!(count(&client.get(&format!("{path}?statut=accepted")).await), 2);
    assert_eq!(count(&client.get(&format!("{path}?statut=submitted")).await), 5);
    assert_eq!(count(&client.get(&format!("{path}?dispositif=PDC50")).await), 7);
    assert_eq!(count(&client.get(&format!("{path}?dispositif=PRO")).await), 0);
    assert_eq!(count(&client.get(&format!("{path}?du=2026-02-01&au=2026-04-30")).await), 3, "dates of training");
    assert_eq!(count(&client.get(&format!("{path}?du=01/06/2026")).await), 2, "French dates too");
    let number = &dossiers[2].number;
    let page = client.get(&format!("{path}?q={}", number.to_lowercase())).await;
    assert_eq!(numbers(&page), std::slice::from_ref(number), "number, any case");
    assert_eq!(count(&client.get(&format!("{path}?q=soudure")).await), 2, "title");
    // Filters and a page size together: the count is the filtered one, the links keep both.
    let page = client.get(&format!("{path}?stagiaire=Moreau&par_page=2")).await;
    assert!(page.body.contains("5 lignes"), "{}", page.body);
    let next = next_href(&page).unwrap();
    assert!(next.contains("stagiaire=Moreau") && next.contains("par_page=2"), "{next}");
}

/// A CSV export as bytes, checked for the BOM, and its lines.
fn csv_lines(bytes: &[u8]) -> Vec<String> {
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "UTF-8 byte-order mark first");
    let text = std::str::from_utf8(&bytes[3..]).expect("UTF-8");
    assert!(text.ends_with("\r\n"));
    text.trim_end_matches("\r\n").split("\r\n").map(str::to_owned).collect()
}

#[tokio::test]
async fn company_dossier_export_is_a_french_csv_of_the_filtered_list() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let (mut client, user) = company_user(&app, &nord, "rh@interim-nord.fr").await;
    let dossiers = seven_dossiers(&app, &nord, user).await;
    let path = format!("/entreprises/{}/dossiers.csv", nord.id);

    let response = client.get(&path).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.headers["content-type"], "text/csv; charset=utf-8");
    assert!(response.headers["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"dossiers-"));
    let (status, bytes) = client.get_bytes(&path).await;
    assert_eq!(status, StatusCode::OK);
    let lines = csv_lines(&bytes);
    assert_eq!(
        lines[0],
        "Numéro;Dispositif;Intitulé;Stagiaires;Début de formation;Fin de formation;Heures;Coût;Demandé;Engagé;État;Déposé le"
    );
    assert_eq!(lines.len(), 8, "header and every dossier, not one page");
    // The oldest dossier is last: January, 1 234,50 € requested, not committed.
    let first = &dossiers[0];
    assert_eq!(
        lines[7],
        format!(
            "{};PDC50;Cariste 0;Léa Moreau;12/01/2026;16/01/2026;35;1234,50;1234,50;;soumis;05/01/2026",
            first.number
        )
    );
    // An accepted one has its commitment, with a decimal comma.
    assert!(lines[1].contains(";500,00;500,00;500,00;accepté;"), "{}", lines[1]);

    // Same filters as the page; the window does not apply to an export.
    let (_, bytes) = client.get_bytes(&format!("{path}?stagiaire=petit&par_page=1")).await;
    let lines = csv_lines(&bytes);
    assert_eq!(lines.len(), 3);
    assert!(lines[1..].iter().all(|l| l.contains("Hugo Petit")));
    // Bad filters are refused before anything streams.
    let bad = client.get(&format!("{path}?du=hier")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("du"), "{}", bad.body);
    // The list page links to the export with its filters.
    let page = client.get(&format!("/entreprises/{}/dossiers?stagiaire=petit", nord.id)).await;
    assert!(page.body.contains(&format!("{path}?stagiaire=petit")), "export link keeps the filters");
}

#[tokio::test]
async fn bad_list_parameters_are_refused_in_french_naming_the_field() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let (mut client, _) = company_user(&app, &nord, "rh@interim-nord.fr").await;
    let mut staff = app.signed_in("gestion@opco.fr", Role::CaseManager).await;
    let company = format!("/entreprises/{}/dossiers", nord.id);
    let cases: [(&str, StatusCode, &str); 9] = [
        ("par_page=500", StatusCode::UNPROCESSABLE_ENTITY, "par_page"),
        ("par_page=0", StatusCode::UNPROCESSABLE_ENTITY, "par_page"),
        ("par_page=dix", StatusCode::BAD_REQUEST, "par_page"),
        ("apres=abc", StatusCode::BAD_REQUEST, "apres"),
        ("page=99999999999999999999999", StatusCode::BAD_REQUEST, "page"),
        ("du=demain", StatusCode::UNPROCESSABLE_ENTITY, "du"),
        ("du=2026-03-01&au=2026-02-01", StatusCode::UNPROCESSABLE_ENTITY, "au"),
        ("statut=perdu", StatusCode::UNPROCESSABLE_ENTITY, "statut"),
        ("etablissement=siege", StatusCode::BAD_REQUEST, "etablissement"),
    ];
    for (query, status, field) in cases {
        for (who, path) in [(&mut client, company.as_str()), (&mut staff, "/gestion/dossiers")] {
            let response = who.get(&format!("{path}?{query}")).await;
            assert_eq!(response.status, status, "{path}?{query}: {}", response.body);
            assert!(response.body.contains(&format!("« {field} »")), "{path}?{query} names {field}: {}", response.body);
        }
    }
    // The JSON-minded get the field too, and the message is French.
    let response = staff.get("/gestion/dossiers.csv?par_page=500").await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.body.contains("doit être compris entre 1 et 200"));
}

#[tokio::test]
async fn another_company_gets_nothing_from_the_lists() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let btp = app.company_btp().await;
    let (_, user) = company_user(&app, &nord, "rh@interim-nord.fr").await;
    seven_dossiers(&app, &nord, user).await;
    let mut other = app.signed_in("rh@btp-emploi.fr", Role::CompanyUser).await;
    let other_id = app.user_id("rh@btp-emploi.fr").await;
    app.attach(other_id, btp.id, None, true, &Domain::ALL).await;

    for path in [
        format!("/entreprises/{}/dossiers", nord.id),
        format!("/entreprises/{}/dossiers?par_page=200&statut=tous", nord.id),
        format!("/entreprises/{}/dossiers.csv", nord.id),
    ] {
        let response = other.get(&path).await;
        assert!(
            matches!(response.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
            "{path}: {}",
            response.status
        );
        assert!(!response.body.contains("Cariste"), "{path}");
    }
    for path in ["/gestion/dossiers", "/gestion/dossiers.csv", "/gestion/drf"] {
        let response = other.get(path).await;
        assert!(
            matches!(response.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
            "{path}: {}",
            response.status
        );
        assert!(!response.body.contains("Cariste"), "{path}");
    }
    // Their own list is empty, and so is their export (header only).
    let own = other.get(&format!("/entreprises/{}/dossiers", btp.id)).await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.body.contains("Aucun dossier ne correspond"));
    let (status, bytes) = other.get_bytes(&format!("/entreprises/{}/dossiers.csv", btp.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(csv_lines(&bytes).len(), 1);
    // A user of the company limited to the agency sees the agency's dossiers only, in the page
    // and in the export.
    let mut agency = app.signed_in("agence@interim-nord.fr", Role::CompanyUser).await;
    let agency_id = app.user_id("agence@interim-nord.fr").await;
    app.attach(agency_id, nord.id, Some(nord.agency), false, &Domain::ALL).await;
    let page = agency.get(&format!("/entreprises/{}/dossiers?etablissement={}", nord.id, nord.head_office)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(numbers(&page).is_empty(), "asking for the head office shows nothing");
    let (_, bytes) = agency.get_bytes(&format!("/entreprises/{}/dossiers.csv", nord.id)).await;
    let lines = csv_lines(&bytes);
    assert_eq!(lines.len(), 3);
    assert!(lines[1..].iter().all(|l| l.contains("Soudure")));
}

#[tokio::test]
async fn staff_queue_pages_filters_and_exports_with_the_company() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let btp = app.company_btp().await;
    let (_, user) = company_user(&app, &nord, "rh@interim-nord.fr").await;
    seven_dossiers(&app, &nord, user).await;
    file(
        &app,
        btp.id,
        user,
        Filing {
            establishment: btp.head_office,
            scheme: "PDC50",
            title: "Maçonnerie".into(),
            trainee: ("Inès", "Roux"),
            start: day(2026, 2, 2),
            requested_cents: 99_999,
            accepted: false,
        },
    )
    .await;
    let mut staff = app.signed_in("gestion@opco.fr", Role::CaseManager).await;

    // By default: what waits for a case manager (6 submitted), oldest submission first.
    let page = staff.get("/gestion/dossiers").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("6 lignes"), "{}", page.body);
    assert!(page.body.contains("BTP Emploi") && page.body.contains("Intérim Nord"), "company names");
    // Keyset pages of 4 over every state: 4 + 4.
    let first = staff.get("/gestion/dossiers?statut=tous&par_page=4").await;
    assert_eq!(numbers(&first).len(), 4);
    let next = next_href(&first).unwrap().replace("&amp;", "&");
    assert!(next.contains("apres=2026-01-05."), "the cursor holds the day and the id: {next}");
    let second = staff.get(&next).await;
    assert_eq!(numbers(&second).len(), 4);
    assert!(next_href(&second).is_none());
    let mut both = numbers(&first);
    both.extend(numbers(&second));
    let mut unique = both.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 8, "nothing twice, nothing missed");
    // Filters of the queue.
    let page = staff.get("/gestion/dossiers?statut=tous&stagiaire=roux").await;
    assert_eq!(numbers(&page).len(), 1);
    let page = staff.get("/gestion/dossiers?statut=accepted&du=2026-06-01&au=2026-06-30").await;
    assert_eq!(numbers(&page).len(), 2);

    // The export has the company column and the same filters.
    let (status, bytes) = staff.get_bytes("/gestion/dossiers.csv?statut=tous&stagiaire=roux").await;
    assert_eq!(status, StatusCode::OK);
    let lines = csv_lines(&bytes);
    assert!(lines[0].starts_with("Numéro;Entreprise;Dispositif;"));
    assert_eq!(lines.len(), 2);
    assert!(
        lines[1].contains(
            ";BTP Emploi;PDC50;Maçonnerie;Inès Roux;02/02/2026;06/02/2026;35;999,99;999,99;;soumis;05/01/2026"
        ),
        "{}",
        lines[1]
    );
    let (_, bytes) = staff.get_bytes("/gestion/dossiers.csv").await;
    assert_eq!(csv_lines(&bytes).len(), 7, "default state: submitted");
}

#[tokio::test]
async fn queue_statements_do_not_grow_with_its_lines() {
    let mut app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let btp = app.company_btp().await;
    let (_, user) = company_user(&app, &nord, "rh@interim-nord.fr").await;
    app.account("gestion@opco.fr", crate::support::PASSWORD, Role::CaseManager).await;
    let counter = app.count_statements();
    let mut staff = app.client();
    assert_eq!(staff.login("gestion@opco.fr", crate::support::PASSWORD).await.status, StatusCode::SEE_OTHER);
    let mut company = app.client();
    assert_eq!(company.login("rh@interim-nord.fr", crate::support::PASSWORD).await.status, StatusCode::SEE_OTHER);

    let measure = async |client: &mut TestClient, path: &str| {
        // A first request warms what is read once per process.
        client.get(path).await;
        let before = counter.load(std::sync::atomic::Ordering::SeqCst);
        let page = client.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        (counter.load(std::sync::atomic::Ordering::SeqCst) - before, numbers(&page).len())
    };
    let mut filings = 0;
    let mut add = async |app: &TestApp, n: usize| {
        for _ in 0..n {
            let (company, establishment) =
                if filings % 2 == 0 { (&nord, nord.head_office) } else { (&btp, btp.head_office) };
            filings += 1;
            let filing = Filing {
                establishment,
                scheme: "PDC50",
                title: format!("Formation {filings}"),
                trainee: ("Léa", "Moreau"),
                start: day(2026, 3, 2),
                requested_cents: 100_000,
                accepted: false,
            };
            file(app, company.id, user, filing).await;
        }
    };
    add(&app, 2).await;
    let queue = "/gestion/dossiers?statut=tous";
    let nord_list = format!("/entreprises/{}/dossiers", nord.id);
    let (small_queue, lines) = measure(&mut staff, queue).await;
    assert_eq!(lines, 2);
    let (small_list, lines) = measure(&mut company, &nord_list).await;
    assert_eq!(lines, 1);
    add(&app, 20).await;
    let (large_queue, lines) = measure(&mut staff, queue).await;
    assert_eq!(lines, 22);
    let (large_list, lines) = measure(&mut company, &nord_list).await;
    assert_eq!(lines, 11);
    println!("statements: queue {small_queue} → {large_queue}, company list {small_list} → {large_list}");
    assert_eq!(small_queue, large_queue, "queue: statements per page do not depend on its lines");
    assert_eq!(small_list, large_list, "company list: statements per page do not depend on its lines");
}
