//! Reading records: `GET /{module}` (fields required, page × per_page ≤ 2,000 then
//! `page_token`, If-Modified-Since → 304, 204 when empty) and `GET /{module}/{id}`.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use rusqlite::{Connection, OptionalExtension, params_from_iter};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::context::{
    Caller, Params, authenticated, module_caller, path_module, require_permission,
};
use super::db::{iso, now_ms, parse_iso};
use super::respond;
use super::values::{Renderer, Schema};
use crate::sandbox::error::CrmError;
use crate::sandbox::server::AppState;

/// Largest `per_page` Zoho accepts.
pub const MAX_PER_PAGE: u64 = 200;
/// Records reachable with `page` numbers before `page_token` is required.
pub const DISCRETE_PAGING_LIMIT: u64 = 2_000;
/// Records reachable with `page_token`.
pub const TOKEN_PAGING_LIMIT: u64 = 100_000;
const PAGE_TOKEN_LIFETIME_MS: i64 = 24 * 3600 * 1000;

/// Authenticates, resolves the module in the path, checks the module scope and the caller's
/// profile permission, and loads the module's fields.
pub fn open(
    state: &AppState,
    headers: &HeaderMap,
    module: &str,
    op: &str,
    action: &str,
) -> Result<(Caller, Schema), CrmError> {
    authenticated(state, headers)?;
    if module.eq_ignore_ascii_case("settings") {
        return Err(CrmError::invalid_url_pattern());
    }
    let module = state.store.with(|c| path_module(c, module))?;
    let caller = module_caller(state, headers, &module, op)?;
    let schema = state.store.with(|c| {
        require_permission(c, &caller, &module, action)?;
        Ok::<_, CrmError>(Schema::load(c, module)?)
    })?;
    Ok((caller, schema))
}

