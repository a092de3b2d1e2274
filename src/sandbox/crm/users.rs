//! CRM users: list (type filter, paging, ids, If-Modified-Since → 304), get, count, add (one
//! user per request, as Zoho enforces) and update (one user per request).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use serde_json::{Map, Value, json};

use super::context::{
    Caller, Params, caller, full_name, json_object, opt_ref_id, opt_str, require_admin,
    wrapper_array,
};
use super::db::{iso, next_id, now_ms, parse_iso};
use super::respond::{self, success};
use super::values::looks_like_email;
use crate::sandbox::error::CrmError;
use crate::sandbox::server::AppState;

const MANAGE_USERS: &str = "Crm_Implied_Manage_Users";
const MAX_PER_PAGE: u64 = 200;

struct UserRow {
    id: String,
    zuid: String,
    email: String,
    first_name: Option<String>,
    last_name: String,
    status: String,
    confirm: bool,
    profile: (String, String),
    role: (String, String),
    reporting_to: Option<String>,
    extra: Map<String, Value>,
    created_ms: i64,
    modified_ms: i64,
}

const USER_SELECT: &str = "SELECT u.id, u.zuid, u.email, u.first_name, u.last_name, u.status,
    u.confirm, p.id, p.name, r.id, r.name, u.reporting_to, u.extra, u.created_ms, u.modified_ms
    FROM crm_users u
    JOIN crm_profiles p ON p.id = u.profile_id
    JOIN crm_roles r ON r.id = u.role_id";

impl UserRow {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        let extra: String = r.get(12)?;
        Ok(UserRow {
            id: r.get(0)?,
            zuid: r.get(1)?,
            email: r.get(2)?,
            first_name: r.get(3)?,
            last_name: r.get(4)?,
            status: r.get(5)?,
            confirm: r.get(6)?,
            profile: (r.get(7)?, r.get(8)?),
            role: (r.get(9)?, r.get(10)?),
            reporting_to: r.get(11)?,
            extra: serde_json::from_str(&extra).unwrap_or_default(),
            created_ms: r.get(13)?,
            modified_ms: r.get(14)?,
        })
    }
}

/// Another user as a user record mentions them (creator, modifier, manager).
struct Person {
    name: String,
    first: Option<String>,
    last: String,
    email: String,
}

fn person(conn: &Connection, id: &str) -> rusqlite::Result<Option<Person>> {
    conn.query_row(
        "SELECT first_name, last_name, email FROM crm_users WHERE id = ?1",
        params![id],
        |r| {
            let first: Option<String> = r.get(0)?;
            let last: String = r.get(1)?;
            Ok(Person {
                name: full_name(first.as_deref(), &last),
                first,
                last,
                email: r.get(2)?,
            })
        },
    )
    .optional()
}

