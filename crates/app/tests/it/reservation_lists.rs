//! Bounded reservation lists (SPEC Q5, issue 13 point 1): a company's fund reservations (DRF),
//! its legacy history and the case managers' DRF queue are paged with a count and a keyset
//! continuation, filtered, exported as French CSV; another company gets nothing, an
//! establishment-limited user sees only their establishments', and the statements per page do not
//! grow with the lines.

use chrono::NaiveDate;
use domain::Role;
use domain::habilitation::Domain;
use http::StatusCode;

use crate::support::{TestApp, TestClient, TestCompany, TestResponse};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// What varies between the DRF of a test.
struct Reservation {
    establishment: i64,
    scheme: &'static str,
    trainee: &'static str,
    start: NaiveDate,
    filed_on: NaiveDate,
    validated: bool,
}

/// A DRF filed (and validated when asked) through the store, as the portal would.
async fn reserve(app: &TestApp, company: i64, user: i64, r: Reservation) -> store::drf::Drf {
    let now = app.ctx.clock.now();
    let input = store::drf::DrfInput {
        company_id: company,
        establishment_id: r.establishment,
        scheme: r.scheme.into(),
        trainee_name: r.trainee.into(),
        contract_type: "ctt".into(),
        hours: 210,
        training_start: r.start,
        training_end: r.start + chrono::Duration::days(60),
        provider_name: "Organisme; « Nord »".into(),
        provider_siret: "73282932000074".into(),
        provider_nda: "11755555555".into(),
        cost: domain::Money::from_cents(735_000),
        amount: domain::Money::from_cents(617_450),
    };
    let drf = store::drf::file(&app.ctx.db, &input, r.filed_on, user, now).await.unwrap();
    if r.validated {
        assert!(store::drf::validate(&app.ctx.db, drf.id, 0, r.filed_on, day(2026, 7, 31), now).await.unwrap());
    }
    drf
}

/// Seven DRF of « Intérim Nord »: five CIPI at the head office (trainee Léa Moreau, training
/// January to May, filed 5 to 9 January), two CDPI at the agency (trainee Hugo Petit, validated,
/// training in June, filed 2 January).
async fn seven_drf(app: &TestApp, nord: &TestCompany, user: i64) -> Vec<store::drf::Drf> {
    let mut out = Vec::new();
    for i in 0..5u32 {
        let r = Reservation {
            establishment: nord.head_office,
            scheme: "CIPI",
            trainee: "Léa Moreau",
            start: day(2026, 1 + i, 12),
            filed_on: day(2026, 1, 5 + i),
            validated: false,
        };
        out.push(reserve(app, nord.id, user, r).await);
    }
    for _ in 0..2 {
        let r = Reservation {
            establishment: nord.agency,
            scheme: "CDPI",
            trainee: "Hugo Petit",
            start: day(2026, 6, 1),
            filed_on: day(2026, 1, 2),
            validated: true,
        };
        out.push(reserve(app, nord.id, user, r).await);
    }
    out
}

/// What varies between the legacy dossiers of a test.
struct Old {
    establishment: Option<i64>,
    number: String,
    title: String,
    scheme: &'static str,
    start: NaiveDate,
    closed: bool,
    moved: NaiveDate,
}

/// A legacy dossier of the history.
fn legacy(company: i64, o: Old) -> store::history::LegacyDossierInput {
    store::history::LegacyDossierInput {
        number: o.number,
        company_id: company,
        establishment_id: o.establishment,
        siret: String::new(),
        scheme: o.scheme,
        payer: "AKTO",
        title: o.title,
        provider_siret: String::new(),
        training_start: Some(o.start),
        training_end: Some(o.start + chrono::Duration::days(4)),
        trainees: 2,
        committed: domain::Money::from_cents(180_050),
        paid: domain::Money::from_cents(90_000),
        closed: o.closed,
        last_movement_on: o.moved,
    }
}

