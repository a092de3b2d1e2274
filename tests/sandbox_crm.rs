//! The CRM part of the sandbox over real HTTP: Accounts tokens, every CRM endpoint's success
//! and errors in Zoho's own bodies, the edition limits, fault injection and persistence, and
//! what a calendar and contacts sync reads: changes since a time, deletions and tags.

#[path = "sandbox_crm/support.rs"]
mod support;

#[path = "sandbox_crm/oauth.rs"]
mod oauth;

#[path = "sandbox_crm/records.rs"]
mod records;

#[path = "sandbox_crm/search.rs"]
mod search;

#[path = "sandbox_crm/metadata.rs"]
mod metadata;

#[path = "sandbox_crm/users.rs"]
mod users;

#[path = "sandbox_crm/limits.rs"]
mod limits;

#[path = "sandbox_crm/persistence.rs"]
mod persistence;

#[path = "sandbox_crm/changes.rs"]
mod changes;

#[path = "sandbox_crm/deleted.rs"]
mod deleted;

#[path = "sandbox_crm/tags.rs"]
mod tags;

#[path = "sandbox_crm/coql.rs"]
mod coql;

#[path = "sandbox_crm/write_path.rs"]
mod write_path;
