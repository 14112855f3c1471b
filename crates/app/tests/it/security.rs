//! Headers, CSRF, French error pages, the staff gate, and one person never reaching another's data.

use domain::Role;
use http::{Method, StatusCode};

use crate::support::{PASSWORD, TestApp};

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let mut browser = app.client();
    for path in ["/", "/connexion", "/page-qui-n-existe-pas", "/healthz"] {
        let r = browser.get(path).await;
        let h = |name: &str| r.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let csp = h("content-security-policy");
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(h("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(h("referrer-policy"), "same-origin", "{path}");
        assert!(!h("x-request-id").is_empty(), "{path}");
    }
    let page = browser.get("/connexion").await;
    assert!(page.body.starts_with("<!DOCTYPE html>\n<html lang=\"fr\">"));
    assert_eq!(page.texts("main#contenu h1").len(), 1);
    assert!(page.body.contains("href=\"#contenu\""), "skip link");
    assert!(!page.body.contains("<script>") && !page.body.contains(" style=\""), "nothing inline");
}

#[tokio::test]
async fn a_post_from_a_foreign_origin_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let mut victim = app.signed_in("marie@exemple.fr", Role::CompanyUser).await;
    victim.origin = Some("https://site-malveillant.example".into());
    let forged = victim.post("/compte/jetons", &[("name", "vol"), ("validity", "30")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.body.contains("envoyée depuis un autre site"), "{}", forged.body);
    let logout = victim.post("/deconnexion", &[]).await;
    assert_eq!(logout.status, StatusCode::FORBIDDEN);
    victim.origin = None;
    assert_eq!(victim.get("/compte").await.status, StatusCode::OK, "still signed in");
    assert!(store::api_token::list_for_user(&app.ctx.db, 1).await.unwrap().is_empty());

    // The same form from the portal's own origin works.
    victim.origin = Some("http://portail.test".into());
    let ok = victim.post("/compte/jetons", &[("name", "Export paie"), ("validity", "30")]).await;
    assert_eq!(ok.status, StatusCode::CREATED);

    // Sec-Fetch-Site alone is enough to refuse.
    victim.origin = None;
    let cross = victim
        .send(
            Method::POST,
            "/deconnexion",
            Some(("application/x-www-form-urlencoded", String::new())),
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn errors_are_french_pages_or_json_with_the_right_status() {
    let app = TestApp::spawn().await;
    let mut browser = app.client();
    let missing = browser.get("/nulle-part").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.texts("h1"), ["Page introuvable"]);

    let wrong_method = browser.send(Method::DELETE, "/connexion", None, &[]).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.texts("h1"), ["Action non permise"]);

    let api_missing = browser.get("/api/v1/rien").await;
    assert_eq!(api_missing.status, StatusCode::NOT_FOUND);
    assert_eq!(api_missing.json()["error"]["code"], "not_found");

    let bad_type = browser.send(Method::POST, "/connexion", Some(("application/json", "{}".into())), &[]).await;
    assert_eq!(bad_type.status, StatusCode::BAD_REQUEST);
    assert!(bad_type.body.contains("application/x-www-form-urlencoded"), "{}", bad_type.body);

    let bad_id =
        app.signed_in("marie@exemple.fr", Role::CompanyUser).await.post("/compte/sessions/abc/fermer", &[]).await;
    assert_eq!(bad_id.status, StatusCode::BAD_REQUEST);
    assert!(bad_id.body.contains("La requête est incorrecte"), "{}", bad_id.body);
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let app = TestApp::spawn_with(|c| c.body_limit_kib = 1).await;
    let mut browser = app.client();
    let big = "x".repeat(4096);
    let r = browser.post("/connexion", &[("email", &big), ("password", "y")]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.body.contains("trop volumineux"), "{}", r.body);
}

#[tokio::test]
async fn the_back_office_is_for_staff_only() {
    let app = TestApp::spawn().await;
    let mut anonymous = app.client();
    let r = anonymous.get("/gestion").await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/connexion?suite=%2Fgestion"));

    let mut company = app.signed_in("rh@interim.fr", Role::CompanyUser).await;
    for path in ["/gestion", "/gestion/journal"] {
        let r = company.get(path).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(r.texts("h1"), ["Accès refusé"]);
    }
    assert!(!company.get("/").await.body.contains("href=\"/gestion\""), "no back-office link for companies");

    let mut advisor = app.signed_in("conseiller@opco.fr", Role::Advisor).await;
    let home = advisor.get("/gestion").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Conseiller"));
    assert_eq!(
        advisor.get("/gestion/journal").await.status,
        StatusCode::FORBIDDEN,
        "the audit log is for platform admins"
    );

    let mut case_manager = app.client();
    app.account("gestionnaire@opco.fr", PASSWORD, Role::CaseManager).await;
    let landed = case_manager.login("gestionnaire@opco.fr", PASSWORD).await;
    assert_eq!(landed.location(), "/gestion", "staff land in the back-office");

    let mut admin = app.signed_in("admin@opco.fr", Role::PlatformAdmin).await;
    let journal = admin.get("/gestion/journal?action=auth.").await;
    assert_eq!(journal.status, StatusCode::OK);
    let actions = journal.texts("tbody td:nth-child(3)");
    assert!(!actions.is_empty() && actions.iter().all(|a| a.starts_with("auth.")), "{actions:?}");
    assert!(journal.body.contains("rh@interim.fr"), "who did it is shown");
}

#[tokio::test]
async fn one_person_never_reaches_another_persons_data() {
    let app = TestApp::spawn().await;
    let mut marie = app.signed_in("marie@entreprise-a.fr", Role::CompanyUser).await;
    let created = marie.post("/compte/jetons", &[("name", "Export A"), ("validity", "90")]).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let token_id = store::api_token::list_for_user(&app.ctx.db, 1).await.unwrap()[0].id;
    let marie_session = store::session::list_for_user(&app.ctx.db, 1).await.unwrap()[0].id;

    let mut paul = app.signed_in("paul@entreprise-b.fr", Role::CompanyUser).await;
    for path in ["/", "/compte", "/compte/sessions", "/compte/jetons"] {
        let page = paul.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(!page.body.contains("marie@") && !page.body.contains("Export A"), "{path} shows Marie's data");
    }
    assert_eq!(paul.post(&format!("/compte/jetons/{token_id}/revoquer"), &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(paul.post(&format!("/compte/sessions/{marie_session}/fermer"), &[]).await.status, StatusCode::NOT_FOUND);
    let tokens = store::api_token::list_for_user(&app.ctx.db, 1).await.unwrap();
    assert!(tokens[0].revoked_at.is_none(), "Marie's token is untouched");
    assert_eq!(marie.get("/compte").await.status, StatusCode::OK, "Marie's session is untouched");
}

/// Every page of the router, as a visitor, a company user and a staff member: who gets what.
#[tokio::test]
async fn every_page_answers_each_kind_of_visitor_as_expected() {
    use StatusCode as S;
    let app = TestApp::spawn().await;
    let mut visitor = app.client();
    let mut company = app.signed_in("rh@interim.fr", Role::CompanyUser).await;
    let mut staff = app.signed_in("admin@opco.fr", Role::PlatformAdmin).await;
    let login = S::SEE_OTHER;
    // path, visitor, company user, platform admin
    let table: &[(&str, S, S, S)] = &[
        ("/", S::OK, S::OK, S::SEE_OTHER),
        ("/connexion", S::OK, S::SEE_OTHER, S::SEE_OTHER),
        ("/inscription", S::OK, S::SEE_OTHER, S::SEE_OTHER),
        ("/inscription/confirmation", S::OK, S::OK, S::OK),
        ("/inscription/renvoyer", S::OK, S::OK, S::OK),
        ("/inscription/verifier?jeton=x", S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND),
        ("/mot-de-passe-oublie", S::OK, S::OK, S::OK),
        ("/mot-de-passe-oublie/envoye", S::OK, S::OK, S::OK),
        ("/reinitialisation?jeton=x", S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND),
        ("/compte", login, S::OK, S::OK),
        ("/compte/mot-de-passe", login, S::OK, S::OK),
        ("/compte/sessions", login, S::OK, S::OK),
        ("/compte/jetons", login, S::OK, S::OK),
        ("/gestion", login, S::FORBIDDEN, S::OK),
        ("/gestion/journal", login, S::FORBIDDEN, S::OK),
        ("/healthz", S::OK, S::OK, S::OK),
        ("/static/app.css", S::OK, S::OK, S::OK),
        ("/static/logo.svg", S::OK, S::OK, S::OK),
        ("/static/inconnu.js", S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND),
        ("/api/openapi.json", S::OK, S::OK, S::OK),
        ("/api/v1/me", S::UNAUTHORIZED, S::UNAUTHORIZED, S::UNAUTHORIZED),
        ("/api/v1/tokens", S::UNAUTHORIZED, S::UNAUTHORIZED, S::UNAUTHORIZED),
    ];
    for (path, as_visitor, as_company, as_staff) in table {
        for (who, client, expected) in [
            ("visitor", &mut visitor, as_visitor),
            ("company", &mut company, as_company),
            ("staff", &mut staff, as_staff),
        ] {
            let r = client.get(path).await;
            assert_eq!(r.status, *expected, "{who} GET {path}");
            if r.status.is_client_error() && !path.starts_with("/api/") {
                assert!(r.body.contains("lang=\"fr\""), "{who} GET {path}: French error page");
            }
        }
    }
    let css = visitor.get("/static/app.css").await;
    assert_eq!(css.headers.get("content-type").unwrap(), "text/css; charset=utf-8");
    assert!(css.headers.get("cache-control").unwrap().to_str().unwrap().contains("max-age"));
    // Pages with personal data are never cached.
    assert_eq!(company.get("/compte").await.headers.get("cache-control").unwrap(), "no-store");
}

#[tokio::test]
async fn closing_every_other_session_keeps_this_one() {
    let app = TestApp::spawn().await;
    let mut desk = app.signed_in("marie@exemple.fr", Role::CompanyUser).await;
    let mut phone = app.client();
    phone.login("marie@exemple.fr", PASSWORD).await;
    let mut tablet = app.client();
    tablet.login("marie@exemple.fr", PASSWORD).await;
    let mut paul = app.signed_in("paul@autre.fr", Role::CompanyUser).await;

    let r = desk.post("/compte/sessions/fermer-autres", &[]).await;
    assert_eq!(r.location(), "/compte/sessions?notice=sessions-fermees");
    assert_eq!(desk.get("/compte").await.status, StatusCode::OK);
    assert_eq!(phone.get("/compte").await.status, StatusCode::SEE_OTHER);
    assert_eq!(tablet.get("/compte").await.status, StatusCode::SEE_OTHER);
    assert_eq!(paul.get("/compte").await.status, StatusCode::OK, "another person's sessions are untouched");
    assert!(app.audit_actions().await.contains(&"session.revoked_others".to_owned()));
}
