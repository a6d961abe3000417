//! `x`: the list on screen, as filtered and sorted, into a CSV file (a header row, RFC 4180
//! quoting, UTF-8) in the export directory. A new file every time: an existing one is never
//! written over, and a failed write leaves nothing behind.

use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::api::dates::{DEFAULT_VALID_FROM, DEFAULT_VALID_TO};
use crate::api::roles::RoleAssignmentRow;
use crate::tui::widgets::date::date_text;

/// What a list shows: its column titles and its rows' cells, in the order shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    /// "vehicles": in the file name and the footer.
    pub name: &'static str,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The Roles tab's list of one organization, with its columns as shown.
pub fn roles(rows: &[&RoleAssignmentRow]) -> View {
    View {
        name: "roles",
        header: [
            "REL ID",
            "USER",
            "ORGANIZATION",
            "ROLES",
            "VALID FROM",
            "VALID TO",
        ]
        .map(str::to_string)
        .to_vec(),
        rows: rows
            .iter()
            .map(|row| {
                let roles: Vec<&str> = row.roles.iter().map(|role| role.as_str()).collect();
                vec![
                    row.rel_id.to_string(),
                    row.user_name.clone(),
                    row.organization_name.clone(),
                    roles.join(", "),
                    date_text(row.valid_from, DEFAULT_VALID_FROM, true),
                    date_text(row.valid_to, DEFAULT_VALID_TO, true),
                ]
            })
            .collect(),
    }
}

/// Writes `view` into `dir` (the current directory when None) as
/// `fleetdesk-<name>-<stamp>.csv`, or `…-2.csv` and on when that exists. The path written.
pub fn write(dir: Option<&Path>, view: &View, stamp: &str) -> Result<PathBuf, String> {
    let dir = match dir {
        Some(dir) => dir.to_path_buf(),
        None => std::env::current_dir()
            .map_err(|error| format!("cannot tell the current directory: {error}"))?,
    };
    let (path, file) = create_new(&dir, &format!("fleetdesk-{}-{stamp}", view.name))?;
    match write_rows(file, view) {
        Ok(()) => Ok(path),
        Err(error) => {
            // Half a file is worse than none.
            let _ = std::fs::remove_file(&path);
            Err(format!("could not write {}: {error}", path.display()))
        }
    }
}

fn create_new(dir: &Path, base: &str) -> Result<(PathBuf, File), String> {
    for n in 1..=1000 {
        let name = if n == 1 {
            format!("{base}.csv")
        } else {
            format!("{base}-{n}.csv")
        };
        let path = dir.join(name);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((path, file)),
            Err(error) if error.kind() == ErrorKind::AlreadyExists => continue,
            Err(error) => {
                return Err(format!(
                    "cannot create a file in {}: {error}",
                    dir.display()
                ))
            }
        }
    }
    Err(format!(
        "{} holds 1,000 exports named {base}; move some away",
        dir.display()
    ))
}

fn write_rows(file: File, view: &View) -> Result<(), csv::Error> {
    let mut out = csv::Writer::from_writer(file);
    out.write_record(&view.header)?;
    for row in &view.rows {
        out.write_record(row)?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> View {
        View {
            name: "vehicles",
            header: vec!["NAME".to_string(), "NOTE".to_string()],
            rows: vec![vec![
                "Van, \"the\" 3".to_string(),
                "two\nlines 🚐".to_string(),
            ]],
        }
    }

    #[test]
    fn quotes_as_rfc_4180_and_never_writes_over_a_file() {
        let dir = std::env::temp_dir().join(format!("fleetdesk-export-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let first = write(Some(&dir), &view(), "20261128-090000").expect("written");
        let second = write(Some(&dir), &view(), "20261128-090000").expect("written");
        assert_eq!(
            first.file_name().and_then(|n| n.to_str()),
            Some("fleetdesk-vehicles-20261128-090000.csv")
        );
        assert_eq!(
            second.file_name().and_then(|n| n.to_str()),
            Some("fleetdesk-vehicles-20261128-090000-2.csv")
        );
        let text = std::fs::read_to_string(&first).expect("readable");
        assert_eq!(
            text,
            "NAME,NOTE\n\"Van, \"\"the\"\" 3\",\"two\nlines 🚐\"\n"
        );
        std::fs::remove_dir_all(&dir).expect("cleaned up");
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_it() {
        let dir = std::env::temp_dir().join("fleetdesk-no-such-directory/below");
        let error = write(Some(&dir), &view(), "20261128-090000").expect_err("refused");
        assert!(error.contains("fleetdesk-no-such-directory"), "{error}");
        assert!(!dir.exists());
    }
}
