//! Zoho Projects' V3 API (`/api/v3/...`): JSON bodies with nested references, `page`/
//! `per_page` paging, string ids, `YYYY-MM-DD` dates, PATCH updates, `POST .../trash`, and
//! the `{"error":{"status_code","title",...}}` envelope. V3 answers 200 to keys it does not
//! know and ignores them, so every write checks that the answer carries what it set.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use tokio::sync::Mutex;

use super::types::*;
use super::v3_wire as wire;
use crate::zoho::error::{RequestDescription, ZohoError};
use crate::zoho::response;
use crate::zoho::transport::{ApiRequest, MAX_PAGES, Transport, endless_listing, segment};

/// The V3 API over one transport, with the per-portal metadata writes need (role ids,
/// custom field api names) read once and kept.
#[derive(Debug, Clone)]
pub(super) struct V3 {
    pub(super) transport: Arc<Transport>,
    roles: Arc<Mutex<HashMap<String, Vec<wire::RoleWire>>>>,
    fields: Arc<Mutex<HashMap<String, Vec<ProjectCustomField>>>>,
}

impl V3 {
    pub(super) fn new(transport: Arc<Transport>) -> V3 {
        V3 {
            transport,
            roles: Arc::default(),
            fields: Arc::default(),
        }
    }

    /// The decoded body of a successful call; `None` for 204.
    pub(super) async fn body(
        &self,
        request: ApiRequest,
    ) -> Result<(Option<Value>, RequestDescription), ZohoError> {
        let answer = self.transport.send(request).await?;
        Ok((answer.body, answer.request))
    }

    /// A single object answered bare (projects, clients, users).
    pub(super) async fn object<W, T>(&self, request: ApiRequest) -> Result<T, ZohoError>
    where
        W: DeserializeOwned,
        T: From<W>,
    {
        let (body, description) = self.body(request).await?;
        let body = body.ok_or_else(|| ZohoError::decode(&description, "no body in the answer"))?;
        response::decode::<W>(body, &description, "the answer").map(T::from)
    }

    /// Every item of a listing, page after page of `per_page`. `key` names the array in a
    /// `{"<key>":[..],"page_info":{..}}` envelope; `None` reads a bare array (projects),
    /// which ends at the first short page.
    pub(super) async fn all_pages<W, T>(
        &self,
        request: ApiRequest,
        key: Option<&str>,
        per_page: usize,
    ) -> Result<Vec<T>, ZohoError>
    where
        W: DeserializeOwned,
        T: From<W>,
    {
        let listing = self
            .counted_pages::<W, T>(request, key, per_page, ListingPages::All)
            .await?;
        Ok(listing.items)
    }

    /// The items of a listing's first page or of all its pages, whether more follow, and
    /// the first page's `page_info.count`.
    pub(super) async fn counted_pages<W, T>(
        &self,
        request: ApiRequest,
        key: Option<&str>,
        per_page: usize,
        pages: ListingPages,
    ) -> Result<ListingHead<T>, ZohoError>
    where
        W: DeserializeOwned,
        T: From<W>,
    {
        let mut all = Vec::new();
        let mut count = None;
        for page in 1..=MAX_PAGES {
            let paged = request
                .clone()
                .query(wire::PARAM_PAGE, page.to_string())
                .query(wire::PARAM_PER_PAGE, per_page.to_string());
            let (body, description) = self.body(paged).await?;
            let body = body.unwrap_or_else(|| Value::Array(Vec::new()));
            if page == 1 {
                count = wire::listing_count(&body);
            }
            // `page_info.has_next_page` where the listing has one; else a full page means more.
            let said_more = body.get("page_info").map(|_| wire::has_next_page(&body));
            let items = items_of(body, key, &description)?;
            let got = items.len();
            for item in items {
                all.push(T::from(response::decode::<W>(
                    item,
                    &description,
                    "an item",
                )?));
            }
            let done = got == 0 || !said_more.unwrap_or(got >= per_page);
            let stop = done || pages == ListingPages::First;
            self.transport.page_read(&request, page, all.len(), stop);
            if stop {
                return Ok(ListingHead {
                    items: all,
                    more: !done,
                    count,
                });
            }
        }
        Err(endless_listing(&self.transport.describe(&request)))
    }

    /// The names of the portal's roles, in the order Zoho lists them (read once per portal,
    /// shared with the role ids user writes need).
    pub(super) async fn role_names(&self, portal_id: &str) -> Result<Vec<String>, ZohoError> {
        self.load_roles(portal_id).await?;
        let cache = self.roles.lock().await;
        Ok(cache[portal_id].iter().map(|r| r.name.clone()).collect())
    }

