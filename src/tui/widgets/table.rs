//! A list of records: filtered as you type, sorted by a column, with a selection that stays
//! on its record, drawn as a table of only the rows that fit. Records change in place by key
//! (what the live stream does): only the changed row moves, the rest keep their places.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::time::Instant;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Paragraph, Row as TableRow, StatefulWidget, Table, Widget};

use super::frame::compact;
use super::selection::Selection;
use crate::tui::tabs::TabLook;
use crate::tui::theme::Theme;

/// A record as table cells, used for drawing, filtering and sorting; one cell per column.
pub trait Row {
    const COLUMNS: &'static [&'static str];
    /// What tells one record from another (its id): selection and changes follow it.
    fn key(&self) -> i64;
    fn cells(&self) -> Vec<String>;
    /// A sort key for a column (numbers sort as numbers).
    fn sort_key(&self, column: usize) -> SortKey {
        SortKey::natural(self.cells().get(column).map_or("", String::as_str))
    }
    /// Whether a column's keys run newest first (descending): its arrow says `▼` until
    /// reversed. Every other column starts ascending, `▲`.
    fn descending(_column: usize) -> bool {
        false
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortKey {
    Number(i64),
    /// A number, then a tie-break (records stamped in the same second).
    Pair(i64, i64),
    Text(String),
}

impl SortKey {
    /// Case-blind, with numbers in order: "Van 2" before "Van 10".
    pub fn natural(text: &str) -> SortKey {
        let mut key = String::with_capacity(text.len() + 8);
        let mut digits = String::new();
        for c in text.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            if !digits.is_empty() {
                key.push_str(&format!("{digits:0>20}"));
                digits.clear();
            }
            key.push(c);
        }
        if !digits.is_empty() {
            key.push_str(&format!("{digits:0>20}"));
        }
        SortKey::Text(key)
    }
}

/// Records with filter-as-you-type, a sort column and a selection over the visible rows.
#[derive(Clone, Debug)]
pub struct ListState<T> {
    items: Vec<T>,
    /// Indices into `items`, filtered and sorted.
    visible: Vec<usize>,
    pub selection: Selection,
    pub sort_column: usize,
    pub sort_reversed: bool,
    pub loaded: bool,
    pub stale: bool,
    /// Per row, its cells lowercased and joined: filtering is a substring search.
    search: Vec<String>,
    /// Per row, its key for `sort_keys_column`.
    sort_keys: Vec<SortKey>,
    sort_keys_column: Option<usize>,
    /// Record key → index into `items`.
    index: HashMap<i64, usize>,
    /// The filter `visible` was made with, lowercased.
    needle: String,
    /// Records someone else just changed, marked until then.
    marks: HashMap<i64, Instant>,
    /// The record selected before the rows were replaced, to select again.
    kept: Option<i64>,
    /// A record to select once it is shown (one just created).
    wanted: Option<i64>,
}

impl<T> Default for ListState<T> {
    fn default() -> Self {
        ListState {
            items: Vec::new(),
            visible: Vec::new(),
            selection: Selection::default(),
            sort_column: 0,
            sort_reversed: false,
            loaded: false,
            stale: false,
            search: Vec::new(),
            sort_keys: Vec::new(),
            sort_keys_column: None,
            index: HashMap::new(),
            needle: String::new(),
            marks: HashMap::new(),
            kept: None,
            wanted: None,
        }
    }
}

impl<T> ListState<T> {
    /// A list sorted by `column` until the user sorts otherwise.
    pub fn sorted_by(column: usize) -> ListState<T> {
        ListState {
            sort_column: column,
            ..ListState::default()
        }
    }

    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// The visible rows, in order.
    pub fn visible(&self) -> impl Iterator<Item = &T> {
        self.visible
            .iter()
            .filter_map(|index| self.items.get(*index))
    }

    pub fn shown(&self) -> usize {
        self.visible.len()
    }

    pub fn selected_item(&self) -> Option<&T> {
        self.visible
            .get(self.selection.index())
            .and_then(|index| self.items.get(*index))
    }

    pub fn move_by(&mut self, delta: isize) {
        self.wanted = None;
        self.selection.move_by(delta, self.visible.len());
    }

    /// Empties the list until the next answer (a new status filter was asked for).
    pub fn clear(&mut self) {
        self.items.clear();
        self.search.clear();
        self.sort_keys.clear();
        self.index.clear();
        self.visible.clear();
        self.marks.clear();
        self.selection.select(0);
        self.loaded = false;
    }

    /// Marks the record `key` as just changed by someone else, until `until`.
    pub fn mark(&mut self, key: i64, until: Instant) {
        self.marks.insert(key, until);
    }

