//! Organization roles and the kinds of change a conflict resolution proposes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::dates::Day;

/// A role held in an organization, lowest to highest.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Employee,
    Approver,
    Manager,
    Administrator,
    MainAdministrator,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Employee,
        Role::Approver,
        Role::Manager,
        Role::Administrator,
        Role::MainAdministrator,
    ];

    /// The wire name, the same as serde's.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Employee => "employee",
            Role::Approver => "approver",
            Role::Manager => "manager",
            Role::Administrator => "administrator",
            Role::MainAdministrator => "main_administrator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Exact wire names only, as serde accepts.
impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole {
                // Cut so a huge input cannot make a huge message.
                input: s.chars().take(40).collect(),
            })
    }
}

/// A string that names no role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownRole {
    pub input: String,
}

impl fmt::Display for UnknownRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not a role; expected one of ", self.input)?;
        for (i, role) in Role::ALL.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(role.as_str())?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownRole {}

/// What a suggestion does to an assignment to make room for a new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConflictType {
    NoUpdate,
    DateFromUpdated,
    DateToUpdated,
    ToDelete,
}

impl ConflictType {
    pub const ALL: [ConflictType; 4] = [
        ConflictType::NoUpdate,
        ConflictType::DateFromUpdated,
        ConflictType::DateToUpdated,
        ConflictType::ToDelete,
    ];

    /// The wire name, the same as serde's.
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictType::NoUpdate => "no_update",
            ConflictType::DateFromUpdated => "date_from_updated",
            ConflictType::DateToUpdated => "date_to_updated",
            ConflictType::ToDelete => "to_delete",
        }
    }
}

impl fmt::Display for ConflictType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_match_serde_and_parse_back() {
        for role in Role::ALL {
            let json = serde_json::to_string(&role).expect("serialize");
            assert_eq!(json, format!("\"{}\"", role.as_str()));
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(role.to_string(), role.as_str());
        }
        assert_eq!(Role::MainAdministrator.as_str(), "main_administrator");
        let back: Role = serde_json::from_str("\"main_administrator\"").expect("deserialize");
        assert_eq!(back, Role::MainAdministrator);
    }

    #[test]
    fn unknown_role_lists_the_allowed_values() {
        let err = "Admin".parse::<Role>().expect_err("not a role");
        assert_eq!(
            err.to_string(),
            "\"Admin\" is not a role; expected one of employee, approver, manager, administrator, main_administrator"
        );
    }

    #[test]
    fn conflict_type_names_match_serde() {
        let expected = [
            "no_update",
            "date_from_updated",
            "date_to_updated",
            "to_delete",
        ];
        for (kind, name) in ConflictType::ALL.into_iter().zip(expected) {
            assert_eq!(kind.as_str(), name);
            let json = serde_json::to_string(&kind).expect("serialize");
            assert_eq!(json, format!("\"{name}\""));
            let back: ConflictType = serde_json::from_str(&json).expect("deserialize");
            assert_eq!(back, kind);
        }
    }
}

// ---- wire types of the role API (API.md section 4) ----

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrganizationsEnvelope {
    pub organizations: Vec<Organization>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrganizationEnvelope {
    pub organization: Organization,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewOrganization {
    pub name: String,
    #[serde(default)]
    pub parent_id: Option<String>,
}

/// A user id: a string in the seed, a JSON number accepted too.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum UserIdValue {
    Text(String),
    Number(i64),
}

impl UserIdValue {
    /// The numeric id, when it is one.
    pub fn id(&self) -> Option<i64> {
        match self {
            UserIdValue::Text(text) => text.parse().ok().filter(|id| *id > 0),
            UserIdValue::Number(id) => Some(*id).filter(|id| *id > 0),
        }
    }
}

/// The body of `POST /api/users/assignment` (and `request` in a resolve).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignmentRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rel_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<Role>>,
    pub user_id: UserIdValue,
    pub organization_id: String,
    /// Empty or absent means 1970-01-01; parsed by the server so errors name the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// Empty or absent means 2200-01-01.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
}

/// One item of a 409's `data`, and of a resolve's `resolution`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConflictItem {
    pub rel_id: Option<i64>,
    pub user_id: UserIdValue,
    #[serde(alias = "groupId")]
    pub organization_id: String,
    pub roles: Vec<Role>,
    /// Suggested dates.
    pub valid_from: Day,
    pub valid_to: Day,
    pub conflict_type: ConflictType,
    pub validated: bool,
    /// Extension: the dates the existing assignment has now (null for a new one).
    #[serde(default)]
    pub current_valid_from: Option<Day>,
    #[serde(default)]
    pub current_valid_to: Option<Day>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvelopeItem {
    pub message: String,
    pub data: Option<Vec<ConflictItem>>,
    /// Extension: the assignment a create or update wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rel_id: Option<i64>,
}

/// The seed's envelope around every answer of the role API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RoleEnvelope {
    pub items: Vec<EnvelopeItem>,
    pub valid: Option<bool>,
}

impl RoleEnvelope {
    pub fn message(message: impl Into<String>, rel_id: Option<i64>) -> RoleEnvelope {
        RoleEnvelope {
            items: vec![EnvelopeItem {
                message: message.into(),
                data: None,
                rel_id,
            }],
            valid: None,
        }
    }

    pub fn conflict(message: impl Into<String>, data: Vec<ConflictItem>) -> RoleEnvelope {
        RoleEnvelope {
            items: vec![EnvelopeItem {
                message: message.into(),
                data: Some(data),
                rel_id: None,
            }],
            valid: None,
        }
    }

    /// The first item's message (every answer has one).
    pub fn first_message(&self) -> &str {
        self.items.first().map_or("", |item| item.message.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ResolveRequest {
    pub request: RoleAssignmentRequest,
    pub resolution: Vec<ConflictItem>,
}

/// `GET /api/users/:userId`: roles grouped as in seed 002's mapping.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserRoles {
    pub id: String,
    pub name: String,
    pub email: String,
    pub roles: Vec<RoleGroup>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RoleGroup {
    pub role: Role,
    pub organizations: Vec<RoleOrganization>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleOrganization {
    pub id: String,
    pub name: String,
    pub rel_id: i64,
    pub valid_from: Day,
    pub valid_to: Day,
}

/// Extension: one row of `GET /api/users/assignments`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignmentRow {
    pub rel_id: i64,
    pub user_id: String,
    pub user_name: String,
    pub organization_id: String,
    pub organization_name: String,
    pub roles: Vec<Role>,
    pub valid_from: Day,
    pub valid_to: Day,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RoleAssignmentsEnvelope {
    pub assignments: Vec<RoleAssignmentRow>,
}
