//! Deliberate departures from how the twin normally answers, so the checks that exist to
//! notice a real org differing from the twin (`projectlink doctor`) can be shown to notice:
//! a Projects portal that serves only the legacy API, and one endpoint whose answers have a
//! field renamed or replaced. A dropped scope or a user without admin rights needs no switch
//! here: the seed sets each grant's scopes and each user's profile.

use std::str::FromStr;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::projects::v3::error::V3Error;
use super::server::AppState;

/// Largest answer body the shape change rewrites; larger ones pass unchanged.
const MAX_REWRITE_BYTES: usize = 16 * 1024 * 1024;

/// The departures one sandbox makes; none by default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Deviations {
    /// Every `/api/v3` path answers 400 `URL_RULE_NOT_CONFIGURED`, as a portal without V3
    /// rules does, so only the legacy `/restapi` API serves Projects.
    pub projects_legacy_only: bool,
    /// One field of one endpoint's answers renamed or given another value.
    pub shape: Option<ShapeChange>,
}

/// A change to every object that has `field` in the answers of one route.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapeChange {
    /// Method and route template, as the counters name it: `GET /crm/v8/users`.
    pub route: String,
    pub field: String,
    pub change: FieldChange,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FieldChange {
    /// The field keeps its value under another name.
    Rename(String),
    /// The field gets this JSON value (a wrong type, typically).
    Replace(Value),
}

/// A `--deviate-shape` value that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error(
    "invalid shape change {text:?}: {problem} (expected \"METHOD /route:field=>new_name\" or \"METHOD /route:field=<JSON value>\")"
)]
pub struct ShapeChangeError {
    text: String,
    problem: &'static str,
}

impl FromStr for ShapeChange {
    type Err = ShapeChangeError;

    /// `GET /crm/v8/users:email=>mail` renames; `GET /crm/v8/users:email=42` replaces.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = |problem| ShapeChangeError {
            text: text.to_string(),
            problem,
        };
        // Route templates hold no ':' (`{id}`), the JSON value may.
        let (route, change) = text.split_once(':').ok_or_else(|| error("no ':'"))?;
        if !route.contains(' ') {
            return Err(error("the route has no method"));
        }
        let (field, change) = if let Some((field, to)) = change.split_once("=>") {
            (field, FieldChange::Rename(to.trim().to_string()))
        } else {
            let (field, value) = change
                .split_once('=')
                .ok_or_else(|| error("no '=' or '=>'"))?;
            let value = serde_json::from_str(value.trim())
                .map_err(|_| error("the new value is not JSON"))?;
            (field, FieldChange::Replace(value))
        };
        if field.trim().is_empty() {
            return Err(error("no field name"));
        }
        Ok(ShapeChange {
            route: route.trim().to_string(),
            field: field.trim().to_string(),
            change,
        })
    }
}

impl ShapeChange {
    /// Applies the change to every object in `value` that holds the field.
    fn apply(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                if let Some(old) = map.remove(&self.field) {
                    match &self.change {
                        FieldChange::Rename(to) => map.insert(to.clone(), old),
                        FieldChange::Replace(new) => map.insert(self.field.clone(), new.clone()),
                    };
                }
                map.values_mut().for_each(|v| self.apply(v));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.apply(v)),
            _ => {}
        }
    }
}

/// Middleware: answers V3 as a legacy-only portal, and rewrites the changed route's answers.
pub async fn apply(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let deviations = &state.config.deviations;
    if deviations.projects_legacy_only && request.uri().path().starts_with("/api/v3") {
        return V3Error::unknown_url().into_response();
    }
    let Some(shape) = &deviations.shape else {
        return next.run(request).await;
    };
    let template = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| request.uri().path().to_string());
    if format!("{} {template}", request.method()) != shape.route {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_REWRITE_BYTES).await else {
        return (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "answer too large",
        )
            .into_response();
    };
    let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    shape.apply(&mut value);
    let bytes = serde_json::to_vec(&value).unwrap_or_else(|_| bytes.to_vec());
    parts.headers.remove(CONTENT_LENGTH);
    parts.headers.insert(
        CONTENT_TYPE,
        "application/json".parse().expect("static header"),
    );
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_renames_and_replacements() {
        let rename: ShapeChange = "GET /crm/v8/users:email=>mail".parse().unwrap();
        assert_eq!(rename.route, "GET /crm/v8/users");
        assert_eq!(rename.change, FieldChange::Rename("mail".into()));
        let replace: ShapeChange = "GET /api/v3/portals:id={\"x\":1}".parse().unwrap();
        assert_eq!(replace.field, "id");
        assert_eq!(replace.change, FieldChange::Replace(json!({"x": 1})));
        assert!("/crm/v8/users:email=>mail".parse::<ShapeChange>().is_err());
        assert!(
            "GET /crm/v8/users:email=not json"
                .parse::<ShapeChange>()
                .is_err()
        );
    }

    #[test]
    fn changes_every_object_holding_the_field() {
        let change: ShapeChange = "GET /x:email=>mail".parse().unwrap();
        let mut value = json!({"users": [{"email": "a"}, {"email": "b", "x": {"email": "c"}}]});
        change.apply(&mut value);
        assert_eq!(
            value,
            json!({"users": [{"mail": "a"}, {"mail": "b", "x": {"mail": "c"}}]})
        );
    }
}
