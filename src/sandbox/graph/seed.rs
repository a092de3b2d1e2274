//! The Graph part of a sandbox seed (`tenants:`): tenants with their app registrations,
//! users, and each mailbox's calendars with events and contact folders with contacts, plus
//! a generator for benchmark-sized mailboxes. Events and contacts are written in Graph's own
//! JSON and checked exactly as the API checks a create.

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::Digest;

use super::db::{self, Folder, Item, Kind};
use super::error::guid_from_bytes;
use super::render;

/// A Microsoft Entra tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSeed {
    /// The tenant id used in token URLs (a GUID in Microsoft's world; any string here).
    pub id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<AppSeed>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<GraphUserSeed>,
}

/// An app registration with a client secret and its granted application permissions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSeed {
    pub client_id: String,
    pub client_secret: String,
    /// e.g. `Calendars.ReadWrite`, `Contacts.ReadWrite`, `User.Read.All`.
    pub roles: Vec<String>,
}

fn default_true() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// A directory user and, unless `mailbox: false`, their mailbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphUserSeed {
    /// Object id; derived from the user principal name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub user_principal_name: String,
    /// The mail address; the user principal name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub mailbox: bool,
    /// Calendars; one named `Calendar` is the default calendar, which exists regardless.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calendars: Vec<CalendarSeed>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contact_folders: Vec<ContactFolderSeed>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSeed {
    pub name: String,
    /// Events as Graph's JSON (`subject`, `start`, `end`, `singleValueExtendedProperties`…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Map<String, Value>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactFolderSeed {
    pub name: String,
    /// Contacts as Graph's JSON (`givenName`, `emailAddresses`…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<Map<String, Value>>,
}

/// The name of every mailbox's default calendar.
pub const DEFAULT_CALENDAR: &str = "Calendar";

/// A stable GUID for a user principal name.
pub fn user_id_for(upn: &str) -> String {
    let digest = sha2::Sha256::digest(upn.to_ascii_lowercase().as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    guid_from_bytes(&bytes)
}

/// Why the Graph part of a seed does not load.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Database(#[from] rusqlite::Error),
    /// A seed entry at fault: `at` names it (`tenant t1 user sam@example.com`).
    #[error("{at}: {reason}")]
    Entry { at: String, reason: String },
}

/// What loading items carries from one to the next: the prepared insert, the change
/// sequence reached and the time every seeded item was made.
struct ItemWriter<'c> {
    save: rusqlite::Statement<'c>,
    seq: i64,
    now: String,
}

/// Loads tenants into an empty database (inside the caller's transaction).
pub fn load(conn: &Connection, tenants: &[TenantSeed]) -> Result<(), LoadError> {
    let mut writer = ItemWriter {
        seq: db::current_seq(conn)?,
        save: db::prepare_save(conn)?,
        now: render::now(),
    };
    for tenant in tenants {
        conn.execute("INSERT INTO graph_tenants (id) VALUES (?1)", [&tenant.id])
            .map_err(|e| LoadError::Entry {
                at: format!("tenant {}", tenant.id),
                reason: e.to_string(),
            })?;
        for app in &tenant.apps {
            conn.execute(
                "INSERT INTO graph_apps (tenant, client_id, client_secret, roles) VALUES (?1,?2,?3,?4)",
                rusqlite::params![
                    tenant.id,
                    app.client_id,
                    app.client_secret,
                    serde_json::to_string(&app.roles).unwrap_or_default()
                ],
            )
            .map_err(|e| LoadError::Entry {
                at: format!("tenant {} app {}", tenant.id, app.client_id),
                reason: e.to_string(),
            })?;
        }
        for u in &tenant.users {
            load_user(conn, &mut writer, tenant, u)?;
        }
    }
    Ok(())
}

