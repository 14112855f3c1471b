//! DRF, dossiers and contracts: filing rules of each scheme, case management, timeline,
//! notifications, expiry and reminders (SPEC §3, §4, C1–C7, D1–D6).

use chrono::{NaiveDate, TimeZone, Utc};
use domain::Role;
use domain::habilitation::Domain;
use http::StatusCode;

use crate::support::{PASSWORD, TestApp, TestClient, TestCompany};

/// Puts the portal's clock at 09:00 Paris time on the given day.
fn set_day(app: &TestApp, y: i32, m: u32, d: u32) {
    app.clock.set(Utc.with_ymd_and_hms(y, m, d, 8, 0, 0).unwrap());
}

/// A company user with every habilitation on « Intérim Nord », signed in again after the clock
/// moved.
async fn company_user(app: &TestApp, nord: &TestCompany) -> TestClient {
    let client = app.signed_in("rh@interim-nord.fr", Role::CompanyUser).await;
    let id = app.user_id("rh@interim-nord.fr").await;
    app.attach(id, nord.id, None, true, &Domain::ALL).await;
    client
}

/// A DRF and a submitted dossier of a victim company, for the isolation walk.
pub async fn victim_filings(app: &TestApp, company: i64, establishment: i64, user: i64) -> (i64, i64) {
    let now = app.ctx.clock.now();
    let drf = store::drf::DrfInput {
        company_id: company,
        establishment_id: establishment,
        scheme: "CIPI".into(),
        trainee_name: "Trainee Victime".into(),
        contract_type: "ctt".into(),
        hours: 210,
        training_start: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        training_end: NaiveDate::from_ymd_opt(2026, 5, 29).unwrap(),
        provider_name: "Organisme".into(),
        provider_siret: "73282932000074".into(),
        provider_nda: "11755555555".into(),
        cost: domain::Money::from_cents(735_000),
        amount: domain::Money::from_cents(617_400),
    };
    let drf =
        store::drf::file(&app.ctx.db, &drf, NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(), user, now).await.unwrap();
    let input = store::dossier::DossierInput {
        company_id: company,
        establishment_id: establishment,
        scheme: "PDC50".into(),
        sub_scheme: None,
        kind: Domain::Training,
        payer: "AKTO".into(),
        public: "temporary".into(),
        title: "Cariste Roubaix".into(),
        provider_name: "Organisme".into(),
        provider_siret: "73282932000074".into(),
        provider_nda: "11755555555".into(),
        training_start: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        training_end: NaiveDate::from_ymd_opt(2026, 3, 6).unwrap(),
        hours: 35,
        cost: domain::Money::from_cents(200_000),
        requested: domain::Money::from_cents(200_000),
        subrogation: None,
    };
    let trainees = [store::dossier::TraineeInput { given_name: "Léa".into(), family_name: "Moreau".into() }];
    let dossier = store::dossier::create(&app.ctx.db, &input, &trainees, None, None, user, now).await.unwrap();
    let change =
        store::dossier::StateChange { submitted_on: NaiveDate::from_ymd_opt(2026, 1, 5), ..Default::default() };
    store::dossier::transition(
        &app.ctx.db,
        dossier.id,
        0,
        domain::dossier::DossierStatus::Draft,
        domain::dossier::DossierStatus::Submitted,
        change,
        now,
    )
    .await
    .unwrap();
    (dossier.id, drf.id)
}

fn drf_form<'a>(establishment: &'a str, start: &'a str, end: &'a str, hours: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("establishment", establishment),
        ("scheme", "CIPI"),
        ("trainee_name", "Yasmine Benali"),
        ("contract_type", "ctt"),
        ("hours", hours),
        ("training_start", start),
        ("training_end", end),
        ("provider_name", "Institut Formation Nord"),
        ("provider_siret", "55210055400013"),
        ("provider_nda", "31590000059"),
        ("cost", "7 350,00"),
    ]
}

