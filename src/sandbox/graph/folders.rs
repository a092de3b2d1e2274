//! A mailbox's calendars and contact folders: list, get, create (names unique per mailbox,
//! 409 `ErrorFolderExists`), delete (with everything in them; the default calendar stays).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Map, Value, json};

use super::db::{self, Folder, Kind};
use super::error::GraphError;
use super::render;
use super::{Mailbox, open_mailbox};
use crate::sandbox::server::AppState;

type Params = Path<HashMap<String, String>>;

/// The id of the mailbox's root contacts folder (the parent of every contact folder).
pub fn contacts_root_id(user_id: &str) -> String {
    format!(
        "AQMkA{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("contacts:{user_id}"))
    )
}

fn open(
    state: &AppState,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
    kind: Kind,
    write: bool,
) -> Result<Mailbox, GraphError> {
    let user = params.get("user_id").map(String::as_str).unwrap_or("");
    open_mailbox(state, headers, user, kind, write)
}

fn folder_json(kind: Kind, f: &Folder, owner: &db::User) -> Value {
    Value::Object(match kind {
        Kind::Event => render::calendar(f, owner),
        Kind::Contact => render::contact_folder(f, &contacts_root_id(&owner.id)),
    })
}

async fn list(
    kind: Kind,
    state: AppState,
    headers: HeaderMap,
    params: HashMap<String, String>,
) -> Result<Json<Value>, GraphError> {
    let mailbox = open(&state, &headers, &params, kind, false)?;
    let folders = state
        .store
        .with(|c| db::list_folders(c, &mailbox.user.id, kind))?;
    // Contact folders are the children of the default "Contacts" folder, which is not one
    // of them.
    let value: Vec<Value> = folders
        .iter()
        .filter(|f| kind == Kind::Event || !f.is_default)
        .map(|f| folder_json(kind, f, &mailbox.user))
        .collect();
    Ok(Json(json!({
        "@odata.context": format!(
            "{}/graph/v1.0/$metadata#users('{}')/{}",
            state.base_url,
            mailbox.user.id,
            if kind == Kind::Event { "calendars" } else { "contactFolders" }
        ),
        "value": value,
    })))
}

async fn get(
    kind: Kind,
    state: AppState,
    headers: HeaderMap,
    params: HashMap<String, String>,
) -> Result<Json<Value>, GraphError> {
    let mailbox = open(&state, &headers, &params, kind, false)?;
    let folder = find(&state, &mailbox, kind, &params)?;
    Ok(Json(folder_json(kind, &folder, &mailbox.user)))
}

fn find(
    state: &AppState,
    mailbox: &Mailbox,
    kind: Kind,
    params: &HashMap<String, String>,
) -> Result<Folder, GraphError> {
    // `/users/{id}/calendar` names no id: the default calendar.
    let id = params
        .get("calendar_id")
        .or_else(|| params.get("folder_id"))
        .map(String::as_str);
    state
        .store
        .with(|c| match id {
            Some(id) => db::find_folder(c, &mailbox.user.id, kind, id),
            None => db::default_folder(c, &mailbox.user.id, kind),
        })?
        .ok_or_else(GraphError::item_not_found)
}

async fn create(
    kind: Kind,
    state: AppState,
    headers: HeaderMap,
    params: HashMap<String, String>,
    body: axum::body::Bytes,
) -> Result<Response, GraphError> {
    let mailbox = open(&state, &headers, &params, kind, true)?;
    let obj: Map<String, Value> = serde_json::from_slice(&body).map_err(|e| {
        GraphError::bad_request(format!("Unable to read JSON request payload: {e}"))
    })?;
    let name_key = if kind == Kind::Event {
        "name"
    } else {
        "displayName"
    };
    for key in obj.keys() {
        let known = key == name_key
            || key.starts_with("@odata")
            || (kind == Kind::Event && matches!(key.as_str(), "color" | "hexColor"))
            || (kind == Kind::Contact && key == "parentFolderId");
        if !known {
            return Err(GraphError::bad_request(format!(
                "The property '{key}' does not exist on type 'microsoft.graph.{}'.",
                kind.folder()
            )));
        }
    }
    let name = obj
        .get(name_key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            GraphError::invalid_request(format!("The '{name_key}' property is required."))
        })?
        .to_string();
    let user_id = mailbox.user.id.clone();
    let folder = state.store.with(|c| -> Result<Folder, GraphError> {
        let taken = db::list_folders(c, &user_id, kind)?
            .iter()
            .any(|f| f.name.eq_ignore_ascii_case(&name));
        if taken {
            return Err(GraphError::new(
                StatusCode::CONFLICT,
                "ErrorFolderExists",
                "A folder with the specified name already exists.",
            ));
        }
        let folder = Folder {
            id: render::new_id(),
            user_id: user_id.clone(),
            name,
            is_default: false,
            change_key: render::new_change_key(),
        };
        db::insert_folder(c, kind, &folder)?;
        Ok(folder)
    })?;
    Ok((
        StatusCode::CREATED,
        Json(folder_json(kind, &folder, &mailbox.user)),
    )
        .into_response())
}

async fn delete(
    kind: Kind,
    state: AppState,
    headers: HeaderMap,
    params: HashMap<String, String>,
) -> Result<StatusCode, GraphError> {
    let mailbox = open(&state, &headers, &params, kind, true)?;
    let folder = find(&state, &mailbox, kind, &params)?;
    if folder.is_default {
        return Err(GraphError::invalid_request(
            "The default folder cannot be deleted.",
        ));
    }
    state.store.with(|c| db::delete_folder(c, &folder.id))?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_calendars(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(p): Params,
) -> Result<Json<Value>, GraphError> {
    list(Kind::Event, s, h, p).await
}

pub async fn list_contact_folders(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(p): Params,
) -> Result<Json<Value>, GraphError> {
    list(Kind::Contact, s, h, p).await
}

pub async fn get_calendar(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(p): Params,
) -> Result<Json<Value>, GraphError> {
    get(Kind::Event, s, h, p).await
}

pub async fn get_contact_folder(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(p): Params,
) -> Result<Json<Value>, GraphError> {
    get(Kind::Contact, s, h, p).await
}

pub async fn create_calendar(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(p): Params,
    body: axum::body::Bytes,
) -> Result<Response, GraphError> {
    create(Kind::Event, s, h, p, body).await
}

pub async fn create_contact_folder(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(p): Params,
    body: axum::body::Bytes,
) -> Result<Response, GraphError> {
    create(Kind::Contact, s, h, p, body).await
}

pub async fn delete_calendar(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(p): Params,
) -> Result<StatusCode, GraphError> {
    delete(Kind::Event, s, h, p).await
}

pub async fn delete_contact_folder(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(p): Params,
) -> Result<StatusCode, GraphError> {
    delete(Kind::Contact, s, h, p).await
}
