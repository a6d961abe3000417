//! The one picker: a titled list with a filter-as-you-type line, free items first and busy
//! ones marked with who or what holds them. It says what was chosen; its owner decides what
//! that means. Its owner may also fill it from a search as the filter is typed, and say how
//! that search stands on a line of its own.

use crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::field::Field;
use super::frame::{centered, dialog_block, word_wrap};
use super::selection::Selection;
use super::table::SortKey;
use crate::domain::search::fold;
use crate::tui::keys::hints::{key_line, HintSpec, Keys};
use crate::tui::keys::{Action, Context, KeyMap};
use crate::tui::theme::Theme;

const HINTS: &[HintSpec] = &[
    HintSpec::new(Keys::Typing, "filter", true),
    HintSpec::new(Keys::Run(Action::Up, Action::Down), "move", true),
    HintSpec::new(
        Keys::Pair(Action::First, Action::Last),
        "first / last",
        false,
    ),
    HintSpec::new(Keys::First(Action::Accept), "choose", true),
    HintSpec::new(Keys::First(Action::Cancel), "cancel", true),
];

/// Rows a page key moves in a picker.
const PAGE: isize = 10;

/// Something to pick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PickerItem<K> {
    pub id: K,
    /// As listed: "Ana Ruiz <ana@depot.example>".
    pub label: String,
    /// As named once chosen: "Ana Ruiz".
    pub name: String,
    /// Who or what holds it now; free ones have None and come first.
    pub busy_with: Option<String>,
    /// Why it cannot be chosen at all (a vehicle in the shop); such items come last and are
    /// refused with this reason.
    pub unavailable: Option<String>,
}

/// What a key did to the picker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Picked<K> {
    Chosen(PickerItem<K>),
    Cancelled,
    /// Moved, filtered, or nothing to choose yet.
    Stay,
}

#[derive(Clone, Debug)]
pub struct Picker<K> {
    title: String,
    items: Vec<PickerItem<K>>,
    filter: Field,
    visible: Vec<usize>,
    selection: Selection,
    /// Fleet pickers say "free" beside what nobody holds.
    marks_free: bool,
    /// What just changed under the picker, said above its keys.
    notice: Option<String>,
    /// How a search for the items stands ("searching…", the server's refusal); true when it
    /// is an error.
    status: Option<(String, bool)>,
}

/// Free first, unavailable last, and within each the list's natural order (Van 2 before Van 11).
fn sort_items<K>(items: &mut [PickerItem<K>]) {
    items.sort_by_cached_key(|item| {
        (
            item.unavailable.is_some(),
            item.busy_with.is_some(),
            SortKey::natural(&item.label),
        )
    });
}

impl<K: Clone + PartialEq> Picker<K> {
    pub fn new(title: String, mut items: Vec<PickerItem<K>>, marks_free: bool) -> Picker<K> {
        sort_items(&mut items);
        let mut picker = Picker {
            title,
            items,
            filter: Field::default(),
            visible: Vec::new(),
            selection: Selection::default(),
            marks_free,
            notice: None,
            status: None,
        };
        picker.refilter();
        picker
    }

    /// The items as they are now (someone changed them): sorted and filtered again, the
    /// selection on the item it was on.
    pub fn set_items(&mut self, mut items: Vec<PickerItem<K>>) {
        sort_items(&mut items);
        self.set_ranked(items);
    }

    /// Items in the order given (a search's best match first), filtered again, the
    /// selection on the item it was on.
    pub fn set_ranked(&mut self, items: Vec<PickerItem<K>>) {
        let kept = self.selected_item().map(|item| item.id.clone());
        self.items = items;
        self.refilter();
        let position = kept.and_then(|id| {
            self.visible
                .iter()
                .position(|index| self.items.get(*index).is_some_and(|item| item.id == id))
        });
        if let Some(position) = position {
            self.selection.select(position);
        }
    }

    /// Whether `id` is one of the items.
    pub fn has(&self, id: &K) -> bool {
        self.items.iter().any(|item| item.id == *id)
    }

    /// The item with `id`, if there.
    pub fn item(&self, id: &K) -> Option<&PickerItem<K>> {
        self.items.iter().find(|item| item.id == *id)
    }

    /// A line about what just changed, above the keys.
    pub fn set_notice(&mut self, notice: String) {
        self.notice = Some(notice);
    }

    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// How the search that fills the picker stands; `error` draws it as one.
    pub fn set_status(&mut self, status: Option<(String, bool)>) {
        self.status = status;
    }

    pub fn status(&self) -> Option<&str> {
        self.status.as_ref().map(|(text, _)| text.as_str())
    }

    /// What is typed in the filter line.
    pub fn filter_text(&self) -> &str {
        self.filter.value()
    }

