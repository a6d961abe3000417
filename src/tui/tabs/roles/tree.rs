//! The organization tree: nested and sorted by name, folded where the user folded it; a
//! filter keeps each match with its ancestors, all unfolded.

use std::collections::{HashMap, HashSet};

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::api::roles::Organization;
use crate::tui::theme::Theme;
use crate::tui::widgets::frame::fit;
use crate::tui::widgets::selection::Selection;
use crate::tui::widgets::table::SortKey;

/// One visible line of the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeRow {
    /// Index into the organizations.
    pub index: usize,
    pub depth: usize,
    pub has_children: bool,
    pub expanded: bool,
}

#[derive(Debug, Default)]
pub struct Tree {
    organizations: Vec<Organization>,
    pub loaded: bool,
    /// Organizations whose children are hidden.
    collapsed: HashSet<String>,
    rows: Vec<TreeRow>,
    pub selection: Selection,
}

impl Tree {
    pub fn organizations(&self) -> &[Organization] {
        &self.organizations
    }

    pub fn rows(&self) -> &[TreeRow] {
        &self.rows
    }

    /// Replaces the organizations, keeping the selected one selected.
    pub fn set_organizations(&mut self, mut organizations: Vec<Organization>, filter: &str) {
        let keep = self.selected().map(|org| org.id.clone());
        organizations.sort_by_key(|org| SortKey::natural(&org.name));
        self.organizations = organizations;
        self.loaded = true;
        self.rebuild(filter);
        if let Some(id) = keep {
            self.select(&id);
        }
    }

    /// An organization created elsewhere joins the tree (the selection stays where it is).
    pub fn add(&mut self, organization: Organization, filter: &str) -> bool {
        if !self.loaded
            || self
                .organizations
                .iter()
                .any(|org| org.id == organization.id)
        {
            return false;
        }
        let mut organizations = std::mem::take(&mut self.organizations);
        organizations.push(organization);
        self.set_organizations(organizations, filter);
        true
    }

    /// Recomputes the visible tree: with a filter, every match and its ancestors, expanded.
    pub fn rebuild(&mut self, filter: &str) {
        let keep = self.selected().map(|org| org.id.clone());
        let needle = filter.trim().to_lowercase();
        let ids: HashSet<&str> = self.organizations.iter().map(|o| o.id.as_str()).collect();
        let mut children: HashMap<Option<&str>, Vec<usize>> = HashMap::new();
        for (index, org) in self.organizations.iter().enumerate() {
            // A parent that is not in the list (deleted, or not visible) makes a root.
            let parent = org.parent_id.as_deref().filter(|id| ids.contains(id));
            children.entry(parent).or_default().push(index);
        }
        let mut wanted: Option<HashSet<usize>> = None;
        if !needle.is_empty() {
            let by_id: HashMap<&str, usize> = self
                .organizations
                .iter()
                .enumerate()
                .map(|(index, org)| (org.id.as_str(), index))
                .collect();
            let mut keep = HashSet::new();
            for (index, org) in self.organizations.iter().enumerate() {
                if org.name.to_lowercase().contains(&needle) {
                    let mut at = Some(index);
                    // Guarded against a cycle in bad data.
                    while let Some(current) = at.filter(|i| keep.insert(*i)) {
                        at = self.organizations[current]
                            .parent_id
                            .as_deref()
                            .and_then(|id| by_id.get(id).copied());
                    }
                }
            }
            wanted = Some(keep);
        }
        let mut rows = Vec::new();
        let mut seen = HashSet::new();
        let mut stack: Vec<(usize, usize)> = children
            .get(&None)
            .map(|roots| roots.iter().rev().map(|index| (*index, 0)).collect())
            .unwrap_or_default();
        while let Some((index, depth)) = stack.pop() {
            if !seen.insert(index) {
                continue;
            }
            if wanted.as_ref().is_some_and(|keep| !keep.contains(&index)) {
                continue;
            }
            let org = &self.organizations[index];
            let kids = children.get(&Some(org.id.as_str()));
            let has_children = kids.is_some_and(|kids| !kids.is_empty());
            let expanded = wanted.is_some() || !self.collapsed.contains(&org.id);
            rows.push(TreeRow {
                index,
                depth,
                has_children,
                expanded,
            });
            if expanded {
                if let Some(kids) = kids {
                    stack.extend(kids.iter().rev().map(|kid| (*kid, depth + 1)));
                }
            }
        }
        self.rows = rows;
        self.selection.clamp(self.rows.len());
        // The selected organization stays selected while it is still shown.
        if let Some(id) = keep {
            self.select(&id);
        }
    }

    /// A filter kept: unless the selected organization matches it, the first that does is
    /// selected (not an ancestor shown only for context).
    pub fn land_on_match(&mut self, filter: &str) {
        let needle = filter.trim().to_lowercase();
        if needle.is_empty() {
            return;
        }
        let matches = |org: &Organization| org.name.to_lowercase().contains(&needle);
        if self.selected().is_some_and(matches) {
            return;
        }
        if let Some(position) = self
            .rows
            .iter()
            .position(|row| matches(&self.organizations[row.index]))
        {
            self.selection.select(position);
        }
    }

    pub fn selected(&self) -> Option<&Organization> {
        self.rows
            .get(self.selection.index())
            .and_then(|row| self.organizations.get(row.index))
    }

    fn select(&mut self, id: &str) {
        if let Some(position) = self
            .rows
            .iter()
            .position(|row| self.organizations[row.index].id == id)
        {
            self.selection.select(position);
        }
    }

