//! How a CRM record and an Outlook item correspond field by field: the fixed event mapping,
//! the contact field map from the spec, and the canonical form both sides are compared in,
//! so that "equal" means equal after each system's formatting is taken away.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

pub use crate::spec::SyncDirection as Direction;

/// How a value is read and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Text,
    Bool,
    /// CRM `2026-01-05T10:00:00+00:00`; Graph `{dateTime, timeZone}`.
    DateTime,
    /// A CRM lookup `{name, id}`, compared by its name; never written to CRM.
    Lookup,
}

/// One step of a Graph property path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// Why a text is not a Graph property path; each names the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("\"{0}\" is not a property path")]
    NotAPath(String),
    #[error("\"{0}\" has an unclosed [")]
    Unclosed(String),
    #[error("\"{0}\" has a non-numeric index")]
    NonNumericIndex(String),
}

/// A Graph property path such as `emailAddresses[0].address` or `businessAddress.city`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphPath {
    text: String,
    segments: Vec<Segment>,
}

impl GraphPath {
    pub fn parse(text: &str) -> Result<GraphPath, PathError> {
        let mut segments = Vec::new();
        for part in text.split('.') {
            let (key, rest) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(PathError::NotAPath(text.to_string()));
            }
            segments.push(Segment::Key(key.to_string()));
            let mut rest = rest;
            while let Some(inner) = rest.strip_prefix('[') {
                let end = inner
                    .find(']')
                    .ok_or_else(|| PathError::Unclosed(text.to_string()))?;
                let index = inner[..end]
                    .parse()
                    .map_err(|_| PathError::NonNumericIndex(text.to_string()))?;
                segments.push(Segment::Index(index));
                rest = &inner[end + 1..];
            }
            if !rest.is_empty() {
                return Err(PathError::NotAPath(text.to_string()));
            }
        }
        Ok(GraphPath {
            text: text.to_string(),
            segments,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The top-level property the path lives in (what a PATCH must resend whole).
    pub fn root(&self) -> &str {
        match &self.segments[0] {
            Segment::Key(key) => key,
            Segment::Index(_) => unreachable!("paths start with a key"),
        }
    }

    pub fn get<'a>(&self, item: &'a Map<String, Value>) -> Option<&'a Value> {
        let mut current: Option<&Value> = None;
        for (i, segment) in self.segments.iter().enumerate() {
            current = match (i, segment) {
                (0, Segment::Key(key)) => item.get(key),
                (_, Segment::Key(key)) => current?.get(key),
                (_, Segment::Index(index)) => current?.get(*index),
            };
        }
        current
    }

    /// Writes `value` at the path, creating objects and padding arrays on the way.
    pub fn set(&self, item: &mut Map<String, Value>, value: Value) {
        let Segment::Key(root) = &self.segments[0] else {
            return;
        };
        let mut slot = item.entry(root.clone()).or_insert(Value::Null);
        for segment in &self.segments[1..] {
            slot = match segment {
                Segment::Key(key) => {
                    if !slot.is_object() {
                        *slot = Value::Object(Map::new());
                    }
                    slot.as_object_mut()
                        .expect("just made an object")
                        .entry(key.clone())
                        .or_insert(Value::Null)
                }
                Segment::Index(index) => {
                    if !slot.is_array() {
                        *slot = Value::Array(Vec::new());
                    }
                    let array = slot.as_array_mut().expect("just made an array");
                    while array.len() <= *index {
                        array.push(Value::Null);
                    }
                    &mut array[*index]
                }
            };
        }
        *slot = value;
    }
}

/// One mapped field.
#[derive(Debug, Clone)]
pub struct FieldRule {
    pub crm_field: String,
    pub graph: GraphPath,
    pub direction: Direction,
    pub kind: ValueKind,
}

/// The whole correspondence for one kind of item.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub rules: Vec<FieldRule>,
}

/// What a required CRM field gets when Outlook has nothing for it (Zoho's own wording).
pub const NOT_PROVIDED: &str = "Not Provided";

impl Mapping {
    /// CRM Events ↔ Outlook events; fixed, as in CRM's own Office 365 sync.
    pub fn events() -> Mapping {
        let rule = |crm: &str, graph: &str, kind| FieldRule {
            crm_field: crm.to_string(),
            graph: GraphPath::parse(graph).expect("built-in paths parse"),
            direction: Direction::Both,
            kind,
        };
        Mapping {
            rules: vec![
                rule("Event_Title", "subject", ValueKind::Text),
                rule("Start_DateTime", "start", ValueKind::DateTime),
                rule("End_DateTime", "end", ValueKind::DateTime),
                rule("All_day", "isAllDay", ValueKind::Bool),
                rule("Venue", "location.displayName", ValueKind::Text),
                rule("Description", "body.content", ValueKind::Text),
            ],
        }
    }

