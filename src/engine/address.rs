//! Stable addresses for the objects projectlink manages, e.g.
//! `crm/field/Linked_Projects.Deal` or `projects/portal-user/acme-delivery/pat@acme.com`.
//! They live in the engine because every kind's diagnostics may point at one.

use std::fmt;

use serde::{Deserialize, Serialize};

/// `system/kind/key`, ordered so that plans list objects deterministically.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Address {
    pub system: String,
    pub kind: String,
    pub key: String,
}

impl Address {
    pub fn new(system: &str, kind: &str, key: impl Into<String>) -> Self {
        Address {
            system: system.to_string(),
            kind: kind.to_string(),
            key: key.into(),
        }
    }

    pub fn crm(kind: &str, key: impl Into<String>) -> Self {
        Address::new("crm", kind, key)
    }

    pub fn projects(kind: &str, key: impl Into<String>) -> Self {
        Address::new("projects", kind, key)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.system, self.kind, self.key)
    }
}
