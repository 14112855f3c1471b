//! What a payment run pays (SPEC P1, P3): every approved invoice not yet paid, grouped into one
//! transfer per payee, or held back with a reason when it cannot be paid safely.
//!
//! Money leaves only for an account the company registered in the portal (changing it asks for
//! the password again and warns the company's administrators): an invoice whose IBAN is another
//! one is held, never paid to the IBAN printed on it, so that a forged invoice cannot divert a
//! payment. An invoice without an IBAN (a bank statement, RIB, attached instead) is paid to the
//! registered account.
//!
//! When every dossier of an invoice asked for subrogation (SPEC P1: the scheme allows it and the
//! company chose it), the training provider is paid directly, to the account given on the
//! dossiers; an invoice mixing dossiers paid to the company and to a provider, or to several
//! providers' accounts, is held: nobody can tell whom to pay.
//!
//! While a change of the company's account waits for its date (SPEC Q3, [`crate::bank`]), the
//! run keeps paying the account in force; an invoice that would go to the new account (it names
//! it, or no account is in force yet) is held until the date, never paid early.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::{Iban, Money};

/// An approved invoice waiting for a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payable {
    /// The invoice.
    pub invoice_id: i64,
    /// The company that issued it.
    pub company_id: i64,
    /// What to pay: the invoice's total with VAT.
    pub amount: Money,
    /// The IBAN written on the invoice, if any.
    pub invoice_iban: Option<String>,
    /// Who the invoice's dossiers say to pay.
    pub beneficiary: Beneficiary,
}

/// Who an invoice's dossiers say to pay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Beneficiary {
    /// The company (no dossier asked for subrogation).
    Company,
    /// The training provider, by subrogation, to this account.
    Provider(Account),
    /// Some dossiers say the company, others a provider, or several providers' accounts.
    Mixed,
}

impl Beneficiary {
    /// What the dossiers of one invoice say together: each dossier's provider account, `None`
    /// for a dossier paid to the company.
    #[must_use]
    pub fn of_dossiers(dossiers: &[Option<Account>]) -> Self {
        match dossiers.first() {
            None | Some(None) if dossiers.iter().all(Option::is_none) => Self::Company,
            Some(Some(first)) if dossiers.iter().all(|d| d.as_ref().is_some_and(|a| a.iban == first.iban)) => {
                Self::Provider(first.clone())
            }
            _ => Self::Mixed,
        }
    }
}

/// Whether a transfer goes to the company or, by subrogation, to the training provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PayeeKind {
    /// The company.
    Company,
    /// The training provider, by subrogation.
    Provider,
}

impl PayeeKind {
    /// The stored code.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Company => "company",
            Self::Provider => "provider",
        }
    }
}

/// A company's registered bank account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The account.
    pub iban: Iban,
    /// The holder's exact name, as the bank knows it.
    pub holder: String,
}

/// A change of a company's account waiting for its date (SPEC Q3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The new account.
    pub iban: Iban,
    /// When it takes effect.
    pub effective_at: DateTime<Utc>,
}

/// Who receives a transfer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Payee {
    /// The company paid (or on whose behalf a provider is paid).
    pub company_id: i64,
    /// The company or its training provider.
    pub kind: PayeeKind,
    /// The account holder.
    pub name: String,
    /// The account.
    pub iban: Iban,
}

impl Payee {
    /// The key that makes one transfer per payee and run.
    #[must_use]
    pub fn key(&self) -> String {
        format!("{}:{}:{}", self.kind.code(), self.company_id, self.iban.as_str())
    }
}

