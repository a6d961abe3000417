//! The role API of seed 002 (API.md section 4): organizations, users' role assignments with
//! validity dates, conflicts with suggestions, and the atomic resolve.

use std::collections::HashMap;

use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;

use super::auth::{AdminUser, AuthUser};
use super::error::ApiError;
use super::extract::{ApiJson, IdParam};
use super::AppState;
use crate::api::dates::{parse_validity, Day, DEFAULT_VALID_FROM, DEFAULT_VALID_TO};
use crate::api::roles::{
    ConflictItem, NewOrganization, Organization, OrganizationEnvelope, OrganizationsEnvelope,
    ResolveRequest, Role, RoleAssignmentRequest, RoleAssignmentsEnvelope, RoleEnvelope, RoleGroup,
    RoleOrganization, UserIdValue, UserRoles,
};
use crate::api::ErrorBody;
use crate::api::{SystemRole, User};
use crate::domain::fleet::{check_text, NAME_MAX};
use crate::domain::roles::{
    apply, may_assign_in, may_grant, suggest, ApplyError, ExistingAssignment, RequestedAssignment,
    Suggestion,
};
use crate::store::{RoleChange, RoleWrite, StoreError};

pub const CREATED: &str = "The assignment was successfully created.";
pub const UPDATED: &str = "The assignment was successfully updated.";
pub const DELETED: &str = "The assignment was successfully deleted.";
/// Organization ids are UUIDs; anything much longer cannot name one.
const ORGANIZATION_ID_MAX: usize = 64;
/// An id no organization can have; PostgreSQL refuses NUL in text, so it never reaches it.
fn impossible_organization_id(id: &str) -> bool {
    id.is_empty() || id.chars().count() > ORGANIZATION_ID_MAX || id.contains('\0')
}

/// How often a change is retried when a concurrent one won at commit.
const ATTEMPTS: usize = 3;

/// An error of the role API: the seed's envelope, with conflict items on a 409.
#[derive(Debug)]
pub struct RoleError {
    error: ApiError,
    data: Option<Vec<ConflictItem>>,
}

impl From<ApiError> for RoleError {
    fn from(error: ApiError) -> RoleError {
        RoleError { error, data: None }
    }
}

impl From<StoreError> for RoleError {
    fn from(error: StoreError) -> RoleError {
        RoleError::from(ApiError::from(error))
    }
}

impl IntoResponse for RoleError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self.error {
            tracing::error!(%cause, "request failed");
        }
        let message = self.error.public_message();
        let retry_after = self.error.retry_after();
        let body = match self.data {
            Some(data) => RoleEnvelope::conflict(message, data),
            None => RoleEnvelope::message(message, None),
        };
        let mut response = (self.error.status(), Json(body)).into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds),
            );
        }
        response
    }
}

type RoleResult<T> = Result<T, RoleError>;

fn bad_request(message: impl Into<String>) -> RoleError {
    ApiError::Validation(message.into()).into()
}

fn not_found(message: impl Into<String>) -> RoleError {
    ApiError::NotFound(message.into()).into()
}

fn forbidden(message: impl Into<String>) -> RoleError {
    ApiError::Forbidden(message.into()).into()
}

/// The signed-in caller, refused in the envelope.
pub struct Caller(pub User);

impl FromRequestParts<AppState> for Caller {
    type Rejection = RoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> RoleResult<Self> {
        let AuthUser(user) = AuthUser::from_request_parts(parts, state).await?;
        Ok(Caller(user))
    }
}

/// A JSON body, refused in the envelope.
pub struct RoleJson<T>(pub T);

impl<T: serde::de::DeserializeOwned> FromRequest<AppState> for RoleJson<T> {
    type Rejection = RoleError;

    async fn from_request(req: Request, state: &AppState) -> RoleResult<Self> {
        let ApiJson(value) = ApiJson::from_request(req, state).await?;
        Ok(RoleJson(value))
    }
}

