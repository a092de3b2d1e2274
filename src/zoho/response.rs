//! Reading Zoho's answers: JSON bodies (or none, for 204/304), the error bodies of its three
//! services (CRM `{"code","message","details"}`, bare or inside the resource array; Projects'
//! legacy `{"error":{"code":6404,"message"}}`; Accounts' `{"error":"invalid_code"}`), and the
//! per-item results of batch writes, which come back in input order. Microsoft's bodies have
//! the same two outer shapes (Graph `{"error":{"code","message","innerError"}}`, the identity
//! platform `{"error","error_description"}`) and are read by the same code.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::{ApiError, ItemError, RequestDescription, System, ZohoError};

/// Longest stretch of an unreadable error body quoted in a message.
const QUOTED_BODY_LIMIT: usize = 300;

/// The JSON body of a successful answer; `None` for 204, 304 or an empty body.
pub(crate) fn parse_body(
    status: u16,
    body: &[u8],
    request: &RequestDescription,
) -> Result<Option<Value>, ZohoError> {
    if status == 204 || status == 304 || body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(body)
        .map(Some)
        .map_err(|e| ZohoError::decode(request, format!("body is not JSON ({e})")))
}

/// Decodes a typed value, naming the request on failure.
pub(crate) fn decode<T: DeserializeOwned>(
    value: Value,
    request: &RequestDescription,
    what: &str,
) -> Result<T, ZohoError> {
    serde_json::from_value(value)
        .map_err(|e| ZohoError::decode(request, format!("cannot read {what}: {e}")))
}

/// Zoho's code, message and details from any of its error body shapes.
pub(crate) fn error_fields(body: &Value) -> Option<(String, String, Value)> {
    let Value::Object(map) = body else {
        return None;
    };
    // CRM: {"code":"INVALID_DATA","details":{..},"message":"..","status":"error"}
    if let Some(code) = map.get("code").and_then(scalar_text) {
        let message = map.get("message").and_then(scalar_text).unwrap_or_default();
        let details = map.get("details").cloned().unwrap_or(Value::Null);
        return Some((code, message, details));
    }
    match map.get("error") {
        // Projects legacy: {"error":{"code":6404,"message":".."}}; Graph:
        // {"error":{"code":"ErrorItemNotFound","message":"..","innerError":{"request-id":..}}},
        // whose innerError (request and correlation ids) is what Microsoft support asks for.
        // Projects V3: {"error":{"status_code":"400","title":"INVALID_PARAMETER_VALUE",
        // "error_type":"..","details":[{"message":"..","field_name":".."}]}}, whose details
        // are an object {"message"} for the throttle.
        Some(Value::Object(inner)) if inner.contains_key("title") => {
            let code = inner.get("title").and_then(scalar_text)?;
            let details = inner.get("details").cloned().unwrap_or(Value::Null);
            let first = match &details {
                Value::Array(items) => items.first().cloned().unwrap_or(Value::Null),
                other => other.clone(),
            };
            let message = first
                .get("message")
                .and_then(scalar_text)
                .or_else(|| inner.get("error_type").and_then(scalar_text))
                .unwrap_or_default();
            return Some((code, message, first));
        }
        Some(Value::Object(inner)) => {
            let code = inner.get("code").and_then(scalar_text)?;
            let message = inner
                .get("message")
                .and_then(scalar_text)
                .unwrap_or_default();
            let details = inner.get("innerError").cloned().unwrap_or(Value::Null);
            return Some((code, message, details));
        }
        // Accounts and the Microsoft identity platform:
        // {"error":"invalid_code","error_description":".."}
        Some(Value::String(code)) => {
            let message = map
                .get("error_description")
                .and_then(scalar_text)
                .unwrap_or_default();
            return Some((code.clone(), message, Value::Null));
        }
        _ => {}
    }
    // CRM whole-request failure reported inside the resource array: {"data":[{error}]}
    map.values().find_map(|v| match v {
        Value::Array(items) => items.first().and_then(|first| {
            let failed = first.get("status").and_then(Value::as_str) != Some("success");
            if failed { error_fields(first) } else { None }
        }),
        _ => None,
    })
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The error an unsuccessful answer stands for.
pub(crate) fn api_error(
    status: u16,
    body: &[u8],
    retry_after: Option<Duration>,
    request: &RequestDescription,
) -> ZohoError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let (code, message, details) = match parsed.as_ref().and_then(error_fields) {
        Some(fields) => fields,
        None => {
            let text = String::from_utf8_lossy(body);
            let mut quoted: String = text.trim().chars().take(QUOTED_BODY_LIMIT).collect();
            if text.trim().chars().count() > QUOTED_BODY_LIMIT {
                quoted.push('…');
            }
            (format!("HTTP_{status}"), quoted, Value::Null)
        }
    };
    ApiError {
        status,
        code,
        message,
        details,
        request: request.clone(),
        retry_after,
    }
    .into()
}

