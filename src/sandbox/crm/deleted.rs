//! Deleted records: every delete through the records API leaves an entry (who deleted what,
//! when), listed by `GET /{module}/deleted` as record.json's `Deleted_Records_Wrapper` so a
//! sync can propagate deletions without re-reading whole modules.
//!
//! Zoho keeps deleted records in the recycle bin for 60 days and then deletes them for good
//! (unconfirmed for the API's `type` values); an entry older than that is listed as
//! `permanent`, a newer one as `recycle`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use rusqlite::{Connection, params_from_iter};
use serde_json::{Map, Value, json};

use super::context::Params;
use super::db::{iso, now_ms, parse_iso};
use super::records::{MAX_PER_PAGE, open};
use super::respond;
use super::values::{Renderer, Schema};
use crate::sandbox::error::CrmError;
use crate::sandbox::server::AppState;

/// How long a deleted record stays in the recycle bin.
pub const RECYCLE_BIN_MS: i64 = 60 * 24 * 3600 * 1000;

/// Notes that `record` (as stored before deletion) was deleted by `user_id` at `ms`.
pub fn record_deletion(
    conn: &Connection,
    schema: &Schema,
    id: &str,
    record: &Map<String, Value>,
    user_id: &str,
    ms: i64,
) -> rusqlite::Result<()> {
    let display_name = record
        .get(&schema.module.display_field)
        .and_then(Value::as_str)
        .map(str::to_string);
    let created_by = record
        .get("Created_By")
        .and_then(|u| u.get("id"))
        .and_then(Value::as_str);
    conn.execute(
        "INSERT OR REPLACE INTO crm_deleted_records(module, id, display_name, created_by,
            deleted_by, deleted_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![
            schema.module.api_name,
            id,
            display_name,
            created_by,
            user_id,
            ms
        ],
    )?;
    Ok(())
}

/// The `type` filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    All,
    Recycle,
    Permanent,
}

impl Kind {
    fn parse(params: &Params) -> Result<Kind, CrmError> {
        match params.get("type").map(str::trim) {
            None => Ok(Kind::All),
            Some(t) if t.eq_ignore_ascii_case("all") => Ok(Kind::All),
            Some(t) if t.eq_ignore_ascii_case("recycle") => Ok(Kind::Recycle),
            Some(t) if t.eq_ignore_ascii_case("permanent") => Ok(Kind::Permanent),
            Some(_) => Err(CrmError::invalid_param("type", "invalid data")),
        }
    }
}

/// `GET /{module}/deleted`: newest deletions first.
pub async fn list(
    State(state): State<AppState>,
    Path(module): Path<String>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, CrmError> {
    let (_caller, schema) = open(&state, &headers, &module, "READ", "View")?;
    let kind = Kind::parse(&params)?;
    let per_page = params.number("per_page")?.unwrap_or(MAX_PER_PAGE);
    if per_page > MAX_PER_PAGE {
        return Err(CrmError::invalid_param("per_page", "invalid data"));
    }
    let page = params.number("page")?.unwrap_or(1);
    let since = headers
        .get("If-Modified-Since")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_iso);
    let now = now_ms();
    let bin_start = now - RECYCLE_BIN_MS;
    let (filter, args) = deleted_filter(kind, since, bin_start);
    let offset = (page - 1).saturating_mul(per_page);
    let module_name = schema.module.api_name.clone();
    let query = DeletedQuery {
        module_name: &module_name,
        filter: &filter,
        args: &args,
    };
    let (rows, any) = state.store.with(|c| query.read(c, per_page, offset))?;
    if !any && since.is_some() {
        return Ok(respond::not_modified());
    }
    if rows.is_empty() {
        return Ok(respond::no_content());
    }
    let more = rows.len() as u64 > per_page;
    let shown = &rows[..rows.len().min(per_page as usize)];
    let data = state.store.with(|c| render_deleted(c, shown, bin_start))?;
    Ok(respond::json(
        StatusCode::OK,
        json!({ "data": data, "info": respond::info(per_page, shown.len(), page, more) }),
    ))
}

