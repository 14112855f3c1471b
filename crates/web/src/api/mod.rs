//! The JSON API under `/api/v1`, authenticated by personal tokens, described by OpenAPI at
//! `/api/openapi.json` with Swagger UI at `/api/docs`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub mod edi;
pub mod me;
pub mod tokens;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "espace-formation",
        description = "API de l’espace formation. Authentification : en-tête `Authorization: Bearer <jeton>`, \
                       jeton personnel créé dans « Mon compte › Jetons d’API ». Erreurs : \
                       `{\"error\": {\"code\", \"message\", \"field\"}}`, messages en français."
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "compte", description = "Le compte de l’appelant et ses jetons"),
        (name = "edi", description = "Dépôt des demandes de remboursement par EDI (entreprises autorisées)")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "jeton",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("efp_…").build()),
        );
    }
}

/// The API routes and their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(me::me))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(edi::claim))
        .routes(routes!(edi::invoice))
}
