//! Bounded money lists (SPEC Q5, issue 13 point 1): the case managers' reimbursement and invoice
//! queues and a company's proformas page are paged (keyset, with a count), filtered by what
//! people look for, exported as French CSV, closed to other companies, read with statements that
//! do not grow with their lines; and the DR offered for a proforma are capped.

use chrono::NaiveDate;
use domain::Money;
use domain::Role;
use domain::dossier::DossierStatus;
use domain::habilitation::Domain;
use domain::reimbursement::{DrStatus, Line, Nature};
use http::StatusCode;

use crate::support::{TestApp, TestClient, TestCompany, TestResponse};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// An accepted dossier of `scheme` at `establishment` for one trainee.
async fn accepted(
    app: &TestApp,
    (company, establishment): (i64, i64),
    user: i64,
    scheme: &str,
    trainee: (&str, &str),
) -> store::dossier::Dossier {
    let now = app.ctx.clock.now();
    let input = store::dossier::DossierInput {
        company_id: company,
        establishment_id: establishment,
        scheme: scheme.into(),
        sub_scheme: None,
        kind: Domain::Training,
        payer: "AKTO".into(),
        public: "temporary".into(),
        title: "Cariste".into(),
        provider_name: "Institut Formation Nord".into(),
        provider_siret: "55210055400013".into(),
        provider_nda: "31590000059".into(),
        training_start: day(2026, 1, 12),
        training_end: day(2026, 1, 16),
        hours: 35,
        cost: Money::from_cents(10_000_000),
        requested: Money::from_cents(10_000_000),
        subrogation: None,
    };
    let trainees = [store::dossier::TraineeInput { given_name: trainee.0.into(), family_name: trainee.1.into() }];
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
    let accept = store::dossier::StateChange { committed: Some(Money::from_cents(10_000_000)), ..Default::default() };
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
    store::dossier::get(&app.ctx.db, &staff_scope(), dossier.id).await.unwrap().unwrap()
}

fn staff_scope() -> domain::scope::Scope {
    domain::scope::Scope::Staff { user_id: 0, role: Role::PlatformAdmin }
}

/// A DR claiming `cents` filed on `submitted_on`, validated for the whole when asked.
async fn dr(
    app: &TestApp,
    dossier: &store::dossier::Dossier,
    user: i64,
    submitted_on: NaiveDate,
    cents: i64,
    validated: bool,
) -> store::reimbursement::Reimbursement {
    let lines = [Line { nature: Nature::TrainingCosts, amount: Money::from_cents(cents) }];
    let input =
        store::reimbursement::NewReimbursement { dossier, budget: None, lines: &lines, submitted_on, created_by: user };
    let now = app.ctx.clock.now();
    let row = store::reimbursement::create(&app.ctx.db, &input, now).await.unwrap();
    if validated {
        let change = store::reimbursement::DrChange { validated: Some(Money::from_cents(cents)), ..Default::default() };
        assert!(
            store::reimbursement::transition(
                &app.ctx.db,
                row.id,
                0,
                DrStatus::Submitted,
                DrStatus::Validated,
                change,
                now
            )
            .await
            .unwrap()
        );
    }
    row
}

/// A proforma (no invoice yet) for a new validated DR of the company.
async fn proforma_alone(app: &TestApp, company: (i64, i64), user: i64, cents: i64) -> store::proforma::Proforma {
    let dossier = accepted(app, company, user, "CIPI", ("Léa", "Moreau")).await;
    let row = dr(app, &dossier, user, day(2026, 1, 20), cents, true).await;
    let items = store::proforma::items(&app.ctx.db, &staff_scope(), company.0).await.unwrap();
    let chosen: Vec<&store::proforma::Item> = items.iter().filter(|i| i.reimbursement.id == row.id).collect();
    let input = store::proforma::NewProforma {
        company_id: company.0,
        payer: "AKTO",
        public: "temporary",
        scheme: None,
        items: &chosen,
        amounts: domain::proforma::amounts(&[Money::from_cents(cents)], true),
        vat_subject: true,
        bank: None,
        issued_by: user,
    };
    store::proforma::issue(&app.ctx.db, &input, app.ctx.clock.now()).await.unwrap()
}

