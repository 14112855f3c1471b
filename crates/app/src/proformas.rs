//! `espace-formation proforma list|export`: the operator's view of the proformas issued.

use std::path::Path;

use anyhow::Context as _;

use crate::Context;

/// One line per proforma, newest first: number, date, company, payer, public, amount, separated
/// by tabs (the number first, so that `cut -f1` lists them).
///
/// # Errors
/// The database's.
pub async fn list(ctx: &Context) -> anyhow::Result<Vec<String>> {
    let mut lines = Vec::new();
    for p in store::proforma::all(&ctx.db).await? {
        let company = store::company::get_unscoped(&ctx.db, p.company_id).await?.map(|c| c.name).unwrap_or_default();
        lines.push(format!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            p.number,
            documents::fr::date(p.issued_at),
            company,
            p.payer,
            p.public,
            domain::Money::from_cents(p.gross_cents)
        ));
    }
    Ok(lines)
}

/// Writes the PDF of the proforma `number` to `out`; returns its size.
///
/// # Errors
/// An unknown number, the renderer's or the file system's error.
pub async fn export(ctx: &Context, number: &str, out: &Path) -> anyhow::Result<usize> {
    let proforma = store::proforma::by_number(&ctx.db, number)
        .await?
        .with_context(|| format!("aucune facture pro forma ne porte le numéro « {} »", number.trim()))?;
    let web = ctx.config.web(false);
    let bytes = web::pages::proformas::pdf(&ctx.db, &web, &proforma)
        .await
        .map_err(|e| anyhow::anyhow!("facture pro forma {} : {e}", proforma.number))?;
    std::fs::write(out, &bytes).with_context(|| format!("écriture de {} impossible", out.display()))?;
    Ok(bytes.len())
}
