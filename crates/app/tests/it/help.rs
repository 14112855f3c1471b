//! The help centre (SPEC I2): the FAQ shipped from the seed, searched without caring for accents
//! or case, each answer linkable; guides; editing and publishing for platform admins only.

use domain::Role;
use http::StatusCode;

use crate::support::TestApp;

#[tokio::test]
async fn visitors_search_the_faq_without_caring_for_accents_case_or_odd_characters() {
    let app = TestApp::spawn().await;
    let mut visitor = app.client();
    let page = visitor.get("/aide").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Facturation et pro forma") && page.body.contains("Guide de connexion"),
        "{}",
        page.body
    );
    let entries = store::help::all(&app.ctx.db).await.unwrap();
    assert!(entries.len() >= 28, "the seed's questions are shipped: {}", entries.len());

    for query in ["facture", "FACTURE", "factures", "Facturation"] {
        let found = visitor.get(&format!("/aide?q={query}")).await;
        let links = found.texts("#resultats ~ ul a");
        assert!(!links.is_empty(), "{query}: {}", found.body);
    }
    let proforma = visitor.get("/aide?q=facture%20proforma").await;
    let links = proforma.texts("#resultats ~ ul a");
    assert!(
        links.iter().any(|l| l.to_lowercase().contains("pro forma") || l.to_lowercase().contains("proforma")),
        "{links:?}"
    );
    let accents = visitor.get("/aide?q=cr%C3%A9er%20compte").await;
    let plain = visitor.get("/aide?q=CREER%20COMPTE").await;
    assert_eq!(accents.texts("#resultats ~ ul a"), plain.texts("#resultats ~ ul a"));
    assert!(!plain.texts("#resultats ~ ul a").is_empty());

    for odd in ["%22%27", "%25", "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "%5C", "'%20OR%201%3D1%20--"] {
        let page = visitor.get(&format!("/aide?q={odd}")).await;
        assert_eq!(page.status, StatusCode::OK, "{odd}");
        assert!(!page.body.contains("<script>alert(1)"), "nothing injected: {odd}");
    }
    // A NUL byte is refused like in every other field of the portal (issue 12 point 9).
    let nul = visitor.get("/aide?q=%5C%00").await;
    assert_eq!(nul.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(nul.body.contains("« q »"), "{}", nul.body);

    // Each answer has its own address, with its date of update.
    let first = &entries[0];
    let answer = visitor.get(&format!("/aide/faq/{}", first.slug)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.texts("main h1"), vec![first.question.clone()]);
    assert!(answer.body.contains("mise à jour le"), "{}", answer.body);
    assert_eq!(visitor.get("/aide/faq/inconnue").await.status, StatusCode::NOT_FOUND);

    // The guides, and where they are offered.
    for guide in ["connexion", "creation-de-compte", "remboursement-et-proforma"] {
        let page = visitor.get(&format!("/aide/guides/{guide}")).await;
        assert_eq!(page.status, StatusCode::OK, "{guide}");
    }
    let (status, pdf) = visitor.get_bytes("/aide/guides/remboursement-et-proforma/guide.pdf").await;
    assert_eq!(status, StatusCode::OK);
    let text = crate::support::pdf_pages(&pdf).join("\n");
    assert!(text.contains("pro forma") || text.contains("proforma"), "{text}");
    let login = visitor.get("/connexion").await;
    assert!(login.body.contains("/aide/guides/connexion") && login.body.contains("/aide/guides/creation-de-compte"));
}

