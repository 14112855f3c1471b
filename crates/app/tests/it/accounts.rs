//! Registration, e-mail verification, sign-in and out, password reset and change, sessions.

use chrono::Duration;
use domain::Role;
use http::StatusCode;

use crate::support::{PASSWORD, TestApp};

async fn register(
    client: &mut crate::support::TestClient,
    email: &str,
    password: &str,
) -> crate::support::TestResponse {
    client
        .post(
            "/inscription",
            &[
                ("given_name", "Camille"),
                ("family_name", "Martin"),
                ("email", email),
                ("password", password),
                ("password_confirm", password),
            ],
        )
        .await
}

#[tokio::test]
async fn a_person_registers_verifies_signs_in_sees_who_they_are_and_signs_out() {
    let app = TestApp::spawn().await;
    let mut browser = app.client();

    let form = browser.get("/inscription").await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(form.texts("h1"), ["Créer un compte"]);

    let sent = register(&mut browser, "Camille.Martin@Interim-Ouest.fr", PASSWORD).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert_eq!(sent.location(), "/inscription/confirmation");

    // Not verified yet: the right password is not enough.
    let early = browser.login("camille.martin@interim-ouest.fr", PASSWORD).await;
    assert_eq!(early.status, StatusCode::FORBIDDEN);
    assert!(early.body.contains("pas encore activé"), "{}", early.body);

    let mail = app.last_mail_to("camille.martin@interim-ouest.fr").await;
    assert!(mail.subject.starts_with("Confirmez votre adresse e-mail"), "{}", mail.subject);
    assert!(mail.html.contains("Confirmer mon adresse e-mail"));
    let link = mail.link("http://portail.test/inscription/verifier?jeton=");
    let path = link.trim_start_matches("http://portail.test");

    let verified = browser.get(path).await;
    assert_eq!(verified.status, StatusCode::OK);
    assert_eq!(verified.texts("h1"), ["Adresse e-mail confirmée"]);
    // The link is single-use, but following it again says the address is confirmed.
    let again = browser.get(path).await;
    assert_eq!(again.texts("h1"), ["Adresse e-mail déjà confirmée"]);

    let signed_in = browser.login("CAMILLE.MARTIN@interim-ouest.fr ", PASSWORD).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "{}", signed_in.body);
    assert_eq!(signed_in.location(), "/");
    let cookie = browser.session_cookie().cloned().expect("a session cookie");
    let set_cookie =
        signed_in.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>();
    let session_header = set_cookie.iter().find(|c| c.starts_with("ef_session=")).expect("session cookie set");
    assert!(session_header.contains("HttpOnly") && session_header.contains("SameSite=Lax"), "{session_header}");

    let dashboard = browser.get("/").await;
    assert_eq!(dashboard.texts("h1"), ["Bonjour Camille Martin"]);
    let profile = browser.get("/compte").await;
    assert_eq!(profile.status, StatusCode::OK);
    assert!(profile.body.contains("camille.martin@interim-ouest.fr"));
    assert!(profile.body.contains("Utilisateur entreprise"));

    let out = browser.post("/deconnexion", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), "/connexion?notice=deconnecte");
    assert!(browser.session_cookie().is_none());

    // The old cookie is dead on the server too.
    let mut thief = app.client();
    thief.cookies.insert("ef_session".into(), cookie);
    let replay = thief.get("/compte").await;
    assert_eq!(replay.status, StatusCode::SEE_OTHER);
    assert_eq!(replay.location(), "/connexion?suite=%2Fcompte");

    let actions = app.audit_actions().await;
    for expected in ["account.registered", "account.email_verified", "auth.signed_in", "auth.signed_out"] {
        assert!(actions.iter().any(|a| a == expected), "{expected} missing from {actions:?}");
    }
}

