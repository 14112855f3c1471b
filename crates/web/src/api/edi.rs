//! Electronic data interchange (SPEC F2): the companies that exchanged data electronically with
//! the legacy system before the end of December 2025 (the EDI flag, set by the operator) may keep
//! filing reimbursement requests through the API; the others file them in the portal, and the
//! portal offers no CSV import.

use axum::extract::{FromRequest as _, Path, State};
use axum::http::StatusCode;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{ApiUser, CurrentUser, Scoped};
use crate::client::Client;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::extract::{Json, MultipartForm, UploadedFile};
use crate::state::AppState;

/// An amount claimed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineIn {
    /// `training_costs`, `salaries`, `annex_costs`, `lump_sum` or `overrun`.
    pub nature: String,
    /// Euros, `1234.56` or `1 234,56`.
    pub amount: String,
}

/// A supporting document, its bytes in base64.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentIn {
    /// `certificate`, `attendance` or `other`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Its name.
    pub file_name: String,
    /// The PDF, base64 (an empty file is refused).
    #[schema(min_length = 1)]
    pub content_base64: String,
}

/// A reimbursement request filed by EDI.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimIn {
    /// Amounts by nature: at least one.
    #[schema(min_items = 1)]
    pub lines: Vec<LineIn>,
    /// A budget with deadlines (C5, C6), if one applies.
    #[serde(default)]
    pub budget: Option<String>,
    /// Supporting documents (PDF): at least one.
    #[schema(min_items = 1)]
    pub documents: Vec<DocumentIn>,
}

/// A reimbursement request as filed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimOut {
    /// Id.
    pub id: i64,
    /// Number (`DR-2026-000001`).
    pub number: String,
    /// `submitted`.
    pub status: String,
    /// Total claimed, in cents.
    pub claimed_cents: i64,
}

/// The message of a company without the EDI flag.
pub const EDI_ONLY: &str = "Le dépôt par échange de données informatisé (EDI) est réservé aux entreprises qui \
l’utilisaient avant fin décembre 2025. Déposez vos demandes de remboursement dans l’espace formation, dossier par dossier.";

/// The caller with their scope (API calls have no browser session), refused if staff: filing is
/// the company's (SPEC Q1).
async fn filer(state: &AppState, user: &ApiUser) -> Result<Scoped, AppError> {
    let scope = store::attachment::scope(&state.db, user.account.id, user.account.role).await?;
    crate::policy::require_filer(&scope)?;
    Ok(Scoped { user: CurrentUser { account: user.account.clone(), session_id: 0, unread: 0 }, scope })
}

/// 403 unless the company has the EDI flag.
async fn require_edi(state: &AppState, scoped: &Scoped, company_id: i64) -> Result<(), AppError> {
    let company = store::company::get(&state.db, &scoped.scope, company_id).await?.ok_or(AppError::NotFound)?;
    if company.edi {
        Ok(())
    } else {
        Err(AppError::Http { status: StatusCode::FORBIDDEN, code: "edi_required", message: EDI_ONLY.into() })
    }
}

fn decode(field: String, content: &str) -> Result<Vec<u8>, AppError> {
    base64::engine::general_purpose::STANDARD.decode(content.trim()).map_err(|_| AppError::Invalid {
        field: Some(field.into()),
        message: "Le contenu n’est pas du base64 valide.".into(),
    })
}

/// Field-by-field refusals as one API error: the first field, every message.
fn refused(errors: &crate::forms::FormErrors) -> ApiError {
    ApiError(AppError::Invalid {
        field: errors.items().first().map(|e| e.field.to_string().into()),
        message: errors.items().iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" "),
    })
}

