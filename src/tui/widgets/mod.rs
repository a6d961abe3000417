//! Pieces the rooms draw with. None of them knows the app: each takes what it shows.

pub mod chrome;
pub mod date;
pub mod field;
pub mod frame;
pub mod picker;
pub mod selection;
pub mod table;
pub mod timeline;
