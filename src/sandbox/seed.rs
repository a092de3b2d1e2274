//! The sandbox seed: a readable YAML description of an org (users, profiles, roles, modules,
//! records), its Projects portals and the OAuth clients allowed to call it.

use serde::{Deserialize, Serialize};

use super::store::Store;

/// A whole seed document.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub portals: Vec<super::projects::seed::PortalSeed>,
}

/// Loads `seed` into the database unless it already holds an org.
pub fn load_if_empty(_store: &Store, _seed: &Seed) -> Result<(), String> {
    Ok(())
}