/// One user, and with a mailbox its calendars and contact folders with their items.
fn load_user(
    conn: &Connection,
    writer: &mut ItemWriter<'_>,
    tenant: &TenantSeed,
    u: &GraphUserSeed,
) -> Result<(), LoadError> {
    let at = |what: &str| LoadError::Entry {
        at: format!("tenant {} user {}", tenant.id, u.user_principal_name),
        reason: what.to_string(),
    };
    let user = db::User {
        id: u
            .id
            .clone()
            .unwrap_or_else(|| user_id_for(&u.user_principal_name)),
        tenant: tenant.id.clone(),
        upn: u.user_principal_name.clone(),
        mail: Some(
            u.mail
                .clone()
                .unwrap_or_else(|| u.user_principal_name.clone()),
        ),
        display_name: u.display_name.clone(),
        given_name: u.given_name.clone(),
        surname: u.surname.clone(),
        job_title: u.job_title.clone(),
        has_mailbox: u.mailbox,
    };
    db::insert_user(conn, &user).map_err(|e| at(&e.to_string()))?;
    if !u.mailbox {
        if !u.calendars.is_empty() || !u.contact_folders.is_empty() {
            return Err(at("has calendars or contact folders but no mailbox"));
        }
        return Ok(());
    }
    let default = new_folder(&user.id, DEFAULT_CALENDAR, true);
    db::insert_folder(conn, Kind::Event, &default)?;
    let calendars = u.calendars.iter().map(|c| (c.name.as_str(), &c.events));
    let folders = u
        .contact_folders
        .iter()
        .map(|c| (c.name.as_str(), &c.contacts));
    let mut names: Vec<(Kind, String)> = vec![(Kind::Event, DEFAULT_CALENDAR.to_lowercase())];
    for (kind, (name, items)) in calendars
        .map(|c| (Kind::Event, c))
        .chain(folders.map(|f| (Kind::Contact, f)))
    {
        let folder = if kind == Kind::Event && name.eq_ignore_ascii_case(DEFAULT_CALENDAR) {
            default.clone()
        } else {
            let key = (kind, name.to_lowercase());
            if names.contains(&key) {
                return Err(at(&format!(
                    "the {} name {name:?} is used twice",
                    kind.folder()
                )));
            }
            names.push(key);
            let f = new_folder(&user.id, name, false);
            db::insert_folder(conn, kind, &f)?;
            f
        };
        for (i, doc) in items.iter().enumerate() {
            let write =
                render::parse_write_value(kind, Value::Object(doc.clone()), true).map_err(|e| {
                    at(&format!(
                        "{} {name} item {}: {}",
                        kind.folder(),
                        i + 1,
                        e.message
                    ))
                })?;
            writer.save_item(kind, &folder, write)?;
        }
    }
    Ok(())
}

impl ItemWriter<'_> {
    /// Saves one seeded item into `folder`, next in the change sequence.
    fn save_item(
        &mut self,
        kind: Kind,
        folder: &Folder,
        write: render::Write,
    ) -> Result<(), LoadError> {
        self.seq += 1;
        let mut ext = Vec::new();
        render::merge_ext(&mut ext, write.ext);
        let item = Item {
            id: render::new_id(),
            user_id: folder.user_id.clone(),
            folder_id: folder.id.clone(),
            doc: write.doc,
            ext,
            created: self.now.clone(),
            modified: self.now.clone(),
            change_key: render::new_change_key(),
            seq: self.seq,
            deleted: false,
        };
        db::save_item_with(&mut self.save, kind, &item)?;
        Ok(())
    }
}

fn new_folder(user: &str, name: &str, is_default: bool) -> Folder {
    Folder {
        id: render::new_id(),
        user_id: user.to_string(),
        name: name.to_string(),
        is_default,
        change_key: render::new_change_key(),
    }
}

/// How big a generated tenant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GenerateTenantOptions {
    pub mailboxes: usize,
    pub events_per_mailbox: usize,
    pub contacts_per_mailbox: usize,
    pub seed: u64,
}

/// The generated tenant's id, app and secret (sandbox-only credentials).
pub const GENERATED_TENANT: &str = "00000000-0000-0000-0000-00000000c0de";
pub const GENERATED_CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";
pub const GENERATED_CLIENT_SECRET: &str = "generated-graph-secret";

/// A tenant whose mailboxes are `emails` (CRM users, so the two sides line up), each with
/// `events_per_mailbox` events over the coming year and `contacts_per_mailbox` contacts.
pub fn generate(opts: &GenerateTenantOptions, emails: &[String]) -> TenantSeed {
    let mut state = opts.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let base = chrono::NaiveDate::from_ymd_opt(2026, 1, 5)
        .and_then(|d| d.and_hms_opt(8, 0, 0))
        .unwrap_or_default();
    let users = (0..opts.mailboxes)
        .map(|m| {
            let upn = emails
                .get(m)
                .cloned()
                .unwrap_or_else(|| format!("mailbox{m}@generated.example"));
            let local = upn.split('@').next().unwrap_or("user").to_string();
            let events = generated_events(&mut next, base, m, &local, opts.events_per_mailbox);
            let contacts = generated_contacts(&mut next, m, opts.contacts_per_mailbox);
            GraphUserSeed {
                id: None,
                user_principal_name: upn.clone(),
                mail: None,
                display_name: local.clone(),
                given_name: None,
                surname: None,
                job_title: None,
                mailbox: true,
                calendars: vec![CalendarSeed {
                    name: DEFAULT_CALENDAR.into(),
                    events,
                }],
                contact_folders: vec![ContactFolderSeed {
                    name: "CRM Contacts".into(),
                    contacts,
                }],
            }
        })
        .collect();
    TenantSeed {
        id: GENERATED_TENANT.into(),
        apps: vec![AppSeed {
            client_id: GENERATED_CLIENT_ID.into(),
            client_secret: GENERATED_CLIENT_SECRET.into(),
            roles: vec![
                "Calendars.ReadWrite".into(),
                "Contacts.ReadWrite".into(),
                "User.Read.All".into(),
            ],
        }],
        users,
    }
}

