//! `import legacy-accounts`: the legacy portal's accounts, attachments, habilitations and
//! administrators (SPEC A2, A6, M1; format in `docs/IMPORTS.md`).

use std::path::Path;

use domain::habilitation::Domain;
use domain::legacy::RowFault;
use domain::{Email, Siren, Siret};
use store::company::{Address, CompanyInput, EstablishmentInput};
use store::legacy::{LegacyAccount, Stored};

use super::source::{Row, Source};
use super::{Keys, Report, drive, yes_no};
use crate::Context;

/// Options of the import.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Create the companies and establishments the portal does not know, to be completed later.
    pub create_companies: bool,
}

/// Reads a row into a legacy account, or says which column is wrong. `keys` holds the (address,
/// company, establishment) triples read so far: a triple read again would make the second row
/// undo the first at every run, so it is refused.
fn parse(source: &Source, row: &Row, keys: &mut Keys) -> Result<LegacyAccount, (&'static str, String)> {
    let email = Email::parse(source.get(row, "email")).map_err(|e| ("email", e.to_string()))?;
    let siren = Siren::parse(source.get(row, "siren")).map_err(|e| ("siren", e.to_string()))?;
    let siret = match source.get(row, "siret") {
        "" => None,
        text => {
            let siret = Siret::parse(text).map_err(|e| ("siret", e.to_string()))?;
            if siret.siren() != siren {
                return Err(("siret", format!("le SIRET {siret} n’appartient pas au SIREN {siren}")));
            }
            Some(siret)
        }
    };
    let key = format!("{} ; {} ; {}", email.as_str().to_lowercase(), siren, siret.as_ref().map_or("", Siret::as_str));
    if let Err(first_line) = keys.first(&key, row.line) {
        return Err(("email", RowFault::Duplicate { key, first_line }.to_string()));
    }
    let is_admin = yes_no(source.get(row, "administrateur")).map_err(|e| ("administrateur", e))?;
    let domains =
        Domain::parse_legacy_list(source.get(row, "habilitations")).map_err(|e| ("habilitations", e.to_string()))?;
    Ok(LegacyAccount {
        email,
        family_name: source.get(row, "nom").to_owned(),
        given_name: source.get(row, "prenom").to_owned(),
        siren,
        siret,
        is_admin,
        domains,
    })
}

/// Imports `path`.
///
/// # Errors
/// When the file cannot be read at all, or the database fails (rows already committed stay; run
/// again to finish).
pub async fn run(ctx: &Context, path: &Path, options: Options) -> anyhow::Result<Report> {
    let mut source = Source::open(path, &["email", "siren", "siret", "administrateur", "habilitations"])?;
    let mut keys = Keys::default();
    let parse = |source: &Source, row: &Row| parse(source, row, &mut keys);
    drive(&mut source, "Comptes de l’ancien portail", parse, async |batch, report| {
        write(ctx, batch, options, report).await
    })
    .await
}

/// Writes parsed rows in one transaction, then applies them to existing verified accounts.
async fn write(ctx: &Context, batch: Vec<LegacyAccount>, options: Options, report: &mut Report) -> anyhow::Result<()> {
    let now = ctx.clock.now();
    let txn = store::db::write(&ctx.db).await?;
    let mut emails = Vec::new();
    for account in batch {
        let company = match store::company::find_by_siren(&txn, &account.siren).await? {
            Some(company) => company,
            None if options.create_companies => {
                let input = CompanyInput {
                    siren: account.siren.clone(),
                    name: format!("Entreprise {} (à compléter)", account.siren.formatted()),
                    address: Address::default(),
                    vat_subject: true,
                    headcount: None,
                    branch: None,
                    region: None,
                };
                store::company::create(&txn, input, now)
                    .await
                    .map_err(|e| anyhow::anyhow!("création de l’entreprise {}: {e}", account.siren))?
            }
            None => {
                report.skip("entreprise_inconnue");
                continue;
            }
        };
        if let Some(siret) = &account.siret {
            match store::company::find_establishment_by_siret(&txn, siret).await? {
                Some(e) if e.company_id == company.id => {}
                Some(_) => {
                    report.skip("etablissement_d_une_autre_entreprise");
                    continue;
                }
                None if options.create_companies => {
                    let input = EstablishmentInput {
                        siret: siret.clone(),
                        name: format!("Établissement {} (à compléter)", siret.formatted()),
                        address: Address::default(),
                        head_office: false,
                    };
                    store::company::create_establishment(&txn, company.id, input, now)
                        .await
                        .map_err(|e| anyhow::anyhow!("création de l’établissement {siret}: {e}"))?;
                }
                None => {
                    report.skip("etablissement_inconnu");
                    continue;
                }
            }
        }
        match store::legacy::store(&txn, &account, now).await? {
            Stored::Unchanged => report.unchanged += 1,
            Stored::Inserted | Stored::Updated => {
                report.imported += 1;
                emails.push(account.email.clone());
            }
        }
    }
    // People who already have a verified account get their rights now (SPEC A2, first case).
    emails.sort();
    emails.dedup();
    for email in emails {
        if let Some(account) = store::account::find_by_email(&txn, &email).await?
            && account.email_verified_at.is_some()
            && !account.role.is_staff()
        {
            store::legacy::apply(&txn, account.id, &email, now).await?;
        }
    }
    txn.commit().await?;
    Ok(())
}
