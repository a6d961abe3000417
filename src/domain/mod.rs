//! Pure rules: no I/O, no async. Used by the server, the client and the tests alike.

pub mod api_keys;
pub mod events;
pub mod fleet;
pub mod roles;
pub mod search;