/// The SQL filter (after the module) for a `type` and `If-Modified-Since`, and its values.
fn deleted_filter(kind: Kind, since: Option<i64>, bin_start: i64) -> (String, Vec<i64>) {
    let mut filter = String::from("module = ?");
    let mut args: Vec<i64> = Vec::new();
    match kind {
        Kind::All => {}
        Kind::Recycle => {
            filter.push_str(" AND deleted_ms >= ?");
            args.push(bin_start);
        }
        Kind::Permanent => {
            filter.push_str(" AND deleted_ms < ?");
            args.push(bin_start);
        }
    }
    if let Some(t) = since {
        filter.push_str(" AND deleted_ms >= ?");
        args.push(t);
    }
    (filter, args)
}

type DeletedRow = (String, Option<String>, Option<String>, String, i64);

/// One listing of a module's deletions: its filter and the values it binds.
struct DeletedQuery<'q> {
    module_name: &'q str,
    filter: &'q str,
    args: &'q [i64],
}

impl DeletedQuery<'_> {
    fn bind(&self) -> impl Iterator<Item = rusqlite::types::Value> + '_ {
        std::iter::once(rusqlite::types::Value::Text(self.module_name.to_string())).chain(
            self.args
                .iter()
                .map(|a| rusqlite::types::Value::Integer(*a)),
        )
    }

    /// A page of deletions (one more than `per_page`, to tell whether more follow), and
    /// whether any deletion matches at all (what decides 304 for If-Modified-Since).
    fn read(
        &self,
        c: &Connection,
        per_page: u64,
        offset: u64,
    ) -> rusqlite::Result<(Vec<DeletedRow>, bool)> {
        let filter = self.filter;
        let mut stmt = c.prepare(&format!(
            "SELECT id, display_name, created_by, deleted_by, deleted_ms
             FROM crm_deleted_records WHERE {filter}
             ORDER BY deleted_ms DESC, id DESC LIMIT {} OFFSET {offset}",
            per_page + 1
        ))?;
        let rows = stmt
            .query_map(params_from_iter(self.bind()), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<Vec<DeletedRow>>>()?;
        let any = !rows.is_empty()
            || c.query_row(
                &format!("SELECT EXISTS(SELECT 1 FROM crm_deleted_records WHERE {filter})"),
                params_from_iter(self.bind()),
                |r| r.get::<_, bool>(0),
            )?;
        Ok((rows, any))
    }
}

/// Deletions as Zoho lists them, with who created and deleted each record (without emails).
fn render_deleted(
    c: &Connection,
    shown: &[DeletedRow],
    bin_start: i64,
) -> rusqlite::Result<Vec<Value>> {
    let mut renderer = Renderer::new(c);
    let mut user = |id: Option<&str>| -> rusqlite::Result<Value> {
        let Some(id) = id else {
            return Ok(Value::Null);
        };
        let mut v = renderer.user(id)?;
        if let Some(o) = v.as_object_mut() {
            o.remove("email");
        }
        Ok(v)
    };
    shown
        .iter()
        .map(|(id, display_name, created_by, deleted_by, ms)| {
            Ok(json!({
                "deleted_by": user(Some(deleted_by))?,
                "id": id,
                "display_name": display_name.clone().unwrap_or_default(),
                "type": if *ms >= bin_start { "recycle" } else { "permanent" },
                "created_by": user(created_by.as_deref())?,
                "deleted_time": iso(*ms),
            }))
        })
        .collect::<rusqlite::Result<Vec<Value>>>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_filter_accepts_zohos_three_values_only() {
        let params = |v: &str| Params([("type".to_string(), v.to_string())].into());
        assert_eq!(Kind::parse(&Params::default()).unwrap(), Kind::All);
        assert_eq!(Kind::parse(&params("recycle")).unwrap(), Kind::Recycle);
        assert_eq!(Kind::parse(&params("Permanent")).unwrap(), Kind::Permanent);
        assert!(Kind::parse(&params("trash")).is_err());
    }
}
