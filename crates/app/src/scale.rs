//! A dataset at an operator's volume, for benchmarks and for trying the lists at size
//! (issue 13): `espace-formation demo --scale N` adds N dossiers spread over N / 100 companies,
//! written by the portal's own store functions (so the rows are what the forms would write).
//!
//! The demonstration company « Intérim Démo Nord » gets the first 200 dossiers, so that the
//! demonstration accounts see a long list; the rest go round-robin to the generated companies.
//! Two dossiers in ten stay drafts, four wait for a case manager (submitted on days spread over
//! the last year), the others are accepted. It resumes: a second run counts what is there and
//! only adds the rest.

use anyhow::Context as _;
use chrono::{Duration, NaiveDate};
use domain::Money;
use domain::dossier::DossierStatus;
use domain::habilitation::Domain;
use store::company::{Address, CompanyInput, EstablishmentInput};
use store::dossier::{DossierInput, NewEvent, StateChange, TimelineActor, TraineeInput};

use crate::Context;
use crate::progress::Progress;

/// The title every generated dossier starts with (how a resumed run counts them).
pub const TITLE_PREFIX: &str = "Formation générée n°";

/// Dossiers written per transaction.
const BATCH: u64 = 1_000;

/// How many dossiers the demonstration company gets before the others.
const DEMO_COMPANY_SHARE: u64 = 200;

const GIVEN: [&str; 8] = ["Léa", "Karim", "Julie", "Thomas", "Inès", "Hugo", "Manon", "Yanis"];
const FAMILY: [&str; 8] = ["Moreau", "Haddad", "Petit", "Lefèvre", "Garcia", "Dubois", "Fontaine", "Roux"];
const TITLES: [&str; 5] = [
    "Conduite de chariots élévateurs (CACES R489)",
    "Habilitation électrique B1V",
    "Sauveteur secouriste du travail",
    "Soudure TIG",
    "Préparation de commandes",
];

/// Adds `dossiers` generated dossiers (after the demonstration data, seeded first when absent).
///
/// # Errors
/// When the database fails, or the demonstration company is missing from a non-empty database.
pub async fn seed(ctx: &Context, dossiers: u64) -> anyhow::Result<()> {
    crate::demo::seed_if_empty(ctx).await?;
    let now = ctx.clock.now();
    let demo = store::company::find_by_siren(&ctx.db, &siren("732829320")?)
        .await?
        .context("l’entreprise de démonstration Intérim Démo Nord est absente : lancez `demo` sur une base vide")?;
    let demo_office = store::company::all_establishments(&ctx.db, demo.id)
        .await?
        .into_iter()
        .find(|e| e.head_office)
        .context("l’entreprise de démonstration n’a pas de siège")?;
    let author = store::account::find_by_email(&ctx.db, &domain::Email::parse("rh@interim-demo.fr")?)
        .await?
        .context("le compte rh@interim-demo.fr est absent")?;

    let wanted_companies = (dossiers / 100).max(1);
    let mut companies = Vec::new();
    let mut progress = Progress::new("entreprises générées", wanted_companies);
    for n in 0..wanted_companies {
        companies.push(company(ctx, n, now).await?);
        progress.tick(n + 1);
    }
    progress.done(wanted_companies);

    let existing = store::dossier::count_titled(&ctx.db, TITLE_PREFIX).await?;
    let who = TimelineActor { user_id: Some(author.id), label: author.display_name(), staff: false };
    let today = domain::clock::paris_day(now);
    let mut progress = Progress::new("dossiers générés", dossiers);
    let mut n = existing;
    while n < dossiers {
        let end = (n + BATCH).min(dossiers);
        let txn = store::db::write(&ctx.db).await?;
        for i in n..end {
            let (company_id, establishment_id) = if i < DEMO_COMPANY_SHARE {
                (demo.id, demo_office.id)
            } else {
                let index = usize::try_from(i % wanted_companies)?;
                companies[index]
            };
            let input = dossier_input(i, company_id, establishment_id, today);
            let trainees = trainees(i);
            let row = store::dossier::create(&txn, &input, &trainees, None, None, author.id, now).await?;
            if i % 10 < 2 {
                continue;
            }
            let submitted_on = today - Duration::days(i64::try_from(i % 365)?);
            let change = StateChange { submitted_on: Some(submitted_on), ..StateChange::default() };
            store::dossier::transition(
                &txn,
                row.id,
                row.version,
                DossierStatus::Draft,
                DossierStatus::Submitted,
                change,
                now,
            )
            .await?;
            let event = NewEvent {
                kind: "submitted",
                from: Some("draft"),
                to: Some("submitted"),
                amount: Some(input.requested),
                ..NewEvent::default()
            };
            store::dossier::record_event(&txn, Some(row.id), None, &who, event, now).await?;
            if i % 10 >= 6 {
                let change = StateChange { committed: Some(input.requested), ..StateChange::default() };
                store::dossier::transition(
                    &txn,
                    row.id,
                    row.version + 1,
                    DossierStatus::Submitted,
                    DossierStatus::Accepted,
                    change,
                    now,
                )
                .await?;
            }
        }
        txn.commit().await?;
        n = end;
        progress.tick(n);
    }
    progress.done(n);
    println!(
        "Jeu de données à l’échelle : {n} dossiers générés ({} déjà présents), {wanted_companies} entreprises.",
        existing.min(dossiers)
    );
    Ok(())
}

