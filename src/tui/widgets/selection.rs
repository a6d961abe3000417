//! The one selection model: a selected row among many and the window of rows drawn around
//! it. Lists, the organization tree, pickers and dialog rows all move with it.

/// The selected row, and the window drawn around it (kept between frames: stable scrolling).
#[derive(Clone, Debug)]
pub struct Selection {
    selected: usize,
    /// First row drawn.
    offset: usize,
    /// Rows drawn last time: what a page is.
    height: usize,
}

impl Default for Selection {
    fn default() -> Self {
        Selection {
            selected: 0,
            offset: 0,
            height: 20,
        }
    }
}

impl Selection {
    pub fn index(&self) -> usize {
        self.selected
    }

    pub fn select(&mut self, index: usize) {
        self.selected = index;
    }

    /// Moves by `delta` rows, staying among `len`.
    pub fn move_by(&mut self, delta: isize, len: usize) {
        self.selected = if len == 0 {
            0
        } else {
            self.selected.saturating_add_signed(delta).min(len - 1)
        };
    }

    /// A row came in at position `at` of `before` rows: the selection and the window stay on
    /// their records (at the top of a list the new row shows; further down it comes in above
    /// the window's first row, which stays first).
    pub fn inserted(&mut self, at: usize, before: usize) {
        if before > 0 && at <= self.selected {
            self.selected += 1;
        }
        if self.offset > 0 && at <= self.offset {
            self.offset += 1;
        } else if self.height > 0 && self.selected >= self.offset + self.height {
            // Pushed off the bottom: the window follows by one row rather than half a page.
            self.offset += 1;
        }
    }

    /// The row at position `at` went, `after` rows are left: the selection and the window
    /// stay on their records (on the next one when the selected record went).
    pub fn removed(&mut self, at: usize, after: usize) {
        if at < self.selected {
            self.selected -= 1;
        }
        if at < self.offset {
            self.offset -= 1;
        }
        self.clamp(after);
    }

    /// Keeps the selection among `len` rows.
    pub fn clamp(&mut self, len: usize) {
        self.selected = self.selected.min(len.saturating_sub(1));
    }

    /// Rows in a page: as many as were drawn last.
    pub fn page(&self) -> usize {
        self.height
    }

    /// First row drawn last time.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The first row to draw in `height` rows of `len`, so the selection shows; kept for the
    /// next frame. Widgets call it while drawing (their state is this selection).
    pub fn window(&mut self, height: usize, len: usize) -> usize {
        self.height = height;
        self.offset = window_offset(self.selected, self.offset, height, len);
        self.offset
    }
}

/// The first row to draw so `selected` shows. It jumps half a page when the selection leaves
/// the window: one full redraw every few moves instead of a shifted table (every row
/// rewritten) on every move.
fn window_offset(selected: usize, previous: usize, height: usize, len: usize) -> usize {
    let mut offset = previous;
    if selected < offset {
        offset = selected.saturating_sub(height / 2);
    } else if height > 0 && selected >= offset + height {
        offset = selected + 1 + height / 2 - height;
    }
    offset.min(len.saturating_sub(height.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_stay_in_range_and_the_window_jumps_half_a_page() {
        let mut selection = Selection::default();
        selection.move_by(-3, 10);
        assert_eq!(selection.index(), 0);
        selection.move_by(25, 10);
        assert_eq!(selection.index(), 9);
        selection.move_by(1, 0);
        assert_eq!(selection.index(), 0);
        let mut selection = Selection::default();
        assert_eq!(selection.window(10, 100), 0);
        selection.select(10);
        assert_eq!(selection.window(10, 100), 6, "half a page on");
        selection.select(5);
        assert_eq!(selection.window(10, 100), 0);
        assert_eq!(selection.page(), 10);
    }
}