#[expect(clippy::too_many_arguments, reason = "a form has many fields")]
fn dossier_form<'a>(
    establishment: &'a str,
    scheme: &'a str,
    public: &'a str,
    start: &'a str,
    end: &'a str,
    trainees: &'a str,
    action: &'a str,
    nda: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("establishment", establishment),
        ("scheme", scheme),
        ("public", public),
        ("title", "Conduite de chariots élévateurs (CACES R489)"),
        ("provider_name", "Institut Formation Nord"),
        ("provider_siret", "55210055400013"),
        ("provider_nda", nda),
        ("training_start", start),
        ("training_end", end),
        ("hours", "35"),
        ("cost", "2 400,00"),
        ("requested", "2 400,00"),
        ("trainees", trainees),
        ("action", action),
    ]
}

#[tokio::test]
async fn a_retroactive_drf_is_validated_until_28_february_becomes_a_dossier_and_is_instructed() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    set_day(&app, 2026, 1, 10);
    let mut company = company_user(&app, &nord).await;
    let head = nord.head_office.to_string();
    let path = format!("/entreprises/{}/drf/nouvelle", nord.id);

    // Started on 18 December 2025: retroactive window (C3).
    let filed = company.post(&path, &drf_form(&head, "2025-12-18", "2026-03-27", "210")).await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let drf_path = filed.location().split('?').next().unwrap().to_owned();
    let page = company.get(&drf_path).await;
    assert!(page.body.contains("soumise"));
    // 27 €/h × 210 h + 30 % of the extra cost (DOMAIN §4.11 A).
    assert!(page.body.contains("6\u{202f}174,00\u{a0}€"), "{}", page.body);

    let mut case_manager = app.signed_in("gestionnaire@opco.fr", Role::CaseManager).await;
    let queue = case_manager.get("/gestion/drf").await;
    assert!(queue.body.contains("Yasmine Benali"));
    let drf = store::drf::list_for_company(
        &app.ctx.db,
        &domain::scope::Scope::Staff { user_id: 0, role: Role::CaseManager },
        nord.id,
    )
    .await
    .unwrap()[0]
        .clone();
    let decided = case_manager
        .post(
            &format!("/gestion/drf/{}/decision", drf.id),
            &[("decision", "validate"), ("version", &drf.version.to_string())],
        )
        .await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.body);

    // Validated in January: valid until 28 February (C4).
    let page = company.get(&drf_path).await;
    assert!(page.body.contains("Valable jusqu’au 28/02/2026"), "{}", page.body);
    assert_eq!(company.get("/").await.texts(".bell-count"), ["1"]);
    let made = company.post(&format!("{drf_path}/dossier"), &[]).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let dossier_id: i64 = made.location().split('/').nth(4).unwrap().parse().unwrap();
    // A DRF is used once.
    assert_eq!(company.post(&format!("{drf_path}/dossier"), &[]).await.status, StatusCode::CONFLICT);

    // The pre-filled draft is filed as it is.
    let edit = company.get(&format!("/entreprises/{}/dossiers/{dossier_id}/modifier", nord.id)).await;
    assert_eq!(edit.input_value("provider_nda").as_deref(), Some("31590000059"));
    let version = edit.input_value("version").unwrap();
    let mut form: Vec<(String, String)> = [
        "establishment",
        "scheme",
        "public",
        "title",
        "provider_name",
        "provider_siret",
        "provider_nda",
        "training_start",
        "training_end",
        "hours",
        "cost",
        "requested",
    ]
    .iter()
    .map(|f| {
        (
            f.to_string(),
            edit.input_value(f).unwrap_or_else(|| {
                if *f == "establishment" {
                    head.clone()
                } else if *f == "scheme" {
                    "CIPI".into()
                } else {
                    "temporary".into()
                }
            }),
        )
    })
    .collect();
    form.push(("trainees".into(), "Yasmine Benali".into()));
    form.push(("action".into(), "submit".into()));
    form.push(("version".into(), version));
    let form_ref: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let submitted = company.post(&format!("/entreprises/{}/dossiers/{dossier_id}/modifier", nord.id), &form_ref).await;
    assert_eq!(
        submitted.location(),
        format!("/entreprises/{}/dossiers/{dossier_id}?notice=dossier-depose", nord.id),
        "{}",
        submitted.body
    );

    // The case manager asks for more; the company answers; the case manager accepts.
    let view = case_manager.get(&format!("/gestion/dossiers/{dossier_id}")).await;
    let v = view.input_value("version").unwrap();
    let info = case_manager
        .post(
            &format!("/gestion/dossiers/{dossier_id}/decision"),
            &[
                ("decision", "info"),
                ("message", "Joindre le programme détaillé."),
                ("due_on", "2026-01-20"),
                ("version", &v),
            ],
        )
        .await;
    assert_eq!(info.status, StatusCode::SEE_OTHER, "{}", info.body);
    let page = company.get(&format!("/entreprises/{}/dossiers/{dossier_id}", nord.id)).await;
    assert!(
        page.body.contains("Un complément vous est demandé") && page.body.contains("Joindre le programme détaillé.")
    );
    let answered = company
        .post(
            &format!("/entreprises/{}/dossiers/{dossier_id}/repondre", nord.id),
            &[("message", "Programme envoyé ce jour.")],
        )
        .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER);
    let view = case_manager.get(&format!("/gestion/dossiers/{dossier_id}")).await;
    assert!(view.body.contains("Programme envoyé ce jour."), "the answer is on the timeline");
    let v = view.input_value("version").unwrap();
    let accepted = case_manager
        .post(
            &format!("/gestion/dossiers/{dossier_id}/decision"),
            &[("decision", "accept"), ("amount", "6 174,00"), ("version", &v)],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
    let page = company.get(&format!("/entreprises/{}/dossiers/{dossier_id}", nord.id)).await;
    assert!(page.body.contains("accepté"));
    for step in ["Dossier déposé", "Complément demandé", "Complément apporté", "Dossier accepté"] {
        assert!(page.body.contains(step), "{step} missing from the company's timeline");
    }
    assert!(page.body.contains("OPCO Démo"), "companies see the operator, not the case manager's name");
    let mails = app.mails().await;
    assert!(mails.is_empty() || mails.iter().all(|m| !m.subject.contains("Dossier")), "no e-mail unless asked for");
}

