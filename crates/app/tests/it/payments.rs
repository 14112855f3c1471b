//! Payment runs (SPEC P1–P4): what a run pays, to whom, once; its SEPA file checked by the ISO
//! 20022 schema; remittance advices in the bell only; bank returns; crashes and restarts.

use std::collections::{BTreeMap, HashMap};

use chrono::{TimeZone as _, Utc};
use domain::Role;
use domain::habilitation::Domain;
use espace_app::payments::{self, Hooks, Outcome, STEPS};
use http::StatusCode;

use crate::support::{TestApp, TestCompany, approved_invoice};

const NORD_IBAN: &str = "FR7630006000011234567890189";
const BTP_IBAN: &str = "FR1420041010050500013M02606";

fn paris(y: i32, m: u32, d: u32, h: u32) -> chrono::DateTime<Utc> {
    chrono_tz::Europe::Paris.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap().with_timezone(&Utc)
}

/// A company with its administrator (all domains) and, if given, its registered bank account.
async fn payee(app: &TestApp, company: TestCompany, email: &str, iban: Option<&str>) -> (TestCompany, i64) {
    app.account(email, crate::support::PASSWORD, Role::CompanyUser).await;
    let user = app.user_id(email).await;
    app.attach(user, company.id, None, true, &Domain::ALL).await;
    if let Some(iban) = iban {
        let iban = domain::Iban::parse(iban).unwrap();
        store::company::replace_bank_account(&app.ctx.db, company.id, &iban, company.name, user, app.ctx.clock.now())
            .await
            .unwrap();
    }
    (company, user)
}