/// Seven legacy dossiers of « Intérim Nord »: five open PDC50 at the head office (« Cariste »,
/// training 2024, moved in December 2025, two on the same day), two closed PRO at the agency
/// (« Soudure », training 2023, moved in 2022).
async fn seven_legacy(app: &TestApp, nord: &TestCompany) -> Vec<String> {
    let mut rows = Vec::new();
    for i in 0..5u32 {
        rows.push(legacy(
            nord.id,
            Old {
                establishment: Some(nord.head_office),
                number: format!("MDA-2024-00000{i}"),
                title: format!("Cariste {i}"),
                scheme: "PDC50",
                start: day(2024, 1 + i, 8),
                closed: false,
                moved: day(2025, 12, 10 + i.min(3)),
            },
        ));
    }
    for i in 0..2u32 {
        rows.push(legacy(
            nord.id,
            Old {
                establishment: Some(nord.agency),
                number: format!("MDA-2023-00001{i}"),
                title: format!("Soudure {i}"),
                scheme: "PRO",
                start: day(2023, 3, 6),
                closed: true,
                moved: day(2022, 6, 1 + i),
            },
        ));
    }
    let done = store::history::upsert(&app.ctx.db, &rows, app.ctx.clock.now()).await.unwrap();
    assert_eq!(done.written, 7);
    rows.into_iter().map(|r| r.number).collect()
}

async fn company_user(app: &TestApp, nord: &TestCompany, email: &str) -> (TestClient, i64) {
    let client = app.signed_in(email, Role::CompanyUser).await;
    let id = app.user_id(email).await;
    app.attach(id, nord.id, None, true, &Domain::ALL).await;
    (client, id)
}

/// The numbers listed on a page (first column, a link or not).
fn numbers(page: &TestResponse) -> Vec<String> {
    page.texts("table.table tbody tr td:first-child")
}

/// The href of the « Page suivante » link.
fn next_href(page: &TestResponse) -> Option<String> {
    let html = page.html();
    let selector = scraper::Selector::parse("a[rel=next]").unwrap();
    html.select(&selector).next().and_then(|a| a.value().attr("href")).map(|h| h.replace("&amp;", "&"))
}

/// The href of the « Exporter en CSV » link.
fn csv_href(page: &TestResponse) -> Option<String> {
    let html = page.html();
    let selector = scraper::Selector::parse("a[download]").unwrap();
    html.select(&selector).next().and_then(|a| a.value().attr("href")).map(str::to_owned)
}

/// Follows « Page suivante » from `start`: the numbers of each page.
async fn walk(client: &mut TestClient, start: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut href = Some(start.to_owned());
    while let Some(h) = href {
        let page = client.get(&h).await;
        assert_eq!(page.status, StatusCode::OK, "{h}: {}", page.body);
        pages.push(numbers(&page));
        href = next_href(&page);
        if let Some(h) = &href {
            assert!(h.contains("apres="), "keyset link: {h}");
        }
        assert!(pages.len() < 20, "the walk ends");
    }
    pages
}

/// A CSV export as bytes, checked for the BOM, and its lines.
fn csv_lines(bytes: &[u8]) -> Vec<String> {
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "UTF-8 byte-order mark first");
    let text = std::str::from_utf8(&bytes[3..]).expect("UTF-8");
    assert!(text.ends_with("\r\n"));
    text.trim_end_matches("\r\n").split("\r\n").map(str::to_owned).collect()
}

