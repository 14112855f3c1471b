//! Demonstration data: accounts for each role, so that a newcomer can try the portal at once.

use anyhow::Context as _;
use domain::{Email, Role};
use store::account::NewAccount;
use store::audit::{Actor, Entry, Origin};

use crate::Context;

/// The password of every demonstration account (printed at start-up, never used elsewhere).
pub const DEMO_PASSWORD: &str = "Cerisier-Atelier-42";

/// The demonstration accounts: address, first name, last name, role.
pub const DEMO_ACCOUNTS: [(&str, &str, &str, Role); 5] = [
    ("rh@interim-demo.fr", "Camille", "Martin", Role::CompanyUser),
    ("agence@interim-demo.fr", "Paul", "Leroy", Role::CompanyUser),
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
    seed_companies(&txn, now).await?;
    seed_approved_invoice(ctx, &txn, now).await?;
    seed_information(&txn, now).await?;
    txn.commit().await?;
    println!("Données de démonstration ajoutées.");
    print_logins();
    Ok(true)
}

/// The help centre's personalised content (SPEC I2, I3): the demo company's contacts, and two
/// announcements, one for the temporary-work companies of Hauts-de-France and the seed's welcome
/// to the wholesale and hardware trade (seen by choosing that branch in the help's « Mon profil »).
async fn seed_information(txn: &store::DatabaseTransaction, now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<()> {
    let find = async |email: &str| -> anyhow::Result<i64> {
        Ok(store::account::find_by_email(txn, &Email::parse(email)?).await?.context("compte de démonstration")?.id)
    };
    let advisor = find("conseiller@opco-demo.fr").await?;
    let manager = find("gestionnaire@opco-demo.fr").await?;
    let admin = find("admin@opco-demo.fr").await?;
    let nord = store::company::find_by_siren(txn, &domain::Siren::parse("732829320")?)
        .await?
        .context("entreprise de démonstration")?;
    let referent = "Claire Martin, référente POEC Hauts-de-France — 03 20 00 00 00".to_owned();
    store::contact::set(txn, nord.id, Some(advisor), Some(manager), Some(referent), admin, now).await?;
    let today = domain::clock::paris_day(now);
    let announcements = [
        (
            "Réunion d’information des agences des Hauts-de-France",
            "Votre conseiller présente **Mon Espace** et les dispositifs 2026 aux agences de la région : inscrivez-vous auprès de lui.",
            domain::announcement::Targets {
                branches: vec!["Travail temporaire".to_owned()],
                regions: vec!["Hauts-de-France".to_owned()],
            },
        ),
        (
            "Entreprises du Commerce de Gros et de la Quincaillerie, venez découvrir votre futur espace !",
            "Votre branche rejoint bientôt l’espace formation : les [questions fréquentes](/aide) et le [guide de connexion](/aide/guides/connexion) vous y préparent.",
            domain::announcement::Targets {
                branches: vec!["Commerce de gros et quincaillerie".to_owned()],
                regions: Vec::new(),
            },
        ),
    ];
    for (title, body, targets) in announcements {
        let new = store::announcement::NewAnnouncement {
            title: title.to_owned(),
            body: body.to_owned(),
            targets,
            starts_on: today - chrono::Duration::days(1),
            ends_on: today + chrono::Duration::days(90),
            created_by: admin,
        };
        store::announcement::create(txn, new, now).await?;
    }
    Ok(())
}

/// The demo company's bank account (a documentation example).
const DEMO_COMPANY_IBAN: &str = "FR7630006000011234567890189";

/// The company's own e-invoice (CII XML, as its accounting software would issue it) for the demo
/// proforma, approved by the case manager eight days ago: the run due when the demo starts pays
/// it (`espace-formation payments run`), whatever the schedule.
async fn seed_approved_invoice(
    ctx: &Context,
    txn: &store::DatabaseTransaction,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    let proforma = store::proforma::all(txn).await?.into_iter().next().context("pro forma de démonstration")?;
    let company =
        store::company::get_unscoped(txn, proforma.company_id).await?.context("entreprise de démonstration")?;
    let mut seller = web::pages::proformas::company_party(&company);
    seller.vat_id = documents::proforma::french_vat_number(company.siren.as_str());
    let buyer = web::pages::proformas::payer_party(&ctx.config.web(false), &proforma.payer);
    let invoice = documents::facturx::Invoice {
        number: "FA-DEMO-0001".to_owned(),
        issue_date: domain::clock::paris_day(now),
        type_code: 380,
        currency: "EUR".to_owned(),
        seller,
        buyer: buyer.clone(),
        buyer_reference: Some(proforma.number.clone()),
        lines: vec![documents::facturx::Line {
            id: "1".to_owned(),
            name: "Sauveteur secouriste du travail (SST)".to_owned(),
            note: None,
            net_cents: proforma.net_cents,
            vat_rate_bp: 2000,
            vat_category: documents::facturx::VatCategory::Standard,
        }],
        exemption_reason: None,
        payee_iban: Some(DEMO_COMPANY_IBAN.to_owned()),
        payment_terms: Some("Virement à réception".to_owned()),
        notes: Vec::new(),
    };
    let xml = documents::facturx::cii_xml(&invoice).map_err(|e| anyhow::anyhow!("{e}"))?;
    let sha256 = ctx.files.put(xml.as_bytes()).await?;
    let uploader = proforma.issued_by.context("pro forma sans auteur")?;
    let document = store::document::NewDocument {
        company_id: company.id,
        dossier_id: None,
        reimbursement_id: None,
        proforma_id: Some(proforma.id),
        kind: store::document::Kind::Invoice,
        file_name: "FA-DEMO-0001.xml".to_owned(),
        sha256,
        size: i64::try_from(xml.len())?,
        content_type: "application/xml".to_owned(),
        uploaded_by: uploader,
    };
    let document = store::document::create(txn, document, now).await?;
    let totals = documents::facturx::totals(&invoice);
    let input = store::invoice::NewInvoice {
        proforma_id: proforma.id,
        company_id: company.id,
        number: invoice.number.clone(),
        syntax: "cii",
        buyer_name: buyer.name,
        seller_siren: Some(company.siren.as_str().to_owned()),
        net: domain::Money::from_cents(totals.net_cents),
        vat: domain::Money::from_cents(totals.vat_cents),
        gross: domain::Money::from_cents(totals.gross_cents),
        iban: invoice.payee_iban.clone(),
        document_id: document.id,
        rib_document_id: None,
        uploaded_by: uploader,
    };
    let row = store::invoice::create(txn, input, now).await?;
    let manager = store::account::find_by_email(txn, &Email::parse("gestionnaire@opco-demo.fr")?)
        .await?
        .context("compte de démonstration")?;
    let approved_at = now - chrono::Duration::days(8);
    store::invoice::decide(txn, row.id, 0, store::invoice::status::APPROVED, None, manager.id, approved_at).await?;
    Ok(())
}

/// Two companies: « Intérim Démo Nord », administered by Camille, with Paul's request for the
/// Roubaix agency waiting for her; « BTP Emploi Démo », without administrator (the letter path).
async fn seed_companies(txn: &store::DatabaseTransaction, now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<()> {
    use domain::habilitation::Domain;
    use store::company::{Address, CompanyInput, EstablishmentInput};
    let lille = Address {
        street: "12 rue Nationale".into(),
        complement: None,
        postal_code: "59000".into(),
        city: "Lille".into(),
    };
    let roubaix = Address {
        street: "4 place de la Liberté".into(),
        complement: None,
        postal_code: "59100".into(),
        city: "Roubaix".into(),
    };
    let lyon = Address {
        street: "8 avenue de la Gare".into(),
        complement: Some("Bâtiment B".into()),
        postal_code: "69002".into(),
        city: "Lyon".into(),
    };
    let company = |siren: &str, name: &str, address: &Address, headcount| -> anyhow::Result<CompanyInput> {
        let region = if address.postal_code.starts_with("59") { "Hauts-de-France" } else { "Auvergne-Rhône-Alpes" };
        Ok(CompanyInput {
            siren: domain::Siren::parse(siren).map_err(|e| anyhow::anyhow!("{e}"))?,
            name: name.to_owned(),
            address: address.clone(),
            vat_subject: true,
            headcount: Some(headcount),
            branch: Some("Travail temporaire".to_owned()),
            region: Some(region.to_owned()),
        })
    };
    let establishment =
        |siret: &str, name: &str, address: &Address, head_office| -> anyhow::Result<EstablishmentInput> {
            Ok(EstablishmentInput {
                siret: domain::Siret::parse(siret).map_err(|e| anyhow::anyhow!("{e}"))?,
                name: name.to_owned(),
                address: address.clone(),
                head_office,
            })
        };
    let nord = store::company::create(txn, company("732829320", "Intérim Démo Nord", &lille, 42)?, now).await?;
    store::company::create_establishment(
        txn,
        nord.id,
        establishment("73282932000074", "Siège de Lille", &lille, true)?,
        now,
    )
    .await?;
    let agency = store::company::create_establishment(
        txn,
        nord.id,
        establishment("73282932000082", "Agence de Roubaix", &roubaix, false)?,
        now,
    )
    .await?;
    let btp = store::company::create(txn, company("552100554", "BTP Emploi Démo", &lyon, 120)?, now).await?;
    store::company::create_establishment(
        txn,
        btp.id,
        establishment("55210055400013", "Siège de Lyon", &lyon, true)?,
        now,
    )
    .await?;

    let camille = store::account::find_by_email(txn, &Email::parse("rh@interim-demo.fr")?)
        .await?
        .context("compte de démonstration")?;
    let paul = store::account::find_by_email(txn, &Email::parse("agence@interim-demo.fr")?)
        .await?
        .context("compte de démonstration")?;
    store::attachment::grant(
        txn,
        camille.id,
        nord.id,
        None,
        true,
        &Domain::ALL,
        store::attachment::Source::Advisor,
        None,
        now,
    )
    .await?;
    store::attachment::request(
        txn,
        paul.id,
        nord.id,
        Some(agency.id),
        Some("Chargé de recrutement à Roubaix".into()),
        now,
    )
    .await?;
    let news = store::notification::NewNotification {
        kind: "attachment.requested",
        title: "Demande de rattachement à Intérim Démo Nord".to_owned(),
        body: "Paul Leroy (agence@interim-demo.fr) demande à être rattaché à : Agence de Roubaix.".to_owned(),
        link: Some(format!("/entreprises/{}/utilisateurs", nord.id)),
    };
    store::notification::notify(txn, camille.id, &news, now).await?;

    // A training dossier filed by Camille, waiting for the case manager.
    let start = domain::clock::paris_day(now) + chrono::Duration::days(30);
    let input = store::dossier::DossierInput {
        company_id: nord.id,
        establishment_id: agency.id,
        scheme: "PDC50".to_owned(),
        sub_scheme: None,
        kind: Domain::Training,
        payer: "AKTO".to_owned(),
        public: "temporary".to_owned(),
        title: "Conduite de chariots élévateurs (CACES R489)".to_owned(),
        provider_name: "Institut Formation Nord".to_owned(),
        provider_siret: "55210055400013".to_owned(),
        provider_nda: "31590000059".to_owned(),
        training_start: start,
        training_end: start + chrono::Duration::days(4),
        hours: 35,
        cost: domain::Money::from_cents(240_000),
        requested: domain::Money::from_cents(240_000),
        subrogation: None,
    };
    let trainees: Vec<store::dossier::TraineeInput> = [("Léa", "Moreau"), ("Karim", "Haddad"), ("Julie", "Petit")]
        .iter()
        .map(|(g, f)| store::dossier::TraineeInput { given_name: (*g).to_owned(), family_name: (*f).to_owned() })
        .collect();
    let dossier = store::dossier::create(txn, &input, &trainees, None, None, camille.id, now).await?;
    let who = store::dossier::TimelineActor { user_id: Some(camille.id), label: camille.display_name(), staff: false };
    let change =
        store::dossier::StateChange { submitted_on: Some(domain::clock::paris_day(now)), ..Default::default() };
    store::dossier::transition(
        txn,
        dossier.id,
        dossier.version,
        domain::dossier::DossierStatus::Draft,
        domain::dossier::DossierStatus::Submitted,
        change,
        now,
    )
    .await?;
    let event = store::dossier::NewEvent {
        kind: "submitted",
        from: Some("draft"),
        to: Some("submitted"),
        amount: Some(input.requested),
        ..Default::default()
    };
    store::dossier::record_event(txn, Some(dossier.id), None, &who, event, now).await?;
    seed_reimbursed(txn, &input, &trainees, &who, camille.id, now).await
}

/// A training finished last month, accepted, its DR validated and put on a proforma: what a
/// company sees once it is reimbursed, and the proforma to try the invoice screens on.
async fn seed_reimbursed(
    txn: &store::DatabaseTransaction,
    template: &store::dossier::DossierInput,
    trainees: &[store::dossier::TraineeInput],
    who: &store::dossier::TimelineActor,
    user: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    use domain::dossier::DossierStatus;
    use domain::reimbursement::{DrStatus, Line, Nature};
    let today = domain::clock::paris_day(now);
    let start = today - chrono::Duration::days(40);
    let input = store::dossier::DossierInput {
        title: "Sauveteur secouriste du travail (SST)".to_owned(),
        training_start: start,
        training_end: start + chrono::Duration::days(1),
        hours: 14,
        cost: domain::Money::from_cents(96_000),
        requested: domain::Money::from_cents(96_000),
        subrogation: None,
        ..template.clone()
    };
    let dossier = store::dossier::create(txn, &input, trainees, None, None, user, now).await?;
    let submitted = store::dossier::StateChange { submitted_on: Some(start), ..Default::default() };
    store::dossier::transition(txn, dossier.id, 0, DossierStatus::Draft, DossierStatus::Submitted, submitted, now)
        .await?;
    let accepted = store::dossier::StateChange { committed: Some(input.requested), ..Default::default() };
    store::dossier::transition(txn, dossier.id, 1, DossierStatus::Submitted, DossierStatus::Accepted, accepted, now)
        .await?;
    let dossier =
        store::dossier::get(txn, &domain::scope::Scope::Staff { user_id: 0, role: Role::PlatformAdmin }, dossier.id)
            .await?
            .context("dossier de démonstration")?;
    let lines = [Line { nature: Nature::TrainingCosts, amount: input.requested }];
    let claim = store::reimbursement::NewReimbursement {
        dossier: &dossier,
        budget: None,
        lines: &lines,
        submitted_on: today - chrono::Duration::days(10),
        created_by: user,
    };
    let dr = store::reimbursement::create(txn, &claim, now).await?;
    let validated = store::reimbursement::DrChange { validated: Some(input.requested), ..Default::default() };
    store::reimbursement::transition(txn, dr.id, 0, DrStatus::Submitted, DrStatus::Validated, validated, now).await?;
    store::dossier::transition(
        txn,
        dossier.id,
        dossier.version,
        DossierStatus::Accepted,
        DossierStatus::Reimbursement,
        store::dossier::StateChange::default(),
        now,
    )
    .await?;
    for kind in ["accepted", "dr_submitted", "dr_validated"] {
        let event = store::dossier::NewEvent {
            kind,
            amount: Some(input.requested),
            message: Some(dr.number.clone()).filter(|_| kind != "accepted"),
            ..Default::default()
        };
        store::dossier::record_event(txn, Some(dossier.id), None, who, event, now).await?;
    }
    // The company's registered account: payment runs pay only to it.
    let iban = domain::Iban::parse(DEMO_COMPANY_IBAN)?;
    store::company::replace_bank_account(txn, dossier.company_id, &iban, "INTERIM DEMO NORD", user, now).await?;
    let staff = domain::scope::Scope::Staff { user_id: 0, role: Role::PlatformAdmin };
    let items = store::proforma::items(txn, &staff, dossier.company_id).await?;
    let chosen: Vec<&store::proforma::Item> = items.iter().filter(|i| i.reimbursement.id == dr.id).collect();
    let proforma = store::proforma::NewProforma {
        company_id: dossier.company_id,
        payer: "AKTO",
        public: "temporary",
        scheme: None,
        items: &chosen,
        amounts: domain::proforma::amounts(&[input.requested], true),
        vat_subject: true,
        bank: Some((iban.formatted(), "INTERIM DEMO NORD".to_owned())),
        issued_by: user,
    };
    store::proforma::issue(txn, &proforma, now).await?;
    Ok(())
}

fn print_logins() {
    println!("Comptes de démonstration (mot de passe : {DEMO_PASSWORD}) :");
    for (email, given, family, role) in DEMO_ACCOUNTS {
        println!("  {:<28} {given} {family}, {}", email, role.label());
    }
}