/// Validates a pain.001 with xmllint and the vendored ISO 20022 schema.
fn xmllint_validates(xml: &[u8]) {
    let available = std::process::Command::new("xmllint").arg("--version").output().is_ok_and(|o| o.status.success());
    if !available {
        assert!(std::env::var("ESPACE_REQUIRE_XMLLINT").as_deref() != Ok("1"), "xmllint is required");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("run.xml");
    std::fs::write(&file, xml).unwrap();
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/../documents/xsd/sepa/pain.001.001.09.xsd");
    let output =
        std::process::Command::new("xmllint").args(["--noout", "--schema", schema]).arg(&file).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

/// Every payment of every run, with its invoices.
async fn all_payments(app: &TestApp) -> Vec<(store::payment::Payment, Vec<store::payment::Item>)> {
    let mut out = Vec::new();
    for run in store::payment::runs(&app.ctx.db, 10_000).await.unwrap() {
        let payments = store::payment::payments_of(&app.ctx.db, run.id).await.unwrap();
        let mut items =
            store::payment::items_of(&app.ctx.db, &payments.iter().map(|p| p.id).collect::<Vec<_>>()).await.unwrap();
        for p in payments {
            let its = items.remove(&p.id).unwrap_or_default();
            out.push((p, its));
        }
    }
    out
}

/// The invariants of SPEC P4: an invoice is in at most one payment the bank did not reject, each
/// payment is the exact sum of its invoices, each frozen run the exact sum of its payments.
async fn check_invariants(app: &TestApp) -> HashMap<i64, usize> {
    let mut paid: HashMap<i64, usize> = HashMap::new();
    for (payment, items) in all_payments(app).await {
        assert_eq!(payment.amount_cents, items.iter().map(|i| i.amount_cents).sum::<i64>(), "{payment:?}");
        if payment.status != store::payment::status::REJECTED {
            for item in &items {
                *paid.entry(item.invoice_id).or_default() += 1;
                assert_eq!(item.live_invoice_id, Some(item.invoice_id));
            }
        }
    }
    for (invoice, count) in &paid {
        assert_eq!(*count, 1, "invoice {invoice} is paid {count} times");
    }
    for run in store::payment::runs(&app.ctx.db, 10_000).await.unwrap() {
        if run.status == store::payment::run_status::FROZEN {
            let payments = store::payment::payments_of(&app.ctx.db, run.id).await.unwrap();
            assert_eq!(run.payment_count, i64::try_from(payments.len()).unwrap());
            assert_eq!(run.total_cents, payments.iter().map(|p| p.amount_cents).sum::<i64>());
        }
    }
    paid
}

async fn advices_of(app: &TestApp, user: i64) -> Vec<store::notification::Notification> {
    let (list, _) = store::notification::list(&app.ctx.db, user, 1, 1000).await.unwrap();
    list.into_iter().filter(|n| n.kind == "payment.advice").collect()
}

#[tokio::test]
async fn a_run_pays_each_approved_invoice_once_grouped_by_payee_with_an_advice_in_the_bell() {
    let app = TestApp::spawn().await;
    let (nord, alice) = payee(&app, app.company_nord().await, "alice@interim-nord.fr", Some(NORD_IBAN)).await;
    let (btp, bea) = payee(&app, app.company_btp().await, "bea@btp-emploi.fr", None).await;
    let before_slot = paris(2026, 1, 5, 10);
    let first = approved_invoice(&app.ctx, (nord.id, nord.head_office), alice, 100_000, None, before_slot).await;
    let second = approved_invoice(&app.ctx, (nord.id, nord.agency), alice, 25_050, Some(NORD_IBAN), before_slot).await;
    let forged =
        approved_invoice(&app.ctx, (nord.id, nord.head_office), alice, 9_900, Some(BTP_IBAN), before_slot).await;
    let no_account = approved_invoice(&app.ctx, (btp.id, btp.head_office), bea, 50_000, None, before_slot).await;
    let late = approved_invoice(&app.ctx, (nord.id, nord.head_office), alice, 7_000, None, paris(2026, 1, 6, 7)).await;

    // Before the run the company sees what is payable and when it will be paid.
    let mut client = app.client();
    client.login("alice@interim-nord.fr", crate::support::PASSWORD).await;
    let page = client.get(&format!("/entreprises/{}/paiements", nord.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Prochain paiement") && page.body.contains("mardi 6 janvier 2026 à 06:00"),
        "{}",
        page.body
    );

    // Tuesday's run pays what was approved before 06:00, one transfer for Intérim Nord.
    let report = payments::run_due(&app.ctx, paris(2026, 1, 6, 8), &Hooks::none()).await.unwrap();
    assert_eq!(report.outcome, Outcome::Performed { resumed: false });
    assert_eq!(report.run.as_ref().unwrap().slot_key, "2026-01-06T06:00");
    assert_eq!(
        (report.run.as_ref().unwrap().payment_count, report.run.as_ref().unwrap().held_count),
        (1, 2),
        "{}",
        report.summary()
    );
    assert_eq!(
        report.run.as_ref().unwrap().total_cents,
        120_000 + 30_060,
        "gross amounts: 1 000 € + 250,50 € HT with 20 % VAT"
    );
    let payments = all_payments(&app).await;
    let (payment, items) = &payments[0];
    assert_eq!(items.iter().map(|i| i.invoice_id).collect::<Vec<_>>(), vec![first, second]);
    assert_eq!((payment.payee_iban.as_str(), payment.payee_name.as_str()), (NORD_IBAN, nord.name));
    let holds = store::payment::holds_of(&app.ctx.db, report.run.as_ref().unwrap().id).await.unwrap();
    let reasons: BTreeMap<i64, String> = holds.into_iter().map(|h| (h.invoice_id, h.reason)).collect();
    assert!(reasons[&forged].contains("n’est pas celui du compte enregistré"), "{reasons:?}");
    assert!(reasons[&no_account].contains("Aucun compte bancaire"), "{reasons:?}");
    assert!(!reasons.contains_key(&late));

    // The same slot again changes nothing.
    let again = payments::run_due(&app.ctx, paris(2026, 1, 6, 9), &Hooks::none()).await.unwrap();
    assert_eq!(again.outcome, Outcome::AlreadyDone);
    assert!(again.summary().starts_with("Déjà effectué"), "{}", again.summary());
    assert_eq!(all_payments(&app).await.len(), 1);

    // The advice: one bell for Alice, no e-mail.
    let advices = advices_of(&app, alice).await;
    assert_eq!(advices.len(), 1);
    assert!(advices[0].title.contains("1\u{202f}500,60"), "{}", advices[0].title);
    assert!(app.mails().await.iter().all(|m| !m.subject.contains("virement")), "advices are never e-mailed");
    let link = advices[0].link.clone().unwrap();
    let page = client.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("FA-") && page.body.contains("1\u{202f}500,60"), "{}", page.body);
    let (status, pdf) = client.get_bytes(&format!("{link}/avis.pdf")).await;
    assert_eq!(status, StatusCode::OK);
    let text = crate::support::pdf_pages(&pdf).join("\n");
    let numbers: Vec<String> = items.iter().map(|i| i.invoice_number.clone()).collect();
    for number in &numbers {
        assert!(text.contains(number), "{number} in the advice: {text}");
    }
    assert!(!text.contains(NORD_IBAN), "the IBAN is masked");

    // BTP Emploi sees why its invoice waits; Intérim Nord, its late invoice for Friday.
    let mut bea_client = app.client();
    bea_client.login("bea@btp-emploi.fr", crate::support::PASSWORD).await;
    let page = bea_client.get(&format!("/entreprises/{}/paiements", btp.id)).await;
    assert!(page.body.contains("Aucun compte bancaire"), "{}", page.body);
    assert_eq!(bea_client.get(&link).await.status, StatusCode::NOT_FOUND, "another company's advice");

    // The SEPA file: valid against the ISO 20022 schema, the same bytes each time.
    let mut staff = app.signed_in("finance@opco.fr", Role::CaseManager).await;
    let (status, xml) =
        staff.get_bytes(&format!("/gestion/paiements/{}/sepa.xml", report.run.as_ref().unwrap().id)).await;
    assert_eq!(status, StatusCode::OK);
    xmllint_validates(&xml);
    let text = String::from_utf8(xml.clone()).unwrap();
    assert!(text.contains("<NbOfTxs>1</NbOfTxs>") && text.contains("<CtrlSum>1500.60</CtrlSum>"), "{text}");
    assert!(text.contains(&format!("<EndToEndId>{}</EndToEndId>", payment.end_to_end_id)));
    let out = app._dir.path().join("export.xml");
    payments::export(&app.ctx, report.run.as_ref().unwrap().id, &out).await.unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), xml, "rebuilding a frozen run gives the same bytes");
    let list = payments::list(&app.ctx).await.unwrap();
    assert!(
        list[0].starts_with(&format!("{}\t2026-01-06T06:00\tterminé", report.run.as_ref().unwrap().id)),
        "{list:?}"
    );

    // Friday pays the late one; the held ones stay held.
    let friday = payments::run_due(&app.ctx, paris(2026, 1, 9, 7), &Hooks::none()).await.unwrap();
    assert_eq!(
        (
            friday.run.as_ref().unwrap().payment_count,
            friday.run.as_ref().unwrap().held_count,
            friday.run.as_ref().unwrap().total_cents
        ),
        (1, 2, 8_400)
    );
    let paid = check_invariants(&app).await;
    assert_eq!(paid.len(), 3);
}

