//! Bank details change slowly (SPEC Q3, issue 11 point 3): a new IBAN waits before it takes
//! effect, the company's administrators and its advisor are told at once, any administrator may
//! cancel it, payment runs meanwhile pay the account in force or hold what would go to the new
//! one, and a new administrator is announced to the others at once.

use chrono::Duration;
use domain::Role;
use domain::habilitation::Domain;
use espace_app::payments::{self, Hooks};
use http::StatusCode;

use crate::support::{PASSWORD, TestApp, TestClient, TestCompany, approved_invoice};

const CURRENT: &str = "FR7630006000011234567890189";
const NEW: &str = "FR7630001007941234567890185";

/// Intérim Nord with two administrators (Claire, who is signed in, and Marc), its advisor, and
/// its current account registered by Claire through the form (the first one, in force at once).
struct Nord {
    company: TestCompany,
    claire: TestClient,
    claire_id: i64,
    marc_id: i64,
    advisor_id: i64,
}

async fn nord(app: &TestApp) -> Nord {
    let company = app.company_nord().await;
    let mut claire = app.signed_in("claire@interim-nord.fr", Role::CompanyUser).await;
    let claire_id = app.user_id("claire@interim-nord.fr").await;
    app.attach(claire_id, company.id, None, true, &Domain::ALL).await;
    app.account("marc@interim-nord.fr", PASSWORD, Role::CompanyUser).await;
    let marc_id = app.user_id("marc@interim-nord.fr").await;
    app.attach(marc_id, company.id, None, true, &[]).await;
    app.account("conseiller@opco.fr", PASSWORD, Role::Advisor).await;
    let advisor_id = app.user_id("conseiller@opco.fr").await;
    store::contact::set(&app.ctx.db, company.id, Some(advisor_id), None, None, advisor_id, app.ctx.clock.now())
        .await
        .unwrap();
    let first = ask(&mut claire, company.id, CURRENT).await;
    assert_eq!(first.location(), format!("/entreprises/{}?notice=banque", company.id), "{}", first.body);
    Nord { company, claire, claire_id, marc_id, advisor_id }
}

/// Asks for `iban` as the company's account, with the password.
async fn ask(client: &mut TestClient, company: i64, iban: &str) -> crate::support::TestResponse {
    client
        .post(
            &format!("/entreprises/{company}/banque"),
            &[("iban", iban), ("holder_name", "INTERIM NORD"), ("password", PASSWORD)],
        )
        .await
}

async fn in_force(app: &TestApp, company: i64) -> String {
    let account = store::company::bank_account(&app.ctx.db, company, app.ctx.clock.now()).await.unwrap();
    account.map(|a| a.iban.as_str().to_owned()).unwrap_or_default()
}

async fn bells(app: &TestApp, user: i64, kind: &str) -> Vec<store::notification::Notification> {
    let (list, _) = store::notification::list(&app.ctx.db, user, 1, 100).await.unwrap();
    list.into_iter().filter(|n| n.kind == kind).collect()
}

async fn pending_id(app: &TestApp, company: i64) -> i64 {
    let standing = store::company::bank_standing(&app.ctx.db, company, app.ctx.clock.now()).await.unwrap();
    standing.pending.expect("a change waits").id
}

/// Monday 5 January 2026 09:00 in Paris, plus 72 hours.
const TAKES_EFFECT: &str = "08/01/2026 à 09:00";

