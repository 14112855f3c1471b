//! The security boundary (SPEC A1, §9): every route of the router, walked as a user of another
//! company and as a user of another establishment of the same company, reaches nothing of the
//! victims and changes nothing.

use std::collections::BTreeSet;

use domain::Role;
use domain::habilitation::{AttachmentStatus, Domain};
use http::{Method, StatusCode};

use crate::support::{PASSWORD, TestApp, TestClient};

/// What a route is, for the walk.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Carries a victim's object in its path: must answer 403 or 404 and change nothing.
    Victim,
    /// About the caller only (no id): must not show any victim data.
    Own,
    /// A company-wide page (list, new filing): another company's user gets 403/404; a user of
    /// another establishment of the same company may open it but sees none of the victims' data.
    CompanyWide,
}

struct Route {
    method: Method,
    template: &'static str,
    body: &'static [(&'static str, &'static str)],
    kind: Kind,
}

const fn route(
    method: Method,
    template: &'static str,
    body: &'static [(&'static str, &'static str)],
    kind: Kind,
) -> Route {
    Route { method, template, body, kind }
}

fn routes() -> Vec<Route> {
    use Kind::{CompanyWide, Own, Victim};
    let get = Method::GET;
    let post = Method::POST;
    vec![
        route(get.clone(), "/", &[], Own),
        route(get.clone(), "/connexion", &[], Own),
        route(get.clone(), "/inscription", &[], Own),
        route(get.clone(), "/inscription/confirmation", &[], Own),
        route(get.clone(), "/inscription/verifier", &[], Own),
        route(get.clone(), "/inscription/renvoyer", &[], Own),
        route(get.clone(), "/mot-de-passe-oublie", &[], Own),
        route(get.clone(), "/mot-de-passe-oublie/envoye", &[], Own),
        route(get.clone(), "/reinitialisation", &[], Own),
        route(get.clone(), "/compte", &[], Own),
        route(get.clone(), "/compte/mot-de-passe", &[], Own),
        route(get.clone(), "/compte/sessions", &[], Own),
        route(post.clone(), "/compte/sessions/{session}/fermer", &[], Victim),
        route(post.clone(), "/compte/sessions/fermer-autres", &[], Own),
        route(get.clone(), "/compte/jetons", &[], Own),
        route(post.clone(), "/compte/jetons/{token}/revoquer", &[], Victim),
        route(get.clone(), "/notifications", &[], Own),
        route(post.clone(), "/notifications/{notification}/lire", &[], Victim),
        route(post.clone(), "/notifications/tout-lire", &[], Own),
        route(post.clone(), "/notifications/preferences", &[("by_email", "on")], Own),
        route(get.clone(), "/entreprises", &[], Own),
        route(get.clone(), "/entreprises/rattachement", &[], Own),
        route(get.clone(), "/entreprises/activer", &[], Own),
        route(get.clone(), "/entreprises/{company}", &[], CompanyWide),
        route(get.clone(), "/entreprises/{company}/profil", &[], Victim),
        route(
            post.clone(),
            "/entreprises/{company}/profil",
            &[("street", "1 rue Volée"), ("postal_code", "75001"), ("city", "Paris"), ("vat_subject", "non")],
            Victim,
        ),
        route(get.clone(), "/entreprises/{company}/banque", &[], Victim),
        route(
            post.clone(),
            "/entreprises/{company}/banque",
            &[("iban", "FR7630006000011234567890189"), ("holder_name", "VOLEUR"), ("password", PASSWORD)],
            Victim,
        ),
        route(post.clone(), "/entreprises/{company}/banque/changements/{change}/annuler", &[], Victim),
        route(get.clone(), "/entreprises/{company}/utilisateurs", &[], Victim),
        route(post.clone(), "/entreprises/{company}/demandes/{request}/valider", &[("training", "on")], Victim),
        route(post.clone(), "/entreprises/{company}/demandes/{request}/refuser", &[("reason", "non")], Victim),
        route(
            post.clone(),
            "/entreprises/{company}/utilisateurs/{member}/habilitations",
            &[("invoicing", "on")],
            Victim,
        ),
        route(post.clone(), "/entreprises/{company}/utilisateurs/{member}/administrateur", &[("admin", "oui")], Victim),
        route(post.clone(), "/entreprises/{company}/utilisateurs/{member}/retirer", &[], Victim),
        route(get.clone(), "/entreprises/{company}/dossiers", &[], CompanyWide),
        route(get.clone(), "/entreprises/{company}/dossiers.csv", &[], CompanyWide),
        route(get.clone(), "/entreprises/{company}/dossiers/nouveau", &[], CompanyWide),
        route(
            post.clone(),
            "/entreprises/{company}/dossiers/nouveau",
            &[("scheme", "PDC50"), ("title", "x")],
            CompanyWide,
        ),
        route(get.clone(), "/entreprises/{company}/dossiers/{dossier}", &[], Victim),
        route(get.clone(), "/entreprises/{company}/dossiers/{dossier}/modifier", &[], Victim),
        route(
            post.clone(),
            "/entreprises/{company}/dossiers/{dossier}/modifier",
            &[("scheme", "PDC50"), ("title", "Volé")],
            Victim,
        ),
        route(post.clone(), "/entreprises/{company}/dossiers/{dossier}/repondre", &[("message", "x")], Victim),
        route(post.clone(), "/entreprises/{company}/dossiers/{dossier}/dupliquer", &[], Victim),
        route(get.clone(), "/entreprises/{company}/dossiers/{dossier}/remboursements/nouveau", &[], Victim),
        route(post.clone(), "/entreprises/{company}/dossiers/{dossier}/remboursements", &[("overrun", "1")], Victim),
        route(get.clone(), "/entreprises/{company}/remboursements/{dr}", &[], Victim),
        route(post.clone(), "/entreprises/{company}/remboursements/{dr}/repondre", &[("message", "x")], Victim),
        route(get.clone(), "/entreprises/{company}/documents/{document}", &[], Victim),
        route(get.clone(), "/entreprises/{company}/factures", &[], CompanyWide),
        route(get.clone(), "/entreprises/{company}/factures.csv", &[], CompanyWide),
        route(post.clone(), "/entreprises/{company}/factures", &[("reimbursements", "1")], CompanyWide),
        route(get.clone(), "/entreprises/{company}/factures/{proforma}", &[], Victim),
        route(get.clone(), "/entreprises/{company}/factures/{proforma}/proforma.pdf", &[], Victim),
        route(get.clone(), "/entreprises/{company}/paiements", &[], CompanyWide),
        route(get.clone(), "/entreprises/{company}/paiements.csv", &[], CompanyWide),
        route(get.clone(), "/entreprises/{company}/paiements/{payment}", &[], Victim),
        route(get.clone(), "/entreprises/{company}/paiements/{payment}/avis.pdf", &[], Victim),
        route(post.clone(), "/entreprises/{company}/factures/{proforma}/facture", &[("number", "x")], Victim),
        route(get.clone(), "/entreprises/{company}/drf", &[], CompanyWide),
        route(get.clone(), "/entreprises/{company}/drf.csv", &[], CompanyWide),
        route(get.clone(), "/entreprises/{company}/historique", &[], CompanyWide),
        route(get.clone(), "/entreprises/{company}/historique.csv", &[], CompanyWide),
        route(get.clone(), "/entreprises/{company}/drf/nouvelle", &[], CompanyWide),
        route(post.clone(), "/entreprises/{company}/drf/nouvelle", &[("scheme", "CIPI")], CompanyWide),
        route(get.clone(), "/entreprises/{company}/drf/{drf}", &[], Victim),
        route(post.clone(), "/entreprises/{company}/drf/{drf}/dossier", &[], Victim),
        route(get.clone(), "/gestion/dossiers", &[], Victim),
        route(get.clone(), "/gestion/dossiers.csv", &[], Victim),
        route(get.clone(), "/gestion/dossiers/{dossier}", &[], Victim),
        route(post.clone(), "/gestion/dossiers/{dossier}/decision", &[("decision", "refuse"), ("reason", "x")], Victim),
        route(get.clone(), "/gestion/drf", &[], Victim),
        route(get.clone(), "/gestion/drf.csv", &[], Victim),
        route(get.clone(), "/gestion/drf/{drf}", &[], Victim),
        route(post.clone(), "/gestion/drf/{drf}/decision", &[("decision", "refuse"), ("reason", "x")], Victim),
        route(get.clone(), "/gestion/remboursements", &[], Victim),
        route(get.clone(), "/gestion/remboursements.csv", &[], Victim),
        route(get.clone(), "/gestion/remboursements/{dr}", &[], Victim),
        route(
            post.clone(),
            "/gestion/remboursements/{dr}/decision",
            &[("decision", "refuse"), ("reason", "x")],
            Victim,
        ),
        route(get.clone(), "/gestion/documents/{document}", &[], Victim),
        route(get.clone(), "/gestion/factures", &[], Victim),
        route(get.clone(), "/gestion/factures.csv", &[], Victim),
        route(get.clone(), "/gestion/factures/{invoice}", &[], Victim),
        route(
            post.clone(),
            "/gestion/factures/{invoice}/decision",
            &[("decision", "approve"), ("version", "0")],
            Victim,
        ),
        route(get.clone(), "/aide", &[], Own),
        route(post.clone(), "/gestion/entreprises/{company}/contacts", &[("poec_referent", "Volé")], Victim),
        route(post.clone(), "/annonces/{announcement}/masquer", &[], Victim),
        route(get.clone(), "/gestion/annonces", &[], Victim),
        route(
            post.clone(),
            "/gestion/annonces",
            &[
                ("title", "Volée"),
                ("body", "x"),
                ("branches", "Travail temporaire"),
                ("starts_on", "2026-01-01"),
                ("ends_on", "2026-12-31"),
            ],
            Victim,
        ),
        route(get.clone(), "/aide/faq/{slug}", &[], Own),
        route(get.clone(), "/aide/guides/{slug}", &[], Own),
        route(get.clone(), "/aide/guides/{slug}/guide.pdf", &[], Own),
        route(get.clone(), "/gestion/aide", &[], Victim),
        route(get.clone(), "/gestion/aide/{slug}", &[], Victim),
        route(
            post.clone(),
            "/gestion/aide/{slug}",
            &[("theme", "acces"), ("question", "Volée ?"), ("answer", "x"), ("position", "1"), ("version", "0")],
            Victim,
        ),
        route(get.clone(), "/gestion/paiements", &[], Victim),
        route(get.clone(), "/gestion/paiements.csv", &[], Victim),
        route(post.clone(), "/gestion/paiements/lancer", &[], Victim),
        route(post.clone(), "/gestion/paiements/retours", &[("returns", "x")], Victim),
        route(get.clone(), "/gestion/paiements/{run}", &[], Victim),
        route(get.clone(), "/gestion/paiements/{run}/sepa.xml", &[], Victim),
        route(get.clone(), "/gestion/regles", &[], Victim),
        route(post.clone(), "/gestion/regles/accord", &[("scheme", "PICIAE"), ("reference", "x")], Victim),
        route(get.clone(), "/gestion", &[], Victim),
        route(get.clone(), "/gestion/journal", &[], Victim),
        route(get.clone(), "/gestion/journal.csv", &[], Victim),
        route(get.clone(), "/gestion/entreprises", &[], Victim),
        route(get.clone(), "/gestion/entreprises.csv", &[], Victim),
        route(get.clone(), "/gestion/entreprises/nouvelle", &[], Victim),
        route(post.clone(), "/gestion/entreprises/nouvelle", &[("siren", "443061841"), ("name", "X")], Victim),
        route(get.clone(), "/gestion/entreprises/{company}", &[], Victim),
        route(get.clone(), "/gestion/entreprises/{company}/profil", &[], Victim),
        route(
            post.clone(),
            "/gestion/entreprises/{company}/profil",
            &[("name", "Volée"), ("street", "1 rue"), ("postal_code", "75001"), ("city", "Paris")],
            Victim,
        ),
        route(post.clone(), "/gestion/entreprises/{company}/etablissements", &[("siret", "73282932000017")], Victim),
        route(post.clone(), "/gestion/entreprises/{company}/edi", &[("edi", "oui")], Victim),
        route(post.clone(), "/gestion/entreprises/{company}/courrier", &[], Victim),
        route(
            post.clone(),
            "/gestion/entreprises/{company}/utilisateurs",
            &[("email", "x@y.fr"), ("admin", "on")],
            Victim,
        ),
        route(get.clone(), "/gestion/courriers", &[], Victim),
        route(get.clone(), "/gestion/courriers.csv", &[], Victim),
        route(post.clone(), "/gestion/courriers/lots", &[], Victim),
        route(get.clone(), "/gestion/courriers/lots/{batch}/courriers.pdf", &[], Victim),
        route(post.clone(), "/gestion/courriers/lots/{batch}/poste", &[], Victim),
        route(get.clone(), "/healthz", &[], Own),
        route(get.clone(), "/static/{file}", &[], Own),
        route(get.clone(), "/api/v1/me", &[], Own),
        route(get.clone(), "/api/v1/tokens", &[], Own),
        route(Method::DELETE, "/api/v1/tokens/{token}", &[], Victim),
        route(post.clone(), "/api/v1/dossiers/{dossier}/remboursements", &[], Victim),
        route(post.clone(), "/api/v1/factures/{proforma}/facture", &[], Victim),
        // Last: it ends the intruder's session.
        route(post, "/deconnexion", &[], Own),
    ]
}

