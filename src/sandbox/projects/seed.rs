//! The Projects part of a sandbox seed: portals with their owner, users, projects,
//! templates, client companies and client users.

use serde::{Deserialize, Serialize};

/// One portal in the seed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalSeed {
    pub name: String,
}
