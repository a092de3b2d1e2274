//! Graph's JSON as the client reads and writes it: users, folders and items out of answers
//! (`{"value":[...], "@odata.nextLink"}` pages), and request bodies carrying extended
//! properties. Missing or mistyped required fields are decode errors naming the request.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{GraphError, GraphFolder, GraphItem, GraphUser, ItemKind};
use crate::zoho::RequestDescription;

pub(crate) const EXTENDED: &str = "singleValueExtendedProperties";

/// The answer's JSON object.
pub(crate) fn object(
    body: Option<Value>,
    request: &RequestDescription,
) -> Result<Map<String, Value>, GraphError> {
    match body {
        Some(Value::Object(map)) => Ok(map),
        Some(_) => Err(GraphError::malformed(
            request,
            "the answer is not a JSON object",
        )),
        None => Err(GraphError::malformed(request, "the answer has no body")),
    }
}

/// A page's `value` array.
pub(crate) fn take_values(
    page: &mut Map<String, Value>,
    request: &RequestDescription,
) -> Result<Vec<Value>, GraphError> {
    match page.remove("value") {
        Some(Value::Array(items)) => Ok(items),
        _ => Err(GraphError::malformed(
            request,
            "the page has no \"value\" array",
        )),
    }
}

/// A link property (`@odata.nextLink`, `@odata.deltaLink`) of a page, if present.
pub(crate) fn link<'a>(page: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    page.get(name)
        .and_then(Value::as_str)
        .filter(|l| !l.is_empty())
}

fn required_str(
    obj: &Map<String, Value>,
    name: &str,
    what: &str,
    request: &RequestDescription,
) -> Result<String, GraphError> {
    obj.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| GraphError::malformed(request, format!("a {what} without \"{name}\"")))
}

fn optional_str(obj: &Map<String, Value>, name: &str) -> Option<String> {
    obj.get(name).and_then(Value::as_str).map(str::to_string)
}

fn as_object<'a>(
    value: &'a Value,
    what: &str,
    request: &RequestDescription,
) -> Result<&'a Map<String, Value>, GraphError> {
    value.as_object().ok_or_else(|| {
        GraphError::malformed(request, format!("a {what} that is not a JSON object"))
    })
}

pub(crate) fn user(value: &Value, request: &RequestDescription) -> Result<GraphUser, GraphError> {
    let obj = as_object(value, "user", request)?;
    Ok(GraphUser {
        id: required_str(obj, "id", "user", request)?,
        user_principal_name: required_str(obj, "userPrincipalName", "user", request)?,
        mail: optional_str(obj, "mail"),
        display_name: optional_str(obj, "displayName"),
        account_enabled: obj.get("accountEnabled").and_then(Value::as_bool),
    })
}

pub(crate) fn folder(
    kind: ItemKind,
    value: &Value,
    request: &RequestDescription,
) -> Result<GraphFolder, GraphError> {
    let what = match kind {
        ItemKind::Event => "calendar",
        ItemKind::Contact => "contact folder",
    };
    let obj = as_object(value, what, request)?;
    Ok(GraphFolder {
        id: required_str(obj, "id", what, request)?,
        name: optional_str(obj, kind.folder_name_property()).unwrap_or_default(),
    })
}

/// An event or contact; `requested` are the extended property ids asked for, whose spelling
/// the returned keys take (Graph matches ids case-insensitively and may normalize them).
pub(crate) fn item(
    value: Value,
    requested: &[&str],
    request: &RequestDescription,
) -> Result<GraphItem, GraphError> {
    let Value::Object(mut obj) = value else {
        return Err(GraphError::malformed(
            request,
            "an item that is not a JSON object",
        ));
    };
    let id = required_str(&obj, "id", "item", request)?;
    obj.remove("id");
    let last_modified = obj
        .get("lastModifiedDateTime")
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc));
    let mut extended = BTreeMap::new();
    if let Some(props) = obj.remove(EXTENDED) {
        let Value::Array(props) = props else {
            return Err(GraphError::malformed(
                request,
                format!("\"{EXTENDED}\" is not an array"),
            ));
        };
        for prop in props {
            let Some(prop_id) = prop.get("id").and_then(Value::as_str) else {
                return Err(GraphError::malformed(
                    request,
                    "an extended property without \"id\"",
                ));
            };
            let value = match prop.get("value") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            let key = requested
                .iter()
                .find(|r| r.eq_ignore_ascii_case(prop_id))
                .map_or_else(|| prop_id.to_string(), |r| r.to_string());
            extended.insert(key, value);
        }
    }
    obj.retain(|key, _| !key.starts_with("@odata."));
    Ok(GraphItem {
        id,
        last_modified,
        properties: obj,
        extended,
    })
}

/// The id of a delta tombstone (`{"id", "@removed": {"reason"}}`), or `None` for a live item.
pub(crate) fn removed_id(
    value: &Value,
    request: &RequestDescription,
) -> Result<Option<String>, GraphError> {
    if value.get("@removed").is_none() {
        return Ok(None);
    }
    let obj = as_object(value, "removed item", request)?;
    required_str(obj, "id", "removed item", request).map(Some)
}

