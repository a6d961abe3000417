//! `GET /api/users?query=&limit=` (API.md §8): finding users to give roles to, for fleet
//! admins and for organization administrators within what they administer.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::Json;

use super::auth::AuthUser;
use super::error::{ApiError, ApiResult};
use super::AppState;
use crate::api::access::UsersFound;
use crate::api::dates::Day;
use crate::api::ErrorBody;
use crate::domain::fleet::email_key;
use crate::domain::search::{check_limit, check_query, search_scope, SearchScope};
use crate::store::UserQuery;

const PARAMETERS: [&str; 2] = ["query", "limit"];

/// Users by name or e-mail, best match first.
#[utoipa::path(
    get,
    path = "/api/users",
    tag = "roles",
    security(("bearer" = [])),
    params(
        ("query" = String, Query, description = "At least 2 characters of a name or e-mail; case and accents do not matter."),
        ("limit" = Option<i64>, Query, description = "At most this many users, 1 to 100 (default 20)."),
    ),
    responses(
        (status = 200, description = "The exact e-mail first, then names that start with the query, then names with a word that does, then names or e-mails that contain it.", body = UsersFound),
        (status = 400, description = "The query is shorter than 2 characters, the limit is not 1 to 100, or a parameter is unknown.", body = ErrorBody),
        (status = 401, description = "No valid token or key.", body = ErrorBody),
        (status = 403, description = "The caller is neither a fleet admin or viewer nor an administrator of any organization.", body = ErrorBody),
    )
)]
pub async fn search(
    AuthUser(caller): AuthUser,
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Json<UsersFound>> {
    let holdings = state.store.holdings(caller.id).await?;
    let scope = search_scope(caller.role, &holdings, Day::today());
    if scope == SearchScope::Refused {
        return Err(ApiError::Forbidden(
            "Finding users needs a fleet admin account, or administrator or main_administrator \
             in some organization, valid today."
                .to_string(),
        ));
    }
    let mut unknown: Vec<&str> = params
        .keys()
        .map(String::as_str)
        .filter(|name| !PARAMETERS.contains(name))
        .collect();
    unknown.sort_unstable();
    if let Some(name) = unknown.first() {
        let shown: String = name.chars().take(40).collect();
        return Err(ApiError::Validation(format!(
            "{shown:?} is not a parameter of the user search; use query and limit."
        )));
    }
    let text =
        check_query(params.get("query").map(String::as_str)).map_err(ApiError::Validation)?;
    let limit =
        check_limit(params.get("limit").map(String::as_str)).map_err(ApiError::Validation)?;
    let users = state
        .store
        .search_users(&UserQuery {
            text: &text,
            email_key: &email_key(&text),
            scope: &scope,
            limit,
        })
        .await?;
    Ok(Json(UsersFound { users }))
}