#[tokio::test]
async fn company_drf_list_is_paged_by_keyset_with_a_count_and_the_dossier_page_shows_the_latest() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let (mut client, user) = company_user(&app, &nord, "rh@interim-nord.fr").await;
    let drfs = seven_drf(&app, &nord, user).await;
    let expected: Vec<String> = drfs.iter().rev().map(|d| d.number.clone()).collect();
    let path = format!("/entreprises/{}/drf", nord.id);

    let page = client.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(numbers(&page), expected, "newest first");
    assert!(page.body.contains("7 lignes"), "count shown");
    assert!(next_href(&page).is_none());

    let pages = walk(&mut client, &format!("{path}?par_page=3")).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1]);
    assert_eq!(pages.concat(), expected, "nothing twice, nothing missed");
    let third = client.get(&format!("{path}?par_page=3&page=3")).await;
    assert_eq!(numbers(&third), [expected[6].clone()]);
    assert!(third.body.contains("page 3 sur 3"));
    assert!(numbers(&client.get(&format!("{path}?par_page=3&page=4")).await).is_empty());

    // The dossier list shows the five latest and links to the whole list with its count.
    let dossiers = client.get(&format!("/entreprises/{}/dossiers", nord.id)).await;
    assert_eq!(dossiers.status, StatusCode::OK);
    let shown = dossiers.texts("section[aria-labelledby=h-drf] tbody tr td:first-child a");
    assert_eq!(shown, expected[..5]);
    assert!(!dossiers.body.contains(&expected[5]) && !dossiers.body.contains(&expected[6]));
    assert!(
        dossiers.body.contains(&format!("<a href=\"{path}\">Toutes les réservations (7)</a>")),
        "{}",
        dossiers.body
    );
}

#[tokio::test]
async fn company_drf_list_filters_by_what_people_look_for() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let (mut client, user) = company_user(&app, &nord, "rh@interim-nord.fr").await;
    let drfs = seven_drf(&app, &nord, user).await;
    let path = format!("/entreprises/{}/drf", nord.id);
    let mut count = async |query: &str| {
        let page = client.get(&format!("{path}?{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{query}: {}", page.body);
        numbers(&page).len()
    };

    assert_eq!(count("stagiaire=moreau").await, 5, "trainee name, any case");
    assert_eq!(count("stagiaire=PETIT").await, 2);
    assert_eq!(count("stagiaire=%25").await, 0, "a wildcard is not everyone");
    assert_eq!(count(&format!("etablissement={}", nord.agency)).await, 2);
    assert_eq!(count("statut=validated").await, 2);
    assert_eq!(count("statut=submitted").await, 5);
    assert_eq!(count("statut=tous").await, 7);
    assert_eq!(count("dispositif=CDPI").await, 2);
    assert_eq!(count("dispositif=CIPI&statut=validated").await, 0);
    assert_eq!(count("du=2026-02-01&au=2026-04-30").await, 3, "dates of training");
    assert_eq!(count("du=01/06/2026").await, 2, "French dates too");
    let number = &drfs[2].number;
    let page = client.get(&format!("{path}?q={}", number.to_lowercase())).await;
    assert_eq!(numbers(&page), std::slice::from_ref(number), "number, any case");
    assert_eq!(page.input_value("q").as_deref(), Some(number.to_lowercase().as_str()), "filter kept in the form");
    // Filters and a page size together: the count is the filtered one, the links keep both.
    let page = client.get(&format!("{path}?stagiaire=Moreau&par_page=2")).await;
    assert!(page.body.contains("5 lignes"), "{}", page.body);
    let next = next_href(&page).unwrap();
    assert!(next.contains("stagiaire=Moreau") && next.contains("par_page=2"), "{next}");
    assert!(page.body.contains(&format!("{path}.csv?stagiaire=Moreau")), "export link keeps the filters");
}