/// A create or PATCH body: the caller's properties plus the extended properties as Graph's
/// `singleValueExtendedProperties` array.
pub(crate) fn item_body(
    properties: &Map<String, Value>,
    extended: &BTreeMap<String, String>,
) -> Result<Value, GraphError> {
    if properties.contains_key(EXTENDED) {
        return Err(GraphError::InvalidInput(format!(
            "pass extended properties separately, not as \"{EXTENDED}\" in the item's properties"
        )));
    }
    let mut body = properties.clone();
    if !extended.is_empty() {
        let props: Vec<Value> = extended
            .iter()
            .map(|(id, value)| json!({"id": id, "value": value}))
            .collect();
        body.insert(EXTENDED.to_string(), Value::Array(props));
    }
    Ok(Value::Object(body))
}

/// `singleValueExtendedProperties($filter=id eq 'a' or id eq 'b')`.
pub(crate) fn expand_extended(ids: &[&str]) -> String {
    let clauses: Vec<String> = ids
        .iter()
        .map(|id| format!("id eq '{}'", id.replace('\'', "''")))
        .collect();
    format!("{EXTENDED}($filter={})", clauses.join(" or "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zoho::System;

    const CRM_ID: &str = "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name projectlinkCrmId";

    fn req() -> RequestDescription {
        RequestDescription {
            system: System::Graph,
            method: "GET".into(),
            target: "/users/pat@acme.com/events".into(),
        }
    }

    #[test]
    fn items_lose_ids_annotations_and_extended_properties_to_their_own_fields() {
        let value = json!({
            "@odata.etag": "W/\"abc\"",
            "id": "AAMk1",
            "subject": "Kickoff",
            "lastModifiedDateTime": "2026-01-05T10:00:00.1234560Z",
            "singleValueExtendedProperties": [
                {"id": CRM_ID.to_uppercase(), "value": "42"},
                {"id": "Integer 0x1234", "value": 7}
            ]
        });
        let item = item(value, &[CRM_ID], &req()).unwrap();
        assert_eq!(item.id, "AAMk1");
        assert_eq!(
            item.last_modified.unwrap().to_rfc3339(),
            "2026-01-05T10:00:00.123456+00:00"
        );
        assert_eq!(item.properties.len(), 2);
        assert_eq!(item.properties["subject"], "Kickoff");
        assert_eq!(item.extended[CRM_ID], "42");
        assert_eq!(item.extended["Integer 0x1234"], "7");
    }

    #[test]
    fn malformed_items_are_decode_errors() {
        for bad in [
            json!({"subject": "no id"}),
            json!(["not", "an", "object"]),
            json!({"id": "x", "singleValueExtendedProperties": {"id": "a"}}),
            json!({"id": "x", "singleValueExtendedProperties": [{"value": "a"}]}),
        ] {
            let err = item(bad, &[], &req()).unwrap_err();
            assert!(matches!(err, GraphError::Malformed { .. }), "{err}");
        }
    }

    #[test]
    fn tombstones_are_told_apart_from_items() {
        let gone = json!({"id": "AAMk2", "@removed": {"reason": "deleted"}});
        assert_eq!(removed_id(&gone, &req()).unwrap().as_deref(), Some("AAMk2"));
        assert_eq!(removed_id(&json!({"id": "AAMk3"}), &req()).unwrap(), None);
        assert!(removed_id(&json!({"@removed": {}}), &req()).is_err());
    }

    #[test]
    fn bodies_carry_extended_properties_as_graph_expects() {
        let mut props = Map::new();
        props.insert("subject".into(), json!("Kickoff"));
        let ext = BTreeMap::from([(CRM_ID.to_string(), "42".to_string())]);
        let body = item_body(&props, &ext).unwrap();
        assert_eq!(
            body,
            json!({"subject": "Kickoff", "singleValueExtendedProperties": [{"id": CRM_ID, "value": "42"}]})
        );
        assert_eq!(
            item_body(&props, &BTreeMap::new()).unwrap(),
            json!({"subject": "Kickoff"})
        );
        props.insert(EXTENDED.into(), json!([]));
        assert!(matches!(
            item_body(&props, &ext),
            Err(GraphError::InvalidInput(_))
        ));
    }

    #[test]
    fn expansion_filters_name_every_id_with_quotes_doubled() {
        assert_eq!(
            expand_extended(&["String 0x1", "String {g} Name it's"]),
            "singleValueExtendedProperties($filter=id eq 'String 0x1' or id eq 'String {g} Name it''s')"
        );
    }

    #[test]
    fn users_and_folders_read_their_names() {
        let u = user(
            &json!({"id": "u1", "userPrincipalName": "pat@acme.com", "mail": null, "displayName": "Pat", "accountEnabled": false}),
            &req(),
        )
        .unwrap();
        assert_eq!(u.mail, None);
        assert_eq!(u.account_enabled, Some(false));
        assert!(user(&json!({"id": "u1"}), &req()).is_err());
        let cal = folder(
            ItemKind::Event,
            &json!({"id": "c1", "name": "Zoho CRM"}),
            &req(),
        )
        .unwrap();
        assert_eq!(cal.name, "Zoho CRM");
        let cf = folder(
            ItemKind::Contact,
            &json!({"id": "f1", "displayName": "Zoho CRM Contacts"}),
            &req(),
        )
        .unwrap();
        assert_eq!(cf.name, "Zoho CRM Contacts");
    }
}
