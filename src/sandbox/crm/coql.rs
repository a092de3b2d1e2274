//! `POST /crm/v8/coql`: Zoho's SQL-like record queries, which every real org serves and
//! Zoho's SDKs expose (`CoqlOperations.get_records`).
//!
//! Body `{"select_query": "select ... from <module> [where ...] [order by ...] [limit ...]"}`
//! (grammar in [`super::coql_parse`]); needs `ZohoCRM.coql.READ` and read access to the
//! module. Answers `{"data": [...], "info": {"count", "more_records"}}` with the selected
//! fields and `id`, or 204 when nothing matches. LIMIT defaults to 200 and may be at most
//! 2,000; `=` on text is exact but ignores case, `like` takes `%` at either end.

use std::cmp::Ordering;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::context::{caller, json_object};
use super::coql_parse::{Cond, ParseError, Query, parse};
use super::records::{load_record, open};
use super::respond;
use super::values::{Renderer, Schema};
use crate::sandbox::error::CrmError;
use crate::sandbox::server::AppState;

/// Rows a query returns when it names no LIMIT.
pub const DEFAULT_LIMIT: u64 = 200;
/// Largest LIMIT Zoho accepts.
pub const MAX_LIMIT: u64 = 2_000;
/// Records reachable with LIMIT and OFFSET (Zoho v8: "up to 1,00,000 records").
pub const MAX_REACH: u64 = 100_000;

fn syntax_error(e: &ParseError) -> CrmError {
    if let Some(limit) = e.limit {
        return limit_exceeded(e.clause, limit as u64);
    }
    CrmError::new(
        StatusCode::BAD_REQUEST,
        "SYNTAX_ERROR",
        "error occured while parsing the query",
    )
    .with_details(json!({ "clause": e.clause, "reason": e.reason }))
}

/// A documented COQL limit passed: LIMIT, OFFSET, criteria, or fields in a clause.
// (unconfirmed) Zoho's pages name the limits but show no error for most of them; this is
// the shape it answers for a LIMIT over 2,000.
fn limit_exceeded(by: &str, allowed: u64) -> CrmError {
    CrmError::new(StatusCode::BAD_REQUEST, "LIMIT_EXCEEDED", "limit exceeded")
        .with_details(json!({ "by": by, "allowed_limit": allowed }))
}

fn invalid_column(name: &str, clause: &str) -> CrmError {
    CrmError::new(
        StatusCode::BAD_REQUEST,
        "INVALID_QUERY",
        "invalid column given",
    )
    .with_details(json!({ "column_name": name, "clause": clause }))
}

/// Every field the query names must be the module's (or `id`); a dotted name must start
/// with one of its lookups.
fn check_fields(schema: &Schema, q: &Query) -> Result<(), CrmError> {
    let known = |name: &str| {
        let (head, rest) = match name.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (name, None),
        };
        head.eq_ignore_ascii_case("id")
            || schema.field(head).is_some_and(|f| {
                rest.is_none() || matches!(f.data_type.as_str(), "lookup" | "ownerlookup")
            })
    };
    for f in &q.fields {
        if !known(f) {
            return Err(invalid_column(f, "select"));
        }
    }
    let mut named = Vec::new();
    if let Some(c) = &q.filter {
        cond_fields(c, &mut named);
    }
    if let Some(bad) = named.iter().find(|f| !known(f)) {
        return Err(invalid_column(bad, "where"));
    }
    if let Some((bad, _)) = q.order.iter().find(|(f, _)| !known(f)) {
        return Err(invalid_column(bad, "order by"));
    }
    Ok(())
}

fn cond_fields(c: &Cond, out: &mut Vec<String>) {
    match c {
        Cond::And(a, b) | Cond::Or(a, b) => {
            cond_fields(a, out);
            cond_fields(b, out);
        }
        Cond::Compare(f, ..) | Cond::Like(f, ..) | Cond::In(f, ..) => out.push(f.clone()),
        Cond::Null(f, _) | Cond::Between(f, ..) => out.push(f.clone()),
    }
}