    pub fn is_marked(&self, key: i64) -> bool {
        self.marks.contains_key(&key)
    }

    /// Drops the marks whose time is up; true when one of them was on a visible row.
    pub fn expire_marks(&mut self, now: Instant) -> bool {
        let before = self.marks.len();
        if before == 0 {
            return false;
        }
        let gone: Vec<i64> = self
            .marks
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(key, _)| *key)
            .collect();
        for key in &gone {
            self.marks.remove(key);
        }
        gone.iter().any(|key| {
            self.index
                .get(key)
                .is_some_and(|index| self.matches(*index))
        })
    }

    /// When the next mark ends.
    pub fn next_mark_end(&self) -> Option<Instant> {
        self.marks.values().min().copied()
    }

    /// Whether the row at `index` passes the filter the list was last shown with.
    fn matches(&self, index: usize) -> bool {
        self.needle.is_empty()
            || self
                .search
                .get(index)
                .is_some_and(|text| text.contains(&self.needle))
    }

    /// Visible order: by the sort key, ties in the order the rows came (as a stable sort).
    fn order(&self, a: usize, b: usize) -> Ordering {
        let order = self.sort_keys[a].cmp(&self.sort_keys[b]).then(a.cmp(&b));
        if self.sort_reversed {
            order.reverse()
        } else {
            order
        }
    }

    /// Where the row at `index` stands (or would stand) among the visible rows.
    fn place(&self, index: usize) -> usize {
        self.visible
            .partition_point(|&other| self.order(other, index) == Ordering::Less)
    }

    /// Takes the row at `index` out of the visible rows, if it is there; its keys must be
    /// those it was placed with.
    fn hide(&mut self, index: usize) -> bool {
        let at = self.place(index);
        if self.visible.get(at) != Some(&index) {
            return false;
        }
        self.visible.remove(at);
        self.selection.removed(at, self.visible.len());
        true
    }

    /// Puts the row at `index` among the visible rows if it passes the filter.
    fn show(&mut self, index: usize) -> bool {
        if !self.matches(index) {
            return false;
        }
        let at = self.place(index);
        let before = self.visible.len();
        self.visible.insert(at, index);
        self.selection.inserted(at, before);
        true
    }

    /// The next sort column, or the same one reversed.
    pub fn cycle_sort(&mut self, reverse: bool, columns: usize) {
        if reverse {
            self.sort_reversed = !self.sort_reversed;
        } else {
            self.sort_column = (self.sort_column + 1) % columns;
            self.sort_reversed = false;
        }
    }
}

impl<T: Row> ListState<T> {
    /// New rows from the server: the list is current and no longer stale. The selection
    /// stays on its record at the next `refresh_visible`.
    pub fn set_items(&mut self, items: Vec<T>) {
        self.keep_selected();
        self.items = items;
        // Indices into the old rows mean nothing now; `refresh_visible` makes them anew.
        self.visible.clear();
        self.search.clear();
        self.sort_keys.clear();
        self.index.clear();
        self.loaded = true;
        self.stale = false;
    }

    /// Like `set_items`, but false (and nothing changes) when the rows are those shown now.
    pub fn replace_items(&mut self, items: Vec<T>) -> bool
    where
        T: PartialEq,
    {
        if self.loaded && !self.stale && self.items == items {
            return false;
        }
        self.set_items(items);
        true
    }

    /// More rows (the next page of history); only they are indexed.
    pub fn extend_items(&mut self, more: Vec<T>) {
        self.keep_selected();
        self.index_rows();
        let mut changed = self.items.len();
        for item in more {
            // A record the live stream brought in already is replaced, not doubled.
            match self.index.get(&item.key()).copied() {
                Some(index) => {
                    self.items[index] = item;
                    changed = changed.min(index);
                }
                None => {
                    self.index.insert(item.key(), self.items.len());
                    self.items.push(item);
                }
            }
        }
        self.search.truncate(changed);
        self.sort_keys.truncate(changed);
        self.loaded = true;
        self.stale = false;
    }

    /// Remembers the selected record, so the next `refresh_visible` finds it again.
    fn keep_selected(&mut self) {
        if self.kept.is_none() {
            self.kept = self.selected_item().map(Row::key);
        }
    }

    /// Selects the record `key` now if it is shown, else as soon as it is (a record just
    /// created, before the reload or event that brings it; until the user moves on).
    pub fn select_key(&mut self, key: i64) {
        match self.position_of(key) {
            Some(position) => {
                self.selection.select(position);
                self.wanted = None;
            }
            None => self.wanted = Some(key),
        }
    }

