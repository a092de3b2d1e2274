//! What every CRM handler starts with: who is calling (token, scope, the CRM user behind the
//! grant and their profile), the query parameters, and the JSON body, each failing with
//! Zoho's own error bodies.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Query};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value, json};

use super::meta::{self, ModuleRow};
use crate::sandbox::auth::{self, AuthFailure};
use crate::sandbox::error::CrmError;
use crate::sandbox::server::AppState;

/// The CRM user a request acts as.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub email: String,
    pub full_name: String,
    pub profile_id: String,
    pub is_admin: bool,
}

impl Caller {
    /// `{"name","id","email"}` as Zoho writes users into `Owner`, `Created_By`...
    pub fn minified(&self) -> Value {
        json!({ "name": self.full_name, "id": self.user_id, "email": self.email })
    }
}

/// Authenticates, checks `scope`, and resolves the grant's user to an active CRM user.
pub fn caller(state: &AppState, headers: &HeaderMap, scope: &str) -> Result<Caller, CrmError> {
    let principal = auth::require(state, headers, scope)?;
    resolve_user(state, &principal.user_email)
}

/// Like [`caller`] for a module's records: standard modules need
/// `ZohoCRM.modules.<module>.<op>`; custom modules accept `ZohoCRM.modules.custom.<op>` too.
pub fn module_caller(
    state: &AppState,
    headers: &HeaderMap,
    module: &ModuleRow,
    op: &str,
) -> Result<Caller, CrmError> {
    let own = format!(
        "ZohoCRM.modules.{}.{op}",
        module.api_name.to_ascii_lowercase()
    );
    let principal = match auth::require(state, headers, &own) {
        Err(AuthFailure::ScopeMismatch { .. }) if module.is_custom() => {
            auth::require(state, headers, &format!("ZohoCRM.modules.custom.{op}"))?
        }
        other => other?,
    };
    resolve_user(state, &principal.user_email)
}

/// Only checks the token (used before the module in the path is known to exist).
pub fn authenticated(state: &AppState, headers: &HeaderMap) -> Result<(), CrmError> {
    auth::authenticate(state, headers)?;
    Ok(())
}

fn resolve_user(state: &AppState, email: &str) -> Result<Caller, CrmError> {
    let found = state.store.with(|c| {
        c.query_row(
            "SELECT u.id, u.email, u.first_name, u.last_name, u.profile_id, p.name
             FROM crm_users u JOIN crm_profiles p ON p.id = u.profile_id
             WHERE u.email = ?1 AND u.status = 'active'",
            params![email],
            |r| {
                let first: Option<String> = r.get(2)?;
                let last: String = r.get(3)?;
                let profile_name: String = r.get(5)?;
                Ok(Caller {
                    user_id: r.get(0)?,
                    email: r.get(1)?,
                    full_name: full_name(first.as_deref(), &last),
                    profile_id: r.get(4)?,
                    is_admin: profile_name.eq_ignore_ascii_case(meta::ADMIN_PROFILE),
                })
            },
        )
        .optional()
    })?;
    found.ok_or_else(CrmError::authentication_failure)
}

pub fn full_name(first: Option<&str>, last: &str) -> String {
    match first.map(str::trim).filter(|f| !f.is_empty()) {
        Some(first) => format!("{first} {last}"),
        None => last.to_string(),
    }
}

/// The org's first Administrator as Zoho shows a last modifier (`{name, id, email}`), or
/// `{name: "", id: null}` when the org has none.
pub fn first_admin(conn: &Connection) -> rusqlite::Result<Value> {
    let admin = conn
        .query_row(
            "SELECT u.id, u.first_name, u.last_name, u.email FROM crm_users u
             JOIN crm_profiles p ON p.id = u.profile_id
             WHERE p.name = 'Administrator' ORDER BY u.id LIMIT 1",
            [],
            |r| {
                let first: Option<String> = r.get(1)?;
                let last: String = r.get(2)?;
                Ok(json!({
                    "name": full_name(first.as_deref(), &last),
                    "id": r.get::<_, String>(0)?,
                    "email": r.get::<_, String>(3)?,
                }))
            },
        )
        .optional()?;
    Ok(admin.unwrap_or_else(|| json!({ "name": "", "id": null })))
}

/// Checks the caller's profile holds `action` (View/Create/Edit/Delete) on the module.
pub fn require_permission(
    conn: &Connection,
    caller: &Caller,
    module: &ModuleRow,
    action: &str,
) -> Result<(), CrmError> {
    if meta::has_permission(conn, &caller.profile_id, &module.api_name, action)? {
        Ok(())
    } else {
        Err(CrmError::no_permission(&[meta::permission_name(
            action,
            &module.module_name,
        )]))
    }
}

/// Settings changes need the Administrator profile ("Customize Zoho CRM").
pub fn require_admin(caller: &Caller, permission: &str) -> Result<(), CrmError> {
    if caller.is_admin {
        Ok(())
    } else {
        Err(CrmError::no_permission(&[permission.to_string()]))
    }
}

/// Largest value of an int32 parameter.
pub const MAX_INT32: u64 = i32::MAX as u64;
/// Field names one read may ask for (Zoho: "up to 50 fields").
pub const MAX_FIELDS: usize = 50;

