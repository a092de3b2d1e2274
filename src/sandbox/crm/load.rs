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
use crate::sandbox::seed::{FieldSeed, Seed, UserStatus};

fn db(e: rusqlite::Error) -> String {
    format!("database error while seeding: {e}")
}

pub fn load(conn: &Connection, seed: &Seed) -> Result<(), String> {
    // Profiles first (every later module gives each profile its permissions).
    let mut profiles: HashMap<String, String> = HashMap::new();
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
        let id =
            meta::create_profile(conn, name, description.as_deref(), custom, true).map_err(db)?;
        profiles.insert(name.to_lowercase(), id);
    }

    // Roles, then their hierarchy.
    let mut roles: HashMap<String, String> = HashMap::new();
    let role_seeds = if seed.roles.is_empty() {
        vec![crate::sandbox::seed::RoleSeed {
            name: "CEO".into(),
            reports_to: None,
            description: None,
        }]
    } else {
        seed.roles.clone()
    };
    let now = now_ms();
    for r in &role_seeds {
        if roles.contains_key(&r.name.to_lowercase()) {
            return Err(format!("roles: duplicate role {:?}", r.name));
        }
        let id = next_id(conn).map_err(db)?;
        conn.execute(
            "INSERT INTO crm_roles(id, name, description, created_ms, modified_ms)
             VALUES (?1, ?2, ?3, ?4, ?4)",
            params![id, r.name, r.description, now],
        )
        .map_err(db)?;
        roles.insert(r.name.to_lowercase(), id);
    }
    for (i, r) in role_seeds.iter().enumerate() {
        if let Some(manager) = &r.reports_to {
            let manager_id = roles.get(&manager.to_lowercase()).ok_or_else(|| {
                format!(
                    "roles[{i}] ({}): reports_to names unknown role {manager:?}",
                    r.name
                )
            })?;
            conn.execute(
                "UPDATE crm_roles SET reporting_to = ?2 WHERE id = ?1",
                params![roles[&r.name.to_lowercase()], manager_id],
            )
            .map_err(db)?;
        }
    }

    // Standard modules, then custom modules and extra fields.
    for m in standard::MODULES {
        meta::create_standard_module(conn, m).map_err(db)?;
    }
    for (i, m) in seed.modules.iter().enumerate() {
        let at = format!("modules[{i}] ({})", m.api_name);
        if meta::module_by_name(conn, &m.api_name)
            .map_err(db)?
            .is_some()
        {
            return Err(format!("{at}: a module with this api name already exists"));
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
                            .ok_or_else(|| format!("{at}: unknown profile {n:?}"))
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
        )
        .map_err(db)?;
        meta::add_audit_fields(conn, &module).map_err(db)?;
    }
    // Fields after every module exists, so lookups may point at any of them.
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

    // Profile permission overrides.
    for (i, p) in seed.profiles.iter().enumerate() {
        let profile_id = &profiles[&p.name.to_lowercase()];
        for (module, perms) in &p.permissions {
            let at = format!("profiles[{i}] ({}).permissions.{module}", p.name);
            let m = meta::module_by_name(conn, module)
                .map_err(db)?
                .ok_or_else(|| format!("{at}: unknown module"))?;
            if p.name.eq_ignore_ascii_case(ADMIN_PROFILE) {
                return Err(format!(
                    "{at}: the Administrator profile keeps every permission"
                ));
            }
            for (action, value) in [
                ("View", perms.view),
                ("Create", perms.create),
                ("Edit", perms.edit),
                ("Delete", perms.delete),
            ] {
                if let Some(enabled) = value {
                    meta::set_permission(conn, profile_id, &m.api_name, action, enabled)
                        .map_err(db)?;
                }
            }
        }
    }

    // Users.
    let mut users: HashMap<String, String> = HashMap::new();
    let mut admin_email: Option<String> = None;
    for (i, u) in seed.users.iter().enumerate() {
        let at = format!("users[{i}] ({})", u.email);
        if !values::looks_like_email(&u.email) {
            return Err(format!("{at}: not an email address"));
        }
        if users.contains_key(&u.email.to_lowercase()) {
            return Err(format!("{at}: duplicate user"));
        }
        let profile = profiles
            .get(&u.profile.to_lowercase())
            .ok_or_else(|| format!("{at}: unknown profile {:?}", u.profile))?;
        let role = roles
            .get(&u.role.to_lowercase())
            .ok_or_else(|| format!("{at}: unknown role {:?}", u.role))?;
        let id = next_id(conn).map_err(db)?;
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
        )
        .map_err(db)?;
        users.insert(u.email.to_lowercase(), id);
    }
    for (i, u) in seed.users.iter().enumerate() {
        if let Some(manager) = &u.reporting_to {
            let manager_id = users.get(&manager.to_lowercase()).ok_or_else(|| {
                format!(
                    "users[{i}] ({}): reporting_to names unknown user {manager:?}",
                    u.email
                )
            })?;
            conn.execute(
                "UPDATE crm_users SET reporting_to = ?2 WHERE id = ?1",
                params![users[&u.email.to_lowercase()], manager_id],
            )
            .map_err(db)?;
        }
    }
    let primary_email = seed.org.primary_email.clone().or(admin_email);
    let primary_id = match &primary_email {
        Some(email) => Some(
            users
                .get(&email.to_lowercase())
                .cloned()
                .ok_or_else(|| format!("org.primary_email: unknown user {email:?}"))?,
        ),
        None => None,
    };
    if !seed.records.is_empty() && primary_id.is_none() {
        return Err("records need an active Administrator user to own them".into());
    }

    // The org.
    let org_id = next_id(conn).map_err(db)?;
    let facts = OrgFacts {
        id: &org_id,
        company_name: &seed.org.company_name,
        domain_name: seed.org.domain_name.as_deref(),
        time_zone: &seed.org.time_zone,
        currency: &seed.org.currency,
        country: seed.org.country.as_deref(),
        phone: seed.org.phone.as_deref(),
        primary_email: primary_email.as_deref().unwrap_or(""),
        primary_zuid: &primary_id.as_deref().map(zuid_for).unwrap_or_default(),
        licenses: seed.org.licenses.unwrap_or(seed.users.len() as u64).max(1),
    };
    conn.execute(
        "INSERT INTO crm_org(id, data) VALUES (?1, ?2)",
        params![org_id, org::document(&facts).to_string()],
    )
    .map_err(db)?;

    if let Some(owner) = primary_id {
        load_records(conn, seed, &users, &owner, now)?;
    }

    // Variables.
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
        variables::insert(conn, &item, &format!("$.variables[{i}]"))
            .map_err(|e| format!("variables[{i}] ({}): {}", v.api_name, e.body()))?;
    }
    Ok(())
}

