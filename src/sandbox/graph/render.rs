//! Graph's JSON for users, calendars, contact folders, events and contacts, and the checks
//! on what a client writes: known properties only, the right JSON types, start/end on events,
//! well-formed extended property ids.

use base64::Engine;
use chrono::NaiveDateTime;
use rand::Rng;
use serde_json::{Map, Value, json};

use super::db::{self, Folder, Item, Kind};
use super::error::GraphError;
use super::query::{Options, parse_time};

/// Graph's timestamp spelling, e.g. `2026-01-05T10:00:00.1234560Z`.
pub fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    format!("{}0Z", t.format("%Y-%m-%dT%H:%M:%S%.6f"))
}

pub fn now() -> String {
    timestamp(chrono::Utc::now())
}

/// A new Exchange-style item or folder id.
pub fn new_id() -> String {
    let bytes: [u8; 33] = rand::rng().random();
    format!(
        "AAMkA{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

pub fn new_change_key() -> String {
    let bytes: [u8; 12] = rand::rng().random();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn etag(change_key: &str) -> String {
    format!("W/\"{change_key}\"")
}

pub fn user(u: &db::User) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("businessPhones".into(), json!([]));
    m.insert("displayName".into(), json!(u.display_name));
    m.insert("givenName".into(), json!(u.given_name));
    m.insert("jobTitle".into(), json!(u.job_title));
    m.insert("mail".into(), json!(u.mail));
    m.insert("mobilePhone".into(), Value::Null);
    m.insert("officeLocation".into(), Value::Null);
    m.insert("preferredLanguage".into(), Value::Null);
    m.insert("surname".into(), json!(u.surname));
    m.insert("userPrincipalName".into(), json!(u.upn));
    m.insert("id".into(), json!(u.id));
    m
}

pub fn calendar(f: &Folder, owner: &db::User) -> Map<String, Value> {
    let Value::Object(m) = json!({
        "id": f.id,
        "name": f.name,
        "color": "auto",
        "hexColor": "",
        "isDefaultCalendar": f.is_default,
        "changeKey": f.change_key,
        "canShare": true,
        "canViewPrivateItems": true,
        "canEdit": true,
        "isRemovable": !f.is_default,
        "isTallyingResponses": true,
        "allowedOnlineMeetingProviders": ["teamsForBusiness"],
        "defaultOnlineMeetingProvider": "teamsForBusiness",
        "owner": {"name": owner.display_name, "address": owner.mail.clone().unwrap_or_else(|| owner.upn.clone())},
    }) else {
        unreachable!("a JSON object literal")
    };
    m
}

pub fn contact_folder(f: &Folder, root_id: &str) -> Map<String, Value> {
    let Value::Object(m) = json!({
        "id": f.id,
        "displayName": f.name,
        "parentFolderId": root_id,
    }) else {
        unreachable!("a JSON object literal")
    };
    m
}

/// An item's JSON without extended properties.
pub fn item(kind: Kind, it: &Item) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("@odata.etag".into(), json!(etag(&it.change_key)));
    m.insert("id".into(), json!(it.id));
    m.insert("createdDateTime".into(), json!(it.created));
    m.insert("lastModifiedDateTime".into(), json!(it.modified));
    m.insert("changeKey".into(), json!(it.change_key));
    let defaults = match kind {
        Kind::Event => json!({
            "categories": [], "subject": "", "bodyPreview": "",
            "body": {"contentType": "text", "content": ""},
            "importance": "normal", "sensitivity": "normal", "showAs": "busy",
            "isAllDay": false, "isReminderOn": true, "reminderMinutesBeforeStart": 15,
            "responseRequested": true, "isOnlineMeeting": false, "isCancelled": false,
            "location": {"displayName": "", "locationType": "default"},
            "locations": [], "attendees": [], "recurrence": null, "type": "singleInstance",
        }),
        Kind::Contact => json!({
            "categories": [], "parentFolderId": it.folder_id, "birthday": null,
            "fileAs": "", "displayName": "", "givenName": null, "initials": null,
            "middleName": null, "nickName": null, "surname": null, "title": null,
            "generation": null, "imAddresses": [], "jobTitle": null, "companyName": null,
            "department": null, "officeLocation": null, "profession": null,
            "businessHomePage": null, "assistantName": null, "manager": null,
            "homePhones": [], "mobilePhone": null, "businessPhones": [],
            "spouseName": null, "personalNotes": "", "children": [],
            "emailAddresses": [], "homeAddress": {}, "businessAddress": {}, "otherAddress": {},
        }),
    };
    if let Value::Object(d) = defaults {
        m.extend(d);
    }
    for (k, v) in &it.doc {
        m.insert(k.clone(), v.clone());
    }
    if kind == Kind::Event {
        let preview: String = it
            .doc
            .get("body")
            .and_then(|b| b.get("content"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .chars()
            .take(255)
            .collect();
        m.insert("bodyPreview".into(), json!(preview));
    } else if !it.doc.contains_key("displayName") {
        let name = [it.doc.get("givenName"), it.doc.get("surname")]
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" ");
        m.insert("displayName".into(), json!(name));
    }
    m
}

fn ext_json(ext: &[(String, String)], only: Option<&[String]>) -> Value {
    Value::Array(
        ext.iter()
            .filter(|(id, _)| {
                only.is_none_or(|ids| {
                    ids.is_empty() || ids.iter().any(|w| w.eq_ignore_ascii_case(id))
                })
            })
            .map(|(id, value)| json!({"id": id, "value": value}))
            .collect(),
    )
}

/// The item with all its extended properties, as `$filter` sees it.
pub fn item_for_filter(kind: Kind, it: &Item) -> Value {
    let mut m = item(kind, it);
    m.insert(
        "singleValueExtendedProperties".into(),
        ext_json(&it.ext, None),
    );
    Value::Object(m)
}

/// The item as a response shows it: `$expand`ed extended properties, then `$select`.
pub fn item_view(kind: Kind, it: &Item, opts: &Options) -> Value {
    let mut m = item(kind, it);
    if let Some(ids) = &opts.expand {
        m.insert(
            "singleValueExtendedProperties".into(),
            ext_json(&it.ext, Some(ids)),
        );
    }
    Value::Object(select(m, opts))
}

/// Keeps `@odata.*`, `id`, expanded properties and the `$select`ed ones.
pub fn select(m: Map<String, Value>, opts: &Options) -> Map<String, Value> {
    let Some(fields) = &opts.select else {
        return m;
    };
    m.into_iter()
        .filter(|(k, _)| {
            k.starts_with("@odata")
                || k == "id"
                || (k == "singleValueExtendedProperties" && opts.expand.is_some())
                || fields.iter().any(|f| f.eq_ignore_ascii_case(k))
        })
        .collect()
}

#[derive(Clone, Copy)]
enum Ty {
    Str,
    Bool,
    Int,
    Obj,
    Arr,
    DateTimeTz,
    NullOnly,
}

const EVENT_PROPS: &[(&str, Ty)] = &[
    ("subject", Ty::Str),
    ("body", Ty::Obj),
    ("start", Ty::DateTimeTz),
    ("end", Ty::DateTimeTz),
    ("location", Ty::Obj),
    ("locations", Ty::Arr),
    ("isAllDay", Ty::Bool),
    ("showAs", Ty::Str),
    ("importance", Ty::Str),
    ("sensitivity", Ty::Str),
    ("categories", Ty::Arr),
    ("attendees", Ty::Arr),
    ("isReminderOn", Ty::Bool),
    ("reminderMinutesBeforeStart", Ty::Int),
    ("responseRequested", Ty::Bool),
    ("isOnlineMeeting", Ty::Bool),
    ("onlineMeetingProvider", Ty::Str),
    ("allowNewTimeProposals", Ty::Bool),
    ("hideAttendees", Ty::Bool),
    ("transactionId", Ty::Str),
    ("recurrence", Ty::NullOnly),
];

const CONTACT_PROPS: &[(&str, Ty)] = &[
    ("givenName", Ty::Str),
    ("surname", Ty::Str),
    ("middleName", Ty::Str),
    ("displayName", Ty::Str),
    ("nickName", Ty::Str),
    ("title", Ty::Str),
    ("initials", Ty::Str),
    ("generation", Ty::Str),
    ("emailAddresses", Ty::Arr),
    ("businessPhones", Ty::Arr),
    ("homePhones", Ty::Arr),
    ("mobilePhone", Ty::Str),
    ("companyName", Ty::Str),
    ("jobTitle", Ty::Str),
    ("department", Ty::Str),
    ("officeLocation", Ty::Str),
    ("profession", Ty::Str),
    ("manager", Ty::Str),
    ("assistantName", Ty::Str),
    ("spouseName", Ty::Str),
    ("personalNotes", Ty::Str),
    ("birthday", Ty::Str),
    ("fileAs", Ty::Str),
    ("businessHomePage", Ty::Str),
    ("imAddresses", Ty::Arr),
    ("categories", Ty::Arr),
    ("children", Ty::Arr),
    ("businessAddress", Ty::Obj),
    ("homeAddress", Ty::Obj),
    ("otherAddress", Ty::Obj),
    ("yomiGivenName", Ty::Str),
    ("yomiSurname", Ty::Str),
    ("yomiCompanyName", Ty::Str),
];

/// Properties the server owns: accepted in a body and ignored, as Graph does.
const READ_ONLY: &[&str] = &[
    "id",
    "createdDateTime",
    "lastModifiedDateTime",
    "changeKey",
    "parentFolderId",
    "bodyPreview",
];

const EXT_TYPES: &[&str] = &[
    "String",
    "Integer",
    "Boolean",
    "SystemTime",
    "Double",
    "Currency",
    "Long",
    "Short",
    "Float",
    "Binary",
    "CLSID",
];

/// A client's write: the properties to store and the extended properties to upsert.
pub struct Write {
    pub doc: Map<String, Value>,
    pub ext: Vec<(String, String)>,
}

/// Checks a create (`creating`) or PATCH body of `kind`.
pub fn parse_write(kind: Kind, body: &[u8], creating: bool) -> Result<Write, GraphError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        GraphError::bad_request(format!("Unable to read JSON request payload: {e}"))
    })?;
    parse_write_value(kind, value, creating)
}