/// Zoho Projects' title for its per-API lock.
pub(crate) const PROJECTS_THROTTLED: &str = "URL_ROLLING_THROTTLES_LIMIT_EXCEEDED";

/// The message of a Zoho Projects answer that locks an API: HTTP 400 with the title
/// [`PROJECTS_THROTTLED`] (as live clients observe) or HTTP 429 (as the documentation says).
pub(crate) fn projects_lock(status: u16, body: &[u8]) -> Option<String> {
    let fields = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| error_fields(&v));
    match (status, fields) {
        (400 | 429, Some((code, message, _))) if code == PROJECTS_THROTTLED => Some(message),
        (429, Some((_, message, _))) => Some(message),
        (429, None) => Some("HTTP 429 Too Many Requests".into()),
        _ => None,
    }
}

/// Graph's code for a missing, malformed, expired or revoked bearer token.
pub(crate) const GRAPH_INVALID_TOKEN: &str = "InvalidAuthenticationToken";

/// Whether a 401 answer from `system` means "this access token is no longer good" (so a
/// fresh token may help) rather than a missing scope or permission, which no refresh fixes.
pub(crate) fn is_stale_token(system: System, body: &[u8]) -> bool {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return true;
    };
    match error_fields(&value) {
        Some((code, _, _)) if system == System::Graph => code == GRAPH_INVALID_TOKEN,
        Some((code, _, _)) => {
            code != "OAUTH_SCOPE_MISMATCH"
                && code != super::projects::wire::ERROR_FORBIDDEN
                && code != super::projects::v3_wire::INVALID_OAUTHSCOPE
        }
        None => true,
    }
}

/// One successful item of a batch write: Zoho's `details` (at least `id`) plus, for upserts,
/// whether it inserted or updated.
pub(crate) type ItemOutcome = Result<Value, ItemError>;

/// Splits a batch answer `{"<key>":[{..},{..}]}` into per-item outcomes, in input order.
pub(crate) fn item_results(
    body: Option<&Value>,
    key: &str,
    expected: usize,
    request: &RequestDescription,
) -> Result<Vec<ItemOutcome>, ZohoError> {
    let items = body
        .and_then(|b| b.get(key))
        .and_then(Value::as_array)
        .ok_or_else(|| ZohoError::decode(request, format!("no {key:?} array in the answer")))?;
    if items.len() != expected {
        return Err(ZohoError::decode(
            request,
            format!("sent {expected} items, Zoho answered for {}", items.len()),
        ));
    }
    Ok(items.iter().map(item_outcome).collect())
}

fn item_outcome(item: &Value) -> ItemOutcome {
    let status = item.get("status").and_then(Value::as_str);
    let code = item.get("code").and_then(Value::as_str);
    if status == Some("success") || code == Some("SUCCESS") {
        return Ok(item.clone());
    }
    let (code, message, details) = error_fields(item).unwrap_or_else(|| {
        (
            "UNKNOWN".to_string(),
            "item answered without status".to_string(),
            Value::Null,
        )
    });
    Err(ItemError::Rejected {
        code,
        message,
        details,
    })
}

