//! The contract: serde types for every request and response in API.md.
//! Used by both the server and the client.

pub mod access;
pub mod dates;
pub mod events;
pub mod fleet;
pub mod roles;

pub use fleet::*;