#[tokio::test]
async fn a_crash_at_any_step_then_a_restart_pays_everything_exactly_once() {
    let app = TestApp::spawn().await;
    let (nord, alice) = payee(&app, app.company_nord().await, "alice@interim-nord.fr", Some(NORD_IBAN)).await;
    let (btp, bea) = payee(&app, app.company_btp().await, "bea@btp-emploi.fr", Some(BTP_IBAN)).await;
    let mut week = paris(2026, 1, 5, 10);
    for step in STEPS {
        for (company, user) in [(&nord, alice), (&btp, bea), (&nord, alice)] {
            approved_invoice(&app.ctx, (company.id, company.head_office), user, 12_345, None, week).await;
        }
        let at = week + chrono::Duration::days(1);
        let stop = move |s: &str| s == step;
        let hooks = Hooks { progress: &|_, _| {}, stop: &stop };
        let err = payments::run_due(&app.ctx, at, &hooks).await.unwrap_err();
        assert!(err.to_string().contains(step), "{err}");
        check_invariants(&app).await;
        let report = payments::run_due(&app.ctx, at, &Hooks::none()).await.unwrap();
        let expected = if matches!(step, "frozen" | "advised") {
            Outcome::AlreadyDone
        } else {
            Outcome::Performed { resumed: true }
        };
        assert_eq!(report.outcome, expected, "after a crash at {step}");
        assert_eq!(report.run.as_ref().unwrap().payment_count, 2, "after a crash at {step}: {}", report.summary());
        let paid = check_invariants(&app).await;
        assert!(store::payment::payables(&app.ctx.db, 0, at).await.unwrap().is_empty(), "all paid after {step}");
        assert_eq!(paid.len() % 3, 0);
        week += chrono::Duration::days(7);
    }
    // One advice per payment, whatever the crashes.
    assert_eq!(advices_of(&app, alice).await.len(), STEPS.len());
    assert_eq!(advices_of(&app, bea).await.len(), STEPS.len());
}

/// The binary, killed by `abort()` at each step, then started again.
#[tokio::test]
async fn killing_the_process_at_each_step_and_restarting_never_pays_twice_nor_loses_a_payment() {
    let app = TestApp::spawn().await;
    let (nord, alice) = payee(&app, app.company_nord().await, "alice@interim-nord.fr", Some(NORD_IBAN)).await;
    let (btp, bea) = payee(&app, app.company_btp().await, "bea@btp-emploi.fr", Some(BTP_IBAN)).await;
    let run = |at: &str, crash_at: Option<&str>| {
        let mut command = crate::support::binary(&app, &[]);
        command.args(["payments", "run", "--at", at]);
        if let Some(step) = crash_at {
            command.args(["--crash-at", step]);
        }
        command.output().unwrap()
    };
    let mut week = paris(2026, 1, 5, 10);
    let mut invoices = 0;
    for step in STEPS {
        for (company, user) in [(&nord, alice), (&btp, bea)] {
            approved_invoice(&app.ctx, (company.id, company.agency), user, 50_000, None, week).await;
            invoices += 1;
        }
        let at = (week + chrono::Duration::days(1)).to_rfc3339();
        let killed = run(&at, Some(step));
        assert!(!killed.status.success(), "killed at {step}: {}", String::from_utf8_lossy(&killed.stderr));
        assert!(String::from_utf8_lossy(&killed.stderr).contains(step), "{}", String::from_utf8_lossy(&killed.stderr));
        check_invariants(&app).await;
        let restarted = run(&at, None);
        let out = String::from_utf8_lossy(&restarted.stdout);
        assert!(restarted.status.success(), "restart after {step}: {}", String::from_utf8_lossy(&restarted.stderr));
        assert!(out.contains("2 virement(s)"), "restart after {step}: {out}");
        let paid = check_invariants(&app).await;
        assert_eq!(paid.len(), invoices, "after {step}, every invoice is paid once");
        week += chrono::Duration::days(7);
    }
    assert_eq!(advices_of(&app, alice).await.len(), STEPS.len(), "one advice per payment");
}

