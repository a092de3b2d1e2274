//! Response shapes shared by the CRM handlers: JSON bodies, 204 for empty results, and batch
//! results (201/200 when every item succeeded, 207 when mixed, 400 when all failed).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::sandbox::error::CrmError;

pub fn json(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

pub fn not_modified() -> Response {
    StatusCode::NOT_MODIFIED.into_response()
}

/// One item's outcome in a batch write.
pub type ItemResult = Result<Value, CrmError>;

/// `{"<key>": [item results in input order]}` with the status Zoho picks for the mix.
pub fn batch(key: &str, results: Vec<ItemResult>, all_ok: StatusCode) -> Response {
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let status = if ok == results.len() {
        all_ok
    } else if ok == 0 {
        results
            .iter()
            .find_map(|r| r.as_ref().err().map(|e| e.status))
            .unwrap_or(StatusCode::BAD_REQUEST)
    } else {
        StatusCode::MULTI_STATUS
    };
    let items: Vec<Value> = results
        .into_iter()
        .map(|r| match r {
            Ok(v) => v,
            Err(e) => e.body(),
        })
        .collect();
    json(status, json!({ key: items }))
}

/// A per-item success: `{"code":"SUCCESS","details":{..},"message":..,"status":"success"}`.
pub fn success(message: &str, details: Value) -> Value {
    json!({ "code": "SUCCESS", "details": details, "message": message, "status": "success" })
}

/// One JSON object from several (large bodies are built in parts to keep `json!` shallow).
pub fn merged<const N: usize>(parts: [Value; N]) -> Value {
    let mut out = serde_json::Map::new();
    for part in parts {
        if let Value::Object(map) = part {
            out.extend(map);
        }
    }
    Value::Object(out)
}

/// Paging info for the metadata lists (`users`): `{per_page, count, page, more_records}`.
pub fn info(per_page: u64, count: usize, page: u64, more: bool) -> Value {
    json!({ "per_page": per_page, "count": count, "page": page, "more_records": more })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixed_batches_are_207_and_all_failed_are_the_error_status() {
        let ok = || Ok(success("record added", json!({"id": "1"})));
        let bad = || Err(CrmError::invalid_data("x", "$.data[1].x"));
        assert_eq!(
            batch("data", vec![ok(), ok()], StatusCode::CREATED).status(),
            201
        );
        assert_eq!(
            batch("data", vec![ok(), bad()], StatusCode::CREATED).status(),
            207
        );
        assert_eq!(
            batch("data", vec![bad()], StatusCode::CREATED).status(),
            400
        );
    }
}
