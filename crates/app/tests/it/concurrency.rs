//! One winner (SPEC Q2): every check that guards money or a unique fact holds when many requests
//! arrive at once. Each test fires its requests truly in parallel (a multi-threaded runtime, one
//! task per request) and expects exactly one to succeed and the others to be told in French.
//! SQLite serialises writers and hides races; these tests matter on PostgreSQL, where they run in
//! the suite's second pass.

use chrono::{NaiveDate, TimeZone as _, Utc};
use domain::Role;
use domain::habilitation::{AttachmentStatus, Domain};
use std::future::Future;

use http::StatusCode;

use crate::support::{TestApp, TestClient, TestCompany, TestResponse, accepted_dossier, sample_pdf};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Sends `n` requests at once, each from its own copy of `client` (same session), and returns
/// the answers.
async fn race<F, Fut>(n: usize, client: &TestClient, send: F) -> Vec<TestResponse>
where
    F: Fn(TestClient, usize) -> Fut,
    Fut: Future<Output = TestResponse> + Send + 'static,
{
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(n));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let request = send(client.clone(), i);
        let barrier = barrier.clone();
        tasks.spawn(async move {
            barrier.wait().await;
            request.await
        });
    }
    let mut answers = Vec::new();
    while let Some(answer) = tasks.join_next().await {
        answers.push(answer.unwrap());
    }
    answers
}

/// Exactly one answer has `won`; every other one is a refusal (409, or 422 when it came after the
/// winner had committed) whose page says `why`.
fn one_winner(answers: &[TestResponse], won: StatusCode, why: &str) {
    let winners = answers.iter().filter(|a| a.status == won).count();
    let statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    assert_eq!(winners, 1, "exactly one winner expected: {statuses:?}");
    for loser in answers.iter().filter(|a| a.status != won) {
        assert!(
            matches!(loser.status, StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY),
            "a loser answered {}: {}",
            loser.status,
            loser.body
        );
        assert!(loser.body.contains(why), "a loser does not say « {why} »: {}", loser.body);
    }
}

/// « Intérim Nord », its administrator signed in on `at`, and a PDC-50 dossier accepted for
/// 2 400,00 € on a cost of 2 400,00 €, its training over.
async fn claimant(app: &TestApp) -> (TestCompany, TestClient, i64, store::dossier::Dossier) {
    app.clock.set(Utc.with_ymd_and_hms(2026, 2, 9, 9, 0, 0).unwrap());
    let nord = app.company_nord().await;
    let company = app.signed_in("rh@interim-nord.fr", Role::CompanyUser).await;
    let user = app.user_id("rh@interim-nord.fr").await;
    app.attach(user, nord.id, None, true, &Domain::ALL).await;
    let dossier = accepted_dossier(
        &app.ctx,
        nord.id,
        nord.agency,
        "PDC50",
        "AKTO",
        Domain::Training,
        (day(2026, 2, 2), day(2026, 2, 6)),
        (240_000, 240_000),
        user,
    )
    .await;
    (nord, company, user, dossier)
}

