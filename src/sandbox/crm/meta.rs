//! Module, field, profile and permission metadata: the rows behind the settings APIs, and the
//! operations that keep them consistent (a new module gets its permissions for every profile
//! and its system fields; a lookup field gets a related list in the module it points at).

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::db::{next_id, now_ms};
use super::standard;

/// The four record permissions each module has in every profile.
pub const ACTIONS: [&str; 4] = ["View", "Create", "Edit", "Delete"];

pub const ADMIN_PROFILE: &str = "Administrator";

/// Zoho's permission name, e.g. `Crm_Implied_View_Potentials` for viewing Deals.
pub fn permission_name(action: &str, module_name: &str) -> String {
    format!("Crm_Implied_{action}_{module_name}")
}

#[derive(Debug, Clone)]
pub struct ModuleRow {
    pub id: String,
    pub api_name: String,
    pub module_name: String,
    pub singular_label: String,
    pub plural_label: String,
    pub generated_type: String,
    pub sequence: i64,
    pub description: Option<String>,
    pub display_field: String,
    pub notes_rl_id: String,
    pub attachments_rl_id: String,
    pub created_ms: i64,
    pub modified_ms: i64,
}

impl ModuleRow {
    pub fn is_custom(&self) -> bool {
        self.generated_type == "custom"
    }

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(ModuleRow {
            id: r.get(0)?,
            api_name: r.get(1)?,
            module_name: r.get(2)?,
            singular_label: r.get(3)?,
            plural_label: r.get(4)?,
            generated_type: r.get(5)?,
            sequence: r.get(6)?,
            description: r.get(7)?,
            display_field: r.get(8)?,
            notes_rl_id: r.get(9)?,
            attachments_rl_id: r.get(10)?,
            created_ms: r.get(11)?,
            modified_ms: r.get(12)?,
        })
    }
}

const MODULE_COLS: &str = "id, api_name, module_name, singular_label, plural_label, generated_type,
    sequence, description, display_field, notes_rl_id, attachments_rl_id, created_ms, modified_ms";

pub fn module_by_name(conn: &Connection, name: &str) -> rusqlite::Result<Option<ModuleRow>> {
    conn.query_row(
        &format!("SELECT {MODULE_COLS} FROM crm_modules WHERE api_name = ?1"),
        params![name],
        ModuleRow::from_row,
    )
    .optional()
}

pub fn module_by_id(conn: &Connection, id: &str) -> rusqlite::Result<Option<ModuleRow>> {
    conn.query_row(
        &format!("SELECT {MODULE_COLS} FROM crm_modules WHERE id = ?1"),
        params![id],
        ModuleRow::from_row,
    )
    .optional()
}

pub fn all_modules(conn: &Connection) -> rusqlite::Result<Vec<ModuleRow>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {MODULE_COLS} FROM crm_modules ORDER BY sequence, id"
    ))?;
    stmt.query_map([], ModuleRow::from_row)?.collect()
}

#[derive(Debug, Clone)]
pub struct FieldRow {
    pub id: String,
    pub module: String,
    pub api_name: String,
    pub field_label: String,
    pub data_type: String,
    pub custom: bool,
    pub mandatory: bool,
    pub read_only: bool,
    pub length: i64,
    pub lookup_module: Option<String>,
    pub rl_id: Option<String>,
    pub rl_api_name: Option<String>,
    pub rl_label: Option<String>,
    pub unique: bool,
    pub tooltip: Option<String>,
    pub description: Option<String>,
    pub pick_list: Vec<String>,
    pub sequence: i64,
    pub created_ms: i64,
    pub modified_ms: i64,
}

impl FieldRow {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        let pick_list: String = r.get(16)?;
        Ok(FieldRow {
            id: r.get(0)?,
            module: r.get(1)?,
            api_name: r.get(2)?,
            field_label: r.get(3)?,
            data_type: r.get(4)?,
            custom: r.get(5)?,
            mandatory: r.get(6)?,
            read_only: r.get(7)?,
            length: r.get(8)?,
            lookup_module: r.get(9)?,
            rl_id: r.get(10)?,
            rl_api_name: r.get(11)?,
            rl_label: r.get(12)?,
            unique: r.get(13)?,
            tooltip: r.get(14)?,
            description: r.get(15)?,
            pick_list: serde_json::from_str(&pick_list).unwrap_or_default(),
            sequence: r.get(17)?,
            created_ms: r.get(18)?,
            modified_ms: r.get(19)?,
        })
    }

    /// System fields are maintained by the sandbox and ignored in writes.
    pub fn is_system(&self) -> bool {
        matches!(
            self.api_name.as_str(),
            "Created_By" | "Modified_By" | "Created_Time" | "Modified_Time"
        )
    }
}

