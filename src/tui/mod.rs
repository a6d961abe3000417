//! The terminal client, as rooms (The Elm Architecture): [`App`] holds the tab set and the
//! dialog stack and routes each [`Event`] to the room it concerns; every tab and dialog owns
//! its state, keys and drawing; keys become actions through one [`KeyMap`]; `runtime` owns
//! the terminal and runs the [`Command`]s.
//!
//! Imports point down: `app` → `tabs` → `dialogs` → `widgets`, `keys`, `theme`, `status`,
//! `message`; `runtime` → `app`, `requests`.

mod app;
mod clipboard;
mod dialogs;
mod export_view;
mod keys;
mod live;
mod message;
mod output;
mod requests;
mod rows;
mod runtime;
mod status;
mod tabs;
mod theme;
mod widgets;

pub use app::{App, MARK_FOR};
pub use dialogs::{
    AssignPicker, AssignmentConflict, Chosen, Confirm, Details, Dialog, FleetForm, Help, History,
    HistoryEvents, Message, ReturnField, ReturnForm, RoleConflict, RoleField, RoleForm, SignIn,
    StatusForm, UserView, MIN_QUERY, SEARCH_PAUSE, TYPE_MORE,
};
pub use keys::{action_names, KeyError, KeyMap, KeySpec};
pub use live::{words, Change};
pub use message::{Command, Done, Event, Response, StreamUpdate, Subject, PAGE_SIZE, SEARCH_LIMIT};
pub use output::{Capabilities, HonestBackend};
pub use requests::execute;
pub use runtime::{restore_terminal, run, RunOptions, TokenSink, FRAME_GAP};
pub use status::{Connection, Feed, Flash, FlashKind};
pub use tabs::{ActivityRow, RolesFocus, RolesTab, Tab};
pub use theme::Theme;
pub use widgets::chrome::{MIN_HEIGHT, MIN_WIDTH};
pub use widgets::picker::{Picked, Picker, PickerItem};
pub use widgets::table::Row;