#[tokio::test]
async fn registration_errors_are_french_name_the_field_keep_the_input_and_save_nothing() {
    let app = TestApp::spawn().await;
    let mut browser = app.client();
    let response = browser
        .post(
            "/inscription",
            &[
                ("given_name", "  "),
                ("family_name", "Martin"),
                ("email", "camille@exemple"),
                ("password", "court"),
                ("password_confirm", "court"),
            ],
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    let summary = response.texts("#erreurs li");
    assert_eq!(summary.len(), 3, "{summary:?}");
    assert!(summary[0].contains("prénom"));
    assert!(summary[1].contains("adresse e-mail"));
    assert!(summary[2].contains("au moins 12 caractères"));
    assert_eq!(response.texts("#given_name-error"), ["Erreur : Saisissez votre prénom."]);
    assert_eq!(response.input_value("family_name").as_deref(), Some("Martin"));
    assert_eq!(response.input_value("email").as_deref(), Some("camille@exemple"));
    assert_eq!(response.input_value("password").as_deref(), Some(""), "passwords are never sent back");

    let common = register(&mut browser, "camille@exemple.fr", "motdepasse123").await;
    assert_eq!(common.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(common.texts("#password-error")[0].contains("trop courant"));

    let mismatch = browser
        .post(
            "/inscription",
            &[
                ("given_name", "Camille"),
                ("family_name", "Martin"),
                ("email", "camille@exemple.fr"),
                ("password", PASSWORD),
                ("password_confirm", "autre chose"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(mismatch.texts("#password_confirm-error"), ["Erreur : Les deux mots de passe ne sont pas identiques."]);

    assert_eq!(store::account::count(&app.ctx.db).await.unwrap(), 0);
    assert!(app.mails().await.is_empty());
}

#[tokio::test]
async fn registering_a_known_address_answers_the_same_and_warns_its_owner() {
    let app = TestApp::spawn().await;
    app.account("marie@exemple.fr", PASSWORD, Role::CompanyUser).await;
    let mut stranger = app.client();
    let response = register(&mut stranger, "MARIE@exemple.fr", "une autre phrase de passe longue").await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert_eq!(response.location(), "/inscription/confirmation");
    assert_eq!(store::account::count(&app.ctx.db).await.unwrap(), 1);
    let mail = app.last_mail_to("marie@exemple.fr").await;
    assert!(mail.subject.starts_with("Vous avez déjà un compte"), "{}", mail.subject);
    // The owner's password still works.
    let mut owner = app.client();
    assert_eq!(owner.login("marie@exemple.fr", PASSWORD).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn verification_links_expire_and_can_be_sent_again() {
    let app = TestApp::spawn().await;
    let mut browser = app.client();
    register(&mut browser, "camille@exemple.fr", PASSWORD).await;
    let first = app.last_mail_to("camille@exemple.fr").await.link("http://portail.test/");
    app.advance(Duration::hours(73));
    let expired = browser.get(first.trim_start_matches("http://portail.test")).await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert_eq!(expired.texts("h1"), ["Ce lien a expiré"]);

    let resent = browser.post("/inscription/renvoyer", &[("email", "camille@exemple.fr")]).await;
    assert_eq!(resent.location(), "/inscription/confirmation");
    // Unknown addresses get the same answer and no mail.
    let unknown = browser.post("/inscription/renvoyer", &[("email", "personne@exemple.fr")]).await;
    assert_eq!(unknown.location(), "/inscription/confirmation");
    let mails = app.mails().await;
    assert_eq!(mails.len(), 2);
    let second = mails[1].link("http://portail.test/");
    assert_ne!(first, second);
    let ok = browser.get(second.trim_start_matches("http://portail.test")).await;
    assert_eq!(ok.status, StatusCode::OK);

    let bogus = browser.get("/inscription/verifier?jeton=nimportequoi").await;
    assert_eq!(bogus.status, StatusCode::NOT_FOUND);
    assert_eq!(bogus.texts("h1"), ["Ce lien n’est pas valide"]);
}

#[tokio::test]
async fn a_forgotten_password_is_reset_once_within_the_hour_and_ends_every_session() {
    let app = TestApp::spawn().await;
    let mut laptop = app.signed_in("marie@exemple.fr", Role::CompanyUser).await;

    let mut browser = app.client();
    let known = browser.post("/mot-de-passe-oublie", &[("email", "Marie@exemple.fr")]).await;
    let unknown = browser.post("/mot-de-passe-oublie", &[("email", "personne@exemple.fr")]).await;
    assert_eq!((known.status, known.location()), (StatusCode::SEE_OTHER, "/mot-de-passe-oublie/envoye"));
    assert_eq!((unknown.status, unknown.location()), (known.status, known.location()));
    let mails = app.mails().await;
    assert_eq!(mails.len(), 1, "only the known address gets a mail");
    let link = mails[0].link("http://portail.test/reinitialisation?jeton=");
    let path = link.trim_start_matches("http://portail.test");
    let jeton = path.split("jeton=").nth(1).unwrap().to_owned();

    let form = browser.get(path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(form.input_value("jeton").as_deref(), Some(jeton.as_str()));

    let weak = browser
        .post(
            "/reinitialisation",
            &[("jeton", &jeton), ("password", "123456789012"), ("password_confirm", "123456789012")],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);

    let new_password = "nouvelle phrase de passe solide";
    let done = browser
        .post("/reinitialisation", &[("jeton", &jeton), ("password", new_password), ("password_confirm", new_password)])
        .await;
    assert_eq!(done.location(), "/connexion?notice=mot-de-passe-reinitialise");

    // Every session ended, the old password no longer works, the new one does.
    assert_eq!(laptop.get("/compte").await.status, StatusCode::SEE_OTHER);
    assert_eq!(browser.login("marie@exemple.fr", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(browser.login("marie@exemple.fr", new_password).await.status, StatusCode::SEE_OTHER);
    assert!(app.last_mail_to("marie@exemple.fr").await.subject.starts_with("Votre mot de passe a été modifié"));

    // Single use.
    let reuse = browser
        .post("/reinitialisation", &[("jeton", &jeton), ("password", new_password), ("password_confirm", new_password)])
        .await;
    assert_eq!(reuse.status, StatusCode::NOT_FOUND);

    // A new link expires after one hour.
    browser.post("/mot-de-passe-oublie", &[("email", "marie@exemple.fr")]).await;
    let late = app.last_mail_to("marie@exemple.fr").await.link("http://portail.test/reinitialisation?jeton=");
    app.advance(Duration::minutes(61));
    let expired = browser.get(late.trim_start_matches("http://portail.test")).await;
    assert_eq!(expired.status, StatusCode::GONE);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_the_other_sessions() {
    let app = TestApp::spawn().await;
    let mut desk = app.signed_in("marie@exemple.fr", Role::CompanyUser).await;
    let mut phone = app.client();
    phone.login("marie@exemple.fr", PASSWORD).await;

    let wrong = desk
        .post(
            "/compte/mot-de-passe",
            &[
                ("current_password", "pas le bon"),
                ("password", "phrase toute neuve et longue"),
                ("password_confirm", "phrase toute neuve et longue"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.texts("#current_password-error"), ["Erreur : Le mot de passe actuel est incorrect."]);

    let same = desk
        .post(
            "/compte/mot-de-passe",
            &[("current_password", PASSWORD), ("password", PASSWORD), ("password_confirm", PASSWORD)],
        )
        .await;
    assert_eq!(same.status, StatusCode::UNPROCESSABLE_ENTITY);

    let ok = desk
        .post(
            "/compte/mot-de-passe",
            &[
                ("current_password", PASSWORD),
                ("password", "phrase toute neuve et longue"),
                ("password_confirm", "phrase toute neuve et longue"),
            ],
        )
        .await;
    assert_eq!(ok.location(), "/compte?notice=mot-de-passe-modifie");
    let profile = desk.get("/compte?notice=mot-de-passe-modifie").await;
    assert_eq!(profile.status, StatusCode::OK);
    assert!(profile.texts("[role=status]")[0].contains("Votre mot de passe a été modifié"));
    assert_eq!(phone.get("/compte").await.status, StatusCode::SEE_OTHER, "the other session ended");
    assert!(app.audit_actions().await.contains(&"password.changed".to_owned()));
}

#[tokio::test]
async fn sessions_are_listed_and_revocable_but_only_ones_own() {
    let app = TestApp::spawn().await;
    let mut desk = app.signed_in("marie@exemple.fr", Role::CompanyUser).await;
    let mut phone = app.client();
    phone.login("marie@exemple.fr", PASSWORD).await;
    let mut other = app.signed_in("paul@autre-entreprise.fr", Role::CompanyUser).await;

    let list = desk.get("/compte/sessions").await;
    assert_eq!(list.status, StatusCode::OK);
    let rows = list.texts("tbody tr");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(list.texts(".badge-info"), ["cette session"]);
    assert!(!list.body.contains("paul@"), "another person's sessions never show");

    let sessions = store::session::list_for_user(&app.ctx.db, 1).await.unwrap();
    let phone_session = sessions.iter().find(|s| s.ip.as_deref() == Some(phone.ip.as_str())).unwrap().id;

    // Paul cannot end Marie's session, and learns nothing about it.
    let foreign = other.post(&format!("/compte/sessions/{phone_session}/fermer"), &[]).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert_eq!(phone.get("/compte").await.status, StatusCode::OK);

    let revoked = desk.post(&format!("/compte/sessions/{phone_session}/fermer"), &[]).await;
    assert_eq!(revoked.location(), "/compte/sessions?notice=session-fermee");
    assert_eq!(phone.get("/compte").await.status, StatusCode::SEE_OTHER);
    assert_eq!(desk.get("/compte").await.status, StatusCode::OK);

    // Ending one's own current session signs out.
    let own = store::session::list_for_user(&app.ctx.db, 1).await.unwrap()[0].id;
    let out = desk.post(&format!("/compte/sessions/{own}/fermer"), &[]).await;
    assert_eq!(out.location(), "/connexion?notice=deconnecte");
    assert_eq!(desk.get("/compte").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_session_id_changes_at_sign_in_and_a_planted_one_is_never_promoted() {
    let app = TestApp::spawn().await;
    app.account("marie@exemple.fr", PASSWORD, Role::CompanyUser).await;
    let mut browser = app.client();
    browser.login("marie@exemple.fr", PASSWORD).await;
    let first = browser.session_cookie().cloned().unwrap();
    // Signing in again from the same browser ends the previous session and issues a new id.
    browser.login("marie@exemple.fr", PASSWORD).await;
    let second = browser.session_cookie().cloned().unwrap();
    assert_ne!(first, second);
    assert_eq!(store::session::list_for_user(&app.ctx.db, 1).await.unwrap().len(), 1);

    let mut victim = app.client();
    victim.cookies.insert("ef_session".into(), "valeur-choisie-par-un-attaquant".into());
    victim.login("marie@exemple.fr", PASSWORD).await;
    assert_ne!(victim.session_cookie().map(String::as_str), Some("valeur-choisie-par-un-attaquant"));
    let mut attacker = app.client();
    attacker.cookies.insert("ef_session".into(), "valeur-choisie-par-un-attaquant".into());
    assert_eq!(attacker.get("/compte").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sessions_end_after_idle_time_and_after_the_absolute_limit() {
    let app = TestApp::spawn().await;
    let mut browser = app.signed_in("marie@exemple.fr", Role::CompanyUser).await;
    app.advance(Duration::minutes(119));
    assert_eq!(browser.get("/compte").await.status, StatusCode::OK, "activity just before the idle limit");
    app.advance(Duration::minutes(119));
    assert_eq!(browser.get("/compte").await.status, StatusCode::OK, "activity keeps it alive");
    app.advance(Duration::minutes(121));
    assert_eq!(browser.get("/compte").await.status, StatusCode::SEE_OTHER, "idle too long");

    let mut busy = app.client();
    busy.login("marie@exemple.fr", PASSWORD).await;
    for hour in 0..12 {
        app.advance(Duration::minutes(59));
        assert_eq!(busy.get("/compte").await.status, StatusCode::OK, "active at step {hour}");
    }
    app.advance(Duration::minutes(13));
    assert_eq!(busy.get("/compte").await.status, StatusCode::SEE_OTHER, "twelve hours after sign-in");
}

#[tokio::test]
async fn after_signing_in_the_person_returns_to_the_page_asked_for_but_never_elsewhere() {
    let app = TestApp::spawn().await;
    app.account("marie@exemple.fr", PASSWORD, Role::CompanyUser).await;
    let mut browser = app.client();
    let asked = browser.get("/compte/sessions").await;
    assert_eq!(asked.location(), "/connexion?suite=%2Fcompte%2Fsessions");
    let form = browser.get(asked.location()).await;
    assert_eq!(form.input_value("suite").as_deref(), Some("/compte/sessions"));
    let back = browser
        .post("/connexion", &[("email", "marie@exemple.fr"), ("password", PASSWORD), ("suite", "/compte/sessions")])
        .await;
    assert_eq!(back.location(), "/compte/sessions");

    let mut other = app.client();
    let evil = other
        .post("/connexion", &[("email", "marie@exemple.fr"), ("password", PASSWORD), ("suite", "//evil.example/x")])
        .await;
    assert_eq!(evil.location(), "/");
}