const FIELD_COLS: &str = "id, module, api_name, field_label, data_type, custom, mandatory,
    read_only, length, lookup_module, rl_id, rl_api_name, rl_label, unique_field, tooltip,
    description, pick_list, sequence, created_ms, modified_ms";

pub fn fields_of(conn: &Connection, module: &str) -> rusqlite::Result<Vec<FieldRow>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {FIELD_COLS} FROM crm_fields WHERE module = ?1 ORDER BY sequence, id"
    ))?;
    stmt.query_map(params![module], FieldRow::from_row)?
        .collect()
}

pub fn field_by_id(conn: &Connection, id: &str) -> rusqlite::Result<Option<FieldRow>> {
    conn.query_row(
        &format!("SELECT {FIELD_COLS} FROM crm_fields WHERE id = ?1"),
        params![id],
        FieldRow::from_row,
    )
    .optional()
}

/// Lookup fields (in any module) that point at `module`: each one is a related list there.
pub fn lookups_into(conn: &Connection, module: &str) -> rusqlite::Result<Vec<FieldRow>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {FIELD_COLS} FROM crm_fields
         WHERE data_type = 'lookup' AND lookup_module = ?1 COLLATE NOCASE
         ORDER BY created_ms, id"
    ))?;
    stmt.query_map(params![module], FieldRow::from_row)?
        .collect()
}

/// What a new module needs.
pub struct NewModule {
    pub api_name: String,
    pub module_name: Option<String>,
    pub singular_label: String,
    pub plural_label: String,
    pub custom: bool,
    pub display_field: String,
    pub description: Option<String>,
    /// Profiles (ids) whose users may see the module; `None` means every profile.
    pub profiles: Option<Vec<String>>,
}

/// Creates a module with its permissions in every profile and its system fields (plus the
/// mandatory `Name` field of a custom module).
pub fn create_module(conn: &Connection, new: NewModule) -> rusqlite::Result<ModuleRow> {
    let now = now_ms();
    let id = next_id(conn)?;
    let module_name = match &new.module_name {
        Some(n) => n.clone(),
        None => {
            let customs: i64 = conn.query_row(
                "SELECT COUNT(*) FROM crm_modules WHERE generated_type = 'custom'",
                [],
                |r| r.get(0),
            )?;
            format!("CustomModule{}", customs + 1)
        }
    };
    let sequence: i64 = conn.query_row(
        "SELECT COALESCE(MAX(sequence), 0) + 1 FROM crm_modules",
        [],
        |r| r.get(0),
    )?;
    let notes = next_id(conn)?;
    let attachments = next_id(conn)?;
    conn.execute(
        "INSERT INTO crm_modules(id, api_name, module_name, singular_label, plural_label,
            generated_type, sequence, description, display_field, notes_rl_id, attachments_rl_id,
            created_ms, modified_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
        params![
            id,
            new.api_name,
            module_name,
            new.singular_label,
            new.plural_label,
            if new.custom { "custom" } else { "default" },
            sequence,
            new.description,
            new.display_field,
            notes,
            attachments,
            now
        ],
    )?;
    add_permissions(conn, &new, &module_name)?;
    let module = module_by_id(conn, &id)?.expect("module just inserted");
    add_system_fields(conn, &module, new.custom)?;
    Ok(module)
}

