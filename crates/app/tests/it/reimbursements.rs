//! Reimbursement requests (SPEC F1, D8, D9, C5, C6): a company claims on an accepted dossier with
//! its supporting documents; a case manager validates (possibly for less), refuses or asks for
//! information; documents are served only to those who reach the DR, as downloads.

use chrono::{NaiveDate, TimeZone as _, Utc};
use domain::Role;
use domain::habilitation::Domain;
use http::StatusCode;

use crate::support::{TestApp, TestClient, TestCompany, accepted_dossier, sample_pdf};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// An amount as the portal prints it (narrow no-break space between thousands, no-break space
/// before the euro sign): `eur("2 400,00 €")`.
fn eur(text: &str) -> String {
    text.replace(" €", "\u{a0}€").replace(' ', "\u{202f}")
}

/// On the day given (9:00 UTC), « Intérim Nord » and its HR manager with every habilitation,
/// signed in: the company, the client and the user's id.
async fn claimant(app: &TestApp, (y, m, d): (i32, u32, u32)) -> (TestCompany, TestClient, i64) {
    app.clock.set(Utc.with_ymd_and_hms(y, m, d, 9, 0, 0).unwrap());
    let nord = app.company_nord().await;
    let company = app.signed_in("rh@interim-nord.fr", Role::CompanyUser).await;
    let user = app.user_id("rh@interim-nord.fr").await;
    app.attach(user, nord.id, None, true, &Domain::ALL).await;
    (nord, company, user)
}

/// The proforma a DR is on.
async fn dr_proforma(app: &TestApp, dr: i64) -> i64 {
    let staff = domain::scope::Scope::Staff { user_id: 0, role: Role::PlatformAdmin };
    let company = staff_dr(app, dr).await.company_id;
    store::proforma::items(&app.ctx.db, &staff, company)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.reimbursement.id == dr)
        .and_then(|i| i.proforma_id)
        .unwrap()
}

/// The company's own e-invoice (CII) for a proforma, as its accounting software would issue it.
async fn e_invoice(app: &TestApp, proforma: i64, net_delta: i64) -> (documents::facturx::Invoice, String) {
    let proforma = store::proforma::get_unscoped(&app.ctx.db, proforma).await.unwrap().unwrap();
    let party = |name: &str, siren: &str| documents::facturx::Party {
        name: name.into(),
        siren: siren.into(),
        siret: None,
        vat_id: Some(documents::proforma::french_vat_number(siren).unwrap()),
        address_lines: vec!["12 rue Nationale".into()],
        postal_code: "59000".into(),
        city: "Lille".into(),
        country_code: "FR".into(),
    };
    let invoice = documents::facturx::Invoice {
        number: "FA-2026-0043".into(),
        issue_date: NaiveDate::from_ymd_opt(2026, 2, 10).unwrap(),
        type_code: 380,
        currency: "EUR".into(),
        seller: party("Intérim Nord", "732829320"),
        buyer: party("OPCO Démo", "999999999"),
        buyer_reference: Some(proforma.number.clone()),
        lines: vec![documents::facturx::Line {
            id: "1".into(),
            name: "Formation".into(),
            note: None,
            net_cents: proforma.net_cents + net_delta,
            vat_rate_bp: 2000,
            vat_category: documents::facturx::VatCategory::Standard,
        }],
        exemption_reason: None,
        payee_iban: Some("FR7630006000011234567890189".into()),
        payment_terms: Some("À réception".into()),
        notes: Vec::new(),
    };
    let xml = documents::facturx::cii_xml(&invoice).unwrap();
    (invoice, xml)
}

fn dr_id(location: &str) -> i64 {
    location.rsplit('/').next().unwrap().split('?').next().unwrap().parse().unwrap()
}