fn as_pairs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[tokio::test]
async fn only_platform_admins_edit_publish_and_unpublish_the_faq() {
    let app = TestApp::spawn().await;
    let entry = store::help::by_slug(&app.ctx.db, "subrogation-de-paiement").await.unwrap().expect("a shipped entry");
    let path = format!("/gestion/aide/{}", entry.slug);
    let form = |question: &str, published: bool| {
        let mut f = vec![
            ("theme".to_owned(), entry.theme.clone()),
            ("question".to_owned(), question.to_owned()),
            (
                "answer".to_owned(),
                "Oui, pour les dispositifs qui le permettent : **l’organisme** est payé directement.".to_owned(),
            ),
            ("position".to_owned(), "5".to_owned()),
            ("version".to_owned(), entry.version.to_string()),
        ];
        if published {
            f.push(("published".to_owned(), "on".to_owned()));
        }
        f
    };

    let mut company = app.signed_in("rh@interim-nord.fr", Role::CompanyUser).await;
    assert_eq!(company.get(&path).await.status, StatusCode::FORBIDDEN);
    let mut manager = app.signed_in("gestion@opco.fr", Role::CaseManager).await;
    assert_eq!(manager.get("/gestion/aide").await.status, StatusCode::OK);
    let refused = manager.post(&path, &as_pairs(&form("Volée ?", false))).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(store::help::by_slug(&app.ctx.db, &entry.slug).await.unwrap().unwrap(), entry, "nothing changed");

    let mut admin = app.signed_in("admin@opco.fr", Role::PlatformAdmin).await;
    let empty = admin.post(&path, &as_pairs(&form("  ", true))).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.texts("#question-error")[0].contains("Saisissez la question"), "{}", empty.body);
    let mut bad_theme = form("Qui est payé ?", true);
    bad_theme[0].1 = "inconnu".into();
    assert!(admin.post(&path, &as_pairs(&bad_theme)).await.texts("#theme-error")[0].contains("thème"));

    // Unpublished: gone from the public help and its search.
    app.advance(chrono::Duration::hours(1));
    let saved = admin.post(&path, &as_pairs(&form("Qui est payé en cas de subrogation ?", false))).await;
    assert_eq!(saved.location(), "/gestion/aide?notice=aide");
    let mut visitor = app.client();
    assert_eq!(visitor.get(&format!("/aide/faq/{}", entry.slug)).await.status, StatusCode::NOT_FOUND);
    assert!(!visitor.get("/aide?q=subrogation").await.body.contains("Qui est payé en cas de subrogation"));
    // A stale form is refused rather than overwriting the newer version.
    let stale = admin.post(&path, &as_pairs(&form("Ancienne version", true))).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);

    // Published again: shown with its new date; Markdown rendered, never raw HTML.
    let mut again = form("Qui est payé en cas de subrogation ?", true);
    again[4].1 = (entry.version + 1).to_string();
    again[2].1 = "L’**organisme** est payé. <script>alert(1)</script>".into();
    assert_eq!(admin.post(&path, &as_pairs(&again)).await.status, StatusCode::SEE_OTHER);
    let page = visitor.get(&format!("/aide/faq/{}", entry.slug)).await;
    assert!(page.body.contains("<strong>organisme</strong>") && !page.body.contains("<script>alert"), "{}", page.body);
    assert!(page.body.contains("05/01/2026"), "the date of the edit: {}", page.body);
    assert!(app.audit_actions().await.contains(&"help.entry_edited".to_owned()));
}

/// A company of `branch` in `region` with its administrator `email`.
async fn company_in(app: &TestApp, siren: &str, name: &str, branch: &str, region: &str, email: &str) -> i64 {
    let input = store::company::CompanyInput {
        siren: domain::Siren::parse(siren).unwrap(),
        name: name.into(),
        address: store::company::Address {
            street: "1 rue du Port".into(),
            complement: None,
            postal_code: "59000".into(),
            city: "Lille".into(),
        },
        vat_subject: true,
        headcount: Some(20),
        branch: Some(branch.into()),
        region: Some(region.into()),
    };
    let company = store::company::create(&app.ctx.db, input, app.ctx.clock.now()).await.unwrap();
    app.account(email, crate::support::PASSWORD, Role::CompanyUser).await;
    let user = app.user_id(email).await;
    app.attach(user, company.id, None, true, &domain::habilitation::Domain::ALL).await;
    company.id
}