#[tokio::test]
async fn a_new_iban_takes_effect_after_72_hours_and_every_administrator_and_the_advisor_are_told_at_once() {
    let app = TestApp::spawn().await;
    let mut n = nord(&app).await;
    let id = n.company.id;
    assert_eq!(in_force(&app, id).await, CURRENT, "a first account with nothing to pay is in force at once");

    let asked = ask(&mut n.claire, id, NEW).await;
    assert_eq!(asked.location(), format!("/entreprises/{id}?notice=banque-en-attente"), "{}", asked.body);
    assert_eq!(in_force(&app, id).await, CURRENT, "not in one step");

    // The company page shows both accounts, masked, and the date the new one takes effect.
    let page = n.claire.get(&format!("/entreprises/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.texts("#coordonnees-bancaires ~ dl, #changement-en-attente").join(" ");
    assert!(text.contains("•••0 189"), "current, masked: {text}");
    assert!(text.contains("•••0 185"), "pending, masked: {text}");
    assert!(text.contains(TAKES_EFFECT), "{text}");
    assert!(!page.body.contains(NEW) && !page.body.contains("30001007941234567890185"), "never in full");
    let bank_page = n.claire.get(&format!("/entreprises/{id}/banque")).await;
    assert!(bank_page.body.contains(TAKES_EFFECT) && bank_page.body.contains("Annuler ce changement"));

    // Told at once: both administrators and the advisor, by bell and e-mail, with the date and
    // how to cancel.
    for user in [n.claire_id, n.marc_id, n.advisor_id] {
        let rung = bells(&app, user, "company.bank_change_requested").await;
        assert_eq!(rung.len(), 1, "user {user}");
        assert!(rung[0].body.contains(TAKES_EFFECT), "{}", rung[0].body);
    }
    let mails = app.mails().await;
    for to in ["claire@interim-nord.fr", "marc@interim-nord.fr", "conseiller@opco.fr"] {
        let mail = mails
            .iter()
            .find(|m| m.to == to && m.subject.contains("changement demandé"))
            .unwrap_or_else(|| panic!("no e-mail to {to}"));
        assert!(mail.text.contains(TAKES_EFFECT), "{}", mail.text);
        assert!(mail.text.contains("annul"), "how to cancel: {}", mail.text);
        assert!(!mail.text.contains("30001007941234567890185"), "masked in e-mails");
    }
    let marc_mail = mails.iter().find(|m| m.to == "marc@interim-nord.fr" && m.subject.contains("changement")).unwrap();
    assert!(marc_mail.text.contains("Annuler ce changement"), "{}", marc_mail.text);

    // A second before the date the current account is still in force; at the date, the new one.
    app.advance(Duration::hours(72) - Duration::seconds(1));
    app.run_jobs().await;
    assert_eq!(in_force(&app, id).await, CURRENT);
    assert!(!app.audit_actions().await.contains(&"company.bank_account_effective".to_owned()));
    app.advance(Duration::seconds(1));
    assert_eq!(in_force(&app, id).await, NEW, "read at its date, before the worker noted it");
    app.run_jobs().await;
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"company.bank_change_requested".to_owned()), "{actions:?}");
    assert_eq!(actions.iter().filter(|a| *a == "company.bank_account_effective").count(), 1, "{actions:?}");
    n.claire.login("claire@interim-nord.fr", PASSWORD).await;
    let page = n.claire.get(&format!("/entreprises/{id}")).await;
    assert!(page.body.contains("•••0 185") && !page.body.contains("•••0 189"), "{}", page.body);
    assert!(page.texts("#changement-en-attente").is_empty());
}