async fn staff_dr(app: &TestApp, id: i64) -> store::reimbursement::Reimbursement {
    let staff = domain::scope::Scope::Staff { user_id: 0, role: Role::PlatformAdmin };
    store::reimbursement::get(&app.ctx.db, &staff, id).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_company_claims_with_its_certificate_and_the_case_manager_validates_less_with_a_reason() {
    let app = TestApp::spawn().await;
    let (nord, mut company, user) = claimant(&app, (2026, 2, 6)).await;
    let dossier = accepted_dossier(
        &app.ctx,
        nord.id,
        nord.agency,
        "PDC50",
        "AKTO",
        Domain::Training,
        (day(2026, 2, 2), day(2026, 2, 6)),
        (300_000, 240_000),
        user,
    )
    .await;
    let claim = format!("/entreprises/{}/dossiers/{}/remboursements", nord.id, dossier.id);
    let pdf = sample_pdf();

    // The dossier page offers the claim; the form lists the natures of a training action.
    let page = company.get(&format!("/entreprises/{}/dossiers/{}", nord.id, dossier.id)).await;
    assert!(page.body.contains("Demander un remboursement"), "{}", page.body);
    let form = company.get(&format!("{claim}/nouveau")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Frais pédagogiques") && !form.body.contains(">Forfait<"));
    assert!(form.body.contains("Plan de développement des compétences (moins de 50 salariés), budget 2025"));

    // On the last day of training: too early, and nothing is saved.
    let early =
        company.multipart(&claim, &[("training_costs", "2 000,00")], &[("documents", "certificat.pdf", &pdf)]).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(early.body.contains("se termine le 06/02/2026"), "{}", early.body);
    assert_eq!(early.input_value("training_costs").as_deref(), Some("2 000,00"), "the amounts typed are kept");

    app.clock.set(Utc.with_ymd_and_hms(2026, 2, 9, 9, 0, 0).unwrap());
    company.login("rh@interim-nord.fr", crate::support::PASSWORD).await;
    // A file that is not a PDF, an amount beyond the commitment, no document: each refused.
    let html = company
        .multipart(&claim, &[("training_costs", "2 000,00")], &[("documents", "certificat.pdf", b"<html>hello</html>")])
        .await;
    assert_eq!(html.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.body.contains("« certificat.pdf » : Le fichier n’est pas un PDF"), "{}", html.body);
    let beyond =
        company.multipart(&claim, &[("training_costs", "2 400,01")], &[("documents", "certificat.pdf", &pdf)]).await;
    assert_eq!(beyond.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        beyond.body.contains(&format!("dépasse ce qui reste de l’engagement ({})", eur("2 400,00 €"))),
        "{}",
        beyond.body
    );
    let bare = company.multipart(&claim, &[("training_costs", "100,00")], &[]).await;
    assert!(bare.body.contains("Joignez au moins un justificatif"), "{}", bare.body);
    let budget = company
        .multipart(
            &claim,
            &[("training_costs", "100,00"), ("budget", "FPETT_077_2024")],
            &[("documents", "c.pdf", &pdf)],
        )
        .await;
    assert!(budget.body.contains("Choisissez un budget de la liste."), "not a budget of an AKTO PDC-50 dossier");
    assert!(store::reimbursement::for_dossier(&app.ctx.db, dossier.id).await.unwrap().is_empty());

    // The claim: costs within the commitment and the overrun in the same dossier (D8).
    let filed = company
        .multipart(
            &claim,
            &[
                ("training_costs", "2 000,00"),
                ("salaries", "400,00"),
                ("overrun", "600,00"),
                ("budget", "PDC50_BUDGET_2025"),
                ("document_kind", "certificate"),
            ],
            &[("documents", "Certificat de réalisation — Léa.pdf", &pdf)],
        )
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let id = dr_id(filed.location());
    let page = company.get(filed.location()).await;
    assert!(page.body.contains(&eur("3 000,00 €")) && page.body.contains("Dépassement (reste à charge)"));
    assert!(page.body.contains("budget 2025") && page.body.contains("Certificat de réalisation"));
    let document = store::document::for_reimbursement(&app.ctx.db, id).await.unwrap().remove(0);

    // The document comes back as a download, never inline, to the company only.
    let download = company.get(&format!("/entreprises/{}/documents/{}", nord.id, document.id)).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.headers["content-type"], "application/pdf");
    assert_eq!(download.headers["x-content-type-options"], "nosniff");
    let disposition = download.headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment;")
            && disposition.contains("filename*=UTF-8''Certificat%20de%20r%C3%A9alisation")
    );
    let (_, bytes) = company.get_bytes(&format!("/entreprises/{}/documents/{}", nord.id, document.id)).await;
    assert_eq!(bytes, pdf);
    let btp = app.company_btp().await;
    let mut mallory = app.signed_in("mallory@btp-emploi.fr", Role::CompanyUser).await;
    let mallory_id = app.user_id("mallory@btp-emploi.fr").await;
    app.attach(mallory_id, btp.id, None, true, &Domain::ALL).await;
    for url in [
        format!("/entreprises/{}/remboursements/{id}", nord.id),
        format!("/entreprises/{}/documents/{}", nord.id, document.id),
        format!("/entreprises/{}/remboursements/{id}", btp.id),
        format!("/entreprises/{}/documents/{}", btp.id, document.id),
        format!("/gestion/remboursements/{id}"),
        format!("/gestion/documents/{}", document.id),
    ] {
        let response = mallory.get(&url).await;
        assert!(matches!(response.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN), "{url}: {}", response.status);
        assert!(!response.body.contains(&eur("3 000,00 €")), "{url}");
    }

    // The case manager finds it in the queue, and validates less with a reason.
    let mut manager = app.signed_in("gestionnaire@opco.fr", Role::CaseManager).await;
    let queue = manager.get("/gestion/remboursements").await;
    let number = staff_dr(&app, id).await.number;
    assert!(queue.body.contains(&number) && queue.body.contains("Intérim Nord"));
    let staff_page = manager.get(&format!("/gestion/remboursements/{id}")).await;
    assert!(staff_page.body.contains(&format!("/gestion/documents/{}", document.id)));
    let (status, bytes) = manager.get_bytes(&format!("/gestion/documents/{}", document.id)).await;
    assert_eq!((status, bytes.len()), (StatusCode::OK, pdf.len()));
    let decision = format!("/gestion/remboursements/{id}/decision");
    let no_reason = manager.post(&decision, &[("decision", "accept"), ("amount", "2 800,00"), ("version", "0")]).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.body.contains("Expliquez pourquoi le montant accordé est inférieur"));
    let validated = manager
        .post(
            &decision,
            &[
                ("decision", "accept"),
                ("amount", "2 800,00"),
                ("reason", "Frais annexes non justifiés"),
                ("version", "0"),
            ],
        )
        .await;
    assert_eq!(validated.status, StatusCode::SEE_OTHER, "{}", validated.body);
    let dr = staff_dr(&app, id).await;
    assert_eq!((dr.status.as_str(), dr.validated_cents), ("validated", Some(280_000)));
    // The second case manager, a moment late, is told and changes nothing.
    let late = manager.post(&decision, &[("decision", "refuse"), ("reason", "x"), ("version", "0")]).await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert_eq!(staff_dr(&app, id).await.status, "validated");

    // The company is told (bell) and sees the validated amount; the dossier is in reimbursement.
    let home = company.get("/").await;
    assert_eq!(home.texts(".bell-count"), ["1"]);
    let page = company.get(&format!("/entreprises/{}/remboursements/{id}", nord.id)).await;
    assert!(page.body.contains(&eur("2 800,00 €")) && page.body.contains("Frais annexes non justifiés"));
    let staff = domain::scope::Scope::Staff { user_id: 0, role: Role::PlatformAdmin };
    let dossier = store::dossier::get(&app.ctx.db, &staff, dossier.id).await.unwrap().unwrap();
    assert_eq!(dossier.status, "reimbursement");

    // The validated DR awaits its invoice: the company prepares the proforma (F3–F7).
    let invoices = format!("/entreprises/{}/factures", nord.id);
    let list = company.get(&invoices).await;
    assert!(list.body.contains(&number) && list.body.contains(&eur("2 800,00 €")), "{}", list.body);
    let nothing = company.post(&invoices, &[("payer", "AKTO")]).await;
    assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(nothing.body.contains("Cochez au moins une demande"));
    let wrong_payer = company.post(&invoices, &[("reimbursements", &id.to_string()), ("payer", "FPETT")]).await;
    assert!(wrong_payer.body.contains("jamais les deux"), "{}", wrong_payer.body);
    let issued = company
        .post(&invoices, &[("reimbursements", &id.to_string()), ("payer", "AKTO"), ("public", "temporary")])
        .await;
    assert_eq!(issued.status, StatusCode::SEE_OTHER, "{}", issued.body);
    let proforma = company.get(issued.location()).await;
    assert_eq!(proforma.body.matches("id=\"facture\"").count(), 1, "the upload section once, not in the title");
    for mention in
        ["Facture pro forma PF-2026-", "SIREN 732 829 320", "Total HT", "TVA 20 %", "Total TTC", "aucune valeur légale"]
    {
        assert!(proforma.body.contains(mention), "« {mention} » missing: {}", proforma.body);
    }
    for amount in ["2 800,00 €", "560,00 €", "3 360,00 €"] {
        assert!(proforma.body.contains(&eur(amount)), "{amount}");
    }
    let pdf_url = format!("{}/proforma.pdf", issued.location().split('?').next().unwrap());
    let (status, bytes) = company.get_bytes(&pdf_url).await;
    assert_eq!(status, StatusCode::OK);
    let text = crate::support::pdf_pages(&bytes).join(" ");
    assert!(text.contains("FACTURE PRO FORMA") && text.contains("Léa Moreau"), "{text}");
    // A Factur-X: the CII XML travels inside the PDF/A-3 (checked against the XSD in `documents`).
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(contains(b"factur-x.xml") && contains(b"EN 16931") && contains(b"/AFRelationship"));
    // Invoiced once: the DR cannot go on a second proforma, and another company's user reaches nothing.
    let again = company.post(&invoices, &[("reimbursements", &id.to_string())]).await;
    assert!(again.body.contains("figure déjà sur une facture pro forma"), "{}", again.body);
    for url in [issued.location().to_owned(), pdf_url.clone(), format!("/entreprises/{}/factures", nord.id)] {
        let response = mallory.get(&url).await;
        assert!(matches!(response.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN), "{url}");
    }
    // The company uploads its own invoice: a PDF whose amounts it confirms, checked to the cent.
    let upload = format!("{}/facture", issued.location().split('?').next().unwrap());
    let fields = |net: &'static str| {
        vec![
            ("number", "FA-2026-0042"),
            ("buyer_name", "OPCO Démo"),
            ("seller_siren", "732 829 320"),
            ("net", net),
            ("vat", "560,00"),
            ("gross", "3 360,00"),
            ("iban", ""),
        ]
    };
    let off = company.multipart(&upload, &fields("2 800,01"), &[("invoice", "facture.pdf", &pdf)]).await;
    assert_eq!(off.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(off.body.contains(&format!("(écart de {})", eur("0,01 €"))), "{}", off.body);
    assert!(off.body.contains("Ni IBAN sur la facture ni RIB joint"), "{}", off.body);
    assert!(store::invoice::for_proforma(&app.ctx.db, dr_proforma(&app, id).await).await.unwrap().is_empty());
    let sent = company
        .multipart(&upload, &fields("2 800,00"), &[("invoice", "facture.pdf", &pdf), ("rib", "rib.pdf", &pdf)])
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let invoice = store::invoice::for_proforma(&app.ctx.db, dr_proforma(&app, id).await).await.unwrap().remove(0);
    // The case manager refuses it with a reason; the company sends an e-invoice, read automatically.
    let queue = manager.get("/gestion/factures").await;
    assert!(queue.body.contains("FA-2026-0042"), "{}", queue.body);
    let decision = format!("/gestion/factures/{}/decision", invoice.id);
    let refused =
        manager.post(&decision, &[("decision", "reject"), ("reason", "Facture non signée"), ("version", "0")]).await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER, "{}", refused.body);
    // A Factur-X PDF is read too: here its XML says 1 € more, and the gap is named.
    let (invoice, xml) = e_invoice(&app, dr_proforma(&app, id).await, 100).await;
    let facturx = documents::facturx::embed_in_pdf(&pdf, &xml, &invoice).unwrap();
    let off = company.multipart(&upload, &[], &[("invoice", "facture-x.pdf", &facturx)]).await;
    assert_eq!(off.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(off.body.contains(&format!("(écart de {})", eur("1,00 €"))), "{}", off.body);
    let (_, xml) = e_invoice(&app, dr_proforma(&app, id).await, 0).await;
    let read = company.multipart(&upload, &[], &[("invoice", "facture.xml", xml.as_bytes())]).await;
    assert_eq!(read.status, StatusCode::SEE_OTHER, "{}", read.body);
    let invoice = store::invoice::for_proforma(&app.ctx.db, dr_proforma(&app, id).await).await.unwrap().remove(0);
    assert_eq!((invoice.syntax.as_str(), invoice.gross_cents), ("cii", 336_000));
    let approved = manager
        .post(&format!("/gestion/factures/{}/decision", invoice.id), &[("decision", "approve"), ("version", "0")])
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
    let page = company.get(issued.location()).await;
    assert!(page.body.contains("approuvée, à payer") && page.body.contains("Facture non signée"), "{}", page.body);

    // The operator's command line lists it, number first, and exports the same PDF.
    let lines = espace_app::proformas::list(&app.ctx).await.unwrap();
    assert_eq!(lines.len(), 1);
    assert!(lines[0].starts_with("PF-2026-") && lines[0].contains("Intérim Nord"), "{lines:?}");
    let number = lines[0].split('\t').next().unwrap().to_owned();
    let out = app._dir.path().join("proforma.pdf");
    espace_app::proformas::export(&app.ctx, &number, &out).await.unwrap();
    assert!(crate::support::pdf_pages(&std::fs::read(&out).unwrap()).join(" ").contains(&number));
    let unknown = espace_app::proformas::export(&app.ctx, "PF-1999-000001", &out).await.unwrap_err();
    assert!(unknown.to_string().contains("aucune facture pro forma"));

    // What was validated holds the commitment first: 2 400 € of costs and 400 € of overrun, so
    // nothing remains of the commitment and 200 € of the cost may still come as overrun.
    let more = company.multipart(&claim, &[("training_costs", "0,01")], &[("documents", "emargement.pdf", &pdf)]).await;
    assert!(more.body.contains(&format!("ce qui reste de l’engagement ({})", eur("0,00 €"))), "{}", more.body);
    let overrun = company.multipart(&claim, &[("overrun", "200,01")], &[("documents", "emargement.pdf", &pdf)]).await;
    assert!(overrun.body.contains(&format!("non couverte par l’engagement ({})", eur("200,00 €"))), "{}", overrun.body);
}

