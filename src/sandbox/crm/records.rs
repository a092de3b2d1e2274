//! Reading records: `GET /{module}` (fields required unless `ids` names the records, page ×
//! per_page ≤ 2,000 then `page_token`, If-Modified-Since → only records modified at or after
//! it, 304 when none, 204 when empty) and `GET /{module}/{id}`.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use rusqlite::types::Value as SqlValue;
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
/// Records one listing may name in `ids`.
pub const MAX_IDS: usize = 100;
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

/// The opaque cursor behind `page_token`: how the listing is sorted and filtered, how many
/// records came before, and the sort key of the last record returned, so the next page
/// starts right after it however large the module (and even if records before it were
/// deleted meanwhile).
#[derive(Debug, Serialize, Deserialize)]
struct PageToken {
    m: String,
    s: String,
    o: String,
    t: Option<i64>,
    f: u64,
    e: i64,
    /// Id of the last record returned.
    #[serde(default)]
    a: Option<String>,
    /// Its sort value (`created_ms`/`modified_ms`) when not sorted by id.
    #[serde(default)]
    v: Option<i64>,
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

/// Where a page starts: after a cursor (page tokens) or at an offset (page numbers).
enum Start {
    Offset(u64),
    After { id: String, value: Option<i64> },
}

/// One listing's filter and order, turned into SQL.
struct Listing<'a> {
    module: &'a str,
    since: Option<i64>,
    ids: &'a [String],
    /// `id`, `created_ms` or `modified_ms`.
    column: &'static str,
    ascending: bool,
}

type Row = (String, String, i64);

