//! The configuration plane's share of the data-plane benchmark's bounds, worked out from the
//! spec and the generated org alone: the metadata a first observation must read, and the
//! calls a first apply must make to set up the link module, its fields and permissions.
//! Nothing here counts what the implementation did.

use projectlink::plan::Desired;
use projectlink::plan::link_module::base_fields;
use projectlink::sandbox::seed::Seed;

/// Records per page of CRM's user listing at its maximum.
const CRM_USERS_PAGE: usize = 200;
/// Users per page of the V3.1 portal users listing ("default 50 (Zoho max)").
const PORTAL_USERS_PAGE: usize = 50;
/// Fields CRM creates in one call.
const FIELDS_PER_CREATE: usize = 25;

fn pages(n: usize, per_page: usize) -> u64 {
    n.div_ceil(per_page).max(1) as u64
}

/// Metadata an observation of the spec's integration reads in `seed`'s org, besides the data
/// plane's listings: CRM's org, variables (the marker), modules, profiles and users (all of
/// them, and the acting one for the administrator check); the fields of each module whose
/// names the spec relies on (Deals for the conversion stage, Accounts and Contacts for the
/// client mapping fields, each field-mapped module); the portals and the portal's users, and
/// its roles when the spec gives users access (their roles are checked against them). Once
/// the link module exists (`linked`), its fields and every profile's permissions on it are
/// read too.
pub fn metadata_reads(desired: &Desired, seed: &Seed, linked: bool) -> u64 {
    let crm_fixed = 4; // org, variables, modules, profiles
    let users = pages(seed.users.len(), CRM_USERS_PAGE) + 1;
    let mut field_modules: Vec<&str> = vec!["Accounts", "Contacts"];
    if desired.deal_conversion.is_some() {
        field_modules.push("Deals");
    }
    field_modules.extend(
        desired
            .modules
            .iter()
            .filter(|m| !m.field_map.is_empty())
            .map(|m| m.module.as_str()),
    );
    field_modules.sort_unstable();
    field_modules.dedup();
    let link = if linked {
        1 + seed.profiles.len() as u64
    } else {
        0
    };
    let portal = seed.portals.iter().find(|p| p.name == desired.portal_name);
    // The owner is a portal user besides the ones listed.
    let portal_users = portal.map_or(0, |p| p.users.len() + 1);
    let roles = portal.is_some() && !desired.user_access.is_empty();
    let projects = 1 + pages(portal_users, PORTAL_USERS_PAGE) + u64::from(roles);
    crm_fixed + users + field_modules.len() as u64 + link + projects
}

/// Calls a first apply must make to set the configuration plane up.
#[derive(Debug, Clone, Copy)]
pub struct ConfigCalls {
    /// The new link module's permission ids, read once per profile of the spec.
    pub reads: u64,
    /// The integration's marker, the link module, its fields (the base fields and one
    /// lookup per related-list module, 25 to a call), the client mapping fields on Accounts
    /// and Contacts, and each profile's permissions.
    pub writes: u64,
}

impl ConfigCalls {
    pub fn total(&self) -> u64 {
        self.reads + self.writes
    }
}

pub fn first_config_calls(desired: &Desired) -> ConfigCalls {
    let marker = 1;
    let module = 1;
    let link_fields = (base_fields().len() + desired.modules.len()).div_ceil(FIELDS_PER_CREATE);
    let mapping_fields = if desired.clients.auto { 2 } else { 0 };
    let profiles = desired.profiles.len() as u64;
    ConfigCalls {
        reads: profiles,
        writes: marker + module + link_fields as u64 + mapping_fields + profiles,
    }
}