/// Why an invoice is held back from a run. Shown to staff and to the company.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Hold {
    /// The company registered no bank account.
    #[error(
        "Aucun compte bancaire n’est enregistré pour l’entreprise : ajoutez son IBAN dans le profil de l’entreprise."
    )]
    NoAccount,
    /// The invoice names an account the company did not register.
    #[error(
        "L’IBAN de la facture ({invoice}) n’est pas celui du compte enregistré ({registered}) : mettez à jour le compte bancaire de l’entreprise ou déposez une facture rectifiée."
    )]
    OtherAccount {
        /// As written on the invoice, masked.
        invoice: String,
        /// The registered one, masked.
        registered: String,
    },
    /// Nothing to pay.
    #[error("Le montant de la facture n’est pas positif ({0}).")]
    NotPositive(Money),
    /// The dossiers disagree on whom to pay.
    #[error(
        "La facture regroupe des dossiers payés à l’entreprise et d’autres payés directement à l’organisme de formation (subrogation), ou à plusieurs comptes d’organismes : déposez une facture par bénéficiaire."
    )]
    MixedBeneficiaries,
    /// The invoice would go to a new account that is not in force yet.
    #[error(
        "Changement de coordonnées bancaires en attente jusqu’au {} : la facture sera payée sur le nouveau compte au premier paiement qui suit cette date (un administrateur de l’entreprise peut encore annuler ce changement).",
        paris_date_time(*.until)
    )]
    PendingChange {
        /// When the new account takes effect.
        until: DateTime<Utc>,
    },
}

/// `08/01/2026 à 09:00`, Paris time.
fn paris_date_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::Paris).format("%d/%m/%Y à %H:%M").to_string()
}

/// One transfer of a run: a payee and the invoices it pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// Who.
    pub payee: Payee,
    /// The invoices, in id order.
    pub invoices: Vec<i64>,
    /// Their sum.
    pub amount: Money,
}

/// What a run does with the payable invoices it was given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// One per payee, in payee order.
    pub transfers: Vec<Transfer>,
    /// Invoices held back, in id order.
    pub holds: Vec<(i64, Hold)>,
}

/// Where one invoice's money goes, or why it cannot go.
///
/// # Errors
/// The [`Hold`] that keeps it back.
pub fn payee_for(payable: &Payable, account: Option<&Account>) -> Result<Payee, Hold> {
    if payable.amount.cents() <= 0 {
        return Err(Hold::NotPositive(payable.amount));
    }
    match &payable.beneficiary {
        Beneficiary::Company => {}
        Beneficiary::Provider(provider) => {
            return Ok(Payee {
                company_id: payable.company_id,
                kind: PayeeKind::Provider,
                name: provider.holder.clone(),
                iban: provider.iban.clone(),
            });
        }
        Beneficiary::Mixed => return Err(Hold::MixedBeneficiaries),
    }
    let account = account.ok_or(Hold::NoAccount)?;
    if let Some(written) = payable.invoice_iban.as_deref().filter(|s| !s.trim().is_empty()) {
        let same = Iban::parse(written).is_ok_and(|iban| iban == account.iban);
        if !same {
            let invoice = Iban::parse(written).map_or_else(|_| written.trim().to_owned(), |iban| iban.masked());
            return Err(Hold::OtherAccount { invoice, registered: account.iban.masked() });
        }
    }
    Ok(Payee {
        company_id: payable.company_id,
        kind: PayeeKind::Company,
        name: account.holder.clone(),
        iban: account.iban.clone(),
    })
}

/// Where one invoice's money goes while its company's account may be changing (SPEC Q3): to the
/// account in force, as [`payee_for`] decides, except that an invoice paid to the company that
/// would go to the pending account (it names it, or no account is in force) is held until the
/// change takes effect.
///
/// # Errors
/// The [`Hold`] that keeps it back.
pub fn payee_during_change(
    payable: &Payable,
    account: Option<&Account>,
    pending: Option<&Pending>,
) -> Result<Payee, Hold> {
    if let Some(pending) = pending
        && payable.amount.cents() > 0
        && payable.beneficiary == Beneficiary::Company
    {
        let names_pending = payable
            .invoice_iban
            .as_deref()
            .is_some_and(|written| Iban::parse(written).is_ok_and(|iban| iban == pending.iban));
        let pending_is_current = account.is_some_and(|a| a.iban == pending.iban);
        if account.is_none() || (names_pending && !pending_is_current) {
            return Err(Hold::PendingChange { until: pending.effective_at });
        }
    }
    payee_for(payable, account)
}

