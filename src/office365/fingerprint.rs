//! What an Office 365 plan read, as the digests a saved plan keeps (`engine::saved`): `apply
//! FILE` refuses the plan once CRM or Office 365 changed anything the plan was made from.
//! When observation began is left out: two observations of unchanged systems give the same
//! digests.

use serde_json::{Value, json};

use super::observed::{Observed365, StateRead};
use crate::engine::saved::{Fingerprints, fingerprint};

/// Digests of the observed facts, per area.
pub fn fingerprints(observed: &Observed365) -> Fingerprints {
    let mut map = Fingerprints::new();
    map.insert(
        "crm/sync-state".into(),
        fingerprint(&state(&observed.state)),
    );
    let users: Vec<Value> = observed
        .crm_users
        .iter()
        .map(|u| json!([u.id, u.email, u.active]))
        .collect();
    map.insert("crm/users".into(), fingerprint(&users));
    map.insert(
        "crm/profiles-and-roles".into(),
        fingerprint(&(&observed.profiles, &observed.roles)),
    );
    if let Some(fields) = &observed.contact_fields {
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|f| (f.api_name.as_str(), f.data_type.as_str()))
            .collect();
        map.insert("crm/contact-fields".into(), fingerprint(&fields));
    }
    for (kind, view) in &observed.crm {
        let mut records: Vec<Value> = view
            .records
            .values()
            .map(|r| json!([r.id, r.modified, r.fields]))
            .collect();
        records.sort_by_key(|r| r[0].as_str().unwrap_or_default().to_string());
        let mut deleted: Vec<&String> = view.deleted.iter().collect();
        deleted.sort();
        let key = format!("crm/{}", kind.crm_module());
        map.insert(key, fingerprint(&(view.complete, records, deleted)));
    }
    let mailboxes: Vec<(&str, &str)> = observed
        .mailboxes
        .iter()
        .map(|m| (m.id.as_str(), m.email.as_str()))
        .collect();
    map.insert("graph/users".into(), fingerprint(&mailboxes));
    map.insert(
        "graph/calendar-window".into(),
        fingerprint(&observed.calendar_window),
    );
    for folder in &observed.folders {
        let mut items: Vec<Value> = folder
            .items
            .iter()
            .map(|i| {
                let link = i.link.as_ref().map(|l| l.to_value());
                json!([i.id, i.last_modified, link, i.properties])
            })
            .collect();
        items.sort_by_key(|i| i[0].as_str().unwrap_or_default().to_string());
        let key = format!("graph/{} {}", folder.key.kind, folder.key.user);
        map.insert(key, fingerprint(&(&folder.folder_id, items)));
    }
    map
}

/// The saved state as read, whatever it held.
fn state(read: &StateRead) -> Value {
    match read {
        StateRead::Absent => json!("absent"),
        StateRead::Ours { variable_id, state } => json!([variable_id, state.to_value()]),
        StateRead::Foreign { variable_id, owner } => json!([variable_id, "foreign", owner]),
        StateRead::Unreadable { variable_id, error } => json!([variable_id, "unreadable", error]),
    }
}
