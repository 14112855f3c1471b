//! `import companies`: the directory of companies and establishments (format in
//! `docs/IMPORTS.md`). One row per establishment; a company is created at its first row and its
//! head-office row gives its address.

use std::path::Path;

use domain::{Siren, Siret};
use store::company::{Address, CompanyInput, EstablishmentInput};

use super::source::{Row, Source};
use super::{Report, drive, yes_no};
use crate::Context;

/// One parsed row.
#[derive(Debug, Clone)]
struct DirectoryRow {
    siren: Siren,
    siret: Siret,
    name: String,
    establishment_name: String,
    address: Address,
    head_office: bool,
    branch: Option<String>,
    headcount: Option<i64>,
    region: Option<String>,
}

fn optional(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

fn parse(source: &Source, row: &Row) -> Result<DirectoryRow, (&'static str, String)> {
    let siren = Siren::parse(source.get(row, "siren")).map_err(|e| ("siren", e.to_string()))?;
    let siret = Siret::parse(source.get(row, "siret")).map_err(|e| ("siret", e.to_string()))?;
    if siret.siren() != siren {
        return Err(("siret", format!("le SIRET {siret} n’appartient pas au SIREN {siren}")));
    }
    let name = source.get(row, "raison_sociale");
    if name.is_empty() {
        return Err(("raison_sociale", "raison sociale vide".to_owned()));
    }
    let postal_code = source.get(row, "code_postal").replace(' ', "");
    if !postal_code.is_empty() && (postal_code.len() != 5 || !postal_code.bytes().all(|b| b.is_ascii_digit())) {
        return Err(("code_postal", format!("« {postal_code} » : le code postal comporte 5 chiffres")));
    }
    let headcount = match source.get(row, "effectif").replace([' ', '\u{202f}', '\u{a0}'], "") {
        text if text.is_empty() => None,
        text => Some(
            text.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or(("effectif", format!("« {text} » : un nombre entier est attendu")))?,
        ),
    };
    let establishment_name = match source.get(row, "nom_etablissement") {
        "" => name.to_owned(),
        text => text.to_owned(),
    };
    Ok(DirectoryRow {
        siren,
        siret,
        name: name.to_owned(),
        establishment_name,
        address: Address {
            street: source.get(row, "adresse").to_owned(),
            complement: optional(source.get(row, "complement_adresse")),
            postal_code,
            city: source.get(row, "commune").to_owned(),
        },
        head_office: yes_no(source.get(row, "siege")).map_err(|e| ("siege", e))?,
        branch: optional(source.get(row, "branche")),
        headcount,
        region: optional(source.get(row, "region")),
    })
}

/// Imports `path`.
///
/// # Errors
/// When the file cannot be read at all, or the database fails.
pub async fn run(ctx: &Context, path: &Path) -> anyhow::Result<Report> {
    let mut source = Source::open(path, &["siren", "siret", "raison_sociale"])?;
    drive(&mut source, "Annuaire des entreprises", parse, async |batch, report| write(ctx, batch, report).await).await
}

async fn write(ctx: &Context, batch: Vec<DirectoryRow>, report: &mut Report) -> anyhow::Result<()> {
    let now = ctx.clock.now();
    let txn = store::db::write(&ctx.db).await?;
    for row in batch {
        let input = CompanyInput {
            siren: row.siren.clone(),
            name: row.name.clone(),
            address: if row.head_office { row.address.clone() } else { Address::default() },
            vat_subject: true,
            headcount: row.headcount,
            branch: row.branch.clone(),
            region: row.region.clone(),
        };
        let mut changed = false;
        let company = match store::company::find_by_siren(&txn, &row.siren).await? {
            Some(existing) => {
                // The head-office row speaks for the company; other rows only fill what is missing.
                let (name, address) = if row.head_office {
                    (row.name.clone(), row.address.clone())
                } else {
                    (existing.name.clone(), existing.address.clone())
                };
                let differs = existing.name != name
                    || existing.address != address
                    || (row.headcount.is_some() && existing.headcount != row.headcount)
                    || (row.branch.is_some() && existing.branch != row.branch)
                    || (row.region.is_some() && existing.region != row.region);
                if differs {
                    let update = CompanyInput {
                        name,
                        address,
                        vat_subject: existing.vat_subject,
                        headcount: row.headcount.or(existing.headcount),
                        branch: row.branch.clone().or(existing.branch.clone()),
                        region: row.region.clone().or(existing.region.clone()),
                        ..input
                    };
                    store::company::update_profile(&txn, existing.id, update, now).await?;
                    changed = true;
                }
                existing
            }
            None => {
                changed = true;
                store::company::create(&txn, input, now)
                    .await
                    .map_err(|e| anyhow::anyhow!("création de l’entreprise {}: {e}", row.siren))?
            }
        };
        match store::company::find_establishment_by_siret(&txn, &row.siret).await? {
            Some(existing) if existing.company_id != company.id => {
                report.skip("etablissement_d_une_autre_entreprise");
                continue;
            }
            Some(existing) => {
                if existing.name != row.establishment_name
                    || existing.address != row.address
                    || existing.head_office != row.head_office
                {
                    store::company::update_establishment(
                        &txn,
                        existing.id,
                        &row.establishment_name,
                        &row.address,
                        row.head_office,
                        now,
                    )
                    .await?;
                    changed = true;
                }
            }
            None => {
                let input = EstablishmentInput {
                    siret: row.siret.clone(),
                    name: row.establishment_name.clone(),
                    address: row.address.clone(),
                    head_office: row.head_office,
                };
                store::company::create_establishment(&txn, company.id, input, now)
                    .await
                    .map_err(|e| anyhow::anyhow!("création de l’établissement {}: {e}", row.siret))?;
                changed = true;
            }
        }
        if changed {
            report.imported += 1;
        } else {
            report.unchanged += 1;
        }
    }
    txn.commit().await?;
    Ok(())
}
