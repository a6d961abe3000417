use super::*;
use proptest::prelude::*;

#[derive(Clone, Debug, PartialEq)]
struct Rec {
    id: i64,
    name: String,
    n: i64,
}

impl Row for Rec {
    const COLUMNS: &'static [&'static str] = &["NAME", "N"];
    fn key(&self) -> i64 {
        self.id
    }
    fn cells(&self) -> Vec<String> {
        vec![self.name.clone(), self.n.to_string()]
    }
    fn sort_key(&self, column: usize) -> SortKey {
        match column {
            1 => SortKey::Number(self.n),
            _ => SortKey::natural(&self.name),
        }
    }
}

fn rec(id: i64, name: &str, n: i64) -> Rec {
    Rec {
        id,
        name: name.to_string(),
        n,
    }
}

fn keys(list: &ListState<Rec>) -> Vec<i64> {
    list.visible().map(|r| r.id).collect()
}

#[derive(Clone, Debug)]
enum Op {
    Upsert(i64, u8, i64),
    Remove(i64),
    Move(isize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..12i64, 0..4u8, 0..5i64).prop_map(|(id, name, n)| Op::Upsert(id, name, n)),
        (0..12i64).prop_map(Op::Remove),
        (-3..4isize).prop_map(Op::Move),
    ]
}

const NAMES: [&str; 4] = ["van a", "van b", "truck", "bike"];

proptest! {
    /// Changing rows one by one leaves the list exactly as sorting and filtering it
    /// afresh would, with the selection on the record it was on (unless that one went
    /// or left the filter).
    #[test]
    fn changes_in_place_equal_a_full_refresh(
        start in proptest::collection::vec((0..12i64, 0..4u8, 0..5i64), 0..10),
        ops in proptest::collection::vec(op(), 1..40),
        column in 0..2usize,
        reversed in any::<bool>(),
        filter in prop_oneof![Just(""), Just("van"), Just("1")],
    ) {
        let mut list = ListState::<Rec>::sorted_by(column);
        list.sort_reversed = reversed;
        let mut seen = std::collections::HashSet::new();
        let first: Vec<Rec> = start
            .into_iter()
            .filter(|(id, ..)| seen.insert(*id))
            .map(|(id, name, n)| rec(id, NAMES[name as usize], n))
            .collect();
        list.set_items(first);
        list.refresh_visible(filter);
        for op in ops {
            let before = list.selected_item().map(|r| r.id);
            let mut touched = None;
            match op {
                Op::Upsert(id, name, n) => {
                    list.upsert(rec(id, NAMES[name as usize], n));
                    touched = Some(id);
                }
                Op::Remove(id) => {
                    list.remove(id);
                    touched = Some(id);
                }
                Op::Move(delta) => list.move_by(delta),
            }
            let mut fresh = list.clone();
            fresh.search.clear();
            fresh.sort_keys.clear();
            fresh.refresh_visible(filter);
            prop_assert_eq!(keys(&list), keys(&fresh));
            prop_assert!(list.selection.index() < list.shown().max(1));
            if let (Some(before), false) = (before, matches!(op, Op::Move(_))) {
                let still_shown = keys(&list).contains(&before);
                if touched != Some(before) || (still_shown && !matches!(op, Op::Remove(_))) {
                    prop_assert_eq!(list.selected_item().map(|r| r.id), Some(before));
                }
            }
        }
    }
}

#[test]
fn the_window_stays_on_its_rows_when_one_comes_in_above() {
    let mut list = ListState::<Rec>::sorted_by(1);
    list.set_items((0..100).map(|i| rec(i, "r", i * 10)).collect());
    list.refresh_visible("");
    list.selection.select(50);
    let offset = list.selection.window(20, 100);
    assert!(offset > 0);
    let first_shown = keys(&list)[offset];
    // Sorts first: it comes in above the window.
    assert!(list.upsert(rec(500, "new", -1)));
    assert_eq!(list.selected_item().map(|r| r.id), Some(50));
    assert_eq!(keys(&list)[list.selection.offset()], first_shown);
    assert_eq!(list.selection.window(20, 101), list.selection.offset());
    // At the top of the list a new first row shows.
    let mut top = ListState::<Rec>::sorted_by(1);
    top.set_items((0..100).map(|i| rec(i, "r", i * 10)).collect());
    top.refresh_visible("");
    top.selection.window(20, 100);
    top.upsert(rec(500, "new", -1));
    assert_eq!(top.selection.offset(), 0);
    assert_eq!(top.selected_item().map(|r| r.id), Some(0));
    // A changed row that the filter hides goes; one that does not match stays away.
    let mut filtered = ListState::<Rec>::default();
    filtered.set_items(vec![rec(1, "van a", 1), rec(2, "truck", 2)]);
    filtered.refresh_visible("van");
    assert!(filtered.update(1, |r| r.name = "bike".to_string()));
    assert_eq!(filtered.shown(), 0);
    assert!(!filtered.upsert(rec(3, "truck", 3)));
    assert!(!keys(&filtered).contains(&3) && filtered.get(3).is_some());
}

#[test]
fn a_reload_keeps_the_selected_record_and_marks_expire() {
    let mut list = ListState::<Rec>::default();
    list.set_items(vec![rec(1, "a", 0), rec(2, "b", 0), rec(3, "c", 0)]);
    list.refresh_visible("");
    list.move_by(2);
    assert_eq!(list.selected_item().map(|r| r.id), Some(3));
    list.set_items(vec![rec(3, "c", 0), rec(0, "0", 0), rec(2, "b", 0)]);
    list.refresh_visible("");
    assert_eq!(list.selected_item().map(|r| r.id), Some(3));
    let now = Instant::now();
    list.mark(2, now + std::time::Duration::from_secs(3));
    assert!(list.is_marked(2));
    assert_eq!(
        list.next_mark_end(),
        Some(now + std::time::Duration::from_secs(3))
    );
    assert!(!list.expire_marks(now));
    assert!(list.expire_marks(now + std::time::Duration::from_secs(3)));
    assert!(!list.is_marked(2) && list.next_mark_end().is_none());
    // A page that holds a record the stream already brought replaces it.
    list.extend_items(vec![rec(2, "b2", 0), rec(9, "z", 0)]);
    list.refresh_visible("");
    assert_eq!(list.items().len(), 4);
    assert_eq!(list.get(2).map(|r| r.name.as_str()), Some("b2"));
}