/// [`parse_write`] on parsed JSON (seeds use it too).
pub fn parse_write_value(kind: Kind, value: Value, creating: bool) -> Result<Write, GraphError> {
    let Value::Object(obj) = value else {
        return Err(GraphError::bad_request(
            "Unable to read JSON request payload: a JSON object is expected.",
        ));
    };
    let (props, type_name) = match kind {
        Kind::Event => (EVENT_PROPS, "microsoft.graph.event"),
        Kind::Contact => (CONTACT_PROPS, "microsoft.graph.contact"),
    };
    let mut write = Write {
        doc: Map::new(),
        ext: Vec::new(),
    };
    for (key, value) in obj {
        if key.starts_with("@odata") || READ_ONLY.contains(&key.as_str()) {
            continue;
        }
        if key == "singleValueExtendedProperties" {
            write.ext = parse_ext(&value)?;
            continue;
        }
        let Some((name, ty)) = props.iter().find(|(p, _)| *p == key) else {
            return Err(GraphError::bad_request(format!(
                "The property '{key}' does not exist on type '{type_name}'. Make sure to only \
                 use property names that are defined by the type or mark the type as open type."
            )));
        };
        let value = check_type(name, *ty, value)?;
        write.doc.insert(key, value);
    }
    if kind == Kind::Event {
        for side in ["start", "end"] {
            if creating && !write.doc.contains_key(side) {
                return Err(GraphError::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    "ErrorPropertyValidationFailure",
                    format!("At least one property failed validation: '{side}' is required."),
                ));
            }
        }
        if let Some(b) = write.doc.get("body") {
            let ct = b
                .get("contentType")
                .and_then(Value::as_str)
                .unwrap_or("text");
            if !ct.eq_ignore_ascii_case("text") && !ct.eq_ignore_ascii_case("html") {
                return Err(GraphError::bad_request(format!(
                    "Cannot convert the literal '{ct}' to the expected type 'microsoft.graph.bodyType'."
                )));
            }
        }
    }
    Ok(write)
}