/// A user as `GET /users` returns it.
fn render(conn: &Connection, u: &UserRow) -> rusqlite::Result<Value> {
    let created_by_id = u
        .extra
        .get("created_by")
        .and_then(Value::as_str)
        .unwrap_or(&u.id)
        .to_string();
    let modified_by_id = u
        .extra
        .get("modified_by")
        .and_then(Value::as_str)
        .unwrap_or(&created_by_id)
        .to_string();
    let text = |k: &str| u.extra.get(k).cloned().unwrap_or(Value::Null);
    let mut out = json!({
        "id": u.id,
        "zuid": u.zuid,
        "email": u.email,
        "first_name": u.first_name.clone().unwrap_or_default(),
        "last_name": u.last_name,
        "full_name": full_name(u.first_name.as_deref(), &u.last_name),
        "status": u.status,
        "confirm": u.confirm,
        "profile": { "name": u.profile.1, "id": u.profile.0 },
        "role": { "name": u.role.1, "id": u.role.0 },
        "time_zone": u.extra.get("time_zone").cloned().unwrap_or(json!("Etc/UTC")),
        "phone": text("phone"),
        "mobile": text("mobile"),
        "country": text("country"),
        "city": text("city"),
        "locale": "en_US",
        "language": "en_US",
        "country_locale": "en_US",
        "date_format": "MMM d, yyyy",
        "time_format": "hh:mm a",
        "decimal_separator": "Period",
        "name_format__s": "Salutation,First Name,Last Name",
        "sort_order_preference__s": "First Name,Last Name",
        "category": "regular_user",
        "offset": 0,
        "Isonline": false,
        "microsoft": false,
        "personal_account": false,
        "sandboxDeveloper": false,
        "default_tab_group": "0",
        "status_reason__s": null,
        "created_time": iso(u.created_ms),
        "Modified_Time": iso(u.modified_ms),
    });
    if let Some(p) = person(conn, &created_by_id)? {
        out["created_by"] = json!({ "name": p.name, "id": created_by_id, "email": p.email });
    }
    if let Some(p) = person(conn, &modified_by_id)? {
        out["Modified_By"] = json!({
            "name": p.name, "id": modified_by_id, "first_name": p.first, "last_name": p.last
        });
    }
    if let Some(manager) = &u.reporting_to
        && let Some(p) = person(conn, manager)?
    {
        out["Reporting_To"] = json!({ "name": p.name, "id": manager, "email": p.email });
    }
    Ok(out)
}

/// The SQL condition for a `type` filter.
fn type_filter(kind: &str, caller: &Caller) -> Result<String, CrmError> {
    Ok(match kind {
        "AllUsers" => "1".into(),
        "ActiveUsers" => "u.status = 'active'".into(),
        "DeactiveUsers" => "u.status <> 'active'".into(),
        "ConfirmedUsers" => "u.confirm = 1".into(),
        "NotConfirmedUsers" => "u.confirm = 0".into(),
        "DeletedUsers" => "0".into(),
        "ActiveConfirmedUsers" => "u.status = 'active' AND u.confirm = 1".into(),
        "AdminUsers" => "p.name = 'Administrator'".into(),
        "ActiveConfirmedAdmins" => {
            "u.status = 'active' AND u.confirm = 1 AND p.name = 'Administrator'".into()
        }
        "CurrentUser" => format!("u.id = '{}'", caller.user_id.replace('\'', "")),
        _ => return Err(CrmError::invalid_param("type", "invalid data")),
    })
}

/// `GET /users`.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, CrmError> {
    let caller = caller(&state, &headers, "ZohoCRM.users.READ")?;
    let mut filter = type_filter(params.get("type").unwrap_or("AllUsers"), &caller)?;
    let per_page = params.number("per_page")?.unwrap_or(MAX_PER_PAGE);
    if per_page > MAX_PER_PAGE {
        return Err(CrmError::invalid_param("per_page", "invalid data"));
    }
    let page = params.number("page")?.unwrap_or(1);
    let mut args: Vec<String> = Vec::new();
    let ids = params.list("ids");
    if ids.len() > super::records::MAX_IDS {
        return Err(CrmError::record_limit(super::records::MAX_IDS as u64));
    }
    if !ids.is_empty() {
        filter.push_str(&format!(
            " AND u.id IN ({})",
            vec!["?"; ids.len()].join(",")
        ));
        args.extend(ids);
    }
    let since = headers
        .get("If-Modified-Since")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_iso);
    if let Some(t) = since {
        filter.push_str(&format!(" AND u.modified_ms > {t}"));
    }
    let offset = (page - 1) * per_page;
    let (total, users) = state.store.with(|c| {
        let total: i64 = c.query_row(
            &format!(
                "SELECT COUNT(*) FROM crm_users u JOIN crm_profiles p ON p.id = u.profile_id
                 WHERE {filter}"
            ),
            params_from_iter(args.iter()),
            |r| r.get(0),
        )?;
        let mut stmt = c.prepare(&format!(
            "{USER_SELECT} WHERE {filter} ORDER BY u.id LIMIT {per_page} OFFSET {offset}"
        ))?;
        let rows = stmt
            .query_map(params_from_iter(args.iter()), UserRow::from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let rendered = rows
            .iter()
            .map(|u| render(c, u))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok::<_, rusqlite::Error>((total as u64, rendered))
    })?;
    if total == 0 && since.is_some() {
        return Ok(respond::not_modified());
    }
    if users.is_empty() {
        return Ok(respond::no_content());
    }
    let more = offset + (users.len() as u64) < total;
    let info = respond::info(per_page, users.len(), page, more);
    Ok(respond::json(
        StatusCode::OK,
        json!({ "users": users, "info": info }),
    ))
}

