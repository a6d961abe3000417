//! Organization roles and the kinds of change a conflict resolution proposes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A role held in an organization, lowest to highest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