    /// Where the record `key` is among the visible rows.
    fn position_of(&self, key: i64) -> Option<usize> {
        let index = *self.index.get(&key)?;
        self.visible.iter().position(|v| *v == index)
    }

    /// The row of `key`, if loaded.
    pub fn get(&self, key: i64) -> Option<&T> {
        self.items.get(*self.index.get(&key)?)
    }

    /// Brings the filter and sort caches and the key index up to date with `items`,
    /// computing only new rows.
    fn index_rows(&mut self) {
        if self.search.len() > self.items.len() {
            self.search.clear();
        }
        let start = self.search.len();
        if start == 0 {
            self.index.clear();
        }
        for (offset, item) in self.items[start..].iter().enumerate() {
            self.search.push(item.cells().join("\u{1f}").to_lowercase());
            self.index.insert(item.key(), start + offset);
        }
        let column = self.sort_column;
        if self.sort_keys_column != Some(column) || self.sort_keys.len() > self.items.len() {
            self.sort_keys.clear();
            self.sort_keys_column = Some(column);
        }
        let start = self.sort_keys.len();
        self.sort_keys
            .extend(self.items[start..].iter().map(|item| item.sort_key(column)));
    }

    /// Recomputes the visible rows; keeps the selection on the same record when it can.
    pub fn refresh_visible(&mut self, filter: &str) {
        let keep = self
            .kept
            .take()
            .or_else(|| self.selected_item().map(Row::key));
        self.index_rows();
        let needle = filter.to_lowercase();
        let mut visible: Vec<usize> = (0..self.items.len())
            .filter(|index| needle.is_empty() || self.search[*index].contains(&needle))
            .collect();
        let keys = &self.sort_keys;
        visible.sort_by(|a, b| keys[*a].cmp(&keys[*b]));
        if self.sort_reversed {
            visible.reverse();
        }
        self.visible = visible;
        self.needle = needle;
        // A wanted record this load brought in is selected now.
        let wanted = self.wanted.and_then(|key| self.position_of(key));
        if wanted.is_some() {
            self.wanted = None;
        }
        match wanted.or_else(|| keep.and_then(|key| self.position_of(key))) {
            Some(position) => self.selection.select(position),
            None => self.selection.clamp(self.visible.len()),
        }
    }

    /// Adds the record, or replaces the one with its key, in place: the row moves only if
    /// its sort key or filter match changed, the selection and the window stay on their
    /// records. True when a visible row changed (appeared, changed or went).
    pub fn upsert(&mut self, item: T) -> bool {
        self.index_rows();
        let key = item.key();
        let Some(index) = self.index.get(&key).copied() else {
            let index = self.items.len();
            self.items.push(item);
            self.index_rows();
            self.loaded = true;
            let wanted = self.wanted == Some(key);
            return self.show_again(index, wanted);
        };
        let selected = self.selected_item().map(Row::key) == Some(key) || self.wanted == Some(key);
        let hidden = self.hide(index);
        self.items[index] = item;
        self.reindex(index);
        self.show_again(index, selected) || hidden
    }

    /// Changes the record `key` in place with `change`, as `upsert` does; false when it is
    /// not loaded or not visible.
    pub fn update(&mut self, key: i64, change: impl FnOnce(&mut T)) -> bool {
        self.index_rows();
        let Some(index) = self.index.get(&key).copied() else {
            return false;
        };
        let selected = self.selected_item().map(Row::key) == Some(key);
        let hidden = self.hide(index);
        change(&mut self.items[index]);
        self.reindex(index);
        self.show_again(index, selected) || hidden
    }

    /// Shows a changed row again; the selection follows it if it was on it.
    fn show_again(&mut self, index: usize, selected: bool) -> bool {
        let shown = self.show(index);
        if shown && selected {
            let at = self.place(index);
            self.selection.select(at);
            if self
                .wanted
                .is_some_and(|key| self.index.get(&key) == Some(&index))
            {
                self.wanted = None;
            }
        }
        shown
    }

    /// Changes every record `change` says it changed (a renamed vehicle in the history);
    /// the list is sorted and filtered again only if one did. True when one did.
    pub fn update_all(&mut self, mut change: impl FnMut(&mut T) -> bool) -> bool {
        self.index_rows();
        let changed: Vec<usize> = (0..self.items.len())
            .filter(|index| change(&mut self.items[*index]))
            .collect();
        if changed.is_empty() {
            return false;
        }
        for index in changed {
            self.reindex(index);
        }
        let needle = self.needle.clone();
        self.refresh_visible(&needle);
        true
    }

