//! `GET /{module}/search` and `GET /{module}/actions/count`: criteria (see [`super::criteria`]),
//! `email`, `phone` and `word` searches, with the 2,000-result cap.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::context::Params;
use super::criteria::{Criteria, MAX_CONDITIONS, matches, parse_criteria, validate};
use super::meta::FieldRow;
use super::records::{MAX_PER_PAGE, open};
use super::respond;
use super::values::{Renderer, Schema};
use crate::sandbox::error::CrmError;
use crate::sandbox::server::AppState;

/// Results a search can reach.
pub const SEARCH_LIMIT: usize = 2_000;

/// Which search a request asks for; criteria wins over email, phone and word.
enum Query {
    Criteria(Criteria),
    Email(String),
    Phone(String),
    Word(String),
    All,
}

fn query(schema: &Schema, params: &Params, required: bool) -> Result<Query, CrmError> {
    if let Some(raw) = params.get("criteria") {
        let criteria = parse_criteria(raw)
            .map_err(|reason| CrmError::invalid_query("criteria", &reason.to_string()))?;
        if criteria.conditions() > MAX_CONDITIONS {
            return Err(CrmError::invalid_query("criteria", "too many criteria"));
        }
        validate(schema, &criteria)?;
        return Ok(Query::Criteria(criteria));
    }
    if let Some(email) = params.get("email") {
        return Ok(Query::Email(email.trim().to_lowercase()));
    }
    if let Some(phone) = params.get("phone") {
        if phone.trim().chars().count() < 3 {
            return Err(CrmError::invalid_param("phone", "invalid data"));
        }
        return Ok(Query::Phone(phone.trim().to_string()));
    }
    if let Some(word) = params.get("word") {
        if word.trim().chars().count() < 2 {
            return Err(CrmError::invalid_param("word", "invalid data"));
        }
        return Ok(Query::Word(word.trim().to_lowercase()));
    }
    if required {
        let mut e = CrmError::required_param_missing("criteria");
        e.code = "EXPECTED_PARAM_MISSING";
        e.details = json!({ "param_names": ["criteria", "email", "phone", "word"] });
        return Err(e);
    }
    Ok(Query::All)
}

fn hit(schema: &Schema, record: &Map<String, Value>, query: &Query) -> bool {
    let of_type = |types: &[&str]| -> Vec<&FieldRow> {
        schema
            .fields
            .iter()
            .filter(|f| types.contains(&f.data_type.as_str()))
            .collect()
    };
    let text = |f: &FieldRow| {
        record
            .get(&f.api_name)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    match query {
        Query::All => true,
        Query::Criteria(c) => matches(schema, record, c),
        Query::Email(e) => of_type(&["email"])
            .iter()
            .any(|f| text(f).is_some_and(|v| v.to_lowercase() == *e)),
        Query::Phone(p) => {
            let digits: String = p.chars().filter(char::is_ascii_digit).collect();
            of_type(&["phone"]).iter().any(|f| {
                text(f).is_some_and(|v| {
                    v.chars()
                        .filter(char::is_ascii_digit)
                        .collect::<String>()
                        .contains(&digits)
                })
            })
        }
        Query::Word(w) => of_type(&["text", "textarea", "email", "phone", "website", "picklist"])
            .iter()
            .any(|f| text(f).is_some_and(|v| v.to_lowercase().contains(w.as_str()))),
    }
}

/// Lookup fields the criteria compare, whose names must be resolved before matching.
fn lookups_in<'a>(schema: &'a Schema, criteria: &Criteria, out: &mut Vec<&'a FieldRow>) {
    match criteria {
        Criteria::And(v) | Criteria::Or(v) => v.iter().for_each(|c| lookups_in(schema, c, out)),
        Criteria::Condition { field, .. } => {
            let name = field.split('.').next().unwrap_or(field);
            if let Some(f) = schema.field(name)
                && matches!(f.data_type.as_str(), "lookup" | "ownerlookup")
                && !out.iter().any(|o| o.api_name == f.api_name)
            {
                out.push(f);
            }
        }
    }
}

/// Text every match must contain (lowercase ASCII), so the database can skip the other
/// records without parsing them: the searched email or word, or the value of a text
/// condition that the whole criteria depends on.
fn needle(schema: &Schema, query: &Query) -> Option<String> {
    let usable = |s: &str| {
        (s.len() >= 2 && s.is_ascii() && !s.contains(['"', '\\', '\u{0}']))
            .then(|| s.to_lowercase())
    };
    match query {
        Query::Email(e) | Query::Word(e) => usable(e),
        Query::Criteria(Criteria::Condition { field, op, value }) => {
            let f = schema.field(field)?;
            let text = matches!(
                f.data_type.as_str(),
                "text" | "textarea" | "email" | "phone" | "website" | "picklist"
            );
            // A lookup compared with an id: the id is in the stored record.
            let lookup_id =
                matches!(f.data_type.as_str(), "lookup" | "ownerlookup") && super::db::is_id(value);
            ((text && matches!(op.as_str(), "equals" | "starts_with"))
                || (lookup_id && op == "equals"))
                .then(|| usable(value))?
        }
        Query::Criteria(Criteria::And(items)) => items
            .iter()
            .find_map(|c| needle(schema, &Query::Criteria(c.clone()))),
        _ => None,
    }
}