#[tokio::test]
async fn bank_returns_settle_or_reject_transfers_once_and_a_bad_file_changes_nothing() {
    let app = TestApp::spawn().await;
    let (nord, alice) = payee(&app, app.company_nord().await, "alice@interim-nord.fr", Some(NORD_IBAN)).await;
    let (btp, bea) = payee(&app, app.company_btp().await, "bea@btp-emploi.fr", Some(BTP_IBAN)).await;
    let approved = paris(2026, 1, 5, 10);
    let nord_invoice = approved_invoice(&app.ctx, (nord.id, nord.head_office), alice, 10_000, None, approved).await;
    approved_invoice(&app.ctx, (btp.id, btp.head_office), bea, 20_000, None, approved).await;
    let run = payments::run_due(&app.ctx, paris(2026, 1, 6, 8), &Hooks::none()).await.unwrap().run.unwrap();
    let sent = store::payment::payments_of(&app.ctx.db, run.id).await.unwrap();
    let (to_nord, to_btp) = if sent[0].company_id == nord.id { (&sent[0], &sent[1]) } else { (&sent[1], &sent[0]) };

    // Only platform admins import returns.
    let mut manager = app.signed_in("gestion@opco.fr", Role::CaseManager).await;
    let csv = format!(
        "reference;montant;statut;motif\n{};120,00;payé;\n{};240,00;rejeté;AC04 compte clôturé\n",
        to_nord.end_to_end_id, to_btp.end_to_end_id
    );
    let forbidden =
        manager.multipart("/gestion/paiements/retours", &[], &[("returns", "retours.csv", csv.as_bytes())]).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    let mut admin = app.signed_in("admin@opco.fr", Role::PlatformAdmin).await;

    // A file with a wrong amount and an unknown reference is refused line by line; nothing moves.
    let bad = format!(
        "reference;montant;statut;motif\n{};120,01;payé;\nEF-INCONNU-000001;10,00;payé;\n",
        to_nord.end_to_end_id
    );
    let refused =
        admin.multipart("/gestion/paiements/retours", &[], &[("returns", "retours.csv", bad.as_bytes())]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("ligne 2") && refused.body.contains("écart"), "{}", refused.body);
    assert!(refused.body.contains("ligne 3") && refused.body.contains("EF-INCONNU-000001"), "{}", refused.body);
    let unchanged = store::payment::payments_of(&app.ctx.db, run.id).await.unwrap();
    assert!(unchanged.iter().all(|p| p.status == store::payment::status::SENT));

    // The right file: Nord settled, BTP rejected; its invoice is payable again and BTP is told.
    let done = admin.multipart("/gestion/paiements/retours", &[], &[("returns", "retours.csv", csv.as_bytes())]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("1 virement(s) confirmé(s), 1 rejeté(s)"), "{}", done.body);
    let after: HashMap<i64, store::payment::Payment> =
        store::payment::payments_of(&app.ctx.db, run.id).await.unwrap().into_iter().map(|p| (p.id, p)).collect();
    assert_eq!(after[&to_nord.id].status, store::payment::status::SETTLED);
    assert_eq!(after[&to_btp.id].status, store::payment::status::REJECTED);
    assert!(after[&to_btp.id].status_reason.as_deref().unwrap().contains("AC04"));
    let (bells, _) = store::notification::list(&app.ctx.db, bea, 1, 100).await.unwrap();
    assert!(bells.iter().any(|n| n.kind == "payment.rejected"), "{bells:?}");
    let page = admin.get("/gestion/paiements").await;
    assert!(page.body.contains(&to_btp.end_to_end_id), "a task for staff: {}", page.body);

    // The same file again: nothing changes.
    let twice = admin.multipart("/gestion/paiements/retours", &[], &[("returns", "retours.csv", csv.as_bytes())]).await;
    assert!(twice.body.contains("déjà été importé"), "{}", twice.body);

    // The next run pays BTP again, once; Nord's settled invoice is not paid twice.
    let next = payments::run_due(&app.ctx, paris(2026, 1, 9, 8), &Hooks::none()).await.unwrap().run.unwrap();
    let repaid = store::payment::payments_of(&app.ctx.db, next.id).await.unwrap();
    assert_eq!(repaid.len(), 1);
    assert_eq!(repaid[0].company_id, btp.id);
    let paid = check_invariants(&app).await;
    assert_eq!(paid[&nord_invoice], 1);
    assert_eq!(paid.len(), 2);
}

#[tokio::test]
async fn a_platform_admin_starts_a_manual_run_that_the_worker_performs_once() {
    let app = TestApp::spawn().await;
    let (nord, alice) = payee(&app, app.company_nord().await, "alice@interim-nord.fr", Some(NORD_IBAN)).await;
    approved_invoice(&app.ctx, (nord.id, nord.head_office), alice, 10_000, None, app.ctx.clock.now()).await;
    let mut manager = app.signed_in("gestion@opco.fr", Role::CaseManager).await;
    assert_eq!(manager.post("/gestion/paiements/lancer", &[]).await.status, StatusCode::FORBIDDEN);
    let page = manager.get("/gestion/paiements").await;
    assert!(!page.body.contains("Lancer un paiement"), "only platform admins see the button");

    app.advance(chrono::Duration::minutes(1));
    let mut admin = app.signed_in("admin@opco.fr", Role::PlatformAdmin).await;
    let started = admin.post("/gestion/paiements/lancer", &[]).await;
    assert_eq!(started.location(), "/gestion/paiements?notice=lance");
    let twice = admin.post("/gestion/paiements/lancer", &[]).await;
    assert_eq!(twice.location(), "/gestion/paiements?notice=deja", "a double click makes one run");
    app.run_jobs().await;
    let runs = store::payment::runs(&app.ctx.db, 10).await.unwrap();
    let manual: Vec<_> = runs.iter().filter(|r| r.kind == "manual").collect();
    assert_eq!(manual.len(), 1);
    assert_eq!(manual[0].payment_count, 1);
    let page = admin.get(&format!("/gestion/paiements/{}", manual[0].id)).await;
    assert!(page.body.contains("Intérim Nord") && page.body.contains("120,00"), "{}", page.body);
    assert!(app.audit_actions().await.contains(&"payment.run_requested".to_owned()));
    check_invariants(&app).await;
}

