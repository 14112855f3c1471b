//! Statuses follow the money (issue 11 point 5, SPEC P3–P4): once the run that pays an invoice
//! is frozen, the invoice, its DR and their dossier say « payée » / « payé » on the company's
//! and the staff's pages, with the remittance advice linked; when the bank returns the transfer
//! they go back to approved / validated with the bank's reason, and the next run pays again.

use chrono::{TimeZone as _, Utc};
use domain::Role;
use domain::habilitation::Domain;
use espace_app::payments::{self, Hooks};
use http::StatusCode;

use crate::support::{TestApp, TestClient, approved_invoice};

const NORD_IBAN: &str = "FR7630006000011234567890189";

fn paris(y: i32, m: u32, d: u32, h: u32) -> chrono::DateTime<Utc> {
    chrono_tz::Europe::Paris.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap().with_timezone(&Utc)
}

/// The ids behind an approved invoice: (proforma, DR, dossier) and their numbers (DR, dossier).
struct Chain {
    invoice: i64,
    proforma: i64,
    dr: i64,
    dossier: i64,
    dr_number: String,
    dossier_number: String,
}

async fn chain(app: &TestApp, invoice: i64) -> Chain {
    let staff = domain::scope::Scope::Staff { user_id: 0, role: Role::PlatformAdmin };
    let proforma = store::invoice::get(&app.ctx.db, &staff, invoice).await.unwrap().unwrap().proforma_id;
    let line = store::proforma::lines(&app.ctx.db, proforma).await.unwrap().remove(0);
    Chain {
        invoice,
        proforma,
        dr: line.reimbursement.id,
        dossier: line.dossier.id,
        dr_number: line.reimbursement.number,
        dossier_number: line.dossier.number,
    }
}

/// What each page says of the chain, company side then staff side.
async fn statuses(company: &mut TestClient, staff: &mut TestClient, company_id: i64, c: &Chain) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for path in [
        format!("/entreprises/{company_id}/factures/{}", c.proforma),
        format!("/entreprises/{company_id}/factures"),
        format!("/entreprises/{company_id}/remboursements/{}", c.dr),
        format!("/entreprises/{company_id}/dossiers/{}", c.dossier),
        format!("/entreprises/{company_id}/dossiers"),
    ] {
        let page = company.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        out.push(page.texts(".badge"));
    }
    for path in [
        format!("/gestion/factures/{}", c.invoice),
        format!("/gestion/remboursements/{}", c.dr),
        format!("/gestion/dossiers/{}", c.dossier),
    ] {
        let page = staff.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        out.push(page.texts(".badge"));
    }
    out
}