/// A DR written straight to the store (as a legacy import or an earlier filing would have).
async fn stored_dr(app: &TestApp, dossier: &store::dossier::Dossier, user: i64, cents: i64) -> i64 {
    let lines = [domain::reimbursement::Line {
        nature: domain::reimbursement::Nature::TrainingCosts,
        amount: domain::Money::from_cents(cents),
    }];
    let input = store::reimbursement::NewReimbursement {
        dossier,
        budget: None,
        lines: &lines,
        submitted_on: day(2026, 2, 9),
        created_by: user,
    };
    store::reimbursement::create(&app.ctx.db, &input, app.ctx.clock.now()).await.unwrap().id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twelve_claims_at_once_on_what_remains_of_a_commitment_make_one_winner() {
    let app = TestApp::spawn().await;
    let (nord, company, user, dossier) = claimant(&app).await;
    // 2 000,00 € already claimed: 400,00 € remain, room for one claim of 300,00 €.
    stored_dr(&app, &dossier, user, 200_000).await;
    let claim = format!("/entreprises/{}/dossiers/{}/remboursements", nord.id, dossier.id);
    let answers = race(12, &company, |mut client, _| {
        let claim = claim.clone();
        async move {
            client
                .multipart(&claim, &[("training_costs", "300,00")], &[("documents", "certificat.pdf", &sample_pdf())])
                .await
        }
    })
    .await;
    one_winner(&answers, StatusCode::SEE_OTHER, "ce qui reste de l’engagement");
    let held = store::reimbursement::for_dossier(&app.ctx.db, dossier.id).await.unwrap();
    assert_eq!(held.len(), 2, "one DR filed besides the first");
    let claimed: i64 = held.iter().map(|dr| dr.claimed_cents).sum();
    assert_eq!(claimed, 230_000, "never more than the commitment");
}

#[tokio::test]
async fn a_case_manager_cannot_validate_more_than_what_remains_of_the_commitment() {
    let app = TestApp::spawn().await;
    let (_nord, _company, user, dossier) = claimant(&app).await;
    // Two DR that together claim more than the commitment (as two filings that raced before
    // the lock, or a legacy import, could leave): the second one may be validated for nothing.
    let first = stored_dr(&app, &dossier, user, 240_000).await;
    let second = stored_dr(&app, &dossier, user, 30_000).await;
    let mut manager = app.signed_in("gestionnaire@opco.fr", Role::CaseManager).await;
    let decide = |id: i64| format!("/gestion/remboursements/{id}/decision");
    let refused =
        manager.post(&decide(second), &[("decision", "accept"), ("amount", "300,00"), ("version", "0")]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.body.contains("validez au plus 0,00"), "{}", refused.body);
    let staff = domain::scope::Scope::Staff { user_id: 0, role: Role::PlatformAdmin };
    let dr = store::reimbursement::get(&app.ctx.db, &staff, second).await.unwrap().unwrap();
    assert_eq!((dr.status.as_str(), dr.validated_cents), ("submitted", None), "nothing was validated");
    // Once the first is refused, what it held is free again.
    let first_refused =
        manager.post(&decide(first), &[("decision", "refuse"), ("reason", "Doublon"), ("version", "0")]).await;
    assert_eq!(first_refused.status, StatusCode::SEE_OTHER, "{}", first_refused.body);
    let validated =
        manager.post(&decide(second), &[("decision", "accept"), ("amount", "300,00"), ("version", "0")]).await;
    assert_eq!(validated.status, StatusCode::SEE_OTHER, "{}", validated.body);
}

/// A DR validated for 300,00 € on the claimant's dossier, and the proforma the company issued
/// for it: the proforma's page.
async fn issued_proforma(
    app: &TestApp,
    nord: &TestCompany,
    company: &mut TestClient,
    user: i64,
    dossier: &store::dossier::Dossier,
) -> (i64, String) {
    let dr = stored_dr(app, dossier, user, 30_000).await;
    let change =
        store::reimbursement::DrChange { validated: Some(domain::Money::from_cents(30_000)), ..Default::default() };
    use domain::reimbursement::DrStatus;
    let now = app.ctx.clock.now();
    assert!(
        store::reimbursement::transition(&app.ctx.db, dr, 0, DrStatus::Submitted, DrStatus::Validated, change, now)
            .await
            .unwrap()
    );
    let issued = company
        .post(
            &format!("/entreprises/{}/factures", nord.id),
            &[("reimbursements", &dr.to_string()), ("payer", "AKTO"), ("public", "temporary")],
        )
        .await;
    assert_eq!(issued.status, StatusCode::SEE_OTHER, "{}", issued.body);
    (dr, issued.location().split('?').next().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_proformas_at_once_for_the_same_dr_make_one_winner() {
    let app = TestApp::spawn().await;
    let (nord, company, user, dossier) = claimant(&app).await;
    let dr = stored_dr(&app, &dossier, user, 30_000).await;
    let change =
        store::reimbursement::DrChange { validated: Some(domain::Money::from_cents(30_000)), ..Default::default() };
    use domain::reimbursement::DrStatus;
    let now = app.ctx.clock.now();
    assert!(
        store::reimbursement::transition(&app.ctx.db, dr, 0, DrStatus::Submitted, DrStatus::Validated, change, now)
            .await
            .unwrap()
    );
    let invoices = format!("/entreprises/{}/factures", nord.id);
    let answers = race(8, &company, |mut client, _| {
        let invoices = invoices.clone();
        async move {
            client
                .post(&invoices, &[("reimbursements", &dr.to_string()), ("payer", "AKTO"), ("public", "temporary")])
                .await
        }
    })
    .await;
    one_winner(&answers, StatusCode::SEE_OTHER, "figure déjà sur une facture pro forma");
    assert_eq!(store::proforma::all(&app.ctx.db).await.unwrap().len(), 1, "one proforma");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_invoices_at_once_for_one_proforma_store_one() {
    let app = TestApp::spawn().await;
    let (nord, mut company, user, dossier) = claimant(&app).await;
    let (dr, page) = issued_proforma(&app, &nord, &mut company, user, &dossier).await;
    let _ = dr;
    let upload = format!("{page}/facture");
    let answers = race(10, &company, |mut client, i| {
        let upload = upload.clone();
        async move {
            let number = format!("FA-2026-{i:04}");
            let fields = [
                ("number", number.as_str()),
                ("buyer_name", "OPCO Démo"),
                ("seller_siren", "732 829 320"),
                ("net", "300,00"),
                ("vat", "60,00"),
                ("gross", "360,00"),
                ("iban", ""),
            ];
            let pdf = sample_pdf();
            client.multipart(&upload, &fields, &[("invoice", "facture.pdf", &pdf), ("rib", "rib.pdf", &pdf)]).await
        }
    })
    .await;
    one_winner(&answers, StatusCode::SEE_OTHER, "déjà déposée");
    let proforma: i64 = page.rsplit('/').next().unwrap().parse().unwrap();
    let stored = store::invoice::for_proforma(&app.ctx.db, proforma).await.unwrap();
    assert_eq!(stored.len(), 1, "one invoice stored: {stored:?}");
}

#[tokio::test]
async fn the_database_refuses_a_second_live_invoice_for_a_proforma() {
    let app = TestApp::spawn().await;
    let (nord, mut company, user, dossier) = claimant(&app).await;
    let (_, page) = issued_proforma(&app, &nord, &mut company, user, &dossier).await;
    let proforma: i64 = page.rsplit('/').next().unwrap().parse().unwrap();
    let files = store::document::Files::new(app.ctx.config.data_dir.join("documents"));
    let pdf = sample_pdf();
    let sha256 = files.put(&pdf).await.unwrap();
    let invoice = |number: &str| store::invoice::NewInvoice {
        proforma_id: proforma,
        company_id: nord.id,
        number: number.into(),
        syntax: "pdf",
        buyer_name: "OPCO Démo".into(),
        seller_siren: None,
        net: domain::Money::from_cents(30_000),
        vat: domain::Money::from_cents(6_000),
        gross: domain::Money::from_cents(36_000),
        iban: None,
        document_id: 0,
        rib_document_id: None,
        uploaded_by: user,
    };
    let now = app.ctx.clock.now();
    let document = store::document::NewDocument {
        company_id: nord.id,
        dossier_id: None,
        reimbursement_id: None,
        proforma_id: Some(proforma),
        kind: store::document::Kind::Invoice,
        file_name: "facture.pdf".into(),
        sha256,
        size: i64::try_from(pdf.len()).unwrap(),
        content_type: "application/pdf".into(),
        uploaded_by: user,
    };
    let document = store::document::create(&app.ctx.db, document, now).await.unwrap().id;
    let first =
        store::invoice::create(&app.ctx.db, store::invoice::NewInvoice { document_id: document, ..invoice("A") }, now)
            .await
            .unwrap();
    let second =
        store::invoice::create(&app.ctx.db, store::invoice::NewInvoice { document_id: document, ..invoice("B") }, now)
            .await;
    assert!(store::db::is_unique_violation(&second.unwrap_err()), "a second live invoice is refused by the database");
    // A refused invoice frees the proforma for the next one.
    assert!(
        store::invoice::decide(&app.ctx.db, first.id, 0, store::invoice::status::REJECTED, Some("x".into()), user, now)
            .await
            .unwrap()
    );
    store::invoice::create(&app.ctx.db, store::invoice::NewInvoice { document_id: document, ..invoice("C") }, now)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_clicks_at_once_turn_a_drf_into_one_dossier() {
    let app = TestApp::spawn().await;
    app.clock.set(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
    let nord = app.company_nord().await;
    let company = app.signed_in("rh@interim-nord.fr", Role::CompanyUser).await;
    let user = app.user_id("rh@interim-nord.fr").await;
    app.attach(user, nord.id, None, true, &Domain::ALL).await;
    let (_, drf) = crate::dossiers::victim_filings(&app, nord.id, nord.agency, user).await;
    let now = app.ctx.clock.now();
    assert!(store::drf::validate(&app.ctx.db, drf, 0, day(2026, 1, 5), day(2026, 2, 28), now).await.unwrap());
    let url = format!("/entreprises/{}/drf/{drf}/dossier", nord.id);
    let answers = race(8, &company, |mut client, _| {
        let url = url.clone();
        async move { client.post(&url, &[]).await }
    })
    .await;
    one_winner(&answers, StatusCode::SEE_OTHER, "réservation de fonds");
    let staff = domain::scope::Scope::Staff { user_id: 0, role: Role::PlatformAdmin };
    let from_drf = store::dossier::list_for_company(&app.ctx.db, &staff, nord.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.drf_id == Some(drf))
        .count();
    assert_eq!(from_drf, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_attachment_request_approved_six_times_at_once_is_approved_once() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let admin = app.signed_in("rh@interim-nord.fr", Role::CompanyUser).await;
    let admin_id = app.user_id("rh@interim-nord.fr").await;
    app.attach(admin_id, nord.id, None, true, &Domain::ALL).await;
    let mut carl = app.signed_in("carl@exemple.fr", Role::CompanyUser).await;
    carl.post("/entreprises/rattachement", &[("siren", nord.siren), ("sirets", nord.agency_siret)]).await;
    let request =
        store::attachment::list_for_company(&app.ctx.db, nord.id, AttachmentStatus::Requested).await.unwrap()[0].id;
    let url = format!("/entreprises/{}/demandes/{request}/valider", nord.id);
    let answers = race(6, &admin, |mut client, _| {
        let url = url.clone();
        async move { client.post(&url, &[("training", "on")]).await }
    })
    .await;
    one_winner(&answers, StatusCode::SEE_OTHER, "a déjà reçu une réponse");
    let approved = store::attachment::list_for_company(&app.ctx.db, nord.id, AttachmentStatus::Approved).await.unwrap();
    assert_eq!(approved.iter().filter(|a| a.id == request).count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_administrators_removing_each_other_at_once_leave_one() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let anne = app.signed_in("anne@interim-nord.fr", Role::CompanyUser).await;
    let anne_id = app.user_id("anne@interim-nord.fr").await;
    let anne_attachment = app.attach(anne_id, nord.id, None, true, &Domain::ALL).await;
    let bruno = app.signed_in("bruno@interim-nord.fr", Role::CompanyUser).await;
    let bruno_id = app.user_id("bruno@interim-nord.fr").await;
    let bruno_attachment = app.attach(bruno_id, nord.id, None, true, &Domain::ALL).await;
    let a = {
        let mut anne = anne.clone();
        let url = format!("/entreprises/{}/utilisateurs/{bruno_attachment}/retirer", nord.id);
        tokio::spawn(async move { anne.post(&url, &[]).await })
    };
    let b = {
        let mut bruno = bruno.clone();
        let url = format!("/entreprises/{}/utilisateurs/{anne_attachment}/retirer", nord.id);
        tokio::spawn(async move { bruno.post(&url, &[]).await })
    };
    let answers = [a.await.unwrap(), b.await.unwrap()];
    let statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    assert_eq!(answers.iter().filter(|a| a.status == StatusCode::SEE_OTHER).count(), 1, "{statuses:?}");
    for loser in answers.iter().filter(|a| a.status != StatusCode::SEE_OTHER) {
        // Told that the company would be left without an administrator, or, when the winner had
        // already committed, no longer a member of the company at all.
        match loser.status {
            StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY => {
                assert!(loser.body.contains("administrateur"), "{}", loser.body);
            }
            StatusCode::NOT_FOUND | StatusCode::FORBIDDEN => {}
            other => panic!("a loser answered {other}: {}", loser.body),
        }
    }
    assert_eq!(store::attachment::count_admins(&app.ctx.db, nord.id).await.unwrap(), 1);
}