#[tokio::test]
async fn information_is_asked_answered_with_a_document_and_the_claim_refused_with_its_reason() {
    let app = TestApp::spawn().await;
    let (nord, mut company, user) = claimant(&app, (2026, 4, 1)).await;
    // A contrat de professionnalisation under way: lump sums along the way, the overrun at the end (D9).
    let pro = accepted_dossier(
        &app.ctx,
        nord.id,
        nord.head_office,
        "PRO",
        "AKTO",
        Domain::WorkStudy,
        (day(2026, 1, 5), day(2026, 9, 30)),
        (900_000, 680_000),
        user,
    )
    .await;
    let claim = format!("/entreprises/{}/dossiers/{}/remboursements", nord.id, pro.id);
    let pdf = sample_pdf();
    let form = company.get(&format!("{claim}/nouveau")).await;
    assert!(form.body.contains(">Forfait<") && !form.body.contains("Frais pédagogiques"));
    let overrun = company
        .multipart(&claim, &[("lump_sum", "1 000,00"), ("overrun", "500,00")], &[("documents", "a.pdf", &pdf)])
        .await;
    assert!(overrun.body.contains("se demande à la fin de la formation (le 30/09/2026)"), "{}", overrun.body);
    let filed = company.multipart(&claim, &[("lump_sum", "1 000,00")], &[("documents", "attestation.pdf", &pdf)]).await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let id = dr_id(filed.location());

    let mut manager = app.signed_in("gestionnaire@opco.fr", Role::CaseManager).await;
    let decision = format!("/gestion/remboursements/{id}/decision");
    let asked = manager
        .post(
            &decision,
            &[
                ("decision", "info"),
                ("message", "Joignez les feuilles d’émargement de mars."),
                ("due_on", "2026-04-15"),
                ("version", "0"),
            ],
        )
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    // The company answers: a message is required; the new document is checked like the first.
    let answer = format!("/entreprises/{}/remboursements/{id}/repondre", nord.id);
    let page = company.get(&format!("/entreprises/{}/remboursements/{id}", nord.id)).await;
    assert!(page.body.contains("Un complément vous est demandé") && page.body.contains("15/04/2026"));
    let empty = company.multipart(&answer, &[("message", " ")], &[("documents", "mars.pdf", &pdf)]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("Écrivez votre réponse"));
    let answered = company
        .multipart(&answer, &[("message", "Voici les feuilles de mars.")], &[("documents", "mars.pdf", &pdf)])
        .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.body);
    assert_eq!(staff_dr(&app, id).await.status, "submitted");
    assert_eq!(store::document::for_reimbursement(&app.ctx.db, id).await.unwrap().len(), 2);
    let again = company.multipart(&answer, &[("message", "Encore")], &[]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "nothing is waiting for an answer any more");

    let no_reason = manager.post(&decision, &[("decision", "refuse"), ("reason", ""), ("version", "2")]).await;
    assert!(no_reason.body.contains("Indiquez le motif du refus"));
    let refused =
        manager.post(&decision, &[("decision", "refuse"), ("reason", "Heures non réalisées"), ("version", "2")]).await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER, "{}", refused.body);
    let timeline = company.get(&format!("/entreprises/{}/dossiers/{}", nord.id, pro.id)).await;
    for step in [
        "Demande de remboursement déposée",
        "Complément demandé sur une demande de remboursement",
        "Complément apporté à une demande de remboursement",
        "Demande de remboursement refusée",
        "Heures non réalisées",
    ] {
        assert!(timeline.body.contains(step), "the timeline shows « {step} »");
    }
    // A refused claim holds nothing: the lump sum may be claimed again.
    let retry = company.multipart(&claim, &[("lump_sum", "1 000,00")], &[("documents", "b.pdf", &pdf)]).await;
    assert_eq!(retry.status, StatusCode::SEE_OTHER, "{}", retry.body);
}