/// Groups the payable invoices into one transfer per payee and holds back the others. Every
/// invoice given ends up in exactly one transfer or one hold, and each transfer's amount is the
/// exact sum of its invoices. `accounts` are the accounts in force, `pending` the changes that
/// wait for their date, by company.
#[must_use]
pub fn plan(payables: &[Payable], accounts: &BTreeMap<i64, Account>, pending: &BTreeMap<i64, Pending>) -> Plan {
    let mut by_payee: BTreeMap<Payee, Vec<&Payable>> = BTreeMap::new();
    let mut holds = Vec::new();
    for payable in payables {
        let company = payable.company_id;
        match payee_during_change(payable, accounts.get(&company), pending.get(&company)) {
            Ok(payee) => by_payee.entry(payee).or_default().push(payable),
            Err(hold) => holds.push((payable.invoice_id, hold)),
        }
    }
    holds.sort_by_key(|(id, _)| *id);
    let transfers = by_payee
        .into_iter()
        .map(|(payee, mut invoices)| {
            invoices.sort_by_key(|p| p.invoice_id);
            let amount = invoices.iter().fold(Money::ZERO, |sum, p| sum + p.amount);
            Transfer { payee, invoices: invoices.iter().map(|p| p.invoice_id).collect(), amount }
        })
        .collect();
    Plan { transfers, holds }
}