async fn company_user(app: &TestApp, company: &TestCompany, email: &str) -> (TestClient, i64) {
    let client = app.signed_in(email, Role::CompanyUser).await;
    let id = app.user_id(email).await;
    app.attach(id, company.id, None, true, &Domain::ALL).await;
    (client, id)
}

/// The first cells (links) of a list's lines.
fn numbers(page: &TestResponse) -> Vec<String> {
    page.texts("table.table tbody tr td:first-child a")
}

/// The href of the « Page suivante » link.
fn next_href(page: &TestResponse) -> Option<String> {
    let html = page.html();
    let selector = scraper::Selector::parse("a[rel=next]").unwrap();
    html.select(&selector).next().and_then(|a| a.value().attr("href")).map(|h| h.replace("&amp;", "&"))
}

/// The href of the export link.
fn csv_href(page: &TestResponse) -> Option<String> {
    let html = page.html();
    let selector = scraper::Selector::parse("a[download]").unwrap();
    html.select(&selector).next().and_then(|a| a.value().attr("href")).map(|h| h.replace("&amp;", "&"))
}

/// Follows « Page suivante » from `first`: the sizes of the pages and every line, in order.
async fn walk(client: &mut TestClient, first: &str) -> (Vec<usize>, Vec<String>) {
    let (mut sizes, mut seen) = (Vec::new(), Vec::new());
    let mut href = Some(first.to_owned());
    while let Some(h) = href {
        let page = client.get(&h).await;
        assert_eq!(page.status, StatusCode::OK, "{h}: {}", page.body);
        let lines = numbers(&page);
        sizes.push(lines.len());
        seen.extend(lines);
        href = next_href(&page);
        if let Some(h) = &href {
            assert!(h.contains("apres="), "keyset link: {h}");
        }
    }
    (sizes, seen)
}

/// A CSV export's lines, checked for the BOM, UTF-8 and CRLF.
fn csv_lines(bytes: &[u8]) -> Vec<String> {
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "UTF-8 byte-order mark first");
    let text = std::str::from_utf8(&bytes[3..]).expect("UTF-8");
    assert!(text.ends_with("\r\n"));
    text.trim_end_matches("\r\n").split("\r\n").map(str::to_owned).collect()
}

/// Checks a refusal: its status and the parameter it names.
async fn refused(client: &mut TestClient, path: &str, status: StatusCode, field: &str) {
    let response = client.get(path).await;
    assert_eq!(response.status, status, "{path}: {}", response.body);
    assert!(response.body.contains(&format!("« {field} »")), "{path} names {field}: {}", response.body);
}

/// Seven DR: five of « Intérim Nord » on one PDC50 dossier (trainee Moreau, submitted 2 to
/// 6 February, 100,00 to 104,00 €), one of « BTP Emploi » on a CIPI dossier (trainee Roux,
/// 10 March, 999,99 €) and one validated of « Intérim Nord » (20 January).
async fn seven_drs(
    app: &TestApp,
    nord: &TestCompany,
    btp: &TestCompany,
    user: i64,
) -> Vec<store::reimbursement::Reimbursement> {
    let a = accepted(app, (nord.id, nord.head_office), user, "PDC50", ("Léa", "Moreau")).await;
    let b = accepted(app, (btp.id, btp.head_office), user, "CIPI", ("Inès", "Roux")).await;
    let mut out = Vec::new();
    for i in 0..5u32 {
        out.push(dr(app, &a, user, day(2026, 2, 2 + i), 10_000 + 100 * i64::from(i), false).await);
    }
    out.push(dr(app, &b, user, day(2026, 3, 10), 99_999, false).await);
    out.push(dr(app, &a, user, day(2026, 1, 20), 5_000, true).await);
    out
}