/// A field's value in a rendered record as text (a lookup compares by id, `X.name`/`X.id`
/// by that member); None when empty.
fn text_of(record: &Map<String, Value>, name: &str) -> Option<String> {
    let (head, sub) = match name.split_once('.') {
        Some((h, s)) => (h, Some(s)),
        None => (name, None),
    };
    let value = record
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(head))
        .map(|(_, v)| v)?;
    let value = match (value, sub) {
        (Value::Object(o), Some(s)) => o.get(s)?,
        (Value::Object(o), None) => o.get("id")?,
        (v, _) => v,
    };
    match value {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Numbers compare as numbers, everything else as text ignoring case.
fn compare(actual: &str, wanted: &str) -> Ordering {
    match (actual.parse::<f64>(), wanted.parse::<f64>()) {
        (Ok(a), Ok(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
        _ => actual.to_lowercase().cmp(&wanted.to_lowercase()),
    }
}

fn like(actual: &str, pattern: &str) -> bool {
    let (a, p) = (actual.to_lowercase(), pattern.to_lowercase());
    match (p.strip_prefix('%'), p.strip_suffix('%')) {
        (Some(rest), _) if rest.ends_with('%') => a.contains(rest.trim_end_matches('%')),
        (Some(rest), _) => a.ends_with(rest),
        (None, Some(rest)) => a.starts_with(rest),
        (None, None) => a == p,
    }
}

fn holds(record: &Map<String, Value>, c: &Cond) -> bool {
    match c {
        Cond::And(a, b) => holds(record, a) && holds(record, b),
        Cond::Or(a, b) => holds(record, a) || holds(record, b),
        Cond::Null(f, is_null) => text_of(record, f).is_none() == *is_null,
        Cond::Like(f, pattern, negated) => {
            text_of(record, f).is_some_and(|v| like(&v, pattern)) != *negated
        }
        Cond::In(f, values, negated) => {
            let hit = text_of(record, f)
                .is_some_and(|v| values.iter().any(|w| compare(&v, &w.text()).is_eq()));
            hit != *negated
        }
        Cond::Between(f, low, high) => text_of(record, f)
            .is_some_and(|v| compare(&v, &low.text()).is_ge() && compare(&v, &high.text()).is_le()),
        Cond::Compare(f, op, lit) => {
            let Some(v) = text_of(record, f) else {
                return *op == "!=";
            };
            let ord = compare(&v, &lit.text());
            match *op {
                "=" => ord.is_eq(),
                "!=" => !ord.is_eq(),
                "<" => ord.is_lt(),
                "<=" => ord.is_le(),
                ">" => ord.is_gt(),
                _ => ord.is_ge(),
            }
        }
    }
}

fn sort(rows: &mut [(String, Map<String, Value>)], order: &[(String, bool)]) {
    rows.sort_by(|(id_a, a), (id_b, b)| {
        for (field, ascending) in order {
            let ord = match (text_of(a, field), text_of(b, field)) {
                (Some(x), Some(y)) => compare(&x, &y),
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            };
            let ord = if *ascending { ord } else { ord.reverse() };
            if !ord.is_eq() {
                return ord;
            }
        }
        id_a.cmp(id_b)
    });
}

/// The selected columns of one matching record; `X.Y` reads field Y of the record X points to.
fn project(
    conn: &rusqlite::Connection,
    schema: &Schema,
    q: &Query,
    id: &str,
    record: &Map<String, Value>,
) -> rusqlite::Result<Value> {
    let mut out = Map::new();
    for name in &q.fields {
        let value = match name.split_once('.') {
            Some((head, sub)) => {
                let target = text_of(record, head);
                let module = schema.field(head).and_then(|f| f.lookup_module.clone());
                match (target, module) {
                    (Some(tid), Some(m)) => load_record(conn, &m, &tid)?
                        .and_then(|r| r.get(sub).cloned())
                        .unwrap_or(Value::Null),
                    _ => Value::Null,
                }
            }
            None => record
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .unwrap_or(Value::Null),
        };
        out.insert(name.clone(), value);
    }
    out.insert("id".into(), Value::String(id.to_string()));
    Ok(Value::Object(out))
}

/// The query's page of matching records, and whether more match past it.
fn run(state: &AppState, schema: &Schema, q: &Query) -> Result<(Vec<Value>, bool), CrmError> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT) as usize;
    let offset = q.offset as usize;
    Ok(state.store.with(|c| {
        let mut renderer = Renderer::new(c);
        let mut stmt =
            c.prepare("SELECT id, data FROM crm_records WHERE module = ?1 ORDER BY id")?;
        let mut rows = stmt.query([&schema.module.api_name])?;
        let mut hits = Vec::new();
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            let data: String = row.get(1)?;
            let stored: Map<String, Value> = serde_json::from_str(&data).unwrap_or_default();
            let Value::Object(rendered) = renderer.record(schema, &id, &stored, None)? else {
                continue;
            };
            if q.filter.as_ref().is_none_or(|f| holds(&rendered, f)) {
                hits.push((id, rendered));
            }
        }
        sort(&mut hits, &q.order);
        let more = hits.len() > offset.saturating_add(limit);
        let page = hits
            .iter()
            .skip(offset)
            .take(limit)
            .map(|(id, r)| project(c, schema, q, id, r))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok::<_, rusqlite::Error>((page, more))
    })?)
}