#[tokio::test]
async fn company_drf_export_is_a_french_csv_of_the_filtered_list() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let (mut client, user) = company_user(&app, &nord, "rh@interim-nord.fr").await;
    let drfs = seven_drf(&app, &nord, user).await;
    let path = format!("/entreprises/{}/drf.csv", nord.id);

    let response = client.get(&path).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        response.headers["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"reservations-")
    );
    let (status, bytes) = client.get_bytes(&format!("{path}?par_page=1")).await;
    assert_eq!(status, StatusCode::OK);
    let lines = csv_lines(&bytes);
    assert_eq!(
        lines[0],
        "Numéro;Dispositif;Stagiaire;Contrat;Heures;Début de formation;Fin de formation;Organisme;Coût;Montant réservé;État;Déposée le;Valable jusqu’au"
    );
    assert_eq!(lines.len(), 8, "header and every DRF, not one page");
    assert_eq!(
        lines[7],
        format!(
            "{};CIPI;Léa Moreau;mission-formation;210;12/01/2026;13/03/2026;\"Organisme; « Nord »\";7350,00;6174,50;soumise;05/01/2026;",
            drfs[0].number
        )
    );
    assert!(lines[1].ends_with(";6174,50;validée;02/01/2026;31/07/2026"), "{}", lines[1]);
    let (_, bytes) = client.get_bytes(&format!("{path}?stagiaire=petit")).await;
    let lines = csv_lines(&bytes);
    assert_eq!(lines.len(), 3);
    assert!(lines[1..].iter().all(|l| l.contains(";Hugo Petit;")));
    let bad = client.get(&format!("{path}?du=hier")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("« du »"), "{}", bad.body);
}

#[tokio::test]
async fn company_history_is_paged_filtered_and_exported() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let (mut client, _) = company_user(&app, &nord, "rh@interim-nord.fr").await;
    let numbers_in = seven_legacy(&app, &nord).await;
    let path = format!("/entreprises/{}/historique", nord.id);

    // Most recent movement first; the two moved on 13 December, newest id first.
    let expected: Vec<String> = [4, 3, 2, 1, 0, 6, 5].iter().map(|i| numbers_in[*i].clone()).collect();
    let page = client.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(numbers(&page), expected);
    assert!(page.body.contains("7 lignes"));
    let first = client.get(&format!("{path}?par_page=1")).await;
    let next = next_href(&first).unwrap();
    assert!(next.contains("apres=2025-12-13."), "the cursor holds the day and the id: {next}");
    let pages = walk(&mut client, &format!("{path}?par_page=1")).await;
    assert_eq!(pages.concat(), expected, "one by one across a shared day, nothing twice");
    let pages = walk(&mut client, &format!("{path}?par_page=3")).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1]);

    // Filters.
    let mut count = async |query: &str| {
        let page = client.get(&format!("{path}?{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{query}: {}", page.body);
        numbers(&page).len()
    };
    assert_eq!(count("statut=clos").await, 2);
    assert_eq!(count("statut=en_cours").await, 5);
    assert_eq!(count("dispositif=PRO").await, 2);
    assert_eq!(count(&format!("etablissement={}", nord.agency)).await, 2);
    assert_eq!(count("du=2024-02-01&au=2024-04-30").await, 3);
    assert_eq!(count("au=31/12/2023").await, 2);
    assert_eq!(count("q=soudure").await, 2, "title, any case");
    assert_eq!(count("q=mda-2024-000003").await, 1, "number, any case");
    assert_eq!(count("q=_").await, 0, "a wildcard is not everyone");
    // Legacy rows hold no trainee names: the filter is refused, not ignored.
    let refused = client.get(&format!("{path}?stagiaire=moreau")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("« stagiaire »"), "{}", refused.body);

    // The export.
    let (status, bytes) = client.get_bytes(&format!("{path}.csv?statut=clos")).await;
    assert_eq!(status, StatusCode::OK);
    let lines = csv_lines(&bytes);
    assert_eq!(
        lines[0],
        "Numéro;Dispositif;Financeur;Intitulé;Stagiaires;Début de formation;Fin de formation;Engagé;Réglé;État;Dernier mouvement"
    );
    assert_eq!(
        lines[1..],
        [
            "MDA-2023-000011;PRO;AKTO;Soudure 1;2;06/03/2023;10/03/2023;1800,50;900,00;clos;02/06/2022",
            "MDA-2023-000010;PRO;AKTO;Soudure 0;2;06/03/2023;10/03/2023;1800,50;900,00;clos;01/06/2022",
        ]
    );
    let (_, bytes) = client.get_bytes(&format!("{path}.csv")).await;
    assert_eq!(csv_lines(&bytes).len(), 8, "the whole history");
    let page = client.get(&format!("{path}?statut=clos")).await;
    assert!(page.body.contains(&format!("{path}.csv?statut=clos")), "export link keeps the filters");

    // The dossier list no longer shows the history, only a link with its count.
    let dossiers = client.get(&format!("/entreprises/{}/dossiers", nord.id)).await;
    assert!(dossiers.body.contains(&format!("<a href=\"{path}\">Voir l’historique (7)</a>")), "{}", dossiers.body);
    assert!(!dossiers.body.contains("MDA-2024-000000"));
}

