//! The operator's identity as a deployment names it (issue 11 point 6): the portal runs for any
//! OPCO, so no page, e-mail, help text or check may carry a fixed operator name. The payer codes
//! stored on dossiers and proformas (`AKTO`, `FPETT`, see [`Payer`]) are internal keys, never
//! shown: what a person reads, and what an invoice must be addressed to, comes from here.

use crate::rules::Payer;

/// FPE-TT's full name, accepted as an invoice addressee besides the configured short name.
const FPETT_LONG_NAME: &str = "Fonds professionnel pour l’emploi dans le travail temporaire";

/// The names a deployment gives the two payers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// The operator, e.g. « OPCO Démo ».
    pub operator: String,
    /// The branch fund, « FPE-TT » unless configured otherwise.
    pub fpett: String,
}

impl Default for Names {
    fn default() -> Self {
        Self { operator: "OPCO".to_owned(), fpett: "FPE-TT".to_owned() }
    }
}

impl Names {
    /// The names of one deployment.
    #[must_use]
    pub fn new(operator: &str, fpett: &str) -> Self {
        Self { operator: operator.trim().to_owned(), fpett: fpett.trim().to_owned() }
    }

    /// The name of the payer stored as `code`, as people read it. Anything but FPE-TT's code is
    /// the operator's (legal) funding.
    #[must_use]
    pub fn payer(&self, code: &str) -> &str {
        match Payer::from_code(code) {
            Some(Payer::Fpett) => &self.fpett,
            _ => &self.operator,
        }
    }

    /// The names an invoice for the payer stored as `code` may be addressed to (SPEC F6): the
    /// configured name, and FPE-TT's full name for FPE-TT. Never the internal code itself, so an
    /// invoice addressed to another OPCO's name is refused.
    #[must_use]
    pub fn addressees(&self, code: &str) -> Vec<String> {
        match Payer::from_code(code) {
            Some(Payer::Fpett) => vec![self.fpett.clone(), FPETT_LONG_NAME.to_owned()],
            _ => vec![self.operator.clone()],
        }
    }

    /// How FPE-TT is named on a proforma: its short name and its full name.
    #[must_use]
    pub fn fpett_on_documents(&self) -> String {
        format!("{} — {FPETT_LONG_NAME}", self.fpett)
    }

    /// A help text (FAQ, guide) with its placeholders `{{operateur}}` and `{{fpett}}` replaced by
    /// this deployment's names, so the shipped content reads right for any operator.
    #[must_use]
    pub fn fill(&self, text: &str) -> String {
        text.replace("{{operateur}}", &self.operator).replace("{{fpett}}", &self.fpett)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names::new(" OPCO EP ", "FPE-TT")
    }

    #[test]
    fn payers_are_shown_by_their_configured_names() {
        assert_eq!(names().payer("AKTO"), "OPCO EP");
        assert_eq!(names().payer("FPETT"), "FPE-TT");
        assert_eq!(Names::new("Constructys", "Fonds TT").payer("FPETT"), "Fonds TT");
    }

    #[test]
    fn an_invoice_is_addressed_to_configured_names_only() {
        assert_eq!(names().addressees("AKTO"), ["OPCO EP"]);
        assert!(!names().addressees("AKTO").iter().any(|n| n.contains("AKTO")));
        assert_eq!(names().addressees("FPETT")[0], "FPE-TT");
    }

    #[test]
    fn help_texts_take_the_deployment_names() {
        let text = "Déposez la facture pour qu’{{operateur}} la paie, ou pour le {{fpett}}.";
        assert_eq!(names().fill(text), "Déposez la facture pour qu’OPCO EP la paie, ou pour le FPE-TT.");
        assert_eq!(names().fill("sans nom"), "sans nom");
    }
}
