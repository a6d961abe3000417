//! A vehicle's or technician's assignments, from the history loaded so far.

use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Clear, Paragraph, Row as TableRow, Table};
use ratatui::Frame;

use crate::api::Assignment;
use crate::tui::theme::Theme;
use crate::tui::widgets::frame::{centered, compact, dialog_block};
use crate::tui::widgets::table::Row;

#[derive(Debug)]
pub struct History {
    title: String,
    rows: Vec<Assignment>,
}

impl History {
    pub fn new(title: String, rows: Vec<Assignment>) -> History {
        History { title, rows }
    }

    pub fn rows(&self) -> &[Assignment] {
        &self.rows
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let title = &self.title;
        let rect = centered(area, 100, area.height.saturating_sub(4));
        frame.render_widget(Clear, rect);
        let inner_height = rect.height.saturating_sub(3) as usize;
        let wide = rect.width >= 96;
        let table_rows: Vec<TableRow> = self
            .rows
            .iter()
            .take(inner_height)
            .map(|row| {
                let cells = row.cells();
                TableRow::new(if wide {
                    cells
                } else {
                    cells.into_iter().map(compact).collect()
                })
            })
            .collect();
        let widths = if wide {
            [6, 12, 11, 16, 9, 16, 16]
        } else {
            [5, 9, 9, 12, 8, 11, 11]
        };
        let constraints = widths.map(Constraint::Length);
        let table = Table::new(table_rows, constraints)
            .header(TableRow::new(Assignment::COLUMNS.to_vec()).style(theme.title()))
            .block(dialog_block(title, theme));
        if self.rows.is_empty() {
            frame.render_widget(
                Paragraph::new(" No assignments in the loaded history.")
                    .block(dialog_block(title, theme)),
                rect,
            );
        } else {
            frame.render_widget(table, rect);
        }
    }
}