#[tokio::test]
async fn staff_drf_queue_pages_filters_and_exports_with_the_company() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let btp = app.company_btp().await;
    let (_, user) = company_user(&app, &nord, "rh@interim-nord.fr").await;
    seven_drf(&app, &nord, user).await;
    let r = Reservation {
        establishment: btp.head_office,
        scheme: "CIPI",
        trainee: "Inès Roux",
        start: day(2026, 2, 2),
        filed_on: day(2026, 1, 6),
        validated: false,
    };
    let roux = reserve(&app, btp.id, user, r).await;
    let mut staff = app.signed_in("gestion@opco.fr", Role::CaseManager).await;

    // By default: what waits for a case manager (6 submitted), oldest filing first.
    let page = staff.get("/gestion/drf").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("6 lignes"), "{}", page.body);
    assert!(page.body.contains("BTP Emploi") && page.body.contains("Intérim Nord"), "company names");
    // Keyset pages of 3 over every state, across a shared filing day: 3 + 3 + 2.
    let first = staff.get("/gestion/drf?statut=tous&par_page=3").await;
    let next = next_href(&first).unwrap();
    assert!(next.contains("apres=2026-01-05."), "the cursor holds the day and the id: {next}");
    let pages = walk(&mut staff, "/gestion/drf?statut=tous&par_page=3").await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 2]);
    let mut all = pages.concat();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 8, "nothing twice, nothing missed");
    // Filters of the queue.
    let mut count = async |query: &str| {
        let page = staff.get(&format!("/gestion/drf?{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{query}: {}", page.body);
        numbers(&page).len()
    };
    assert_eq!(count("statut=tous&stagiaire=roux").await, 1);
    assert_eq!(count("statut=validated&du=2026-06-01&au=2026-06-30").await, 2);
    assert_eq!(count("statut=validated&dispositif=CIPI").await, 0);
    assert_eq!(count(&format!("statut=tous&etablissement={}", btp.head_office)).await, 1);
    assert_eq!(count(&format!("statut=tous&q={}", roux.number.to_lowercase())).await, 1);

    // The export has the company column and the same filters.
    let (status, bytes) = staff.get_bytes("/gestion/drf.csv?statut=tous&stagiaire=roux").await;
    assert_eq!(status, StatusCode::OK);
    let lines = csv_lines(&bytes);
    assert!(lines[0].starts_with("Numéro;Entreprise;Dispositif;Stagiaire;"), "{}", lines[0]);
    assert_eq!(
        lines[1..],
        [format!(
            "{};BTP Emploi;CIPI;Inès Roux;mission-formation;210;02/02/2026;03/04/2026;\"Organisme; « Nord »\";7350,00;6174,50;soumise;06/01/2026;",
            roux.number
        )]
    );
    let (_, bytes) = staff.get_bytes("/gestion/drf.csv").await;
    assert_eq!(csv_lines(&bytes).len(), 7, "default state: submitted");
    let page = staff.get("/gestion/drf?statut=tous&stagiaire=roux").await;
    assert_eq!(
        csv_href(&page).as_deref(),
        Some("/gestion/drf.csv?statut=tous&stagiaire=roux"),
        "export link keeps the filters"
    );
}