    /// The portal's roles by name (read once per portal).
    pub(super) async fn role_id(&self, portal_id: &str, role: &str) -> Result<String, ZohoError> {
        self.load_roles(portal_id).await?;
        let cache = self.roles.lock().await;
        let roles = &cache[portal_id];
        roles
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(role))
            .map(|r| r.id.clone())
            .ok_or_else(|| {
                let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
                ZohoError::InvalidInput(format!(
                    "the portal has no role named {role:?} (it has: {})",
                    names.join(", ")
                ))
            })
    }

    /// Reads `/settings/roles` into the cache unless it is there already.
    async fn load_roles(&self, portal_id: &str) -> Result<(), ZohoError> {
        let mut cache = self.roles.lock().await;
        if !cache.contains_key(portal_id) {
            let request = ApiRequest::get(wire::roles(segment(portal_id, "portal id")?));
            let (body, description) = self.body(request).await?;
            let items = items_of(
                body.unwrap_or(Value::Null),
                Some(wire::KEY_ROLES),
                &description,
            )?;
            let roles = items
                .into_iter()
                .map(|r| response::decode::<wire::RoleWire>(r, &description, "a role"))
                .collect::<Result<Vec<_>, _>>()?;
            cache.insert(portal_id.to_string(), roles);
        }
        Ok(())
    }

    /// `GET /settings/fields?module=projects`: the portal's project custom fields.
    pub(super) async fn project_custom_fields(
        &self,
        portal_id: &str,
    ) -> Result<Vec<ProjectCustomField>, ZohoError> {
        let request = ApiRequest::get(wire::fields(segment(portal_id, "portal id")?))
            .query(wire::PARAM_MODULE, wire::MODULE_PROJECTS);
        let (body, description) = self.body(request).await?;
        let items = items_of(
            body.unwrap_or(Value::Null),
            Some(wire::KEY_FIELDS),
            &description,
        )?;
        let mut fields = Vec::new();
        for item in items {
            let f: wire::FieldWire = response::decode(item, &description, "a field")?;
            if f.is_custom_field.unwrap_or(true) {
                fields.push(ProjectCustomField::from(f));
            }
        }
        self.fields
            .lock()
            .await
            .insert(portal_id.to_string(), fields.clone());
        Ok(fields)
    }

    /// Custom field values keyed by legacy column name (the spec's names) or api name, as
    /// `cf_*` body keys.
    async fn custom_keys(
        &self,
        portal_id: &str,
        values: &BTreeMap<String, String>,
    ) -> Result<Map<String, Value>, ZohoError> {
        let mut out = Map::new();
        if values.is_empty() {
            return Ok(out);
        }
        let known = self.fields.lock().await.get(portal_id).cloned();
        let fields = match known {
            Some(fields) => fields,
            None => self.project_custom_fields(portal_id).await?,
        };
        for (name, value) in values {
            let field = fields.iter().find(|f| {
                f.column_name.eq_ignore_ascii_case(name)
                    || f.api_name
                        .as_deref()
                        .is_some_and(|a| a.eq_ignore_ascii_case(name))
            });
            let api = field.and_then(|f| f.api_name.clone()).ok_or_else(|| {
                ZohoError::InvalidInput(format!("the portal has no project custom field {name:?}"))
            })?;
            out.insert(api, Value::String(value.clone()));
        }
        Ok(out)
    }

    /// The JSON body of a project create or update.
    pub(super) async fn project_body(
        &self,
        portal_id: &str,
        fields: ProjectFields<'_>,
    ) -> Result<Map<String, Value>, ZohoError> {
        let mut body = match fields.custom_fields {
            Some(values) => self.custom_keys(portal_id, values).await?,
            None => Map::new(),
        };
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                body.insert(k.to_string(), v);
            }
        };
        put("name", fields.name.map(|n| json!(n)));
        put("description", fields.description.map(|d| json!(d)));
        put("owner", fields.owner.map(|o| json!({"zpuid": o})));
        put(
            "start_date",
            fields.start_date.map(|d| json!(format_v3_date(d))),
        );
        put(
            "end_date",
            fields.end_date.map(|d| json!(format_v3_date(d))),
        );
        put(wire::KEY_COPY_FROM, fields.copy_from.map(|t| json!(t)));
        put("project_type", fields.project_type.map(|t| json!(t)));
        put(
            "percent_complete",
            fields.percent_complete.map(|p| json!(p.min(100))),
        );
        Ok(body)
    }

    /// `POST` or `PATCH` of a project, checked against what was sent.
    pub(super) async fn write_project(
        &self,
        method: Method,
        path: String,
        body: Map<String, Value>,
    ) -> Result<Project, ZohoError> {
        let request = ApiRequest::new(method, path).json(Value::Object(body.clone()));
        let description = self.transport.describe(&request);
        let (answer, _) = self.body(request).await?;
        let answer =
            answer.ok_or_else(|| ZohoError::decode(&description, "no body in the answer"))?;
        confirm_written(&body, &answer, &description)?;
        let wire: wire::ProjectWire = response::decode(answer, &description, "the project")?;
        Ok(Project::from(wire))
    }
}