#[tokio::test]
async fn reimbursement_queue_pages_filters_and_exports() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let btp = app.company_btp().await;
    let (_, user) = company_user(&app, &nord, "rh@interim-nord.fr").await;
    let drs = seven_drs(&app, &nord, &btp, user).await;
    let mut staff = app.signed_in("gestion@opco.fr", Role::CaseManager).await;
    let path = "/gestion/remboursements";

    // By default what waits for a decision, oldest submission first, with the count.
    let page = staff.get(path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("6 lignes"), "{}", page.body);
    let expected: Vec<String> = drs[..6].iter().map(|d| d.number.clone()).collect();
    assert_eq!(numbers(&page), expected);
    assert!(page.body.contains("BTP Emploi") && page.body.contains("Intérim Nord"), "company names");
    // Pages of 3 over every state, by keyset: 3 + 3 + 1, nothing twice, the validated one first.
    let (sizes, seen) = walk(&mut staff, &format!("{path}?statut=tous&par_page=3")).await;
    assert_eq!(sizes, [3, 3, 1]);
    assert_eq!(seen[0], drs[6].number);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 7);
    let first = staff.get(&format!("{path}?statut=tous&par_page=3")).await;
    assert!(next_href(&first).unwrap().contains("apres=2026-02-03."), "the cursor holds the day and the id");
    let third = staff.get(&format!("{path}?statut=tous&par_page=3&page=3")).await;
    assert_eq!(numbers(&third), [drs[5].number.clone()], "numbered pages still work");

    // Filters.
    let count = async |staff: &mut TestClient, query: &str| numbers(&staff.get(&format!("{path}?{query}")).await).len();
    assert_eq!(count(&mut staff, "statut=validated").await, 1);
    assert_eq!(count(&mut staff, "statut=tous&entreprise=btp").await, 1, "company name, any case");
    assert_eq!(count(&mut staff, "statut=tous&entreprise=552+100+554").await, 1, "SIREN with spaces");
    assert_eq!(count(&mut staff, "statut=tous&entreprise=%25").await, 0, "a wildcard is not everyone");
    let dossier = store::dossier::get(&app.ctx.db, &staff_scope(), drs[0].dossier_id).await.unwrap().unwrap();
    assert_eq!(
        count(&mut staff, &format!("statut=tous&q={}", dossier.number.to_lowercase())).await,
        6,
        "dossier number"
    );
    let page = staff.get(&format!("{path}?q={}", drs[2].number.to_lowercase())).await;
    assert_eq!(numbers(&page), [drs[2].number.clone()], "DR number, any case");
    assert_eq!(page.input_value("q").as_deref(), Some(drs[2].number.to_lowercase().as_str()), "kept in the form");
    assert_eq!(count(&mut staff, "stagiaire=ROUX").await, 1, "trainee");
    assert_eq!(count(&mut staff, "dispositif=CIPI").await, 1);
    assert_eq!(count(&mut staff, "dispositif=PDC50").await, 5);
    assert_eq!(count(&mut staff, "du=2026-02-03&au=04/02/2026").await, 2, "days of submission");
    assert_eq!(count(&mut staff, "montant_min=999").await, 1, "amount claimed");
    assert_eq!(count(&mut staff, "montant_min=100&montant_max=101,00").await, 2);
    // Filters and a size together: the filtered count, links that keep both.
    let page = staff.get(&format!("{path}?entreprise=nord&par_page=2")).await;
    assert!(page.body.contains("5 lignes"), "{}", page.body);
    let next = next_href(&page).unwrap();
    assert!(next.contains("entreprise=nord") && next.contains("par_page=2"), "{next}");
    let export = csv_href(&page).unwrap();
    assert!(export.starts_with("/gestion/remboursements.csv?") && export.contains("entreprise=nord"), "{export}");
    assert!(!export.contains("par_page"), "an export is the whole list: {export}");

    // The export: every line (not one page), French cells.
    let (status, bytes) = staff.get_bytes(&format!("{path}.csv?statut=tous&par_page=1")).await;
    assert_eq!(status, StatusCode::OK);
    let lines = csv_lines(&bytes);
    assert_eq!(lines[0], "Numéro;Dossier;Entreprise;Dispositif;Stagiaires;Déposée le;Demandé;Validé;État");
    assert_eq!(lines.len(), 8);
    let btp_dossier = store::dossier::get(&app.ctx.db, &staff_scope(), drs[5].dossier_id).await.unwrap().unwrap();
    assert_eq!(
        lines[7],
        format!("{};{};BTP Emploi;CIPI;Inès Roux;10/03/2026;999,99;;soumise", drs[5].number, btp_dossier.number)
    );
    assert!(lines[1].ends_with(";20/01/2026;50,00;50,00;validée"), "{}", lines[1]);
    let (_, bytes) = staff.get_bytes(&format!("{path}.csv?stagiaire=roux")).await;
    assert_eq!(csv_lines(&bytes).len(), 2, "same filters as the page");
    let response = staff.get(&format!("{path}.csv")).await;
    assert_eq!(response.headers["content-type"], "text/csv; charset=utf-8");
    assert!(response.headers["content-disposition"].to_str().unwrap().contains("remboursements-"));

    // French refusals naming the parameter, on the page and the export.
    for p in [path.to_owned(), format!("{path}.csv")] {
        refused(&mut staff, &format!("{p}?montant_min=beaucoup"), StatusCode::UNPROCESSABLE_ENTITY, "montant_min")
            .await;
        refused(
            &mut staff,
            &format!("{p}?montant_min=10&montant_max=5"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "montant_max",
        )
        .await;
        refused(&mut staff, &format!("{p}?statut=perdu"), StatusCode::UNPROCESSABLE_ENTITY, "statut").await;
        refused(&mut staff, &format!("{p}?par_page=500"), StatusCode::UNPROCESSABLE_ENTITY, "par_page").await;
        refused(&mut staff, &format!("{p}?du=demain"), StatusCode::UNPROCESSABLE_ENTITY, "du").await;
        refused(&mut staff, &format!("{p}?apres=abc"), StatusCode::BAD_REQUEST, "apres").await;
    }
}