#[tokio::test]
async fn each_scheme_has_its_filing_rules() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    set_day(&app, 2026, 1, 10);
    let mut company = company_user(&app, &nord).await;
    let head = nord.head_office.to_string();
    let new = format!("/entreprises/{}/dossiers/nouveau", nord.id);
    let one = "Léa Moreau";

    // PDC-50: before the start.
    let ok = company
        .post(
            &new,
            &dossier_form(&head, "PDC50", "temporary", "2026-02-02", "2026-02-06", one, "submit", "31590000059"),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let started = company
        .post(
            &new,
            &dossier_form(&head, "PDC50", "temporary", "2026-01-08", "2026-01-09", one, "submit", "31590000059"),
        )
        .await;
    assert_eq!(started.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(started.texts("#training_start-error")[0].contains("avant le début"), "{}", started.body);
    // … unless kept as a draft: drafts are not judged on filing rules.
    let draft = company
        .post(&new, &dossier_form(&head, "PDC50", "temporary", "2026-01-08", "2026-01-09", "", "draft", "31590000059"))
        .await;
    assert_eq!(draft.status, StatusCode::SEE_OTHER);

    // CPNSST: started on 20 December, inside C3's window until 16 January.
    let cpnsst = company
        .post(
            &new,
            &dossier_form(&head, "CPNSST", "temporary", "2025-12-20", "2025-12-22", one, "submit", "31590000059"),
        )
        .await;
    assert_eq!(cpnsst.status, StatusCode::SEE_OTHER, "{}", cpnsst.body);

    // Contrat de professionnalisation: within 5 days of the start.
    let pro_ok = company
        .post(&new, &dossier_form(&head, "PRO", "permanent", "2026-01-05", "2026-12-18", one, "submit", "31590000059"))
        .await;
    assert_eq!(pro_ok.status, StatusCode::SEE_OTHER, "{}", pro_ok.body);
    let pro_late = company
        .post(&new, &dossier_form(&head, "PRO", "permanent", "2026-01-04", "2026-12-18", one, "submit", "31590000059"))
        .await;
    assert!(pro_late.texts("#training_start-error")[0].contains("5 jours"));

    // POEC: nothing to file, the page says who to contact.
    let poec = company
        .post(&new, &dossier_form(&head, "POEC", "temporary", "2026-02-02", "2026-02-06", one, "submit", "31590000059"))
        .await;
    assert_eq!(poec.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(poec.texts("#scheme-error")[0].contains("référent POEC"));

    // CIPI goes through a DRF.
    let cipi = company
        .post(&new, &dossier_form(&head, "CIPI", "temporary", "2026-02-02", "2026-02-06", one, "submit", "31590000059"))
        .await;
    assert!(cipi.texts("#scheme-error")[0].contains("réservation de fonds"));

    // PIC IAE is closed until a platform administrator records the agreement (C7).
    let closed = company
        .post(
            &new,
            &dossier_form(&head, "PICIAE", "temporary", "2026-02-02", "2026-02-06", one, "submit", "31590000059"),
        )
        .await;
    assert!(closed.texts("#scheme-error")[0].contains("C7"), "{}", closed.body);
    let mut admin = app.signed_in("admin@opco.fr", Role::PlatformAdmin).await;
    let recorded =
        admin.post("/gestion/regles/accord", &[("scheme", "PICIAE"), ("reference", "CONV-IAE-2026-01")]).await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER);
    assert!(admin.get("/gestion/regles").await.body.contains("CONV-IAE-2026-01"));
    let opened = company
        .post(
            &new,
            &dossier_form(&head, "PICIAE", "temporary", "2026-02-02", "2026-02-06", one, "submit", "31590000059"),
        )
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);

    // PDC-50 is for companies under 50 employees.
    let mut big = store::company::get_unscoped(&app.ctx.db, nord.id).await.unwrap().unwrap();
    big.headcount = Some(60);
    let input = store::company::CompanyInput {
        siren: big.siren.clone(),
        name: big.name.clone(),
        address: big.address.clone(),
        vat_subject: true,
        headcount: Some(60),
        branch: None,
        region: None,
    };
    store::company::update_profile(&app.ctx.db, nord.id, input, app.ctx.clock.now()).await.unwrap();
    let too_big = company
        .post(
            &new,
            &dossier_form(&head, "PDC50", "temporary", "2026-02-02", "2026-02-06", one, "submit", "31590000059"),
        )
        .await;
    assert!(too_big.texts("#scheme-error")[0].contains("moins de 50 salariés"), "{}", too_big.body);
}

