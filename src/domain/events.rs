//! Who may read which events: the one check the live stream applies to every event.

use crate::api::events::{EventAudience, EventKind, EventSubject};
use crate::api::SystemRole;

/// Whether a user with `role` and `user_id` may receive an event of `kind` about `subject`.
/// Fleet kinds go to the roles that may read `/api/admin/`; organizations and role
/// assignments to every signed-in user, who may read them (API.md §4).
pub fn may_see(role: SystemRole, user_id: i64, kind: EventKind, subject: &EventSubject) -> bool {
    let fleet_reader = role.reads_fleet();
    match kind.audience() {
        EventAudience::Fleet => fleet_reader,
        EventAudience::Everyone => true,
        EventAudience::KeyOwner => fleet_reader || subject.user_id == Some(user_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn technicians_get_only_what_they_may_read() {
        let subject = EventSubject::default();
        for kind in EventKind::ALL {
            assert!(may_see(SystemRole::Admin, 1, kind, &subject), "{kind}");
            let expected = kind.audience() == EventAudience::Everyone;
            assert_eq!(
                may_see(SystemRole::Technician, 2, kind, &subject),
                expected,
                "{kind}"
            );
            assert!(may_see(SystemRole::Viewer, 3, kind, &subject), "{kind}");
        }
    }
}