/// Four invoices waiting for a check: three of « Intérim Nord » (1 000,00 € net and more), one
/// of « BTP Emploi » uploaded a day later; and one of « Intérim Nord » approved.
async fn five_invoices(app: &TestApp, nord: &TestCompany, btp: &TestCompany, user: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    for i in 0..3 {
        out.push(
            crate::support::stored_invoice(&app.ctx, (nord.id, nord.head_office), user, 100_000 + i, None, "OPCO")
                .await,
        );
    }
    app.advance(chrono::Duration::days(1));
    out.push(crate::support::stored_invoice(&app.ctx, (btp.id, btp.head_office), user, 100_000, None, "OPCO").await);
    let approved =
        crate::support::stored_invoice(&app.ctx, (nord.id, nord.head_office), user, 50_000, None, "OPCO").await;
    assert!(
        store::invoice::decide(
            &app.ctx.db,
            approved.1,
            0,
            store::invoice::status::APPROVED,
            None,
            user,
            app.ctx.clock.now()
        )
        .await
        .unwrap()
    );
    out.push(approved);
    out
}

async fn invoice_number(app: &TestApp, id: i64) -> String {
    store::invoice::get(&app.ctx.db, &staff_scope(), id).await.unwrap().unwrap().number
}

#[tokio::test]
async fn invoice_queue_pages_filters_and_exports() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let btp = app.company_btp().await;
    let (_, user) = company_user(&app, &nord, "rh@interim-nord.fr").await;
    let invoices = five_invoices(&app, &nord, &btp, user).await;
    let mut numbers_of = Vec::new();
    for (_, id) in &invoices {
        numbers_of.push(invoice_number(&app, *id).await);
    }
    let mut staff = app.signed_in("gestion@opco.fr", Role::CaseManager).await;
    let path = "/gestion/factures";

    // By default what waits for a check, oldest upload first.
    let page = staff.get(path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("4 lignes"), "{}", page.body);
    assert_eq!(numbers(&page), numbers_of[..4]);
    let (sizes, seen) = walk(&mut staff, &format!("{path}?statut=tous&par_page=2")).await;
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(seen, numbers_of);

    let count = async |staff: &mut TestClient, query: &str| numbers(&staff.get(&format!("{path}?{query}")).await).len();
    assert_eq!(count(&mut staff, "statut=approved").await, 1);
    assert_eq!(count(&mut staff, "statut=paid").await, 0);
    assert_eq!(count(&mut staff, "statut=tous&entreprise=INT%C3%89RIM").await, 4, "company name");
    assert_eq!(count(&mut staff, "entreprise=552100554").await, 1, "SIREN");
    let proforma = store::proforma::get_unscoped(&app.ctx.db, invoices[1].0).await.unwrap().unwrap();
    let page = staff.get(&format!("{path}?q={}", proforma.number.to_lowercase())).await;
    assert_eq!(numbers(&page), [numbers_of[1].clone()], "proforma number");
    assert_eq!(count(&mut staff, &format!("q={}", numbers_of[2])).await, 1, "invoice number");
    assert_eq!(count(&mut staff, "statut=tous&financeur=AKTO").await, 5, "payer");
    assert_eq!(count(&mut staff, "statut=tous&financeur=FPETT").await, 0);
    assert_eq!(count(&mut staff, "statut=tous&du=2026-01-05&au=2026-01-05").await, 3, "days of upload, in Paris");
    assert_eq!(count(&mut staff, "statut=tous&du=06/01/2026").await, 2);

    let (status, bytes) = staff.get_bytes(&format!("{path}.csv?statut=tous")).await;
    assert_eq!(status, StatusCode::OK);
    let lines = csv_lines(&bytes);
    assert_eq!(lines[0], "Facture;Entreprise;Pro forma;Financeur;Déposée le;HT;TVA;TTC;État");
    assert_eq!(lines.len(), 6);
    let btp_proforma = store::proforma::get_unscoped(&app.ctx.db, invoices[3].0).await.unwrap().unwrap();
    assert!(lines[4].starts_with(&format!("{};BTP Emploi;{};", numbers_of[3], btp_proforma.number)), "{}", lines[4]);
    assert!(lines[4].ends_with(";06/01/2026;1000,00;200,00;1200,00;à vérifier par l’opérateur"), "{}", lines[4]);
    assert!(lines[5].ends_with(";500,00;100,00;600,00;approuvée, à payer"), "{}", lines[5]);
    let (_, bytes) = staff.get_bytes(&format!("{path}.csv?entreprise=btp")).await;
    assert_eq!(csv_lines(&bytes).len(), 2, "same filters as the page");

    for p in [path.to_owned(), format!("{path}.csv")] {
        refused(&mut staff, &format!("{p}?statut=perdu"), StatusCode::UNPROCESSABLE_ENTITY, "statut").await;
        refused(&mut staff, &format!("{p}?financeur=OPCO2"), StatusCode::UNPROCESSABLE_ENTITY, "financeur").await;
        refused(&mut staff, &format!("{p}?du=2026-02-01&au=2026-01-01"), StatusCode::UNPROCESSABLE_ENTITY, "au").await;
        refused(&mut staff, &format!("{p}?par_page=0"), StatusCode::UNPROCESSABLE_ENTITY, "par_page").await;
    }
}