#[tokio::test]
async fn c6_claims_on_the_2024_contribution_close_after_28_february() {
    let app = TestApp::spawn().await;
    let (nord, mut company, user) = claimant(&app, (2026, 2, 28)).await;
    let dossier = accepted_dossier(
        &app.ctx,
        nord.id,
        nord.agency,
        "CPNSST",
        "FPETT",
        Domain::Training,
        (day(2026, 2, 2), day(2026, 2, 6)),
        (150_000, 150_000),
        user,
    )
    .await;
    let claim = format!("/entreprises/{}/dossiers/{}/remboursements", nord.id, dossier.id);
    let pdf = sample_pdf();
    let fields = [("training_costs", "1 500,00"), ("budget", "FPETT_077_2024")];
    let last_day = company.multipart(&claim, &fields, &[("documents", "c.pdf", &pdf)]).await;
    assert_eq!(last_day.status, StatusCode::SEE_OTHER, "{}", last_day.body);

    app.clock.set(Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap());
    let mut company = app.client();
    company.login("rh@interim-nord.fr", crate::support::PASSWORD).await;
    let late = company
        .multipart(&claim, &[("salaries", "10,00"), ("budget", "FPETT_077_2024")], &[("documents", "c.pdf", &pdf)])
        .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        late.body.contains("étaient acceptées jusqu’au 28/02/2026 (règle C6)"),
        "the refusal names the rule and its date: {}",
        late.body
    );
}