fn check_type(name: &str, ty: Ty, value: Value) -> Result<Value, GraphError> {
    let wrong = |expected: &str| {
        GraphError::bad_request(format!(
            "Invalid value for property '{name}': {expected} expected."
        ))
    };
    let ok = match ty {
        Ty::Str => value.is_string() || value.is_null(),
        Ty::Bool => value.is_boolean(),
        Ty::Int => value.is_i64(),
        Ty::Obj => value.is_object() || value.is_null(),
        Ty::Arr => value.is_array(),
        Ty::NullOnly => {
            if !value.is_null() {
                return Err(GraphError::bad_request(
                    "Recurring events are not supported by this sandbox.",
                ));
            }
            true
        }
        Ty::DateTimeTz => return date_time_tz(name, &value),
    };
    if ok {
        Ok(value)
    } else {
        Err(wrong(match ty {
            Ty::Str => "a string",
            Ty::Bool => "a boolean",
            Ty::Int => "an integer",
            Ty::Obj => "an object",
            _ => "an array",
        }))
    }
}

/// A `dateTimeTimeZone` in Graph's spelling of its time, in a zone the sandbox knows.
fn date_time_tz(name: &str, value: &Value) -> Result<Value, GraphError> {
    let dt = value.get("dateTime").and_then(Value::as_str);
    let tz = value.get("timeZone").and_then(Value::as_str);
    match (dt.and_then(parse_time), tz) {
        (Some(_), Some(tz)) if super::zones::resolve(tz).is_none() => {
            Err(super::zones::unsupported(tz))
        }
        (Some(t), Some(tz)) => Ok(json!({"dateTime": graph_local(t), "timeZone": tz})),
        _ => Err(GraphError::bad_request(format!(
            "Invalid value for property '{name}': {DATE_TIME_TZ_FORM} expected."
        ))),
    }
}