    /// A contact field map; `lookups` names the CRM fields that are lookups (compared by
    /// name and never written to CRM).
    pub fn contacts(
        entries: impl IntoIterator<Item = (String, String, Direction)>,
        lookups: &[&str],
    ) -> Result<Mapping, PathError> {
        let mut rules = Vec::new();
        for (crm_field, graph, direction) in entries {
            let lookup = lookups.contains(&crm_field.as_str());
            rules.push(FieldRule {
                graph: GraphPath::parse(&graph)?,
                direction: if lookup {
                    Direction::ToOffice365
                } else {
                    direction
                },
                kind: if lookup {
                    ValueKind::Lookup
                } else {
                    ValueKind::Text
                },
                crm_field,
            });
        }
        Ok(Mapping { rules })
    }

    /// CRM fields to request when listing records.
    pub fn crm_fields(&self) -> Vec<&str> {
        self.rules.iter().map(|r| r.crm_field.as_str()).collect()
    }

    /// A short digest of the mapping; stored with the sync state so a changed field map
    /// forces a full comparison.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        for rule in &self.rules {
            hasher.update(format!(
                "{}={}:{:?}:{:?};",
                rule.crm_field,
                rule.graph.as_str(),
                rule.direction,
                rule.kind
            ));
        }
        hasher.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The record's mapped values in canonical form, one per rule.
    pub fn canonical_crm(&self, record: &Map<String, Value>) -> Vec<Value> {
        self.rules
            .iter()
            .map(|rule| canonical_crm_value(rule.kind, record.get(&rule.crm_field)))
            .collect()
    }

    /// The item's mapped values in canonical form, one per rule.
    pub fn canonical_graph(&self, item: &Map<String, Value>) -> Vec<Value> {
        self.rules
            .iter()
            .map(|rule| canonical_graph_value(rule.kind, rule.graph.get(item)))
            .collect()
    }

    /// Properties for a new Outlook item holding `values` (canonical, one per rule).
    pub fn graph_body(&self, values: &[Value]) -> Map<String, Value> {
        let mut body = Map::new();
        let all: Vec<usize> = (0..self.rules.len())
            .filter(|&i| self.rules[i].direction.writes_office365())
            .collect();
        self.write_graph(&mut body, values, &all);
        body
    }

    /// A PATCH for `item` setting the rules `changed` to `values`. Graph replaces a
    /// collection or complex property whole, so each touched top-level property is resent
    /// complete, merged from the item's current value.
    pub fn graph_patch(
        &self,
        item: &Map<String, Value>,
        values: &[Value],
        changed: &[usize],
    ) -> Map<String, Value> {
        let mut patch = Map::new();
        for &i in changed {
            let root = self.rules[i].graph.root();
            if !patch.contains_key(root) {
                let current = item.get(root).cloned().unwrap_or(Value::Null);
                patch.insert(root.to_string(), current);
            }
        }
        self.write_graph(&mut patch, values, changed);
        patch
    }

    fn write_graph(&self, target: &mut Map<String, Value>, values: &[Value], which: &[usize]) {
        for &i in which {
            let rule = &self.rules[i];
            let value = graph_value(rule.kind, &values[i]);
            rule.graph.set(target, value);
            if rule.graph.as_str() == "body.content" {
                GraphPath::parse("body.contentType")
                    .expect("fixed path")
                    .set(target, Value::String("text".into()));
            }
        }
        // Graph rejects nulls inside collections; drop trailing empty entries.
        for value in target.values_mut() {
            if let Value::Array(items) = value {
                while items.last().is_some_and(is_empty_entry) {
                    items.pop();
                }
                for item in items.iter_mut() {
                    if item.is_null() {
                        *item = Value::String(String::new());
                    }
                }
            }
        }
    }

    /// CRM field values for the rules `which`, from canonical `values`; lookups are never
    /// written. `required` fields get [`NOT_PROVIDED`] when empty.
    pub fn crm_values(
        &self,
        values: &[Value],
        which: &[usize],
        required: &[&str],
    ) -> Map<String, Value> {
        let mut out = Map::new();
        for &i in which {
            let rule = &self.rules[i];
            if rule.kind == ValueKind::Lookup || !rule.direction.writes_crm() {
                continue;
            }
            let mut value = crm_value(rule.kind, &values[i]);
            if value.is_null() && required.contains(&rule.crm_field.as_str()) {
                value = Value::String(NOT_PROVIDED.into());
            }
            out.insert(rule.crm_field.clone(), value);
        }
        out
    }
}