impl Listing<'_> {
    fn filter(&self, start: Option<&Start>) -> (String, Vec<SqlValue>) {
        let mut sql = String::from("module = ?");
        let mut args = vec![SqlValue::Text(self.module.to_string())];
        let mut since = self.since;
        if let Some(Start::After { id, value }) = start {
            let (range, strict) = if self.ascending {
                (">=", ">")
            } else {
                ("<=", "<")
            };
            match (self.column, value) {
                ("id", _) | (_, None) => {
                    sql.push_str(&format!(" AND id {strict} ?"));
                    args.push(SqlValue::Text(id.clone()));
                }
                (column, Some(v)) => {
                    // The cursor as a range on the sort column plus a tie-break on id: SQLite
                    // seeks on a plain range, but not on `(col, id) > (?, ?)` next to another
                    // bound on the same column, nor on an OR of the two, and would then scan
                    // every record before the cursor on every page. For the same reason
                    // If-Modified-Since folds into the cursor's bound when both are lower
                    // bounds on Modified_Time.
                    let mut bound = *v;
                    if column == "modified_ms"
                        && self.ascending
                        && let Some(t) = since.take()
                    {
                        bound = bound.max(t);
                    }
                    sql.push_str(&format!(
                        " AND {column} {range} ? AND ({column} {strict} ? OR id {strict} ?)"
                    ));
                    args.push(SqlValue::Integer(bound));
                    args.push(SqlValue::Integer(*v));
                    args.push(SqlValue::Text(id.clone()));
                }
            }
        }
        if let Some(t) = since {
            // Zoho returns what changed at or after the If-Modified-Since instant.
            sql.push_str(" AND modified_ms >= ?");
            args.push(SqlValue::Integer(t));
        }
        if !self.ids.is_empty() {
            sql.push_str(&format!(
                " AND id IN ({})",
                vec!["?"; self.ids.len()].join(",")
            ));
            args.extend(self.ids.iter().cloned().map(SqlValue::Text));
        }
        (sql, args)
    }

    /// The query for up to `limit` rows from `start`: `(id, data, sort value)`.
    fn query(&self, start: &Start, limit: u64) -> (String, Vec<SqlValue>) {
        let (filter, args) = self.filter(Some(start));
        let direction = if self.ascending { "ASC" } else { "DESC" };
        let order = if self.column == "id" {
            format!("id {direction}")
        } else {
            format!("{} {direction}, id {direction}", self.column)
        };
        let value = if self.column == "id" {
            "0"
        } else {
            self.column
        };
        let offset = match start {
            Start::Offset(n) => *n,
            Start::After { .. } => 0,
        };
        let sql = format!(
            "SELECT id, data, {value} FROM crm_records WHERE {filter}
             ORDER BY {order} LIMIT {limit} OFFSET {offset}"
        );
        (sql, args)
    }

    fn rows(&self, conn: &Connection, start: &Start, limit: u64) -> rusqlite::Result<Vec<Row>> {
        let (sql, args) = self.query(start, limit);
        let mut stmt = conn.prepare(&sql)?;
        stmt.query_map(params_from_iter(args.iter()), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect()
    }

    /// Whether any record matches at all (what decides 304 for If-Modified-Since).
    fn any(&self, conn: &Connection) -> rusqlite::Result<bool> {
        let (filter, args) = self.filter(None);
        conn.query_row(
            &format!("SELECT EXISTS(SELECT 1 FROM crm_records WHERE {filter})"),
            params_from_iter(args.iter()),
            |r| r.get(0),
        )
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
    let ids = params.list("ids");
    if ids.len() > MAX_IDS {
        return Err(CrmError::record_limit(MAX_IDS as u64));
    }
    // `fields` is mandatory when listing a module, optional when fetching records by id.
    let wanted = params.fields()?;
    if wanted.is_empty() && ids.is_empty() {
        return Err(CrmError::required_param_missing("fields"));
    }
    let wanted = (!wanted.is_empty()).then_some(wanted);
    let per_page = params.number("per_page")?.unwrap_or(MAX_PER_PAGE);
    if per_page > MAX_PER_PAGE {
        return Err(CrmError::invalid_param("per_page", "invalid data"));
    }
    if params.get("cvid").is_some() {
        // The sandbox has no custom views; Zoho rejects a cvid it does not know.
        return Err(CrmError::invalid_param("cvid", "invalid data"));
    }
    let at = Paging::read(&params, &headers, &schema, per_page)?;
    let (column, ascending) = sort_column(&at.sort_by, &at.sort_order)?;
    let listing = Listing {
        module: &schema.module.api_name,
        since: at.since,
        ids: &ids,
        column,
        ascending,
    };
    let (mut rows, any) = state.store.with(|c| {
        let rows = listing.rows(c, &at.start, per_page + 1)?;
        let any = !rows.is_empty() || listing.any(c)?;
        Ok::<_, rusqlite::Error>((rows, any))
    })?;
    if !any && at.since.is_some() {
        return Ok(respond::not_modified());
    }
    if rows.is_empty() {
        return Ok(respond::no_content());
    }
    let more = rows.len() as u64 > per_page;
    rows.truncate(per_page as usize);
    let data = state.store.with(|c| {
        let mut renderer = Renderer::new(c);
        rows.iter()
            .map(|(id, data, _)| {
                let stored: Map<String, Value> = serde_json::from_str(data).unwrap_or_default();
                renderer.record(&schema, id, &stored, wanted.as_deref())
            })
            .collect::<rusqlite::Result<Vec<Value>>>()
    })?;
    let info = page_info(&schema, at, &rows, per_page, more, column);
    Ok(respond::json(
        StatusCode::OK,
        json!({ "data": data, "info": info }),
    ))
}

/// Where a listing request starts: a page number, or a page token that carries the first
/// page's order and `If-Modified-Since` along.
struct Paging {
    sort_by: String,
    sort_order: String,
    since: Option<i64>,
    offset: u64,
    page: u64,
    start: Start,
}

impl Paging {
    fn read(
        params: &Params,
        headers: &HeaderMap,
        schema: &Schema,
        per_page: u64,
    ) -> Result<Paging, CrmError> {
        let mut sort_by = params.get("sort_by").unwrap_or("id").to_string();
        let mut sort_order = params.get("sort_order").unwrap_or("desc").to_string();
        let mut since = headers
            .get("If-Modified-Since")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_iso);
        let (offset, page, start) = match params.get("page_token") {
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
                let start = match token.a {
                    Some(id) => Start::After { id, value: token.v },
                    None => Start::Offset(token.f),
                };
                (token.f, token.f / per_page + 1, start)
            }
            None => {
                let page = params.number("page")?.unwrap_or(1);
                if page * per_page > DISCRETE_PAGING_LIMIT {
                    return Err(CrmError::discrete_pagination_limit());
                }
                let offset = (page - 1) * per_page;
                (offset, page, Start::Offset(offset))
            }
        };
        if offset >= TOKEN_PAGING_LIMIT {
            return Err(CrmError::pagination_limit());
        }
        Ok(Paging {
            sort_by,
            sort_order,
            since,
            offset,
            page,
            start,
        })
    }
}

/// The column a `sort_by` sorts on, and whether `sort_order` is ascending.
fn sort_column(sort_by: &str, sort_order: &str) -> Result<(&'static str, bool), CrmError> {
    let column = match sort_by {
        "id" => "id",
        "Created_Time" => "created_ms",
        "Modified_Time" => "modified_ms",
        _ => return Err(CrmError::invalid_param("sort_by", "invalid data")),
    };
    let ascending = match sort_order {
        "asc" => true,
        "desc" => false,
        _ => return Err(CrmError::invalid_param("sort_order", "invalid data")),
    };
    Ok((column, ascending))
}