/// Rendered records matching `query`, in id order, up to `limit` + 1 (to tell whether the
/// cap was passed). Records are matched on their stored form (lookups resolved only when
/// the criteria compare them) and rendered only when they match.
fn run(
    state: &AppState,
    schema: &Schema,
    query: &Query,
    limit: usize,
) -> Result<Vec<Value>, CrmError> {
    let mut lookups = Vec::new();
    if let Query::Criteria(c) = query {
        lookups_in(schema, c, &mut lookups);
    }
    let needle = needle(schema, query);
    Ok(state.store.with(|c| {
        let mut renderer = Renderer::new(c);
        let mut stmt = c.prepare(
            "SELECT id, data FROM crm_records
             WHERE module = ?1 AND (?2 IS NULL OR instr(lower(data), ?2) > 0)
             ORDER BY id",
        )?;
        let mut rows = stmt.query(rusqlite::params![schema.module.api_name, needle])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            let data: String = row.get(1)?;
            let mut stored: Map<String, Value> = serde_json::from_str(&data).unwrap_or_default();
            stored.insert("id".into(), Value::String(id.clone()));
            for field in &lookups {
                let reference = stored
                    .get(&field.api_name)
                    .and_then(|v| v.get("id"))
                    .and_then(Value::as_str)
                    .map(str::to_string);
                if let Some(ref_id) = reference {
                    let named = if field.data_type == "ownerlookup" {
                        renderer.user(&ref_id)?
                    } else {
                        renderer.lookup(field.lookup_module.as_deref().unwrap_or(""), &ref_id)?
                    };
                    stored.insert(field.api_name.clone(), named);
                }
            }
            if hit(schema, &stored, query) {
                out.push(renderer.record(schema, &id, &stored, None)?);
                if out.len() > limit {
                    break;
                }
            }
        }
        Ok::<_, rusqlite::Error>(out)
    })?)
}

/// `GET /{module}/search`.
pub async fn search(
    State(state): State<AppState>,
    Path(module): Path<String>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, CrmError> {
    let (_caller, schema) = open(&state, &headers, &module, "READ", "View")?;
    let q = query(&schema, &params, true)?;
    let per_page = params.number("per_page")?.unwrap_or(MAX_PER_PAGE);
    if per_page > MAX_PER_PAGE {
        return Err(CrmError::invalid_param("per_page", "invalid data"));
    }
    let page = params.number("page")?.unwrap_or(1);
    let offset = ((page - 1) * per_page) as usize;
    if offset >= SEARCH_LIMIT {
        return Err(CrmError::search_limit_reached());
    }
    let found = run(&state, &schema, &q, SEARCH_LIMIT)?;
    let reachable = found.len().min(SEARCH_LIMIT);
    let wanted = params.fields()?;
    let page_items: Vec<Value> = found
        .into_iter()
        .take(reachable)
        .skip(offset)
        .take(per_page as usize)
        .map(|mut r| {
            if !wanted.is_empty()
                && let Some(o) = r.as_object_mut()
            {
                o.retain(|k, _| k == "id" || wanted.iter().any(|w| w.eq_ignore_ascii_case(k)));
            }
            r
        })
        .collect();
    if page_items.is_empty() {
        return Ok(respond::no_content());
    }
    let more = offset + page_items.len() < reachable;
    let info = respond::info(per_page, page_items.len(), page, more);
    Ok(respond::json(
        StatusCode::OK,
        json!({ "data": page_items, "info": info }),
    ))
}

/// `GET /{module}/actions/count`: `{"count": "<n>"}` (a string, as record.json types it).
pub async fn count(
    State(state): State<AppState>,
    Path(module): Path<String>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, CrmError> {
    let (_caller, schema) = open(&state, &headers, &module, "READ", "View")?;
    let q = query(&schema, &params, false)?;
    let n = match q {
        Query::All => state.store.with(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM crm_records WHERE module = ?1",
                [&schema.module.api_name],
                |r| r.get::<_, i64>(0),
            )
        })? as usize,
        q => run(&state, &schema, &q, usize::MAX - 1)?.len(),
    };
    Ok(respond::json(
        StatusCode::OK,
        json!({ "count": n.to_string() }),
    ))
}
