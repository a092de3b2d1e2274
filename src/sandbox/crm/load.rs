//! Loads the CRM part of a seed: profiles, roles, the standard modules, custom modules and
//! fields, users, the org, records (two passes, so `{_ref: key}` may point anywhere, and
//! `Tag: [name, ...]` tags them) and variables. Errors name the seed entry at fault.

use std::collections::HashMap;

use rusqlite::{Connection, params};
use serde_json::{Map, Value, json};

use super::db::{next_id, now_ms, reserve_ids};
use super::meta::{self, ADMIN_PROFILE, NewField, NewModule};
use super::org::{self, OrgFacts};
use super::standard;
use super::users::zuid_for;
use super::values::{self, Schema};
use super::{tags, variables, writes};
use crate::sandbox::seed::{FieldSeed, RoleSeed, Seed, UserStatus};

/// Why the CRM part of a seed does not load.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("database error while seeding: {0}")]
    Database(#[from] rusqlite::Error),
    /// A seed entry at fault: `at` is its place in the seed (`users[2] (sam@example.com)`).
    #[error("{at}: {reason}")]
    Entry { at: String, reason: String },
    #[error("records need an active Administrator user to own them")]
    NoRecordOwner,
}

/// The seed entry at `at` is at fault, for `reason`.
fn entry(at: impl Into<String>, reason: impl Into<String>) -> LoadError {
    LoadError::Entry {
        at: at.into(),
        reason: reason.into(),
    }
}

/// Names (lower case) to the ids the load gave them.
type Ids = HashMap<String, String>;

pub fn load(conn: &Connection, seed: &Seed) -> Result<(), LoadError> {
    // Profiles first (every later module gives each profile its permissions).
    let profiles = load_profiles(conn, seed)?;
    let now = now_ms();
    let roles = load_roles(conn, seed, now)?;
    load_modules(conn, seed, &profiles)?;
    load_permissions(conn, seed, &profiles)?;
    let (users, admin_email) = load_users(conn, seed, &profiles, &roles, now)?;
    let primary_email = seed.org.primary_email.clone().or(admin_email);
    let primary_id = match &primary_email {
        Some(email) => Some(
            users
                .get(&email.to_lowercase())
                .cloned()
                .ok_or_else(|| entry("org.primary_email", format!("unknown user {email:?}")))?,
        ),
        None => None,
    };
    if !seed.records.is_empty() && primary_id.is_none() {
        return Err(LoadError::NoRecordOwner);
    }
    load_org(conn, seed, primary_email.as_deref(), primary_id.as_deref())?;
    if let Some(owner) = primary_id {
        load_records(conn, seed, &users, &owner, now)?;
    }
    load_variables(conn, seed)
}

/// The Administrator and Standard profiles and the seed's own, by lower-case name.
fn load_profiles(conn: &Connection, seed: &Seed) -> Result<Ids, LoadError> {
    let mut profiles: Ids = HashMap::new();
    let mut wanted: Vec<(String, Option<String>)> = vec![
        (ADMIN_PROFILE.to_string(), None),
        ("Standard".to_string(), None),
    ];
    for p in &seed.profiles {
        match wanted
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(&p.name))
        {
            Some(existing) => existing.1 = p.description.clone(),
            None => wanted.push((p.name.clone(), p.description.clone())),
        }
    }
    for (name, description) in &wanted {
        let custom = !matches!(name.as_str(), ADMIN_PROFILE | "Standard");
        let id = meta::create_profile(conn, name, description.as_deref(), custom, true)?;
        profiles.insert(name.to_lowercase(), id);
    }
    Ok(profiles)
}

