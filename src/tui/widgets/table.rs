//! A list of records: filtered as you type, sorted by a column, with a selection, drawn as a
//! table of only the rows that fit.

use std::marker::PhantomData;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Paragraph, Row as TableRow, StatefulWidget, Table, Widget};

use super::frame::compact;
use super::selection::Selection;
use crate::tui::theme::Theme;

/// A record as table cells, used for drawing, filtering and sorting; one cell per column.
pub trait Row {
    const COLUMNS: &'static [&'static str];
    fn cells(&self) -> Vec<String>;
    /// A sort key for a column (numbers sort as numbers).
    fn sort_key(&self, column: usize) -> SortKey {
        SortKey::natural(self.cells().get(column).map_or("", String::as_str))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortKey {
    Number(i64),
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
        self.selection.move_by(delta, self.visible.len());
    }

    /// Empties the list until the next answer (a new status filter was asked for).
    pub fn clear(&mut self) {
        self.items.clear();
        self.search.clear();
        self.sort_keys.clear();
        self.visible.clear();
        self.selection.select(0);
        self.loaded = false;
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
    /// New rows from the server: the list is current and no longer stale.
    pub fn set_items(&mut self, items: Vec<T>) {
        self.items = items;
        self.search.clear();
        self.sort_keys.clear();
        self.loaded = true;
        self.stale = false;
    }

    /// More rows (the next page of history); only they are indexed.
    pub fn extend_items(&mut self, more: Vec<T>) {
        self.items.extend(more);
        self.loaded = true;
        self.stale = false;
    }

    /// Brings the filter and sort caches up to date with `items`, computing only new rows.
    fn index_rows(&mut self) {
        if self.search.len() > self.items.len() {
            self.search.clear();
        }
        let start = self.search.len();
        self.search.extend(
            self.items[start..]
                .iter()
                .map(|item| item.cells().join("\u{1f}").to_lowercase()),
        );
        let column = self.sort_column;
        if self.sort_keys_column != Some(column) || self.sort_keys.len() > self.items.len() {
            self.sort_keys.clear();
            self.sort_keys_column = Some(column);
        }
        let start = self.sort_keys.len();
        self.sort_keys
            .extend(self.items[start..].iter().map(|item| item.sort_key(column)));
    }

    /// Recomputes the visible rows; keeps the selection on the same item when it can.
    pub fn refresh_visible(&mut self, filter: &str) {
        self.index_rows();
        let keep = self.visible.get(self.selection.index()).copied();
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
        let kept = keep.and_then(|index| self.visible.iter().position(|v| *v == index));
        match kept {
            Some(position) => self.selection.select(position),
            None => self.selection.clamp(self.visible.len()),
        }
    }
}

/// Draws a [`ListState`]: a header with the sort arrow, then only the rows that fit, the
/// selected one marked; below 100 columns dates lose their year.
pub struct ListTable<'a, T> {
    widths: &'a [u16],
    wide: bool,
    theme: Theme,
    rows: PhantomData<T>,
}

impl<'a, T> ListTable<'a, T> {
    /// Columns `widths` wide (the last one takes what is left).
    pub fn new(widths: &'a [u16], wide: bool, theme: Theme) -> ListTable<'a, T> {
        ListTable {
            widths,
            wide,
            theme,
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
                let marker = if position == selected { "▶ " } else { "  " };
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
        if let Some(cell) = header_cells.get_mut(list.sort_column) {
            cell.push_str(if list.sort_reversed { " ▲" } else { " ▼" });
        }
        if let Some(first) = header_cells.first_mut() {
            *first = format!("  {first}");
        }
        let widths = self.widths;
        let constraints: Vec<Constraint> = widths
            .iter()
            .enumerate()
            .map(|(index, width)| {
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
