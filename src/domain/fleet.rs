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
/// Status and return notes (API.md §8).
pub const NOTE_MAX: usize = 2000;
/// An odometer reading above this is a typo (kilometres).
pub const ODOMETER_MAX: i64 = 10_000_000;

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

/// Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): characters a terminal
/// draws as nothing, such as U+200B ZERO WIDTH SPACE, U+2060 WORD JOINER and U+FEFF.
const DEFAULT_IGNORABLE: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{034F}', '\u{034F}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{115F}', '\u{1160}'),
    ('\u{17B4}', '\u{17B5}'),
    ('\u{180B}', '\u{180F}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{206F}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{FE00}', '\u{FE0F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFA0}', '\u{FFA0}'),
    ('\u{FFF0}', '\u{FFF8}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0000}', '\u{E0FFF}'),
];

/// Blank but not ignorable: format characters that draw nothing, and the Braille blank.
const OTHER_BLANK: &[(char, char)] = &[('\u{2800}', '\u{2800}'), ('\u{FFF9}', '\u{FFFB}')];

/// Bidirectional embeddings, overrides and isolates: they reorder what is drawn around them,
/// so one name can be made to look like another.
const BIDI_CONTROLS: &[(char, char)] = &[('\u{202A}', '\u{202E}'), ('\u{2066}', '\u{2069}')];

fn in_ranges(ranges: &[(char, char)], c: char) -> bool {
    ranges.iter().any(|(low, high)| (*low..=*high).contains(&c))
}

/// A character that puts nothing on the screen: whitespace, control and format characters,
/// zero-width characters.
///
/// ```
/// use fleetdesk::domain::fleet::is_invisible;
/// assert!(is_invisible('\u{200B}') && is_invisible(' ') && is_invisible('\u{FEFF}'));
/// assert!(!is_invisible('a') && !is_invisible('🚐'));
/// ```
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || in_ranges(DEFAULT_IGNORABLE, c)
        || in_ranges(OTHER_BLANK, c)
}

/// A field of a vehicle or a user, as the API names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Name,
    LicensePlate,
    Make,
    Model,
    Year,
    Email,
    Password,
}

impl Field {
    pub fn api_name(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::LicensePlate => "licensePlate",
            Field::Make => "make",
            Field::Model => "model",
            Field::Year => "year",
            Field::Email => "email",
            Field::Password => "password",
        }
    }
}

/// What is wrong with a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    Empty,
    /// Only spaces, zero-width or other invisible characters.
    NothingVisible,
    TooLong(usize),
    ControlCharacters,
    /// Bidirectional overrides, embeddings or isolates.
    BidiControls,
    /// A space or an invisible character at either end (refused, not trimmed).
    PaddedEnds,
    /// A zero-width or format character anywhere, in a plate or an e-mail.
    HiddenCharacters,
    /// A plate of only spaces and dashes.
    NoLettersOrDigits,
    NotAnEmail,
    TooShort(usize),
    /// Typed as text that is not a number.
    NotANumber,
    OutOfRange {
        min: i64,
        max: i64,
    },
    NotPositive,
}

impl Problem {
    /// The sentence about it, the field called `name`: "Plate must not be empty."
    pub fn sentence(&self, name: &str) -> String {
        match self {
            Problem::Empty => format!("{name} must not be empty."),
            Problem::NothingVisible => format!(
                "{name} must contain a visible character, not only spaces or invisible ones."
            ),
            Problem::TooLong(max) => format!("{name} must be at most {max} characters long."),
            Problem::ControlCharacters => format!("{name} must not contain control characters."),
            Problem::BidiControls => {
                format!("{name} must not contain bidirectional control characters.")
            }
            Problem::PaddedEnds => {
                format!("{name} must not start or end with a space or an invisible character.")
            }
            Problem::HiddenCharacters => {
                format!("{name} must not contain invisible characters such as zero-width spaces.")
            }
            Problem::NoLettersOrDigits => format!("{name} must contain letters or digits."),
            Problem::NotAnEmail => {
                format!("{name} must be an e-mail address like ana@depot.example.")
            }
            Problem::TooShort(min) => format!("{name} must be at least {min} characters long."),
            Problem::NotANumber => format!("{name} must be a number like 2021."),
            Problem::OutOfRange { min, max } => format!("{name} must be between {min} and {max}."),
            Problem::NotPositive => format!("{name} must be a positive integer."),
        }
    }
}

/// A field and what is wrong with it; shown with the API's field name, or with a screen's
/// own label through [`Problem::sentence`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", problem.sentence(field.api_name()))]
pub struct FieldError {
    pub field: Field,
    pub problem: Problem,
}

