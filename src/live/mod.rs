//! The observed state: a snapshot of the live CRM and Projects facts the planner needs,
//! normalized (lower-cased emails, sorted collections) so that equal states compare equal.
//!
//! Observing never writes; the snapshot is plain data so the planner stays a pure function.

pub mod cache;
pub mod cached;
pub mod creation_tag;
pub mod data;
mod data_reads;
pub mod incremental;
pub mod marker;
pub mod metadata;
pub mod names;
pub mod observe;
pub mod portal_lists;
pub mod projects_read;
pub mod snapshot;

pub use crate::engine::address::Address;
pub use marker::{ClientMappingState, IntegrationState, MARKER_VARIABLE, Marker};
pub use names::{ActingUserFacts, NamedFacts};
pub use snapshot::*;
