use super::*;

fn day(y: i32, m: u32, d: u32) -> Day {
    Day::from_ymd(y, m, d).expect("a date")
}

#[test]
fn the_form_refuses_what_does_not_parse_and_sends_plain_dates() {
    let today = day(2026, 11, 24);
    let mut form = RoleForm::new_assignment(Chosen {
        id: "org".to_string(),
        label: "Depot North".to_string(),
    });
    assert!(form.validate(today).is_none());
    assert_eq!(
        form.field_error.as_ref().map(|e| e.0),
        Some(RoleField::User)
    );
    form.user = Some(Chosen {
        id: "7".to_string(),
        label: "Ana".to_string(),
    });
    form.roles[0] = true;
    form.valid_from = Field::new("next week");
    assert!(form.validate(today).is_none());
    assert_eq!(form.focus, RoleField::ValidFrom);
    form.valid_from = Field::new("+30d");
    form.valid_to = Field::new("today");
    assert!(form.validate(today).is_none());
    assert_eq!(form.focus, RoleField::ValidTo);
    form.valid_to = Field::new("");
    let request = form.validate(today).expect("valid");
    assert_eq!(request.valid_from.as_deref(), Some("2026-12-24"));
    assert_eq!(request.valid_to, None);
    assert_eq!(request.role, Some(Role::Employee));
    form.roles[3] = true;
    let request = form.validate(today).expect("valid");
    assert_eq!(
        request.roles,
        Some(vec![Role::Employee, Role::Administrator])
    );
    assert!(form.is_dirty());
}