#[tokio::test]
async fn any_administrator_cancels_a_pending_change_and_nobody_else_can() {
    let app = TestApp::spawn().await;
    let mut n = nord(&app).await;
    let id = n.company.id;
    // Bob, with the invoicing habilitation for the whole company, may ask for a change but is not
    // an administrator.
    let mut bob = app.signed_in("bob@interim-nord.fr", Role::CompanyUser).await;
    let bob_id = app.user_id("bob@interim-nord.fr").await;
    app.attach(bob_id, id, None, false, &[Domain::Invoicing]).await;
    assert_eq!(ask(&mut bob, id, NEW).await.status, StatusCode::SEE_OTHER);
    let change = pending_id(&app, id).await;
    let cancel = format!("/entreprises/{id}/banque/changements/{change}/annuler");

    for (email, role) in [("conseiller2@opco.fr", Role::Advisor), ("admin@opco.fr", Role::PlatformAdmin)] {
        let mut staff = app.signed_in(email, role).await;
        let refused = staff.post(&cancel, &[]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{email}: staff do not act for the company");
    }
    assert_eq!(bob.post(&cancel, &[]).await.status, StatusCode::FORBIDDEN, "not an administrator");
    assert_eq!(pending_id(&app, id).await, change, "still pending");

    let mut marc = app.client();
    marc.login("marc@interim-nord.fr", PASSWORD).await;
    let cancelled = marc.post(&cancel, &[]).await;
    assert_eq!(cancelled.location(), format!("/entreprises/{id}/banque?notice=banque-annulee"), "{}", cancelled.body);
    let standing = store::company::bank_standing(&app.ctx.db, id, app.ctx.clock.now()).await.unwrap();
    assert!(standing.pending.is_none());
    let again = n.claire.post(&cancel, &[]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "nothing left to cancel");
    assert!(again.body.contains("n’est plus en attente"), "{}", again.body);

    // Everybody is told; the change never takes effect.
    for user in [n.claire_id, n.marc_id, n.advisor_id] {
        assert_eq!(bells(&app, user, "company.bank_change_cancelled").await.len(), 1, "user {user}");
    }
    assert!(app.mails().await.iter().any(|m| m.to == "conseiller@opco.fr" && m.subject.contains("changement annulé")));
    assert!(app.audit_actions().await.contains(&"company.bank_change_cancelled".to_owned()));
    app.advance(Duration::days(4));
    app.run_jobs().await;
    assert_eq!(in_force(&app, id).await, CURRENT);
}

/// The reason of the hold of `invoice` in `run`, if held.
async fn hold_reason(app: &TestApp, run: i64, invoice: i64) -> Option<String> {
    store::payment::holds_of(&app.ctx.db, run)
        .await
        .unwrap()
        .into_iter()
        .find(|h| h.invoice_id == invoice)
        .map(|h| h.reason)
}

/// The IBAN `invoice` was paid to in `run`, if paid.
async fn paid_to(app: &TestApp, run: i64, invoice: i64) -> Option<String> {
    let payments = store::payment::payments_of(&app.ctx.db, run).await.unwrap();
    let items =
        store::payment::items_of(&app.ctx.db, &payments.iter().map(|p| p.id).collect::<Vec<_>>()).await.unwrap();
    payments
        .into_iter()
        .find(|p| items.get(&p.id).is_some_and(|its| its.iter().any(|i| i.invoice_id == invoice)))
        .map(|p| p.payee_iban)
}

async fn run_now(app: &TestApp) -> i64 {
    let report =
        payments::perform(&app.ctx, payments::manual(app.ctx.clock.now(), None), &Hooks::none()).await.unwrap();
    report.run.expect("a run: something to pay or hold").id
}

#[tokio::test]
async fn runs_during_the_wait_pay_the_current_account_hold_what_would_go_to_the_new_one_then_pay_it_from_its_date() {
    let app = TestApp::spawn().await;
    let mut n = nord(&app).await;
    let (id, office) = (n.company.id, n.company.head_office);
    let approved_at = app.ctx.clock.now();
    let plain = approved_invoice(&app.ctx, (id, office), n.claire_id, 10_000, None, approved_at).await;
    let to_new = approved_invoice(&app.ctx, (id, office), n.claire_id, 20_000, Some(NEW), approved_at).await;
    app.advance(Duration::minutes(1));
    assert_eq!(ask(&mut n.claire, id, NEW).await.status, StatusCode::SEE_OTHER);
    let effective = store::company::bank_standing(&app.ctx.db, id, app.ctx.clock.now())
        .await
        .unwrap()
        .pending
        .unwrap()
        .effective_at;

    // During the wait: the current account is paid, the invoice naming the new one is held with
    // the reason and the date, shown on the run's page.
    app.advance(Duration::hours(1));
    let run = run_now(&app).await;
    assert_eq!(paid_to(&app, run, plain).await.as_deref(), Some(CURRENT));
    assert_eq!(paid_to(&app, run, to_new).await, None);
    let reason = hold_reason(&app, run, to_new).await.expect("held");
    assert!(reason.contains("coordonnées bancaires en attente jusqu’au 08/01/2026 à 09:01"), "{reason}");
    let mut staff = app.signed_in("finance@opco.fr", Role::PlatformAdmin).await;
    let page = staff.get(&format!("/gestion/paiements/{run}")).await;
    assert!(page.body.contains("coordonnées bancaires en attente jusqu’au 08/01/2026 à 09:01"), "{}", page.body);

    // A minute before the date: still held.
    app.clock.set(effective - Duration::minutes(1));
    let run = run_now(&app).await;
    assert!(hold_reason(&app, run, to_new).await.is_some());
    // Right at the date, before any worker noted the change: the new account is paid.
    app.clock.set(effective);
    let later = approved_invoice(&app.ctx, (id, office), n.claire_id, 5_000, None, effective).await;
    let run = run_now(&app).await;
    assert_eq!(paid_to(&app, run, to_new).await.as_deref(), Some(NEW));
    assert_eq!(paid_to(&app, run, later).await.as_deref(), Some(NEW));
    let actions = app.audit_actions().await;
    assert_eq!(actions.iter().filter(|a| *a == "company.bank_account_effective").count(), 1, "{actions:?}");
}

#[tokio::test]
async fn a_first_iban_waits_when_invoices_wait_for_payment_and_runs_hold_them_meanwhile() {
    let app = TestApp::spawn().await;
    let btp = app.company_btp().await;
    let mut bea = app.signed_in("bea@btp-emploi.fr", Role::CompanyUser).await;
    let bea_id = app.user_id("bea@btp-emploi.fr").await;
    app.attach(bea_id, btp.id, None, true, &Domain::ALL).await;
    let invoice =
        approved_invoice(&app.ctx, (btp.id, btp.head_office), bea_id, 10_000, None, app.ctx.clock.now()).await;
    let asked = ask(&mut bea, btp.id, NEW).await;
    assert_eq!(asked.location(), format!("/entreprises/{}?notice=banque-en-attente", btp.id), "{}", asked.body);
    assert_eq!(in_force(&app, btp.id).await, "", "an invoice could be diverted: the first account waits too");
    let page = bea.get(&format!("/entreprises/{}", btp.id)).await;
    assert!(page.body.contains("Aucun compte en vigueur") && page.body.contains(TAKES_EFFECT), "{}", page.body);

    app.advance(Duration::hours(1));
    let run = run_now(&app).await;
    let reason = hold_reason(&app, run, invoice).await.expect("held");
    assert!(reason.contains(&format!("en attente jusqu’au {TAKES_EFFECT}")), "{reason}");
    let page = bea.get(&format!("/entreprises/{}/paiements", btp.id)).await;
    assert!(page.body.contains("coordonnées bancaires en attente"), "the company sees why: {}", page.body);

    app.advance(Duration::hours(72));
    let run = run_now(&app).await;
    assert_eq!(paid_to(&app, run, invoice).await.as_deref(), Some(NEW));
}

#[tokio::test]
async fn making_someone_administrator_tells_the_existing_administrators_at_once() {
    let app = TestApp::spawn().await;
    let n = nord(&app).await;
    let id = n.company.id;
    let mut advisor = app.client();
    advisor.login("conseiller@opco.fr", PASSWORD).await;
    let attached = advisor
        .post(
            &format!("/gestion/entreprises/{id}/utilisateurs"),
            &[("email", "intrus@exemple.fr"), ("given_name", "Igor"), ("family_name", "Trus"), ("admin", "on")],
        )
        .await;
    assert_eq!(attached.status, StatusCode::SEE_OTHER, "{}", attached.body);
    for (user, to) in [(n.claire_id, "claire@interim-nord.fr"), (n.marc_id, "marc@interim-nord.fr")] {
        let rung = bells(&app, user, "company.admin_added").await;
        assert_eq!(rung.len(), 1, "{to}");
        assert!(
            rung[0].body.contains("intrus@exemple.fr") && rung[0].body.contains("Marie Durand"),
            "{}",
            rung[0].body
        );
        let mail = app.last_mail_to(to).await;
        assert!(mail.subject.contains("Nouvel administrateur"), "{}", mail.subject);
        assert!(
            mail.text.contains("Igor Trus") && mail.text.contains("conseiller de l’opérateur"),
            "who and by whom: {}",
            mail.text
        );
    }

    // An administrator making a colleague administrator: the others are told, not the one acting.
    app.account("lucie@interim-nord.fr", PASSWORD, Role::CompanyUser).await;
    let lucie = app.user_id("lucie@interim-nord.fr").await;
    let attachment = app.attach(lucie, id, None, false, &[Domain::Training]).await;
    let mut claire = n.claire;
    let made =
        claire.post(&format!("/entreprises/{id}/utilisateurs/{attachment}/administrateur"), &[("admin", "oui")]).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let intrus = app.user_id("intrus@exemple.fr").await;
    for user in [n.marc_id, intrus] {
        let rung = bells(&app, user, "company.admin_added").await;
        assert!(rung.iter().any(|r| r.body.contains("lucie@interim-nord.fr")), "user {user}: {rung:?}");
    }
    assert_eq!(bells(&app, n.claire_id, "company.admin_added").await.len(), 1, "not told of her own act");

    // The first administrator of a company without any: nobody to tell, nothing fails.
    let btp = app.company_btp().await;
    let first = advisor
        .post(
            &format!("/gestion/entreprises/{}/utilisateurs", btp.id),
            &[("email", "bea@btp-emploi.fr"), ("given_name", "Béa"), ("family_name", "Lyon"), ("admin", "on")],
        )
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
}
