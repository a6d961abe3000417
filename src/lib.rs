//! fleetdesk: vehicle ↔ technician dispatch for depots.
//!
//! Layers point downwards only: `server → store → domain → api`, `server → domain`.

pub mod api;
pub mod cli;
pub mod domain;
pub mod server;
pub mod store;