#[tokio::test]
async fn announcements_reach_only_the_branch_and_region_they_target_until_dismissed() {
    let app = TestApp::spawn().await;
    company_in(&app, "732829320", "Intérim Nord", "TRAVAIL TEMPORAIRE", "Hauts-de-France", "nord@interim.fr").await;
    company_in(&app, "552100554", "Intérim Ouest", "Travail temporaire", "Bretagne", "ouest@interim.fr").await;
    company_in(
        &app,
        "443061841",
        "Quincaillerie Lilloise",
        "Commerce de gros et quincaillerie",
        "Hauts-de-France",
        "quinca@exemple.fr",
    )
    .await;

    // Only platform admins publish; bad input is refused field by field.
    let mut manager = app.signed_in("gestion@opco.fr", Role::CaseManager).await;
    let form =
        |title: &'static str, branch: &'static str, region: &'static str, start: &'static str, end: &'static str| {
            let mut f = vec![
                ("title", title),
                ("body", "Rendez-vous le **12 janvier** à Lille."),
                ("starts_on", start),
                ("ends_on", end),
            ];
            if !branch.is_empty() {
                f.push(("branches", branch));
            }
            if !region.is_empty() {
                f.push(("regions", region));
            }
            f
        };
    let nord_form =
        form("Réunion des agences du Nord", "Travail temporaire", "Hauts-de-France", "2026-01-05", "2026-01-31");
    assert_eq!(manager.post("/gestion/annonces", &nord_form).await.status, StatusCode::FORBIDDEN);
    let mut admin = app.signed_in("admin@opco.fr", Role::PlatformAdmin).await;
    let untargeted = admin.post("/gestion/annonces", &form("Pour tous", "", "", "2026-01-05", "2026-01-31")).await;
    assert_eq!(untargeted.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        untargeted.texts("#branches-error")[0].contains("au moins une branche ou une région"),
        "{}",
        untargeted.body
    );
    let backwards = admin
        .post("/gestion/annonces", &form("À l’envers", "Travail temporaire", "", "2026-01-31", "2026-01-05"))
        .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(backwards.texts("#ends_on-error")[0].contains("précède"), "{}", backwards.body);
    assert!(store::announcement::all(&app.ctx.db).await.unwrap().is_empty());
    assert_eq!(admin.post("/gestion/annonces", &nord_form).await.location(), "/gestion/annonces?notice=annonce");
    let later = form("Bienvenue aux négoces", "Commerce de gros et quincaillerie", "", "2026-02-01", "2026-02-28");
    assert_eq!(admin.post("/gestion/annonces", &later).await.status, StatusCode::SEE_OTHER);

    // The temp-work company of Hauts-de-France sees it; Brittany and the hardware trade do not.
    let mut nord = app.client();
    nord.login("nord@interim.fr", crate::support::PASSWORD).await;
    let home = nord.get("/").await;
    assert!(
        home.body.contains("Réunion des agences du Nord") && home.body.contains("<strong>12 janvier</strong>"),
        "{}",
        home.body
    );
    assert!(!home.body.contains("Bienvenue aux négoces"), "not yet, and not for this branch");
    for email in ["ouest@interim.fr", "quinca@exemple.fr"] {
        let mut other = app.client();
        other.login(email, crate::support::PASSWORD).await;
        assert!(!other.get("/").await.body.contains("Réunion des agences du Nord"), "{email}");
    }

    // Dismissed, it is gone for her only; another's announcement cannot be dismissed.
    let id = store::announcement::all(&app.ctx.db)
        .await
        .unwrap()
        .iter()
        .find(|a| a.title.starts_with("Réunion"))
        .unwrap()
        .id;
    let mut ouest = app.client();
    ouest.login("ouest@interim.fr", crate::support::PASSWORD).await;
    assert_eq!(ouest.post(&format!("/annonces/{id}/masquer"), &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(nord.post(&format!("/annonces/{id}/masquer"), &[]).await.location(), "/");
    assert!(!nord.get("/").await.body.contains("Réunion des agences du Nord"));

    // A visitor sees it by saying their branch and region.
    let mut visitor = app.client();
    let page = visitor.get("/aide?branche=Travail%20temporaire&region=Hauts-de-France").await;
    assert!(page.body.contains("Réunion des agences du Nord"), "{}", page.body);
    let page = visitor.get("/aide?branche=Travail%20temporaire&region=Bretagne").await;
    assert!(!page.body.contains("Réunion des agences du Nord"));

    // In February, the hardware trade's welcome shows to the hardware trade only.
    app.clock.set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 2, 2, 9, 0, 0).unwrap());
    let mut quinca = app.client();
    quinca.login("quinca@exemple.fr", crate::support::PASSWORD).await;
    assert!(quinca.get("/").await.body.contains("Bienvenue aux négoces"));
    let mut nord = app.client();
    nord.login("nord@interim.fr", crate::support::PASSWORD).await;
    assert!(!nord.get("/").await.body.contains("Bienvenue aux négoces"));
    assert!(!nord.get("/").await.body.contains("Réunion des agences du Nord"), "ended on 31 January");
}