/// `GET /users/{id}`.
pub async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, CrmError> {
    caller(&state, &headers, "ZohoCRM.users.READ")?;
    let since = headers
        .get("If-Modified-Since")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_iso);
    let found = state.store.with(|c| {
        let row = c
            .query_row(
                &format!("{USER_SELECT} WHERE u.id = ?1"),
                params![id],
                UserRow::from_row,
            )
            .optional()?;
        match row {
            Some(u) => Ok::<_, rusqlite::Error>(Some((u.modified_ms, render(c, &u)?))),
            None => Ok(None),
        }
    })?;
    match found {
        None => Ok(respond::no_content()),
        Some((modified, _)) if since.is_some_and(|t| modified <= t) => Ok(respond::not_modified()),
        Some((_, user)) => Ok(respond::json(
            StatusCode::OK,
            json!({ "users": [user], "info": respond::info(200, 1, 1, false) }),
        )),
    }
}

/// `GET /users/actions/count`.
pub async fn count(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, CrmError> {
    let caller = caller(&state, &headers, "ZohoCRM.users.READ")?;
    let filter = type_filter(params.get("type").unwrap_or("AllUsers"), &caller)?;
    let n: i64 = state.store.with(|c| {
        c.query_row(
            &format!(
                "SELECT COUNT(*) FROM crm_users u JOIN crm_profiles p ON p.id = u.profile_id
                 WHERE {filter}"
            ),
            [],
            |r| r.get(0),
        )
    })?;
    Ok(respond::json(
        StatusCode::OK,
        // A number: Zoho's SDKs parse it as an integer and reject a string; users.json's
        // `string` is a documented defect (docs/sandbox.md).
        json!({ "count": n }),
    ))
}

/// The single user of a `{"users":[...]}` body; more than one is Zoho's maximum-length error.
fn single_user(body: &[u8]) -> Result<Map<String, Value>, Box<Response>> {
    let respond = |e: CrmError| Box::new(axum::response::IntoResponse::into_response(e));
    let body = json_object(body).map_err(respond)?;
    let items = wrapper_array(&body, "users").map_err(respond)?;
    if items.len() > 1 {
        return Err(Box::new(
            CrmError::max_length("users", "$.users", 1).wrapped("users"),
        ));
    }
    match items.into_iter().next() {
        Some(Value::Object(user)) => Ok(user),
        _ => Err(Box::new(
            CrmError::expected_type("users", "$.users[0]", "jsonobject").wrapped("users"),
        )),
    }
}

fn exists(conn: &Connection, table: &str, id: &str) -> rusqlite::Result<bool> {
    Ok(conn
        .query_row(
            &format!("SELECT 1 FROM {table} WHERE id = ?1"),
            params![id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// `POST /users`: adds one user (status active, not yet confirmed).
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CrmError> {
    let caller = caller(&state, &headers, "ZohoCRM.users.CREATE")?;
    require_admin(&caller, MANAGE_USERS)?;
    let user = match single_user(&body) {
        Ok(u) => u,
        Err(response) => return Ok(*response),
    };
    let p = "$.users[0]";
    let result = state.store.with(|c| -> Result<String, CrmError> {
        let last = opt_str(&user, "last_name", p)?
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| CrmError::mandatory_missing("last_name", &format!("{p}.last_name")))?;
        let first = opt_str(&user, "first_name", p)?;
        let email = opt_str(&user, "email", p)?
            .ok_or_else(|| CrmError::mandatory_missing("email", &format!("{p}.email")))?;
        if !looks_like_email(email) {
            return Err(CrmError::invalid_data("email", &format!("{p}.email")));
        }
        let role = opt_ref_id(&user, "role", p)?
            .ok_or_else(|| CrmError::mandatory_missing("role", &format!("{p}.role")))?;
        let profile = opt_ref_id(&user, "profile", p)?
            .ok_or_else(|| CrmError::mandatory_missing("profile", &format!("{p}.profile")))?;
        if !exists(c, "crm_roles", &role)? {
            return Err(CrmError::invalid_data("role", &format!("{p}.role")));
        }
        if !exists(c, "crm_profiles", &profile)? {
            return Err(CrmError::invalid_data("profile", &format!("{p}.profile")));
        }
        let taken: bool = c
            .query_row(
                "SELECT 1 FROM crm_users WHERE email = ?1",
                params![email],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if taken {
            return Err(CrmError::duplicate("email", &format!("{p}.email")));
        }
        let id = next_id(c)?;
        let now = now_ms();
        let extra = json!({ "created_by": caller.user_id });
        c.execute(
            "INSERT INTO crm_users(id, zuid, email, first_name, last_name, status, confirm,
                profile_id, role_id, extra, created_ms, modified_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, 'active', 0, ?6, ?7, ?8, ?9, ?9)",
            params![
                id,
                zuid_for(&id),
                email,
                first,
                last,
                profile,
                role,
                extra.to_string(),
                now
            ],
        )?;
        Ok(id)
    });
    Ok(match result {
        Ok(id) => respond::json(
            StatusCode::CREATED,
            json!({ "users": [success("User added", json!({ "id": id }))] }),
        ),
        Err(e) if e.status == StatusCode::BAD_REQUEST => e.wrapped("users"),
        Err(e) => axum::response::IntoResponse::into_response(e),
    })
}

/// A Zoho user id (zuid) derived from the CRM user id.
pub fn zuid_for(id: &str) -> String {
    format!("7{}", &id[id.len().saturating_sub(8)..])
}

/// `PUT /users`.
pub async fn update_many(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CrmError> {
    update(state, headers, None, body).await
}

/// `PUT /users/{id}`.
pub async fn update_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CrmError> {
    update(state, headers, Some(id), body).await
}

async fn update(
    state: AppState,
    headers: HeaderMap,
    path_id: Option<String>,
    body: Bytes,
) -> Result<Response, CrmError> {
    let caller = caller(&state, &headers, "ZohoCRM.users.UPDATE")?;
    require_admin(&caller, MANAGE_USERS)?;
    let user = match single_user(&body) {
        Ok(u) => u,
        Err(response) => return Ok(*response),
    };
    let result = state
        .store
        .with(|c| apply_update(c, &user, path_id, &caller.user_id));
    Ok(match result {
        Ok(id) => respond::json(
            StatusCode::OK,
            json!({ "users": [success("User updated", json!({ "id": id }))] }),
        ),
        Err(e) if e.status == StatusCode::BAD_REQUEST => e.wrapped("users"),
        Err(e) => axum::response::IntoResponse::into_response(e),
    })
}

/// Applies one `PUT /users` item to the user the path or the item's `id` names; the user's
/// id, or why the change is refused.
fn apply_update(
    c: &Connection,
    user: &Map<String, Value>,
    path_id: Option<String>,
    caller_id: &str,
) -> Result<String, CrmError> {
    let p = "$.users[0]";
    let id = match path_id {
        Some(id) => id,
        None => opt_ref_id(user, "id", p)?
            .ok_or_else(|| CrmError::mandatory_missing("id", &format!("{p}.id")))?,
    };
    let (status, email, extra) = c
        .query_row(
            "SELECT status, email, extra FROM crm_users WHERE id = ?1",
            params![id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            },
        )
        .optional()?
        .ok_or_else(|| CrmError::invalid_data("id", &format!("{p}.id")))?;
    let new_status = status_change(c, user, &status, &email)?;
    let sets = column_changes(c, user, new_status)?;
    let mut extra: Map<String, Value> = serde_json::from_str(&extra).unwrap_or_default();
    for key in ["phone", "mobile", "time_zone", "country", "city"] {
        if let Some(v) = opt_str(user, key, p)? {
            extra.insert(key.into(), json!(v));
        }
    }
    extra.insert("modified_by".into(), json!(caller_id));
    for (column, value) in sets {
        c.execute(
            &format!("UPDATE crm_users SET {column} = ?2 WHERE id = ?1"),
            params![id, value.as_str()],
        )?;
    }
    c.execute(
        "UPDATE crm_users SET extra = ?2, modified_ms = ?3 WHERE id = ?1",
        params![id, Value::Object(extra).to_string(), now_ms()],
    )?;
    Ok(id)
}

/// The status an update asks for (`disabled` is Zoho's other word for `inactive`). Only
/// reactivation may touch a deactivated user, and the org's primary contact stays active.
fn status_change(
    c: &Connection,
    user: &Map<String, Value>,
    status: &str,
    email: &str,
) -> Result<Option<&'static str>, CrmError> {
    let p = "$.users[0]";
    let new_status = match opt_str(user, "status", p)? {
        None => None,
        Some("active") => Some("active"),
        Some("inactive") | Some("disabled") => Some("inactive"),
        Some(_) => return Err(CrmError::invalid_data("status", &format!("{p}.status"))),
    };
    if status != "active" && new_status != Some("active") {
        let mut e = CrmError::invalid_data("id", &format!("{p}.id"));
        e.message = "a deactivated user cannot be updated".into();
        return Err(e);
    }
    let primary = super::org::load(c)?
        .and_then(|o| o["primary_email"].as_str().map(str::to_string))
        .unwrap_or_default();
    if new_status == Some("inactive") && email.eq_ignore_ascii_case(&primary) {
        let mut e = CrmError::invalid_data("status", &format!("{p}.status"));
        e.message = "the primary contact cannot be deactivated".into();
        return Err(e);
    }
    Ok(new_status)
}

/// The `crm_users` columns an update sets, each checked: a non-blank last name, and a role,
/// profile and manager that exist.
fn column_changes(
    c: &Connection,
    user: &Map<String, Value>,
    new_status: Option<&str>,
) -> Result<Vec<(&'static str, Value)>, CrmError> {
    let p = "$.users[0]";
    let mut sets: Vec<(&str, Value)> = Vec::new();
    if let Some(s) = new_status {
        sets.push(("status", json!(s)));
    }
    if let Some(first) = opt_str(user, "first_name", p)? {
        sets.push(("first_name", json!(first)));
    }
    if let Some(last) = opt_str(user, "last_name", p)? {
        if last.trim().is_empty() {
            return Err(CrmError::mandatory_missing(
                "last_name",
                &format!("{p}.last_name"),
            ));
        }
        sets.push(("last_name", json!(last)));
    }
    for (key, table, column) in [
        ("role", "crm_roles", "role_id"),
        ("profile", "crm_profiles", "profile_id"),
        ("Reporting_To", "crm_users", "reporting_to"),
    ] {
        if let Some(id) = opt_ref_id(user, key, p)? {
            if !exists(c, table, &id)? {
                return Err(CrmError::invalid_data(key, &format!("{p}.{key}")));
            }
            sets.push((column, json!(id)));
        }
    }
    Ok(sets)
}