#[tokio::test]
async fn company_invoices_page_is_paged_filtered_and_exported() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let (mut client, user) = company_user(&app, &nord, "rh@interim-nord.fr").await;
    let company = (nord.id, nord.head_office);
    // Oldest first: two with an invoice waiting, one refused, one approved, two without invoice.
    let mut proformas: Vec<(i64, Option<i64>)> = Vec::new();
    for _ in 0..2 {
        let (p, i) = crate::support::stored_invoice(&app.ctx, company, user, 100_000, None, "OPCO").await;
        proformas.push((p, Some(i)));
    }
    let now = app.ctx.clock.now();
    for to in [store::invoice::status::REJECTED, store::invoice::status::APPROVED] {
        let (p, i) = crate::support::stored_invoice(&app.ctx, company, user, 20_000, None, "OPCO").await;
        let reason = (to == store::invoice::status::REJECTED).then(|| "Montant faux".to_owned());
        assert!(store::invoice::decide(&app.ctx.db, i, 0, to, reason, user, now).await.unwrap());
        proformas.push((p, Some(i)));
    }
    app.advance(chrono::Duration::days(2));
    // Signed in again: two days end the session.
    assert_eq!(client.login("rh@interim-nord.fr", crate::support::PASSWORD).await.status, StatusCode::SEE_OTHER);
    for _ in 0..2 {
        proformas.push((proforma_alone(&app, company, user, 30_000).await.id, None));
    }
    let mut pf_numbers = Vec::new();
    for (p, _) in &proformas {
        pf_numbers.push(store::proforma::get_unscoped(&app.ctx.db, *p).await.unwrap().unwrap().number);
    }
    let newest_first: Vec<String> = pf_numbers.iter().rev().cloned().collect();
    let path = format!("/entreprises/{}/factures", nord.id);

    let page = client.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("6 lignes"), "{}", page.body);
    assert_eq!(numbers(&page), newest_first);
    let (sizes, seen) = walk(&mut client, &format!("{path}?par_page=4")).await;
    assert_eq!(sizes, [4, 2]);
    assert_eq!(seen, newest_first);

    let count =
        async |client: &mut TestClient, query: &str| numbers(&client.get(&format!("{path}?{query}")).await).len();
    assert_eq!(count(&mut client, "statut=a_deposer").await, 2);
    assert_eq!(count(&mut client, "statut=submitted").await, 2);
    assert_eq!(count(&mut client, "statut=rejected").await, 1);
    assert_eq!(count(&mut client, "statut=approved").await, 1);
    assert_eq!(count(&mut client, "statut=paid").await, 0);
    assert_eq!(count(&mut client, &format!("q={}", pf_numbers[1].to_lowercase())).await, 1, "proforma number");
    let invoice = invoice_number(&app, proformas[3].1.unwrap()).await;
    let page = client.get(&format!("{path}?q={invoice}")).await;
    assert_eq!(numbers(&page), [pf_numbers[3].clone()], "invoice number");
    assert_eq!(count(&mut client, "du=2026-01-07").await, 2, "days of issue, in Paris");
    assert_eq!(count(&mut client, "au=2026-01-05").await, 4);
    let page = client.get(&format!("{path}?statut=submitted&par_page=1")).await;
    let next = next_href(&page).unwrap();
    assert!(next.contains("statut=submitted") && next.contains("par_page=1"), "{next}");
    assert_eq!(csv_href(&page), Some(format!("{path}.csv?statut=submitted")), "export link keeps the filters");

    let (status, bytes) = client.get_bytes(&format!("{path}.csv")).await;
    assert_eq!(status, StatusCode::OK);
    let lines = csv_lines(&bytes);
    assert_eq!(lines[0], "Numéro;Financeur;Public;Dispositif;Émise le;HT;TVA;TTC;Votre facture;État");
    assert_eq!(lines.len(), 7);
    assert!(lines[1].starts_with(&format!("{};", pf_numbers[5])), "newest first: {}", lines[1]);
    assert!(lines[1].ends_with(";intérimaire;;07/01/2026;300,00;60,00;360,00;;à déposer"), "{}", lines[1]);
    assert!(lines[3].ends_with(&format!(";200,00;40,00;240,00;{};approuvée, à payer", invoice)), "{}", lines[3]);
    let (_, bytes) = client.get_bytes(&format!("{path}.csv?statut=rejected")).await;
    let lines = csv_lines(&bytes);
    assert_eq!(lines.len(), 2);
    assert!(lines[1].ends_with(";refusée"), "{}", lines[1]);

    for p in [path.clone(), format!("{path}.csv")] {
        refused(&mut client, &format!("{p}?statut=perdu"), StatusCode::UNPROCESSABLE_ENTITY, "statut").await;
        refused(&mut client, &format!("{p}?au=hier"), StatusCode::UNPROCESSABLE_ENTITY, "au").await;
        refused(&mut client, &format!("{p}?par_page=dix"), StatusCode::BAD_REQUEST, "par_page").await;
    }
}

