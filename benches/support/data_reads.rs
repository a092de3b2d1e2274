//! The reads the data plane cannot avoid, shared by the benchmarks' lower bounds: every
//! listing paged to its end at 200, one read per project whose clients are needed and one
//! per client whose users are needed (the legacy Projects API has no bulk form of either),
//! each worked out from the spec and the generated data.

use std::collections::BTreeSet;

use projectlink::live::data::DataFacts;
use projectlink::live::{ClientMappingState, IntegrationState, Observed};
use projectlink::plan::Desired;

const PAGE: usize = 200;

fn pages(n: usize) -> u64 {
    n.div_ceil(PAGE).max(1) as u64
}

/// Pages of every listing the data plane reads.
pub fn listing_reads(data: &DataFacts) -> u64 {
    pages(data.accounts.len())
        + pages(data.contacts.len())
        + pages(data.records.get("Deals").map_or(0, |d| d.len()))
        + pages(data.link_records.len())
        + pages(data.projects.len())
        + pages(data.clients.len())
        + pages(data.templates.len())
}

/// One read per project not yet linked to an Account when the spec maps Accounts: its client
/// companies decide the link. Worked out from the spec and the data, not from what the
/// observation chose to read.
pub fn project_client_reads(desired: &Desired, data: &DataFacts) -> u64 {
    if !desired.modules.iter().any(|m| m.module == "Accounts") {
        return 0;
    }
    let linked: BTreeSet<&str> = data
        .link_records
        .iter()
        .filter(|l| l.lookups.contains_key("Account"))
        .filter_map(|l| l.project_id.as_deref())
        .collect();
    data.projects
        .iter()
        .filter(|p| !linked.contains(p.id.as_str()))
        .count() as u64
}

/// One read per client company when its users are needed: the spec imports client users, or
/// the one-time mapping is pending and Contacts has the client-user field.
pub fn client_user_reads(desired: &Desired, observed: &Observed) -> u64 {
    let Some(data) = &observed.data else {
        return 0;
    };
    let mapping_pending = observed.marker.marker().is_none_or(|m| {
        m.state == IntegrationState::Deactivated || m.client_mapping == ClientMappingState::Pending
    });
    if !desired.imports.client_users.is_empty() || (mapping_pending && data.contact_field) {
        data.clients.len() as u64
    } else {
        0
    }
}