#[tokio::test]
async fn bad_input_is_refused_field_by_field_and_31_trainees_point_to_duplication() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    set_day(&app, 2026, 1, 10);
    let mut company = company_user(&app, &nord).await;
    let head = nord.head_office.to_string();
    let new = format!("/entreprises/{}/dossiers/nouveau", nord.id);
    let thirty_one: String = (1..=31).map(|i| format!("Stagiaire{i} Nom{i}")).collect::<Vec<_>>().join("\n");
    let r = company
        .post(
            &new,
            &dossier_form(&head, "PDC50", "temporary", "2026-02-06", "2026-02-02", &thirty_one, "submit", "1234"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.texts("#trainees-error")[0].contains("Dupliquer"), "{}", r.body);
    assert!(r.texts("#training_end-error")[0].contains("antérieure"));
    assert!(r.texts("#provider_nda-error")[0].contains("11 chiffres"));
    assert_eq!(r.input_value("title").as_deref(), Some("Conduite de chariots élévateurs (CACES R489)"), "input kept");
    let staff = domain::scope::Scope::Staff { user_id: 0, role: Role::PlatformAdmin };
    assert!(store::dossier::list_for_company(&app.ctx.db, &staff, nord.id).await.unwrap().is_empty(), "nothing saved");

    // Thirty is fine; duplication makes a pre-filled draft for the rest.
    let thirty: String = (1..=30).map(|i| format!("Stagiaire{i} Nom{i}")).collect::<Vec<_>>().join("\n");
    let ok = company
        .post(
            &new,
            &dossier_form(&head, "PDC50", "temporary", "2026-02-02", "2026-02-06", &thirty, "submit", "31590000059"),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let id: i64 = ok.location().split('/').nth(4).unwrap().split('?').next().unwrap().parse().unwrap();
    let copy = company.post(&format!("/entreprises/{}/dossiers/{id}/dupliquer", nord.id), &[]).await;
    assert_eq!(copy.status, StatusCode::SEE_OTHER);
    let edit = company.get(copy.location()).await;
    assert_eq!(edit.input_value("title").as_deref(), Some("Conduite de chariots élévateurs (CACES R489)"));
    assert!(edit.body.contains("Stagiaire30 Nom30"));
}

#[tokio::test]
async fn an_expired_drf_cannot_be_used_and_the_expiry_job_tells_the_company() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    set_day(&app, 2026, 2, 1);
    let mut company = company_user(&app, &nord).await;
    let head = nord.head_office.to_string();
    let filed = company
        .post(&format!("/entreprises/{}/drf/nouvelle", nord.id), &drf_form(&head, "2026-03-02", "2026-05-29", "210"))
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let drf_path = filed.location().split('?').next().unwrap().to_owned();
    let mut case_manager = app.signed_in("gestionnaire@opco.fr", Role::CaseManager).await;
    let staff = domain::scope::Scope::Staff { user_id: 0, role: Role::CaseManager };
    let drf = store::drf::list_for_company(&app.ctx.db, &staff, nord.id).await.unwrap()[0].clone();
    case_manager
        .post(&format!("/gestion/drf/{}/decision", drf.id), &[("decision", "validate"), ("version", "0")])
        .await;
    // Validated on 1 February: 30 days, until 3 March.
    let drf = store::drf::get(&app.ctx.db, &staff, drf.id).await.unwrap().unwrap();
    assert_eq!(drf.valid_until, NaiveDate::from_ymd_opt(2026, 3, 3));

    set_day(&app, 2026, 3, 4);
    company.login("rh@interim-nord.fr", PASSWORD).await;
    let late = company.post(&format!("{drf_path}/dossier"), &[]).await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert!(late.body.contains("expiré le 03/03/2026") && late.body.contains("C4"), "{}", late.body);

    let worker = espace_app::worker::Worker::new(app.ctx.clone()).unwrap();
    worker.schedule_housekeeping().await;
    app.run_jobs().await;
    let drf = store::drf::get(&app.ctx.db, &staff, drf.id).await.unwrap().unwrap();
    assert_eq!(drf.status, "expired");
    assert!(company.get("/notifications").await.body.contains("expirée"));
}

