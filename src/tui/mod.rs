//! The terminal client: The Elm Architecture. `app` holds the state and its synchronous
//! `update`; `view` draws it; `runtime` owns the terminal and runs the requests.

pub mod app;
pub mod keys;
pub mod roles;
mod roles_view;
pub mod runtime;
pub mod theme;
pub mod view;