    /// Starts with `text` in the filter (the letter that opened the picker).
    pub fn with_filter(mut self, text: &str) -> Picker<K> {
        self.filter.set(text);
        self.refilter();
        self
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The labels the filter lets through, in order.
    pub fn visible_labels(&self) -> Vec<&str> {
        self.visible
            .iter()
            .filter_map(|index| self.items.get(*index))
            .map(|item| item.label.as_str())
            .collect()
    }

    /// Filters again; the selection stays on its item while it is shown, else goes to the
    /// first (the best match). Case and accents do not count, as in the server's search.
    fn refilter(&mut self) {
        let keep = self.visible.get(self.selection.index()).copied();
        let needle = fold(self.filter.value());
        self.visible = self
            .items
            .iter()
            .enumerate()
            .filter(|(_, item)| {
                needle.is_empty()
                    || fold(&item.label).contains(&needle)
                    || item
                        .busy_with
                        .as_ref()
                        .is_some_and(|busy| fold(busy).contains(&needle))
            })
            .map(|(index, _)| index)
            .collect();
        let kept = keep.and_then(|index| self.visible.iter().position(|v| *v == index));
        self.selection.select(kept.unwrap_or(0));
    }

    pub fn selected_item(&self) -> Option<&PickerItem<K>> {
        self.visible
            .get(self.selection.index())
            .and_then(|index| self.items.get(*index))
    }

    pub fn on_key(&mut self, key: &KeyEvent, keys: &KeyMap) -> Picked<K> {
        let len = self.visible.len();
        match keys.action(Context::Picker, key) {
            Some(Action::Cancel) => return Picked::Cancelled,
            Some(Action::Down) => self.selection.move_by(1, len),
            Some(Action::Up) => self.selection.move_by(-1, len),
            Some(Action::PageDown) => self.selection.move_by(PAGE, len),
            Some(Action::PageUp) => self.selection.move_by(-PAGE, len),
            Some(Action::First) => self.selection.select(0),
            Some(Action::Last) => self.selection.select(len.saturating_sub(1)),
            Some(Action::Accept) => {
                if let Some(choice) = self.selected_item() {
                    match &choice.unavailable {
                        Some(why) => {
                            self.notice = Some(format!("{} cannot be chosen: {why}", choice.name));
                        }
                        None => return Picked::Chosen(choice.clone()),
                    }
                }
            }
            _ => {
                self.filter.input(key);
                self.refilter();
            }
        }
        Picked::Stay
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, keys: &KeyMap, theme: Theme) {
        let rect = centered(
            area,
            area.width.saturating_sub(4).min(96),
            area.height.saturating_sub(4),
        );
        frame.render_widget(Clear, rect);
        let block = dialog_block(&self.title, theme);
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let notice_rows = u16::from(self.notice.is_some());
        let status_lines: Vec<Line> = match &self.status {
            Some((status, error)) => {
                let (text, style) = if *error {
                    (format!("✗ {status}"), theme.error())
                } else {
                    (status.clone(), theme.dim())
                };
                word_wrap(&text, usize::from(inner.width.max(1)))
                    .into_iter()
                    .map(|part| Line::from(Span::styled(part, style)))
                    .collect()
            }
            None => Vec::new(),
        };
        let status_rows = status_lines.len() as u16;
        let [filter_area, status_area, list_area, notice_area, hint_area] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(status_rows),
            Constraint::Min(1),
            Constraint::Length(notice_rows),
            Constraint::Length(1),
        ])
        .areas(inner);
        frame.render_widget(Paragraph::new(status_lines), status_area);
        if let Some(notice) = &self.notice {
            frame.render_widget(
                Paragraph::new(Line::from(Span::styled(
                    format!("• {notice}"),
                    theme.warning(),
                ))),
                notice_area,
            );
        }
        let counts = format!("   {} of {}", self.visible.len(), self.items.len());
        let filter_width = usize::from(filter_area.width)
            .saturating_sub("filter: ".len() + counts.chars().count());
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::raw("filter: "),
                Span::styled(
                    self.filter.in_width(true, false, filter_width),
                    theme.title(),
                ),
                Span::styled(counts, theme.dim()),
            ])),
            filter_area,
        );
        let height = list_area.height as usize;
        let offset = self.selection.window(height, self.visible.len());
        let selected = self.selection.index();
        let lines: Vec<Line> = self
            .visible
            .iter()
            .enumerate()
            .skip(offset)
            .take(height)
            .filter_map(|(position, index)| {
                let item = self.items.get(*index)?;
                let marker = if position == selected { "▶ " } else { "  " };
                let mut spans = vec![Span::raw(format!("{marker}{}", item.label))];
                match (&item.unavailable, &item.busy_with) {
                    (Some(why), _) => {
                        spans.push(Span::styled(format!("  unavailable: {why}"), theme.error()))
                    }
                    (None, Some(busy)) => {
                        spans.push(Span::styled(format!("  busy: {busy}"), theme.warning()))
                    }
                    (None, None) if self.marks_free => {
                        spans.push(Span::styled("  free", theme.success()))
                    }
                    (None, None) => {}
                }
                let line = Line::from(spans);
                Some(if position == selected {
                    line.style(theme.selected())
                } else {
                    line
                })
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), list_area);
        frame.render_widget(
            Paragraph::new(Line::from(key_line(
                keys,
                Context::Picker,
                HINTS,
                ("", "  "),
                theme.key(),
            ))),
            hint_area,
        );
    }
}
