//! Role assignments over validity ranges: overlap, the suggestions that make
//! room for a new assignment, checking and applying a chosen resolution, and
//! who may assign which roles where.
//!
//! Ranges are whole days, inclusive at both ends: [2021-01-01, 2021-01-31]
//! and [2021-02-01, …] touch but do not overlap.

use std::fmt;

use crate::api::dates::{Day, DEFAULT_VALID_FROM, DEFAULT_VALID_TO};
use crate::api::roles::{ConflictItem, ConflictType, Role, RoleAssignmentRequest};

/// An assignment as stored now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExistingAssignment {
    pub rel_id: i64,
    pub roles: Vec<Role>,
    pub from: Day,
    pub to: Day,
}

/// The assignment being created (`rel_id: None`) or edited (`Some`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestedAssignment {
    pub rel_id: Option<i64>,
    pub roles: Vec<Role>,
    pub from: Day,
    pub to: Day,
}

impl RequestedAssignment {
    /// What a request asks for: its roles, and its dates with the defaults filled in (an
    /// empty or unreadable date stands for the default; the client sends only plain dates).
    pub fn of(request: &RoleAssignmentRequest) -> RequestedAssignment {
        let roles = match (&request.roles, request.role) {
            (Some(roles), _) => roles.clone(),
            (None, Some(role)) => vec![role],
            (None, None) => Vec::new(),
        };
        let date = |text: &Option<String>, default: Day| {
            text.as_deref()
                .filter(|text| !text.trim().is_empty())
                .and_then(|text| text.parse::<Day>().ok())
                .unwrap_or(default)
        };
        RequestedAssignment {
            rel_id: request.rel_id,
            roles,
            from: date(&request.valid_from, DEFAULT_VALID_FROM),
            to: date(&request.valid_to, DEFAULT_VALID_TO),
        }
    }
}

/// One line of a proposed resolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    /// The assignment changed; `None` for one to create (the new one, or the
    /// part of a split assignment after the new range).
    pub rel_id: Option<i64>,
    pub roles: Vec<Role>,
    /// The suggested dates.
    pub from: Day,
    pub to: Day,
    /// The dates the assignment has now, so a stale resolution is caught.
    pub current: Option<(Day, Day)>,
    pub conflict_type: ConflictType,
    /// `true` only for the requested assignment itself; the others are
    /// changes the caller still has to accept.
    pub validated: bool,
}

impl Suggestion {
    /// A conflict item as it travels on the wire.
    pub fn from_item(item: &ConflictItem) -> Suggestion {
        Suggestion {
            rel_id: item.rel_id,
            roles: item.roles.clone(),
            from: item.valid_from,
            to: item.valid_to,
            current: item.current_valid_from.zip(item.current_valid_to),
            conflict_type: item.conflict_type,
            validated: item.validated,
        }
    }
}

/// An assignment as it will be once a resolution is applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinalAssignment {
    /// `None` for one that will be created.
    pub rel_id: Option<i64>,
    pub roles: Vec<Role>,
    pub from: Day,
    pub to: Day,
}

/// Why a resolution cannot be applied. `Display` is a sentence for a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplyError {
    /// An item or the edit names an assignment that is not in `existing`.
    UnknownRelId(i64),
    /// The item's `current` is not the dates the assignment has now.
    Stale {
        rel_id: i64,
        expected: Option<(Day, Day)>,
        actual: (Day, Day),
    },
    /// An item (or the request) ends before it starts.
    InvertedRange {
        rel_id: Option<i64>,
        from: Day,
        to: Day,
    },
    /// An assignment to create has no roles.
    EmptyRoles { rel_id: Option<i64> },
    /// An item that makes no sense: `to_delete` without a rel id, an
    /// assignment named twice, or the edited assignment named as a conflict.
    Malformed {
        rel_id: Option<i64>,
        reason: &'static str,
    },
    /// After applying, these two still overlap.
    Overlap {
        first: FinalAssignment,
        second: FinalAssignment,
    },
}

fn label(rel_id: Option<i64>) -> String {
    match rel_id {
        Some(id) => format!("assignment {id}"),
        None => "a new assignment".to_owned(),
    }
}

fn span(from: Day, to: Day) -> String {
    format!("{} to {}", from.date_only(), to.date_only())
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApplyError::UnknownRelId(id) => write!(f, "assignment {id} does not exist"),
            ApplyError::Stale {
                rel_id,
                expected,
                actual,
            } => {
                let now = span(actual.0, actual.1);
                match expected {
                    Some((from, to)) => write!(
                        f,
                        "assignment {rel_id} now runs {now}, not {}; reload and try again",
                        span(*from, *to)
                    ),
                    None => write!(
                        f,
                        "the change to assignment {rel_id} does not say which dates it expected (it runs {now})"
                    ),
                }
            }
            ApplyError::InvertedRange { rel_id, from, to } => write!(
                f,
                "{} would end on {} before it starts on {}",
                label(*rel_id),
                to.date_only(),
                from.date_only()
            ),
            ApplyError::EmptyRoles { rel_id } => write!(f, "{} has no roles", label(*rel_id)),
            ApplyError::Malformed { rel_id, reason } => {
                write!(f, "the change to {} is invalid: {reason}", label(*rel_id))
            }
            ApplyError::Overlap { first, second } => write!(
                f,
                "{} ({}) would overlap {} ({})",
                label(first.rel_id),
                span(first.from, first.to),
                label(second.rel_id),
                span(second.from, second.to)
            ),
        }
    }
}

