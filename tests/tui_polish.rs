//! Smaller things in the terminal client: pickers in natural order with Home and End, one
//! meaning for the sort arrows, and how dialogs read.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fleetdesk::tui::{KeyMap, Picked, Picker, PickerItem};

fn press(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn item(id: i64, name: &str, busy: Option<&str>, unavailable: Option<&str>) -> PickerItem<i64> {
    PickerItem {
        id,
        label: name.to_string(),
        name: name.to_string(),
        busy_with: busy.map(str::to_string),
        unavailable: unavailable.map(str::to_string),
    }
}

fn vans() -> Picker<i64> {
    Picker::new(
        "Assign".to_string(),
        vec![
            item(1, "Van 11", None, None),
            item(2, "Van 2", None, None),
            item(3, "van 1", None, None),
            item(4, "Van 10", Some("Ana Ruiz"), None),
            item(5, "Van 3", None, Some("in the shop")),
            item(6, "Van 9", Some("Bo Okafor"), None),
        ],
        true,
    )
}

#[test]
fn pickers_sort_in_natural_order_with_unavailable_last() {
    assert_eq!(
        vans().visible_labels(),
        ["van 1", "Van 2", "Van 11", "Van 9", "Van 10", "Van 3"]
    );
}

#[test]
fn home_and_end_go_to_the_first_and_last_item_of_a_picker() {
    let keys = KeyMap::default();
    let mut picker = vans();
    let name = |picker: &Picker<i64>| picker.selected_item().map(|item| item.name.clone());
    assert_eq!(picker.on_key(&press(KeyCode::End), &keys), Picked::Stay);
    assert_eq!(name(&picker).as_deref(), Some("Van 3"));
    assert_eq!(picker.filter_text(), "");
    picker.on_key(&press(KeyCode::Home), &keys);
    assert_eq!(name(&picker).as_deref(), Some("van 1"));
    // Among the filtered items only.
    picker.on_key(&press(KeyCode::Char('1')), &keys);
    picker.on_key(&press(KeyCode::End), &keys);
    assert_eq!(name(&picker).as_deref(), Some("Van 10"));
}
