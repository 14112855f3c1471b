//! The help content shipped with the portal (SPEC I2): the FAQ as first published, the guides and
//! the FAQ's introduction, embedded from `content/help/` so that the binary runs anywhere. The
//! FAQ is copied into the database at the first start, where platform admins edit it.

/// The FAQ entries as shipped: file name and text.
pub const FAQ: &[(&str, &str)] = &[
    ("01-a-partir-du-2-janvier-2026.md", include_str!("../../../content/help/faq/01-a-partir-du-2-janvier-2026.md")),
    ("02-creer-un-nouveau-compte.md", include_str!("../../../content/help/faq/02-creer-un-nouveau-compte.md")),
    (
        "03-administration-et-habilitations.md",
        include_str!("../../../content/help/faq/03-administration-et-habilitations.md"),
    ),
    (
        "04-prolongation-de-la-validite-des-drf.md",
        include_str!("../../../content/help/faq/04-prolongation-de-la-validite-des-drf.md"),
    ),
    ("05-drf-cipi-cdpi.md", include_str!("../../../content/help/faq/05-drf-cipi-cdpi.md")),
    ("06-drf-pdc-50.md", include_str!("../../../content/help/faq/06-drf-pdc-50.md")),
    ("07-drf-pic-iae.md", include_str!("../../../content/help/faq/07-drf-pic-iae.md")),
    ("08-drf-poec.md", include_str!("../../../content/help/faq/08-drf-poec.md")),
    ("09-dr-import-csv.md", include_str!("../../../content/help/faq/09-dr-import-csv.md")),
    ("10-dr-pdc-50-budget-2025.md", include_str!("../../../content/help/faq/10-dr-pdc-50-budget-2025.md")),
    ("11-dr-financement-0-77.md", include_str!("../../../content/help/faq/11-dr-financement-0-77.md")),
    (
        "12-nombre-de-salaries-par-dossier.md",
        include_str!("../../../content/help/faq/12-nombre-de-salaries-par-dossier.md"),
    ),
    ("13-mandat-d-auto-facturation.md", include_str!("../../../content/help/faq/13-mandat-d-auto-facturation.md")),
    ("14-modele-de-facture-proforma.md", include_str!("../../../content/help/faq/14-modele-de-facture-proforma.md")),
    (
        "15-proforma-pour-plusieurs-actions.md",
        include_str!("../../../content/help/faq/15-proforma-pour-plusieurs-actions.md"),
    ),
    (
        "16-deposer-une-facture-apres-la-proforma.md",
        include_str!("../../../content/help/faq/16-deposer-une-facture-apres-la-proforma.md"),
    ),
    (
        "17-mentions-obligatoires-de-la-facture.md",
        include_str!("../../../content/help/faq/17-mentions-obligatoires-de-la-facture.md"),
    ),
    ("18-montants-ht-tva-ttc.md", include_str!("../../../content/help/faq/18-montants-ht-tva-ttc.md")),
    (
        "19-salaries-permanents-et-interimaires.md",
        include_str!("../../../content/help/faq/19-salaries-permanents-et-interimaires.md"),
    ),
    ("20-facturer-par-entreprise.md", include_str!("../../../content/help/faq/20-facturer-par-entreprise.md")),
    ("21-facture-operateur-ou-fpett.md", include_str!("../../../content/help/faq/21-facture-operateur-ou-fpett.md")),
    ("22-subrogation-de-paiement.md", include_str!("../../../content/help/faq/22-subrogation-de-paiement.md")),
    ("23-periodicite-des-paiements.md", include_str!("../../../content/help/faq/23-periodicite-des-paiements.md")),
    ("24-avis-de-virement.md", include_str!("../../../content/help/faq/24-avis-de-virement.md")),
    ("25-demande-de-depassement.md", include_str!("../../../content/help/faq/25-demande-de-depassement.md")),
    (
        "26-depassement-en-fin-de-contrat-de-professionnalisation.md",
        include_str!("../../../content/help/faq/26-depassement-en-fin-de-contrat-de-professionnalisation.md"),
    ),
    (
        "27-forfait-et-depassement-en-une-demande.md",
        include_str!("../../../content/help/faq/27-forfait-et-depassement-en-une-demande.md"),
    ),
    ("28-etat-des-demandes.md", include_str!("../../../content/help/faq/28-etat-des-demandes.md")),
];

/// The guides: file name and text.
pub const GUIDES: &[(&str, &str)] = &[
    ("connexion.md", include_str!("../../../content/help/guides/connexion.md")),
    ("creation-de-compte.md", include_str!("../../../content/help/guides/creation-de-compte.md")),
    ("remboursement-et-proforma.md", include_str!("../../../content/help/guides/remboursement-et-proforma.md")),
];

/// The FAQ's introduction.
pub const INTRO: &str = include_str!("../../../content/help/intro.md");