impl std::error::Error for ApplyError {}

/// Whether two inclusive day ranges share a day. A range that ends before it
/// starts is empty and overlaps nothing.
pub fn overlaps(a_from: Day, a_to: Day, b_from: Day, b_to: Day) -> bool {
    a_from <= a_to && b_from <= b_to && a_from <= b_to && b_from <= a_to
}

/// The changes to `existing` that make room for `requested`, plus the
/// requested assignment itself, sorted by suggested start (ties: by end, the
/// requested one last). Empty when nothing conflicts.
///
/// `existing` may contain the assignment being edited (`requested.rel_id`):
/// it never conflicts with itself, and its dates become the requested item's
/// `current`.
pub fn suggest(
    requested: &RequestedAssignment,
    existing: &[ExistingAssignment],
) -> Vec<Suggestion> {
    let (nf, nt) = (requested.from, requested.to);
    let mut items = Vec::new();
    for e in existing {
        if requested.rel_id == Some(e.rel_id) || !overlaps(e.from, e.to, nf, nt) {
            continue;
        }
        let (ef, et) = (e.from, e.to);
        let change = |from, to, conflict_type| Suggestion {
            rel_id: Some(e.rel_id),
            roles: e.roles.clone(),
            from,
            to,
            current: Some((ef, et)),
            conflict_type,
            validated: false,
        };
        if nf <= ef && et <= nt {
            items.push(change(ef, et, ConflictType::ToDelete));
        } else if ef < nf && nt < et {
            // N splits E: E keeps the part before N, a new assignment with
            // E's roles takes the part after.
            items.push(change(ef, nf.prev(), ConflictType::DateToUpdated));
            items.push(Suggestion {
                rel_id: None,
                roles: e.roles.clone(),
                from: nt.next(),
                to: et,
                current: None,
                conflict_type: ConflictType::DateFromUpdated,
                validated: false,
            });
        } else if ef < nf {
            items.push(change(ef, nf.prev(), ConflictType::DateToUpdated));
        } else {
            items.push(change(nt.next(), et, ConflictType::DateFromUpdated));
        }
    }
    if items.is_empty() {
        return items;
    }
    let current = requested
        .rel_id
        .and_then(|id| existing.iter().find(|e| e.rel_id == id))
        .map(|e| (e.from, e.to));
    items.push(Suggestion {
        rel_id: requested.rel_id,
        roles: requested.roles.clone(),
        from: nf,
        to: nt,
        current,
        conflict_type: ConflictType::NoUpdate,
        validated: true,
    });
    // Stable, so equal keys keep the order of `existing`.
    items.sort_by_key(|s| (s.from, s.to, s.conflict_type == ConflictType::NoUpdate));
    items
}