/// Query parameters; a query string that cannot be decoded is answered as Zoho's bad data.
#[derive(Debug, Default)]
pub struct Params(pub HashMap<String, String>);

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    /// An optional positive integer parameter. Zoho types `page` and `per_page` as int32,
    /// so anything past `i32::MAX` is its invalid data too (and page arithmetic on what is
    /// accepted cannot overflow).
    pub fn number(&self, name: &str) -> Result<Option<u64>, CrmError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=MAX_INT32).contains(n))
                .map(Some)
                .ok_or_else(|| CrmError::invalid_param(name, "invalid data")),
        }
    }

    /// The `fields` parameter of a read, at most [`MAX_FIELDS`] names.
    // (unconfirmed) record.json enumerates LIMIT_EXCEEDED "Max field limit exceeded"; the
    // details are the sandbox's.
    pub fn fields(&self) -> Result<Vec<String>, CrmError> {
        let fields = self.list("fields");
        if fields.len() > MAX_FIELDS {
            return Err(CrmError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "LIMIT_EXCEEDED",
                "Max field limit exceeded",
            )
            .with_details(json!({ "param": "fields", "limit": MAX_FIELDS })));
        }
        Ok(fields)
    }

    /// A comma-separated list parameter.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = CrmError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, CrmError> {
        match Query::<Vec<(String, String)>>::try_from_uri(&parts.uri) {
            Ok(Query(pairs)) => Ok(Params(pairs.into_iter().collect())),
            Err(_) => Err(CrmError::invalid_param("query", "invalid data")),
        }
    }
}

/// Parses a request body that must be a JSON object.
pub fn json_object(body: &[u8]) -> Result<Map<String, Value>, CrmError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(CrmError::malformed_body()),
    }
}

/// The array under `key` (`data`, `users`, `fields`...) of a write body.
pub fn wrapper_array(body: &Map<String, Value>, key: &str) -> Result<Vec<Value>, CrmError> {
    match body.get(key) {
        None | Some(Value::Null) => Err(CrmError::mandatory_missing(key, &format!("$.{key}"))),
        Some(Value::Array(items)) if items.is_empty() => {
            Err(CrmError::invalid_data(key, &format!("$.{key}")))
        }
        Some(Value::Array(items)) => Ok(items.clone()),
        Some(_) => Err(CrmError::expected_type(
            key,
            &format!("$.{key}"),
            "jsonarray",
        )),
    }
}

/// A module named in the URL path, or Zoho's `INVALID_MODULE` error.
pub fn path_module(conn: &Connection, name: &str) -> Result<ModuleRow, CrmError> {
    meta::module_by_name(conn, name)?.ok_or_else(|| CrmError::invalid_module_in_path(0))
}

/// A module named in the `module` query parameter (settings APIs).
pub fn param_module(conn: &Connection, params: &Params) -> Result<ModuleRow, CrmError> {
    let name = params
        .get("module")
        .ok_or_else(|| CrmError::required_param_missing("module"))?;
    meta::module_by_name(conn, name)?.ok_or_else(CrmError::invalid_module_param)
}

/// An optional string member of a JSON object, rejecting other types.
pub fn opt_str<'a>(
    item: &'a Map<String, Value>,
    key: &str,
    json_path: &str,
) -> Result<Option<&'a str>, CrmError> {
    match item.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(CrmError::expected_type(
            key,
            &format!("{json_path}.{key}"),
            "string",
        )),
    }
}

/// An `{"id": "..."}` reference member (also accepts a bare id string).
pub fn opt_ref_id(
    item: &Map<String, Value>,
    key: &str,
    json_path: &str,
) -> Result<Option<String>, CrmError> {
    match item.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(n @ Value::Number(_)) => body_id(n)
            .map(Some)
            .ok_or_else(|| CrmError::invalid_data(key, &format!("{json_path}.{key}"))),
        Some(Value::Object(o)) => match o.get("id").and_then(body_id) {
            Some(id) => Ok(Some(id)),
            None => Err(CrmError::mandatory_missing(
                "id",
                &format!("{json_path}.{key}.id"),
            )),
        },
        Some(_) => Err(CrmError::expected_type(
            key,
            &format!("{json_path}.{key}"),
            "jsonobject",
        )),
    }
}

/// An id written in a request body: Zoho sends ids as strings, but its SDKs serialise them
/// as JSON numbers (the Python SDK types every id as an integer), and Zoho accepts both.
/// Anything else (an empty string, a negative or fractional number) is not an id.
pub fn body_id(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::sandbox::hostile_input;

    fn one(name: &str, value: String) -> Params {
        Params(HashMap::from([(name.to_string(), value)]))
    }

    proptest! {
        #![proptest_config(hostile_input::config(256))]

        #[test]
        fn numbers_are_int32_or_zohos_invalid_data(value in hostile_input::text()) {
            match one("page", value.clone()).number("page") {
                Ok(None) => prop_assert!(value.trim().is_empty()),
                Ok(Some(n)) => prop_assert!((1..=MAX_INT32).contains(&n)),
                Err(e) => {
                    prop_assert_eq!((e.status.as_u16(), e.code), (400, "INVALID_DATA"));
                    prop_assert_eq!(&e.details["param_name"], "page");
                }
            }
        }

        #[test]
        fn field_lists_past_fifty_are_a_limit(n in 0usize..400) {
            let fields = one("fields", vec!["Email"; n].join(",")).fields();
            prop_assert_eq!(fields.is_ok(), n <= MAX_FIELDS);
        }
    }

    #[test]
    fn the_page_that_once_overflowed_is_invalid_data() {
        let e = one("page", "9223372036854775808".into())
            .number("page")
            .unwrap_err();
        assert_eq!(e.code, "INVALID_DATA");
        let max = one("page", i32::MAX.to_string()).number("page").unwrap();
        assert_eq!(max, Some(MAX_INT32));
    }
}