/// The module's View/Create/Edit/Delete permissions in every profile: on for the
/// Administrator and the profiles `new.profiles` names (every profile when it names none).
fn add_permissions(conn: &Connection, new: &NewModule, module_name: &str) -> rusqlite::Result<()> {
    let admin_id = profile_id_by_name(conn, ADMIN_PROFILE)?;
    let profiles: Vec<String> = {
        let mut stmt = conn.prepare("SELECT id FROM crm_profiles")?;
        stmt.query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    for action in ACTIONS {
        let perm_id = next_id(conn)?;
        conn.execute(
            "INSERT INTO crm_permissions(id, module, action, name) VALUES (?1, ?2, ?3, ?4)",
            params![
                perm_id,
                new.api_name,
                action,
                permission_name(action, module_name)
            ],
        )?;
        for profile in &profiles {
            let enabled = Some(profile) == admin_id.as_ref()
                || new
                    .profiles
                    .as_ref()
                    .is_none_or(|ids| ids.contains(profile));
            conn.execute(
                "INSERT INTO crm_profile_permissions(profile_id, permission_id, enabled)
                 VALUES (?1, ?2, ?3)",
                params![profile, perm_id, enabled],
            )?;
        }
    }
    Ok(())
}

/// The Owner field every module has, and the mandatory Name of a custom module.
fn add_system_fields(conn: &Connection, module: &ModuleRow, custom: bool) -> rusqlite::Result<()> {
    let owner_label = format!("{} Owner", module.singular_label);
    let mut system = vec![NewField::system(
        "Owner",
        &owner_label,
        "ownerlookup",
        false,
    )];
    if custom {
        let name_label = format!("{} Name", module.singular_label);
        system.push(NewField {
            mandatory: true,
            ..NewField::system("Name", &name_label, "text", false)
        });
    }
    for field in system {
        insert_field(conn, module, field)?;
    }
    Ok(())
}

/// Adds the read-only audit fields every module ends with.
pub fn add_audit_fields(conn: &Connection, module: &ModuleRow) -> rusqlite::Result<()> {
    for (api, label, ty) in [
        ("Created_By", "Created By", "ownerlookup"),
        ("Modified_By", "Modified By", "ownerlookup"),
        ("Created_Time", "Created Time", "datetime"),
        ("Modified_Time", "Modified Time", "datetime"),
    ] {
        insert_field(conn, module, NewField::system(api, label, ty, true))?;
    }
    Ok(())
}

/// Creates a standard module with its standard fields.
pub fn create_standard_module(
    conn: &Connection,
    std: &standard::StdModule,
) -> rusqlite::Result<ModuleRow> {
    let module = create_module(
        conn,
        NewModule {
            api_name: std.api_name.to_string(),
            module_name: Some(std.module_name.to_string()),
            singular_label: std.singular.to_string(),
            plural_label: std.plural.to_string(),
            custom: false,
            display_field: std.display_field.to_string(),
            description: None,
            profiles: None,
        },
    )?;
    for f in std.fields {
        insert_field(
            conn,
            &module,
            NewField {
                mandatory: f.mandatory,
                read_only: f.api_name == "Full_Name",
                lookup_module: f.lookup.map(str::to_string),
                pick_list: f.pick_list.iter().map(|s| s.to_string()).collect(),
                ..NewField::system(f.api_name, f.label, f.data_type, false)
            },
        )?;
    }
    add_audit_fields(conn, &module)?;
    Ok(module)
}

/// What a new field needs; validation happens in the API layer before this.
#[derive(Debug, Clone)]
pub struct NewField {
    pub api_name: String,
    pub field_label: String,
    pub data_type: String,
    pub custom: bool,
    pub mandatory: bool,
    pub read_only: bool,
    pub length: Option<i64>,
    pub lookup_module: Option<String>,
    pub rl_api_name: Option<String>,
    pub rl_label: Option<String>,
    pub unique: bool,
    pub tooltip: Option<String>,
    pub description: Option<String>,
    pub pick_list: Vec<String>,
}

impl NewField {
    pub fn system(api_name: &str, label: &str, data_type: &str, read_only: bool) -> Self {
        NewField {
            api_name: api_name.to_string(),
            field_label: label.to_string(),
            data_type: data_type.to_string(),
            custom: false,
            mandatory: false,
            read_only,
            length: None,
            lookup_module: None,
            rl_api_name: None,
            rl_label: None,
            unique: false,
            tooltip: None,
            description: None,
            pick_list: Vec::new(),
        }
    }
}

/// Inserts a field; a lookup also becomes a related list in the module it points at.
pub fn insert_field(
    conn: &Connection,
    module: &ModuleRow,
    new: NewField,
) -> rusqlite::Result<FieldRow> {
    let now = now_ms();
    let id = next_id(conn)?;
    let sequence: i64 = conn.query_row(
        "SELECT COALESCE(MAX(sequence), 0) + 1 FROM crm_fields WHERE module = ?1",
        params![module.api_name],
        |r| r.get(0),
    )?;
    let (rl_id, rl_api_name, rl_label) = match &new.lookup_module {
        Some(target) => {
            let label = new
                .rl_label
                .clone()
                .unwrap_or_else(|| module.plural_label.clone());
            let wanted = new
                .rl_api_name
                .clone()
                .unwrap_or_else(|| module.api_name.clone());
            let api = unique_related_list_name(conn, target, &wanted)?;
            (Some(next_id(conn)?), Some(api), Some(label))
        }
        None => (None, None, None),
    };
    let length = new
        .length
        .unwrap_or_else(|| standard::default_length(&new.data_type));
    conn.execute(
        "INSERT INTO crm_fields(id, module, api_name, field_label, data_type, custom, mandatory,
            read_only, length, lookup_module, rl_id, rl_api_name, rl_label, unique_field,
            tooltip, description, pick_list, sequence, created_ms, modified_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
            ?18, ?19, ?19)",
        params![
            id,
            module.api_name,
            new.api_name,
            new.field_label,
            new.data_type,
            new.custom,
            new.mandatory,
            new.read_only,
            length,
            new.lookup_module,
            rl_id,
            rl_api_name,
            rl_label,
            new.unique,
            new.tooltip,
            new.description,
            serde_json::to_string(&new.pick_list).unwrap_or_else(|_| "[]".into()),
            sequence,
            now
        ],
    )?;
    touch_module(conn, &module.api_name)?;
    Ok(field_by_id(conn, &id)?.expect("field just inserted"))
}

