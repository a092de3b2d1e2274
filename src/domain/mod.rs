//! The domain types observation and planning share: the desired state a spec reduces to, the
//! live names it refers to, the link module's fields, the related-list permissions and a CRM
//! record's values. It sits below `live` and `plan` (both re-export what they used to
//! define) and depends only on `spec`, so the observer and the planner can use it without
//! importing each other.

pub mod desired;
pub mod link_module;
pub mod named;
pub mod permission;

pub use desired::{Desired, DesiredModule, DesiredProfile, FieldMapping, MapDirection};
pub use link_module::FieldSpec;
pub use permission::PermissionKind;

/// A CRM record's field values by api name, as the planner reads them. The CRM client's
/// `zoho::crm::Record` is the same JSON map, so observation hands records over unchanged and
/// the planner names no client type.
pub type Record = serde_json::Map<String, serde_json::Value>;