/// A required text: at least one visible character, no whitespace or invisible character at
/// either end, no control or bidirectional control characters, at most `max` characters.
/// Refused rather than trimmed, since text is stored verbatim. Zero-width joiners inside
/// (emoji sequences, Persian names) stay allowed.
fn text_problem(value: &str, max: usize) -> Option<Problem> {
    if value.is_empty() {
        return Some(Problem::Empty);
    }
    if value.chars().all(is_invisible) {
        return Some(Problem::NothingVisible);
    }
    if chars(value) > max {
        return Some(Problem::TooLong(max));
    }
    if value.chars().any(|c| c.is_control()) {
        return Some(Problem::ControlCharacters);
    }
    if value.chars().any(|c| in_ranges(BIDI_CONTROLS, c)) {
        return Some(Problem::BidiControls);
    }
    let starts = value.chars().next().is_some_and(is_invisible);
    let ends = value.chars().next_back().is_some_and(is_invisible);
    (starts || ends).then_some(Problem::PaddedEnds)
}

/// No zero-width or format character anywhere (whitespace is judged elsewhere): for plates and
/// e-mails, where one would make two look-alike values distinct.
fn hidden_problem(value: &str) -> Option<Problem> {
    value
        .chars()
        .any(|c| !c.is_whitespace() && is_invisible(c))
        .then_some(Problem::HiddenCharacters)
}

fn email_problem(value: &str) -> Option<Problem> {
    if let Some(problem) = text_problem(value, EMAIL_MAX).or_else(|| hidden_problem(value)) {
        return Some(problem);
    }
    match value.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !value.contains(char::is_whitespace) =>
        {
            None
        }
        _ => Some(Problem::NotAnEmail),
    }
}

fn password_problem(value: &str) -> Option<Problem> {
    let length = chars(value);
    if length < PASSWORD_MIN {
        return Some(Problem::TooShort(PASSWORD_MIN));
    }
    if length > PASSWORD_MAX {
        return Some(Problem::TooLong(PASSWORD_MAX));
    }
    None
}

fn year_problem(year: Option<i64>) -> Option<Problem> {
    match year {
        Some(year) if !(YEAR_MIN..=YEAR_MAX).contains(&year) => Some(Problem::OutOfRange {
            min: YEAR_MIN,
            max: YEAR_MAX,
        }),
        _ => None,
    }
}

fn plate_problem(value: &str) -> Option<Problem> {
    text_problem(value, PLATE_MAX)
        .or_else(|| hidden_problem(value))
        .or_else(|| {
            plate_key(value)
                .is_empty()
                .then_some(Problem::NoLettersOrDigits)
        })
}

fn sentence(field: &str, problem: Option<Problem>) -> Result<(), String> {
    problem.map_or(Ok(()), |problem| Err(problem.sentence(field)))
}

/// A required text (see `text_problem`). Stored verbatim.
pub fn check_text(field: &str, value: &str, max: usize) -> Result<(), String> {
    sentence(field, text_problem(value, max))
}

pub fn check_optional_text(field: &str, value: Option<&str>, max: usize) -> Result<(), String> {
    sentence(field, value.and_then(|value| text_problem(value, max)))
}

pub fn check_email(value: &str) -> Result<(), String> {
    sentence("email", email_problem(value))
}

pub fn check_password(value: &str) -> Result<(), String> {
    sentence("password", password_problem(value))
}

pub fn check_year(year: Option<i64>) -> Result<(), String> {
    sentence("year", year_problem(year))
}

pub fn check_plate(value: &str) -> Result<(), String> {
    sentence("licensePlate", plate_problem(value))
}

/// A vehicle's status note or a return note (API.md §8): the text rules, up to 2,000 characters.
pub fn check_note(field: &str, value: Option<&str>) -> Result<(), String> {
    check_optional_text(field, value, NOTE_MAX)
}

/// An odometer reading in whole kilometres.
pub fn check_odometer(value: i64) -> Result<(), String> {
    sentence(
        "odometerKm",
        (!(0..=ODOMETER_MAX).contains(&value)).then_some(Problem::OutOfRange {
            min: 0,
            max: ODOMETER_MAX,
        }),
    )
}

pub fn check_id(field: &str, value: i64) -> Result<(), String> {
    sentence(field, (value <= 0).then_some(Problem::NotPositive))
}

/// A vehicle as typed; `year` as text, since a form may hold something that is no number.
pub struct VehicleInput<'a> {
    pub name: &'a str,
    pub plate: &'a str,
    pub make: Option<&'a str>,
    pub model: Option<&'a str>,
    pub year: Option<&'a str>,
}