#[tokio::test]
async fn with_nothing_to_pay_a_run_says_so_and_no_empty_run_is_made_manual_or_scheduled() {
    let app = TestApp::spawn().await;
    let (nord, alice) = payee(&app, app.company_nord().await, "alice@interim-nord.fr", Some(NORD_IBAN)).await;
    let mut admin = app.signed_in("admin@opco.fr", Role::PlatformAdmin).await;

    // Nothing approved: the manual run says so at once and nothing is queued (issue 11 point 8).
    let started = admin.post("/gestion/paiements/lancer", &[]).await;
    assert_eq!(started.location(), "/gestion/paiements?notice=rien");
    let page = admin.get(started.location()).await;
    assert!(
        page.body.contains("Rien à payer : aucune facture approuvée n’est en attente de paiement."),
        "{}",
        page.body
    );
    app.run_jobs().await;
    assert!(store::payment::runs(&app.ctx.db, 10).await.unwrap().is_empty(), "no empty run");

    // A scheduled slot with nothing to pay is done with nothing: no run, so no SEPA file to offer.
    let report = payments::run_due(&app.ctx, paris(2026, 1, 6, 8), &Hooks::none()).await.unwrap();
    assert_eq!(report.outcome, Outcome::Nothing);
    assert!(report.run.is_none() && report.summary().starts_with("Rien à payer"), "{}", report.summary());
    assert!(store::payment::runs(&app.ctx.db, 10).await.unwrap().is_empty(), "no empty run");

    // A manual run asked while an invoice awaited, and paid by another run before the worker got
    // to it: the worker finds nothing left and makes no empty run either.
    approved_invoice(&app.ctx, (nord.id, nord.head_office), alice, 10_000, None, app.ctx.clock.now()).await;
    app.advance(chrono::Duration::minutes(1));
    let started = admin.post("/gestion/paiements/lancer", &[]).await;
    assert_eq!(started.location(), "/gestion/paiements?notice=lance");
    app.advance(chrono::Duration::minutes(1));
    let other = payments::perform(&app.ctx, payments::manual(app.ctx.clock.now(), None), &Hooks::none()).await.unwrap();
    assert_eq!(other.outcome, Outcome::Performed { resumed: false });
    app.run_jobs().await;
    let runs = store::payment::runs(&app.ctx.db, 10).await.unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].payment_count, 1);
    check_invariants(&app).await;
}

#[tokio::test]
async fn an_interrupted_run_is_finished_first_by_the_next_run_at_once() {
    let app = TestApp::spawn().await;
    let (nord, alice) = payee(&app, app.company_nord().await, "alice@interim-nord.fr", Some(NORD_IBAN)).await;
    approved_invoice(&app.ctx, (nord.id, nord.head_office), alice, 10_000, None, paris(2026, 1, 5, 10)).await;
    let stop = |s: &str| s == "held";
    let hooks = Hooks { progress: &|_, _| {}, stop: &stop };
    payments::run_due(&app.ctx, paris(2026, 1, 6, 8), &hooks).await.unwrap_err();
    // Nobody holds the right to prepare runs any more: the next run (here a manual one, a
    // minute later) finishes the interrupted one first, then finds nothing left to pay.
    app.advance(chrono::Duration::minutes(1));
    let report =
        payments::perform(&app.ctx, payments::manual(app.ctx.clock.now(), None), &Hooks::none()).await.unwrap();
    let first = store::payment::by_key(&app.ctx.db, "2026-01-06T06:00").await.unwrap().unwrap();
    assert_eq!((first.status.as_str(), first.payment_count), ("frozen", 1));
    assert_eq!(report.outcome, Outcome::Nothing, "{}", report.summary());
    check_invariants(&app).await;
}

#[tokio::test]
async fn runs_started_at_once_in_one_process_make_one_run_and_the_others_say_so() {
    let app = TestApp::spawn().await;
    let (nord, alice) = payee(&app, app.company_nord().await, "alice@interim-nord.fr", Some(NORD_IBAN)).await;
    let (btp, bea) = payee(&app, app.company_btp().await, "bea@btp-emploi.fr", Some(BTP_IBAN)).await;
    for n in 0..20 {
        let (company, user) = if n % 2 == 0 { (&nord, alice) } else { (&btp, bea) };
        approved_invoice(&app.ctx, (company.id, company.head_office), user, 10_000 + n, None, paris(2026, 1, 5, 10))
            .await;
    }
    let at = paris(2026, 1, 6, 8);
    let runs = (0..6).map(|_| {
        let ctx = app.ctx.clone();
        tokio::spawn(async move { payments::run_due(&ctx, at, &Hooks::none()).await })
    });
    let mut outcomes = Vec::new();
    for run in runs.collect::<Vec<_>>() {
        outcomes.push(run.await.unwrap().expect("no run fails").outcome);
    }
    let performed = outcomes.iter().filter(|o| **o == Outcome::Performed { resumed: false }).count();
    assert_eq!(performed, 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Outcome::Performed { resumed: false } | Outcome::InProgress | Outcome::AlreadyDone)),
        "{outcomes:?}"
    );
    let paid = check_invariants(&app).await;
    assert_eq!(paid.len(), 20);
}