fn add_field(conn: &Connection, module: &str, f: &FieldSeed, at: &str) -> Result<(), String> {
    let at = format!("{at} ({})", f.api_name);
    let m = meta::module_by_name(conn, module)
        .map_err(db)?
        .ok_or_else(|| format!("{at}: unknown module {module:?}"))?;
    if !standard::CREATABLE_TYPES
        .iter()
        .any(|(t, _)| *t == f.data_type)
    {
        return Err(format!("{at}: unsupported data_type {:?}", f.data_type));
    }
    if meta::fields_of(conn, &m.api_name)
        .map_err(db)?
        .iter()
        .any(|x| x.api_name.eq_ignore_ascii_case(&f.api_name))
    {
        return Err(format!("{at}: the module already has this field"));
    }
    let lookup_module = match (&f.lookup, f.data_type.as_str()) {
        (Some(target), "lookup") => Some(
            meta::module_by_name(conn, target)
                .map_err(db)?
                .ok_or_else(|| format!("{at}: lookup names unknown module {target:?}"))?
                .api_name,
        ),
        (None, "lookup") => return Err(format!("{at}: a lookup field needs `lookup: <module>`")),
        (Some(_), _) => return Err(format!("{at}: only lookup fields take `lookup`")),
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
    )
    .map_err(db)?;
    Ok(())
}

