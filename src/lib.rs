//! fleetdesk: vehicle ↔ technician dispatch for depots.
//!
//! Layers point downwards only: `server → store → domain → api`, `server → domain`,
//! `tui → client → api`; `demo` alone wires a server and a client together.

pub mod api;
pub mod cli;
pub mod client;
pub mod config;
pub mod credentials;
pub mod demo;
pub mod domain;
pub mod export;
pub mod server;
pub mod session;
pub mod store;
pub mod tui;
