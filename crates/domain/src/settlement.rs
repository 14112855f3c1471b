//! What the money says of an approved invoice, and through it of its reimbursement requests and
//! their dossiers (SPEC P3, P4): paid once the run that pays it is frozen (its transfer is in the
//! SEPA file), approved and payable again once the bank returns that transfer. Derived from the
//! transfers each time it is shown, never stored beside them, so the two cannot disagree.

use chrono::NaiveDate;

/// Where the money of an approved invoice stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Settlement {
    /// No transfer pays it.
    #[default]
    Unpaid,
    /// A transfer of a frozen run pays it.
    Issued {
        /// The payment (its remittance advice).
        payment_id: i64,
        /// The company paid.
        company_id: i64,
        /// Requested execution date of the transfer.
        execution_date: NaiveDate,
    },
    /// The bank returned its last transfer and none was issued since: payable again.
    Returned {
        /// The returned payment.
        payment_id: i64,
        /// The company it was for.
        company_id: i64,
        /// The bank's reason.
        reason: String,
    },
}

impl Settlement {
    /// Whether a transfer pays it.
    #[must_use]
    pub fn is_paid(&self) -> bool {
        matches!(self, Settlement::Issued { .. })
    }

    /// Of two facts about one invoice, the one that stands: a transfer issued over a returned
    /// one, and of two returned transfers the latest (the higher payment id).
    #[must_use]
    pub fn or(self, other: Settlement) -> Settlement {
        match (self, other) {
            (s @ Settlement::Issued { .. }, _) | (_, s @ Settlement::Issued { .. }) => s,
            (a @ Settlement::Returned { payment_id: x, .. }, b @ Settlement::Returned { payment_id: y, .. }) => {
                if y > x { b } else { a }
            }
            (s @ Settlement::Returned { .. }, Settlement::Unpaid) | (Settlement::Unpaid, s) => s,
        }
    }

    /// The payment whose remittance advice tells about it, and the company: `(company, payment)`.
    #[must_use]
    pub fn payment(&self) -> Option<(i64, i64)> {
        match self {
            Settlement::Unpaid => None,
            Settlement::Issued { payment_id, company_id, .. } | Settlement::Returned { payment_id, company_id, .. } => {
                Some((*company_id, *payment_id))
            }
        }
    }

    /// What the company reads beside the invoice's status: when it is paid, or why it is
    /// payable again.
    #[must_use]
    pub fn note(&self) -> Option<String> {
        match self {
            Settlement::Unpaid => None,
            Settlement::Issued { execution_date, .. } => {
                Some(format!("virement émis pour le {}", execution_date.format("%d/%m/%Y")))
            }
            Settlement::Returned { reason, .. } => {
                Some(format!("virement rejeté par la banque ({reason}) : à payer de nouveau au prochain paiement"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issued(id: i64) -> Settlement {
        Settlement::Issued {
            payment_id: id,
            company_id: 1,
            execution_date: NaiveDate::from_ymd_opt(2026, 1, 6).unwrap(),
        }
    }

    fn returned(id: i64) -> Settlement {
        Settlement::Returned { payment_id: id, company_id: 1, reason: format!("AC04 n°{id}") }
    }

    #[test]
    fn an_issued_transfer_stands_over_a_returned_one_and_the_latest_return_over_older_ones() {
        assert_eq!(returned(1).or(issued(2)), issued(2));
        assert_eq!(issued(2).or(returned(3)), issued(2));
        assert_eq!(returned(1).or(returned(3)), returned(3));
        assert_eq!(returned(3).or(returned(1)), returned(3));
        assert_eq!(Settlement::Unpaid.or(returned(1)), returned(1));
        assert_eq!(returned(1).or(Settlement::Unpaid), returned(1));
        assert_eq!(Settlement::Unpaid.or(Settlement::Unpaid), Settlement::Unpaid);
        assert!(issued(1).is_paid() && !returned(1).is_paid() && !Settlement::Unpaid.is_paid());
    }

    #[test]
    fn the_note_says_when_it_is_paid_or_why_it_is_payable_again() {
        assert_eq!(issued(1).note().as_deref(), Some("virement émis pour le 06/01/2026"));
        assert!(returned(4).note().unwrap().contains("AC04 n°4"));
        assert_eq!(Settlement::Unpaid.note(), None);
    }
}
