//! The Office 365 integration (`Office365Integration`): Office 365 users invited into CRM,
//! and each enabled CRM user's own events and contacts synced two-way with a folder in their
//! mailbox. Observe → plan → apply, like the Projects integration: observing never writes,
//! the planner is pure, and the executor keeps going past independent failures.

pub mod apply;
pub mod desired;
pub mod field_check;
pub mod fingerprint;
pub mod folder;
mod invites;
pub mod kind;
pub mod mapping;
pub mod model;
pub mod observe;
pub mod observed;
pub mod planner;
pub mod render;
pub mod resume;
pub mod safety;
pub mod state;
pub mod window;

#[cfg(test)]
mod tests;

pub use desired::{Desired365, DesiredInvite, KindSetting};
pub use model::{FolderPlan, ItemChange, SyncPlan};
pub use observed::Observed365;
pub use planner::plan;
pub use state::{SyncKind, SyncState};