#[tokio::test]
async fn uploads_are_refused_when_too_large_or_too_many() {
    let app = TestApp::spawn().await;
    let (nord, mut company, user) = claimant(&app, (2026, 2, 9)).await;
    let dossier = accepted_dossier(
        &app.ctx,
        nord.id,
        nord.agency,
        "PDC50",
        "AKTO",
        Domain::Training,
        (day(2026, 2, 2), day(2026, 2, 6)),
        (100_000, 100_000),
        user,
    )
    .await;
    let claim = format!("/entreprises/{}/dossiers/{}/remboursements", nord.id, dossier.id);
    let mut big = sample_pdf();
    big.resize(documents::upload::MAX_PDF_BYTES + 1, b' ');
    let too_big = company.multipart(&claim, &[("training_costs", "10,00")], &[("documents", "scan.pdf", &big)]).await;
    assert_eq!(too_big.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_big.body.contains("la limite est de 5 Mo"), "{}", too_big.body);
    let pdf = sample_pdf();
    let six: Vec<(&str, &str, &[u8])> = (0..6).map(|_| ("documents", "p.pdf", pdf.as_slice())).collect();
    let many = company.multipart(&claim, &[("training_costs", "10,00")], &six).await;
    assert!(many.body.contains("Joignez 5 fichiers au plus."), "{}", many.body);
    assert!(store::reimbursement::for_dossier(&app.ctx.db, dossier.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn only_edi_companies_file_reimbursement_requests_and_invoices_through_the_api() {
    use base64::Engine as _;
    let app = TestApp::spawn().await;
    let (nord, _company, user) = claimant(&app, (2026, 2, 9)).await;
    let dossier = accepted_dossier(
        &app.ctx,
        nord.id,
        nord.agency,
        "PDC50",
        "AKTO",
        Domain::Training,
        (day(2026, 2, 2), day(2026, 2, 6)),
        (100_000, 100_000),
        user,
    )
    .await;
    let (_, token) =
        store::api_token::create(&app.ctx.db, user, "logiciel de paie", None, app.ctx.clock.now()).await.unwrap();
    let pdf = base64::engine::general_purpose::STANDARD.encode(sample_pdf());
    let body = |amount: &str| {
        serde_json::json!({
            "lines": [{"nature": "training_costs", "amount": amount}],
            "documents": [{"kind": "certificate", "file_name": "certificat.pdf", "content_base64": pdf}],
        })
    };
    let url = format!("/api/v1/dossiers/{}/remboursements", dossier.id);
    let mut client = app.client();
    // Without the EDI flag: 403 with the explanation (F2), nothing filed.
    let refused = client.api(http::Method::POST, &url, &token.plain, Some(body("500,00"))).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(refused.json()["error"]["code"], "edi_required");
    assert!(refused.body.contains("avant fin décembre 2025"));
    assert!(store::reimbursement::for_dossier(&app.ctx.db, dossier.id).await.unwrap().is_empty());

    store::company::set_edi(&app.ctx.db, nord.id, true, app.ctx.clock.now()).await.unwrap();
    let beyond = client.api(http::Method::POST, &url, &token.plain, Some(body("1 000,01"))).await;
    assert_eq!(beyond.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", beyond.body);
    assert_eq!(beyond.json()["error"]["field"], "training_costs");
    let filed = client.api(http::Method::POST, &url, &token.plain, Some(body("500,00"))).await;
    assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.body);
    assert_eq!(filed.json()["claimed_cents"], 50_000);
    assert!(filed.json()["number"].as_str().unwrap().starts_with("DR-2026-"));

    // Another company's token reaches nothing.
    let btp = app.company_btp().await;
    app.account("mallory@btp-emploi.fr", crate::support::PASSWORD, Role::CompanyUser).await;
    let mallory = app.user_id("mallory@btp-emploi.fr").await;
    app.attach(mallory, btp.id, None, true, &Domain::ALL).await;
    store::company::set_edi(&app.ctx.db, btp.id, true, app.ctx.clock.now()).await.unwrap();
    let (_, other) = store::api_token::create(&app.ctx.db, mallory, "m", None, app.ctx.clock.now()).await.unwrap();
    let foreign = client.api(http::Method::POST, &url, &other.plain, Some(body("10,00"))).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{}", foreign.body);
    assert_eq!(store::reimbursement::for_dossier(&app.ctx.db, dossier.id).await.unwrap().len(), 1);

    // Once validated and on a proforma, its invoice goes by EDI too: an e-invoice read and checked.
    let dr = filed.json()["id"].as_i64().unwrap();
    let validated =
        store::reimbursement::DrChange { validated: Some(domain::Money::from_cents(50_000)), ..Default::default() };
    let now = app.ctx.clock.now();
    use domain::reimbursement::DrStatus;
    store::reimbursement::transition(&app.ctx.db, dr, 0, DrStatus::Submitted, DrStatus::Validated, validated, now)
        .await
        .unwrap();
    let mut browser = app.client();
    browser.login("rh@interim-nord.fr", crate::support::PASSWORD).await;
    let issued = browser
        .post(
            &format!("/entreprises/{}/factures", nord.id),
            &[("reimbursements", &dr.to_string()), ("payer", "AKTO"), ("public", "temporary")],
        )
        .await;
    assert_eq!(issued.status, StatusCode::SEE_OTHER, "{}", issued.body);
    let proforma = dr_proforma(&app, dr).await;
    let invoice_url = format!("/api/v1/factures/{proforma}/facture");
    let payload = |xml: &str| serde_json::json!({"invoice": {"file_name": "facture.xml", "content_base64": base64::engine::general_purpose::STANDARD.encode(xml)}});
    let (_, off) = e_invoice(&app, proforma, 1).await;
    let gap = client.api(http::Method::POST, &invoice_url, &token.plain, Some(payload(&off))).await;
    assert_eq!(gap.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", gap.body);
    assert_eq!(gap.json()["error"]["field"], "net");
    let foreign = client.api(http::Method::POST, &invoice_url, &other.plain, Some(payload(&off))).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let (_, xml) = e_invoice(&app, proforma, 0).await;
    let sent = client.api(http::Method::POST, &invoice_url, &token.plain, Some(payload(&xml))).await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.body);
    assert_eq!(sent.json()["status"], "submitted");
}

#[tokio::test]
async fn a_proforma_is_prepared_for_one_payer_and_one_public_chosen_first() {
    use domain::reimbursement::{DrStatus, Line, Nature};
    let app = TestApp::spawn().await;
    let (nord, mut company, user) = claimant(&app, (2026, 2, 9)).await;
    let mut numbers = Vec::new();
    let mut ids = Vec::new();
    for (scheme, payer) in [("PDC50", "AKTO"), ("CPNSST", "FPETT")] {
        let dossier = accepted_dossier(
            &app.ctx,
            nord.id,
            nord.agency,
            scheme,
            payer,
            Domain::Training,
            (day(2026, 2, 2), day(2026, 2, 6)),
            (50_000, 50_000),
            user,
        )
        .await;
        let lines = [Line { nature: Nature::TrainingCosts, amount: domain::Money::from_cents(50_000) }];
        let input = store::reimbursement::NewReimbursement {
            dossier: &dossier,
            budget: None,
            lines: &lines,
            submitted_on: day(2026, 2, 9),
            created_by: user,
        };
        let dr = store::reimbursement::create(&app.ctx.db, &input, app.ctx.clock.now()).await.unwrap();
        let change =
            store::reimbursement::DrChange { validated: Some(domain::Money::from_cents(50_000)), ..Default::default() };
        store::reimbursement::transition(
            &app.ctx.db,
            dr.id,
            0,
            DrStatus::Submitted,
            DrStatus::Validated,
            change,
            app.ctx.clock.now(),
        )
        .await
        .unwrap();
        numbers.push(dr.number);
        ids.push(dr.id.to_string());
    }
    let invoices = format!("/entreprises/{}/factures", nord.id);
    let choose = company.get(&invoices).await;
    assert!(choose.body.contains("choisissez pour qui la préparer"), "{}", choose.body);
    assert!(!choose.body.contains("name=\"reimbursements\""), "nothing to tick before the group is chosen");
    let akto = company.get(&format!("{invoices}?financeur=AKTO&public=temporary")).await;
    assert!(akto.body.contains(&numbers[0]) && !akto.body.contains(&numbers[1]), "{}", akto.body);
    // A hand-made request mixing both payers is refused all the same (F6).
    let mixed = company
        .post(
            &invoices,
            &[("reimbursements", &ids[0]), ("reimbursements", &ids[1]), ("payer", "AKTO"), ("public", "temporary")],
        )
        .await;
    assert_eq!(mixed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(mixed.body.contains("jamais les deux"), "{}", mixed.body);
    assert!(store::proforma::all(&app.ctx.db).await.unwrap().is_empty());
}
