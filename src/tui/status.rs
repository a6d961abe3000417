//! The connection's state (live, refreshing, offline with its backoff), the live stream's
//! (up, or polling while it cannot be had), the requests in flight, and the flash message
//! in the footer.

use super::message::Done;
use crate::client::ClientError;

/// Seconds a flash message stays in the footer.
const FLASH_SECONDS: u64 = 6;
/// Reconnect backoff, in seconds, capped at the last value.
const BACKOFF: [u64; 6] = [1, 2, 4, 8, 15, 30];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connection {
    Live,
    Refreshing,
    Offline { retry_in: u64 },
}

/// The live stream of changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feed {
    /// Not wanted: nobody is signed in.
    Off,
    /// Asked for, not up yet.
    Connecting,
    /// Up: changes arrive as they happen.
    Up,
    /// Cannot be had now (the server or a proxy refuses it, or it broke): the lists are
    /// polled every refresh interval until it is back.
    Down,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlashKind {
    Success,
    Error,
    Info,
    /// An action on its way; the text starts with the spinner.
    Working,
}

/// A line in the footer that clears itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flash {
    pub kind: FlashKind,
    pub text: String,
    /// The full text behind the show-error key (an error's whole message).
    pub detail: Option<String>,
    age: u64,
}

impl Flash {
    pub fn new(kind: FlashKind, text: impl Into<String>) -> Flash {
        Flash {
            kind,
            text: text.into(),
            detail: None,
            age: 0,
        }
    }

    pub fn info(text: impl Into<String>) -> Flash {
        Flash::new(FlashKind::Info, text)
    }

    /// What an action did.
    pub fn done(done: Done) -> Flash {
        let text = match done {
            Done::Assigned(a) => format!("Assigned {} to {}", a.vehicle.name, a.technician.name),
            Done::Returned(a) => {
                format!("Returned {} from {}", a.vehicle.name, a.technician.name)
            }
            Done::VehicleCreated(v) => format!("Created {} ({})", v.name, v.license_plate),
            Done::VehicleSaved(v) => format!("Saved {}", v.name),
            Done::VehicleStatus(v) => match &v.status_note {
                Some(note) => format!("{} is {}: {note}", v.name, v.service_status.label()),
                None => format!("{} is {}", v.name, v.service_status.label()),
            },
            Done::VehicleDeleted(name) => format!("Deleted {name}"),
            Done::TechnicianCreated(user) => format!("Created technician {}", user.name),
            Done::TechnicianSaved(user) => format!("Saved {}", user.name),
            Done::Roles { message, .. } => message,
            Done::Nothing => String::new(),
        };
        Flash::new(FlashKind::Success, text)
    }

    /// A failure of the client's own (a file it could not write), in full a key away.
    pub fn failed(text: String) -> Flash {
        Flash {
            kind: FlashKind::Error,
            detail: Some(text.clone()),
            text,
            age: 0,
        }
    }

    /// An error, its whole message a key away.
    pub fn error(error: &ClientError) -> Flash {
        let text = error.user_message();
        Flash {
            kind: FlashKind::Error,
            detail: Some(text.clone()),
            text,
            age: 0,
        }
    }
}

/// The connection and the requests in flight.
#[derive(Debug)]
pub struct Status {
    pub connection: Connection,
    pub feed: Feed,
    pub in_flight: usize,
    pub spinner_frame: usize,
    backoff_step: usize,
    /// Seconds since the header counts were last asked for.
    since_refresh: u64,
    refresh_every: u64,
}

/// What a second passing asks for.
pub enum Due {
    Nothing,
    /// The offline wait is over: load everything again.
    Reload,
    /// Time for the header counts.
    Refresh,
    /// Time for the header counts and the list shown (the stream is down).
    Poll,
}

impl Status {
    pub fn new(refresh_every: u64) -> Status {
        Status {
            connection: Connection::Refreshing,
            feed: Feed::Off,
            in_flight: 0,
            spinner_frame: 0,
            backoff_step: 0,
            since_refresh: 0,
            refresh_every: refresh_every.max(1),
        }
    }

    /// Counts requests sent (all but quitting).
    pub fn sent(&mut self, requests: usize) {
        self.in_flight += requests;
    }

    /// An answer came (whatever it was: a superseded one is dropped, but it is not pending
    /// any more); the last one ends the refreshing.
    pub fn answered(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if self.in_flight == 0 && self.connection == Connection::Refreshing {
            self.connection = Connection::Live;
        }
    }

    /// A request failed for want of a connection: wait longer each time before retrying.
    pub fn go_offline(&mut self) {
        if !matches!(self.connection, Connection::Offline { .. }) {
            self.backoff_step = (self.backoff_step + 1).min(BACKOFF.len());
        }
        let wait = BACKOFF[self.backoff_step.saturating_sub(1).min(BACKOFF.len() - 1)];
        self.connection = Connection::Offline { retry_in: wait };
    }

    /// A request got through. Offline ends once everything sent meanwhile has answered;
    /// a refresh ends with its last answer; live stays live (one answer among several does
    /// not make the badge flicker).
    pub fn went_well(&mut self) {
        self.backoff_step = 0;
        if self.in_flight == 0 {
            self.connection = Connection::Live;
        }
    }

    /// One second on; `polling` when signed in and no sign-in is open. Returns whether the
    /// badge changed and what is due.
    pub fn tick(&mut self, polling: bool) -> (bool, Due) {
        self.spinner_frame = self.spinner_frame.wrapping_add(1);
        match self.connection {
            Connection::Offline { retry_in } if retry_in > 1 => {
                self.connection = Connection::Offline {
                    retry_in: retry_in - 1,
                };
                (true, Due::Nothing)
            }
            Connection::Offline { .. } => {
                self.connection = Connection::Refreshing;
                (true, Due::Reload)
            }
            _ if polling => {
                self.since_refresh += 1;
                if self.since_refresh >= self.refresh_every && self.in_flight == 0 {
                    self.since_refresh = 0;
                    let due = if self.feed == Feed::Down {
                        Due::Poll
                    } else {
                        Due::Refresh
                    };
                    (false, due)
                } else {
                    (false, Due::Nothing)
                }
            }
            _ => (false, Due::Nothing),
        }
    }
}

impl Status {
    /// The stream's new state; true when the badge changes.
    pub fn set_feed(&mut self, feed: Feed) -> bool {
        let changed = self.feed != feed;
        self.feed = feed;
        changed
    }
}

/// Ages the flash by a second; true when it went.
pub fn age(flash: &mut Option<Flash>) -> bool {
    if let Some(shown) = flash {
        shown.age += 1;
        if shown.age >= FLASH_SECONDS {
            *flash = None;
            return true;
        }
    }
    false
}