/// A relId from the path, refused in the envelope.
pub struct RelIdParam(pub i64);

impl FromRequestParts<AppState> for RelIdParam {
    type Rejection = RoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> RoleResult<Self> {
        let IdParam(id) = IdParam::from_request_parts(parts, state).await?;
        Ok(RelIdParam(id))
    }
}

// ---- organizations ----

/// The organization tree, flat.
#[utoipa::path(
    get,
    path = "/api/organizations",
    tag = "roles",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every organization.", body = OrganizationsEnvelope),
        (status = 401, description = "No valid token.", body = ErrorBody),
    )
)]
pub async fn list_organizations(
    _: AuthUser,
    State(state): State<AppState>,
) -> Result<Json<OrganizationsEnvelope>, ApiError> {
    Ok(Json(OrganizationsEnvelope {
        organizations: state.store.list_organizations().await?,
    }))
}

/// Creates an organization.
#[utoipa::path(
    post,
    path = "/api/organizations",
    tag = "roles",
    security(("bearer" = [])),
    request_body = NewOrganization,
    responses(
        (status = 201, description = "Created.", body = OrganizationEnvelope),
        (status = 400, description = "A field is invalid, or the parent does not exist.", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 403, description = "Not an admin.", body = ErrorBody),
    )
)]
pub async fn create_organization(
    AdminUser(caller): AdminUser,
    State(state): State<AppState>,
    ApiJson(new): ApiJson<NewOrganization>,
) -> Result<(StatusCode, Json<OrganizationEnvelope>), ApiError> {
    check_text("name", &new.name, NAME_MAX).map_err(ApiError::Validation)?;
    let parent_id = new.parent_id.filter(|id| !id.is_empty());
    let missing_parent =
        |id: &str| ApiError::Validation(format!("parentId {id:?} names no organization."));
    if let Some(parent) = &parent_id {
        if impossible_organization_id(parent)
            || state.store.get_organization(parent).await?.is_none()
        {
            return Err(missing_parent(parent));
        }
    }
    let id = uuid::Uuid::new_v4().to_string();
    match state
        .store
        .create_organization(
            &id,
            &new.name,
            parent_id.as_deref(),
            Some(&caller.actor()),
            Utc::now(),
        )
        .await
    {
        Ok(organization) => Ok((
            StatusCode::CREATED,
            Json(OrganizationEnvelope { organization }),
        )),
        Err(StoreError::NotFound) => Err(missing_parent(parent_id.as_deref().unwrap_or(""))),
        Err(err) => Err(err.into()),
    }
}

// ---- reading ----

/// The `:userId` of the path, refused in the envelope when it is not even text.
pub struct UserIdPath(pub String);

impl FromRequestParts<AppState> for UserIdPath {
    type Rejection = RoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> RoleResult<Self> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| bad_request("The user id in the path is not valid text."))?;
        Ok(UserIdPath(raw))
    }
}

/// A user's roles grouped by role, each with its organizations and dates.
#[utoipa::path(
    get,
    path = "/api/users/{user_id}",
    tag = "roles",
    security(("bearer" = [])),
    params(("user_id" = String, Path, description = "The user's id.")),
    responses(
        (status = 200, description = "The user's roles.", body = UserRoles),
        (status = 401, description = "No valid token.", body = RoleEnvelope),
        (status = 404, description = "No such user.", body = RoleEnvelope),
    )
)]
pub async fn user_roles(
    _: Caller,
    State(state): State<AppState>,
    UserIdPath(raw_user_id): UserIdPath,
) -> RoleResult<Json<UserRoles>> {
    let missing = || not_found(format!("No user has id {raw_user_id:?}."));
    let user_id = UserIdValue::Text(raw_user_id.clone())
        .id()
        .ok_or_else(missing)?;
    let user = state.store.get_user(user_id).await?.ok_or_else(missing)?;
    let rows = state
        .store
        .list_role_assignments(Some(user_id), None)
        .await?;
    let roles = Role::ALL
        .iter()
        .filter_map(|role| {
            let organizations: Vec<RoleOrganization> = rows
                .iter()
                .filter(|row| row.roles.contains(role))
                .map(|row| RoleOrganization {
                    id: row.organization_id.clone(),
                    name: row.organization_name.clone(),
                    rel_id: row.rel_id,
                    valid_from: row.valid_from,
                    valid_to: row.valid_to,
                })
                .collect();
            (!organizations.is_empty()).then_some(RoleGroup {
                role: *role,
                organizations,
            })
        })
        .collect();
    Ok(Json(UserRoles {
        id: user.id.to_string(),
        name: user.name,
        email: user.email,
        roles,
    }))
}

