//! Checks one answer against the shape projectlink's client reads: where the items are, the
//! fields each item must carry and their JSON types, the paging keys, and finally the
//! client's own wire type decoding every item. The clients decode tolerantly (a missing field
//! reads as empty), so a renamed field would slip through unnoticed; the contract names it.

use serde::de::DeserializeOwned;
use serde_json::Value;

/// The JSON type a field must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An id: a string, or a number (Zoho sends both).
    Id,
    Text,
    Object,
}

impl Kind {
    fn accepts(self, value: &Value) -> bool {
        match self {
            Kind::Id => value.is_string() || value.is_number(),
            Kind::Text => value.is_string(),
            Kind::Object => value.is_object(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Id => "an id (string or number)",
            Kind::Text => "a string",
            Kind::Object => "an object",
        }
    }
}

fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Where a listing says whether more pages follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// Not paged (or paged by counting items, as the legacy Projects API is).
    None,
    /// CRM: `info.more_records` (a boolean), required.
    CrmInfo,
    /// Projects V3: `page_info.has_next_page` (a boolean) when `page_info` is present.
    V3PageInfo,
}

/// What the client expects of one endpoint's answer.
pub struct Contract {
    /// The key of the item list (`users`), or `None` for a bare array.
    pub key: Option<&'static str>,
    /// Whether the items sit in a single object under `key` rather than a list.
    pub single: bool,
    /// Fields every item must have, dotted for nested ones (`profile.name`).
    pub fields: &'static [(&'static str, Kind)],
    pub paging: Paging,
    /// The client's own decoding of one item: an error naming the field, or `Ok`.
    pub decode: fn(Value) -> Result<(), serde_json::Error>,
}

/// Decodes with the client's wire type `T`.
pub fn decode_as<T: DeserializeOwned>(value: Value) -> Result<(), serde_json::Error> {
    serde_json::from_value::<T>(value).map(drop)
}

/// Why an answer's items cannot be found where the client looks for them.
#[derive(Debug, thiserror::Error)]
enum ItemsProblem {
    #[error("{key}: missing from the answer")]
    MissingKey { key: &'static str },
    #[error("{label}: is {found}, expected {}", if *.single { "an object" } else { "an array" })]
    WrongType {
        label: &'static str,
        found: &'static str,
        single: bool,
    },
}

/// What the check found: how many items were checked, or what differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Matches { items: usize },
    Differs(Vec<String>),
}

/// Most differences reported per endpoint (the first ones name the problem).
const MAX_PROBLEMS: usize = 3;

fn lookup<'a>(item: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(item, |v, key| v.get(key))
}

/// The items of an answer (`None`: no body, as for 204), or why they cannot be found.
fn items_of<'a>(
    body: Option<&'a Value>,
    contract: &Contract,
) -> Result<Vec<&'a Value>, ItemsProblem> {
    let Some(body) = body else {
        return Ok(Vec::new());
    };
    let list = match contract.key {
        Some(key) => body.get(key).ok_or(ItemsProblem::MissingKey { key })?,
        None => body,
    };
    let label = contract.key.unwrap_or("the answer");
    match list {
        Value::Array(items) if !contract.single => Ok(items.iter().collect()),
        Value::Object(_) if contract.single => Ok(vec![list]),
        other => Err(ItemsProblem::WrongType {
            label,
            found: type_of(other),
            single: contract.single,
        }),
    }
}

/// Checks an answer's body against the contract.
pub fn check(body: Option<&Value>, contract: &Contract) -> Verdict {
    let items = match items_of(body, contract) {
        Ok(items) => items,
        Err(problem) => return Verdict::Differs(vec![problem.to_string()]),
    };
    let mut problems = paging_problems(body, contract.paging);
    let label = contract.key.unwrap_or("");
    for (i, item) in items.iter().enumerate() {
        let at = if contract.single {
            label.to_string()
        } else {
            format!("{label}[{i}]")
        };
        for (field, kind) in contract.fields {
            match lookup(item, field) {
                None => problems.push(format!("{at}.{field}: missing")),
                Some(v) if !kind.accepts(v) => problems.push(format!(
                    "{at}.{field}: is {}, expected {}",
                    type_of(v),
                    kind.name()
                )),
                Some(_) => {}
            }
        }
        if let Err(e) = (contract.decode)((*item).clone()) {
            problems.push(format!("{at}: the client cannot read it: {e}"));
        }
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
    }
    if problems.is_empty() {
        Verdict::Matches { items: items.len() }
    } else {
        problems.truncate(MAX_PROBLEMS);
        Verdict::Differs(problems)
    }
}

fn paging_problems(body: Option<&Value>, paging: Paging) -> Vec<String> {
    let Some(body) = body else {
        return Vec::new();
    };
    let (path, required) = match paging {
        Paging::None => return Vec::new(),
        Paging::CrmInfo => ("info.more_records", true),
        Paging::V3PageInfo => ("page_info.has_next_page", body.get("page_info").is_some()),
    };
    match lookup(body, path) {
        None if required => vec![format!(
            "{path}: missing, so the client cannot tell whether more pages follow"
        )],
        Some(v) if !v.is_boolean() => {
            vec![format!("{path}: is {}, expected a boolean", type_of(v))]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Wire {
        #[serde(default)]
        profile: Option<Named>,
    }

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Named {
        name: Option<String>,
    }

    const USERS: Contract = Contract {
        key: Some("users"),
        single: false,
        fields: &[("id", Kind::Id), ("email", Kind::Text)],
        paging: Paging::CrmInfo,
        decode: decode_as::<Wire>,
    };

    #[test]
    fn a_matching_answer_counts_its_items() {
        let body = json!({"users": [{"id": 1, "email": "a@x"}, {"id": "2", "email": "b@x"}],
                          "info": {"more_records": false}});
        assert_eq!(check(Some(&body), &USERS), Verdict::Matches { items: 2 });
        assert_eq!(check(None, &USERS), Verdict::Matches { items: 0 });
    }

    #[test]
    fn names_a_renamed_field_a_wrong_type_and_missing_paging() {
        let body = json!({"users": [{"id": 1, "mail": "a@x"}]});
        assert_eq!(
            check(Some(&body), &USERS),
            Verdict::Differs(vec![
                "info.more_records: missing, so the client cannot tell whether more pages follow"
                    .into(),
                "users[0].email: missing".into(),
            ])
        );
        let body = json!({"users": [{"id": 1, "email": 7, "profile": "Admin"}],
                          "info": {"more_records": false}});
        let Verdict::Differs(problems) = check(Some(&body), &USERS) else {
            panic!("differs")
        };
        assert_eq!(
            problems[0],
            "users[0].email: is a number, expected a string"
        );
        assert!(problems[1].starts_with("users[0]: the client cannot read it: invalid type"));
    }

    #[test]
    fn a_missing_or_mistyped_list_is_named() {
        let body = json!({"data": []});
        assert_eq!(
            check(Some(&body), &USERS),
            Verdict::Differs(vec!["users: missing from the answer".into()])
        );
        let body = json!({"users": {"id": 1}});
        assert_eq!(
            check(Some(&body), &USERS),
            Verdict::Differs(vec!["users: is an object, expected an array".into()])
        );
    }
}
