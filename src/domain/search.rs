//! Finding users: who may search for whom, what a query must look like, and the folded form
//! of names and e-mails that makes the search blind to case and accents.

use crate::api::dates::Day;
use crate::api::roles::Role;
use crate::api::SystemRole;
use crate::domain::roles::Holding;

pub const QUERY_MIN: usize = 2;
pub const QUERY_MAX: usize = 320;
pub const LIMIT_DEFAULT: i64 = 20;
pub const LIMIT_MAX: i64 = 100;

/// The form names and e-mails are compared in: ASCII by transliteration ("Łukasz Müller" →
/// "lukasz muller", "Straße" → "strasse"), lower case, runs of spaces made one.
///
/// ```
/// use fleetdesk::domain::search::fold;
/// assert_eq!(fold("  Søren  ÅBERG "), "soren aberg");
/// assert_eq!(fold("Łukasz Müller-Straße"), "lukasz muller-strasse");
/// ```
pub fn fold(text: &str) -> String {
    let ascii = deunicode::deunicode(text).to_lowercase();
    ascii.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whom a caller may find with `GET /api/users`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchScope {
    /// Every user.
    Everyone,
    /// The users who hold or held a role in these organizations or below them, and anyone
    /// whose e-mail is the query exactly.
    Administered(Vec<String>),
    /// Nobody: the caller administers nothing.
    Refused,
}

/// Who may search whom (API.md §8): a fleet admin or viewer everyone; a user who holds
/// `administrator` or `main_administrator`, valid today, the people of those organizations and
/// their sub-organizations; anyone else nobody. The one place this is decided.
pub fn search_scope(role: SystemRole, holdings: &[Holding], today: Day) -> SearchScope {
    if role.reads_fleet() {
        return SearchScope::Everyone;
    }
    let mut roots: Vec<String> = holdings
        .iter()
        .filter(|h| {
            h.from <= today
                && today <= h.to
                && h.roles
                    .iter()
                    .any(|r| matches!(r, Role::Administrator | Role::MainAdministrator))
        })
        .map(|h| h.organization_id.clone())
        .collect();
    roots.sort();
    roots.dedup();
    if roots.is_empty() {
        SearchScope::Refused
    } else {
        SearchScope::Administered(roots)
    }
}

/// A query as searched: folded, and long enough to mean something.
pub fn check_query(query: Option<&str>) -> Result<String, String> {
    let Some(query) = query else {
        return Err("query is missing: give at least 2 characters of a name or e-mail.".into());
    };
    if query.chars().any(char::is_control) {
        return Err("query must not contain control characters.".into());
    }
    let length = query.trim().chars().count();
    if length < QUERY_MIN {
        return Err(format!(
            "query must have at least {QUERY_MIN} characters (it has {length})."
        ));
    }
    if length > QUERY_MAX {
        return Err(format!("query must have at most {QUERY_MAX} characters."));
    }
    Ok(query.trim().to_string())
}

/// `limit`: absent means [`LIMIT_DEFAULT`]; otherwise 1 to [`LIMIT_MAX`].
pub fn check_limit(limit: Option<&str>) -> Result<i64, String> {
    match limit {
        None => Ok(LIMIT_DEFAULT),
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=LIMIT_MAX).contains(n))
            .ok_or_else(|| format!("limit must be a whole number from 1 to {LIMIT_MAX}.")),
    }
}

/// `%`, `_` and the escape character itself match literally in a `LIKE … ESCAPE '\'`.
pub fn like_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holding(org: &str, roles: &[Role], from: Day, to: Day) -> Holding {
        Holding {
            organization_id: org.to_string(),
            roles: roles.to_vec(),
            from,
            to,
        }
    }

    fn day(y: i32, m: u32, d: u32) -> Day {
        Day::from_ymd(y, m, d).expect("a date")
    }

    #[test]
    fn folding_ignores_case_accents_and_extra_space() {
        assert_eq!(fold("Élodie  Ørsted"), "elodie orsted");
        assert_eq!(fold("ÉLODIE"), fold("élodie"));
        assert_eq!(fold("Zoë"), "zoe");
        assert_eq!(fold("Đorđe Łopata"), "dorde lopata");
        assert_eq!(fold("ana@Depot.Example"), "ana@depot.example");
    }

    #[test]
    fn fleet_admins_search_everyone_administrators_their_organizations() {
        let today = day(2026, 6, 1);
        let open = (day(2024, 1, 1), day(2200, 1, 1));
        assert_eq!(
            search_scope(SystemRole::Admin, &[], today),
            SearchScope::Everyone
        );
        let held = [
            holding("north", &[Role::Administrator], open.0, open.1),
            holding("south", &[Role::Employee, Role::Manager], open.0, open.1),
            holding(
                "harbour",
                &[Role::Administrator],
                day(2020, 1, 1),
                day(2023, 12, 31),
            ),
            holding("east", &[Role::MainAdministrator], day(2027, 1, 1), open.1),
            holding("north", &[Role::MainAdministrator], today, today),
        ];
        assert_eq!(
            search_scope(SystemRole::Technician, &held, today),
            SearchScope::Administered(vec!["north".to_string()])
        );
        assert_eq!(
            search_scope(SystemRole::Technician, &held[1..4], today),
            SearchScope::Refused
        );
    }

    #[test]
    fn queries_and_limits() {
        assert!(check_query(None).is_err());
        assert!(check_query(Some("")).is_err());
        assert!(check_query(Some(" a ")).is_err());
        assert_eq!(check_query(Some(" ab ")), Ok("ab".to_string()));
        assert!(check_query(Some("é")).is_err());
        assert!(check_query(Some("ab\u{0}")).is_err());
        assert!(check_query(Some(&"x".repeat(321))).is_err());
        assert_eq!(check_limit(None), Ok(20));
        assert_eq!(check_limit(Some("100")), Ok(100));
        for bad in ["0", "101", "-1", "ten", "", "1.5"] {
            assert!(check_limit(Some(bad)).is_err(), "{bad}");
        }
        assert_eq!(like_escape("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}