#[tokio::test]
async fn two_case_managers_deciding_at_once_one_wins_and_the_other_is_told() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    set_day(&app, 2026, 1, 10);
    let mut company = company_user(&app, &nord).await;
    let head = nord.head_office.to_string();
    let ok = company
        .post(
            &format!("/entreprises/{}/dossiers/nouveau", nord.id),
            &dossier_form(
                &head,
                "PDC50",
                "temporary",
                "2026-02-02",
                "2026-02-06",
                "Léa Moreau",
                "submit",
                "31590000059",
            ),
        )
        .await;
    let id: i64 = ok.location().split('/').nth(4).unwrap().split('?').next().unwrap().parse().unwrap();
    let mut first = app.signed_in("g1@opco.fr", Role::CaseManager).await;
    let mut second = app.signed_in("g2@opco.fr", Role::CaseManager).await;
    let v1 = first.get(&format!("/gestion/dossiers/{id}")).await.input_value("version").unwrap();
    let v2 = second.get(&format!("/gestion/dossiers/{id}")).await.input_value("version").unwrap();
    let accept = first
        .post(
            &format!("/gestion/dossiers/{id}/decision"),
            &[
                ("decision", "accept"),
                ("amount", "2 000,00"),
                ("reason", "Plafond horaire de 57 €/h"),
                ("version", &v1),
            ],
        )
        .await;
    assert_eq!(accept.status, StatusCode::SEE_OTHER, "{}", accept.body);
    let refuse = second
        .post(
            &format!("/gestion/dossiers/{id}/decision"),
            &[("decision", "refuse"), ("reason", "Hors champ"), ("version", &v2)],
        )
        .await;
    assert_eq!(refuse.status, StatusCode::CONFLICT, "the dossier no longer awaits a decision");
    assert!(refuse.body.contains("n’attend plus de décision"), "{}", refuse.body);
    let staff = domain::scope::Scope::Staff { user_id: 0, role: Role::CaseManager };
    let dossier = store::dossier::get(&app.ctx.db, &staff, id).await.unwrap().unwrap();
    assert_eq!((dossier.status.as_str(), dossier.committed_cents), ("accepted", Some(200_000)));

    // A stale version on a still-open dossier is a 409 that changes nothing.
    let ok = company
        .post(
            &format!("/entreprises/{}/dossiers/nouveau", nord.id),
            &dossier_form(
                &head,
                "PDC50",
                "temporary",
                "2026-02-02",
                "2026-02-06",
                "Léa Moreau",
                "submit",
                "31590000059",
            ),
        )
        .await;
    let id: i64 = ok.location().split('/').nth(4).unwrap().split('?').next().unwrap().parse().unwrap();
    let stale = second
        .post(
            &format!("/gestion/dossiers/{id}/decision"),
            &[("decision", "refuse"), ("reason", "Hors champ"), ("version", "99")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.body.contains("Un autre gestionnaire"));
    // Decisions need a reason when less than asked, and case managers only.
    let v = second.get(&format!("/gestion/dossiers/{id}")).await.input_value("version").unwrap();
    let less = second
        .post(
            &format!("/gestion/dossiers/{id}/decision"),
            &[("decision", "accept"), ("amount", "100,00"), ("version", &v)],
        )
        .await;
    assert!(less.texts("#reason-error")[0].contains("inférieur"));
    let mut advisor = app.signed_in("conseiller@opco.fr", Role::Advisor).await;
    assert_eq!(
        advisor
            .post(
                &format!("/gestion/dossiers/{id}/decision"),
                &[("decision", "refuse"), ("reason", "x"), ("version", &v)]
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn an_overdue_information_request_is_reminded_once() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    set_day(&app, 2026, 1, 10);
    let mut company = company_user(&app, &nord).await;
    let head = nord.head_office.to_string();
    let ok = company
        .post(
            &format!("/entreprises/{}/dossiers/nouveau", nord.id),
            &dossier_form(
                &head,
                "PDC50",
                "temporary",
                "2026-02-02",
                "2026-02-06",
                "Léa Moreau",
                "submit",
                "31590000059",
            ),
        )
        .await;
    let id: i64 = ok.location().split('/').nth(4).unwrap().split('?').next().unwrap().parse().unwrap();
    let mut case_manager = app.signed_in("gestionnaire@opco.fr", Role::CaseManager).await;
    let v = case_manager.get(&format!("/gestion/dossiers/{id}")).await.input_value("version").unwrap();
    let past = case_manager
        .post(
            &format!("/gestion/dossiers/{id}/decision"),
            &[("decision", "info"), ("message", "Programme ?"), ("due_on", "2026-01-10"), ("version", &v)],
        )
        .await;
    assert!(past.texts("#due_on-error")[0].contains("postérieure"));
    case_manager
        .post(
            &format!("/gestion/dossiers/{id}/decision"),
            &[("decision", "info"), ("message", "Programme ?"), ("due_on", "2026-01-15"), ("version", &v)],
        )
        .await;

    set_day(&app, 2026, 1, 16);
    let worker = espace_app::worker::Worker::new(app.ctx.clone()).unwrap();
    for _ in 0..2 {
        worker.schedule_housekeeping().await;
        app.run_jobs().await;
    }
    let (notes, _) =
        store::notification::list(&app.ctx.db, app.user_id("rh@interim-nord.fr").await, 1, 50).await.unwrap();
    assert_eq!(notes.iter().filter(|n| n.kind == "dossier.reminder").count(), 1, "reminded once");
    company.login("rh@interim-nord.fr", PASSWORD).await;
    assert!(company.get(&format!("/entreprises/{}/dossiers/{id}", nord.id)).await.body.contains("Relance"));
}

#[tokio::test]
async fn dossiers_follow_habilitations_per_establishment_and_domain() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    set_day(&app, 2026, 1, 10);
    let mut admin = company_user(&app, &nord).await;
    let head = nord.head_office.to_string();
    let ok = admin
        .post(
            &format!("/entreprises/{}/dossiers/nouveau", nord.id),
            &dossier_form(
                &head,
                "PDC50",
                "temporary",
                "2026-02-02",
                "2026-02-06",
                "Léa Moreau",
                "submit",
                "31590000059",
            ),
        )
        .await;
    let id: i64 = ok.location().split('/').nth(4).unwrap().split('?').next().unwrap().parse().unwrap();

    // Work-study only, at the head office: no training dossier, no DRF.
    let mut alternance = app.signed_in("alternance@interim-nord.fr", Role::CompanyUser).await;
    let uid = app.user_id("alternance@interim-nord.fr").await;
    app.attach(uid, nord.id, Some(nord.head_office), false, &[Domain::WorkStudy]).await;
    assert_eq!(alternance.get(&format!("/entreprises/{}/dossiers/{id}", nord.id)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(alternance.get(&format!("/entreprises/{}/drf/nouvelle", nord.id)).await.status, StatusCode::FORBIDDEN);
    let list = alternance.get(&format!("/entreprises/{}/dossiers", nord.id)).await;
    assert!(!list.body.contains("CACES"), "the training dossier is not listed");
    let contract = alternance
        .post(
            &format!("/entreprises/{}/dossiers/nouveau", nord.id),
            &dossier_form(
                &head,
                "PDC50",
                "temporary",
                "2026-02-02",
                "2026-02-06",
                "Léa Moreau",
                "submit",
                "31590000059",
            ),
        )
        .await;
    assert!(contract.texts("#establishment-error")[0].contains("Dossiers formation"));

    // Training at the agency: not the head office's dossier.
    let mut agency = app.signed_in("agence@interim-nord.fr", Role::CompanyUser).await;
    let uid = app.user_id("agence@interim-nord.fr").await;
    app.attach(uid, nord.id, Some(nord.agency), false, &[Domain::Training]).await;
    assert_eq!(agency.get(&format!("/entreprises/{}/dossiers/{id}", nord.id)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        agency.post(&format!("/entreprises/{}/dossiers/{id}/dupliquer", nord.id), &[]).await.status,
        StatusCode::NOT_FOUND
    );
}

/// Files a CIPI DRF for `trainee`, has the case manager validate it and turns it into a draft
/// dossier; returns the draft's id.
async fn dossier_from_validated_drf(
    app: &TestApp,
    nord: &TestCompany,
    company: &mut TestClient,
    case_manager: &mut TestClient,
    trainee: &str,
) -> i64 {
    let head = nord.head_office.to_string();
    let mut form = drf_form(&head, "2026-03-02", "2026-05-29", "210");
    form.retain(|(k, _)| *k != "trainee_name");
    form.push(("trainee_name", trainee));
    let filed = company.post(&format!("/entreprises/{}/drf/nouvelle", nord.id), &form).await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let drf_path = filed.location().split('?').next().unwrap().to_owned();
    let staff = domain::scope::Scope::Staff { user_id: 0, role: Role::CaseManager };
    let drf = store::drf::list_for_company(&app.ctx.db, &staff, nord.id)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.trainee_name == trainee)
        .unwrap();
    let decided = case_manager
        .post(
            &format!("/gestion/drf/{}/decision", drf.id),
            &[("decision", "validate"), ("version", &drf.version.to_string())],
        )
        .await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.body);
    let made = company.post(&format!("{drf_path}/dossier"), &[]).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    made.location().split('/').nth(4).unwrap().parse().unwrap()
}

/// The draft's form as the browser would send it unchanged: every input, the selected option of
/// each list and the text areas.
fn unchanged_form(edit: &crate::support::TestResponse) -> Vec<(String, String)> {
    let html = edit.html();
    let mut form = Vec::new();
    let inputs = scraper::Selector::parse("input[name]").unwrap();
    for input in html.select(&inputs) {
        let kind = input.value().attr("type").unwrap_or("text");
        if matches!(kind, "checkbox" | "radio" | "submit" | "file") && input.value().attr("checked").is_none() {
            continue;
        }
        form.push((
            input.value().attr("name").unwrap().to_owned(),
            input.value().attr("value").unwrap_or("").to_owned(),
        ));
    }
    let selects = scraper::Selector::parse("select[name]").unwrap();
    let options = scraper::Selector::parse("option").unwrap();
    for select in html.select(&selects) {
        let all: Vec<_> = select.select(&options).collect();
        // A browser sends the selected option, or the first one.
        let chosen = all.iter().find(|o| o.value().attr("selected").is_some()).or(all.first());
        let value = chosen.and_then(|o| o.value().attr("value")).unwrap_or("");
        form.push((select.value().attr("name").unwrap().to_owned(), value.to_owned()));
    }
    let areas = scraper::Selector::parse("textarea[name]").unwrap();
    for area in html.select(&areas) {
        form.push((area.value().attr("name").unwrap().to_owned(), area.text().collect::<String>().trim().to_owned()));
    }
    form
}

fn with(form: &[(String, String)], changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> =
        form.iter().filter(|(k, _)| !changes.iter().any(|(c, _)| c == k)).cloned().collect();
    form.extend(changes.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    form
}

/// Issue 11, point 4 (SPEC C4): a dossier made from a validated CIPI DRF offers CIPI alone and,
/// filed unchanged, is a CIPI dossier paid by FPETT; it cannot change the scheme, the trainee, go
/// outside the dates or above the amount reserved, and is no longer filed once the DRF has
/// expired.
#[tokio::test]
async fn a_dossier_made_from_a_drf_keeps_what_was_reserved_while_the_drf_is_valid() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    set_day(&app, 2026, 2, 2);
    let mut company = company_user(&app, &nord).await;
    let mut case_manager = app.signed_in("gestionnaire@opco.fr", Role::CaseManager).await;
    let dossier = dossier_from_validated_drf(&app, &nord, &mut company, &mut case_manager, "Yasmine Benali").await;
    let edit_path = format!("/entreprises/{}/dossiers/{dossier}/modifier", nord.id);
    let edit = company.get(&edit_path).await;
    assert_eq!(edit.texts("select[name=scheme] option"), ["Contrat d’insertion professionnelle intérimaire (CIPI)"]);
    let form = with(&unchanged_form(&edit), &[("action", "submit")]);

    for (changes, field, says) in [
        (vec![("scheme", "PDC50")], "scheme", "il garde ce dispositif"),
        (vec![("trainees", "Léa Moreau")], "trainees", "a été accordée pour Yasmine Benali"),
        (vec![("trainees", "Yasmine Benali\nLéa Moreau")], "trainees", "en compte 1 au plus"),
        (vec![("training_end", "2026-06-05")], "training_start", "du 02/03/2026 au 29/05/2026"),
        (vec![("requested", "6 174,01")], "requested", "dépasse le montant réservé"),
    ] {
        let refused = company.post_owned(&edit_path, &with(&form, &changes)).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{changes:?}: {}", refused.body);
        assert!(refused.body.contains(says), "{changes:?}: {}", refused.body);
        assert!(refused.body.contains(&format!("id=\"{field}-error\"")), "{changes:?} names {field}: {}", refused.body);
    }
    // Less than reserved is fine; unchanged, it is filed as CIPI, paid by FPETT.
    let filed = company.post_owned(&edit_path, &with(&form, &[("requested", "6 000,00")])).await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let staff = domain::scope::Scope::Staff { user_id: 0, role: Role::CaseManager };
    let stored = store::dossier::get(&app.ctx.db, &staff, dossier).await.unwrap().unwrap();
    assert_eq!((stored.scheme.as_str(), stored.payer.as_str(), stored.public.as_str()), ("CIPI", "FPETT", "temporary"));
    assert_eq!(stored.requested_cents, 600_000);

    // Another DRF validated on 2 February is valid until 4 March: its draft saved later cannot
    // be filed.
    let late = dossier_from_validated_drf(&app, &nord, &mut company, &mut case_manager, "Léa Moreau").await;
    let late_path = format!("/entreprises/{}/dossiers/{late}/modifier", nord.id);
    let form = unchanged_form(&company.get(&late_path).await);
    set_day(&app, 2026, 3, 5);
    let mut company = app.client();
    assert_eq!(company.login("rh@interim-nord.fr", PASSWORD).await.status, StatusCode::SEE_OTHER);
    let refused = company.post_owned(&late_path, &with(&form, &[("action", "submit")])).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("a expiré le 04/03/2026"), "{}", refused.body);
    let stored = store::dossier::get(&app.ctx.db, &staff, late).await.unwrap().unwrap();
    assert_eq!(store::dossier::status(&stored), domain::dossier::DossierStatus::Draft);
}