/// The assignments that result from applying `resolution` to `existing` and
/// then creating (or, for an edit, replacing) `requested`, sorted by start.
///
/// Only items with `validated: false` are applied: `to_delete` removes the
/// assignment, `date_*_updated` with a rel id sets its dates (its roles stay),
/// `date_*_updated` without one creates an assignment, `no_update` changes
/// nothing. Refused if an item names an unknown or stale assignment, a range
/// ends before it starts, or two assignments would still overlap.
pub fn apply(
    existing: &[ExistingAssignment],
    requested: &RequestedAssignment,
    resolution: &[Suggestion],
) -> Result<Vec<FinalAssignment>, ApplyError> {
    check_range(requested.rel_id, requested.from, requested.to)?;
    check_roles(requested.rel_id, &requested.roles)?;
    if let Some(id) = requested.rel_id {
        if !existing.iter().any(|e| e.rel_id == id) {
            return Err(ApplyError::UnknownRelId(id));
        }
    }

    let mut finals: Vec<FinalAssignment> = existing
        .iter()
        .map(|e| FinalAssignment {
            rel_id: Some(e.rel_id),
            roles: e.roles.clone(),
            from: e.from,
            to: e.to,
        })
        .collect();
    let mut named: Vec<i64> = Vec::new();

    for item in resolution.iter().filter(|item| !item.validated) {
        check_range(item.rel_id, item.from, item.to)?;
        let Some(id) = item.rel_id else {
            match item.conflict_type {
                ConflictType::NoUpdate => {}
                ConflictType::ToDelete => {
                    return Err(ApplyError::Malformed {
                        rel_id: None,
                        reason: "only an existing assignment can be deleted",
                    })
                }
                ConflictType::DateFromUpdated | ConflictType::DateToUpdated => {
                    check_roles(None, &item.roles)?;
                    finals.push(FinalAssignment {
                        rel_id: None,
                        roles: item.roles.clone(),
                        from: item.from,
                        to: item.to,
                    });
                }
            }
            continue;
        };
        let Some(stored) = existing.iter().find(|e| e.rel_id == id) else {
            return Err(ApplyError::UnknownRelId(id));
        };
        if requested.rel_id == Some(id) {
            return Err(ApplyError::Malformed {
                rel_id: Some(id),
                reason: "it is the assignment being edited",
            });
        }
        if named.contains(&id) {
            return Err(ApplyError::Malformed {
                rel_id: Some(id),
                reason: "it is named more than once",
            });
        }
        named.push(id);
        let actual = (stored.from, stored.to);
        if item.current != Some(actual) {
            return Err(ApplyError::Stale {
                rel_id: id,
                expected: item.current,
                actual,
            });
        }
        match item.conflict_type {
            ConflictType::NoUpdate => {}
            ConflictType::ToDelete => finals.retain(|f| f.rel_id != Some(id)),
            ConflictType::DateFromUpdated | ConflictType::DateToUpdated => {
                // Either date may have been edited by the person; the overlap
                // check below is what guards the result.
                for f in finals.iter_mut().filter(|f| f.rel_id == Some(id)) {
                    f.from = item.from;
                    f.to = item.to;
                }
            }
        }
    }

    match requested.rel_id {
        Some(id) => {
            for f in finals.iter_mut().filter(|f| f.rel_id == Some(id)) {
                f.roles = requested.roles.clone();
                f.from = requested.from;
                f.to = requested.to;
            }
        }
        None => finals.push(FinalAssignment {
            rel_id: None,
            roles: requested.roles.clone(),
            from: requested.from,
            to: requested.to,
        }),
    }

    finals.sort_by_key(|f| (f.from, f.to));
    if let Some((first, second)) = first_overlap(&finals) {
        return Err(ApplyError::Overlap {
            first: first.clone(),
            second: second.clone(),
        });
    }
    Ok(finals)
}

fn check_range(rel_id: Option<i64>, from: Day, to: Day) -> Result<(), ApplyError> {
    if from > to {
        return Err(ApplyError::InvertedRange { rel_id, from, to });
    }
    Ok(())
}

fn check_roles(rel_id: Option<i64>, roles: &[Role]) -> Result<(), ApplyError> {
    if roles.is_empty() {
        return Err(ApplyError::EmptyRoles { rel_id });
    }
    Ok(())
}

/// In a list sorted by `from`, a range overlaps an earlier one exactly when
/// it starts on or before the furthest end seen so far.
fn first_overlap(sorted: &[FinalAssignment]) -> Option<(&FinalAssignment, &FinalAssignment)> {
    let mut furthest: Option<&FinalAssignment> = None;
    // Inverted ranges (only possible in untouched stored rows) cover no day.
    for f in sorted.iter().filter(|f| f.from <= f.to) {
        if let Some(reach) = furthest {
            if f.from <= reach.to {
                return Some((reach, f));
            }
            if f.to <= reach.to {
                continue;
            }
        }
        furthest = Some(f);
    }
    None
}

/// A role held by the caller in one organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holding {
    pub organization_id: String,
    pub roles: Vec<Role>,
    pub from: Day,
    pub to: Day,
}

/// Whether some holding valid `today`, in the target organization or one of
/// its ancestors, has one of `wanted`.
fn holds(holdings: &[Holding], ancestry: &[String], today: Day, wanted: &[Role]) -> bool {
    holdings.iter().any(|h| {
        h.from <= today
            && today <= h.to
            && ancestry.contains(&h.organization_id)
            && h.roles.iter().any(|role| wanted.contains(role))
    })
}

/// Whether the caller may assign roles in the organization whose ancestry is
/// given. `ancestry`: the target organization id first, then its parent,
/// grandparent, …
///
/// A fleet admin may; anyone else needs `administrator` or
/// `main_administrator` valid today there or in an ancestor.
pub fn may_assign_in(
    is_fleet_admin: bool,
    holdings: &[Holding],
    ancestry: &[String],
    today: Day,
) -> bool {
    is_fleet_admin
        || holds(
            holdings,
            ancestry,
            today,
            &[Role::Administrator, Role::MainAdministrator],
        )
}

/// Whether the caller may grant `roles` in that organization: as
/// [`may_assign_in`], and granting `main_administrator` takes a
/// `main_administrator` holding valid today there or in an ancestor, so an
/// administrator cannot raise anyone (themselves included) above their own rank.
pub fn may_grant(
    is_fleet_admin: bool,
    holdings: &[Holding],
    ancestry: &[String],
    today: Day,
    roles: &[Role],
) -> bool {
    if is_fleet_admin {
        return true;
    }
    may_assign_in(false, holdings, ancestry, today)
        && (!roles.contains(&Role::MainAdministrator)
            || holds(holdings, ancestry, today, &[Role::MainAdministrator]))
}