/// Every field of `vehicle` that the server would refuse, in field order; the year as a
/// number when it is one.
pub fn vehicle_errors(vehicle: &VehicleInput) -> (Vec<FieldError>, Option<i64>) {
    let mut errors = Vec::new();
    let mut add = |field, problem: Option<Problem>| {
        if let Some(problem) = problem {
            errors.push(FieldError { field, problem });
        }
    };
    add(Field::Name, text_problem(vehicle.name, NAME_MAX));
    add(Field::LicensePlate, plate_problem(vehicle.plate));
    for (field, value) in [(Field::Make, vehicle.make), (Field::Model, vehicle.model)] {
        add(
            field,
            value.and_then(|value| text_problem(value, MAKE_MODEL_MAX)),
        );
    }
    let year = vehicle.year.map(|text| text.parse::<i64>());
    match year {
        Some(Err(_)) => add(Field::Year, Some(Problem::NotANumber)),
        Some(Ok(year)) => add(Field::Year, year_problem(Some(year))),
        None => {}
    }
    (errors, year.and_then(Result::ok))
}

/// Every field of a user that the server would refuse; `password` None when it is kept.
pub fn user_errors(name: &str, email: &str, password: Option<&str>) -> Vec<FieldError> {
    [
        (Field::Name, text_problem(name, NAME_MAX)),
        (Field::Email, email_problem(email)),
        (Field::Password, password.and_then(password_problem)),
    ]
    .into_iter()
    .filter_map(|(field, problem)| problem.map(|problem| FieldError { field, problem }))
    .collect()
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
    fn text_needs_a_visible_character() {
        for invisible in [
            "\u{200B}",
            "\u{200C}\u{200D}",
            "\u{2060}",
            "\u{FEFF}",
            "\u{00A0}\u{3000}",
            "\u{2800}",
            "\u{180E}\u{115F}\u{3164}",
            "\u{E0041}",
            " \u{200B} ",
        ] {
            let err = check_text("name", invisible, NAME_MAX).expect_err(invisible);
            assert!(err.contains("visible character"), "{invisible:?}: {err}");
        }
        assert!(check_text("name", "\u{7}", NAME_MAX).is_err());
    }

    #[test]
    fn text_ends_are_refused_not_trimmed() {
        for padded in [
            " Van 12",
            "Van 12 ",
            "\tVan",
            "Van\u{200B}",
            "\u{FEFF}Van",
            "Van\n",
        ] {
            assert!(check_text("name", padded, NAME_MAX).is_err(), "{padded:?}");
        }
        // Joiners inside are part of the text: an emoji sequence, a Persian name.
        assert!(check_text("name", "Mechanic 👨\u{200D}🔧", NAME_MAX).is_ok());
        assert!(check_text("name", "می\u{200C}خواهم", NAME_MAX).is_ok());
        assert!(check_text("name", "Van \u{202E}21", NAME_MAX).is_err());
    }

    #[test]
    fn plates_and_emails_hide_nothing() {
        assert!(check_plate("HH-FD 112").is_ok());
        assert!(check_plate("HH\u{200B}-FD 112").is_err());
        assert!(check_plate("\u{200B}").is_err());
        assert!(check_email("ana\u{200B}@depot.example").is_err());
        assert!(check_email(" ana@depot.example").is_err());
        assert!(check_email("ana@depot.example").is_ok());
    }

    #[test]
    fn email_rules() {
        assert!(check_email("ana@depot.example").is_ok());
        assert!(check_email("ana.depot.example").is_err());
        assert!(check_email("a@b@c").is_err());
        assert!(check_email("@depot").is_err());
    }

    #[test]
    fn typed_errors_name_their_field_and_read_as_before() {
        let (errors, year) = vehicle_errors(&VehicleInput {
            name: "Van 99",
            plate: "- -",
            make: None,
            model: Some(""),
            year: Some("20x1"),
        });
        let fields: Vec<Field> = errors.iter().map(|error| error.field).collect();
        assert_eq!(fields, [Field::LicensePlate, Field::Model, Field::Year]);
        assert_eq!(year, None);
        assert_eq!(
            errors[0].to_string(),
            "licensePlate must contain letters or digits."
        );
        assert_eq!(
            errors[0].problem.sentence("Plate"),
            "Plate must contain letters or digits."
        );
        let errors = user_errors("Ana", "ana", Some("short"));
        assert_eq!(
            errors[0].to_string(),
            check_email("ana").expect_err("no e-mail")
        );
        assert_eq!(
            errors[1].to_string(),
            "password must be at least 8 characters long."
        );
        assert!(user_errors("Ana", "ana@depot.example", None).is_empty());
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