/// Several processes (a CLI run launched twice by cron, beside a portal's worker) on the same
/// database: one prepares the slot, the others say so in French and exit 0; nothing is resumed.
#[tokio::test]
async fn runs_started_at_once_by_several_processes_make_one_run_and_all_exit_cleanly() {
    let app = TestApp::spawn().await;
    let (nord, alice) = payee(&app, app.company_nord().await, "alice@interim-nord.fr", Some(NORD_IBAN)).await;
    let (btp, bea) = payee(&app, app.company_btp().await, "bea@btp-emploi.fr", Some(BTP_IBAN)).await;
    for n in 0..40 {
        let (company, user) = if n % 2 == 0 { (&nord, alice) } else { (&btp, bea) };
        approved_invoice(&app.ctx, (company.id, company.head_office), user, 10_000 + n, None, paris(2026, 1, 5, 10))
            .await;
    }
    let at = paris(2026, 1, 6, 8).to_rfc3339();
    let children: Vec<_> = (0..4)
        .map(|_| {
            let mut command = crate::support::binary(&app, &[]);
            command.args(["payments", "run", "--at", &at]);
            command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
            command.spawn().unwrap()
        })
        .collect();
    let mut summaries = Vec::new();
    for child in children {
        let output = child.wait_with_output().unwrap();
        let (out, err) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert!(output.status.success(), "{out}\n{err}");
        assert!(!out.contains("reprise") && !err.contains("ERROR"), "{out}\n{err}");
        summaries.push(out.trim().to_owned());
    }
    let performed = summaries.iter().filter(|s| s.contains("2 virement(s)") && !s.starts_with("Déjà")).count();
    assert_eq!(performed, 1, "{summaries:#?}");
    assert!(
        summaries.iter().all(|s| s.contains("2 virement(s)") || s.as_str() == payments::IN_PROGRESS),
        "{summaries:#?}"
    );
    assert_eq!(check_invariants(&app).await.len(), 40);
}

/// What the model-based test does next.
#[derive(Debug, Clone)]
enum Op {
    /// An invoice of company 0 (with a bank account) or 1 (without) is approved.
    Approve { company: usize, net: i64 },
    /// The next slot's run.
    Run,
    /// The next slot's run, interrupted at a step.
    Crash { step: usize },
    /// The interrupted run, if any, is started again.
    Restart,
    /// The bank returns the oldest transfer not yet returned.
    Reject,
    /// The bank confirms the oldest transfer not yet confirmed.
    Settle,
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        4 => (0usize..2, 1i64..500_000).prop_map(|(company, net)| Op::Approve { company, net }),
        2 => Just(Op::Run),
        2 => (0..STEPS.len()).prop_map(|step| Op::Crash { step }),
        1 => Just(Op::Restart),
        1 => Just(Op::Reject),
        1 => Just(Op::Settle),
    ]
}

async fn bank_says(app: &TestApp, outcome: &str) {
    let Some(payment) =
        all_payments(app).await.into_iter().map(|(p, _)| p).find(|p| p.status == store::payment::status::SENT)
    else {
        return;
    };
    let euros = domain::Money::from_cents(payment.amount_cents).input_value();
    let csv = format!("reference;montant;statut;motif\n{};{euros};{outcome};AC04\n", payment.end_to_end_id);
    web::pages::payments::apply_returns(&app.ctx.db, csv.as_bytes(), "retours.csv", None, app.ctx.clock.now())
        .await
        .unwrap();
}

async fn machine(ops: Vec<Op>) {
    let app = TestApp::spawn().await;
    let (nord, alice) = payee(&app, app.company_nord().await, "alice@interim-nord.fr", Some(NORD_IBAN)).await;
    let (btp, bea) = payee(&app, app.company_btp().await, "bea@btp-emploi.fr", None).await;
    let mut now = paris(2026, 1, 5, 10);
    let mut approved: Vec<(i64, usize, i64)> = Vec::new();
    let next_slot = |now: &mut chrono::DateTime<Utc>| {
        *now += chrono::Duration::hours(84);
        app.clock.set(*now);
    };
    let restart = async |app: &TestApp| {
        if let Some(run) = store::payment::preparing(&app.ctx.db).await.unwrap() {
            payments::perform(&app.ctx, payments::resuming(&run), &Hooks::none()).await.unwrap();
        }
    };
    for op in ops.into_iter().chain([Op::Restart, Op::Run]) {
        match op {
            Op::Approve { company, net } => {
                let (c, user) = if company == 0 { (&nord, alice) } else { (&btp, bea) };
                let id = approved_invoice(&app.ctx, (c.id, c.head_office), user, net, None, now).await;
                approved.push((id, company, net));
            }
            Op::Run => {
                next_slot(&mut now);
                let report = payments::run_due(&app.ctx, now, &Hooks::none()).await.unwrap();
                assert!(matches!(report.outcome, Outcome::Performed { .. } | Outcome::Nothing), "{}", report.summary());
            }
            Op::Crash { step } => {
                next_slot(&mut now);
                let stop = move |s: &str| s == STEPS[step];
                let _ = payments::run_due(&app.ctx, now, &Hooks { progress: &|_, _| {}, stop: &stop }).await;
            }
            Op::Restart => restart(&app).await,
            Op::Reject => bank_says(&app, "rejeté").await,
            Op::Settle => bank_says(&app, "payé").await,
        }
        check_invariants(&app).await;
    }
    // In the end, after a clean run: every invoice of the company with an account is paid once,
    // the others are held, and the money sent is exactly what was owed.
    let paid = check_invariants(&app).await;
    for (id, company, _) in &approved {
        assert_eq!(paid.get(id).copied().unwrap_or(0), usize::from(*company == 0), "invoice {id}");
    }
    let sent: i64 = all_payments(&app)
        .await
        .iter()
        .filter(|(p, _)| p.status != store::payment::status::REJECTED)
        .map(|(p, _)| p.amount_cents)
        .sum();
    let owed: i64 = approved
        .iter()
        .filter(|(_, company, _)| *company == 0)
        .map(|(_, _, net)| domain::proforma::amounts(&[domain::Money::from_cents(*net)], true).gross.cents())
        .sum();
    assert_eq!(sent, owed);
    let unpaid = store::payment::unpaid_for_company(&app.ctx.db, btp.id).await.unwrap();
    assert!(unpaid.iter().all(|(_, held)| held.is_some()), "held with a reason: {unpaid:?}");
}