/// Moves a module's `modified_time` to now, for a change to its fields. Zoho documents the
/// module list's `modified_time` as when the module was last customised; that adding,
/// changing or deleting a field is such a customisation is inferred (Zoho's mobile SDK
/// fetches customised modules with `getModules(modifiedSince:)`), not stated. projectlink
/// reads a module's fields again only when this time moved (`live/metadata.rs`).
pub fn touch_module(conn: &Connection, api_name: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE crm_modules SET modified_ms = ?2 WHERE api_name = ?1",
        params![api_name, now_ms()],
    )?;
    Ok(())
}

/// A related-list api name not yet used in `target` (Zoho keeps them unique per module).
fn unique_related_list_name(
    conn: &Connection,
    target: &str,
    wanted: &str,
) -> rusqlite::Result<String> {
    let taken: Vec<String> = lookups_into(conn, target)?
        .into_iter()
        .filter_map(|f| f.rl_api_name)
        .collect();
    if !taken.iter().any(|t| t.eq_ignore_ascii_case(wanted)) {
        return Ok(wanted.to_string());
    }
    Ok((1..)
        .map(|n| format!("{wanted}{n}"))
        .find(|c| !taken.iter().any(|t| t.eq_ignore_ascii_case(c)))
        .expect("an unused name exists"))
}

pub fn profile_id_by_name(conn: &Connection, name: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT id FROM crm_profiles WHERE name = ?1",
        params![name],
        |r| r.get(0),
    )
    .optional()
}

/// Creates a profile; its permissions on every existing module start as `enabled`
/// (always enabled for the Administrator profile).
pub fn create_profile(
    conn: &Connection,
    name: &str,
    description: Option<&str>,
    custom: bool,
    enabled: bool,
) -> rusqlite::Result<String> {
    let id = next_id(conn)?;
    let now = now_ms();
    conn.execute(
        "INSERT INTO crm_profiles(id, name, description, is_default, custom, created_ms,
            modified_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![id, name, description, name == "Standard", custom, now],
    )?;
    let enabled = enabled || name.eq_ignore_ascii_case(ADMIN_PROFILE);
    conn.execute(
        "INSERT INTO crm_profile_permissions(profile_id, permission_id, enabled)
         SELECT ?1, id, ?2 FROM crm_permissions",
        params![id, enabled],
    )?;
    Ok(id)
}

/// Sets one of a profile's module permissions (seed overrides and the profile update API),
/// and moves the profile's `modified_time`, which Zoho documents on profiles (list and
/// single GET) and which projectlink reads permissions again by.
pub fn set_permission(
    conn: &Connection,
    profile_id: &str,
    module: &str,
    action: &str,
    enabled: bool,
) -> rusqlite::Result<bool> {
    let changed = conn.execute(
        "UPDATE crm_profile_permissions SET enabled = ?3
         WHERE profile_id = ?1 AND permission_id =
            (SELECT id FROM crm_permissions WHERE module = ?2 AND action = ?4)",
        params![profile_id, module, enabled, action],
    )?;
    if changed > 0 {
        conn.execute(
            "UPDATE crm_profiles SET modified_ms = ?2 WHERE id = ?1",
            params![profile_id, now_ms()],
        )?;
    }
    Ok(changed > 0)
}

/// Whether `profile_id` holds `action` on `module`.
pub fn has_permission(
    conn: &Connection,
    profile_id: &str,
    module: &str,
    action: &str,
) -> rusqlite::Result<bool> {
    Ok(conn
        .query_row(
            "SELECT pp.enabled FROM crm_profile_permissions pp
             JOIN crm_permissions p ON p.id = pp.permission_id
             WHERE pp.profile_id = ?1 AND p.module = ?2 AND p.action = ?3",
            params![profile_id, module, action],
            |r| r.get::<_, bool>(0),
        )
        .optional()?
        .unwrap_or(false))
}

#[cfg(test)]
#[path = "meta_tests.rs"]
mod tests;