/// What a suggestion does once its dates were edited: a kept assignment with new dates is
/// trimmed at the end or the start, one back at its own dates is left alone, and a part to
/// create (the rest of a split) stays a creation.
pub fn edited_type(item: &ConflictItem) -> ConflictType {
    match (item.rel_id, item.current_valid_from, item.current_valid_to) {
        (Some(_), Some(from), Some(to)) => {
            if item.valid_to != to {
                ConflictType::DateToUpdated
            } else if item.valid_from != from {
                ConflictType::DateFromUpdated
            } else {
                ConflictType::NoUpdate
            }
        }
        _ => ConflictType::DateFromUpdated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::dates::{DEFAULT_VALID_FROM, DEFAULT_VALID_TO};
    use proptest::prelude::*;
    use ConflictType::*;
    use Role::*;

    fn day(y: i32, m: u32, d: u32) -> Day {
        Day::from_ymd(y, m, d).expect("test date exists")
    }

    fn existing(rel_id: i64, roles: &[Role], from: Day, to: Day) -> ExistingAssignment {
        ExistingAssignment {
            rel_id,
            roles: roles.to_vec(),
            from,
            to,
        }
    }

    fn new(roles: &[Role], from: Day, to: Day) -> RequestedAssignment {
        RequestedAssignment {
            rel_id: None,
            roles: roles.to_vec(),
            from,
            to,
        }
    }

    fn requested_item(req: &RequestedAssignment, current: Option<(Day, Day)>) -> Suggestion {
        Suggestion {
            rel_id: req.rel_id,
            roles: req.roles.clone(),
            from: req.from,
            to: req.to,
            current,
            conflict_type: NoUpdate,
            validated: true,
        }
    }

    #[test]
    fn overlap_is_inclusive_of_both_ends() {
        let (a, b) = (day(2020, 12, 31), day(2021, 1, 1));
        assert!(!overlaps(DEFAULT_VALID_FROM, a, b, DEFAULT_VALID_TO));
        assert!(overlaps(DEFAULT_VALID_FROM, b, b, DEFAULT_VALID_TO));
        assert!(overlaps(b, b, b, b));
        assert!(overlaps(DEFAULT_VALID_FROM, DEFAULT_VALID_TO, b, b));
        assert!(!overlaps(b, a, DEFAULT_VALID_FROM, DEFAULT_VALID_TO));
    }

    #[test]
    fn the_worked_example() {
        let stored = [existing(
            3455916,
            &[Employee, Administrator],
            DEFAULT_VALID_FROM,
            DEFAULT_VALID_TO,
        )];
        let req = new(&[Employee], day(2021, 1, 1), DEFAULT_VALID_TO);
        let items = suggest(&req, &stored);
        assert_eq!(
            items,
            vec![
                Suggestion {
                    rel_id: Some(3455916),
                    roles: vec![Employee, Administrator],
                    from: day(1970, 1, 1),
                    to: day(2020, 12, 31),
                    current: Some((DEFAULT_VALID_FROM, DEFAULT_VALID_TO)),
                    conflict_type: DateToUpdated,
                    validated: false,
                },
                Suggestion {
                    rel_id: None,
                    roles: vec![Employee],
                    from: day(2021, 1, 1),
                    to: day(2200, 1, 1),
                    current: None,
                    conflict_type: NoUpdate,
                    validated: true,
                },
            ]
        );
        assert_eq!(
            apply(&stored, &req, &items),
            Ok(vec![
                FinalAssignment {
                    rel_id: Some(3455916),
                    roles: vec![Employee, Administrator],
                    from: day(1970, 1, 1),
                    to: day(2020, 12, 31),
                },
                FinalAssignment {
                    rel_id: None,
                    roles: vec![Employee],
                    from: day(2021, 1, 1),
                    to: day(2200, 1, 1),
                },
            ])
        );
    }

    #[test]
    fn nothing_overlapping_means_no_suggestions() {
        let stored = [existing(1, &[Manager], day(2020, 1, 1), day(2020, 12, 31))];
        let req = new(&[Employee], day(2021, 1, 1), DEFAULT_VALID_TO);
        assert_eq!(suggest(&req, &stored), vec![]);
        assert_eq!(suggest(&req, &[]), vec![]);
    }

    #[test]
    fn existing_inside_new_is_deleted() {
        let (ef, et) = (day(2021, 3, 1), day(2021, 3, 31));
        let stored = [existing(7, &[Approver], ef, et)];
        let req = new(&[Employee], day(2021, 3, 1), day(2021, 12, 31));
        let items = suggest(&req, &stored);
        assert_eq!(
            items,
            vec![
                Suggestion {
                    rel_id: Some(7),
                    roles: vec![Approver],
                    from: ef,
                    to: et,
                    current: Some((ef, et)),
                    conflict_type: ToDelete,
                    validated: false,
                },
                requested_item(&req, None),
            ]
        );
        let finals = apply(&stored, &req, &items).expect("applies");
        assert_eq!(finals.len(), 1);
        assert_eq!(finals[0].rel_id, None);
    }

    #[test]
    fn same_dates_delete_and_the_request_sorts_last() {
        let (f, t) = (day(2021, 1, 1), day(2021, 1, 1));
        let stored = [existing(7, &[Approver], f, t)];
        let req = new(&[Employee], f, t);
        let items = suggest(&req, &stored);
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].conflict_type, ToDelete);
        assert_eq!(items[1].conflict_type, NoUpdate);
    }

    #[test]
    fn existing_starting_before_is_shortened() {
        let (ef, et) = (day(2020, 1, 1), day(2021, 6, 30));
        let stored = [existing(8, &[Manager], ef, et)];
        let req = new(&[Employee], day(2021, 1, 1), day(2021, 12, 31));
        let items = suggest(&req, &stored);
        assert_eq!(
            items,
            vec![
                Suggestion {
                    rel_id: Some(8),
                    roles: vec![Manager],
                    from: ef,
                    to: day(2020, 12, 31),
                    current: Some((ef, et)),
                    conflict_type: DateToUpdated,
                    validated: false,
                },
                requested_item(&req, None),
            ]
        );
        assert!(apply(&stored, &req, &items).is_ok());
    }

    #[test]
    fn existing_ending_after_starts_later() {
        let (ef, et) = (day(2021, 6, 1), DEFAULT_VALID_TO);
        let stored = [existing(9, &[Manager], ef, et)];
        let req = new(&[Employee], day(2021, 1, 1), day(2021, 12, 31));
        let items = suggest(&req, &stored);
        assert_eq!(
            items,
            vec![
                requested_item(&req, None),
                Suggestion {
                    rel_id: Some(9),
                    roles: vec![Manager],
                    from: day(2022, 1, 1),
                    to: et,
                    current: Some((ef, et)),
                    conflict_type: DateFromUpdated,
                    validated: false,
                },
            ]
        );
        assert!(apply(&stored, &req, &items).is_ok());
    }

    #[test]
    fn new_inside_existing_splits_it() {
        let stored = [existing(
            10,
            &[Employee, Administrator],
            DEFAULT_VALID_FROM,
            DEFAULT_VALID_TO,
        )];
        let req = new(&[Employee], day(2021, 1, 1), day(2021, 12, 31));
        let items = suggest(&req, &stored);
        assert_eq!(
            items,
            vec![
                Suggestion {
                    rel_id: Some(10),
                    roles: vec![Employee, Administrator],
                    from: DEFAULT_VALID_FROM,
                    to: day(2020, 12, 31),
                    current: Some((DEFAULT_VALID_FROM, DEFAULT_VALID_TO)),
                    conflict_type: DateToUpdated,
                    validated: false,
                },
                requested_item(&req, None),
                Suggestion {
                    rel_id: None,
                    roles: vec![Employee, Administrator],
                    from: day(2022, 1, 1),
                    to: DEFAULT_VALID_TO,
                    current: None,
                    conflict_type: DateFromUpdated,
                    validated: false,
                },
            ]
        );
        let finals = apply(&stored, &req, &items).expect("applies");
        let spans: Vec<_> = finals.iter().map(|f| (f.rel_id, f.from, f.to)).collect();
        assert_eq!(
            spans,
            vec![
                (Some(10), DEFAULT_VALID_FROM, day(2020, 12, 31)),
                (None, day(2021, 1, 1), day(2021, 12, 31)),
                (None, day(2022, 1, 1), DEFAULT_VALID_TO),
            ]
        );
    }

    #[test]
    fn an_edit_ignores_itself_and_reports_its_current_dates() {
        let stored = [
            existing(1, &[Manager], day(2020, 1, 1), day(2020, 12, 31)),
            existing(2, &[Employee], day(2021, 1, 1), day(2021, 12, 31)),
        ];
        // Moving 2 earlier runs into 1, never into itself.
        let req = RequestedAssignment {
            rel_id: Some(2),
            roles: vec![Employee, Approver],
            from: day(2020, 7, 1),
            to: day(2021, 12, 31),
        };
        let items = suggest(&req, &stored);
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].rel_id, Some(1));
        assert_eq!(items[0].to, day(2020, 6, 30));
        assert_eq!(
            items[1],
            requested_item(&req, Some((day(2021, 1, 1), day(2021, 12, 31))))
        );
        let finals = apply(&stored, &req, &items).expect("applies");
        assert_eq!(
            finals[1],
            FinalAssignment {
                rel_id: Some(2),
                roles: vec![Employee, Approver],
                from: day(2020, 7, 1),
                to: day(2021, 12, 31),
            }
        );
        // An edit that stays inside its own dates needs no resolution.
        let inside = RequestedAssignment {
            from: day(2021, 2, 1),
            ..req
        };
        assert_eq!(suggest(&inside, &stored), vec![]);
    }

    fn split_case() -> (
        Vec<ExistingAssignment>,
        RequestedAssignment,
        Vec<Suggestion>,
    ) {
        let stored = vec![existing(
            10,
            &[Employee],
            DEFAULT_VALID_FROM,
            DEFAULT_VALID_TO,
        )];
        let req = new(&[Manager], day(2021, 1, 1), day(2021, 12, 31));
        let items = suggest(&req, &stored);
        (stored, req, items)
    }

    #[test]
    fn apply_refuses_an_unresolved_overlap_naming_both() {
        let (stored, req, _) = split_case();
        let err = apply(&stored, &req, &[]).expect_err("overlaps");
        assert!(matches!(&err, ApplyError::Overlap { first, second }
            if first.rel_id == Some(10) && second.rel_id.is_none()));
        assert_eq!(
            err.to_string(),
            "assignment 10 (1970-01-01 to 2200-01-01) would overlap a new assignment (2021-01-01 to 2021-12-31)"
        );
    }

    #[test]
    fn apply_refuses_a_single_shared_day() {
        let (stored, req, mut items) = split_case();
        // The person shortened 10 to end on the new assignment's first day.
        items[0].to = req.from;
        assert!(matches!(
            apply(&stored, &req, &items),
            Err(ApplyError::Overlap { first, second })
                if first.rel_id == Some(10) && second.rel_id.is_none()
        ));
    }

    #[test]
    fn apply_refuses_unknown_and_stale_items() {
        let (stored, req, mut items) = split_case();
        items[0].rel_id = Some(99);
        assert_eq!(
            apply(&stored, &req, &items),
            Err(ApplyError::UnknownRelId(99))
        );

        let (stored, req, mut items) = split_case();
        items[0].current = Some((DEFAULT_VALID_FROM, day(2100, 1, 1)));
        let err = apply(&stored, &req, &items).expect_err("stale");
        assert!(matches!(err, ApplyError::Stale { rel_id: 10, .. }));
        assert!(err.to_string().contains("reload"), "{err}");

        let edit = RequestedAssignment {
            rel_id: Some(99),
            ..req
        };
        assert_eq!(
            apply(&stored, &edit, &[]),
            Err(ApplyError::UnknownRelId(99))
        );
    }

    #[test]
    fn apply_refuses_inverted_ranges() {
        let (stored, req, mut items) = split_case();
        items[0].to = day(1969, 1, 1);
        assert!(matches!(
            apply(&stored, &req, &items),
            Err(ApplyError::InvertedRange {
                rel_id: Some(10),
                ..
            })
        ));
        let backwards = RequestedAssignment {
            from: day(2022, 1, 1),
            to: day(2021, 1, 1),
            ..req.clone()
        };
        assert!(matches!(
            apply(&stored, &backwards, &[]),
            Err(ApplyError::InvertedRange { rel_id: None, .. })
        ));
    }

    #[test]
    fn apply_refuses_malformed_items() {
        let (stored, req, mut items) = split_case();
        items.push(items[0].clone());
        assert!(matches!(
            apply(&stored, &req, &items),
            Err(ApplyError::Malformed {
                rel_id: Some(10),
                ..
            })
        ));

        let (stored, req, mut items) = split_case();
        items[2].conflict_type = ToDelete;
        assert!(matches!(
            apply(&stored, &req, &items),
            Err(ApplyError::Malformed { rel_id: None, .. })
        ));

        let (stored, req, mut items) = split_case();
        items[2].roles.clear();
        assert_eq!(
            apply(&stored, &req, &items),
            Err(ApplyError::EmptyRoles { rel_id: None })
        );
    }

    #[test]
    fn apply_accepts_an_edited_suggestion_and_ignores_validated_items() {
        let (stored, req, mut items) = split_case();
        // The person keeps only the first part of the split.
        items.retain(|s| s.rel_id.is_some() || s.conflict_type == NoUpdate);
        items[0].to = day(2020, 6, 30);
        // A validated item is the request itself; its fields do not matter.
        items[1].from = day(1990, 1, 1);
        let finals = apply(&stored, &req, &items).expect("applies");
        assert_eq!(finals.len(), 2);
        assert_eq!(finals[0].to, day(2020, 6, 30));
        assert_eq!(finals[1].from, req.from);
    }

    fn org(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    fn holding(org: &str, roles: &[Role], from: Day, to: Day) -> Holding {
        Holding {
            organization_id: org.to_owned(),
            roles: roles.to_vec(),
            from,
            to,
        }
    }

    #[test]
    fn permissions() {
        let today = day(2024, 6, 1);
        let ancestry = org(&["team", "division", "company"]);
        let always =
            |o: &str, roles: &[Role]| holding(o, roles, DEFAULT_VALID_FROM, DEFAULT_VALID_TO);

        // Fleet admin: anything, with no holdings at all.
        assert!(may_assign_in(true, &[], &ancestry, today));
        assert!(may_grant(true, &[], &ancestry, today, &[MainAdministrator]));

        // An administrator of an ancestor may assign below it.
        let admin_above = [always("company", &[Administrator])];
        assert!(may_assign_in(false, &admin_above, &ancestry, today));
        assert!(may_grant(
            false,
            &admin_above,
            &ancestry,
            today,
            &[Employee, Administrator]
        ));
        // …but not elsewhere, and not without an admin role.
        assert!(!may_assign_in(false, &admin_above, &org(&["other"]), today));
        assert!(!may_assign_in(
            false,
            &[always("team", &[Manager, Approver])],
            &ancestry,
            today
        ));
        assert!(!may_assign_in(false, &[], &ancestry, today));

        // Expired and future-dated holdings count for nothing.
        let expired = [holding(
            "team",
            &[Administrator],
            day(2020, 1, 1),
            day(2024, 5, 31),
        )];
        assert!(!may_assign_in(false, &expired, &ancestry, today));
        let future = [holding(
            "team",
            &[Administrator],
            day(2024, 6, 2),
            DEFAULT_VALID_TO,
        )];
        assert!(!may_assign_in(false, &future, &ancestry, today));
        // Both ends are inclusive.
        let one_day = [holding("team", &[Administrator], today, today)];
        assert!(may_assign_in(false, &one_day, &ancestry, today));

        // A plain administrator cannot make a main administrator.
        assert!(!may_grant(
            false,
            &admin_above,
            &ancestry,
            today,
            &[Employee, MainAdministrator]
        ));
        let main_above = [always("division", &[MainAdministrator])];
        assert!(may_grant(
            false,
            &main_above,
            &ancestry,
            today,
            &[MainAdministrator]
        ));
        // Main administrator elsewhere plus administrator here is still not enough.
        let mixed = [
            always("team", &[Administrator]),
            always("other", &[MainAdministrator]),
        ];
        assert!(!may_grant(
            false,
            &mixed,
            &ancestry,
            today,
            &[MainAdministrator]
        ));
        // An expired main administrator holding does not count.
        let lapsed = [
            always("team", &[Administrator]),
            holding(
                "team",
                &[MainAdministrator],
                day(2020, 1, 1),
                day(2021, 1, 1),
            ),
        ];
        assert!(!may_grant(
            false,
            &lapsed,
            &ancestry,
            today,
            &[MainAdministrator]
        ));
    }

    // ---- property tests ----

    fn roles_strategy() -> impl Strategy<Value = Vec<Role>> {
        proptest::sample::subsequence(Role::ALL.to_vec(), 1..=Role::ALL.len())
    }

    /// Non-overlapping stored assignments: consecutive cut points delimit
    /// ranges, some dropped to leave gaps, the last sometimes open to
    /// DEFAULT_VALID_TO.
    fn existing_strategy() -> impl Strategy<Value = Vec<ExistingAssignment>> {
        let cut = prop_oneof![8 => 0..3000i32, 1 => Just(0)];
        (
            proptest::collection::vec(cut, 1..10),
            proptest::collection::vec((any::<bool>(), roles_strategy()), 10),
            any::<bool>(),
            roles_strategy(),
        )
            .prop_map(|(mut cuts, slots, open_end, last_roles)| {
                cuts.sort_unstable();
                cuts.dedup();
                let mut out = Vec::new();
                for (i, pair) in cuts.windows(2).enumerate() {
                    let (keep, roles) = &slots[i];
                    if *keep {
                        out.push(ExistingAssignment {
                            rel_id: 1000 + i as i64,
                            roles: roles.clone(),
                            from: Day(pair[0]),
                            to: Day(pair[1] - 1),
                        });
                    }
                }
                if open_end {
                    if let Some(&last) = cuts.last() {
                        out.push(ExistingAssignment {
                            rel_id: 2000,
                            roles: last_roles,
                            from: Day(last),
                            to: DEFAULT_VALID_TO,
                        });
                    }
                }
                out
            })
    }

    fn range_strategy() -> impl Strategy<Value = (Day, Day)> {
        (
            prop_oneof![8 => 0..3200i32, 1 => Just(0)],
            0..1500i32,
            prop_oneof![4 => Just(false), 1 => Just(true)],
        )
            .prop_map(|(from, len, open)| {
                let to = if open {
                    DEFAULT_VALID_TO
                } else {
                    Day(from + len)
                };
                (Day(from), to)
            })
    }

    /// Whether [from, to] lies inside the union of `ranges`.
    fn covered(from: Day, to: Day, ranges: &mut [(Day, Day)]) -> bool {
        ranges.sort_unstable();
        let mut next = i64::from(from.0);
        for &(f, t) in ranges.iter() {
            if next > i64::from(to.0) {
                break;
            }
            if i64::from(f.0) > next {
                return false;
            }
            next = next.max(i64::from(t.0) + 1);
        }
        next > i64::from(to.0)
    }

    fn no_overlap(finals: &[FinalAssignment]) -> bool {
        finals.iter().enumerate().all(|(i, a)| {
            finals[i + 1..]
                .iter()
                .all(|b| !overlaps(a.from, a.to, b.from, b.to))
        })
    }

    /// Property 4: every suggestion about a stored assignment (other than the
    /// edited one) concerns one that overlapped the request.
    fn touches_only_overlapping(
        req: &RequestedAssignment,
        stored: &[ExistingAssignment],
        items: &[Suggestion],
    ) -> bool {
        items
            .iter()
            .filter_map(|s| s.rel_id)
            .filter(|id| Some(*id) != req.rel_id)
            .all(|id| {
                stored
                    .iter()
                    .any(|e| e.rel_id == id && overlaps(e.from, e.to, req.from, req.to))
            })
    }

    proptest! {
        #[test]
        fn suggestions_resolve_a_new_assignment(
            stored in existing_strategy(),
            (from, to) in range_strategy(),
            roles in roles_strategy(),
        ) {
            let req = RequestedAssignment { rel_id: None, roles, from, to };
            let items = suggest(&req, &stored);

            // 5: no conflict, no suggestions (and a conflict always gives some).
            let any_overlap = stored.iter().any(|e| overlaps(e.from, e.to, from, to));
            prop_assert_eq!(items.is_empty(), !any_overlap);

            // 1: applies cleanly, nothing overlaps.
            let finals = apply(&stored, &req, &items);
            prop_assert!(finals.is_ok(), "{:?}", finals);
            let finals = finals.unwrap_or_default();
            prop_assert!(no_overlap(&finals), "{:?}", finals);

            // 2: the request is there as asked.
            let wanted = FinalAssignment { rel_id: None, roles: req.roles.clone(), from, to };
            prop_assert!(finals.contains(&wanted));

            // 3: days outside the new range keep their coverage and roles.
            for e in &stored {
                let mut same_roles: Vec<(Day, Day)> = finals
                    .iter()
                    .filter(|f| f.roles == e.roles)
                    .map(|f| (f.from, f.to))
                    .collect();
                let before = (e.from, e.to.min(from.prev()));
                let after = (e.from.max(to.next()), e.to);
                for (a, b) in [before, after] {
                    if a <= b {
                        prop_assert!(covered(a, b, &mut same_roles),
                            "{:?}..{:?} of {:?} lost in {:?}", a, b, e, finals);
                    }
                }
            }

            // 4: only overlapping assignments are touched.
            prop_assert!(touches_only_overlapping(&req, &stored, &items));
        }

        #[test]
        fn overlap_sweep_agrees_with_pairwise_check(
            spans in proptest::collection::vec((0..60i32, 0..60i32), 0..8),
        ) {
            let mut finals: Vec<FinalAssignment> = spans
                .iter()
                .enumerate()
                .map(|(i, &(a, b))| FinalAssignment {
                    rel_id: Some(i as i64),
                    roles: vec![Role::Employee],
                    from: Day(a),
                    to: Day(b),
                })
                .collect();
            finals.sort_by_key(|f| (f.from, f.to));
            let found = first_overlap(&finals);
            prop_assert_eq!(found.is_none(), no_overlap(&finals));
            if let Some((a, b)) = found {
                prop_assert!(overlaps(a.from, a.to, b.from, b.to));
            }
        }

        #[test]
        fn suggestions_resolve_an_edit(
            stored in existing_strategy(),
            (from, to) in range_strategy(),
            roles in roles_strategy(),
            pick in any::<proptest::sample::Index>(),
        ) {
            prop_assume!(!stored.is_empty());
            let edited = &stored[pick.index(stored.len())];
            let req = RequestedAssignment { rel_id: Some(edited.rel_id), roles, from, to };
            let items = suggest(&req, &stored);

            let any_overlap = stored
                .iter()
                .any(|e| e.rel_id != edited.rel_id && overlaps(e.from, e.to, from, to));
            prop_assert_eq!(items.is_empty(), !any_overlap);
            if let Some(own) = items.iter().find(|s| s.conflict_type == ConflictType::NoUpdate) {
                prop_assert_eq!(own.current, Some((edited.from, edited.to)));
            }

            // 1
            let finals = apply(&stored, &req, &items);
            prop_assert!(finals.is_ok(), "{:?}", finals);
            let finals = finals.unwrap_or_default();
            prop_assert!(no_overlap(&finals), "{:?}", finals);
            let wanted = FinalAssignment { rel_id: req.rel_id, roles: req.roles.clone(), from, to };
            prop_assert!(finals.contains(&wanted));

            // 4
            prop_assert!(touches_only_overlapping(&req, &stored, &items));
        }
    }
}