#[test]
fn random_approvals_runs_crashes_restarts_and_bank_returns_never_pay_an_invoice_twice() {
    use proptest::test_runner::{Config, TestRunner};
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let cases = if std::env::var(crate::support::POSTGRES_ENV).is_ok() { 8 } else { 16 };
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    runner
        .run(&proptest::collection::vec(op(), 1..16), |ops| {
            runtime.block_on(machine(ops));
            Ok(())
        })
        .unwrap();
}

/// The process's resident memory now and at its peak, in MiB (Linux).
fn memory_mib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// A SIREN (Luhn key) made of an 8-digit prefix.
fn siren_from(prefix: u32) -> domain::Siren {
    (0..10).find_map(|key| domain::Siren::parse(&format!("{prefix:08}{key}")).ok()).unwrap()
}

/// Benchmark of issue 6: a run over 100 000 approved invoices of 1 000 companies (time and
/// memory). By hand, in release mode (`scripts/bench-payments.sh`):
/// `cargo test --release -p espace-app --test it -- --ignored --nocapture benchmark_a_run`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark, run by hand in release mode"]
async fn benchmark_a_run_over_100_000_approved_invoices() {
    let invoices: i64 = std::env::var("BENCH_INVOICES").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let companies: i64 = 1_000;
    let app = TestApp::spawn().await;
    let (nord, alice) = payee(&app, app.company_nord().await, "alice@interim-nord.fr", Some(NORD_IBAN)).await;
    let iban = domain::Iban::parse(NORD_IBAN).unwrap();
    let now = app.ctx.clock.now();
    let mut last = nord.id;
    for i in 1..companies {
        let input = store::company::CompanyInput {
            siren: siren_from(30_000_000 + u32::try_from(i).unwrap() * 7),
            name: format!("Entreprise {i}"),
            address: store::company::Address {
                street: "1 rue du Port".into(),
                complement: None,
                postal_code: "59000".into(),
                city: "Lille".into(),
            },
            vat_subject: true,
            headcount: Some(20),
            branch: None,
            region: None,
        };
        let company = store::company::create(&app.ctx.db, input, now).await.unwrap();
        assert_eq!(company.id, last + 1, "contiguous ids");
        last = company.id;
        store::company::replace_bank_account(&app.ctx.db, company.id, &iban, &company.name, alice, now).await.unwrap();
    }
    let template = approved_invoice(&app.ctx, (nord.id, nord.head_office), alice, 1_000, None, now).await;
    let sql = format!(
        "INSERT INTO invoice (proforma_id, company_id, number, syntax, buyer_name, seller_siren, net_cents, vat_cents, \
         gross_cents, iban, document_id, rib_document_id, status, reason, version, uploaded_by, uploaded_at, decided_by, \
         decided_at) \
         WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < {count}) \
         SELECT t.proforma_id, {first} + (n.x % {companies}), 'BENCH-' || n.x, t.syntax, t.buyer_name, t.seller_siren, \
         t.net_cents + n.x, t.vat_cents, t.gross_cents + n.x, t.iban, t.document_id, t.rib_document_id, t.status, \
         t.reason, t.version, t.uploaded_by, t.uploaded_at, t.decided_by, t.decided_at \
         FROM n CROSS JOIN invoice t WHERE t.id = {template}",
        count = invoices - 1,
        first = nord.id,
    );
    use sea_orm::ConnectionTrait as _;
    app.ctx.db.execute_unprepared(&sql).await.unwrap();
    let (rss_before, _) = memory_mib();
    let started = std::time::Instant::now();
    let report = payments::run_due(&app.ctx, paris(2026, 1, 6, 8), &Hooks::none()).await.unwrap();
    let run_time = started.elapsed();
    let (rss_after, peak) = memory_mib();
    assert_eq!(report.run.as_ref().unwrap().payment_count, companies, "{}", report.summary());
    let items = store::payment::items_of(
        &app.ctx.db,
        &store::payment::payments_of(&app.ctx.db, report.run.as_ref().unwrap().id)
            .await
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect::<Vec<_>>(),
    )
    .await
    .unwrap();
    assert_eq!(items.values().map(Vec::len).sum::<usize>(), usize::try_from(invoices).unwrap());
    let started = std::time::Instant::now();
    let out = app._dir.path().join("bench.xml");
    let size = payments::export(&app.ctx, report.run.as_ref().unwrap().id, &out).await.unwrap();
    let export_time = started.elapsed();
    xmllint_validates(&std::fs::read(&out).unwrap());
    let again = std::time::Instant::now();
    assert_eq!(
        payments::run_due(&app.ctx, paris(2026, 1, 6, 9), &Hooks::none()).await.unwrap().outcome,
        Outcome::AlreadyDone
    );
    eprintln!(
        "BENCH backend={} invoices={invoices} companies={companies} run={:.2}s export={:.2}s ({size} bytes) rerun={:.2}s rss_before={rss_before}MiB rss_after={rss_after}MiB peak={peak}MiB | {}",
        store::db::backend_name(&app.ctx.db),
        run_time.as_secs_f64(),
        export_time.as_secs_f64(),
        again.elapsed().as_secs_f64(),
        report.summary()
    );
}