fn is_empty_entry(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Object(map) => map.values().all(is_empty_entry),
        _ => false,
    }
}

fn text(value: &str) -> Value {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        Value::Null
    } else {
        Value::String(trimmed.to_string())
    }
}

/// Canonical instant: `2026-01-05T10:00:00Z`, whole seconds.
pub fn canonical_instant(at: DateTime<Utc>) -> Value {
    Value::String(at.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// Parses a CRM datetime (`2026-01-05T10:00:00+00:00`) or an RFC 3339 instant.
pub fn parse_crm_datetime(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Parses Graph's `{dateTime, timeZone}`. projectlink writes UTC and asks for no other zone,
/// and Graph answers in UTC unless `Prefer: outlook.timezone` asks otherwise, so the time is
/// read as UTC.
pub(crate) fn parse_graph_datetime(value: &Value) -> Option<DateTime<Utc>> {
    let text = value.get("dateTime")?.as_str()?;
    if let Some(at) = parse_crm_datetime(text) {
        return Some(at);
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|naive| naive.and_utc())
}

fn canonical_crm_value(kind: ValueKind, value: Option<&Value>) -> Value {
    if kind == ValueKind::Bool {
        return Value::Bool(value.and_then(Value::as_bool).unwrap_or(false));
    }
    let Some(value) = value else {
        return Value::Null;
    };
    match (kind, value) {
        (_, Value::Null) => Value::Null,
        (ValueKind::DateTime, Value::String(s)) => parse_crm_datetime(s)
            .map(canonical_instant)
            .unwrap_or(Value::Null),
        (ValueKind::Lookup, Value::Object(map)) => map
            .get("name")
            .and_then(Value::as_str)
            .map_or(Value::Null, text),
        (_, Value::String(s)) => text(s),
        (_, Value::Number(n)) => Value::String(n.to_string()),
        (_, other) => Value::String(other.to_string()),
    }
}

fn canonical_graph_value(kind: ValueKind, value: Option<&Value>) -> Value {
    let Some(value) = value else {
        return match kind {
            ValueKind::Bool => Value::Bool(false),
            _ => Value::Null,
        };
    };
    match (kind, value) {
        (ValueKind::Bool, Value::Bool(b)) => Value::Bool(*b),
        (ValueKind::Bool, _) => Value::Bool(false),
        (ValueKind::DateTime, v) => parse_graph_datetime(v)
            .map(canonical_instant)
            .unwrap_or(Value::Null),
        (_, Value::Null) => Value::Null,
        (_, Value::String(s)) => text(s),
        (_, Value::Number(n)) => Value::String(n.to_string()),
        (_, other) => Value::String(other.to_string()),
    }
}

fn graph_value(kind: ValueKind, canonical: &Value) -> Value {
    match (kind, canonical) {
        (ValueKind::DateTime, Value::String(s)) => {
            let at = parse_crm_datetime(s).unwrap_or_default();
            serde_json::json!({
                "dateTime": at.format("%Y-%m-%dT%H:%M:%S").to_string(),
                "timeZone": "UTC",
            })
        }
        (ValueKind::Bool, Value::Null) => Value::Bool(false),
        (_, Value::Null) => Value::Null,
        (_, v) => v.clone(),
    }
}

fn crm_value(kind: ValueKind, canonical: &Value) -> Value {
    match (kind, canonical) {
        (ValueKind::DateTime, Value::String(s)) => parse_crm_datetime(s)
            .map(|at| Value::String(at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()))
            .unwrap_or(Value::Null),
        (ValueKind::Bool, Value::Null) => Value::Bool(false),
        (_, v) => v.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn paths_read_and_write_nested_collections() {
        let path = GraphPath::parse("emailAddresses[1].address").unwrap();
        let mut item = obj(json!({"emailAddresses": [{"address": "a@x.com"}]}));
        assert_eq!(path.get(&item), None);
        path.set(&mut item, json!("b@x.com"));
        assert_eq!(
            item["emailAddresses"],
            json!([{"address": "a@x.com"}, {"address": "b@x.com"}])
        );
        assert_eq!(path.get(&item), Some(&json!("b@x.com")));
        assert_eq!(path.root(), "emailAddresses");
        assert_eq!(
            GraphPath::parse("a..b").unwrap_err().to_string(),
            "\"a..b\" is not a property path"
        );
        assert_eq!(
            GraphPath::parse("a[x]"),
            Err(PathError::NonNumericIndex("a[x]".into()))
        );
        assert_eq!(
            GraphPath::parse("a[0"),
            Err(PathError::Unclosed("a[0".into()))
        );
    }

    #[test]
    fn an_event_compares_equal_across_formats() {
        let mapping = Mapping::events();
        let crm = obj(json!({
            "Event_Title": "Kick-off ", "Start_DateTime": "2026-01-05T11:00:00+01:00",
            "End_DateTime": "2026-01-05T11:30:00+01:00", "All_day": false, "Venue": "",
            "Description": null
        }));
        let graph = obj(json!({
            "subject": "Kick-off",
            "start": {"dateTime": "2026-01-05T10:00:00.0000000", "timeZone": "UTC"},
            "end": {"dateTime": "2026-01-05T10:30:00.0000000", "timeZone": "UTC"},
            "location": {"displayName": ""}, "body": {"contentType": "text", "content": ""}
        }));
        assert_eq!(mapping.canonical_crm(&crm), mapping.canonical_graph(&graph));
    }

    #[test]
    fn an_event_round_trips_through_both_writers() {
        let mapping = Mapping::events();
        let crm = obj(json!({
            "Event_Title": "Review", "Start_DateTime": "2026-02-01T09:00:00+00:00",
            "End_DateTime": "2026-02-01T10:00:00+00:00", "All_day": false,
            "Venue": "Room 4", "Description": "Quarterly"
        }));
        let values = mapping.canonical_crm(&crm);
        let body = mapping.graph_body(&values);
        assert_eq!(
            body["body"],
            json!({"content": "Quarterly", "contentType": "text"})
        );
        assert_eq!(mapping.canonical_graph(&body), values);
        let all: Vec<usize> = (0..mapping.rules.len()).collect();
        let back = mapping.crm_values(&values, &all, &["Event_Title"]);
        assert_eq!(mapping.canonical_crm(&back), values);
    }

    #[test]
    fn a_patch_resends_the_whole_collection() {
        let mapping = Mapping::contacts(
            [
                (
                    "Email".into(),
                    "emailAddresses[0].address".into(),
                    Direction::Both,
                ),
                (
                    "Secondary_Email".into(),
                    "emailAddresses[1].address".into(),
                    Direction::Both,
                ),
            ],
            &[],
        )
        .unwrap();
        let item = obj(
            json!({"emailAddresses": [{"address": "a@x.com", "name": "A"},
                                                 {"address": "old@x.com"}]}),
        );
        let values = vec![json!("a@x.com"), json!("new@x.com")];
        let patch = mapping.graph_patch(&item, &values, &[1]);
        assert_eq!(
            patch["emailAddresses"],
            json!([{"address": "a@x.com", "name": "A"}, {"address": "new@x.com"}])
        );
    }

    #[test]
    fn lookups_compare_by_name_and_are_never_written_to_crm() {
        let mapping = Mapping::contacts(
            [("Account_Name".into(), "companyName".into(), Direction::Both)],
            &["Account_Name"],
        )
        .unwrap();
        assert_eq!(mapping.rules[0].direction, Direction::ToOffice365);
        let crm = obj(json!({"Account_Name": {"name": "Bowman", "id": "1"}}));
        let values = mapping.canonical_crm(&crm);
        assert_eq!(values, vec![json!("Bowman")]);
        assert!(mapping.crm_values(&values, &[0], &[]).is_empty());
    }

    #[test]
    fn required_crm_fields_are_never_left_empty() {
        let mapping = Mapping::events();
        let values = mapping.canonical_graph(&Map::new());
        let out = mapping.crm_values(&values, &[0], &["Event_Title"]);
        assert_eq!(out["Event_Title"], json!(NOT_PROVIDED));
    }

    #[test]
    fn the_fingerprint_follows_the_map() {
        let a = Mapping::events().fingerprint();
        let mut changed = Mapping::events();
        changed.rules.pop();
        assert_ne!(a, changed.fingerprint());
        assert_eq!(a, Mapping::events().fingerprint());
    }
}
