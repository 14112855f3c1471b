//! One operator identity (issue 11 point 6): a deployment's configured names are what people
//! read everywhere (pages, help, guides, e-mails, documents) and the only names an invoice may be
//! addressed to; the internal payer codes never show and never pass the addressee check.

use domain::Role;
use domain::habilitation::Domain;
use http::StatusCode;

use crate::support::{TestApp, TestResponse, accepted_dossier, sample_pdf, stored_invoice};

const OPERATOR: &str = "OPCO Exemple Ouest";
const FUND: &str = "Fonds TT";

/// What a person reads on the page: its text, without markup, attributes or links' targets.
fn visible(page: &TestResponse) -> String {
    let html = page.html();
    let body = scraper::Selector::parse("body").unwrap();
    let text = html.select(&body).flat_map(|b| b.text()).collect::<Vec<_>>().join(" ");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The page answers and reads with this deployment's names only.
fn reads_right(page: &TestResponse, url: &str, expected: &[&str]) {
    assert_eq!(page.status, StatusCode::OK, "{url}");
    let text = visible(page);
    for name in expected {
        assert!(text.contains(name), "{url} should name « {name} »: {text}");
    }
    // Codes such as the budget « FPETT_077_2024 » are identifiers, not names: words only.
    let words: Vec<&str> = text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '{' || c == '}')).collect();
    for stranger in ["AKTO", "Akto", "FPETT", "{{operateur}}", "{{fpett}}"] {
        assert!(!words.contains(&stranger), "{url} shows « {stranger} »: {text}");
    }
}

#[tokio::test]
async fn a_deployment_for_another_opco_reads_its_own_names_everywhere() {
    let app = TestApp::spawn_with(|c| {
        c.operator_name = OPERATOR.into();
        c.fpett_name = FUND.into();
    })
    .await;
    let nord = app.company_nord().await;
    let mut company = app.signed_in("rh@interim-nord.fr", Role::CompanyUser).await;
    let user = app.user_id("rh@interim-nord.fr").await;
    app.attach(user, nord.id, None, true, &Domain::ALL).await;
    let mut manager = app.signed_in("gestionnaire@opco.fr", Role::CaseManager).await;

    // The help centre, a FAQ answer about both payers, the guide to invoicing and its PDF.
    let mut visitor = app.client();
    let home = visitor.get("/").await;
    reads_right(&home, "/", &[OPERATOR]);
    let help = visitor.get("/aide").await;
    reads_right(&help, "/aide", &[OPERATOR, FUND]);
    let found = visitor.get("/aide?q=exemple+ouest").await;
    assert!(visible(&found).contains("Peut-on émettre une même facture"), "search finds the names");
    let entry = visitor.get("/aide/faq/facture-operateur-ou-fpett").await;
    reads_right(&entry, "FAQ 21", &[&format!("l’opérateur ({OPERATOR}) et du fonds de branche ({FUND})")]);
    let guide = visitor.get("/aide/guides/remboursement-et-proforma").await;
    reads_right(&guide, "invoicing guide", &[&format!("l’opérateur {OPERATOR} puisse"), FUND]);
    let (status, pdf) = visitor.get_bytes("/aide/guides/remboursement-et-proforma/guide.pdf").await;
    assert_eq!(status, StatusCode::OK);
    let text = crate::support::pdf_pages(&pdf).join(" ").split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains(OPERATOR) && !text.contains("AKTO"), "{text}");

    // Dossiers of each payer, on the company's and the staff's pages; the rules' catalogue.
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 12).unwrap();
    for (scheme, payer, name) in [("PDC50", "AKTO", OPERATOR), ("CPNSST", "FPETT", FUND)] {
        let dossier = accepted_dossier(
            &app.ctx,
            nord.id,
            nord.head_office,
            scheme,
            payer,
            Domain::Training,
            (start, start + chrono::Duration::days(2)),
            (100_000, 100_000),
            user,
        )
        .await;
        let url = format!("/entreprises/{}/dossiers/{}", nord.id, dossier.id);
        let page = company.get(&url).await;
        reads_right(&page, &url, &[&format!("Financeur {name}")]);
        let url = format!("/gestion/dossiers/{}", dossier.id);
        reads_right(&manager.get(&url).await, &url, &[&format!("Financeur {name}")]);
    }
    reads_right(&manager.get("/gestion/regles").await, "/gestion/regles", &[OPERATOR, FUND]);

    // The proforma names its addressee; e-mails are signed by the operator.
    let (proforma, _) = stored_invoice(&app.ctx, (nord.id, nord.head_office), user, 50_000, None, OPERATOR).await;
    let url = format!("/entreprises/{}/factures/{proforma}", nord.id);
    reads_right(&company.get(&url).await, &url, &[&format!("Destinataire {OPERATOR}")]);
    app.client().post("/mot-de-passe-oublie", &[("email", "rh@interim-nord.fr")]).await;
    let mail = app.last_mail_to("rh@interim-nord.fr").await;
    assert!(mail.text.contains(OPERATOR) && !mail.text.contains("AKTO"), "{}", mail.text);
}