const PROVIDER_IBAN: &str = "FR7630004000031234567890143";

fn subrogated_dossier<'a>(establishment: &'a str, iban: &'a str, holder: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("establishment", establishment),
        ("scheme", "PDC50"),
        ("public", "temporary"),
        ("title", "Conduite de chariots élévateurs (CACES R489)"),
        ("provider_name", "Institut Formation Nord"),
        ("provider_siret", "55210055400013"),
        ("provider_nda", "31590000059"),
        ("subrogation", "on"),
        ("provider_iban", iban),
        ("provider_holder", holder),
        ("training_start", "2026-02-02"),
        ("training_end", "2026-02-06"),
        ("hours", "35"),
        ("cost", "2 400,00"),
        ("requested", "2 400,00"),
        ("trainees", "Léa Moreau"),
        ("action", "draft"),
    ]
}

#[tokio::test]
async fn a_dossier_asking_for_subrogation_has_its_training_provider_paid_directly() {
    let app = TestApp::spawn().await;
    // No bank account for the company: the provider is paid all the same.
    let (nord, alice) = payee(&app, app.company_nord().await, "alice@interim-nord.fr", None).await;
    let mut client = app.client();
    client.login("alice@interim-nord.fr", crate::support::PASSWORD).await;
    let new = format!("/entreprises/{}/dossiers/nouveau", nord.id);
    let head = nord.head_office.to_string();

    let bad = client.post(&new, &subrogated_dossier(&head, "FR76 3000 4000 0312 3456 7890 144", "")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!bad.texts("#provider_iban-error").is_empty(), "{}", bad.body);
    assert!(bad.texts("#provider_holder-error")[0].contains("titulaire"), "{}", bad.body);
    let saved = client
        .post(&new, &subrogated_dossier(&head, "fr76 3000 4000 0312 3456 7890 143", "INSTITUT FORMATION NORD"))
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = client.get(saved.location()).await;
    assert!(page.body.contains("directement à l’organisme de formation (subrogation)"), "{}", page.body);

    // The run pays the provider, on the company's behalf, with the company told by the bell.
    let invoice =
        approved_invoice(&app.ctx, (nord.id, nord.head_office), alice, 200_000, None, paris(2026, 1, 5, 10)).await;
    use sea_orm::ConnectionTrait as _;
    app.ctx
        .db
        .execute_unprepared(&format!(
            "UPDATE dossier SET subrogation_iban = '{PROVIDER_IBAN}', subrogation_holder = 'INSTITUT FORMATION NORD' \
             WHERE id IN (SELECT dossier_id FROM proforma_line WHERE proforma_id = (SELECT proforma_id FROM invoice WHERE id = {invoice}))"
        ))
        .await
        .unwrap();
    let report = payments::run_due(&app.ctx, paris(2026, 1, 6, 8), &Hooks::none()).await.unwrap();
    assert_eq!(
        (report.run.as_ref().unwrap().payment_count, report.run.as_ref().unwrap().held_count),
        (1, 0),
        "{}",
        report.summary()
    );
    let paid = store::payment::payments_of(&app.ctx.db, report.run.as_ref().unwrap().id).await.unwrap();
    assert_eq!(
        (paid[0].payee_kind.as_str(), paid[0].payee_name.as_str(), paid[0].payee_iban.as_str()),
        ("provider", "INSTITUT FORMATION NORD", PROVIDER_IBAN)
    );
    assert_eq!(advices_of(&app, alice).await.len(), 1);
    let page = client.get(&format!("/entreprises/{}/paiements", nord.id)).await;
    assert!(page.body.contains("INSTITUT FORMATION NORD") && page.body.contains("subrogation"), "{}", page.body);
}

#[tokio::test]
async fn subrogation_is_refused_for_a_scheme_that_does_not_allow_it() {
    let rules = crate::support::built_in_rules_with(|text| {
        let start = text.find("code = \"PDC50\"").unwrap();
        let at = start + text[start..].find("subrogation = true").unwrap();
        format!("{}subrogation = false{}", &text[..at], &text[at + "subrogation = true".len()..])
    });
    let app = TestApp::spawn_with(|c| c.rules_file = Some(rules.clone())).await;
    let (nord, _) = payee(&app, app.company_nord().await, "alice@interim-nord.fr", None).await;
    let mut client = app.client();
    client.login("alice@interim-nord.fr", crate::support::PASSWORD).await;
    let head = nord.head_office.to_string();
    let refused = client
        .post(
            &format!("/entreprises/{}/dossiers/nouveau", nord.id),
            &subrogated_dossier(&head, PROVIDER_IBAN, "INSTITUT FORMATION NORD"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.texts("#subrogation-error")[0].contains("ne permet pas"), "{}", refused.body);
}