    /// `id`, then its parent, grandparent, … as far as they are known.
    pub fn ancestry(&self, id: &str) -> Vec<String> {
        let mut line = vec![id.to_string()];
        let mut at = id.to_string();
        // Bounded: bad data with a cycle must not hang the client.
        while line.len() <= self.organizations.len() {
            let parent = self
                .organizations
                .iter()
                .find(|org| org.id == at)
                .and_then(|org| org.parent_id.clone());
            match parent {
                Some(parent) => {
                    line.push(parent.clone());
                    at = parent;
                }
                None => break,
            }
        }
        line
    }

    pub fn name_of(&self, id: &str) -> String {
        self.organizations
            .iter()
            .find(|org| org.id == id)
            .map_or_else(|| id.to_string(), |org| org.name.clone())
    }

    /// Folds or unfolds the selected organization; false when it has no children.
    pub fn toggle_selected(&mut self, filter: &str) -> bool {
        let Some(row) = self.rows.get(self.selection.index()) else {
            return false;
        };
        if !row.has_children {
            return false;
        }
        let id = self.organizations[row.index].id.clone();
        if !self.collapsed.remove(&id) {
            self.collapsed.insert(id);
        }
        self.rebuild(filter);
        true
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, focused: bool, theme: Theme) {
        let mut lines = vec![Line::from(Span::styled(" ORGANIZATIONS", theme.title()))];
        if !self.loaded {
            lines.push(Line::from(Span::styled(" Loading…", theme.dim())));
        } else if self.rows.is_empty() {
            let text = if self.organizations.is_empty() {
                " No organizations yet."
            } else {
                " Nothing matches."
            };
            lines.push(Line::from(Span::styled(text, theme.dim())));
        }
        let height = area.height.saturating_sub(1) as usize;
        let offset = self.selection.window(height, self.rows.len());
        let selected = self.selection.index();
        let width = area.width as usize;
        for (position, row) in self.rows.iter().enumerate().skip(offset).take(height) {
            let Some(org) = self.organizations.get(row.index) else {
                continue;
            };
            let is_selected = position == selected;
            let marker = match (is_selected, focused) {
                (true, true) => "▶",
                (true, false) => "▷",
                _ => " ",
            };
            let fold = match (row.has_children, row.expanded) {
                (false, _) => "  ",
                (true, true) => "▾ ",
                (true, false) => "▸ ",
            };
            let text = format!("{marker}{}{fold}{}", "  ".repeat(row.depth), org.name);
            let line = Line::from(fit(&text, width));
            lines.push(match (is_selected, focused) {
                (true, true) => line.style(theme.selected()),
                (true, false) => line.style(theme.title()),
                _ => line,
            });
        }
        frame.render_widget(Paragraph::new(lines), area);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: &str, name: &str, parent: Option<&str>) -> Organization {
        Organization {
            id: id.to_string(),
            name: name.to_string(),
            parent_id: parent.map(str::to_string),
        }
    }

    fn tree() -> Tree {
        let mut tree = Tree::default();
        tree.set_organizations(
            vec![
                org("n", "Depot North", Some("h")),
                org("h", "Region Hamburg", None),
                org("w", "Workshop North", Some("n")),
                org("s", "Depot South", Some("h")),
                org("x", "Orphan", Some("gone")),
            ],
            "",
        );
        tree
    }

    fn names(tree: &Tree) -> Vec<(usize, String)> {
        tree.rows
            .iter()
            .map(|row| (row.depth, tree.organizations[row.index].name.clone()))
            .collect()
    }

    #[test]
    fn the_tree_nests_sorts_and_collapses() {
        let mut tree = tree();
        assert_eq!(
            names(&tree),
            vec![
                (0, "Orphan".to_string()),
                (0, "Region Hamburg".to_string()),
                (1, "Depot North".to_string()),
                (2, "Workshop North".to_string()),
                (1, "Depot South".to_string()),
            ]
        );
        tree.selection.select(2);
        assert!(tree.toggle_selected(""));
        assert_eq!(names(&tree).len(), 4);
        assert!(!tree.rows[2].expanded);
        tree.selection.select(3);
        assert!(!tree.toggle_selected(""), "a leaf has nothing to fold");
    }

    #[test]
    fn a_filter_keeps_matches_with_their_ancestors_even_when_folded() {
        let mut tree = tree();
        tree.selection.select(2);
        tree.toggle_selected("");
        tree.rebuild("workshop");
        assert_eq!(
            names(&tree),
            vec![
                (0, "Region Hamburg".to_string()),
                (1, "Depot North".to_string()),
                (2, "Workshop North".to_string()),
            ]
        );
        assert_eq!(
            tree.ancestry(&tree.organizations[4].id),
            vec![
                tree.organizations[4].id.clone(),
                tree.organizations[0].id.clone(),
                tree.organizations[3].id.clone()
            ],
            "Workshop North, Depot North, Region Hamburg"
        );
        tree.rebuild("nothing like it");
        assert!(tree.rows.is_empty());
        assert!(tree.selected().is_none());
    }

    #[test]
    fn a_kept_filter_selects_the_first_match_unless_the_selection_matches() {
        let mut tree = tree();
        tree.selection.select(1);
        tree.rebuild("north");
        assert_eq!(
            tree.selected().map(|o| o.name.as_str()),
            Some("Region Hamburg")
        );
        tree.land_on_match("north");
        assert_eq!(
            tree.selected().map(|o| o.name.as_str()),
            Some("Depot North")
        );
        tree.selection.select(2);
        tree.land_on_match("north");
        assert_eq!(
            tree.selected().map(|o| o.name.as_str()),
            Some("Workshop North"),
            "a selected match stays"
        );
    }
}
