//! A vehicle's or technician's assignments, from the history loaded so far, and under them
//! the events that concern them from the activity log (newest first; live).

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row as TableRow, Table};
use ratatui::Frame;

use super::message::reader_block;
use super::thousands;
use super::Look;
use crate::api::events::ActivityPage;
use crate::api::Assignment;
use crate::client::ClientError;
use crate::tui::live::Change;
use crate::tui::message::Subject;
use crate::tui::rows::date_cell;
use crate::tui::tabs::ActivityRow;
use crate::tui::theme::Theme;
use crate::tui::widgets::frame::{centered, compact, fit};
use crate::tui::widgets::table::Row;

/// The events part of a history.
#[derive(Debug)]
pub enum HistoryEvents {
    Loading,
    Loaded(Vec<ActivityRow>),
    /// The activity log is for admins.
    Refused,
    Failed(String),
}

#[derive(Debug)]
pub struct History {
    title: String,
    rows: Vec<Assignment>,
    subject: Option<Subject>,
    events: HistoryEvents,
}

impl History {
    pub fn new(title: String, rows: Vec<Assignment>) -> History {
        History {
            title,
            rows,
            subject: None,
            events: HistoryEvents::Loaded(Vec::new()),
        }
    }

    /// A history that also shows `subject`'s events, once they are loaded.
    pub fn with_events(mut self, subject: Subject) -> History {
        self.subject = Some(subject);
        self.events = HistoryEvents::Loading;
        self
    }

    pub fn rows(&self) -> &[Assignment] {
        &self.rows
    }

    pub fn subject(&self) -> Option<Subject> {
        self.subject
    }

    pub fn events(&self) -> &HistoryEvents {
        &self.events
    }

    /// The answer of the activity log for this history's subject.
    pub fn events_loaded(&mut self, result: Result<ActivityPage, ClientError>) {
        self.events = match result {
            Ok(page) => HistoryEvents::Loaded(
                page.events
                    .into_iter()
                    .filter_map(ActivityRow::of)
                    .collect(),
            ),
            Err(error) if error.status() == Some(403) => HistoryEvents::Refused,
            Err(error) => HistoryEvents::Failed(error.user_message()),
        };
    }

    /// A change about this history's vehicle or technician goes on top of its events.
    pub fn live(&mut self, change: &Change) -> bool {
        let subject = &change.event.subject;
        let concerned = match self.subject {
            Some(Subject::Vehicle(id)) => subject.vehicle_id == Some(id),
            Some(Subject::Technician(id)) => {
                subject.technician_id == Some(id) || subject.user_id == Some(id)
            }
            None => false,
        };
        match &mut self.events {
            HistoryEvents::Loaded(rows) if concerned => {
                if !rows.iter().any(|row| row.event.id == change.event.id) {
                    rows.insert(0, ActivityRow::new(change.event.clone(), &change.data));
                }
                true
            }
            _ => false,
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, look: &Look) {
        let theme = look.theme;
        let title = &self.title;
        let rect = centered(area, 100, area.height.saturating_sub(4));
        frame.render_widget(Clear, rect);
        let wide = rect.width >= 96;
        let block = reader_block(title, look);
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let (top, bottom) = if self.subject.is_some() {
            let [top, bottom] =
                Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .areas(inner);
            (top, Some(bottom))
        } else {
            (inner, None)
        };
        self.draw_assignments(frame, top, wide, theme);
        if let Some(bottom) = bottom {
            self.draw_events(frame, bottom, wide, theme);
        }
    }

    fn draw_assignments(&self, frame: &mut Frame, area: Rect, wide: bool, theme: Theme) {
        if self.rows.is_empty() {
            frame.render_widget(
                Paragraph::new(" No assignments in the loaded history."),
                area,
            );
            return;
        }
        let height = area.height.saturating_sub(1) as usize;
        // The plate and status of the list give way to the readings taken at each return.
        let widths: [u16; 7] = if wide {
            [6, 12, 16, 16, 16, 12, 0]
        } else {
            [5, 9, 12, 10, 10, 10, 0]
        };
        // The note takes what is left after the others and the gaps between columns.
        let fixed: u16 = widths.iter().sum::<u16>() + widths.len() as u16 - 1;
        let cut_at = widths.map(|width| match width {
            0 => usize::from(area.width.saturating_sub(fixed)),
            width => usize::from(width),
        });
        let table_rows: Vec<TableRow> = self
            .rows
            .iter()
            .take(height)
            .map(|row| {
                let returned = row
                    .returned_date
                    .as_ref()
                    .map(date_cell)
                    .unwrap_or_else(|| "active".to_string());
                let cells = vec![
                    row.id.to_string(),
                    row.vehicle.name.clone(),
                    row.technician.name.clone(),
                    date_cell(&row.assigned_date),
                    returned,
                    row.return_odometer_km
                        .map(|km| format!("{} km", thousands(km)))
                        .unwrap_or_default(),
                    row.return_note.clone().unwrap_or_default(),
                ];
                // A cell longer than its column ends in `…`, not mid-word without a mark.
                TableRow::new(cells.into_iter().zip(cut_at).map(|(cell, width)| {
                    let cell = if wide { cell } else { compact(cell) };
                    fit(&cell, width).trim_end().to_string()
                }))
            })
            .collect();
        let constraints = widths.map(|width| match width {
            0 => Constraint::Fill(1),
            width => Constraint::Length(width),
        });
        let header = [
            "ID",
            "VEHICLE",
            "TECHNICIAN",
            "ASSIGNED",
            "RETURNED",
            "ODOMETER",
            "NOTE",
        ];
        let table =
            Table::new(table_rows, constraints).header(TableRow::new(header).style(theme.title()));
        frame.render_widget(table, area);
    }

    fn draw_events(&self, frame: &mut Frame, area: Rect, wide: bool, theme: Theme) {
        let block = Block::default()
            .borders(Borders::TOP)
            .border_style(theme.border())
            .title(" Events ");
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let say =
            |text: &str| Paragraph::new(Line::from(Span::styled(text.to_string(), theme.dim())));
        let rows = match &self.events {
            HistoryEvents::Loading => return frame.render_widget(say(" Loading…"), inner),
            HistoryEvents::Refused => {
                return frame.render_widget(say(" The activity log is for admins."), inner)
            }
            HistoryEvents::Failed(why) => {
                return frame.render_widget(say(&format!(" Not loaded: {why}")), inner)
            }
            HistoryEvents::Loaded(rows) if rows.is_empty() => {
                return frame.render_widget(say(" No events kept."), inner)
            }
            HistoryEvents::Loaded(rows) => rows,
        };
        let height = inner.height.saturating_sub(1) as usize;
        let table_rows: Vec<TableRow> = rows
            .iter()
            .take(height)
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
            [
                Constraint::Length(16),
                Constraint::Length(20),
                Constraint::Min(20),
            ]
        } else {
            [
                Constraint::Length(11),
                Constraint::Length(16),
                Constraint::Min(20),
            ]
        };
        let table = Table::new(table_rows, widths)
            .header(TableRow::new(ActivityRow::COLUMNS.to_vec()).style(theme.title()))
            .column_spacing(1);
        frame.render_widget(table, inner);
    }
}