#[tokio::test]
async fn bad_reservation_list_parameters_are_refused_in_french_naming_the_field() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let (mut client, _) = company_user(&app, &nord, "rh@interim-nord.fr").await;
    let mut staff = app.signed_in("gestion@opco.fr", Role::CaseManager).await;
    let drf = format!("/entreprises/{}/drf", nord.id);
    let history = format!("/entreprises/{}/historique", nord.id);
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
        for (as_staff, path) in [
            (false, drf.clone()),
            (false, format!("{drf}.csv")),
            (false, history.clone()),
            (false, format!("{history}.csv")),
            (true, "/gestion/drf".to_owned()),
            (true, "/gestion/drf.csv".to_owned()),
        ] {
            let who = if as_staff { &mut staff } else { &mut client };
            let response = who.get(&format!("{path}?{query}")).await;
            assert_eq!(response.status, status, "{path}?{query}: {}", response.body);
            assert!(response.body.contains(&format!("« {field} »")), "{path}?{query} names {field}: {}", response.body);
        }
    }
}

#[tokio::test]
async fn another_company_gets_nothing_and_an_establishment_user_only_their_own() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let btp = app.company_btp().await;
    let (_, user) = company_user(&app, &nord, "rh@interim-nord.fr").await;
    seven_drf(&app, &nord, user).await;
    seven_legacy(&app, &nord).await;
    let mut other = app.signed_in("rh@btp-emploi.fr", Role::CompanyUser).await;
    let other_id = app.user_id("rh@btp-emploi.fr").await;
    app.attach(other_id, btp.id, None, true, &Domain::ALL).await;

    for path in [
        format!("/entreprises/{}/drf", nord.id),
        format!("/entreprises/{}/drf?par_page=200&statut=tous", nord.id),
        format!("/entreprises/{}/drf.csv", nord.id),
        format!("/entreprises/{}/historique", nord.id),
        format!("/entreprises/{}/historique.csv", nord.id),
        "/gestion/drf".to_owned(),
        "/gestion/drf?statut=tous".to_owned(),
        "/gestion/drf.csv".to_owned(),
        "/gestion/drf.csv?statut=tous".to_owned(),
    ] {
        let response = other.get(&path).await;
        assert!(
            matches!(response.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
            "{path}: {}",
            response.status
        );
        for leak in ["Moreau", "Petit", "MDA-20", "DRF-20"] {
            assert!(!response.body.contains(leak), "{path} shows {leak}");
        }
    }
    // Their own lists are empty, and so are their exports (header only).
    for path in [format!("/entreprises/{}/drf", btp.id), format!("/entreprises/{}/historique", btp.id)] {
        let own = other.get(&path).await;
        assert_eq!(own.status, StatusCode::OK, "{path}");
        assert!(numbers(&own).is_empty(), "{path}");
        let (status, bytes) = other.get_bytes(&format!("{path}.csv")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(csv_lines(&bytes).len(), 1, "{path}.csv");
    }

    // A user of the company limited to the agency sees the agency's only, in pages and exports,
    // whatever they ask for.
    let mut agency = app.signed_in("agence@interim-nord.fr", Role::CompanyUser).await;
    let agency_id = app.user_id("agence@interim-nord.fr").await;
    app.attach(agency_id, nord.id, Some(nord.agency), false, &Domain::ALL).await;
    let drf = format!("/entreprises/{}/drf", nord.id);
    let page = agency.get(&format!("{drf}?statut=tous")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(numbers(&page).len(), 2);
    assert!(page.body.contains("2 lignes") && !page.body.contains("Moreau"));
    let page = agency.get(&format!("{drf}?etablissement={}", nord.head_office)).await;
    assert!(numbers(&page).is_empty(), "asking for the head office shows nothing");
    let (_, bytes) = agency.get_bytes(&format!("{drf}.csv")).await;
    let lines = csv_lines(&bytes);
    assert_eq!(lines.len(), 3);
    assert!(lines[1..].iter().all(|l| l.contains(";Hugo Petit;")));
    let history = format!("/entreprises/{}/historique", nord.id);
    let page = agency.get(&history).await;
    assert_eq!(numbers(&page), ["MDA-2023-000011", "MDA-2023-000010"]);
    let page = agency.get(&format!("{history}?etablissement={}", nord.head_office)).await;
    assert!(numbers(&page).is_empty());
    let (_, bytes) = agency.get_bytes(&format!("{history}.csv")).await;
    let lines = csv_lines(&bytes);
    assert_eq!(lines.len(), 3);
    assert!(lines[1..].iter().all(|l| l.contains(";Soudure ")));
    // The dossier list counts what they reach only.
    let dossiers = agency.get(&format!("/entreprises/{}/dossiers", nord.id)).await;
    assert!(dossiers.body.contains("Toutes les réservations (2)"), "{}", dossiers.body);
    assert!(dossiers.body.contains("Voir l’historique (2)"));
    assert!(!dossiers.body.contains("Moreau"));
    // Without the training habilitation, no DRF at all (the habilitation a DRF needs).
    let mut invoicing = app.signed_in("compta@interim-nord.fr", Role::CompanyUser).await;
    let invoicing_id = app.user_id("compta@interim-nord.fr").await;
    app.attach(invoicing_id, nord.id, None, false, &[Domain::Invoicing]).await;
    let page = invoicing.get(&format!("{drf}?statut=tous")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(numbers(&page).is_empty());
    let (_, bytes) = invoicing.get_bytes(&format!("{drf}.csv")).await;
    assert_eq!(csv_lines(&bytes).len(), 1);
    let (_, bytes) = invoicing.get_bytes(&format!("{history}.csv")).await;
    assert_eq!(csv_lines(&bytes).len(), 1, "no training nor work-study: no history");
}

#[tokio::test]
async fn reservation_list_statements_do_not_grow_with_their_lines() {
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
    let mut added = 0u32;
    let mut add = async |app: &TestApp, n: u32| {
        let mut history = Vec::new();
        for _ in 0..n {
            let (company, establishment) =
                if added.is_multiple_of(2) { (&nord, nord.head_office) } else { (&btp, btp.head_office) };
            added += 1;
            let r = Reservation {
                establishment,
                scheme: "CIPI",
                trainee: "Léa Moreau",
                start: day(2026, 3, 2),
                filed_on: day(2026, 1, 5),
                validated: false,
            };
            reserve(app, company.id, user, r).await;
            history.push(legacy(
                nord.id,
                Old {
                    establishment: Some(nord.head_office),
                    number: format!("MDA-2024-{added:06}"),
                    title: "Cariste".into(),
                    scheme: "PDC50",
                    start: day(2024, 3, 4),
                    closed: false,
                    moved: day(2025, 1, 1 + added % 28),
                },
            ));
        }
        store::history::upsert(&app.ctx.db, &history, app.ctx.clock.now()).await.unwrap();
    };
    let queue = "/gestion/drf?statut=tous";
    let drf = format!("/entreprises/{}/drf", nord.id);
    let history = format!("/entreprises/{}/historique", nord.id);
    let dossiers = format!("/entreprises/{}/dossiers", nord.id);
    add(&app, 2).await;
    let small = [
        measure(&mut staff, queue).await,
        measure(&mut company, &drf).await,
        measure(&mut company, &history).await,
        measure(&mut company, &dossiers).await,
    ];
    assert_eq!((small[0].1, small[1].1, small[2].1), (2, 1, 2));
    add(&app, 20).await;
    let large = [
        measure(&mut staff, queue).await,
        measure(&mut company, &drf).await,
        measure(&mut company, &history).await,
        measure(&mut company, &dossiers).await,
    ];
    assert_eq!((large[0].1, large[1].1, large[2].1), (22, 11, 22));
    println!("statements (2 → 22 lines): queue, company DRF, history, dossier list: {small:?} → {large:?}");
    for (i, name) in ["queue", "company DRF list", "history", "dossier list"].iter().enumerate() {
        assert_eq!(small[i].0, large[i].0, "{name}: statements per page do not depend on its lines");
    }
}
