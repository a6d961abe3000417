//! `GET /api/openapi.json`: the OpenAPI 3.1 description of every route, generated from the
//! `#[utoipa::path]` annotations of the handlers that [`super::routes`] serves.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "fleetdesk",
        description = "Vehicle and technician dispatch for depots, and users' organization \
                       roles with validity dates. The contract is API.md; this document is \
                       generated from the server's code.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
    ),
    modifiers(&BearerToken),
    tags(
        (name = "auth", description = "Signing in."),
        (name = "fleet", description = "Vehicles, users, technicians and assignments (admins)."),
        (name = "roles", description = "Organizations and role assignments, in the role API's envelope."),
        (name = "events", description = "The live event stream and the activity log."),
        (name = "operations", description = "Health, readiness, metrics and this document; no sign-in."),
    )
)]
pub struct ApiDoc;

/// `Authorization: Bearer <JWT>` from `POST /api/auth/login`.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        // An API key (`fdk_…`) goes as a bearer credential too, or in `X-API-Key`: wherever a
        // token is accepted, so is a key.
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "An API key from POST /api/auth/keys; it acts as its owner.",
            ))),
        );
    }
}

/// Wherever a token is accepted, so is an API key: every signed-in operation lists both.
fn keys_where_tokens_go(openapi: &mut utoipa::openapi::OpenApi) {
    for item in openapi.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            if let Some(security) = operation.security.as_mut() {
                let signed_in = !security.is_empty();
                if signed_in {
                    security.push(SecurityRequirement::new("api_key", Vec::<String>::new()));
                }
            }
        }
    }
}

/// The document as served; built once.
pub fn document() -> &'static str {
    static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
        let (_, mut document) = super::routes().split_for_parts();
        keys_where_tokens_go(&mut document);
        // Serialising plain data to a string does not fail.
        document.to_pretty_json().unwrap_or_default()
    });
    &DOCUMENT
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document.", content_type = "application/json"))
)]
pub async fn openapi_json() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], document()).into_response()
}