/// Files a reimbursement request on a dossier, for companies with the EDI flag.
#[utoipa::path(
    post,
    path = "/api/v1/dossiers/{id}/remboursements",
    tag = "edi",
    security(("jeton" = [])),
    params(("id" = i64, Path, description = "Id du dossier")),
    request_body = ClaimIn,
    responses(
        (status = 201, description = "Demande déposée", body = ClaimOut),
        (status = 400, description = "Id illisible (pas un entier signé sur 64 bits) ou corps qui n’est pas du JSON", body = ErrorBody),
        (status = 401, description = "Non authentifié", body = ErrorBody),
        (status = 403, description = "Entreprise sans EDI, ou appelant du personnel de l’opérateur", body = ErrorBody),
        (status = 404, description = "Dossier introuvable", body = ErrorBody),
        (status = 413, description = "Corps trop volumineux", body = ErrorBody),
        (status = 422, description = "Champ refusé (nommé dans `field`)", body = ErrorBody),
    )
)]
pub async fn claim(
    State(state): State<AppState>,
    client: Client,
    user: ApiUser,
    Path(id): Path<i64>,
    request: axum::extract::Request,
) -> Result<(StatusCode, axum::Json<ClaimOut>), ApiError> {
    let scoped = filer(&state, &user).await?;
    let dossier = store::dossier::get(&state.db, &scoped.scope, id).await?.ok_or(AppError::NotFound)?;
    let company = store::company::get(&state.db, &scoped.scope, dossier.company_id).await?.ok_or(AppError::NotFound)?;
    if !company.edi {
        return Err(ApiError(AppError::Http {
            status: StatusCode::FORBIDDEN,
            code: "edi_required",
            message: EDI_ONLY.into(),
        }));
    }
    // The body is read once the dossier is known to be the caller's.
    let Json(input) = Json::<ClaimIn>::from_request(request, &state).await?;
    // The same checks as the portal's form: the API builds that form.
    let mut form = MultipartForm::default();
    for line in input.lines {
        form.fields.insert(line.nature, line.amount);
    }
    if let Some(budget) = input.budget {
        form.fields.insert("budget".into(), budget);
    }
    if let Some(kind) = input.documents.first().and_then(|d| d.kind.clone()) {
        form.fields.insert("document_kind".into(), kind);
    }
    for (i, document) in input.documents.into_iter().enumerate() {
        let bytes = base64::engine::general_purpose::STANDARD.decode(document.content_base64.trim()).map_err(|_| {
            AppError::Invalid {
                field: Some(format!("documents[{i}].content_base64").into()),
                message: "Le contenu du document n’est pas du base64 valide.".into(),
            }
        })?;
        form.files.push(UploadedFile { field: "documents".into(), file_name: document.file_name, bytes });
    }
    match crate::pages::reimbursements::file_claim(&state, &client, &scoped, &dossier, &form).await? {
        Ok(dr) => Ok((
            StatusCode::CREATED,
            axum::Json(ClaimOut { id: dr.id, number: dr.number, status: dr.status, claimed_cents: dr.claimed_cents }),
        )),
        Err(errors) => Err(refused(&errors)),
    }
}

/// A file, its bytes in base64.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileIn {
    /// Its name.
    pub file_name: String,
    /// Its bytes, base64 (an empty file is refused).
    #[schema(min_length = 1)]
    pub content_base64: String,
}

/// The company's invoice for a proforma, filed by EDI.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceIn {
    /// The invoice: an e-invoice (Factur-X PDF, CII or UBL XML), read automatically; or a plain
    /// PDF, then with `fields`.
    pub invoice: FileIn,
    /// A RIB (PDF), when the invoice has no IBAN.
    #[serde(default)]
    pub rib: Option<FileIn>,
    /// What a plain PDF says: `number`, `buyer_name`, `seller_siren`, `net`, `vat`, `gross`, `iban`.
    #[serde(default)]
    pub fields: std::collections::HashMap<String, String>,
}

/// An invoice as filed.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceOut {
    /// Id.
    pub id: i64,
    /// The invoice's own number.
    pub number: String,
    /// `submitted`: waiting for the operator's approval.
    pub status: String,
}

/// Files the company's invoice for a proforma, for companies with the EDI flag.
#[utoipa::path(
    post,
    path = "/api/v1/factures/{id}/facture",
    tag = "edi",
    security(("jeton" = [])),
    params(("id" = i64, Path, description = "Id de la facture pro forma")),
    request_body = InvoiceIn,
    responses(
        (status = 201, description = "Facture déposée", body = InvoiceOut),
        (status = 400, description = "Id illisible (pas un entier signé sur 64 bits) ou corps qui n’est pas du JSON", body = ErrorBody),
        (status = 401, description = "Non authentifié", body = ErrorBody),
        (status = 403, description = "Entreprise sans EDI, ou appelant du personnel de l’opérateur", body = ErrorBody),
        (status = 404, description = "Pro forma introuvable", body = ErrorBody),
        (status = 413, description = "Corps trop volumineux", body = ErrorBody),
        (status = 422, description = "Écart avec la pro forma, champ par champ", body = ErrorBody),
    )
)]
pub async fn invoice(
    State(state): State<AppState>,
    client: Client,
    user: ApiUser,
    Path(id): Path<i64>,
    request: axum::extract::Request,
) -> Result<(StatusCode, axum::Json<InvoiceOut>), ApiError> {
    let scoped = filer(&state, &user).await?;
    let proforma = store::proforma::get(&state.db, &scoped.scope, id).await?.ok_or(AppError::NotFound)?;
    require_edi(&state, &scoped, proforma.company_id).await?;
    let Json(input) = Json::<InvoiceIn>::from_request(request, &state).await?;
    let mut form = MultipartForm { fields: input.fields, ..MultipartForm::default() };
    let bytes = decode("invoice.content_base64".into(), &input.invoice.content_base64)?;
    form.files.push(UploadedFile { field: "invoice".into(), file_name: input.invoice.file_name, bytes });
    if let Some(rib) = input.rib {
        let bytes = decode("rib.content_base64".into(), &rib.content_base64)?;
        form.files.push(UploadedFile { field: "rib".into(), file_name: rib.file_name, bytes });
    }
    match crate::pages::invoices::file_invoice(&state, &client, &scoped, &proforma, &form).await? {
        Ok(invoice) => Ok((
            StatusCode::CREATED,
            axum::Json(InvoiceOut { id: invoice.id, number: invoice.number, status: invoice.status }),
        )),
        Err(errors) => Err(refused(&errors)),
    }
}