/// The writable fields of a project, for [`V3::project_body`].
#[derive(Default)]
pub(super) struct ProjectFields<'a> {
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub owner: Option<&'a str>,
    pub start_date: Option<chrono::NaiveDate>,
    pub end_date: Option<chrono::NaiveDate>,
    pub copy_from: Option<&'a str>,
    pub project_type: Option<&'a str>,
    pub percent_complete: Option<u8>,
    pub custom_fields: Option<&'a BTreeMap<String, String>>,
}

/// Confirms that the answer to a write carries every value sent: V3 ignores keys it does not
/// know with a 200, which would otherwise pass for success.
fn confirm_written(
    sent: &Map<String, Value>,
    answer: &Value,
    request: &RequestDescription,
) -> Result<(), ZohoError> {
    for (key, value) in sent {
        if key == wire::KEY_COPY_FROM {
            continue;
        }
        let got = answer.get(key);
        let same = match (key.as_str(), value, got) {
            ("owner", Value::Object(o), Some(g)) => {
                o.get("zpuid").map(text) == g.get("zpuid").map(text)
            }
            (_, Value::String(s), None) if s.is_empty() => true,
            (_, v, Some(g)) => text(v) == text(g),
            _ => false,
        };
        if !same {
            return Err(ZohoError::decode(
                request,
                format!(
                    "Zoho Projects accepted the write but did not set {key:?} (sent {value}, the answer has {})",
                    got.map_or("nothing".to_string(), Value::to_string)
                ),
            ));
        }
    }
    Ok(())
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The array under `key` (or the bare array), failing on any other shape.
fn items_of(
    body: Value,
    key: Option<&str>,
    request: &RequestDescription,
) -> Result<Vec<Value>, ZohoError> {
    let found = match (key, body) {
        (None, Value::Array(items)) => Some(items),
        (Some(key), Value::Object(mut map)) => match map.remove(key) {
            Some(Value::Array(items)) => Some(items),
            _ => None,
        },
        _ => None,
    };
    found.ok_or_else(|| {
        let what = key.map_or("a list".to_string(), |k| format!("a {k:?} list"));
        ZohoError::decode(request, format!("no {what} in the answer"))
    })
}

pub fn format_v3_date(date: chrono::NaiveDate) -> String {
    date.format(wire::DATE_FORMAT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zoho::error::System;

    fn req() -> RequestDescription {
        RequestDescription {
            system: System::Projects,
            method: "PATCH".into(),
            target: "/api/v3/portal/1/projects/2".into(),
        }
    }

    #[test]
    fn a_write_the_answer_does_not_reflect_is_an_error() {
        let sent: Map<String, Value> =
            serde_json::from_value(json!({"name": "A", "owner": {"zpuid": "9"}, "cf_x": "1"}))
                .unwrap();
        let good =
            json!({"id": "2", "name": "A", "owner": {"zpuid": "9", "name": "P"}, "cf_x": "1"});
        assert!(confirm_written(&sent, &good, &req()).is_ok());
        let ignored = json!({"id": "2", "name": "A", "owner": {"zpuid": "9"}});
        let e = confirm_written(&sent, &ignored, &req()).unwrap_err();
        assert!(e.to_string().contains("did not set \"cf_x\""), "{e}");
    }

    #[test]
    fn cleared_values_may_be_absent_from_the_answer() {
        let sent: Map<String, Value> = serde_json::from_value(json!({"cf_x": ""})).unwrap();
        assert!(confirm_written(&sent, &json!({"id": "2"}), &req()).is_ok());
    }

    #[test]
    fn listings_need_their_array() {
        assert_eq!(items_of(json!([1, 2]), None, &req()).unwrap().len(), 2);
        assert_eq!(
            items_of(json!({"users": [1]}), Some("users"), &req())
                .unwrap()
                .len(),
            1
        );
        assert!(items_of(json!({"user": []}), Some("users"), &req()).is_err());
        assert!(items_of(json!({}), None, &req()).is_err());
    }
}