fn siren(text: &str) -> anyhow::Result<domain::Siren> {
    domain::Siren::parse(text).map_err(|e| anyhow::anyhow!("{e}"))
}

/// The `n`-th generated company and its head office, created unless already there.
async fn company(ctx: &Context, n: u64, now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<(i64, i64)> {
    // Eight digits from 40 000 000 on, then the Luhn key that makes a valid SIREN.
    let prefix = 40_000_000 + n;
    let siren = (0..10)
        .find_map(|key| domain::Siren::parse(&format!("{prefix:08}{key}")).ok())
        .context("aucune clé de Luhn ne convient")?;
    if let Some(found) = store::company::find_by_siren(&ctx.db, &siren).await? {
        let office = store::company::all_establishments(&ctx.db, found.id).await?.into_iter().find(|e| e.head_office);
        if let Some(office) = office {
            return Ok((found.id, office.id));
        }
    }
    let address = Address {
        street: format!("{} rue de la République", n % 200 + 1),
        complement: None,
        postal_code: "59000".into(),
        city: "Lille".into(),
    };
    let txn = store::db::write(&ctx.db).await?;
    let created = match store::company::find_by_siren(&txn, &siren).await? {
        Some(found) => found,
        None => {
            let input = CompanyInput {
                siren: siren.clone(),
                name: format!("Intérim Réseau {:04}", n + 1),
                address: address.clone(),
                vat_subject: true,
                headcount: Some(25 + i64::try_from(n % 400)?),
                branch: Some("Travail temporaire".to_owned()),
                region: Some("Hauts-de-France".to_owned()),
            };
            store::company::create(&txn, input, now).await?
        }
    };
    let siret = (0..10)
        .find_map(|key| domain::Siret::parse(&format!("{}0001{key}", siren.as_str())).ok())
        .context("aucun SIRET valide pour l’entreprise générée")?;
    let office = EstablishmentInput { siret, name: "Siège".to_owned(), address, head_office: true };
    let office = store::company::create_establishment(&txn, created.id, office, now).await?;
    txn.commit().await?;
    Ok((created.id, office.id))
}

fn dossier_input(i: u64, company_id: i64, establishment_id: i64, today: NaiveDate) -> DossierInput {
    let index = usize::try_from(i).unwrap_or(0);
    let start = today + Duration::days(20 + i64::try_from(i % 90).unwrap_or(0));
    let cents = 80_000 + i64::try_from(i % 50).unwrap_or(0) * 3_500;
    DossierInput {
        company_id,
        establishment_id,
        scheme: "PDC50".to_owned(),
        sub_scheme: None,
        kind: Domain::Training,
        payer: "AKTO".to_owned(),
        public: if i.is_multiple_of(3) { "permanent" } else { "temporary" }.to_owned(),
        title: format!("{TITLE_PREFIX}{} — {}", i + 1, TITLES[index % TITLES.len()]),
        provider_name: "Institut Formation Nord".to_owned(),
        provider_siret: "55210055400013".to_owned(),
        provider_nda: "31590000059".to_owned(),
        training_start: start,
        training_end: start + Duration::days(4),
        hours: 35,
        cost: Money::from_cents(cents),
        requested: Money::from_cents(cents),
        subrogation: None,
    }
}

fn trainees(i: u64) -> Vec<TraineeInput> {
    let index = usize::try_from(i).unwrap_or(0);
    (0..=index % 3)
        .map(|k| TraineeInput {
            given_name: GIVEN[(index + k) % GIVEN.len()].to_owned(),
            family_name: FAMILY[(index / 7 + k) % FAMILY.len()].to_owned(),
        })
        .collect()
}
