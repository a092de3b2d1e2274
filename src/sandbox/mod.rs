//! The sandbox: a faithful local stand-in for Zoho Accounts, CRM v8 and Projects (and
//! Microsoft Graph), served over
//! real HTTP (axum) and persisted in SQLite. It is the CLI's embedded default target, the
//! backend of every end-to-end test and of the benchmarks.
//!
//! It shares no Rust types with the clients in `crate::zoho`: it speaks JSON over HTTP exactly
//! as Zoho does, so a misunderstanding of the API cannot hide on both sides at once.

pub mod accounts;
pub mod auth;
pub mod counters;
pub mod crm;
pub mod deviations;
pub mod error;
pub mod generate;
pub mod graph;
#[cfg(test)]
pub(crate) mod hostile_input;
pub mod limit_settings;
pub mod limits;
pub mod owned_records;
pub mod projects;
pub mod projects_throttle;
pub mod request_limits;
pub mod seed;
pub mod server;
pub mod store;

pub use server::{Sandbox, SandboxConfig, SandboxError, SandboxHandle};