/// How an invalid `dateTimeTimeZone` is described in Graph's error.
const DATE_TIME_TZ_FORM: &str = r#"{"dateTime": "yyyy-MM-ddTHH:mm:ss", "timeZone": "..."}"#;

/// Graph's spelling of a `dateTimeTimeZone` time, e.g. `2026-01-05T10:00:00.0000000`.
pub fn graph_local(t: NaiveDateTime) -> String {
    format!("{}0", t.format("%Y-%m-%dT%H:%M:%S%.6f"))
}

fn parse_ext(value: &Value) -> Result<Vec<(String, String)>, GraphError> {
    let bad = |why: &str| {
        GraphError::bad_request(format!("Invalid singleValueExtendedProperties: {why}."))
    };
    let items = value
        .as_array()
        .ok_or_else(|| bad("an array is expected"))?;
    let mut out = Vec::new();
    for p in items {
        let id = p
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("every property needs a string 'id'"))?;
        let value = p
            .get("value")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("every property needs a string 'value'"))?;
        let (ty, rest) = id.split_once(' ').unwrap_or((id, ""));
        if !EXT_TYPES.iter().any(|t| t.eq_ignore_ascii_case(ty)) || rest.trim().is_empty() {
            return Err(GraphError::bad_request(format!(
                "The extended property id '{id}' is not valid: expected '<Type> {{guid}} Name <name>', \
                 '<Type> {{guid}} Id 0x<hex>' or '<Type> 0x<hex>'."
            )));
        }
        out.push((id.to_string(), value.to_string()));
    }
    Ok(out)
}

/// Upserts extended properties by id (case-insensitive), keeping the others.
pub fn merge_ext(current: &mut Vec<(String, String)>, updates: Vec<(String, String)>) {
    for (id, value) in updates {
        match current
            .iter_mut()
            .find(|(c, _)| c.eq_ignore_ascii_case(&id))
        {
            Some(slot) => slot.1 = value,
            None => current.push((id, value)),
        }
    }
}

/// An event's [start, end) as UTC instants, whatever zone they were written in.
pub fn event_span_utc(doc: &Map<String, Value>) -> Option<(NaiveDateTime, NaiveDateTime)> {
    let time = |side: &str| {
        let value = doc.get(side)?;
        let local = parse_time(value.get("dateTime")?.as_str()?)?;
        let zone = value
            .get("timeZone")
            .and_then(Value::as_str)
            .and_then(super::zones::resolve)
            .unwrap_or(chrono_tz::Tz::UTC);
        Some(super::zones::to_utc(local, zone))
    };
    Some((time("start")?, time("end")?))
}

/// An event's [start, end) as written: wall-clock times in their own zone (the all-day
/// rule is about those).
pub fn event_span(doc: &Map<String, Value>) -> Option<(NaiveDateTime, NaiveDateTime)> {
    let time = |side: &str| {
        doc.get(side)
            .and_then(|v| v.get("dateTime"))
            .and_then(Value::as_str)
            .and_then(parse_time)
    };
    Some((time("start")?, time("end")?))
}
