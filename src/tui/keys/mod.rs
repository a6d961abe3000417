//! Keys: what each key does where ([`KeyMap`]), key text ↔ terminal events ([`KeySpec`]),
//! and the hints written from the map.

mod action;
mod defaults;
pub mod hints;
mod spec;

pub use action::{action_names, Action, Context, KeyError, KeyMap};
pub use spec::KeySpec;