/// `count` events of mailbox `m` over the year from `base`, every tenth linked to a CRM id.
fn generated_events(
    next: &mut impl FnMut() -> u64,
    base: chrono::NaiveDateTime,
    m: usize,
    local: &str,
    count: usize,
) -> Vec<Map<String, Value>> {
    (0..count)
        .map(|i| {
            let start = base
                + chrono::Duration::hours((next() % (365 * 24)) as i64)
                + chrono::Duration::minutes(30 * (next() % 2) as i64);
            let end = start + chrono::Duration::minutes(30 * (1 + (next() % 4) as i64));
            let mut e = json!({
                "subject": format!("Meeting {i} of {local}"),
                "body": {"contentType": "text", "content": format!("Agenda item {}", next() % 1000)},
                "start": {"dateTime": render::graph_local(start), "timeZone": "UTC"},
                "end": {"dateTime": render::graph_local(end), "timeZone": "UTC"},
                "location": {"displayName": format!("Room {}", next() % 40)},
            });
            if i % 10 == 0 {
                e["singleValueExtendedProperties"] = json!([{
                    "id": "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name projectlinkCrmId",
                    "value": format!("{}", 5_000_000 + m * 100_000 + i),
                }]);
            }
            as_map(e)
        })
        .collect()
}

/// `count` contacts of mailbox `m`.
fn generated_contacts(
    next: &mut impl FnMut() -> u64,
    m: usize,
    count: usize,
) -> Vec<Map<String, Value>> {
    (0..count)
        .map(|i| {
            as_map(json!({
                "givenName": format!("Given{}", next() % 500),
                "surname": format!("Surname{i}"),
                "emailAddresses": [{"address": format!("contact{i}.{m}@example.org"), "name": format!("Contact {i}")}],
                "businessPhones": [format!("+1 555 {:04}", next() % 10_000)],
                "companyName": format!("Company {}", next() % 300),
                "jobTitle": "Buyer",
            }))
        })
        .collect()
}

fn as_map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::store::Store;

    fn count(store: &Store, sql: &str) -> i64 {
        store.with(|c| c.query_row(sql, [], |r| r.get(0)).unwrap())
    }

    #[test]
    fn the_demo_tenant_loads_with_default_calendars_and_items() {
        let seed = crate::sandbox::seed::Seed::demo();
        let store = Store::open(None).unwrap();
        crate::sandbox::seed::load_if_empty(&store, &seed).unwrap();
        let mailboxes = count(
            &store,
            "SELECT COUNT(*) FROM graph_users WHERE has_mailbox = 1",
        );
        let defaults = count(
            &store,
            "SELECT COUNT(*) FROM graph_folders WHERE kind = 'calendar' AND is_default = 1",
        );
        assert_eq!(
            mailboxes, defaults,
            "every mailbox has one default calendar"
        );
        assert!(
            count(
                &store,
                "SELECT COUNT(*) FROM graph_items WHERE kind = 'event'"
            ) >= 4
        );
        assert!(
            count(
                &store,
                "SELECT COUNT(*) FROM graph_items WHERE kind = 'contact'"
            ) >= 2
        );
    }

    #[test]
    fn an_invalid_event_names_its_user_calendar_and_position() {
        let tenants: Vec<TenantSeed> = serde_json::from_value(json!([{
            "id": "t",
            "users": [{"user_principal_name": "a@x.example", "display_name": "A",
                       "calendars": [{"name": "Work", "events": [
                           {"subject": "ok", "start": {"dateTime": "2026-01-01T09:00:00", "timeZone": "UTC"},
                            "end": {"dateTime": "2026-01-01T10:00:00", "timeZone": "UTC"}},
                           {"subject": "no times"}]}]}]
        }]))
        .unwrap();
        let store = Store::open(None).unwrap();
        let err = store.with(|c| load(c, &tenants)).unwrap_err().to_string();
        assert!(err.contains("a@x.example"), "{err}");
        assert!(err.contains("Work item 2"), "{err}");
    }

    #[test]
    fn a_user_without_a_mailbox_cannot_have_folders() {
        let tenants: Vec<TenantSeed> = serde_json::from_value(json!([{
            "id": "t",
            "users": [{"user_principal_name": "r@x.example", "display_name": "Room",
                       "mailbox": false, "contact_folders": [{"name": "C"}]}]
        }]))
        .unwrap();
        let store = Store::open(None).unwrap();
        assert!(store.with(|c| load(c, &tenants)).is_err());
    }

    #[test]
    fn generated_tenants_are_deterministic_and_load() {
        let opts = GenerateTenantOptions {
            mailboxes: 3,
            events_per_mailbox: 20,
            contacts_per_mailbox: 15,
            seed: 9,
        };
        let emails = vec!["admin@generated.example".to_string()];
        let tenant = generate(&opts, &emails);
        assert_eq!(tenant, generate(&opts, &emails));
        assert_eq!(
            tenant.users[0].user_principal_name,
            "admin@generated.example"
        );
        let store = Store::open(None).unwrap();
        store.with(|c| load(c, &[tenant])).unwrap();
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) FROM graph_items WHERE kind = 'event'"
            ),
            60
        );
        assert_eq!(
            count(
                &store,
                "SELECT COUNT(*) FROM graph_items WHERE kind = 'contact'"
            ),
            45
        );
        assert_eq!(count(&store, "SELECT MAX(seq) FROM graph_items"), 105);
    }
}