/// Roles (a lone CEO when the seed has none), then their hierarchy.
fn load_roles(conn: &Connection, seed: &Seed, now: i64) -> Result<Ids, LoadError> {
    let mut roles: Ids = HashMap::new();
    let role_seeds = if seed.roles.is_empty() {
        vec![RoleSeed {
            name: "CEO".into(),
            reports_to: None,
            description: None,
        }]
    } else {
        seed.roles.clone()
    };
    for r in &role_seeds {
        if roles.contains_key(&r.name.to_lowercase()) {
            return Err(entry("roles", format!("duplicate role {:?}", r.name)));
        }
        let id = next_id(conn)?;
        conn.execute(
            "INSERT INTO crm_roles(id, name, description, created_ms, modified_ms)
             VALUES (?1, ?2, ?3, ?4, ?4)",
            params![id, r.name, r.description, now],
        )?;
        roles.insert(r.name.to_lowercase(), id);
    }
    for (i, r) in role_seeds.iter().enumerate() {
        if let Some(manager) = &r.reports_to {
            let manager_id = roles.get(&manager.to_lowercase()).ok_or_else(|| {
                entry(
                    format!("roles[{i}] ({})", r.name),
                    format!("reports_to names unknown role {manager:?}"),
                )
            })?;
            conn.execute(
                "UPDATE crm_roles SET reporting_to = ?2 WHERE id = ?1",
                params![roles[&r.name.to_lowercase()], manager_id],
            )?;
        }
    }
    Ok(roles)
}