/// The routes the router declares, read from its source, with `{…}` placeholders named alike.
fn declared_routes() -> BTreeSet<String> {
    let source = include_str!("../../../web/src/lib.rs");
    let mut found = BTreeSet::new();
    // `.route(` may be followed by a line break when the handler is long.
    for piece in source.split(".route(").skip(1) {
        if let Some(path) = piece.trim_start().strip_prefix('"').and_then(|p| p.split('"').next()) {
            found.insert(normalise(path));
        }
    }
    found
}

fn normalise(template: &str) -> String {
    template
        .split('/')
        .map(|segment| if segment.starts_with('{') { "{}" } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn the_walk_covers_every_route_of_the_router() {
    let walked: BTreeSet<String> = routes().iter().map(|r| normalise(r.template)).collect();
    let missing: Vec<String> = declared_routes().difference(&walked).cloned().collect();
    assert!(missing.is_empty(), "routes missing from the isolation walk: {missing:?}");
}

struct Victims {
    company: i64,
    company_name: &'static str,
    agency_siret: &'static str,
    request: i64,
    member: i64,
    session: i64,
    token: i64,
    token_text: String,
    notification: i64,
    batch: i64,
    alice: i64,
    head_office: i64,
    dossier: i64,
    drf: i64,
    dr: i64,
    document: i64,
    proforma: i64,
    invoice: i64,
    payment: i64,
    run: i64,
    change: i64,
}

async fn snapshot(app: &TestApp, v: &Victims) -> String {
    let db = &app.ctx.db;
    let mut text = String::new();
    text.push_str(&format!("{:?}\n", store::company::get_unscoped(db, v.company).await.unwrap()));
    text.push_str(&format!("{:?}\n", store::company::all_establishments(db, v.company).await.unwrap()));
    text.push_str(&format!("{:?}\n", store::company::bank_standing(db, v.company, app.ctx.clock.now()).await.unwrap()));
    for status in [
        AttachmentStatus::Requested,
        AttachmentStatus::Approved,
        AttachmentStatus::Refused,
        AttachmentStatus::Withdrawn,
    ] {
        text.push_str(&format!("{:?}\n", store::attachment::list_for_company(db, v.company, status).await.unwrap()));
    }
    text.push_str(&format!("{:?}\n", store::activation::batches(db, 10).await.unwrap()));
    let staff = domain::scope::Scope::Staff { user_id: 0, role: Role::PlatformAdmin };
    text.push_str(&format!("{:?}\n", store::dossier::list_for_company(db, &staff, v.company).await.unwrap()));
    text.push_str(&format!("{:?}\n", store::drf::list_for_company(db, &staff, v.company).await.unwrap()));
    text.push_str(&format!("{:?}\n", store::dossier::timeline(db, Some(v.dossier), Some(v.drf)).await.unwrap()));
    text.push_str(&format!("{:?}\n", store::reimbursement::for_dossier(db, v.dossier).await.unwrap()));
    text.push_str(&format!("{:?}\n", store::document::for_reimbursement(db, v.dr).await.unwrap()));
    text.push_str(&format!("{:?}\n", store::proforma::all(db).await.unwrap()));
    text.push_str(&format!("{:?}\n", store::invoice::for_proforma(db, v.proforma).await.unwrap()));
    text.push_str(&format!("{:?}\n", store::payment::runs(db, 10).await.unwrap()));
    text.push_str(&format!("{:?}\n", store::help::all(db).await.unwrap()));
    text.push_str(&format!("{:?}\n", store::contact::get(db, v.company).await.unwrap()));
    text.push_str(&format!("{:?}\n", store::announcement::all(db).await.unwrap()));
    text.push_str(&format!("{:?}\n", store::payment::payments_of(db, v.run).await.unwrap()));
    text.push_str(&format!("{:?}\n", store::job::count_open(db).await.unwrap()));
    text.push_str(&format!("{:?}\n", store::schemes::agreement(db, "PICIAE").await.unwrap()));
    text.push_str(&format!("{:?}\n", store::activation::queued_letters(db).await.unwrap()));
    text.push_str(&format!("{:?}\n", store::notification::list(db, v.alice, 1, 100).await.unwrap()));
    text.push_str(&format!(
        "{:?}\n",
        store::api_token::list_for_user(db, v.alice)
            .await
            .unwrap()
            .iter()
            .map(|t| (t.id, t.revoked_at))
            .collect::<Vec<_>>()
    ));
    text.push_str(&format!(
        "{:?}\n",
        store::session::list_for_user(db, v.alice).await.unwrap().iter().map(|s| s.id).collect::<Vec<_>>()
    ));
    text
}

async fn setup(app: &TestApp) -> (Victims, TestClient) {
    let nord = app.company_nord().await;
    let mut alice = app.signed_in("alice@interim-nord.fr", Role::CompanyUser).await;
    let alice_id = app.user_id("alice@interim-nord.fr").await;
    app.attach(alice_id, nord.id, None, true, &Domain::ALL).await;
    app.account("bob@interim-nord.fr", PASSWORD, Role::CompanyUser).await;
    let bob = app.user_id("bob@interim-nord.fr").await;
    let member = app.attach(bob, nord.id, Some(nord.agency), false, &[Domain::Training]).await;
    let mut carl = app.signed_in("carl@exemple.fr", Role::CompanyUser).await;
    carl.post("/entreprises/rattachement", &[("siren", nord.siren), ("sirets", nord.agency_siret)]).await;
    let request =
        store::attachment::list_for_company(&app.ctx.db, nord.id, AttachmentStatus::Requested).await.unwrap()[0].id;
    alice
        .post(
            &format!("/entreprises/{}/banque", nord.id),
            &[("iban", "FR7630006000011234567890189"), ("holder_name", "INTERIM NORD"), ("password", PASSWORD)],
        )
        .await;
    // A change of bank details waiting for its date (SPEC Q3): only an administrator of the
    // company may cancel it.
    alice
        .post(
            &format!("/entreprises/{}/banque", nord.id),
            &[("iban", "FR7630001007941234567890185"), ("holder_name", "INTERIM NORD"), ("password", PASSWORD)],
        )
        .await;
    let change = store::company::bank_standing(&app.ctx.db, nord.id, app.ctx.clock.now())
        .await
        .unwrap()
        .pending
        .expect("a pending change")
        .id;
    let (token, secret) =
        store::api_token::create(&app.ctx.db, alice_id, "Export Alice", None, app.ctx.clock.now()).await.unwrap();
    let session = store::session::list_for_user(&app.ctx.db, alice_id).await.unwrap()[0].id;
    let notification = store::notification::list(&app.ctx.db, alice_id, 1, 10).await.unwrap().0[0].id;
    let mut advisor = app.signed_in("conseiller@opco.fr", Role::Advisor).await;
    advisor.post(&format!("/gestion/entreprises/{}/courrier", nord.id), &[]).await;
    advisor.post("/gestion/courriers/lots", &[]).await;
    app.run_jobs().await;
    let batch = store::activation::batches(&app.ctx.db, 1).await.unwrap()[0].id;
    let (dossier, drf) = crate::dossiers::victim_filings(app, nord.id, nord.agency, alice_id).await;
    let (dr, document) = victim_claim(app, dossier, alice_id).await;
    let proforma = victim_proforma(app, nord.id, dr, alice_id).await;
    let invoice = store::invoice::NewInvoice {
        proforma_id: proforma,
        company_id: nord.id,
        number: "FACT-VICTIME".into(),
        syntax: "pdf",
        buyer_name: "OPCO Démo".into(),
        seller_siren: Some("732829320".into()),
        net: domain::Money::from_cents(432_198),
        vat: domain::Money::from_cents(86_440),
        gross: domain::Money::from_cents(518_638),
        iban: None,
        document_id: document,
        rib_document_id: None,
        uploaded_by: alice_id,
    };
    let invoice = store::invoice::create(&app.ctx.db, invoice, app.ctx.clock.now()).await.unwrap().id;
    let (payment, run) = victim_payment(app, invoice).await;
    let victims = Victims {
        company: nord.id,
        company_name: nord.name,
        agency_siret: "732 829 320 00082",
        request,
        member,
        session,
        token: token.id,
        token_text: secret.plain,
        notification,
        batch,
        alice: alice_id,
        head_office: nord.head_office,
        dossier,
        drf,
        dr,
        document,
        proforma,
        invoice,
        payment,
        run,
        change,
    };
    (victims, alice)
}

/// The victims' invoice approved and paid by a run: the payment and the run.
async fn victim_payment(app: &TestApp, invoice: i64) -> (i64, i64) {
    let now = app.ctx.clock.now();
    assert!(
        store::invoice::decide(&app.ctx.db, invoice, 0, store::invoice::status::APPROVED, None, 1, now).await.unwrap()
    );
    let hooks = espace_app::payments::Hooks::none();
    let report =
        espace_app::payments::perform(&app.ctx, espace_app::payments::manual(now, None), &hooks).await.unwrap();
    let payments = store::payment::payments_of(&app.ctx.db, report.run.as_ref().unwrap().id).await.unwrap();
    assert_eq!(payments.len(), 1, "{}", report.summary());
    (payments[0].id, report.run.as_ref().unwrap().id)
}

/// A DR with its certificate on the victims' dossier.
async fn victim_claim(app: &TestApp, dossier_id: i64, user: i64) -> (i64, i64) {
    let staff = domain::scope::Scope::Staff { user_id: 0, role: Role::PlatformAdmin };
    let dossier = store::dossier::get(&app.ctx.db, &staff, dossier_id).await.unwrap().unwrap();
    let lines = [domain::reimbursement::Line {
        nature: domain::reimbursement::Nature::TrainingCosts,
        amount: domain::Money::from_cents(432_198),
    }];
    let input = store::reimbursement::NewReimbursement {
        dossier: &dossier,
        budget: None,
        lines: &lines,
        submitted_on: chrono::NaiveDate::from_ymd_opt(2026, 3, 9).unwrap(),
        created_by: user,
    };
    let now = app.ctx.clock.now();
    let dr = store::reimbursement::create(&app.ctx.db, &input, now).await.unwrap();
    let files = store::document::Files::new(app.ctx.config.data_dir.join("documents"));
    let pdf = crate::support::sample_pdf();
    let sha256 = files.put(&pdf).await.unwrap();
    let document = store::document::NewDocument {
        company_id: dossier.company_id,
        dossier_id: Some(dossier.id),
        reimbursement_id: Some(dr.id),
        proforma_id: None,
        kind: store::document::Kind::Certificate,
        file_name: "Certificat Victime.pdf".into(),
        sha256,
        size: i64::try_from(pdf.len()).unwrap(),
        content_type: "application/pdf".into(),
        uploaded_by: user,
    };
    let document = store::document::create(&app.ctx.db, document, now).await.unwrap();
    (dr.id, document.id)
}

/// The victims' DR validated and put on a proforma.
async fn victim_proforma(app: &TestApp, company: i64, dr: i64, user: i64) -> i64 {
    let now = app.ctx.clock.now();
    let change =
        store::reimbursement::DrChange { validated: Some(domain::Money::from_cents(432_198)), ..Default::default() };
    use domain::reimbursement::DrStatus;
    assert!(
        store::reimbursement::transition(&app.ctx.db, dr, 0, DrStatus::Submitted, DrStatus::Validated, change, now)
            .await
            .unwrap()
    );
    let staff = domain::scope::Scope::Staff { user_id: 0, role: Role::PlatformAdmin };
    let items = store::proforma::items(&app.ctx.db, &staff, company).await.unwrap();
    let chosen: Vec<&store::proforma::Item> = items.iter().collect();
    let input = store::proforma::NewProforma {
        company_id: company,
        payer: "AKTO",
        public: "temporary",
        scheme: None,
        items: &chosen,
        amounts: domain::proforma::amounts(&[domain::Money::from_cents(432_198)], true),
        vat_subject: true,
        bank: None,
        issued_by: user,
    };
    store::proforma::issue(&app.ctx.db, &input, now).await.unwrap().id
}

fn path(template: &str, v: &Victims) -> String {
    template
        .replace("{company}", &v.company.to_string())
        .replace("{request}", &v.request.to_string())
        .replace("{member}", &v.member.to_string())
        .replace("{session}", &v.session.to_string())
        .replace("{token}", &v.token.to_string())
        .replace("{notification}", &v.notification.to_string())
        .replace("{batch}", &v.batch.to_string())
        .replace("{dossier}", &v.dossier.to_string())
        .replace("{drf}", &v.drf.to_string())
        .replace("{dr}", &v.dr.to_string())
        .replace("{document}", &v.document.to_string())
        .replace("{proforma}", &v.proforma.to_string())
        .replace("{invoice}", &v.invoice.to_string())
        .replace("{payment}", &v.payment.to_string())
        .replace("{run}", &v.run.to_string())
        .replace("{change}", &v.change.to_string())
        .replace("{file}", "app.css")
        .replace("{slug}", "creer-un-nouveau-compte")
        .replace("{announcement}", "1")
}

/// Walks every route as `intruder`; `reaches_company` says whether the intruder is attached to
/// the victims' company (another establishment), where the company page itself may open.
async fn walk(app: &TestApp, intruder: &mut TestClient, intruder_token: &str, v: &Victims, reaches_company: bool) {
    let before = snapshot(app, v).await;
    for r in routes() {
        let url = path(r.template, v);
        let response = if url.starts_with("/api/") {
            intruder.api(r.method.clone(), &url, intruder_token, None).await
        } else if r.method == Method::GET {
            intruder.get(&url).await
        } else {
            let body: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(r.body).finish();
            intruder.send(r.method.clone(), &url, Some(("application/x-www-form-urlencoded", body)), &[]).await
        };
        let leaks = [
            v.agency_siret,
            "bob@interim-nord.fr",
            "carl@exemple.fr",
            "Export Alice",
            &v.token_text,
            "0189",
            "•••0 185",
            "Cariste Roubaix",
            "Trainee Victime",
            "4\u{202f}321,98",
            "Certificat Victime",
            "FACT-VICTIME",
            "EF-M",
            "%PDF-",
        ];
        for leak in leaks {
            assert!(!response.body.contains(leak), "{} {url} shows « {leak} »", r.method);
        }
        match r.kind {
            Kind::Own => assert!(!response.status.is_server_error(), "{} {url}: {}", r.method, response.status),
            Kind::CompanyWide if reaches_company => {
                assert!(
                    !response.status.is_server_error() && !response.status.is_redirection(),
                    "{} {url}: {}",
                    r.method,
                    response.status
                );
            }
            Kind::Victim | Kind::CompanyWide => assert!(
                matches!(response.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                "{} {url} answered {} to an intruder",
                r.method,
                response.status
            ),
        }
        if !reaches_company && r.kind == Kind::Own {
            assert!(!response.body.contains(v.company_name), "{} {url} names the victims' company", r.method);
        }
    }
    assert_eq!(snapshot(app, v).await, before, "the walk changed the victims' data");
}

#[tokio::test]
async fn a_user_of_another_company_reaches_nothing_on_any_route() {
    let app = TestApp::spawn().await;
    let (victims, _alice) = setup(&app).await;
    let btp = app.company_btp().await;
    let mut mallory = app.signed_in("mallory@btp-emploi.fr", Role::CompanyUser).await;
    let mallory_id = app.user_id("mallory@btp-emploi.fr").await;
    app.attach(mallory_id, btp.id, None, true, &Domain::ALL).await;
    let (_, token) = store::api_token::create(&app.ctx.db, mallory_id, "m", None, app.ctx.clock.now()).await.unwrap();
    walk(&app, &mut mallory, &token.plain, &victims, false).await;
}

#[tokio::test]
async fn a_user_of_another_establishment_of_the_same_company_reaches_only_their_own() {
    let app = TestApp::spawn().await;
    let (victims, _alice) = setup(&app).await;
    let mut eve = app.signed_in("eve@interim-nord.fr", Role::CompanyUser).await;
    let eve_id = app.user_id("eve@interim-nord.fr").await;
    app.attach(eve_id, victims.company, Some(victims.head_office), false, &Domain::ALL).await;
    let (_, token) = store::api_token::create(&app.ctx.db, eve_id, "e", None, app.ctx.clock.now()).await.unwrap();
    walk(&app, &mut eve, &token.plain, &victims, true).await;
    // Her own establishment shows, the other one does not.
    eve.login("eve@interim-nord.fr", PASSWORD).await;
    let page = eve.get(&format!("/entreprises/{}", victims.company)).await;
    assert!(page.body.contains("732 829 320 00074"));
    assert!(!page.body.contains(victims.agency_siret));
}

/// A route where a company files, or the form that leads to one (SPEC Q1): every write under
/// `/entreprises/…`, the EDI filings of the API, and the forms they are posted from.
fn is_company_write(route: &Route) -> bool {
    let company = route.template.starts_with("/entreprises");
    let form = ["/nouveau", "/nouvelle", "/modifier", "/profil", "/banque", "/rattachement", "/activer"]
        .iter()
        .any(|end| route.template.ends_with(end));
    let edi = route.template.starts_with("/api/v1/dossiers/") || route.template.starts_with("/api/v1/factures/");
    (company && (route.method == Method::POST || form)) || (edi && route.method == Method::POST)
}

/// SPEC Q1, « staff instruct, companies file »: operator staff reach every company, yet each
/// staff role is refused (403, with the French reason) on every company write route and on the
/// forms leading to one, and the company's data is left as it was.
#[tokio::test]
async fn staff_never_act_as_the_company_on_any_company_write_route() {
    let app = TestApp::spawn().await;
    let (victims, _alice) = setup(&app).await;
    let mut writes: Vec<Route> = routes().into_iter().filter(is_company_write).collect();
    // Both are posted to the same address as their form; staff are attached to no company.
    writes.push(route(Method::POST, "/entreprises/rattachement", &[("siren", "732829320")], Kind::Own));
    writes.push(route(
        Method::POST,
        "/entreprises/activer",
        &[("siren", "732829320"), ("code", "ABCD-EFGH")],
        Kind::Own,
    ));
    assert!(writes.len() >= 25, "only {} company write routes found", writes.len());
    let before = snapshot(&app, &victims).await;
    for (email, role) in [
        ("gestion-walk@opco.fr", Role::CaseManager),
        ("conseil-walk@opco.fr", Role::Advisor),
        ("admin-walk@opco.fr", Role::PlatformAdmin),
    ] {
        let mut staff = app.signed_in(email, role).await;
        let staff_id = app.user_id(email).await;
        let (_, token) =
            store::api_token::create(&app.ctx.db, staff_id, "staff", None, app.ctx.clock.now()).await.unwrap();
        for r in &writes {
            let url = path(r.template, &victims);
            let response = if url.starts_with("/api/") {
                staff.api(r.method.clone(), &url, &token.plain, Some(serde_json::json!({}))).await
            } else if r.method == Method::GET {
                staff.get(&url).await
            } else {
                let body: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(r.body).finish();
                staff.send(r.method.clone(), &url, Some(("application/x-www-form-urlencoded", body)), &[]).await
            };
            assert_eq!(response.status, StatusCode::FORBIDDEN, "{role:?} {} {url}: {}", r.method, response.body);
            assert!(
                response.body.contains("n’agit pas à la place de l’entreprise"),
                "{role:?} {} {url} does not say why: {}",
                r.method,
                response.body
            );
        }
    }
    assert_eq!(snapshot(&app, &victims).await, before, "staff changed the company's data");
}
