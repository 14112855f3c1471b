//! Sign-in throttling: attackers are slowed, the owner is not locked out, known and unknown
//! addresses are answered alike.

use chrono::Duration;
use domain::Role;
use http::StatusCode;

use crate::support::{PASSWORD, TestApp};

#[tokio::test]
async fn known_and_unknown_addresses_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.account("marie@exemple.fr", PASSWORD, Role::CompanyUser).await;
    let mut browser = app.client();
    let known = browser.login("marie@exemple.fr", "mauvais mot de passe").await;
    let unknown = browser.login("inconnu@exemple.fr", "mauvais mot de passe").await;
    assert_eq!(known.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, known.status);
    assert_eq!(known.texts("#erreurs"), unknown.texts("#erreurs"));
    assert_eq!(known.texts("#password-error"), ["Erreur : Adresse e-mail ou mot de passe incorrect."]);
    assert_eq!(known.input_value("email").as_deref(), Some("marie@exemple.fr"), "the address typed is kept");
}

#[tokio::test]
async fn similar_timing_for_known_and_unknown_addresses() {
    let app = TestApp::spawn().await;
    app.account("marie@exemple.fr", PASSWORD, Role::CompanyUser).await;
    let mut browser = app.client();
    // Warm up, then compare the fastest of several tries (the least disturbed by the other tests
    // sharing the machine): both verify an Argon2 digest.
    browser.login("inconnu@exemple.fr", "x").await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for i in 0..6 {
        let start = std::time::Instant::now();
        browser.login("marie@exemple.fr", &format!("mauvais {i}")).await;
        known.push(start.elapsed());
        app.advance(Duration::minutes(20)); // stay under the throttle
        let start = std::time::Instant::now();
        browser.login(&format!("inconnu{i}@exemple.fr"), "mauvais").await;
        unknown.push(start.elapsed());
    }
    let k = known.iter().min().unwrap().as_secs_f64();
    let u = unknown.iter().min().unwrap().as_secs_f64();
    assert!(u > k / 3.0 && u < k * 3.0, "known {k:.4}s vs unknown {u:.4}s");
}

#[tokio::test]
async fn five_failures_hold_the_account_but_not_its_owner_on_a_known_browser() {
    let app = TestApp::spawn().await;
    app.account("marie@exemple.fr", PASSWORD, Role::CompanyUser).await;

    // Marie signed in from her office browser last week.
    let mut office = app.client();
    office.login("marie@exemple.fr", PASSWORD).await;
    office.post("/deconnexion", &[]).await;
    assert!(office.cookies.contains_key("ef_device"), "the browser is remembered");
    app.advance(Duration::minutes(1));

    // Someone tries passwords from elsewhere.
    let mut attacker = app.client();
    for i in 0..5 {
        let r = attacker.login("marie@exemple.fr", &format!("essai {i}")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let held = attacker.login("marie@exemple.fr", PASSWORD).await;
    assert_eq!(held.status, StatusCode::TOO_MANY_REQUESTS, "even the right password is not checked now");
    assert!(held.headers.contains_key("retry-after"));
    assert!(held.texts("#password-error")[0].contains("Trop de tentatives"), "{}", held.body);

    // From another new browser too: the account is held for unknown browsers.
    let mut cafe = app.client();
    assert_eq!(cafe.login("marie@exemple.fr", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);

    // But Marie, on her known browser, gets in.
    let owner = office.login("marie@exemple.fr", PASSWORD).await;
    assert_eq!(owner.status, StatusCode::SEE_OTHER, "{}", owner.body);

    // Fifteen minutes later the hold is over everywhere.
    app.advance(Duration::minutes(16));
    assert_eq!(cafe.login("marie@exemple.fr", PASSWORD).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn unknown_addresses_are_held_the_same_way() {
    let app = TestApp::spawn().await;
    let mut attacker = app.client();
    for _ in 0..5 {
        attacker.login("inconnu@exemple.fr", "essai").await;
    }
    assert_eq!(attacker.login("inconnu@exemple.fr", "essai").await.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_password_reset_lifts_the_hold_for_its_owner() {
    let app = TestApp::spawn().await;
    app.account("marie@exemple.fr", PASSWORD, Role::CompanyUser).await;
    let mut attacker = app.client();
    for _ in 0..5 {
        attacker.login("marie@exemple.fr", "essai").await;
    }
    let mut new_browser = app.client();
    assert_eq!(new_browser.login("marie@exemple.fr", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
    new_browser.post("/mot-de-passe-oublie", &[("email", "marie@exemple.fr")]).await;
    let link = app.last_mail_to("marie@exemple.fr").await.link("http://portail.test/reinitialisation?jeton=");
    let jeton = link.split("jeton=").nth(1).unwrap().to_owned();
    app.advance(Duration::seconds(1));
    let fresh = "phrase toute neuve et longue";
    new_browser.post("/reinitialisation", &[("jeton", &jeton), ("password", fresh), ("password_confirm", fresh)]).await;
    assert_eq!(new_browser.login("marie@exemple.fr", fresh).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_address_posting_too_fast_is_slowed_with_a_french_429() {
    let app = TestApp::spawn_with(|_| {}).await;
    let mut flood = app.client();
    let mut statuses = Vec::new();
    for i in 0..25 {
        let r = flood.post("/mot-de-passe-oublie", &[("email", &format!("x{i}@exemple.fr"))]).await;
        statuses.push(r.status);
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(r.body.contains("Trop de requêtes"), "{}", r.body);
            assert!(r.body.contains("Patientez 60 secondes"), "the clock stands still: {}", r.body);
            assert!(r.headers.get("content-type").unwrap().to_str().unwrap().starts_with("text/html"));
            assert_eq!(r.headers.get("retry-after").unwrap(), "60");
        }
    }
    assert!(statuses[..20].iter().all(|s| *s == StatusCode::SEE_OTHER), "{statuses:?}");
    assert!(statuses[20..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    // The window is counted in the database on the portal's clock: a minute later it is open again.
    app.advance(Duration::seconds(30));
    let held = flood.post("/mot-de-passe-oublie", &[("email", "x@exemple.fr")]).await;
    assert_eq!(held.headers.get("retry-after").unwrap(), "30");
    app.advance(Duration::seconds(30));
    assert_eq!(flood.post("/mot-de-passe-oublie", &[("email", "x@exemple.fr")]).await.status, StatusCode::SEE_OTHER);
    // Another address is not affected, and pages still load for the first one.
    let mut neighbour = app.client();
    assert_eq!(
        neighbour.post("/mot-de-passe-oublie", &[("email", "y@exemple.fr")]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(flood.get("/mot-de-passe-oublie").await.status, StatusCode::OK);
}