/// Standard modules, then custom modules, then every extra field (after every module
/// exists, so lookups may point at any of them).
fn load_modules(conn: &Connection, seed: &Seed, profiles: &Ids) -> Result<(), LoadError> {
    for m in standard::MODULES {
        meta::create_standard_module(conn, m)?;
    }
    for (i, m) in seed.modules.iter().enumerate() {
        let at = format!("modules[{i}] ({})", m.api_name);
        if meta::module_by_name(conn, &m.api_name)?.is_some() {
            return Err(entry(at, "a module with this api name already exists"));
        }
        let visible_to = match &m.profiles {
            None => None,
            Some(names) => Some(
                names
                    .iter()
                    .map(|n| {
                        profiles
                            .get(&n.to_lowercase())
                            .cloned()
                            .ok_or_else(|| entry(&at, format!("unknown profile {n:?}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        let module = meta::create_module(
            conn,
            NewModule {
                api_name: m.api_name.clone(),
                module_name: None,
                singular_label: m.singular_label.clone(),
                plural_label: m.plural_label.clone(),
                custom: true,
                display_field: "Name".into(),
                description: m.description.clone(),
                profiles: visible_to,
            },
        )?;
        meta::add_audit_fields(conn, &module)?;
    }
    for (i, m) in seed.modules.iter().enumerate() {
        for (j, f) in m.fields.iter().enumerate() {
            add_field(conn, &m.api_name, f, &format!("modules[{i}].fields[{j}]"))?;
        }
    }
    for (module, fields) in &seed.fields {
        for (j, f) in fields.iter().enumerate() {
            add_field(conn, module, f, &format!("fields.{module}[{j}]"))?;
        }
    }
    Ok(())
}

/// Profile permission overrides.
fn load_permissions(conn: &Connection, seed: &Seed, profiles: &Ids) -> Result<(), LoadError> {
    for (i, p) in seed.profiles.iter().enumerate() {
        let profile_id = &profiles[&p.name.to_lowercase()];
        for (module, perms) in &p.permissions {
            let at = format!("profiles[{i}] ({}).permissions.{module}", p.name);
            let m =
                meta::module_by_name(conn, module)?.ok_or_else(|| entry(&at, "unknown module"))?;
            if p.name.eq_ignore_ascii_case(ADMIN_PROFILE) {
                return Err(entry(
                    at,
                    "the Administrator profile keeps every permission",
                ));
            }
            for action in meta::ACTIONS {
                if let Some(enabled) = perms.get(action) {
                    meta::set_permission(conn, profile_id, &m.api_name, action, enabled)?;
                }
            }
        }
    }
    Ok(())
}

/// Users, then who they report to; also the first active administrator's email.
fn load_users(
    conn: &Connection,
    seed: &Seed,
    profiles: &Ids,
    roles: &Ids,
    now: i64,
) -> Result<(Ids, Option<String>), LoadError> {
    let mut users: Ids = HashMap::new();
    let mut admin_email: Option<String> = None;
    for (i, u) in seed.users.iter().enumerate() {
        let at = format!("users[{i}] ({})", u.email);
        if !values::looks_like_email(&u.email) {
            return Err(entry(at, "not an email address"));
        }
        if users.contains_key(&u.email.to_lowercase()) {
            return Err(entry(at, "duplicate user"));
        }
        let profile = profiles
            .get(&u.profile.to_lowercase())
            .ok_or_else(|| entry(&at, format!("unknown profile {:?}", u.profile)))?;
        let role = roles
            .get(&u.role.to_lowercase())
            .ok_or_else(|| entry(&at, format!("unknown role {:?}", u.role)))?;
        let id = next_id(conn)?;
        let status = match u.status {
            UserStatus::Active => "active",
            UserStatus::Inactive => "inactive",
        };
        if admin_email.is_none()
            && u.profile.eq_ignore_ascii_case(ADMIN_PROFILE)
            && u.status == UserStatus::Active
        {
            admin_email = Some(u.email.clone());
        }
        conn.execute(
            "INSERT INTO crm_users(id, zuid, email, first_name, last_name, status, confirm,
                profile_id, role_id, extra, created_ms, modified_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, '{}', ?10, ?10)",
            params![
                id,
                zuid_for(&id),
                u.email,
                u.first_name,
                u.last_name,
                status,
                u.confirmed,
                profile,
                role,
                now
            ],
        )?;
        users.insert(u.email.to_lowercase(), id);
    }
    load_reporting(conn, seed, &users)?;
    Ok((users, admin_email))
}

/// Who each user reports to, once every user exists.
fn load_reporting(conn: &Connection, seed: &Seed, users: &Ids) -> Result<(), LoadError> {
    for (i, u) in seed.users.iter().enumerate() {
        if let Some(manager) = &u.reporting_to {
            let manager_id = users.get(&manager.to_lowercase()).ok_or_else(|| {
                entry(
                    format!("users[{i}] ({})", u.email),
                    format!("reporting_to names unknown user {manager:?}"),
                )
            })?;
            conn.execute(
                "UPDATE crm_users SET reporting_to = ?2 WHERE id = ?1",
                params![users[&u.email.to_lowercase()], manager_id],
            )?;
        }
    }
    Ok(())
}

/// The org, with its primary contact.
fn load_org(
    conn: &Connection,
    seed: &Seed,
    primary_email: Option<&str>,
    primary_id: Option<&str>,
) -> Result<(), LoadError> {
    let org_id = next_id(conn)?;
    let facts = OrgFacts {
        id: &org_id,
        company_name: &seed.org.company_name,
        domain_name: seed.org.domain_name.as_deref(),
        time_zone: &seed.org.time_zone,
        currency: &seed.org.currency,
        country: seed.org.country.as_deref(),
        phone: seed.org.phone.as_deref(),
        primary_email: primary_email.unwrap_or(""),
        primary_zuid: &primary_id.map(zuid_for).unwrap_or_default(),
        licenses: seed.org.licenses.unwrap_or(seed.users.len() as u64).max(1),
    };
    conn.execute(
        "INSERT INTO crm_org(id, data) VALUES (?1, ?2)",
        params![org_id, org::document(&facts).to_string()],
    )?;
    Ok(())
}

/// The org's variables.
fn load_variables(conn: &Connection, seed: &Seed) -> Result<(), LoadError> {
    for (i, v) in seed.variables.iter().enumerate() {
        let mut item = Map::new();
        item.insert("api_name".into(), json!(v.api_name));
        item.insert(
            "name".into(),
            json!(v.name.clone().unwrap_or_else(|| v.api_name.clone())),
        );
        item.insert("type".into(), json!(v.kind));
        item.insert("value".into(), v.value.clone());
        if let Some(d) = &v.description {
            item.insert("description".into(), json!(d));
        }
        variables::insert(conn, &item, &format!("$.variables[{i}]")).map_err(|e| {
            entry(
                format!("variables[{i}] ({})", v.api_name),
                e.body().to_string(),
            )
        })?;
    }
    Ok(())
}

fn add_field(conn: &Connection, module: &str, f: &FieldSeed, at: &str) -> Result<(), LoadError> {
    let at = format!("{at} ({})", f.api_name);
    let m = meta::module_by_name(conn, module)?
        .ok_or_else(|| entry(&at, format!("unknown module {module:?}")))?;
    if !standard::CREATABLE_TYPES
        .iter()
        .any(|(t, _)| *t == f.data_type)
    {
        return Err(entry(
            at,
            format!("unsupported data_type {:?}", f.data_type),
        ));
    }
    if meta::fields_of(conn, &m.api_name)?
        .iter()
        .any(|x| x.api_name.eq_ignore_ascii_case(&f.api_name))
    {
        return Err(entry(at, "the module already has this field"));
    }
    let lookup_module = match (&f.lookup, f.data_type.as_str()) {
        (Some(target), "lookup") => Some(
            meta::module_by_name(conn, target)?
                .ok_or_else(|| entry(&at, format!("lookup names unknown module {target:?}")))?
                .api_name,
        ),
        (None, "lookup") => return Err(entry(at, "a lookup field needs `lookup: <module>`")),
        (Some(_), _) => return Err(entry(at, "only lookup fields take `lookup`")),
        (None, _) => None,
    };
    meta::insert_field(
        conn,
        &m,
        NewField {
            custom: true,
            mandatory: f.mandatory,
            length: f.length,
            lookup_module,
            rl_label: f.related_list_label.clone(),
            unique: f.unique,
            tooltip: f.tooltip.clone(),
            description: f.description.clone(),
            pick_list: f.pick_list_values.clone(),
            ..NewField::system(&f.api_name, &f.field_label, &f.data_type, false)
        },
    )?;
    Ok(())
}

/// Replaces `{_ref: key}` and `{_user: email}` values with lookups.
fn resolve_refs(
    value: &Value,
    keys: &HashMap<String, String>,
    users: &HashMap<String, String>,
    at: &str,
) -> Result<Value, LoadError> {
    let Value::Object(o) = value else {
        return Ok(value.clone());
    };
    if let Some(key) = o.get("_ref") {
        let key = key.as_str().unwrap_or_default();
        let id = keys
            .get(key)
            .ok_or_else(|| entry(at, format!("_ref names unknown record key {key:?}")))?;
        return Ok(json!({ "id": id }));
    }
    if let Some(email) = o.get("_user") {
        let email = email.as_str().unwrap_or_default();
        let id = users
            .get(&email.to_lowercase())
            .ok_or_else(|| entry(at, format!("_user names unknown user {email:?}")))?;
        return Ok(json!({ "id": id }));
    }
    Ok(value.clone())
}

fn load_records(
    conn: &Connection,
    seed: &Seed,
    users: &HashMap<String, String>,
    owner: &str,
    now: i64,
) -> Result<(), LoadError> {
    // Pass 1: ids for every record, so references may point forwards or across modules.
    let total: usize = seed.records.values().map(Vec::len).sum();
    let mut ids = reserve_ids(conn, total as u64)?;
    let mut keys: HashMap<String, String> = HashMap::new();
    let mut planned: Vec<(&str, usize, String)> = Vec::with_capacity(total);
    for (module, records) in &seed.records {
        for (i, r) in records.iter().enumerate() {
            let id = ids.next().expect("reserved enough ids");
            if let Some(key) = r.get("_key") {
                let key = key.as_str().ok_or_else(|| {
                    entry(format!("records.{module}[{i}]"), "_key must be a string")
                })?;
                if keys.insert(key.to_string(), id.clone()).is_some() {
                    return Err(entry(
                        format!("records.{module}[{i}]"),
                        format!("duplicate _key {key:?}"),
                    ));
                }
            }
            planned.push((module.as_str(), i, id));
        }
    }
    // Pass 2: check, normalize and insert.
    let mut schemas: HashMap<&str, Schema> = HashMap::new();
    for (module, i, id) in planned {
        let at = format!("records.{module}[{i}]");
        if !schemas.contains_key(module) {
            let m = meta::module_by_name(conn, module)?
                .ok_or_else(|| entry(&at, format!("unknown module {module:?}")))?;
            schemas.insert(module, Schema::load(conn, m)?);
        }
        let schema = &schemas[module];
        let raw = &seed.records[module][i];
        let (created_ms, modified_ms) = seed_times(raw, &at, now)?;
        let mut input = Map::new();
        for (k, v) in raw {
            if k == "_key" || k == "Created_Time" || k == "Modified_Time" {
                continue;
            }
            if tags::is_tag_key(k) {
                input.insert(k.clone(), seed_tags(v, &format!("{at}.{k}"))?);
                continue;
            }
            if schema.field(k).is_none() {
                return Err(entry(at, format!("module {module} has no field {k:?}")));
            }
            input.insert(
                k.clone(),
                resolve_refs(v, &keys, users, &format!("{at}.{k}"))?,
            );
        }
        let json_path = format!("$.records.{module}[{i}]");
        let record = values::normalize(conn, schema, &input, &json_path, false)
            .map_err(|e| entry(&at, e.body().to_string()))?;
        if let Some(e) =
            values::missing_mandatory(schema, &with_derived(schema, &record), &json_path)
        {
            return Err(entry(at, e.body().to_string()));
        }
        writes::insert_seeded(conn, schema, &id, record, owner, created_ms, modified_ms)?;
    }
    Ok(())
}

/// When a seeded record was created and last modified: its `Created_Time` and
/// `Modified_Time` when the seed gives them (an org's history), else the time of loading.
fn seed_times(raw: &Map<String, Value>, at: &str, now: i64) -> Result<(i64, i64), LoadError> {
    let time = |key: &str| -> Result<Option<i64>, LoadError> {
        match raw.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => super::db::parse_iso(s)
                .map(Some)
                .ok_or_else(|| not_a_timestamp(at, key)),
            Some(_) => Err(not_a_timestamp(at, key)),
        }
    };
    let modified = time("Modified_Time")?;
    let created = time("Created_Time")?.unwrap_or(modified.unwrap_or(now).min(now));
    let modified = modified.unwrap_or(created);
    if modified < created {
        return Err(entry(at, "Modified_Time is before Created_Time"));
    }
    Ok((created, modified))
}

fn not_a_timestamp(at: &str, key: &str) -> LoadError {
    entry(
        format!("{at}.{key}"),
        "not a timestamp like 2026-01-05T10:00:00+00:00",
    )
}

/// A seed's `Tag: [Imported, ...]` (names, or the API's `{name}` objects) in the API's form.
fn seed_tags(value: &Value, at: &str) -> Result<Value, LoadError> {
    let Value::Array(items) = value else {
        return Err(entry(at, "Tag must be a list of tag names"));
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(name) => Ok(json!({ "name": name })),
            Value::Object(_) => Ok(item.clone()),
            _ => Err(entry(at, "Tag must be a list of tag names")),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

fn with_derived(schema: &Schema, record: &Map<String, Value>) -> Map<String, Value> {
    let mut r = record.clone();
    values::derive(schema, &mut r);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: Value) -> Map<String, Value> {
        pairs.as_object().unwrap().clone()
    }

    #[test]
    fn seeded_records_keep_the_history_the_seed_gives() {
        let now = 1_800_000_000_000;
        assert_eq!(seed_times(&raw(json!({})), "r", now).unwrap(), (now, now));
        let created = "2026-01-05T10:00:00+00:00";
        let modified = "2026-02-05T10:00:00+01:00";
        let c = super::super::db::parse_iso(created).unwrap();
        let m = super::super::db::parse_iso(modified).unwrap();
        assert_eq!(
            seed_times(
                &raw(json!({"Created_Time": created, "Modified_Time": modified})),
                "r",
                now
            )
            .unwrap(),
            (c, m)
        );
        assert_eq!(
            seed_times(&raw(json!({"Created_Time": created})), "r", now).unwrap(),
            (c, c)
        );
        assert_eq!(
            seed_times(&raw(json!({"Modified_Time": created})), "r", now).unwrap(),
            (c, c)
        );
        let backwards = json!({"Created_Time": modified, "Modified_Time": created});
        assert!(
            seed_times(&raw(backwards), "r", now)
                .unwrap_err()
                .to_string()
                .contains("before")
        );
        let garbage = json!({"Created_Time": "yesterday"});
        assert!(
            seed_times(&raw(garbage), "r", now)
                .unwrap_err()
                .to_string()
                .contains("r.Created_Time")
        );
    }
}