    /// Removes the record `key`; true when it was visible.
    pub fn remove(&mut self, key: i64) -> bool {
        self.index_rows();
        let Some(index) = self.index.get(&key).copied() else {
            return false;
        };
        let hidden = self.hide(index);
        self.items.remove(index);
        self.search.remove(index);
        self.sort_keys.remove(index);
        self.index.remove(&key);
        self.marks.remove(&key);
        for (i, item) in self.items.iter().enumerate().skip(index) {
            self.index.insert(item.key(), i);
        }
        for position in &mut self.visible {
            if *position > index {
                *position -= 1;
            }
        }
        hidden
    }

    /// The caches of the row at `index` after it changed.
    fn reindex(&mut self, index: usize) {
        let item = &self.items[index];
        self.search[index] = item.cells().join("\u{1f}").to_lowercase();
        self.sort_keys[index] = item.sort_key(self.sort_column);
    }
}

/// Draws a [`ListState`]: a header with the sort arrow, then only the rows that fit, the
/// selected one marked; below 100 columns dates lose their year.
pub struct ListTable<'a, T> {
    widths: &'a [u16],
    wide: bool,
    theme: Theme,
    focused: bool,
    rows: PhantomData<T>,
}

impl<'a, T> ListTable<'a, T> {
    /// Columns `widths` wide (the last one takes what is left).
    pub fn new(widths: &'a [u16], look: &TabLook) -> ListTable<'a, T> {
        ListTable {
            widths,
            wide: look.wide,
            theme: look.theme,
            focused: look.focused,
            rows: PhantomData,
        }
    }
}

impl<T: Row> StatefulWidget for ListTable<'_, T> {
    type State = ListState<T>;

    fn render(self, area: Rect, buf: &mut Buffer, list: &mut ListState<T>) {
        let theme = self.theme;
        let height = area.height.saturating_sub(1) as usize;
        if !list.loaded {
            Paragraph::new(" Loading…")
                .style(theme.dim())
                .render(area, buf);
            return;
        }
        if list.visible.is_empty() {
            let text = if list.items.is_empty() {
                " Nothing here yet."
            } else {
                " Nothing matches the filter."
            };
            Paragraph::new(text).style(theme.dim()).render(area, buf);
            return;
        }
        let offset = list.selection.window(height, list.visible.len());
        let selected = list.selection.index();
        let rows: Vec<TableRow> = list
            .visible
            .iter()
            .enumerate()
            .skip(offset)
            .take(height)
            .filter_map(|(position, index)| {
                let item = list.items.get(*index)?;
                let marked = list.marks.contains_key(&item.key());
                // Behind a dialog the selection stays visible but hollow: the keys go elsewhere.
                let marker = match (position == selected, marked) {
                    (true, false) if self.focused => "▶ ",
                    (true, true) if self.focused => "▶•",
                    (true, false) => "▷ ",
                    (true, true) => "▷•",
                    (false, true) => " •",
                    (false, false) => "  ",
                };
                let mut cells = item.cells();
                if !self.wide {
                    cells = cells.into_iter().map(compact).collect();
                }
                if let Some(first) = cells.first_mut() {
                    *first = format!("{marker}{first}");
                }
                let row = TableRow::new(cells);
                Some(if position == selected {
                    row.style(theme.selected())
                } else {
                    row
                })
            })
            .collect();
        let mut header_cells: Vec<String> = T::COLUMNS.iter().map(|c| c.to_string()).collect();
        // One meaning everywhere: ▲ ascending (A→Z, 0→9, oldest first), ▼ descending.
        if let Some(cell) = header_cells.get_mut(list.sort_column) {
            let descending = T::descending(list.sort_column) != list.sort_reversed;
            cell.push_str(if descending { " ▼" } else { " ▲" });
        }
        // The sorted column is never too narrow for its arrow (YEAR ▲).
        let sort_room = header_cells
            .get(list.sort_column)
            .map_or(0, |cell| cell.chars().count() as u16);
        if let Some(first) = header_cells.first_mut() {
            *first = format!("  {first}");
        }
        let widths = self.widths;
        let constraints: Vec<Constraint> = widths
            .iter()
            .enumerate()
            .map(|(index, width)| {
                let width = &if index == list.sort_column {
                    (*width).max(sort_room)
                } else {
                    *width
                };
                if index == 0 {
                    // Room for the selection marker.
                    Constraint::Length(*width + 2)
                } else if index + 1 == widths.len() {
                    Constraint::Min(*width)
                } else {
                    Constraint::Length(*width)
                }
            })
            .collect();
        let table = Table::new(rows, constraints)
            .header(TableRow::new(header_cells).style(theme.title()))
            .column_spacing(1);
        Widget::render(table, area, buf);
    }
}

#[cfg(test)]
mod tests;