/// The text on the payee's bank statement: the advice's reference and the invoices paid, cut by
/// the SEPA writer to 140 characters.
#[must_use]
pub fn remittance(reference: &str, invoice_numbers: &[String]) -> String {
    let mut text = format!("Avis {reference} fact. {}", invoice_numbers.join(" "));
    if text.chars().count() > 140 {
        text = format!("Avis {reference} - {} factures, detail dans votre espace", invoice_numbers.len());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const IBAN: &str = "FR7630006000011234567890189";
    const OTHER: &str = "FR1420041010050500013M02606";

    fn account() -> Account {
        Account { iban: Iban::parse(IBAN).unwrap(), holder: "INTERIM NORD".to_owned() }
    }

    fn payable(id: i64, company: i64, cents: i64, iban: Option<&str>) -> Payable {
        Payable {
            invoice_id: id,
            company_id: company,
            amount: Money::from_cents(cents),
            invoice_iban: iban.map(str::to_owned),
            beneficiary: Beneficiary::Company,
        }
    }

    #[test]
    fn an_invoice_is_paid_to_the_registered_account_with_or_without_its_iban_written() {
        let a = account();
        for written in [None, Some(IBAN), Some("fr76 3000 6000 0112 3456 7890 189"), Some("  ")] {
            let payee = payee_for(&payable(1, 7, 100, written), Some(&a)).unwrap();
            assert_eq!(payee.iban.as_str(), IBAN);
            assert_eq!(payee.name, "INTERIM NORD");
            assert_eq!(payee.key(), format!("company:7:{IBAN}"));
        }
    }

    #[test]
    fn an_invoice_naming_another_account_or_none_registered_is_held_with_the_reason() {
        let a = account();
        let held = payee_for(&payable(1, 7, 100, Some(OTHER)), Some(&a)).unwrap_err();
        let text = held.to_string();
        assert!(text.contains("n’est pas celui du compte enregistré"), "{text}");
        assert!(!text.contains("0500013M026"), "IBANs are masked: {text}");
        assert!(matches!(
            payee_for(&payable(1, 7, 100, Some("FR00 nonsense")), Some(&a)),
            Err(Hold::OtherAccount { .. })
        ));
        assert_eq!(payee_for(&payable(1, 7, 100, None), None), Err(Hold::NoAccount));
        assert_eq!(payee_for(&payable(1, 7, 0, None), Some(&a)), Err(Hold::NotPositive(Money::ZERO)));
    }

    #[test]
    fn invoices_of_one_payee_make_one_transfer() {
        let accounts = BTreeMap::from([(7, account())]);
        let plan = plan(
            &[payable(3, 7, 150, None), payable(1, 7, 100, Some(IBAN)), payable(2, 8, 100, None)],
            &accounts,
            &BTreeMap::new(),
        );
        assert_eq!(plan.transfers.len(), 1);
        assert_eq!(plan.transfers[0].invoices, vec![1, 3]);
        assert_eq!(plan.transfers[0].amount, Money::from_cents(250));
        assert_eq!(plan.holds, vec![(2, Hold::NoAccount)]);
    }

    #[test]
    fn by_subrogation_the_provider_is_paid_to_its_account_and_a_mixed_invoice_is_held() {
        let provider = Account { iban: Iban::parse(OTHER).unwrap(), holder: "INSTITUT FORMATION NORD".to_owned() };
        let other = Account { iban: account().iban, holder: "AUTRE ORGANISME".to_owned() };
        assert_eq!(Beneficiary::of_dossiers(&[None, None]), Beneficiary::Company);
        assert_eq!(Beneficiary::of_dossiers(&[]), Beneficiary::Company);
        let both = [Some(provider.clone()), Some(provider.clone())];
        assert_eq!(Beneficiary::of_dossiers(&both), Beneficiary::Provider(provider.clone()));
        assert_eq!(Beneficiary::of_dossiers(&[Some(provider.clone()), None]), Beneficiary::Mixed);
        assert_eq!(Beneficiary::of_dossiers(&[None, Some(provider.clone())]), Beneficiary::Mixed);
        assert_eq!(Beneficiary::of_dossiers(&[Some(provider.clone()), Some(other)]), Beneficiary::Mixed);

        let mut by_provider = payable(1, 7, 100, Some(IBAN));
        by_provider.beneficiary = Beneficiary::Provider(provider);
        // Paid to the provider even when the company has no account.
        let payee = payee_for(&by_provider, None).unwrap();
        assert_eq!(
            (payee.kind, payee.name.as_str(), payee.iban.as_str()),
            (PayeeKind::Provider, "INSTITUT FORMATION NORD", OTHER)
        );
        assert_eq!(payee.key(), format!("provider:7:{OTHER}"));
        let company = payee_for(&payable(2, 7, 100, None), Some(&account())).unwrap();
        assert_ne!(company.key(), payee.key(), "the company and its provider are two transfers");
        by_provider.beneficiary = Beneficiary::Mixed;
        assert_eq!(payee_for(&by_provider, Some(&account())), Err(Hold::MixedBeneficiaries));
    }

    #[test]
    fn while_a_change_waits_the_account_in_force_is_paid_and_invoices_for_the_new_one_are_held() {
        use chrono::TimeZone as _;
        let until = Utc.with_ymd_and_hms(2026, 1, 8, 8, 0, 0).unwrap();
        let pending = Pending { iban: Iban::parse(OTHER).unwrap(), effective_at: until };
        let current = account();
        // Without an IBAN, or with the current one: paid to the account in force.
        for written in [None, Some(IBAN)] {
            let payee = payee_during_change(&payable(1, 7, 100, written), Some(&current), Some(&pending)).unwrap();
            assert_eq!(payee.iban.as_str(), IBAN);
        }
        // Naming the pending account: held until the date, with the date in Paris time.
        let held = payee_during_change(&payable(1, 7, 100, Some(OTHER)), Some(&current), Some(&pending)).unwrap_err();
        assert_eq!(held, Hold::PendingChange { until });
        let text = held.to_string();
        assert!(text.contains("coordonnées bancaires en attente jusqu’au 08/01/2026 à 09:00"), "{text}");
        // No account in force yet: whatever the invoice says, it waits for the new account.
        for written in [None, Some(OTHER), Some(IBAN)] {
            assert_eq!(
                payee_during_change(&payable(1, 7, 100, written), None, Some(&pending)),
                Err(Hold::PendingChange { until })
            );
        }
        // A change of holder only (same IBAN) does not hold what goes to that IBAN.
        let same = Pending { iban: current.iban.clone(), effective_at: until };
        assert!(payee_during_change(&payable(1, 7, 100, Some(IBAN)), Some(&current), Some(&same)).is_ok());
        // Another IBAN altogether is still refused as before; subrogation is not the company's account.
        assert!(matches!(
            payee_during_change(
                &payable(1, 7, 100, Some("FR7610107001011234567890129")),
                Some(&current),
                Some(&pending)
            ),
            Err(Hold::OtherAccount { .. })
        ));
        let mut by_provider = payable(2, 7, 100, None);
        by_provider.beneficiary =
            Beneficiary::Provider(Account { iban: Iban::parse(OTHER).unwrap(), holder: "OF".into() });
        assert_eq!(payee_during_change(&by_provider, None, Some(&pending)).unwrap().kind, PayeeKind::Provider);
        // Without a pending change, nothing differs from `payee_for`.
        assert_eq!(
            payee_during_change(&payable(1, 7, 100, Some(OTHER)), Some(&current), None),
            payee_for(&payable(1, 7, 100, Some(OTHER)), Some(&current))
        );
        // In a plan: company 7 waits for its change, its invoice naming the new account is held.
        let plan = plan(
            &[payable(1, 7, 100, None), payable(2, 7, 50, Some(OTHER))],
            &BTreeMap::from([(7, current)]),
            &BTreeMap::from([(7, pending)]),
        );
        assert_eq!(plan.transfers.len(), 1);
        assert_eq!(plan.transfers[0].invoices, vec![1]);
        assert_eq!(plan.holds, vec![(2, Hold::PendingChange { until })]);
    }

    #[test]
    fn the_remittance_text_names_the_invoices_or_counts_them() {
        assert_eq!(remittance("EF-1", &["F1".to_owned(), "F2".to_owned()]), "Avis EF-1 fact. F1 F2");
        let many: Vec<String> = (0..40).map(|i| format!("FACT-2026-{i:05}")).collect();
        let text = remittance("EF-1", &many);
        assert!(text.chars().count() <= 140 && text.contains("40 factures"), "{text}");
    }

    proptest! {
        #[test]
        fn every_invoice_is_in_exactly_one_transfer_or_hold_and_sums_match(
            invoices in proptest::collection::vec((1i64..6, -100i64..1_000_000, proptest::option::of(any::<bool>())), 0..60)
        ) {
            let other = Iban::parse(OTHER).unwrap();
            let accounts: BTreeMap<i64, Account> = (1..5).map(|c| (c, Account { iban: if c % 2 == 0 { other.clone() } else { account().iban }, holder: format!("Société {c}") })).collect();
            let payables: Vec<Payable> = invoices
                .iter()
                .enumerate()
                .map(|(i, (company, cents, iban))| {
                    let written = iban.map(|own| if own { accounts.get(company).map_or(IBAN, |a| a.iban.as_str()).to_owned() } else { OTHER.to_owned() });
                    Payable { invoice_id: i64::try_from(i).unwrap(), company_id: *company, amount: Money::from_cents(*cents), invoice_iban: written, beneficiary: Beneficiary::Company }
                })
                .collect();
            let plan = plan(&payables, &accounts, &BTreeMap::new());
            let mut seen: Vec<i64> = plan.transfers.iter().flat_map(|t| t.invoices.clone()).chain(plan.holds.iter().map(|(id, _)| *id)).collect();
            seen.sort_unstable();
            let mut all: Vec<i64> = payables.iter().map(|p| p.invoice_id).collect();
            all.sort_unstable();
            prop_assert_eq!(seen, all);
            let mut keys = std::collections::BTreeSet::new();
            for t in &plan.transfers {
                prop_assert!(keys.insert(t.payee.key()), "one transfer per payee");
                let sum: i64 = t.invoices.iter().map(|id| payables[usize::try_from(*id).unwrap()].amount.cents()).sum();
                prop_assert_eq!(t.amount.cents(), sum);
                prop_assert!(t.amount.cents() > 0);
            }
        }
    }
}