#[tokio::test]
async fn the_dr_offered_for_a_proforma_are_capped_and_issuing_still_works() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let (mut client, user) = company_user(&app, &nord, "rh@interim-nord.fr").await;
    let dossier = accepted(&app, (nord.id, nord.head_office), user, "CIPI", ("Léa", "Moreau")).await;
    let mut drs = Vec::new();
    for _ in 0..203 {
        drs.push(dr(&app, &dossier, user, day(2026, 1, 20), 1_000, true).await);
    }
    let path = format!("/entreprises/{}/factures", nord.id);
    let page = client.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let offered = |page: &TestResponse| {
        let html = page.html();
        let selector = scraper::Selector::parse("input[name=reimbursements]").unwrap();
        html.select(&selector).filter_map(|i| i.value().attr("value").map(str::to_owned)).collect::<Vec<_>>()
    };
    let ids = offered(&page);
    assert_eq!(ids.len(), 200, "at most 200 offered");
    assert_eq!(ids[0], drs[0].id.to_string(), "the oldest first");
    assert!(page.body.contains("3 autres demandes validées attendent"), "{}", page.body);
    assert!(page.body.contains("apparaîtront ici une fois celles-ci facturées"));

    // Issuing the first two still works; the next ones come into the offer.
    let form: Vec<(String, String)> = vec![
        ("reimbursements".into(), drs[0].id.to_string()),
        ("reimbursements".into(), drs[1].id.to_string()),
        ("payer".into(), "AKTO".into()),
        ("public".into(), "temporary".into()),
        ("scheme".into(), String::new()),
    ];
    let response = client.post_owned(&path, &form).await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    let page = client.get(&path).await;
    let ids = offered(&page);
    assert_eq!(ids.len(), 200);
    assert_eq!(ids[0], drs[2].id.to_string());
    assert!(ids.contains(&drs[201].id.to_string()));
    assert!(page.body.contains("1 autre demande validée attend"), "{}", page.body);
    assert_eq!(numbers(&page).len(), 1, "the proforma is listed");
    // Exactly 200: no message.
    assert_eq!(web::pages::proformas::more_waiting_message(200, 200), None);
}

