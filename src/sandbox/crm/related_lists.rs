//! `GET /settings/related_lists?module=` and `/settings/related_lists/{id}?module=`: Notes,
//! Attachments, and one related list per lookup field (in any module) pointing at the module.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use rusqlite::Connection;
use serde_json::{Value, json};

use super::context::{Params, caller, param_module};
use super::meta::{self, ModuleRow};
use super::respond;
use crate::sandbox::error::CrmError;
use crate::sandbox::server::AppState;

#[allow(clippy::too_many_arguments)]
fn item(
    id: &str,
    sequence: usize,
    label: &str,
    api_name: &str,
    module: Option<(&str, &str)>,
    name: &str,
    kind: &str,
    href: Option<String>,
) -> Value {
    json!({
        "id": id,
        "sequence_number": sequence.to_string(),
        "display_label": label,
        "api_name": api_name,
        "module": match module {
            Some((api, id)) => json!({ "api_name": api, "id": id }),
            None => json!({ "api_name": null, "id": null }),
        },
        "name": name,
        "action": null,
        "href": href,
        "type": kind,
        "visible": true,
        "customize_sort": false,
        "customize_fields": false,
        "customize_display_label": true,
        "sort_by": { "api_name": null, "id": null },
        "sort_order": null,
        "fields": [],
        "status": "visible",
    })
}

/// The related lists `module` shows.
pub fn related_lists(conn: &Connection, module: &ModuleRow) -> rusqlite::Result<Vec<Value>> {
    let mut out = Vec::new();
    for field in meta::lookups_into(conn, &module.api_name)? {
        let source = meta::module_by_name(conn, &field.module)?;
        let (Some(source), Some(rl_id)) = (source, field.rl_id.as_ref()) else {
            continue;
        };
        let api_name = field.rl_api_name.clone().unwrap_or_default();
        out.push(item(
            rl_id,
            out.len() + 1,
            field.rl_label.as_deref().unwrap_or(&source.plural_label),
            &api_name,
            Some((&source.api_name, &source.id)),
            &api_name,
            if field.custom {
                "custom_lookup"
            } else {
                "default"
            },
            Some(format!("{}/{{id}}/{}", module.api_name, api_name)),
        ));
    }
    out.push(item(
        &module.notes_rl_id,
        out.len() + 1,
        "Notes",
        "Notes",
        None,
        "Notes",
        "default",
        Some(format!("{}/{{id}}/Notes", module.api_name)),
    ));
    out.push(item(
        &module.attachments_rl_id,
        out.len() + 1,
        "Attachments",
        "Attachments",
        None,
        "Attachments",
        "default",
        Some(format!("{}/{{id}}/Attachments", module.api_name)),
    ));
    Ok(out)
}

/// `GET /settings/related_lists?module=`.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, CrmError> {
    caller(&state, &headers, "ZohoCRM.settings.related_lists.READ")?;
    let lists = state.store.with(|c| {
        let module = param_module(c, &params)?;
        Ok::<_, CrmError>(related_lists(c, &module)?)
    })?;
    Ok(respond::json(
        StatusCode::OK,
        json!({ "related_lists": lists }),
    ))
}

/// `GET /settings/related_lists/{id}?module=`.
pub async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, CrmError> {
    caller(&state, &headers, "ZohoCRM.settings.related_lists.READ")?;
    let found = state.store.with(|c| {
        let module = param_module(c, &params)?;
        Ok::<_, CrmError>(
            related_lists(c, &module)?
                .into_iter()
                .find(|l| l["id"] == id.as_str()),
        )
    })?;
    match found {
        Some(l) => Ok(respond::json(
            StatusCode::OK,
            json!({ "related_lists": [l] }),
        )),
        None => Ok(respond::no_content()),
    }
}