/// A stored record's JSON document.
pub fn load_record(
    conn: &Connection,
    module: &str,
    id: &str,
) -> rusqlite::Result<Option<Map<String, Value>>> {
    let data: Option<String> = conn
        .query_row(
            "SELECT data FROM crm_records WHERE module = ?1 AND id = ?2",
            rusqlite::params![module, id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(data.and_then(|d| serde_json::from_str(&d).ok()))
}

/// The opaque cursor behind `page_token`: where the next page starts and how the listing
/// was sorted and filtered.
#[derive(Debug, Serialize, Deserialize)]
struct PageToken {
    m: String,
    s: String,
    o: String,
    t: Option<i64>,
    f: u64,
    e: i64,
}

impl PageToken {
    fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    fn decode(token: &str) -> Option<PageToken> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.trim())
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// `GET /{module}`.
pub async fn list(
    State(state): State<AppState>,
    Path(module): Path<String>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, CrmError> {
    let (_caller, schema) = open(&state, &headers, &module, "READ", "View")?;
    let wanted = params.list("fields");
    if wanted.is_empty() {
        return Err(CrmError::required_param_missing("fields"));
    }
    let per_page = params.number("per_page")?.unwrap_or(MAX_PER_PAGE);
    if per_page > MAX_PER_PAGE {
        return Err(CrmError::invalid_param("per_page", "invalid data"));
    }
    if params.get("cvid").is_some() {
        // The sandbox has no custom views; Zoho rejects a cvid it does not know.
        return Err(CrmError::invalid_param("cvid", "invalid data"));
    }
    let ids = params.list("ids");
    if ids.len() > 100 {
        return Err(CrmError::record_limit(100));
    }
    let mut sort_by = params.get("sort_by").unwrap_or("id").to_string();
    let mut sort_order = params.get("sort_order").unwrap_or("desc").to_string();
    let mut since = headers
        .get("If-Modified-Since")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_iso);
    let (offset, page) = match params.get("page_token") {
        Some(raw) => {
            if params.get("page").is_some() {
                return Err(CrmError::invalid_param("page", "invalid data"));
            }
            let token = PageToken::decode(raw)
                .filter(|t| t.m.eq_ignore_ascii_case(&schema.module.api_name))
                .ok_or_else(|| CrmError::invalid_param("page_token", "invalid data"))?;
            if token.e < now_ms() {
                return Err(CrmError::invalid_param("page_token", "invalid data"));
            }
            sort_by = token.s;
            sort_order = token.o;
            since = token.t;
            (token.f, token.f / per_page + 1)
        }
        None => {
            let page = params.number("page")?.unwrap_or(1);
            if page * per_page > DISCRETE_PAGING_LIMIT {
                return Err(CrmError::discrete_pagination_limit());
            }
            ((page - 1) * per_page, page)
        }
    };
    if offset >= TOKEN_PAGING_LIMIT {
        return Err(CrmError::pagination_limit());
    }
    let order_column = match sort_by.as_str() {
        "id" => "id",
        "Created_Time" => "created_ms",
        "Modified_Time" => "modified_ms",
        _ => return Err(CrmError::invalid_param("sort_by", "invalid data")),
    };
    let direction = match sort_order.as_str() {
        "asc" => "ASC",
        "desc" => "DESC",
        _ => return Err(CrmError::invalid_param("sort_order", "invalid data")),
    };

    let mut filter = String::from("module = ?");
    let mut args: Vec<String> = vec![schema.module.api_name.clone()];
    if let Some(t) = since {
        filter.push_str(" AND modified_ms > CAST(? AS INTEGER)");
        args.push(t.to_string());
    }
    if !ids.is_empty() {
        filter.push_str(&format!(" AND id IN ({})", vec!["?"; ids.len()].join(",")));
        args.extend(ids.iter().cloned());
    }
    let order = if order_column == "id" {
        format!("id {direction}")
    } else {
        format!("{order_column} {direction}, id {direction}")
    };
    let (total, rows) = state.store.with(|c| {
        let total: i64 = c.query_row(
            &format!("SELECT COUNT(*) FROM crm_records WHERE {filter}"),
            params_from_iter(args.iter()),
            |r| r.get(0),
        )?;
        let mut stmt = c.prepare(&format!(
            "SELECT id, data FROM crm_records WHERE {filter}
             ORDER BY {order} LIMIT {per_page} OFFSET {offset}"
        ))?;
        let rows = stmt
            .query_map(params_from_iter(args.iter()), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok::<_, rusqlite::Error>((total as u64, rows))
    })?;
    if total == 0 && since.is_some() {
        return Ok(respond::not_modified());
    }
    if rows.is_empty() {
        return Ok(respond::no_content());
    }
    let data = state.store.with(|c| {
        let mut renderer = Renderer::new(c);
        rows.iter()
            .map(|(id, data)| {
                let stored: Map<String, Value> = serde_json::from_str(data).unwrap_or_default();
                renderer.record(&schema, id, &stored, Some(&wanted))
            })
            .collect::<rusqlite::Result<Vec<Value>>>()
    })?;
    let more = offset + (rows.len() as u64) < total;
    let mut info = json!({
        "per_page": per_page,
        "count": rows.len(),
        "page": page,
        "more_records": more,
        "sort_by": sort_by,
        "sort_order": sort_order,
    });
    if more && offset + per_page < TOKEN_PAGING_LIMIT {
        let expiry = now_ms() + PAGE_TOKEN_LIFETIME_MS;
        let token = PageToken {
            m: schema.module.api_name.clone(),
            s: sort_by,
            o: sort_order,
            t: since,
            f: offset + per_page,
            e: expiry,
        };
        info["next_page_token"] = Value::String(token.encode());
        info["page_token_expiry"] = Value::String(iso(expiry));
    }
    Ok(respond::json(
        StatusCode::OK,
        json!({ "data": data, "info": info }),
    ))
}

/// `GET /{module}/{id}`.
pub async fn get_one(
    State(state): State<AppState>,
    Path((module, id)): Path<(String, String)>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, CrmError> {
    let (_caller, schema) = open(&state, &headers, &module, "READ", "View")?;
    let wanted = params.list("fields");
    let wanted = (!wanted.is_empty()).then_some(wanted);
    let rendered = state.store.with(|c| {
        let Some(stored) = load_record(c, &schema.module.api_name, &id)? else {
            return Ok(None);
        };
        Renderer::new(c)
            .record(&schema, &id, &stored, wanted.as_deref())
            .map(Some)
    })?;
    match rendered {
        Some(record) => Ok(respond::json(StatusCode::OK, json!({ "data": [record] }))),
        None => Ok(respond::no_content()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_round_trip_and_reject_garbage() {
        let token = PageToken {
            m: "Contacts".into(),
            s: "id".into(),
            o: "asc".into(),
            t: None,
            f: 2000,
            e: 1,
        };
        let back = PageToken::decode(&token.encode()).unwrap();
        assert_eq!(back.f, 2000);
        assert!(PageToken::decode("not a token").is_none());
    }
}