#[tokio::test]
async fn another_company_gets_nothing_from_the_money_lists() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let btp = app.company_btp().await;
    let (_, user) = company_user(&app, &nord, "rh@interim-nord.fr").await;
    seven_drs(&app, &nord, &btp, user).await;
    let (agency_proforma, _) =
        crate::support::stored_invoice(&app.ctx, (nord.id, nord.agency), user, 70_000, None, "OPCO").await;
    let head_proforma = proforma_alone(&app, (nord.id, nord.head_office), user, 30_000).await;
    let agency_number = store::proforma::get_unscoped(&app.ctx.db, agency_proforma).await.unwrap().unwrap().number;
    let mut other = app.signed_in("rh@btp-emploi.fr", Role::CompanyUser).await;
    let other_id = app.user_id("rh@btp-emploi.fr").await;
    app.attach(other_id, btp.id, None, true, &Domain::ALL).await;

    for path in [
        format!("/entreprises/{}/factures", nord.id),
        format!("/entreprises/{}/factures?par_page=200&statut=a_deposer", nord.id),
        format!("/entreprises/{}/factures.csv", nord.id),
        "/gestion/remboursements".to_owned(),
        "/gestion/remboursements.csv?statut=tous".to_owned(),
        "/gestion/factures".to_owned(),
        "/gestion/factures.csv?statut=tous".to_owned(),
    ] {
        let response = other.get(&path).await;
        assert!(
            matches!(response.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
            "{path}: {}",
            response.status
        );
        assert!(!response.body.contains("Intérim Nord") && !response.body.contains("PF-"), "{path}");
    }
    // Their own export is the header alone.
    let (status, bytes) = other.get_bytes(&format!("/entreprises/{}/factures.csv", btp.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(csv_lines(&bytes).len(), 1);
    // A user of the company without the invoicing habilitation is refused the export too.
    let mut trainer = app.signed_in("formation@interim-nord.fr", Role::CompanyUser).await;
    let trainer_id = app.user_id("formation@interim-nord.fr").await;
    app.attach(trainer_id, nord.id, None, false, &[Domain::Training]).await;
    let response = trainer.get(&format!("/entreprises/{}/factures.csv", nord.id)).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    // Invoicing for the agency only: the agency's proforma, in the page and the export.
    let mut agency = app.signed_in("agence@interim-nord.fr", Role::CompanyUser).await;
    let agency_id = app.user_id("agence@interim-nord.fr").await;
    app.attach(agency_id, nord.id, Some(nord.agency), false, &Domain::ALL).await;
    let page = agency.get(&format!("/entreprises/{}/factures", nord.id)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(numbers(&page), std::slice::from_ref(&agency_number));
    assert!(!page.body.contains(&head_proforma.number));
    let (_, bytes) = agency.get_bytes(&format!("/entreprises/{}/factures.csv", nord.id)).await;
    let lines = csv_lines(&bytes);
    assert_eq!(lines.len(), 2);
    assert!(lines[1].starts_with(&agency_number));
}

#[tokio::test]
async fn money_list_statements_do_not_grow_with_their_lines() {
    let mut app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let (_, user) = company_user(&app, &nord, "rh@interim-nord.fr").await;
    app.account("gestion@opco.fr", crate::support::PASSWORD, Role::CaseManager).await;
    let counter = app.count_statements();
    let mut staff = app.client();
    assert_eq!(staff.login("gestion@opco.fr", crate::support::PASSWORD).await.status, StatusCode::SEE_OTHER);
    let mut company = app.client();
    assert_eq!(company.login("rh@interim-nord.fr", crate::support::PASSWORD).await.status, StatusCode::SEE_OTHER);

    let measure = async |client: &mut TestClient, path: &str| {
        client.get(path).await;
        let before = counter.load(std::sync::atomic::Ordering::SeqCst);
        let page = client.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        (counter.load(std::sync::atomic::Ordering::SeqCst) - before, numbers(&page).len())
    };
    // Each adds a validated DR, its proforma and a waiting invoice; and a DR waiting for a
    // decision, and one waiting for a proforma.
    let add = async |app: &TestApp, n: usize| {
        for _ in 0..n {
            crate::support::stored_invoice(&app.ctx, (nord.id, nord.head_office), user, 10_000, None, "OPCO").await;
        }
    };
    let pages = [
        "/gestion/remboursements?statut=tous".to_owned(),
        "/gestion/factures?statut=tous".to_owned(),
        format!("/entreprises/{}/factures", nord.id),
    ];
    add(&app, 2).await;
    let dossier = accepted(&app, (nord.id, nord.head_office), user, "CIPI", ("Léa", "Moreau")).await;
    dr(&app, &dossier, user, day(2026, 1, 20), 1_000, true).await;
    let mut small = Vec::new();
    for path in &pages {
        let client = if path.starts_with("/gestion") { &mut staff } else { &mut company };
        small.push(measure(client, path).await);
    }
    assert_eq!(small.iter().map(|(_, n)| *n).collect::<Vec<_>>(), [3, 2, 2]);
    add(&app, 20).await;
    for _ in 0..20 {
        dr(&app, &dossier, user, day(2026, 1, 20), 1_000, true).await;
    }
    let mut large = Vec::new();
    for path in &pages {
        let client = if path.starts_with("/gestion") { &mut staff } else { &mut company };
        large.push(measure(client, path).await);
    }
    assert_eq!(large.iter().map(|(_, n)| *n).collect::<Vec<_>>(), [43, 22, 22]);
    println!("statements: small {small:?}, large {large:?}");
    for ((path, (s, _)), (l, _)) in pages.iter().zip(&small).zip(&large) {
        assert_eq!(s, l, "{path}: statements per page do not depend on its lines");
    }
}