/// Whether the staff queue filtered on `statut` lists `needle`.
async fn queue_lists(staff: &mut TestClient, queue: &str, statut: &str, needle: &str) -> bool {
    let page = staff.get(&format!("/gestion/{queue}?statut={statut}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.body.contains(needle)
}

#[tokio::test]
async fn a_transfer_issued_makes_invoice_dr_and_dossier_paid_and_a_bank_return_takes_it_back() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    app.account("alice@interim-nord.fr", crate::support::PASSWORD, Role::CompanyUser).await;
    let alice = app.user_id("alice@interim-nord.fr").await;
    app.attach(alice, nord.id, None, true, &Domain::ALL).await;
    let iban = domain::Iban::parse(NORD_IBAN).unwrap();
    store::company::replace_bank_account(&app.ctx.db, nord.id, &iban, nord.name, alice, app.ctx.clock.now())
        .await
        .unwrap();
    let invoice =
        approved_invoice(&app.ctx, (nord.id, nord.head_office), alice, 10_000, None, paris(2026, 1, 5, 10)).await;
    let c = chain(&app, invoice).await;
    let mut company = app.client();
    company.login("alice@interim-nord.fr", crate::support::PASSWORD).await;
    let mut staff = app.signed_in("gestion@opco.fr", Role::CaseManager).await;

    // Approved, not paid yet.
    let before = statuses(&mut company, &mut staff, nord.id, &c).await;
    assert!(before[0].contains(&"approuvée, à payer".to_owned()), "{before:?}");
    assert!(before.iter().flatten().all(|b| !b.starts_with("payé")), "{before:?}");
    assert!(queue_lists(&mut staff, "factures", "approved", &c.proforma_number(&app).await).await);

    // The run issues the transfer: everything says paid, the advice is linked from the invoice.
    let run = payments::run_due(&app.ctx, paris(2026, 1, 6, 8), &Hooks::none()).await.unwrap();
    assert!(matches!(run.outcome, payments::Outcome::Performed { .. }), "{}", run.summary());
    let payment = store::payment::payments_of(&app.ctx.db, run.run.as_ref().unwrap().id).await.unwrap().remove(0);
    let paid = statuses(&mut company, &mut staff, nord.id, &c).await;
    let expected = ["payée", "payée", "payée", "payé", "payé", "payée", "payée", "payé"];
    for (page, word) in paid.iter().zip(expected) {
        assert!(page.contains(&word.to_owned()), "expected « {word} »: {paid:?}");
    }
    assert!(paid[3].contains(&"payée".to_owned()), "the dossier's DR line says paid too: {paid:?}");
    let advice = format!("/entreprises/{}/paiements/{}", nord.id, payment.id);
    let page = company.get(&format!("/entreprises/{}/factures/{}", nord.id, c.proforma)).await;
    assert!(page.body.contains(&format!("href=\"{advice}\"")), "advice linked: {}", page.body);
    assert!(page.body.contains("virement émis pour le 06/01/2026"), "{}", page.body);
    let page = company.get(&format!("/entreprises/{}/remboursements/{}", nord.id, c.dr)).await;
    assert!(page.body.contains(&format!("href=\"{advice}\"")), "{}", page.body);
    assert_eq!(company.get(&advice).await.status, StatusCode::OK);
    let page = staff.get(&format!("/gestion/factures/{}", c.invoice)).await;
    assert!(page.body.contains(&format!("href=\"{advice}\"")), "{}", page.body);
    // The staff's queues filter on what the money says.
    let proforma_number = c.proforma_number(&app).await;
    assert!(queue_lists(&mut staff, "factures", "paid", &proforma_number).await);
    assert!(!queue_lists(&mut staff, "factures", "approved", &proforma_number).await);
    assert!(queue_lists(&mut staff, "remboursements", "paid", &c.dr_number).await);
    assert!(!queue_lists(&mut staff, "remboursements", "validated", &c.dr_number).await);
    assert!(queue_lists(&mut staff, "dossiers", "paid", &c.dossier_number).await);
    assert!(!queue_lists(&mut staff, "dossiers", "accepted", &c.dossier_number).await);

    // The bank returns the transfer: back to approved / validated, with the bank's reason.
    let mut admin = app.signed_in("admin@opco.fr", Role::PlatformAdmin).await;
    let csv = format!("reference;montant;statut;motif\n{};120,00;rejeté;AC04 compte clôturé\n", payment.end_to_end_id);
    let done = admin.multipart("/gestion/paiements/retours", &[], &[("returns", "retours.csv", csv.as_bytes())]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let returned = statuses(&mut company, &mut staff, nord.id, &c).await;
    assert!(returned.iter().flatten().all(|b| !b.starts_with("payé")), "{returned:?}");
    assert!(returned[0].contains(&"approuvée, à payer".to_owned()), "{returned:?}");
    assert!(returned[2].contains(&"validée".to_owned()), "{returned:?}");
    assert!(returned[3].contains(&"accepté".to_owned()), "{returned:?}");
    let page = company.get(&format!("/entreprises/{}/factures/{}", nord.id, c.proforma)).await;
    assert!(page.body.contains("virement rejeté par la banque") && page.body.contains("AC04"), "{}", page.body);
    let page = staff.get(&format!("/gestion/factures/{}", c.invoice)).await;
    assert!(page.body.contains("virement rejeté par la banque"), "{}", page.body);
    assert!(queue_lists(&mut staff, "factures", "approved", &proforma_number).await);
    assert!(!queue_lists(&mut staff, "dossiers", "paid", &c.dossier_number).await);

    // The next run pays it again: paid again.
    let next = payments::run_due(&app.ctx, paris(2026, 1, 9, 8), &Hooks::none()).await.unwrap();
    assert_eq!(next.run.as_ref().unwrap().payment_count, 1, "{}", next.summary());
    let again = statuses(&mut company, &mut staff, nord.id, &c).await;
    assert!(again[0].contains(&"payée".to_owned()) && again[3].contains(&"payé".to_owned()), "{again:?}");
}

impl Chain {
    async fn proforma_number(&self, app: &TestApp) -> String {
        store::proforma::get_unscoped(&app.ctx.db, self.proforma).await.unwrap().unwrap().number
    }
}
