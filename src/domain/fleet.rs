//! What counts as valid fleet data, and when two plates or e-mails are "the same".

pub const NAME_MAX: usize = 200;
pub const EMAIL_MAX: usize = 320;
pub const PLATE_MAX: usize = 32;
pub const MAKE_MODEL_MAX: usize = 100;
pub const PASSWORD_MIN: usize = 8;
/// Argon2 hashes whatever it is given; a cap keeps one request from burning CPU.
pub const PASSWORD_MAX: usize = 1024;
pub const YEAR_MIN: i64 = 1886;
pub const YEAR_MAX: i64 = 2100;
pub const PAGE_LIMIT_MAX: i64 = 1000;

/// E-mail addresses compare without case and surrounding space.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// "HH-FD 112", "hh fd112" and "HHFD112" are the same plate.
///
/// ```
/// use fleetdesk::domain::fleet::plate_key;
/// assert_eq!(plate_key("HH-FD 112"), plate_key("hh fd112"));
/// assert_ne!(plate_key("HH-FD 112"), plate_key("HH-FD 113"));
/// ```
pub fn plate_key(plate: &str) -> String {
    plate
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// A required text: not blank, at most `max` characters. Stored verbatim.
pub fn check_text(field: &str, value: &str, max: usize) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!("{field} must not be empty."));
    }
    if chars(value) > max {
        return Err(format!("{field} must be at most {max} characters long."));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(format!("{field} must not contain control characters."));
    }
    Ok(())
}

pub fn check_optional_text(field: &str, value: Option<&str>, max: usize) -> Result<(), String> {
    match value {
        Some(value) => check_text(field, value, max),
        None => Ok(()),
    }
}

pub fn check_email(value: &str) -> Result<(), String> {
    check_text("email", value, EMAIL_MAX)?;
    let trimmed = value.trim();
    match trimmed.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !trimmed.contains(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err("email must be an e-mail address like ana@depot.example.".to_string()),
    }
}

pub fn check_password(value: &str) -> Result<(), String> {
    let length = chars(value);
    if length < PASSWORD_MIN {
        return Err(format!(
            "password must be at least {PASSWORD_MIN} characters long."
        ));
    }
    if length > PASSWORD_MAX {
        return Err(format!(
            "password must be at most {PASSWORD_MAX} characters long."
        ));
    }
    Ok(())
}

pub fn check_year(year: Option<i64>) -> Result<(), String> {
    match year {
        Some(year) if !(YEAR_MIN..=YEAR_MAX).contains(&year) => {
            Err(format!("year must be between {YEAR_MIN} and {YEAR_MAX}."))
        }
        _ => Ok(()),
    }
}

pub fn check_plate(value: &str) -> Result<(), String> {
    check_text("licensePlate", value, PLATE_MAX)?;
    if plate_key(value).is_empty() {
        return Err("licensePlate must contain letters or digits.".to_string());
    }
    Ok(())
}

pub fn check_id(field: &str, value: i64) -> Result<(), String> {
    if value <= 0 {
        return Err(format!("{field} must be a positive integer."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plates_compare_without_case_space_or_dashes() {
        assert_eq!(plate_key("HH-FD 112"), plate_key("hh fd112"));
        assert_ne!(plate_key("HH-FD 112"), plate_key("HH-FD 113"));
    }

    #[test]
    fn emails_compare_without_case() {
        assert_eq!(email_key(" Ana@Depot.Example "), "ana@depot.example");
    }

    #[test]
    fn text_rules() {
        assert!(check_text("name", "Van 12", NAME_MAX).is_ok());
        assert!(check_text("name", "  ", NAME_MAX).is_err());
        assert!(check_text("name", &"x".repeat(201), NAME_MAX).is_err());
        assert!(check_text("name", &"ü".repeat(200), NAME_MAX).is_ok());
        assert!(check_text("name", "a\u{0}b", NAME_MAX).is_err());
        assert!(check_text("name", "Robert'); DROP TABLE vehicles;--", NAME_MAX).is_ok());
    }

    #[test]
    fn email_rules() {
        assert!(check_email("ana@depot.example").is_ok());
        assert!(check_email("ana.depot.example").is_err());
        assert!(check_email("a@b@c").is_err());
        assert!(check_email("@depot").is_err());
    }

    #[test]
    fn year_and_id_rules() {
        assert!(check_year(None).is_ok());
        assert!(check_year(Some(2021)).is_ok());
        assert!(check_year(Some(3000)).is_err());
        assert!(check_id("vehicleId", 0).is_err());
        assert!(check_id("vehicleId", -4).is_err());
        assert!(check_id("vehicleId", 9).is_ok());
    }
}