/// `POST /crm/v8/coql`.
pub async fn query(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CrmError> {
    caller(&state, &headers, "ZohoCRM.coql.READ")?;
    let body = json_object(&body)?;
    let text = match body.get("select_query") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            return Err(CrmError::mandatory_missing(
                "select_query",
                "$.select_query",
            ));
        }
        Some(_) => {
            return Err(CrmError::expected_type(
                "select_query",
                "$.select_query",
                "string",
            ));
        }
    };
    let q = parse(&text).map_err(|e| syntax_error(&e))?;
    if q.limit.is_some_and(|l| l == 0 || l > MAX_LIMIT) {
        return Err(limit_exceeded("limit", MAX_LIMIT));
    }
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if q.offset
        .checked_add(limit)
        .is_none_or(|end| end > MAX_REACH)
    {
        return Err(limit_exceeded("offset", MAX_REACH));
    }
    let (_caller, schema) = open(&state, &headers, &q.module, "READ", "View").map_err(|e| {
        if e.code == "INVALID_MODULE" {
            CrmError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_QUERY",
                "invalid module given",
            )
            .with_details(json!({ "module": q.module, "clause": "from" }))
        } else {
            e
        }
    })?;
    check_fields(&schema, &q)?;
    let (data, more) = run(&state, &schema, &q)?;
    if data.is_empty() {
        return Ok(respond::no_content());
    }
    Ok(respond::json(
        StatusCode::OK,
        json!({ "data": data, "info": { "count": data.len(), "more_records": more } }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_follows_the_percent_signs() {
        assert!(like("Batch012", "batch01%"));
        assert!(like("jane@bowman.example", "%@bowman.example"));
        assert!(like("Operations Director", "%direct%"));
        assert!(!like("Batch012", "Batch01"));
        assert!(like("Batch01", "batch01"));
    }

    #[test]
    fn numbers_compare_as_numbers_and_text_ignores_case() {
        assert!(compare("9", "10").is_lt());
        assert!(compare("Bowman", "bowman").is_eq());
        let mut record = Map::new();
        record.insert("Account_Name".into(), json!({"id": "42", "name": "Acme"}));
        assert_eq!(text_of(&record, "Account_Name").as_deref(), Some("42"));
        assert_eq!(
            text_of(&record, "account_name.name").as_deref(),
            Some("Acme")
        );
        assert_eq!(text_of(&record, "Email"), None);
    }
}
