//! The Office 365 sync end to end over HTTP against the sandbox (CRM and Microsoft Graph):
//! each direction of create, update and delete, conflicts, the first sync's cap and order,
//! imported records, turning sync off, interruptions, expired delta links and throttling.

mod office365_sync {
    pub mod directions;
    pub mod field_maps;
    pub mod lifecycle;
    pub mod resilience;
    pub mod support;
    pub mod window;
}
