//! The domain types observation and planning share: the desired state a spec reduces to, the
//! live names it refers to, the link module's fields and the related-list permissions. It
//! sits below `live` and `plan` (both re-export what they used to define) and depends only on
//! `spec`, so the observer and the planner can use it without importing each other.

pub mod desired;
pub mod link_module;
pub mod named;
pub mod permission;

pub use desired::{Desired, DesiredModule, DesiredProfile, FieldMapping, MapDirection};
pub use link_module::FieldSpec;
pub use permission::PermissionKind;

