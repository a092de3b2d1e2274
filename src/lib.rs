//! projectlink: the Zoho CRM <-> Zoho Projects integration kept as code.
//!
//! The library holds every part of the tool; `main.rs` only parses arguments and maps the
//! outcome to an exit code. See `DESIGN.md` in the shared folder for the overall picture.

pub mod apply;
pub mod cli;
pub mod domain;
pub mod engine;
pub mod graph;
pub mod live;
pub mod office365;
pub mod operator;
pub mod plan;
pub mod sandbox;
pub mod spec;
pub mod zoho;