#[tokio::test]
async fn an_invoice_addressed_to_the_payer_code_is_refused_and_never_shown_as_matching() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let mut company = app.signed_in("rh@interim-nord.fr", Role::CompanyUser).await;
    let user = app.user_id("rh@interim-nord.fr").await;
    app.attach(user, nord.id, None, true, &Domain::ALL).await;
    let mut manager = app.signed_in("gestionnaire@opco.fr", Role::CaseManager).await;

    // An invoice stored addressed to « AKTO » (as the old check let through): the case manager's
    // page shows the gap, never « ils correspondent », and approval is refused.
    let (proforma, invoice) = stored_invoice(&app.ctx, (nord.id, nord.head_office), user, 30_000, None, "AKTO").await;
    let page = manager.get(&format!("/gestion/factures/{invoice}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = visible(&page);
    assert!(text.contains("La facture est adressée à « AKTO » ; elle doit l’être à OPCO Démo"), "{text}");
    assert!(!text.contains("ils correspondent"), "{text}");
    let decision = format!("/gestion/factures/{invoice}/decision");
    let approve = manager.post(&decision, &[("decision", "approve"), ("version", "0")]).await;
    assert_eq!(approve.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", approve.body);
    assert!(visible(&approve).contains("elle ne peut pas être approuvée"), "{}", approve.body);
    let stored = store::invoice::for_proforma(&app.ctx.db, proforma).await.unwrap().remove(0);
    assert_eq!(stored.status, store::invoice::status::SUBMITTED, "nothing approved");
    let reject = manager
        .post(&decision, &[("decision", "reject"), ("reason", "Adressée à un autre OPCO"), ("version", "0")])
        .await;
    assert_eq!(reject.status, StatusCode::SEE_OTHER, "{}", reject.body);

    // The company's new upload addressed to the code is refused, naming the field and the name.
    let upload = format!("/entreprises/{}/factures/{proforma}/facture", nord.id);
    let fields = |buyer: &'static str| {
        vec![
            ("number", "FA-2026-0099"),
            ("buyer_name", buyer),
            ("seller_siren", nord.siren),
            ("net", "300,00"),
            ("vat", "60,00"),
            ("gross", "360,00"),
            ("iban", "FR7630006000011234567890189"),
        ]
    };
    let pdf = sample_pdf();
    let refused = company.multipart(&upload, &fields("AKTO"), &[("invoice", "facture.pdf", &pdf)]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(
        refused.body.contains("id=\"buyer_name-error\"")
            && visible(&refused).contains("La facture est adressée à « AKTO » ; elle doit l’être à OPCO Démo"),
        "{}",
        refused.body
    );
    assert_eq!(store::invoice::for_proforma(&app.ctx.db, proforma).await.unwrap().len(), 1, "nothing stored");
    let accepted = company.multipart(&upload, &fields("OPCO Démo"), &[("invoice", "facture.pdf", &pdf)]).await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
    let page = manager.get(accepted_invoice_url(&app, proforma).await.as_str()).await;
    assert!(visible(&page).contains("ils correspondent exactement"), "{}", page.body);
}

async fn accepted_invoice_url(app: &TestApp, proforma: i64) -> String {
    let invoices = store::invoice::for_proforma(&app.ctx.db, proforma).await.unwrap();
    let live = invoices.iter().find(|i| i.status == store::invoice::status::SUBMITTED).expect("the new invoice");
    format!("/gestion/factures/{}", live.id)
}
