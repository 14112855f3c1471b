//! Demonstration data: accounts for each role, so that a newcomer can try the portal at once.

use anyhow::Context as _;
use domain::{Email, Role};
use store::account::NewAccount;
use store::audit::{Actor, Entry, Origin};

use crate::Context;

/// The password of every demonstration account (printed at start-up, never used elsewhere).
pub const DEMO_PASSWORD: &str = "Cerisier-Atelier-42";

/// The demonstration accounts: address, first name, last name, role.
pub const DEMO_ACCOUNTS: [(&str, &str, &str, Role); 4] = [
    ("rh@interim-demo.fr", "Camille", "Martin", Role::CompanyUser),
    ("conseiller@opco-demo.fr", "Julien", "Bernard", Role::Advisor),
    ("gestionnaire@opco-demo.fr", "Sophie", "Petit", Role::CaseManager),
    ("admin@opco-demo.fr", "Nadia", "Roux", Role::PlatformAdmin),
];

/// Seeds the demonstration accounts if the database has no account yet, and prints the logins.
/// Returns whether it seeded.
///
/// # Errors
/// When the database fails.
pub async fn seed_if_empty(ctx: &Context) -> anyhow::Result<bool> {
    if store::account::count(&ctx.db).await? > 0 {
        println!("Données de démonstration : la base contient déjà des comptes, rien n’est ajouté.");
        print_logins();
        return Ok(false);
    }
    let digest =
        web::crypto::hash(domain::password::Password::new(DEMO_PASSWORD)).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = ctx.clock.now();
    let txn = store::db::write(&ctx.db).await?;
    for (email, given, family, role) in DEMO_ACCOUNTS {
        let email = Email::parse(email).context("adresse de démonstration invalide")?;
        let new = NewAccount {
            email,
            password_hash: Some(digest.clone()),
            given_name: given.to_owned(),
            family_name: family.to_owned(),
            role,
            email_verified_at: Some(now),
        };
        let account = store::account::create(&txn, new, now).await?;
        let entry = Entry {
            actor: &Actor::system("demo"),
            action: "account.created_for_demo",
            subject: Some(("user", account.id.to_string())),
            origin: &Origin::default(),
            detail: None,
        };
        store::audit::record(&txn, entry, now).await?;
    }
    txn.commit().await?;
    println!("Données de démonstration ajoutées.");
    print_logins();
    Ok(true)
}

fn print_logins() {
    println!("Comptes de démonstration (mot de passe : {DEMO_PASSWORD}) :");
    for (email, given, family, role) in DEMO_ACCOUNTS {
        println!("  {:<28} {given} {family}, {}", email, role.label());
    }
}