#[tokio::test]
async fn staff_assign_a_company_its_contacts_which_it_sees_on_its_page_in_the_help_and_for_poec() {
    let app = TestApp::spawn().await;
    let nord = app.company_nord().await;
    let company_id = nord.id;
    app.account("rh@interim-nord.fr", crate::support::PASSWORD, Role::CompanyUser).await;
    let rh = app.user_id("rh@interim-nord.fr").await;
    app.attach(rh, nord.id, None, true, &domain::habilitation::Domain::ALL).await;
    let btp = app.company_btp().await;
    let mut advisor = app.signed_in("julien@opco.fr", Role::Advisor).await;
    let julien = app.user_id("julien@opco.fr").await;
    let mut manager = app.signed_in("sophie@opco.fr", Role::CaseManager).await;
    let sophie = app.user_id("sophie@opco.fr").await;
    let path = format!("/gestion/entreprises/{company_id}/contacts");
    let (julien_id, sophie_id) = (julien.to_string(), sophie.to_string());
    let body = [
        ("advisor", julien_id.as_str()),
        ("case_manager", sophie_id.as_str()),
        ("poec_referent", "Marie Lefèvre — 03 20 00 00 00"),
    ];

    // Case managers do not assign contacts; a case manager is not an advisor.
    assert_eq!(manager.post(&path, &body).await.status, StatusCode::FORBIDDEN);
    let swapped = [("advisor", sophie_id.as_str()), ("case_manager", julien_id.as_str()), ("poec_referent", "")];
    let refused = advisor.post(&path, &swapped).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("Choisissez le conseiller"), "{}", refused.body);
    assert!(store::contact::get(&app.ctx.db, company_id).await.unwrap().is_empty());
    assert_eq!(
        advisor.post(&path, &body).await.location(),
        format!("/gestion/entreprises/{company_id}?notice=contacts")
    );

    let mut rh_client = app.client();
    rh_client.login("rh@interim-nord.fr", crate::support::PASSWORD).await;
    let page = rh_client.get(&format!("/entreprises/{company_id}")).await;
    assert!(page.body.contains("Votre conseiller") && page.body.contains("julien@opco.fr"), "{}", page.body);
    assert!(page.body.contains("Votre gestionnaire") && page.body.contains("sophie@opco.fr"));
    let help = rh_client.get("/aide").await;
    assert!(help.body.contains("Marie Lefèvre — 03 20 00 00 00"), "{}", help.body);
    let poec = rh_client.get(&format!("/entreprises/{company_id}/dossiers/nouveau?dispositif=POEC")).await;
    assert!(poec.body.contains("Votre référent POEC"), "{}", poec.body);

    // Another company sees none of them.
    app.account("rh@btp.fr", crate::support::PASSWORD, Role::CompanyUser).await;
    let other = app.user_id("rh@btp.fr").await;
    app.attach(other, btp.id, None, true, &domain::habilitation::Domain::ALL).await;
    let mut btp_client = app.client();
    btp_client.login("rh@btp.fr", crate::support::PASSWORD).await;
    assert!(!btp_client.get("/aide").await.body.contains("Marie Lefèvre"));
    assert!(!btp_client.get(&format!("/entreprises/{}", btp.id)).await.body.contains("julien@opco.fr"));
}