/// The page's `info`, with a token for the next page when there is one within reach.
fn page_info(
    schema: &Schema,
    at: Paging,
    rows: &[Row],
    per_page: u64,
    more: bool,
    column: &str,
) -> Value {
    let mut info = json!({
        "per_page": per_page,
        "count": rows.len(),
        "page": at.page,
        "more_records": more,
        "sort_by": at.sort_by,
        "sort_order": at.sort_order,
    });
    if more && at.offset + per_page < TOKEN_PAGING_LIMIT {
        let expiry = now_ms() + PAGE_TOKEN_LIFETIME_MS;
        let (last_id, _, last_value) = rows.last().expect("rows is not empty");
        let token = PageToken {
            m: schema.module.api_name.clone(),
            s: at.sort_by,
            o: at.sort_order,
            t: at.since,
            f: at.offset + per_page,
            e: expiry,
            a: Some(last_id.clone()),
            v: (column != "id").then_some(*last_value),
        };
        info["next_page_token"] = Value::String(token.encode());
        info["page_token_expiry"] = Value::String(iso(expiry));
    }
    info
}

/// `GET /{module}/{id}`.
pub async fn get_one(
    State(state): State<AppState>,
    Path((module, id)): Path<(String, String)>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, CrmError> {
    let (_caller, schema) = open(&state, &headers, &module, "READ", "View")?;
    let wanted = params.fields()?;
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

    /// Steps SQLite takes to read one page starting after the `n`th record.
    fn steps_after(conn: &Connection, listing: &Listing<'_>, n: usize) -> i32 {
        let (id, value): (String, i64) = conn
            .query_row(
                &format!(
                    "SELECT id, {} FROM crm_records WHERE module = 'Events'
                     ORDER BY {} {dir}, id {dir} LIMIT 1 OFFSET {n}",
                    if listing.column == "id" {
                        "0"
                    } else {
                        listing.column
                    },
                    listing.column,
                    dir = if listing.ascending { "ASC" } else { "DESC" }
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let start = Start::After {
            id,
            value: (listing.column != "id").then_some(value),
        };
        let (sql, args) = listing.query(&start, 201);
        let mut stmt = conn.prepare(&sql).unwrap();
        let rows = stmt
            .query_map(params_from_iter(args.iter()), |r| r.get::<_, String>(0))
            .unwrap()
            .count();
        assert_eq!(rows, 201);
        stmt.get_status(rusqlite::StatementStatus::VmStep)
    }

    #[test]
    fn a_page_after_a_cursor_costs_the_same_however_deep_it_is() {
        let conn = Connection::open_in_memory().unwrap();
        super::super::db::migrate(&conn).unwrap();
        for i in 0..6_000i64 {
            conn.execute(
                "INSERT INTO crm_records(module, id, data, created_ms, modified_ms)
                 VALUES ('Events', ?1, '{}', ?2, ?3)",
                rusqlite::params![
                    format!("{:019}", i),
                    1_000 + i,
                    1_000_000 + (i * 7919) % 6_000
                ],
            )
            .unwrap();
        }
        for (column, ascending, since) in [
            ("modified_ms", true, Some(1_000_500)),
            ("modified_ms", true, None),
            ("modified_ms", false, Some(1_000_500)),
            ("created_ms", true, Some(1_000_500)),
            ("id", false, Some(1_000_500)),
        ] {
            let listing = Listing {
                module: "Events",
                since,
                ids: &[],
                column,
                ascending,
            };
            let shallow = steps_after(&conn, &listing, 300);
            let deep = steps_after(&conn, &listing, 4_000);
            assert!(
                deep < shallow * 2,
                "{column} {ascending} {since:?}: {shallow} steps at 300, {deep} at 4,000"
            );
        }
    }

    #[test]
    fn page_tokens_round_trip_and_reject_garbage() {
        let token = PageToken {
            m: "Contacts".into(),
            s: "id".into(),
            o: "asc".into(),
            t: None,
            f: 2000,
            e: 1,
            a: Some("4876876000000002001".into()),
            v: None,
        };
        let back = PageToken::decode(&token.encode()).unwrap();
        assert_eq!(back.f, 2000);
        assert_eq!(back.a.as_deref(), Some("4876876000000002001"));
        // Tokens issued before cursors existed still decode (and page by offset).
        let old = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"m":"Deals","s":"id","o":"desc","t":null,"f":2000,"e":1}"#);
        assert!(PageToken::decode(&old).unwrap().a.is_none());
        assert!(PageToken::decode("not a token").is_none());
    }
}
