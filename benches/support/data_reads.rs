//! The reads the data plane cannot avoid, shared by the benchmarks' lower bounds: every
//! listing paged to its end at 200, one read per project whose clients are needed and one
//! per client whose users are needed (the legacy Projects API has no bulk form of either).

use projectlink::live::data::DataFacts;

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

/// One read per project whose client companies were read.
pub fn project_client_reads(data: &DataFacts) -> u64 {
    data.projects.iter().filter(|p| p.clients.is_some()).count() as u64
}

/// One read per client company whose users were read.
pub fn client_user_reads(data: &DataFacts) -> u64 {
    data.clients.iter().filter(|c| c.users.is_some()).count() as u64
}