/// Replaces `{_ref: key}` and `{_user: email}` values with lookups.
fn resolve_refs(
    value: &Value,
    keys: &HashMap<String, String>,
    users: &HashMap<String, String>,
    at: &str,
) -> Result<Value, String> {
    let Value::Object(o) = value else {
        return Ok(value.clone());
    };
    if let Some(key) = o.get("_ref") {
        let key = key.as_str().unwrap_or_default();
        let id = keys
            .get(key)
            .ok_or_else(|| format!("{at}: _ref names unknown record key {key:?}"))?;
        return Ok(json!({ "id": id }));
    }
    if let Some(email) = o.get("_user") {
        let email = email.as_str().unwrap_or_default();
        let id = users
            .get(&email.to_lowercase())
            .ok_or_else(|| format!("{at}: _user names unknown user {email:?}"))?;
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
) -> Result<(), String> {
    // Pass 1: ids for every record, so references may point forwards or across modules.
    let total: usize = seed.records.values().map(Vec::len).sum();
    let mut ids = reserve_ids(conn, total as u64).map_err(db)?;
    let mut keys: HashMap<String, String> = HashMap::new();
    let mut planned: Vec<(&str, usize, String)> = Vec::with_capacity(total);
    for (module, records) in &seed.records {
        for (i, r) in records.iter().enumerate() {
            let id = ids.next().expect("reserved enough ids");
            if let Some(key) = r.get("_key") {
                let key = key
                    .as_str()
                    .ok_or_else(|| format!("records.{module}[{i}]: _key must be a string"))?;
                if keys.insert(key.to_string(), id.clone()).is_some() {
                    return Err(format!("records.{module}[{i}]: duplicate _key {key:?}"));
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
            let m = meta::module_by_name(conn, module)
                .map_err(db)?
                .ok_or_else(|| format!("{at}: unknown module {module:?}"))?;
            schemas.insert(module, Schema::load(conn, m).map_err(db)?);
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
                return Err(format!("{at}: module {module} has no field {k:?}"));
            }
            input.insert(
                k.clone(),
                resolve_refs(v, &keys, users, &format!("{at}.{k}"))?,
            );
        }
        let json_path = format!("$.records.{module}[{i}]");
        let record = values::normalize(conn, schema, &input, &json_path, false)
            .map_err(|e| format!("{at}: {}", e.body()))?;
        if let Some(e) =
            values::missing_mandatory(schema, &with_derived(schema, &record), &json_path)
        {
            return Err(format!("{at}: {}", e.body()));
        }
        writes::insert_seeded(conn, schema, &id, record, owner, created_ms, modified_ms)
            .map_err(db)?;
    }
    Ok(())
}

/// When a seeded record was created and last modified: its `Created_Time` and
/// `Modified_Time` when the seed gives them (an org's history), else the time of loading.
fn seed_times(raw: &Map<String, Value>, at: &str, now: i64) -> Result<(i64, i64), String> {
    let time = |key: &str| -> Result<Option<i64>, String> {
        match raw.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => super::db::parse_iso(s).map(Some).ok_or_else(|| {
                format!("{at}.{key}: not a timestamp like 2026-01-05T10:00:00+00:00")
            }),
            Some(_) => Err(format!(
                "{at}.{key}: not a timestamp like 2026-01-05T10:00:00+00:00"
            )),
        }
    };
    let modified = time("Modified_Time")?;
    let created = time("Created_Time")?.unwrap_or(modified.unwrap_or(now).min(now));
    let modified = modified.unwrap_or(created);
    if modified < created {
        return Err(format!("{at}: Modified_Time is before Created_Time"));
    }
    Ok((created, modified))
}

/// A seed's `Tag: [Imported, ...]` (names, or the API's `{name}` objects) in the API's form.
fn seed_tags(value: &Value, at: &str) -> Result<Value, String> {
    let Value::Array(items) = value else {
        return Err(format!("{at}: Tag must be a list of tag names"));
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(name) => Ok(json!({ "name": name })),
            Value::Object(_) => Ok(item.clone()),
            _ => Err(format!("{at}: Tag must be a list of tag names")),
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
        assert_eq!(seed_times(&raw(json!({})), "r", now), Ok((now, now)));
        let created = "2026-01-05T10:00:00+00:00";
        let modified = "2026-02-05T10:00:00+01:00";
        let c = super::super::db::parse_iso(created).unwrap();
        let m = super::super::db::parse_iso(modified).unwrap();
        assert_eq!(
            seed_times(
                &raw(json!({"Created_Time": created, "Modified_Time": modified})),
                "r",
                now
            ),
            Ok((c, m))
        );
        assert_eq!(
            seed_times(&raw(json!({"Created_Time": created})), "r", now),
            Ok((c, c))
        );
        assert_eq!(
            seed_times(&raw(json!({"Modified_Time": created})), "r", now),
            Ok((c, c))
        );
        let backwards = json!({"Created_Time": modified, "Modified_Time": created});
        assert!(
            seed_times(&raw(backwards), "r", now)
                .unwrap_err()
                .contains("before")
        );
        let garbage = json!({"Created_Time": "yesterday"});
        assert!(
            seed_times(&raw(garbage), "r", now)
                .unwrap_err()
                .contains("r.Created_Time")
        );
    }
}