/// The `details.id` of a successful item.
pub(crate) fn item_id(item: &Value) -> Option<String> {
    item.get("details")
        .and_then(|d| d.get("id"))
        .and_then(scalar_text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req() -> RequestDescription {
        RequestDescription {
            system: System::Crm,
            method: "POST".into(),
            target: "/crm/v8/Contacts".into(),
        }
    }

    #[test]
    fn reads_every_error_shape() {
        let crm = json!({"code":"INVALID_DATA","details":{"api_name":"Email"},"message":"invalid data","status":"error"});
        assert_eq!(error_fields(&crm).unwrap().0, "INVALID_DATA");
        let wrapped = json!({"data":[{"code":"MANDATORY_NOT_FOUND","details":{},"message":"required field not found","status":"error"}]});
        assert_eq!(error_fields(&wrapped).unwrap().0, "MANDATORY_NOT_FOUND");
        let projects = json!({"error":{"code":6404,"message":"Resource not found"}});
        assert_eq!(
            error_fields(&projects).unwrap(),
            ("6404".into(), "Resource not found".into(), Value::Null)
        );
        let accounts = json!({"error":"invalid_code"});
        assert_eq!(error_fields(&accounts).unwrap().0, "invalid_code");
        assert!(error_fields(&json!({"users":[{"id":"1"}]})).is_none());
    }

    #[test]
    fn unreadable_error_bodies_are_quoted_briefly() {
        let body = "x".repeat(1000);
        let err = api_error(502, body.as_bytes(), None, &req());
        assert_eq!(err.code(), Some("HTTP_502"));
        assert!(err.to_string().len() < 450);
    }

    #[test]
    fn scope_mismatch_is_not_a_stale_token() {
        let crm = System::Crm;
        assert!(is_stale_token(crm, br#"{"code":"INVALID_TOKEN","message":"invalid oauth token","status":"error","details":{}}"#));
        assert!(!is_stale_token(
            crm,
            br#"{"code":"OAUTH_SCOPE_MISMATCH","message":"m","status":"error","details":{}}"#
        ));
        assert!(is_stale_token(
            System::Projects,
            br#"{"error":{"code":6401,"message":"Invalid OAuth token"}}"#
        ));
        assert!(!is_stale_token(
            System::Projects,
            br#"{"error":{"code":6403,"message":"scope"}}"#
        ));
        assert!(is_stale_token(crm, b""));
    }

    fn graph_req() -> RequestDescription {
        RequestDescription {
            system: System::Graph,
            method: "GET".into(),
            target: "/users/pat@acme.com/events/AAMk".into(),
        }
    }

    #[test]
    fn graph_errors_keep_code_message_and_request_ids() {
        let body = br#"{"error":{"code":"ErrorItemNotFound","message":"The specified object was not found in the store.","innerError":{"date":"2026-01-05T10:00:00","request-id":"1b2c","client-request-id":"3d4e"}}}"#;
        let err = api_error(404, body, None, &graph_req());
        let ZohoError::Api(api) = &err else {
            panic!("not an API error: {err:?}");
        };
        assert_eq!(api.status, 404);
        assert_eq!(api.code, "ErrorItemNotFound");
        assert_eq!(
            api.message,
            "The specified object was not found in the store."
        );
        assert_eq!(api.details["request-id"], "1b2c");
        assert_eq!(
            err.to_string(),
            "GET /users/pat@acme.com/events/AAMk: HTTP 404 ErrorItemNotFound: The specified object was not found in the store."
        );

        let throttled = br#"{"error":{"code":"ApplicationThrottled","message":"Application is over its request limit."}}"#;
        let err = api_error(429, throttled, Some(Duration::from_secs(7)), &graph_req());
        assert!(err.is_retryable() && err.is_rate_limited());
        assert_eq!(err.code(), Some("ApplicationThrottled"));
        assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));

        let gone = br#"{"error":{"code":"SyncStateNotFound","message":"The sync state generation is not found."}}"#;
        let err = api_error(410, gone, None, &graph_req());
        assert!(!err.is_retryable());
        assert_eq!(err.code(), Some("SyncStateNotFound"));
    }

    #[test]
    fn identity_platform_errors_read_like_accounts_errors() {
        let body = json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided.", "error_codes": [7000215]});
        let (code, message, _) = error_fields(&body).unwrap();
        assert_eq!(code, "invalid_client");
        assert!(message.starts_with("AADSTS7000215"));
    }

    #[test]
    fn only_graphs_invalid_token_code_means_a_stale_graph_token() {
        let stale = br#"{"error":{"code":"InvalidAuthenticationToken","message":"Lifetime validation failed, the token is expired."}}"#;
        assert!(is_stale_token(System::Graph, stale));
        // A 401 for a reason a new token cannot fix is answered as it is.
        let other = br#"{"error":{"code":"Authorization_IdentityNotFound","message":"The identity of the calling application could not be established."}}"#;
        assert!(!is_stale_token(System::Graph, other));
        assert!(is_stale_token(System::Graph, b"<html>Unauthorized</html>"));
    }

    #[test]
    fn item_results_keep_input_order_and_count() {
        let body = json!({"data":[
            {"code":"SUCCESS","details":{"id":"1"},"message":"record added","status":"success"},
            {"code":"DUPLICATE_DATA","details":{"api_name":"Email"},"message":"duplicate data","status":"error"}
        ]});
        let out = item_results(Some(&body), "data", 2, &req()).unwrap();
        assert_eq!(item_id(out[0].as_ref().unwrap()).as_deref(), Some("1"));
        assert_eq!(out[1].as_ref().unwrap_err().code(), Some("DUPLICATE_DATA"));
        assert!(item_results(Some(&body), "data", 3, &req()).is_err());
        assert!(item_results(None, "data", 2, &req()).is_err());
    }
}