/// Role assignments, by user, organization and start.
#[utoipa::path(
    get,
    path = "/api/users/assignments",
    tag = "roles",
    security(("bearer" = [])),
    params(
        ("userId" = Option<String>, Query, description = "Only this user's."),
        ("organizationId" = Option<String>, Query, description = "Only in this organization."),
        ("includeDescendants" = Option<bool>, Query, description = "With organizationId: also in every organization below it."),
    ),
    responses(
        (status = 200, description = "The assignments.", body = RoleAssignmentsEnvelope),
        (status = 400, description = "A query parameter is invalid.", body = RoleEnvelope),
        (status = 401, description = "No valid token.", body = RoleEnvelope),
    )
)]
pub async fn list_assignments(
    _: Caller,
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> RoleResult<Json<RoleAssignmentsEnvelope>> {
    let user_id = match params.get("userId").filter(|text| !text.is_empty()) {
        Some(text) => Some(
            UserIdValue::Text(text.clone())
                .id()
                .ok_or_else(|| bad_request(format!("userId must be a user id, not {text:?}.")))?,
        ),
        None => None,
    };
    let organization_id = params.get("organizationId").filter(|text| !text.is_empty());
    let include_descendants = match params.get("includeDescendants").map(String::as_str) {
        None | Some("" | "false") => false,
        Some("true") => true,
        Some(_) => return Err(bad_request("includeDescendants must be true or false.")),
    };
    if include_descendants && organization_id.is_none() {
        return Err(bad_request(
            "includeDescendants needs organizationId: the organization whose subtree to list.",
        ));
    }
    if organization_id.is_some_and(|id| impossible_organization_id(id)) {
        return Ok(Json(RoleAssignmentsEnvelope {
            assignments: Vec::new(),
        }));
    }
    let assignments = match organization_id {
        Some(organization_id) if include_descendants => {
            state
                .store
                .list_role_assignments_below(user_id, organization_id)
                .await?
        }
        _ => {
            state
                .store
                .list_role_assignments(user_id, organization_id.map(String::as_str))
                .await?
        }
    };
    Ok(Json(RoleAssignmentsEnvelope { assignments }))
}

// ---- writing ----

/// A request checked against the database and the caller's permissions.
struct Prepared {
    user: User,
    organization: Organization,
    requested: RequestedAssignment,
}

fn requested_roles(request: &RoleAssignmentRequest) -> RoleResult<Vec<Role>> {
    let mut roles = match (&request.role, &request.roles) {
        (Some(role), None) => vec![*role],
        (None, Some(roles)) => roles.clone(),
        (Some(_), Some(_)) => return Err(bad_request("Give either role or roles, not both.")),
        (None, None) => return Err(bad_request("role is missing: give role (or roles).")),
    };
    if roles.is_empty() {
        return Err(bad_request("roles must name at least one role."));
    }
    if roles.len() > Role::ALL.len() {
        return Err(bad_request(
            "roles may name each of the five roles at most once.",
        ));
    }
    roles.sort();
    roles.dedup();
    Ok(roles)
}

fn validity(field: &str, value: Option<&str>, default: Day) -> RoleResult<Day> {
    match value {
        None | Some("") => Ok(default),
        Some(text) => parse_validity(text).map_err(|err| bad_request(format!("{field}: {err}"))),
    }
}

fn includes_main_administrator(roles: &[Role]) -> bool {
    roles.contains(&Role::MainAdministrator)
}

/// Checks the caller may write `roles` (and change assignments holding `touched` roles)
/// in this organization.
async fn check_permission(
    state: &AppState,
    caller: &User,
    organization: &Organization,
    roles: &[Role],
) -> RoleResult<()> {
    let is_fleet_admin = caller.role == SystemRole::Admin;
    if is_fleet_admin {
        return Ok(());
    }
    let holdings = state.store.holdings(caller.id).await?;
    let ancestry = state.store.organization_ancestry(&organization.id).await?;
    let today = Day::today();
    if !may_assign_in(is_fleet_admin, &holdings, &ancestry, today) {
        return Err(forbidden(format!(
            "You may not assign roles in {}: that needs administrator or main_administrator there or above, valid today.",
            organization.name
        )));
    }
    if !may_grant(is_fleet_admin, &holdings, &ancestry, today, roles) {
        return Err(forbidden(
            "Only a fleet admin or a main_administrator may grant or change main_administrator.",
        ));
    }
    Ok(())
}

async fn prepare(
    state: &AppState,
    caller: &User,
    request: &RoleAssignmentRequest,
) -> RoleResult<Prepared> {
    let roles = requested_roles(request)?;
    let from = validity(
        "validFrom",
        request.valid_from.as_deref(),
        DEFAULT_VALID_FROM,
    )?;
    let to = validity("validTo", request.valid_to.as_deref(), DEFAULT_VALID_TO)?;
    if from > to {
        return Err(bad_request(format!(
            "validFrom {from} is after validTo {to}."
        )));
    }
    let user_id = request
        .user_id
        .id()
        .ok_or_else(|| bad_request("userId must hold a user id such as \"5\"."))?;
    let user = state
        .store
        .get_user(user_id)
        .await?
        .ok_or_else(|| not_found(format!("No user has id {user_id}.")))?;
    let organization_id = &request.organization_id;
    let missing_organization = || not_found(format!("No organization has id {organization_id:?}."));
    if impossible_organization_id(organization_id) {
        return Err(missing_organization());
    }
    let organization = state
        .store
        .get_organization(organization_id)
        .await?
        .ok_or_else(missing_organization)?;
    let mut touched = roles.clone();
    if let Some(rel_id) = request.rel_id {
        let current = state
            .store
            .get_role_assignment(rel_id)
            .await?
            .ok_or_else(|| not_found(format!("No assignment has relId {rel_id}.")))?;
        if current.user_id != user.id.to_string() || current.organization_id != organization.id {
            return Err(bad_request(format!(
                "relId {rel_id} belongs to another user or organization; it cannot be moved."
            )));
        }
        touched.extend(current.roles);
    }
    check_permission(state, caller, &organization, &touched).await?;
    Ok(Prepared {
        user,
        organization,
        requested: RequestedAssignment {
            rel_id: request.rel_id,
            roles,
            from,
            to,
        },
    })
}

fn overlap_message(prepared: &Prepared) -> String {
    format!(
        "Dates may not overlap. {} has already a role in the organization unit {} which is in conflict with the new permission.",
        prepared.user.name, prepared.organization.name
    )
}

fn conflict_items(prepared: &Prepared, suggestions: &[Suggestion]) -> Vec<ConflictItem> {
    suggestions
        .iter()
        .map(|suggestion| ConflictItem {
            rel_id: suggestion.rel_id,
            user_id: UserIdValue::Text(prepared.user.id.to_string()),
            organization_id: prepared.organization.id.clone(),
            roles: suggestion.roles.clone(),
            valid_from: suggestion.from,
            valid_to: suggestion.to,
            conflict_type: suggestion.conflict_type,
            validated: suggestion.validated,
            current_valid_from: suggestion.current.map(|(from, _)| from),
            current_valid_to: suggestion.current.map(|(_, to)| to),
        })
        .collect()
}

fn conflict(message: String, prepared: &Prepared, suggestions: &[Suggestion]) -> RoleError {
    RoleError {
        error: ApiError::Conflict(message),
        data: Some(conflict_items(prepared, suggestions)),
    }
}

/// Why a change was not written.
enum Refusal {
    Overlap(Vec<Suggestion>),
    Stale {
        reason: String,
        fresh: Vec<Suggestion>,
    },
    Invalid(String),
    EditedGone(i64),
    Forbidden,
}

fn refusal_error(prepared: &Prepared, refusal: Refusal) -> RoleError {
    match refusal {
        Refusal::Overlap(suggestions) => {
            conflict(overlap_message(prepared), prepared, &suggestions)
        }
        Refusal::Stale { reason, fresh } if fresh.is_empty() => conflict(
            format!("{reason} The request no longer overlaps anything; send it again."),
            prepared,
            &fresh,
        ),
        Refusal::Stale { reason, fresh } => conflict(
            format!("{reason} {}", overlap_message(prepared)),
            prepared,
            &fresh,
        ),
        Refusal::Invalid(message) => bad_request(message),
        Refusal::EditedGone(rel_id) => not_found(format!("No assignment has relId {rel_id}.")),
        Refusal::Forbidden => forbidden(
            "Only a fleet admin or a main_administrator may grant or change main_administrator.",
        ),
    }
}

/// The writes that turn `existing` into `wanted`; also which insert is the request.
fn writes_for(
    existing: &[ExistingAssignment],
    wanted: &[crate::domain::roles::FinalAssignment],
    requested: &RequestedAssignment,
) -> (Vec<RoleWrite>, Option<usize>) {
    let mut writes = Vec::new();
    for old in existing {
        match wanted.iter().find(|item| item.rel_id == Some(old.rel_id)) {
            None => writes.push(RoleWrite::Delete { rel_id: old.rel_id }),
            Some(item) if item.from != old.from || item.to != old.to || item.roles != old.roles => {
                writes.push(RoleWrite::Update {
                    rel_id: old.rel_id,
                    roles: item.roles.clone(),
                    from: item.from,
                    to: item.to,
                })
            }
            Some(_) => {}
        }
    }
    let mut request_insert = None;
    let new_rows = wanted.iter().filter(|item| item.rel_id.is_none());
    for (position, item) in new_rows.enumerate() {
        if requested.rel_id.is_none() && item.from == requested.from && item.to == requested.to {
            request_insert = Some(position);
        }
        writes.push(RoleWrite::Insert {
            roles: item.roles.clone(),
            from: item.from,
            to: item.to,
        });
    }
    (writes, request_insert)
}

fn success(
    requested: &RequestedAssignment,
    inserted: &[i64],
    request_insert: Option<usize>,
) -> Json<RoleEnvelope> {
    match requested.rel_id {
        Some(rel_id) => Json(RoleEnvelope::message(UPDATED, Some(rel_id))),
        None => Json(RoleEnvelope::message(
            CREATED,
            request_insert.and_then(|index| inserted.get(index).copied()),
        )),
    }
}

/// Creates a role assignment, or edits the one named by `relId`.
#[utoipa::path(
    post,
    path = "/api/users/assignment",
    tag = "roles",
    security(("bearer" = [])),
    request_body = RoleAssignmentRequest,
    responses(
        (status = 200, description = "Created or updated; a create names the new `relId`.", body = RoleEnvelope),
        (status = 400, description = "A field is missing or invalid.", body = RoleEnvelope),
        (status = 401, description = "No valid token.", body = RoleEnvelope),
        (status = 403, description = "The caller may not assign in that organization.", body = RoleEnvelope),
        (status = 404, description = "The user, organization or relId does not exist.", body = RoleEnvelope),
        (status = 409, description = "The dates overlap; `data` suggests how to make room.", body = RoleEnvelope),
    )
)]
pub async fn save_assignment(
    Caller(caller): Caller,
    State(state): State<AppState>,
    RoleJson(request): RoleJson<RoleAssignmentRequest>,
) -> RoleResult<Json<RoleEnvelope>> {
    let prepared = prepare(&state, &caller, &request).await?;
    let requested = prepared.requested.clone();
    for _ in 0..ATTEMPTS {
        let mut request_insert = None;
        let outcome = state
            .store
            .change_role_assignments(
                prepared.user.id,
                &prepared.organization.id,
                Some(&caller.actor()),
                |existing| {
                    if let Some(rel_id) = requested.rel_id {
                        if !existing.iter().any(|row| row.rel_id == rel_id) {
                            return Err(Refusal::EditedGone(rel_id));
                        }
                    }
                    let suggestions = suggest(&requested, existing);
                    if !suggestions.is_empty() {
                        return Err(Refusal::Overlap(suggestions));
                    }
                    Ok(match requested.rel_id {
                        Some(rel_id) => vec![RoleWrite::Update {
                            rel_id,
                            roles: requested.roles.clone(),
                            from: requested.from,
                            to: requested.to,
                        }],
                        None => {
                            request_insert = Some(0);
                            vec![RoleWrite::Insert {
                                roles: requested.roles.clone(),
                                from: requested.from,
                                to: requested.to,
                            }]
                        }
                    })
                },
            )
            .await;
        match outcome {
            Ok(RoleChange::Applied(inserted)) => {
                return Ok(success(&requested, &inserted, request_insert))
            }
            Ok(RoleChange::Refused(refusal)) => return Err(refusal_error(&prepared, refusal)),
            // A concurrent change won at commit; look again.
            Err(StoreError::Taken(_)) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::internal("the assignment kept colliding with concurrent changes").into())
}

const STILL_OVERLAPS: &str = "The resolution still leaves an overlap; nothing was applied.";
const STALE: &str =
    "The assignments changed since these suggestions were made; nothing was applied.";

/// Applies a conflict's suggestions (possibly edited) and the request, in one transaction.
#[utoipa::path(
    post,
    path = "/api/users/assignment/resolve",
    tag = "roles",
    security(("bearer" = [])),
    request_body = ResolveRequest,
    responses(
        (status = 200, description = "Applied.", body = RoleEnvelope),
        (status = 400, description = "A field is missing or invalid.", body = RoleEnvelope),
        (status = 401, description = "No valid token.", body = RoleEnvelope),
        (status = 403, description = "The caller may not assign in that organization.", body = RoleEnvelope),
        (status = 404, description = "The user, organization or a relId does not exist.", body = RoleEnvelope),
        (status = 409, description = "Stale or still overlapping: nothing applied, fresh suggestions.", body = RoleEnvelope),
    )
)]
pub async fn resolve(
    Caller(caller): Caller,
    State(state): State<AppState>,
    RoleJson(body): RoleJson<ResolveRequest>,
) -> RoleResult<Json<RoleEnvelope>> {
    if body.resolution.len() > 1000 {
        return Err(bad_request("resolution has too many items."));
    }
    let prepared = prepare(&state, &caller, &body.request).await?;
    let user_id = prepared.user.id;
    let mut touched: Vec<Role> = prepared.requested.roles.clone();
    for item in &body.resolution {
        if item.roles.is_empty() && !item.validated {
            return Err(bad_request("Every resolution item must name its roles."));
        }
        if item.user_id.id() != Some(user_id) || item.organization_id != prepared.organization.id {
            return Err(bad_request(
                "Every resolution item must be for the request's userId and organizationId.",
            ));
        }
        touched.extend(item.roles.iter().copied());
    }
    let suggestions: Vec<Suggestion> = body.resolution.iter().map(Suggestion::from_item).collect();
    check_permission(&state, &caller, &prepared.organization, &touched).await?;
    // Trimming or deleting someone's main_administrator grant needs the right to grant it;
    // which rows an item touches is only known inside the transaction.
    let may_change_main_administrator = check_permission(
        &state,
        &caller,
        &prepared.organization,
        &[Role::MainAdministrator],
    )
    .await
    .is_ok();
    let requested = prepared.requested.clone();
    for _ in 0..ATTEMPTS {
        let mut request_insert = None;
        let outcome = state
            .store
            .change_role_assignments(
                user_id,
                &prepared.organization.id,
                Some(&caller.actor()),
                |existing| {
                    let touches_main_administrator = suggestions.iter().any(|item| {
                        existing.iter().any(|row| {
                            Some(row.rel_id) == item.rel_id
                                && includes_main_administrator(&row.roles)
                        })
                    });
                    if touches_main_administrator && !may_change_main_administrator {
                        return Err(Refusal::Forbidden);
                    }
                    let wanted = match apply(existing, &requested, &suggestions) {
                        Ok(wanted) => wanted,
                        Err(err @ (ApplyError::Stale { .. } | ApplyError::UnknownRelId(_))) => {
                            return Err(Refusal::Stale {
                                reason: format!("{STALE} ({err})"),
                                fresh: suggest(&requested, existing),
                            })
                        }
                        Err(err @ ApplyError::Overlap { .. }) => {
                            let reason = format!("{STILL_OVERLAPS} ({err})");
                            return Err(Refusal::Stale {
                                reason,
                                fresh: suggest(&requested, existing),
                            });
                        }
                        Err(err) => {
                            return Err(Refusal::Invalid(format!(
                                "The resolution is not valid: {err}."
                            )))
                        }
                    };
                    let (writes, index) = writes_for(existing, &wanted, &requested);
                    request_insert = index;
                    Ok(writes)
                },
            )
            .await;
        match outcome {
            Ok(RoleChange::Applied(inserted)) => {
                return Ok(success(&requested, &inserted, request_insert))
            }
            Ok(RoleChange::Refused(refusal)) => return Err(refusal_error(&prepared, refusal)),
            Err(StoreError::Taken(_)) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::internal("the resolution kept colliding with concurrent changes").into())
}

/// Deletes a role assignment.
#[utoipa::path(
    delete,
    path = "/api/users/assignment/{rel_id}",
    tag = "roles",
    security(("bearer" = [])),
    params(("rel_id" = i64, Path, description = "The assignment's relId.")),
    responses(
        (status = 200, description = "Deleted.", body = RoleEnvelope),
        (status = 401, description = "No valid token.", body = RoleEnvelope),
        (status = 403, description = "The caller may not change assignments there.", body = RoleEnvelope),
        (status = 404, description = "No such assignment.", body = RoleEnvelope),
    )
)]
pub async fn delete_assignment(
    Caller(caller): Caller,
    State(state): State<AppState>,
    RelIdParam(rel_id): RelIdParam,
) -> RoleResult<Json<RoleEnvelope>> {
    let missing = || not_found(format!("No assignment has relId {rel_id}."));
    let row = state
        .store
        .get_role_assignment(rel_id)
        .await?
        .ok_or_else(missing)?;
    let organization = state
        .store
        .get_organization(&row.organization_id)
        .await?
        .ok_or_else(missing)?;
    check_permission(&state, &caller, &organization, &row.roles).await?;
    match state
        .store
        .delete_role_assignment(rel_id, Some(&caller.actor()))
        .await
    {
        Ok(()) => Ok(Json(RoleEnvelope::message(DELETED, None))),
        Err(StoreError::NotFound) => Err(missing()),
        Err(err) => Err(err.into()),
    }
}
